"""A published report's title, publication date and sections, from its lines of text.

Titles come in several common forms; each gives the agency and the report year:

* agency first: ``上海市财政局2023年政府信息公开工作年度报告`` (also ``…关于2023年度…``, ``…年报``);
* year first: ``2019年上海市人民政府办公厅政府信息公开工作年度报告``;
* year after: ``上海市财政局政府信息公开工作年度报告（2023年度）``, ``…信息公开工作2023年度报告``;
* a title wrapped over two lines (the agency on the line above, or the title's end below).

The publication date is the one the page or document states: a CMS page's ``发布日期：`` /
``发布时间：`` (the page's metadata), else the date a document closes with under its signature
(``2024年1月20日`` or ``二〇二四年一月二十日`` on a line of its own). None when neither is there:
never guessed from other dates in the text (the statistics period, a 条例's date).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = ["SECTION_HEADINGS", "is_title", "parse_date", "publication_date", "title_of"]

SECTION_HEADINGS = {  # the six sections of the national format, as headed there
    "s1": "一、总体情况",
    "s2": "二、主动公开政府信息情况",
    "s3": "三、收到和处理政府信息公开申请情况",
    "s4": "四、政府信息公开行政复议、行政诉讼情况",
    "s5": "五、存在的主要问题及改进情况",
    "s6": "六、其他需要报告的事项",
}

_YEAR = r"(?P<year>(?:19|20)\d\d)"
_REPORT = r"(?:政府)?信息公开(?:工作)?(?:的)?(?:年度)?(?:报告|年报)"
_FORMS = [
    # year first: the agency stands between the year and 政府信息公开
    re.compile(rf"^{_YEAR}年度?(?P<agency>[^\d]{{2,40}}?)(?:的)?{_REPORT}"),
    # agency first (the agency may be on the line above: empty here)
    re.compile(rf"^(?P<agency>[^\d]{{0,40}}?)(?:关于)?{_YEAR}年度?(?:的)?{_REPORT}"),
    # year after the words
    re.compile(rf"^(?P<agency>[^\d]{{2,40}}?){_REPORT}[(（\[【]?{_YEAR}年?度?[)）\]】]?$"),
    re.compile(rf"^(?P<agency>[^\d]{{2,40}}?)(?:政府)?信息公开(?:工作)?{_YEAR}年度?(?:报告|年报)"),
    # anything up to 60 characters before the year (a line with an index number before the title)
    re.compile(rf"(?P<agency>.{{0,60}}?){_YEAR}年度?(?:政府)?信息公开(?:工作)?年度?报告"),
]
_LABEL = re.compile(r"^(?:标题|题目|名称|文件名称|信息名称)[:：]")
_QUOTES = str.maketrans("", "", '《》“”"「」')
TITLE_HINT = re.compile(r"(?:19|20)\d\d年度?.{0,40}?信息公开|信息公开.{0,8}(?:19|20)\d\d年")
_SENTENCE = re.compile(r"[，。；：]")  # a line of running text, not a heading


def _compact(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).translate(_QUOTES)


def _agency(raw: str) -> str:
    a = raw.strip(" :：,，.。-—")
    a = re.sub(r"^(?:关于)", "", a)
    a = re.sub(r"关于$", "", a)
    if a.endswith("人民"):  # 上海市人民政府信息公开…: the 政府 of the agency is the report's word
        a += "政府"
    return a


def _one(line: str) -> tuple[str, int] | None:
    s = _LABEL.sub("", _compact(line))
    for k, form in enumerate(_FORMS):
        m = form.search(s)
        if not m:
            continue
        agency = _agency(m.group("agency"))
        if re.search(r"信息公开|条例|报告|[，。；]", agency) or (k not in (1, 4) and len(agency) < 3):
            continue  # "2023年度政府信息公开…": no agency between; a sentence is no agency
        return agency, int(m.group("year"))
    return None


def is_title(line: str) -> bool:
    """Whether the line reads as a report's title (with its year)."""
    return _one(line) is not None


def title_of(lines: list[str], limit: int = 40) -> tuple[str, int | None, int | None]:
    """(agency, year, index of the title line) from the first ``limit`` lines; ("", None, None)
    when no line reads as a report title. A title with an empty agency takes the line above
    (a title wrapped after the agency); a line that is a title's beginning is joined with the next."""
    head = [_compact(ln)[:200] for ln in lines[:limit]]
    for i, line in enumerate(head):
        if not line:
            continue
        got = _one(line)
        # a title wrapped after the agency (2019年上海市人民政府办公厅 / 政府信息公开工作年度报告) or
        # inside a word, as a long heading wraps on a printed page (…2025年政府信息公开工作年 / 度报告)
        wrapped = "信息公开" not in line or (
            TITLE_HINT.search(line) and i + 1 < len(head) and not _SENTENCE.search(line + head[i + 1])
        )
        if got is None and i + 1 < len(head) and len(line) < 60 and wrapped:
            joined = _one(line + head[i + 1])
            if joined is not None and joined[0]:
                return joined[0], joined[1], i
        if got is None:
            continue
        agency, year = got
        if not agency and i > 0:
            above = _LABEL.sub("", head[i - 1])
            if 2 <= len(above) <= 40 and not re.search(r"\d", above):
                agency = _agency(above)
        return agency, year, i
    return "", None, None


# -- dates --------------------------------------------------------------------------------------
_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def _cn_number(s: str) -> int | None:
    """一 … 三十一, and a year written digit by digit (二〇二四)."""
    if s.isdigit():
        return int(s)
    if all(ch in _CN_DIGIT for ch in s) and len(s) == 4:
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGIT.get(tens, -1) if tens else 1
        o = _CN_DIGIT.get(ones, -1) if ones else 0
        return 10 * t + o if t >= 0 and o >= 0 else None
    if len(s) == 1 and s in _CN_DIGIT:
        return _CN_DIGIT[s]
    return None


_NUM = r"[0-9〇○零O一二三四五六七八九十]{1,4}"
_DATE = re.compile(rf"({_NUM})\s*[年\-./]\s*({_NUM})\s*[月\-./]\s*({_NUM})\s*日?")


def parse_date(s: str) -> date | None:
    m = _DATE.search(unicodedata.normalize("NFKC", s))
    if not m:
        return None
    y, mo, d = (_cn_number(g) for g in m.groups())
    if y is None or mo is None or d is None or not 1900 <= y <= 2100:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


_META = re.compile(
    rf"(?:发布|公开|公布|成文|印发)(?:日期|时间)[\s:：]{{0,8}}({_NUM}\s{{0,3}}[年\-./]\s{{0,3}}{_NUM}\s{{0,3}}[月\-./]\s{{0,3}}{_NUM})"
)
_CLOSING = re.compile(rf"^({_NUM}年{_NUM}月{_NUM}日)$")  # matched on the line without its spaces


def publication_date(lines: list[str], year: int | None) -> tuple[date | None, str]:
    """The date the report was published, and what says so ("发布日期" / "落款日期"); (None, "")
    when the document does not state it. A date before the report year is no publication date."""

    def fits(d: date | None) -> bool:
        return d is not None and (year is None or year <= d.year <= year + 2)

    for ln in lines:
        m = _META.search(unicodedata.normalize("NFKC", ln))
        if m and fits(d := parse_date(m.group(1))):
            return d, "发布日期"
    for ln in reversed(lines[-40:]):
        m = _CLOSING.match(unicodedata.normalize("NFKC", ln).replace(" ", ""))
        if m and fits(d := parse_date(m.group(1))):
            return d, "落款日期"
    return None, ""
