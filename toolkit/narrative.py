"""What a report's text says about its tables: TEXT-TABLE-MISMATCH, and the paragraphs the tables
write themselves (:func:`draft_paragraphs`).

A workbook's 文字 sheet and a published report's sections state a few figures in words ("共收到
政府信息公开申请35件", "本年度没有收取信息处理费"). When a sentence contradicts the table, the
published report would carry both; this module finds such sentences, for every source (workbook,
imported report) alike. Text is split into sentences first and each sentence is bounded, so every
pattern runs in linear time whatever the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from toolkit.findings import Finding
from toolkit.model import Number, Submission, derived_keys, unknown_keys

__all__ = [
    "Paragraph",
    "Sentence",
    "draft_paragraphs",
    "narrative_findings",
    "place_drafted",
    "states_fees",
    "states_figures",
]

MAX_SENTENCE = 400  # characters of one sentence looked at
MAX_TEXT = 200_000  # characters of one section looked at

_NUM = r"(\d+(?:\.\d+)?)"

# (pattern on one sentence, key, unit of the figure in the sentence): the first match per key
_FIGURES: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"(?:收到|受理|新收|共收)[^\d]{0,12}?政府信息公开申请[^\d]{0,4}?" + _NUM + r"\s*件"),
        "t3.new_received.total",
        "件",
    ),
    (re.compile(r"政府信息公开申请[^\d]{0,4}?" + _NUM + r"\s*件"), "t3.new_received.total", "件"),
    (re.compile(r"行政复议[^\d]{0,4}?" + _NUM + r"\s*件"), "t4.review_total", "件"),
    (re.compile(r"(?:发出|发送)收费通知[^\d]{0,4}?" + _NUM + r"\s*件"), "s6.fee_notices", "件"),
    (re.compile(r"实际收取[^\d]{0,12}?" + _NUM + r"\s*(万元|元)"), "s6.fee_collected", "元"),
    (re.compile(r"收取(?:了)?信息处理费[^\d]{0,6}?" + _NUM + r"\s*(万元|元)"), "s6.fee_collected", "元"),
]
# "没有收取信息处理费", "未收取信息处理费", "不收取…": said to be zero
_NONE_COLLECTED = re.compile(r"(?:没有|未|无|不|均未|并未)[^\d，,]{0,4}收取[^\d，,]{0,6}信息处理费")


# the sentence ends as written (full-width ，；！？ are split on as their NFKC forms are)
_SPLIT_WRITTEN = re.compile(r"[。；;！!？?\n\uff1b\uff01\uff1f\ufe54\ufe56\ufe57]")


def _sentences(texts: dict[str, str]) -> Iterator[str]:
    """Each sentence normalised for matching (NFKC: ０１２ and ， as 012 and ,)."""
    for s, _ in _sentences_written(texts):
        yield s


def _sentences_written(texts: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(sentence normalised for matching, the sentence as the person wrote it, for quoting in a
    message: the clerk searches the report for it)."""
    for key in ("overview", "other_matters", "problems"):
        for s in _SPLIT_WRITTEN.split((texts.get(key) or "")[:MAX_TEXT]):
            s = s.strip()
            if s:
                yield unicodedata.normalize("NFKC", s[:MAX_SENTENCE]), s[:MAX_SENTENCE]


def narrative_findings(sub: Submission, file: str | None = None) -> list[Finding]:
    """Every sentence whose figure contradicts the tables (warning TEXT-TABLE-MISMATCH)."""
    if not any(sub.texts.values()):
        return []
    spec = sub.spec
    values = sub.all_values()
    rep: dict[str, Number] = {**values, **{k: v for k, v in sub.reported.items() if v is not None}}
    sev = spec.rules["TEXT-TABLE-MISMATCH"].severity
    out: list[Finding] = []
    seen: set[str] = set()

    def add(key: str, sentence: str, said: Number, unit: str) -> None:
        seen.add(key)
        table = rep.get(key, 0)
        if said == table:
            return
        c = spec.cells[key]
        out.append(
            Finding(
                "TEXT-TABLE-MISMATCH",
                sev,
                f"正文说“{sentence[:80]}”（{said}{unit}），但表中“{c.label}”为 {table}；请核对文字或表格",
                file if file is not None else sub.source,  # type: ignore[arg-type]
                c.sheet,
                c.a1,
                key,
                table,
                said,
            )
        )

    for sentence, written in _sentences_written(sub.texts):
        for pat, key, unit in _FIGURES:
            if key in seen or key not in spec.cells:
                continue
            m = pat.search(sentence)
            if m is None:
                continue
            try:
                said: Number = Decimal(m.group(1))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                continue
            if unit == "元" and m.lastindex and m.lastindex >= 2 and m.group(2) == "万元":
                said = said * 10000
            said = int(said) if said == int(said) else said
            add(key, written, said, unit)
        if (
            "s6.fee_collected" not in seen
            and "s6.fee_collected" in spec.cells
            and _NONE_COLLECTED.search(sentence)
        ):
            add("s6.fee_collected", written, 0, "元")
    return out


# -- the paragraphs the numbers write ---------------------------------------------------------------
# Every real report states a few figures in words: 主动公开 (表二), 依申请公开 (表三, with last
# year's change), 行政复议/行政诉讼 (表四), and the 信息处理费 sentence of 六. They are written here
# from the tables, each sentence with the cells it states (traceable: the .json of ``render``).
PREVIOUS_PREFIX = "previous:"  # a key of last year's figure among a sentence's keys


@dataclass(frozen=True)
class Sentence:
    """One sentence and the cells it states (``previous:<key>`` for last year's figure)."""

    text: str
    keys: tuple[str, ...]


@dataclass
class Paragraph:
    """A drafted paragraph of section ``section`` (``overview`` or ``other_matters``)."""

    section: str
    topic: str  # "active" | "requests" | "appeals" | "fees"
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


def _n(v: Number) -> str:
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else format(v.normalize(), "f")
    return str(v)


# after last year's figure when the import of last year's published report did not read it but
# derived it from the table's arithmetic (IMPORT-DERIVED): never stated as if read
PREVIOUS_DERIVED = "，上年数字未能从公开报告中读出，由合计推算"


def _change(now: Number, before: Number | None, unit: str = "件", derived: bool = False) -> str:
    """``，较上年（30件）增加5件，增长16.7%``; "" without last year's figure. ``derived``: last
    year's figure was derived, not read (``较上年（30件，上年数字…由合计推算）``)."""
    if before is None:
        return ""
    d = now - before
    said = f"{_n(before)}{unit}{PREVIOUS_DERIVED if derived else ''}"
    if d == 0:
        return f"，与上年（{said}）持平"
    word = "增加" if d > 0 else "减少"
    pct = f"，{'增长' if d > 0 else '下降'}{abs(d) * 100 / before:.1f}%" if before > 0 else ""
    return f"，较上年（{said}）{word}{_n(abs(d))}{unit}{pct}"


def draft_paragraphs(
    sub: Submission, previous: Submission | None = None, *, fees_said: bool = False
) -> list[Paragraph]:
    """The paragraphs the numbers write, in the official register: 主动公开, 依申请公开 (with the
    change from ``previous``, last year's report or district sum, where comparable), 行政复议和
    行政诉讼, and the 信息处理费 sentence. Only figures of the tables; nothing a person must say.
    ``fees_said``: the person's 六 already says whether a fee was collected (:func:`states_fees`),
    so the fee sentence gives the figures without saying it a second time."""
    spec = sub.spec
    v = sub.all_values()
    have = spec.cells.keys()
    year = f"{sub.year}年" if sub.year else "本年度"
    out: list[Paragraph] = []

    def prev(key: str) -> Number | None:
        if previous is None:
            return None
        from toolkit.merge import previous_figure
        from toolkit.spec import comparison_map

        unknown = unknown_keys(previous)  # last year's published report read in part: never 0
        pair = comparison_map(spec, previous.spec).get(key)
        if unknown and (pair is None or unknown.intersection(pair[1])):
            return None
        return previous_figure(spec, previous, key)

    def prev_derived(key: str) -> bool:
        """Last year's figure ``key`` is (or adds) a number its import derived, not read."""
        if previous is None or not (derived := derived_keys(previous)):
            return False
        from toolkit.spec import comparison_map

        pair = comparison_map(spec, previous.spec).get(key)
        return pair is not None and bool(derived.intersection(pair[1]))

    # 主动公开 (表二)
    p = Paragraph("overview", "active")
    nd = [f"t2.normative_documents.{c}" for c in ("issued", "repealed", "in_force")]
    rg = [f"t2.regulations.{c}" for c in ("issued", "repealed", "in_force")]
    if all(k in have for k in nd + rg):
        text = (
            f"主动公开方面，{year}制发行政规范性文件{_n(v[nd[0]])}件，废止{_n(v[nd[1]])}件，"
            f"现行有效{_n(v[nd[2]])}件"
        )
        keys = list(nd)
        if any(v[k] for k in rg):
            text += f"；制发规章{_n(v[rg[0]])}件，废止{_n(v[rg[1]])}件，现行有效{_n(v[rg[2]])}件"
            keys += rg
        p.sentences.append(Sentence(text + "。", tuple(keys)))
    acts = [("行政许可", "t2.admin_licensing.decisions"), ("行政处罚", "t2.admin_penalty.decisions")]
    acts.append(("行政强制", "t2.admin_coercion.decisions"))
    if all(k in have for _, k in acts):
        text = "、".join(f"{label}决定{_n(v[k])}件" for label, k in acts)
        lead = "" if p.sentences else f"主动公开方面，{year}"  # the paragraph's first sentence (2019)
        p.sentences.append(Sentence(f"{lead}主动公开{text}。", tuple(k for _, k in acts)))
    if "t2.admin_fees.amount" in have:
        fee = v["t2.admin_fees.amount"]
        p.sentences.append(
            Sentence(
                f"行政事业性收费金额{_n(fee)}万元。" if fee else "本年度无行政事业性收费。",
                ("t2.admin_fees.amount",),
            )
        )
    if p.sentences:
        out.append(p)

    # 依申请公开 (表三)
    p = Paragraph("overview", "requests")
    new, cin = "t3.new_received.total", "t3.carried_in.total"
    done, cout = "t3.result_total.total", "t3.carried_out.total"
    if all(k in have for k in (new, cin, done, cout)):
        person, total = v["t3.new_received.natural_person"], v[new]
        before = prev(new)
        text = f"依申请公开方面，{year}共收到政府信息公开申请{_n(total)}件"
        keys = [new]
        if total:
            text += f"（其中自然人申请{_n(person)}件，法人或其他组织申请{_n(total - person)}件）"
            keys.append("t3.new_received.natural_person")
        text += _change(total, before, derived=prev_derived(new))
        if before is not None:
            keys.append(PREVIOUS_PREFIX + new)
        text += f"；上年结转{_n(v[cin])}件。"
        keys.append(cin)
        p.sentences.append(Sentence(text, tuple(keys)))
        from toolkit.outputs.summary import _result_groups  # （一）予以公开 … （六）其他处理

        parts, part_keys = [], []
        for label, ks in _result_groups(spec):
            n = sum((v[k] for k in ks), 0)
            if n:
                parts.append(f"{label}{_n(n)}件")
                part_keys += ks
        if v[done]:
            text = f"本年度办结{_n(v[done])}件，其中" + "，".join(parts)
            keys = [done, *part_keys]
        else:
            text, keys = "本年度没有办结的政府信息公开申请", [done]
        text += f"；结转下年度继续办理{_n(v[cout])}件。"
        p.sentences.append(Sentence(text, (*keys, cout)))
        out.append(p)

    # 行政复议、行政诉讼 (表四)
    p = Paragraph("overview", "appeals")
    cols = (("结果维持", "upheld"), ("结果纠正", "corrected"), ("其他结果", "other"), ("尚未审结", "pending"))
    groups = ("review", "suit_direct", "suit_after_review")
    if all(f"t4.{g}_{c}" in have for g in groups for _, c in (*cols, ("", "total"))):
        review = v["t4.review_total"]
        suits = v["t4.suit_direct_total"] + v["t4.suit_after_review_total"]

        def detail(gs: tuple[str, ...]) -> tuple[str, list[str]]:
            ks = [f"t4.{g}_{c}" for _, c in cols for g in gs]
            said = [
                f"{label}{_n(sum(v[f't4.{g}_{c}'] for g in gs))}件"
                for label, c in cols
                if any(v[f"t4.{g}_{c}"] for g in gs)
            ]
            return ("（" + "，".join(said) + "）" if said else ""), ks

        if not review and not suits:
            text = "本年度未发生因政府信息公开引起的行政复议和行政诉讼"
            keys = ["t4.review_total", "t4.suit_direct_total", "t4.suit_after_review_total"]
        else:
            d1, k1 = detail(("review",))
            d2, k2 = detail(("suit_direct", "suit_after_review"))
            text = f"本年度因政府信息公开引起行政复议{_n(review)}件{d1}，行政诉讼{_n(suits)}件{d2}"
            keys = ["t4.review_total", *k1, "t4.suit_direct_total", "t4.suit_after_review_total", *k2]
        before = prev("t4.review_total")
        if before is not None and (review or before):
            text += f"；行政复议件数{_change(review, before, derived=prev_derived('t4.review_total'))[1:]}"
            keys.append(PREVIOUS_PREFIX + "t4.review_total")
        p.sentences.append(Sentence(text + "。", tuple(keys)))
        out.append(p)

    # 六、信息处理费
    fees = ("s6.fee_notices", "s6.fee_notified", "s6.fee_collected")
    if all(k in have for k in fees):
        n, notified, got = (v[k] for k in fees)
        if fees_said:
            lead = "本年度"
        else:
            lead = "本年度未收取政府信息公开信息处理费，" if not got else "本年度政府信息公开信息处理费情况："
        text = f"{lead}发出收费通知{_n(n)}件，总金额{_n(notified)}元，实际收取的总金额{_n(got)}元。"
        # the person's own "本年度未收取信息处理费。" already says all there is when no notice
        # was sent either: three zeros after it would only repeat it
        if not (fees_said and not n and not notified and not got):
            out.append(Paragraph("other_matters", "fees", [Sentence(text, fees)]))
    unknown = unknown_keys(sub)  # a sentence stating a number not known is not written at all
    if unknown:
        for p in out:
            p.sentences = [s for s in p.sentences if not unknown.intersection(s.keys)]
        out = [p for p in out if p.sentences]
    return out


def states_fees(text: str) -> bool:
    """Whether a person's text already says what was collected as 信息处理费 ("本年度没有收取信息
    处理费", "实际收取…120元"): the drafted fee sentence then only adds the figures, and is left
    out when they are all zero (no notice sent, nothing collected)."""
    fee_patterns = [pat for pat, key, _ in _FIGURES if key == "s6.fee_collected"]
    return any(
        _NONE_COLLECTED.search(s) or any(p.search(s) for p in fee_patterns)
        for s in _sentences({"other_matters": text})
    )


def states_figures(text: str) -> bool:
    """Whether a person's text already states the 依申请公开 figures (so the drafted paragraphs
    would say them twice)."""
    return any(pat.search(s) for s in _sentences({"overview": text}) for pat, key, _ in _FIGURES[:2])


# -- where the drafted paragraphs stand in 总体情况 ------------------------------------------------
# A clerk who numbers 总体情况's items (（一）主动公开 （二）依申请公开 …, as the national examples and
# the published reports do) has placed the figures' topics already: the drafted paragraphs go into
# the item about them, never above the clerk's （一）.
_ITEM = re.compile(r"^\s*[（(]([一二三四五六七八九十]{1,3})[)）]")
_TOPIC_WORDS = {"active": ("主动公开",), "requests": ("依申请",), "appeals": ("复议", "诉讼")}
_TOPIC_NAMES = {"active": "主动公开", "requests": "依申请公开", "appeals": "行政复议、行政诉讼"}
_DIGITS = "一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (the numbering of （一）…（九十九）)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens - 1] + "十")
    return head + (_DIGITS[ones - 1] if ones else "")


def _item_number(text: str) -> int:
    """（十二） → 12; 0 for a numeral not of that form."""

    def digit(d: str, empty: int) -> int:
        if not d:
            return empty
        return _DIGITS.index(d) + 1 if len(d) == 1 and d in _DIGITS else -1

    if "十" not in text:
        return max(digit(text, -1), 0)
    tens, _, ones = text.partition("十")
    t, o = digit(tens, 1), digit(ones, 0)
    return t * 10 + o if t > 0 and o >= 0 else 0


def place_drafted(overview: str, paragraphs: list[Paragraph]) -> list[str]:
    """总体情况's lines: the person's ``overview`` with the drafted ``paragraphs`` (its topics
    active, requests, appeals) placed. Without numbered items: the paragraphs first, then the
    person's text (its 工作举措). With items （一）（二）…: each paragraph right under the heading
    line of the item about its topic (主动公开 / 依申请 / 复议、诉讼; 复议诉讼 else with 依申请公开,
    else with 主动公开); what has no item of its own becomes the next item after the clerk's last,
    headed by its topics. The person's lines are kept as written, in order."""
    lines = overview.splitlines()
    items = [(i, m) for i, ln in enumerate(lines) if (m := _ITEM.match(ln))]
    drafted = [p for p in paragraphs if p.section == "overview"]
    if not items or not drafted:
        return [p.text for p in drafted] + lines

    def item_about(topic: str) -> int | None:
        return next((i for i, _ in items if any(w in lines[i] for w in _TOPIC_WORDS[topic])), None)

    where: dict[int, list[str]] = {}
    rest: list[Paragraph] = []
    for p in drafted:
        at = item_about(p.topic)
        if at is None and p.topic == "appeals":
            at = item_about("requests")
            at = item_about("active") if at is None else at
        if at is None:
            rest.append(p)
        else:
            where.setdefault(at, []).append(p.text)
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        out += where.get(i, [])
    if rest:
        names = [_TOPIC_NAMES[t] for t in dict.fromkeys(p.topic for p in rest)]
        name = names[0] if len(names) == 1 else "、".join(names[:-1]) + "和" + names[-1]
        last = _item_number(items[-1][1].group(1))
        number = _chinese_number(last + 1) if last else None
        out.append(f"（{number}）{name}情况" if number else f"{name}情况")
        out += [p.text for p in rest]
    return out
