"""A published report (.pdf / .html / .docx / .txt / .md) -> :class:`Submission`.

Published reports are PDF files, web pages, Word files or text copied out of PDFs. Every source
becomes lines of positioned words (:mod:`toolkit.importers.sources`); the tables are rebuilt from
them and every number is read **at its label**:

* 表三's rows are assembled from the numbers: with geometry (PDF word boxes, the grid columns of
  an HTML/Word table) each number belongs to one of the seven columns by its x position, and a
  row's numbers may continue on the next line (a wrapped cell); without geometry a row is a run of
  seven numbers with no text between them.
* Text listing the table one cell a line (``pdftotext`` without ``-layout``) is read run by run:
  the labels between two runs of numbers own the run after them, seven numbers a label, else the
  rows are unknown (a PDF with a wide label column has cells written out of order there).
* Each number row gets the text around it (the line(s) it stands on, and the label fragments
  before and after it, so wrapped labels whose numbers stand on the first, middle or last line
  are joined). Rows are matched to the form's 25 rows by fuzzy label similarity
  (:data:`FUZZY_THRESHOLD`), and the form's fixed row order is a constraint: a monotone alignment
  of found rows to expected rows (dynamic programming). A garbled label is placed only when its
  certain neighbours leave exactly one place for it and its similarity is at least
  :data:`POSITIONAL_THRESHOLD` and best for that place.
* A cell that is not found is **unknown** (absent from ``values``, listed in
  :attr:`ImportResult.unknown`), never 0, and gets an ``IMPORT-NOT-FOUND`` finding. The table's
  identities (parts add up to the totals) are checked on what was read and reported in the notes:
  they may confirm a reading, they never invent or move a number.

Totals are kept as the report states them (``reported``), so validation finds a published
report's arithmetic errors. Narrative counts that contradict the tables are ``TEXT-TABLE-MISMATCH``.
A document holding several reports (several bodies, or several years) is said so
(``IMPORT-NOT-ONE-REPORT``): the year asked for is read, or the import refuses.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from toolkit.cells import implausible, parse_number
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.importers.derive import derive
from toolkit.importers.fees import read_fees
from toolkit.importers.instances import side_by_side
from toolkit.importers.skew import corrections as skew_corrections
from toolkit.importers.sources import BLANK, Line, ReportUnreadable, image_pages, read_lines
from toolkit.importers.titles import SECTION_HEADINGS, is_title, publication_date, title_of
from toolkit.model import Number, Submission, number_json
from toolkit.narrative import narrative_findings
from toolkit.spec import FormSpec, detect_format, load_spec, spec_for_year

__all__ = [
    "FUZZY_THRESHOLD",
    "POSITIONAL_THRESHOLD",
    "REPORT_SUFFIXES",
    "ImportResult",
    "import_report",
    "report_text",
]

REPORT_SUFFIXES = {".txt", ".html", ".htm", ".docx", ".md", ".pdf"}
FUZZY_THRESHOLD = 0.75  # label similarity (2·matched / (label + matched span)) to accept a row by label
POSITIONAL_THRESHOLD = 0.5  # the least similarity for a row placed by its certain neighbours
MAX_TEXT_CELL = 30_000  # a text section longer than this is cut (an Excel cell holds 32,767)
_WINDOW = 160  # characters of label text taken before and after a number row
DERIVED_WHERE = "由合计推算"  # the place of a number not read but fixed by the table's arithmetic
_UNKNOWN_TAIL = "未读取的数字为未知（不按0计，也不会用别的行的数字顶替）"


def _quoted(text: str, n: int = 20) -> str:
    """A report's words quoted in a finding: at most ``n`` characters, a cut marked (“0.000…”
    was quoted as “0.000000000000000000”, a different number)."""
    return text if len(text) <= n else text[:n] + "…"


@dataclass
class ImportResult:
    submission: Submission
    findings: list[Finding] = field(default_factory=list)
    found: int = 0  # cells read at their label
    expected: int = 0
    notes: list[str] = field(default_factory=list)  # variants recognised, placeholders read as 0
    unknown: list[str] = field(default_factory=list)  # numeric keys not found: unknown, never 0
    source_kind: str = ""  # pdf, html, docx, xlsx, md, text
    identities: tuple[int, int] = (0, 0)  # table identities that hold / that could be checked
    sections: dict[str, bool] = field(default_factory=dict)  # s1..s6 -> its heading was found
    published: str | None = None  # ISO date the page or document states it was published
    unfinished: list[str] = field(default_factory=list)  # marks of a draft: 草稿, 【待补充】, 示例文字
    derived: list[str] = field(default_factory=list)  # keys not read, fixed by the table's arithmetic

    @property
    def confidence(self) -> float:
        return round(self.found / self.expected, 3) if self.expected else 0.0

    def values_json(self) -> dict[str, Any]:
        """The values JSON, with ``null`` for every number not found (unknown, never 0)."""
        doc = self.submission.to_values_json()
        for k in self.unknown:
            doc["values"][k] = None
        for k in self.submission.spec.numeric_keys:
            if k not in self.unknown and k in self.submission.where and k not in doc["values"]:
                doc["values"][k] = number_json(self.submission.reported.get(k))
        return doc


# -- tokens -------------------------------------------------------------------------------------
_STRIP = re.compile(r"[\s\u3000（）()【】\[\]“”\"'‘’、.．,，:：;；·\-—_/<>《》]")
_ENUM = re.compile(r"^[(（]?[0-9一二三四五六七八九十]{1,2}[)）]?[.、．]?$")


# 表四 laid out down the page: the names of its results and groups as a row or column says them
# (复议后起诉 before 行政复议: the label 行政复议后起诉 is the suit's)
_HEAD_UNIT = re.compile(r"(?:单位)?(万元|元)")  # after a header, its parentheses stripped by _norm
_CONVERT = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}

_T4_RESULTS = (
    ("结果维持", "upheld"),
    ("结果纠正", "corrected"),
    ("其他结果", "other"),
    ("尚未审结", "pending"),
    ("总计", "total"),
)
_T4_GROUPS = (("复议后起诉", "suit_after_review"), ("直接起诉", "suit_direct"), ("行政复议", "review"))
_T4_GROUPS_ORDER = (("行政复议", "review"), ("直接起诉", "suit_direct"), ("复议后起诉", "suit_after_review"))


def _label_key(text: str, labels: tuple[tuple[str, str], ...]) -> str | None:
    """The key of the one label ``text`` names; None for none or several (合计 rows, headers)."""
    found = {k for w, k in labels if w in text}
    if labels is _T4_GROUPS and "suit_after_review" in found:
        found.discard("review")
    return found.pop() if len(found) == 1 else None


def _wrapped_labels(toks: list[Tok], labels: tuple[tuple[str, str], ...]) -> list[tuple[list[Tok], str]]:
    """Labels read from words that a narrow cell wrapped onto several lines, inside a word as
    often as not (未经复 / 议直接 / 起诉): the words of one column (their spans across the page
    overlapping) on lines close below one another are read as one text. Each label that text
    names, with its words (their lines and column). Words without their place on the page
    (plain text) are not joined."""
    chains: list[list[Tok]] = []
    for t in sorted(
        (t for t in toks if not t.num and t.x0 is not None and t.x1 is not None),
        key=lambda t: (t.page, t.line),
    ):
        fits = [
            c
            for c in chains
            if 0 < t.line - c[-1].line <= 3  # a row broken by the page's end: on the next page
            and max(c[-1].x0, t.x0) < min(c[-1].x1, t.x1)  # type: ignore[type-var]
        ]
        if fits:
            max(fits, key=lambda c: c[-1].line).append(t)
        else:
            chains.append([t])
    out = []
    for c in chains:
        text = _norm("".join(t.text for t in c))
        if (key := _label_key(text, labels)) is not None:
            out.append((c, key))
    return out


def _x_order(t: Tok) -> tuple[int, float, int]:
    """Left to right on the page (a PDF's points, a web table's grid column); the text order else."""
    return (t.page, t.x0 if t.x0 is not None else 0.0, t.line)


def _norm(s: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", s))


@functools.lru_cache(maxsize=8192)
def _is_number(tok: str) -> bool:
    if tok == BLANK:
        return True
    if not tok or tok[-1] in ".、．" or tok[0] in "(（":
        return False  # "3." or "（一）": an item's number, not a cell
    if len(tok) > 24 and not (len(tok) <= 4000 and tok.isdigit()):
        return False  # a long run of digits is a number (an implausible one, said so at its cell)
    p = parse_number(tok, "decimal")
    return p.problem in (None, "placeholder", "negative")  # 本年增/减 of the 2019 format is signed


@dataclass(slots=True)
class Tok:
    text: str
    line: int  # index into the cleaned lines
    num: bool
    x0: float | None = None
    x1: float | None = None
    top: float = 0.0
    bottom: float = 0.0
    page: int = 1


_PAGE_NO = re.compile(
    r"^(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})$"
)


_PAGE_BIT = re.compile(r"^(?:[-—–－]+|\d{1,4}|[-—–－]\d{1,4}|\d{1,4}[-—–－])$")


def _clean(lines: list[Line]) -> list[Line]:
    """Page numbers ("-3-", "第3页") and running heads/feet (a page's first or last line repeated on
    other pages) removed: they fall between a table's rows at a page break."""
    out = [ln for ln in lines if ln.table_row or not _PAGE_NO.match(ln.text.replace(" ", "").strip())]
    # a page's last/first lines holding only a number or dashes: a page number in pieces ("- 3 -"
    # whose number sits on another baseline than its dashes)
    by_page: dict[int, list[int]] = {}
    for i, ln in enumerate(out):
        if ln.geometric and not ln.table_row:
            by_page.setdefault(ln.page, []).append(i)
    if len(by_page) > 1:
        bits = set()
        for idxs in by_page.values():
            for i in [*idxs[:2], *idxs[-2:]]:
                # one number at most: "２ ４ ２" atop a page is the first lines of three numbers
                # wrapped in their cells (a table's row over the page break), never a page number
                digits = sum(1 for w in out[i].words if any(ch.isdigit() for ch in w.text))
                if digits <= 1 and _PAGE_BIT.match(out[i].text.replace(" ", "")):
                    bits.add(i)
        out = [ln for i, ln in enumerate(out) if i not in bits]
    pages: dict[int, list[int]] = {}
    for i, ln in enumerate(out):
        pages.setdefault(ln.page, []).append(i)
    if len(pages) < 2:
        return out
    edge: dict[str, set[int]] = {}
    for idxs in pages.values():
        for i in {idxs[0], idxs[-1]}:
            key = re.sub(r"\d+", "#", _norm(out[i].text))
            if len(key) >= 4:
                edge.setdefault(key, set()).add(out[i].page)
    heads = {k for k, pgs in edge.items() if len(pgs) >= 2}
    if not heads:
        return out
    drop = set()
    for idxs in pages.values():
        for i in {idxs[0], idxs[-1]}:
            if re.sub(r"\d+", "#", _norm(out[i].text)) in heads:
                drop.add(i)
    return [ln for i, ln in enumerate(out) if i not in drop]


def _strong(tok: str) -> bool:
    """A number written with digits (or an empty table cell)."""
    return tok == BLANK or (_is_number(tok) and any(ch.isdigit() for ch in tok))


def _tokens(lines: list[Line]) -> list[Tok]:
    """Words as tokens. A placeholder ("无", "/", "—") is a number only next to numbers (on its
    line, or alone on a line between number lines): "无" of a label split char by char is text."""
    out = []
    for i, ln in enumerate(lines):
        ws = ln.words
        strong = [_strong(w.text) for w in ws]
        if not ln.table_row:  # a number with label text after it on its line is part of the label
            text_after = False  # ("1 、信访举报…", "第 3 页"); a row's numbers end its line
            for j in range(len(ws) - 1, -1, -1):
                if strong[j] and text_after:
                    strong[j] = False
                elif not strong[j] and not _is_number(ws[j].text):
                    text_after = True
        for j, w in enumerate(ws):
            num = strong[j]
            if not num and _is_number(w.text):
                if len(ws) == 1:
                    prev = lines[i - 1].words[-1].text if i > 0 else ""
                    nxt = lines[i + 1].words[0].text if i + 1 < len(lines) else ""
                    num = _strong(prev) or _strong(nxt) or ln.table_row
                else:
                    num = (j > 0 and strong[j - 1]) or (j + 1 < len(ws) and strong[j + 1]) or ln.table_row
                    num = num and (ln.table_row or all(_is_number(w.text) for w in ws[j:]))
            out.append(Tok(w.text, i, num, w.x0, w.x1, w.top, w.bottom, ln.page))
    return out


def report_text(path: str | Path) -> str:
    """The report's text, one line per visual line (table rows with their cells space-separated)."""
    lines, _ = read_lines(path)
    return "\n".join(ln.text for ln in lines)


# -- label similarity ---------------------------------------------------------------------------
def _match(label: str, window: str, shortest: int = 6) -> tuple[float, int, int, int]:
    """How well ``label`` occurs in ``window`` (both normalised), and where: (similarity,
    characters matched, start, end in the window). Similarity 1.0 when the label occurs whole;
    else 2·M / (len(label) + span), M the characters matched in order within one compact span of
    the window (blocks at most 3 characters apart). Labels shorter than ``shortest`` must occur
    whole (a fuzzy four-character label finds itself in too many neighbours)."""
    if not label or not window:
        return 0.0, 0, 0, 0
    at = window.find(label)
    # a label that keeps its number ("3其他") is not found inside another number: "13其他…",
    # "23其他处理情形" are a province's own rows, not （六）3.其他
    while at > 0 and label[0].isdigit() and window[at - 1].isdigit():
        at = window.find(label, at + 1)
    if at >= 0:
        return 1.0, len(label), at, at + len(label)
    if len(label) < shortest:
        return 0.0, 0, 0, 0
    chars = set(window)  # similarity ≤ 2M/(len+M) with M ≤ the label's characters in the window:
    hit = sum(1 for ch in label if ch in chars)  # below 0.5 (the least any caller accepts): 0
    if 2 * hit < 0.5 * (len(label) + hit):
        return 0.0, 0, 0, 0
    blocks = [
        b
        for b in difflib.SequenceMatcher(None, window, label, autojunk=False).get_matching_blocks()
        if b.size
    ]
    best = (0.0, 0, 0, 0)
    for s in range(len(blocks)):
        m = 0
        for e in range(s, len(blocks)):
            if e > s and blocks[e].a - (blocks[e - 1].a + blocks[e - 1].size) > 3:
                break
            m += blocks[e].size
            end = blocks[e].a + blocks[e].size
            sim = 2 * m / (len(label) + end - blocks[s].a)
            if sim > best[0]:
                best = (sim, m, blocks[s].a, end)
    return best


def _sim(label: str, window: str, shortest: int = 6) -> float:
    return _match(label, window, shortest)[0]


def _coverage(official: str, text: str) -> float:
    """The share of ``text``'s characters that the official label accounts for (in order)."""
    if not text:
        return 1.0
    blocks = difflib.SequenceMatcher(None, text, official, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(text)


# row key -> its label as matched (normalised; numbering dropped), in table order
_T3_ROWS: list[tuple[str, str]] = [
    ("new_received", "本年新收政府信息公开申请"),
    ("carried_in", "上年结转政府信息公开申请"),
    ("granted", "予以公开"),
    ("partly_granted", "部分公开"),
    ("denied_state_secret", "属于国家秘密"),
    ("denied_by_law", "其他法律行政法规禁止公开"),
    ("denied_security", "危及三安全一稳定"),
    ("denied_third_party", "保护第三方合法权益"),
    ("denied_internal", "属于三类内部事务信息"),
    ("denied_process", "属于四类过程性信息"),
    ("denied_enforcement_file", "属于行政执法案卷"),
    ("denied_inquiry", "属于行政查询事项"),
    ("unable_not_held", "本机关不掌握相关政府信息"),
    ("unable_needs_creation", "没有现成信息需要另行制作"),
    ("unable_unclear", "补正后申请内容仍不明确"),
    ("rejected_petition", "信访举报投诉类申请"),
    ("rejected_duplicate", "2重复申请"),
    ("rejected_publication", "要求提供公开出版物"),
    ("rejected_excessive", "无正当理由大量反复申请"),
    ("rejected_confirmation", "要求行政机关确认或重新出具已获取信息"),
    ("other_no_correction", "申请人无正当理由逾期不补正"),
    ("other_fee_unpaid", "申请人逾期未按收费通知要求缴纳费用"),
    ("other_misc", "3其他"),
    ("result_total", "总计"),
    ("carried_out", "结转下年度继续办理"),
]
# 表三's first two rows as some sites shorten them (“一、本年新收”, “二、上年结转”): the short name
# must be the whole of the row's own line (numbering aside), or end the text just before a row
# without label text of its own
_T3_SHORT: dict[str, tuple[str, ...]] = {"new_received": ("本年新收",), "carried_in": ("上年结转",)}
_GROUPS = ("三不予公开", "四无法提供", "五不予处理", "六其他处理")
_FULL_DIGIT = re.compile("[\uff10-\uff19]")  # ０-９
_LABEL_START = re.compile(
    r"^(?:[(（][0-9一二三四五六七八九十]{1,2}[)）]|[0-9一二三四五六七八九十]{1,2}[.、．])"
)
_T3_COLS = ["natural_person", "business", "research", "public_welfare", "legal_service", "other_org", "total"]
_LEAD_ENUM = re.compile(r"^[(（]?[0-9一二三四五六七八九十]{1,2}[)）]?[.、．]?")
_NOTE = re.compile(r"[(（][^()（）]{6,}[)）]$")  # a parenthetical note inside a label


def _row_label(raw: str) -> str:
    """A row label of the spec as matched: normalised, its numbering dropped (kept when the rest
    would be shorter than six characters, which must then occur whole: "六其他处理")."""
    raw = _NOTE.sub("", raw.strip()) or raw
    bare = _norm(_LEAD_ENUM.sub("", raw))
    return bare if len(bare) >= 6 else _norm(raw)


def _rows_of(spec: FormSpec, table: str) -> dict[str, list[str]]:
    """A table's row keys in form order -> their column keys in order, from the spec's cells."""
    out: dict[str, list[str]] = {}
    for c in spec.cells.values():
        if c.table == table and c.row_key and c.col_key:
            out.setdefault(c.row_key, []).append(c.col_key)
    return out


def _cell_row_label(spec: FormSpec, table: str, row: str) -> str:
    c = next(c for c in spec.cells.values() if c.table == table and c.row_key == row)
    return c.label.split(" ", 1)[-1].rsplit("／", 1)[0]


@functools.cache
def _t3_rows(spec: FormSpec) -> list[tuple[str, str]]:
    """表三's rows of ``spec`` in form order with the label each is matched by: the tuned label
    of :data:`_T3_ROWS` where the row is one of the national form's, else from the spec."""
    tuned = dict(_T3_ROWS)
    return [(r, tuned.get(r) or _row_label(_cell_row_label(spec, "t3", r))) for r in _rows_of(spec, "t3")]


_T3_ORG_HEADS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构")


def _t3_header_order(header: str) -> str | None:
    """The 法人或其他组织 column labels as 表三's header prints them, when each is printed whole
    once and they are not in the national order (None otherwise: in order, or not all legible)."""
    at = [header.find(h) for h in _T3_ORG_HEADS]
    if min(at) < 0 or any(header.count(h) != 1 for h in _T3_ORG_HEADS) or at == sorted(at):
        return None
    return "、".join(h for _, h in sorted(zip(at, _T3_ORG_HEADS, strict=True)))


@functools.cache
def _t3_cols(spec: FormSpec) -> list[str]:
    rows = _rows_of(spec, "t3")
    return next(iter(rows.values())) if rows else list(_T3_COLS)


@functools.cache
def _t2_rows(spec: FormSpec) -> list[tuple[str, tuple[str, ...], list[str]]]:
    """表二's rows of ``spec``: (row key, how its label is matched, its column keys). A label
    shorter than six characters must match whole ("=规章"), a longer one fuzzily."""
    out = []
    for row, cols in _rows_of(spec, "t2").items():
        lab = _norm(_cell_row_label(spec, "t2", row))
        out.append((row, (lab if len(lab) >= 6 else "=" + lab,), cols))
    return out


@functools.cache
def _official(spec: FormSpec) -> dict[str, str]:
    """表三 row key -> its official label, normalised."""
    return {
        c.row_key: _norm(c.label.split(" ", 1)[-1].rsplit("／", 1)[0])
        for c in spec.cells.values()
        if c.table == "t3" and c.col_key == _t3_cols(spec)[0] and c.row_key
    }


@functools.cache
def _thresholds(spec: FormSpec) -> dict[str, float]:
    """Each 表三 row's own threshold: FUZZY_THRESHOLD, or more when another row's official label
    already resembles it that much ("本年新收政府信息公开申请" vs "上年结转政府信息公开申请数量"):
    a label must be closer than any other row's label is, by a margin of 0.1."""
    official = _official(spec)
    out = {}
    for row, lab in _t3_rows(spec):
        others = [_sim(lab, text) for r, text in official.items() if r != row]
        out[row] = max(FUZZY_THRESHOLD, max(others, default=0.0) + 0.1)
    return out


def _matches(text: str, keys: tuple[str, ...]) -> bool:
    n = _norm(text)
    if not n:
        return False
    for k in keys:
        if k.startswith("="):
            if n == k[1:] or (n.endswith(k[1:]) and len(n) - len(k) <= 2):
                return True
        elif _sim(k, n) >= FUZZY_THRESHOLD:
            return True
    return False


def _extra_label(text: str) -> str:
    """A row label as shown in a note: its last 30 characters, spaces folded."""
    t = " ".join(str(text).split())
    return t if len(t) <= 30 else "…" + t[-30:]


@dataclass
class _Row:
    """Numbers of one table row as found: by column (geometry) or in order."""

    toks: list[Tok]
    cols: list[int] | None  # column index of each number (geometry), else None
    first: int  # token index range in the section
    last: int
    lines: set[int] = field(default_factory=set)
    before: str = ""
    own: str = ""
    after: str = ""
    subtotal: bool = False
    broken: set[int] = field(default_factory=set)  # columns whose number wrapped: unknown
    over: int = 0  # numbers in order beyond the table's columns ("1 600" in one cell): unknown


def _centred_wraps(
    placed: list[Tok], cols: list[tuple[float, float]], labels: list[Tok]
) -> tuple[set[int], dict[int, set[int]]]:
    """A number too wide for its cell wrapped in a cell whose content is centred vertically (a web
    page printed by a browser; full-width digits wrap anywhere): its two pieces stand one above
    the other, and the row's other numbers, one line, level between them. Returns the pieces (by
    id: never read as numbers, so neither is taken for the whole) and, for each token of a row
    they straddle, the columns of that row to leave unknown. Rows whose numbers stand level (every
    number of another column level with one of the stacked ones) are never touched. Full-width
    pieces may fill every column of the row: then its label, level between them, tells."""

    def col(t: Tok) -> int | None:
        return next((k for k, (x0, x1) in enumerate(cols) if x0 - 0.5 <= (t.x0 or 0) <= x1 + 0.5), None)

    def centre(t: Tok) -> float:
        return (t.top + t.bottom) / 2

    by_col: dict[int, list[Tok]] = {}
    for t in placed:
        if (c := col(t)) is not None:
            by_col.setdefault(c, []).append(t)
    pieces: set[int] = set()
    broken_at: dict[int, set[int]] = {}
    for c, ts in by_col.items():
        ts.sort(key=lambda t: (t.page, t.top))
        for a, b in itertools.pairwise(ts):
            h = max(a.bottom - a.top, b.bottom - b.top, 1.0)
            stacked = (
                a.page == b.page
                and 0 <= b.top - a.bottom < 1.0 * h
                and (a.x0 or 0) <= (b.x1 or 0)
                and (b.x0 or 0) <= (a.x1 or 0)
            )
            if not stacked:
                continue
            between = [
                v
                for d, vs in by_col.items()
                if d != c
                for v in vs
                if v.page == a.page and centre(a) + 0.25 * h < centre(v) < centre(b) - 0.25 * h
            ]
            wide = _FULL_DIGIT.search(a.text) and _FULL_DIGIT.search(b.text)
            if not between and wide:  # every cell of the row wrapped: its label stands between
                lo, hi = centre(a) + 0.25 * h, centre(b) - 0.25 * h
                if any(v.page == a.page and lo < centre(v) < hi for v in labels):
                    pieces |= {id(a), id(b)}
                    continue
            if between:
                pieces |= {id(a), id(b)}
                for v in between:
                    broken_at.setdefault(id(v), set()).add(c)
    return pieces, broken_at


def _row_of(key: str) -> str:
    """A key's row: ``t3.granted`` of ``t3.granted.business``; 表四's group of ``t4.review_total``."""
    return key.rsplit(".", 1)[0] if key.startswith("t3.") else key.rsplit("_", 1)[0]


# -- the importer -------------------------------------------------------------------------------
class _Importer:
    def __init__(self, lines: list[Line], source: str, spec: FormSpec, kind: str, year: int | None) -> None:
        self.spec = spec
        self.lines = _clean(lines)
        self.source = source
        self.year_asked = year
        self.sub = Submission(spec=spec, source=source)
        self.res = ImportResult(self.sub, source_kind=kind)
        # numbers read from a page's word boxes in full-width digits (０-９): in a narrow cell such
        # a number wraps anywhere, into pieces over two, three or four lines that the rows' own
        # lines interleave with; what the identities then say of them (:meth:`_wide_pieces`)
        self.wide_read: set[str] = set()
        self.head_units: dict[str, str] = {}  # a column's unit printed in its header (表二)
        self.sub.meta["imported"] = "1"
        self.instance_year: int | None = None  # the year of the side-by-side instance read
        self.t3_split = True  # 表三 printed twice in its section is split into its instances
        self.t3_year: int | None = None  # the year of the 表三 instance read, when it had several
        self._compacts: dict[int, tuple[Line, str]] = {}  # id(line) -> (line, its text unspaced)

    def finding(
        self,
        code: str,
        message: str,
        key: str | None = None,
        severity: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        c = self.spec.cells.get(key or "")
        rule = self.spec.rules.get(code)
        sev = severity or (rule.severity if rule else ERROR)
        self.res.findings.append(
            Finding(
                code,
                sev,
                message,
                self.source,
                c.sheet if c else None,  # type: ignore[arg-type]
                c.a1 if c else None,
                key,
                expected,
                actual,
            )
        )

    def _where(self, t: Tok) -> str:
        return f"第{t.page}页第{t.line + 1}行" if self.res.source_kind == "pdf" else f"第{t.line + 1}行"

    # -- one report or several ----------------------------------------------------------------
    def _compact(self, i: int) -> str:
        """Line ``i``'s text without spaces, computed once per line (headings are looked for
        line by line in several numberings: a 300-page PDF spent seconds joining words again)."""
        ln = self.lines[i]
        got = self._compacts.get(id(ln))
        if got is None or got[0] is not ln:
            got = self._compacts[id(ln)] = (ln, re.sub(r"\s+", "", ln.text))
        return got[1]

    def _heading(self, i: int, number: str, word: str, style: int = 0) -> bool:
        """Whether line ``i`` heads section ``number`` (一 … 六) whose heading holds ``word``. Style
        0 is the national numbering (一、, also 一． or 一 with its 、 lost); others are a province's
        own: 1. / 1、(1), （1）(2), 第一部分 (3), （一）(4)."""
        c = self._compact(i)
        if len(c) >= 40 or word not in c:
            return False
        n = "一二三四五六".index(number) + 1
        if style == 0:
            if c.startswith((number + "、", number + "．", number + ".")):
                return True
            rest = SECTION_HEADINGS[f"s{n}"][2:6]  # 一总体情况: the 、 set apart and lost
            return c.startswith(number + rest)
        pattern = {
            1: rf"^{n}[.．、,，](?!\d)",
            2: rf"^[(（]{n}[)）]",
            3: rf"^第{number}(?:部分|章|节)",
            4: rf"^[(（]{number}[)）]",
        }[style]
        return re.match(pattern, c) is not None

    def _reports(self) -> list[tuple[int, int]]:
        """Line ranges of the reports in the document: each starts at its title (or its 一、总体情况)."""
        starts = [i for i in range(len(self.lines)) if self._heading(i, "一", "总体情况")]
        if len(starts) <= 1:
            return [(0, len(self.lines))]
        bounds = []
        for s in starts:
            b = s
            for j in range(s - 1, max(-1, s - 8), -1):  # the title shortly before
                if is_title(self._compact(j)[:200]):
                    b = j
                    break
            bounds.append(b)
        bounds[0] = 0
        parts = [
            (bounds[k], bounds[k + 1] if k + 1 < len(bounds) else len(self.lines)) for k in range(len(bounds))
        ]
        # a table of contents (headings, no tables) belongs to the report after it; a part without
        # a title of its own (a repeated heading) to the report before it
        merged: list[tuple[int, int]] = []
        carry: int | None = None
        for a, b in parts:
            a = carry if carry is not None else a
            carry = None
            if sum(1 for i in range(a, b) for w in self.lines[i].words if _strong(w.text)) < 15:
                carry = a
                continue
            if merged and self._title_in(a, b)[1] is None:
                merged[-1] = (merged[-1][0], b)
            else:
                merged.append((a, b))
        if carry is not None:
            merged = (
                [*merged[:-1], (merged[-1][0], len(self.lines))] if merged else [(carry, len(self.lines))]
            )
        return merged

    def _side_by_side(self) -> bool:
        """A comparison rendering (two instances printed side by side): the instance of the year
        asked is read; without --year, or when an instance's year cannot be told, nothing is read
        and the choice is said. False when nothing is to be read."""
        inst = side_by_side(self.lines)
        if inst is None:
            return True
        years = [i.year for i in inst]
        shown = "、".join(f"{i.side}{f'{i.year}年' if i.year else '（年度未知）'}" for i in inst)
        if None in years or len(set(years)) < len(years):
            self.finding(
                "IMPORT-NOT-ONE-REPORT",
                f"文件中左右并排印有 {len(inst)} 份表格（{shown}），无法确定各自的年度；"
                "为免把一份的数字读到另一份的标签下，未读取（未知，不按0计）",
            )
            return False
        pick = next((i for i in inst if i.year == self.year_asked), None)
        if pick is None:
            choice = " 或 ".join(f"--year {y}" for y in years[:6]) + ("等" if len(years) > 6 else "")
            self.finding(
                "IMPORT-NOT-ONE-REPORT",
                f"文件中左右并排印有 {len(inst)} 个年度的表格（{shown}，对比版式），"
                f"请用 {choice} 指定要读取的年度；未读取",
            )
            return False
        self.finding(
            "IMPORT-NOT-ONE-REPORT",
            f"文件中左右并排印有 {len(inst)} 个年度的表格（{shown}，对比版式），"
            f"只读取了{pick.side}{pick.year}年的一份（年度据其{pick.year_from}）",
            severity=WARNING,
        )
        self.lines = pick.lines
        self.instance_year = pick.year
        return True

    def _unfinished(self) -> None:
        """Marks that the document is not the finished report: 草稿 in its title or a banner
        (不得公开发布), 【待补充】 (xxgk render's mark of a section still to write), 示例文字."""
        found: dict[str, None] = {}
        for i in range(len(self.lines)):
            c = self._compact(i)
            if "待补充" in c:
                found["【待补充】"] = None
            if "示例文字" in c:
                found["示例文字"] = None
            if "不得公开发布" in c or (
                "草稿" in c and (i < 12 or c.startswith("草稿") or "年度报告（草稿）" in c)
            ):
                found["草稿"] = None
        self.res.unfinished = list(found)
        if found:
            marks = "、".join(f"“{m}”" for m in found)
            self.res.notes.append(f"报告中有{marks}字样：可能是未完成的稿件")

    def run(self) -> ImportResult:
        if not self._side_by_side():
            self.lines = []
            return self._finish()
        parts = self._reports()
        a, b = parts[0]
        if len(parts) > 1:
            titles = [self._title_in(x, y) for x, y in parts]
            years = {t[1] for t in titles}
            names = "、".join(f"{t[0] or '（未识别机关）'}{t[1] or ''}年" for t in titles[:6])
            if len(years) > 1:
                chosen = [p for p, t in zip(parts, titles, strict=True) if t[1] == self.year_asked]
                if not chosen:
                    self.finding(
                        "IMPORT-NOT-ONE-REPORT",
                        f"文件中有 {len(parts)} 份不同年度的报告（{names}），请用 --year 指定要读取的年度；未读取",
                    )
                    self.lines = []
                    return self._finish()
                a, b = chosen[0]
            self.finding(
                "IMPORT-NOT-ONE-REPORT",
                f"文件中有 {len(parts)} 份报告（{names}），只读取了"
                f"{'第一份' if len(years) == 1 else f'{self.year_asked}年的一份'}",
                severity=WARNING,
            )
        self.lines = self.lines[a:b]
        self._unfinished()
        self.toks = _tokens(self.lines)
        self.line_tok: list[int] = []  # first token index of each line
        k = 0
        for i in range(len(self.lines)):
            self.line_tok.append(k)
            k += len(self.lines[i].words)
        self.line_tok.append(k)
        self._title()
        idx: dict[str, int | None] = {}
        heads = (
            ("s1", "一", "总体情况"),
            ("s2", "二", "主动公开"),
            ("s3", "三", "申请"),
            ("s4", "四", "复议"),
            ("s5", "五", "问题"),
            ("s6", "六", "其他"),
        )
        is_head = [any(self._heading(i, n, w) for _, n, w in heads) for i in range(len(self.lines))]
        toc = set()  # a table of contents: three or more headings in a row, nothing between
        i = 0
        while i < len(is_head):
            j = i
            while j < len(is_head) and is_head[j]:
                j += 1
            if j - i >= 3:
                toc.update(range(i, j))
            i = j + 1

        def find(style: int) -> dict[str, int | None]:
            got: dict[str, int | None] = {}
            pos = 0
            for key, n, w in heads:
                found = next(
                    (
                        i
                        for i in range(pos, len(self.lines))
                        if (style or i not in toc) and self._heading(i, n, w, style)
                    ),
                    None,
                )
                got[key] = found
                if found is not None:
                    pos = found + 1
            return got

        idx = find(0)
        if sum(v is not None for v in idx.values()) < 3:  # a province's own numbering of the sections
            found_by = {st: find(st) for st in (1, 2, 3, 4)}
            st, alt = max(found_by.items(), key=lambda kv: sum(v is not None for v in kv[1].values()))
            if sum(v is not None for v in alt.values()) >= max(
                3, sum(v is not None for v in idx.values()) + 1
            ):
                idx = alt
                shown = {1: "1.", 2: "（1）", 3: "第一部分", 4: "（一）"}[st]
                self.res.notes.append(f"报告各部分按“{shown}”编号（不是“一、”），按此识别各部分")
        end = len(self.lines)
        order = ["s1", "s2", "s3", "s4", "s5", "s6"]
        self._sections(idx)

        def span(key: str) -> tuple[int, int]:
            start = idx[key]
            if start is None:
                return end, end
            nxt = [idx[k] for k in order[order.index(key) + 1 :] if idx[k] is not None]
            return start + 1, (nxt[0] if nxt else end)

        a2, b2 = span("s2")
        found = detect_format(re.sub(r"\s+", "", "".join(ln.text for ln in self.lines)))
        self.other_format = found if found is not None and found.id != self.spec.id else None
        if found is not None:
            self.res.notes.append(f"报告格式：{found.name}（{found.id}）")
        if self.other_format is not None:  # 表二's columns mean other things in the other format
            self.res.notes.append(
                f"这是{self.other_format.name}的报告，按{self.spec.name}读取：表二的列含义不同，未读入"
                + (
                    "（表三（六）其他处理为一行）"
                    if "t3.other_processing.total" in self.other_format.cells
                    else ""
                )
            )
            for row, keys, cols in _t2_rows(self.spec):
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表二“{keys[0].lstrip('=')}”：{self.other_format.name}的表二与{self.spec.name}的列含义不同，"
                    "未读入（未知，不按0计）",
                    key=f"t2.{row}.{cols[0]}",
                )
        else:
            self._t2(a2, b2)
        self._t3(*span("s3"))
        self._t4(*span("s4"))
        self._fees()
        self._texts(idx, span)
        if self.t3_year is not None and self.sub.year is not None and self.t3_year != self.sub.year:
            self._only_table_three()
        else:
            self._narrative()
        return self._finish()

    def _only_table_three(self) -> None:
        """表三 of another year than the report's (a comparison column or table, chosen by --year):
        the tables printed once (表二, 表四, the fees) are the report's year, not the year read,
        so they are unknown here, never another year's numbers; the year read is the one asked.
        The text is the report's year too: it is not checked against this 表三."""
        report_year, year = self.sub.year, self.t3_year
        for key in self.spec.numeric_keys:
            if key.startswith("t3.") or key not in self.sub.where:
                continue
            self.sub.values.pop(key, None)
            self.sub.reported.pop(key, None)
            del self.sub.where[key]
        for zh, prefix in (("表二", "t2."), ("表四", "t4."), ("第六部分的收费数字", "s6.")):
            first = next((k for k in self.spec.numeric_keys if k.startswith(prefix)), None)
            if first is not None:
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"{zh}只印了报告年度（{report_year}年）的一份，不是所读的 {year} 年，未读取（未知，不按0计）",
                    key=first,
                )
        self.sub.cover["year"] = year
        self.res.notes.append(f"只读取了表三 {year} 年的一组；报告本身是 {report_year} 年的")

    def _finish(self) -> ImportResult:
        keys = self.spec.numeric_keys
        if self.wide_read:
            self._wide_pieces()
        self.res.found = sum(1 for k in keys if k in self.sub.where)
        self.res.expected = len(keys)
        self._identities()
        # nothing read (a refused document), or read into another format than the one printed (the
        # identities are the form's asked, not the table's): nothing is derived
        if self.lines and getattr(self, "other_format", None) is None:
            self._derive()
        self.res.unknown = [k for k in keys if k not in self.sub.where]
        if self.res.unknown:
            self.sub.meta["unknown"] = ",".join(self.res.unknown)
        return self.res

    def _derive(self) -> None:
        """Numbers not read that the table's arithmetic fixes (:mod:`toolkit.importers.derive`):
        kept apart from those read (``derived``, their place ``由合计推算``), each row's said in
        one finding with the identities used. A row's IMPORT-NOT-FOUND whose every number was
        derived becomes that finding; a row still partly unknown keeps it."""
        read = [k for k in self.spec.numeric_keys if k in self.sub.where]
        got = derive(self.spec, read, lambda k: self.sub.values.get(k, self.sub.reported.get(k)))
        # a cell where the report prints a number refused (implausible, a wrong unit): the page says
        # something there, and it is not replaced by what the arithmetic would make it
        refused = {f.key for f in self.res.findings if f.code in ("VALUE-IMPLAUSIBLE", "VALUE-UNIT")}
        got = {k: v for k, v in got.items() if k not in refused}
        if not got:
            return
        by_row: dict[str, list[str]] = {}
        for k in self.spec.numeric_keys:  # form order
            if k not in got:
                continue
            value, _ = got[k]
            if self.spec.cells[k].kind == "total":
                self.sub.reported[k] = value
            else:
                self.sub.values[k] = value
            self.sub.where[k] = DERIVED_WHERE
            row = k.rsplit(".", 1)[0] if k.startswith("t3.") else k.rsplit("_", 1)[0]
            by_row.setdefault(row, []).append(k)
        self.res.derived = [k for ks in by_row.values() for k in ks]
        self.sub.meta["derived"] = ",".join(self.res.derived)
        for row, ks in by_row.items():
            label = self.spec.cells[ks[0]].label
            table = self.spec.cells[ks[0]].sheet or ""
            if row.startswith("t3."):
                name = label.removeprefix(table).strip().rsplit("／", 1)[0]
                items = "、".join(f"{self.spec.cells[k].label.rsplit('／', 1)[-1]} {got[k][0]}" for k in ks)
            else:
                name = label.removeprefix(table).strip().split("·", 1)[0]
                items = "、".join(f"{self.spec.cells[k].label.rsplit('·', 1)[-1]} {got[k][0]}" for k in ks)
            how = "；".join(dict.fromkeys(h for k in ks for h in got[k][1]))
            said = (
                f"由合计推算为：{items}（依据：{how}；所用的其余数字都是从报告中读出的）。"
                "这些数字不是从报告中读出的，请与原文核对"
            )
            rest = [k for k in self.spec.numeric_keys if k not in self.sub.where and k.startswith(row + ".")]
            at = next(
                (
                    i
                    for i, f in enumerate(self.res.findings)
                    if f.code == "IMPORT-NOT-FOUND"
                    and f.key is not None
                    and f.key.rsplit(".", 1)[0] == row
                    and f.message.endswith(_UNKNOWN_TAIL)
                ),
                None,
            )
            if at is not None and not rest and row.startswith("t3."):
                f = self.res.findings[at]
                self.res.findings[at] = dataclasses.replace(
                    f,
                    code="IMPORT-DERIVED",
                    severity=WARNING,
                    message=f.message.removesuffix(_UNKNOWN_TAIL) + "这一行的数字" + said,
                )
                continue
            self.finding(
                "IMPORT-DERIVED",
                f"{table}“{name}”{'一行' if row.startswith('t3.') else ''}未能读出的数字" + said,
                key=ks[0],
                severity=WARNING,
            )
        self.res.notes.append(
            f"{len(self.res.derived)} 个未能读出的数字由表内合计关系推算（不计入读出的数字）"
        )

    def _title_in(self, a: int, b: int) -> tuple[str, int | None]:
        agency, year, _ = title_of([self.lines[i].text for i in range(a, min(b, a + 40))])
        return agency, year

    def _sections(self, idx: dict[str, int | None]) -> None:
        """Which of the six sections the report has (by heading), said when some are missing; and
        the publication date where the page or document states it."""
        self.res.sections = {k: idx.get(k) is not None for k in SECTION_HEADINGS}
        missing = [SECTION_HEADINGS[k] for k, there in self.res.sections.items() if not there]
        if missing and len(missing) < len(SECTION_HEADINGS):
            self.res.notes.append("报告没有以下部分（未找到其标题）：" + "；".join(missing))
        when, how = publication_date([ln.text for ln in self.lines], self.sub.year)
        if when is not None:
            self.res.published = when.isoformat()
            self.res.notes.append(f"发布日期：{when.isoformat()}（据{how}）")

    def _title(self) -> None:
        agency, year = self._title_in(0, len(self.lines))
        if self.instance_year is not None and year != self.instance_year:
            year = self.instance_year  # the instance read is of this year, whatever a shared title says
        if year is not None:
            self.sub.cover["year"] = year
            if agency:
                self.sub.cover["agency"] = agency
            return
        self.finding(
            "IMPORT-NOT-FOUND",
            "没有找到报告标题（“某机关XXXX年政府信息公开工作年度报告”），机关名称和年度未读出",
            key="cover.agency",
        )

    # -- reading cells ------------------------------------------------------------------------
    def _put(self, key: str, tok: Tok) -> None:
        cell = self.spec.cells[key]
        kind = cell.type.kind if cell.type else "int"
        text = tok.text
        if text == BLANK:
            self.res.notes.append(f"{cell.label}：空白单元格按0计")
            text = ""
        unit = cell.type.unit if cell.type is not None else ""
        p = parse_number(text, kind, unit)
        if p.problem == "unit_conflict":  # money in a count cell, a count in a money cell
            self.finding(
                "VALUE-UNIT",
                f"{cell.label}：公开报告中的“{_quoted(text)}”带有单位“{p.unit}”，但这一格应为"
                f"{'金额' if kind == 'decimal' else '件数'}（{unit}），未读入（未知，不按0计）",
                key=key,
                severity=ERROR,
                actual=text[:40],
            )
            return
        value: Number = p.value if p.value is not None else 0
        if (why := implausible(value, kind)) is not None:  # before 换算为: it is not read at all
            self.finding(
                "VALUE-IMPLAUSIBLE",
                f"{cell.label}：公开报告中的数字 {_quoted(text)} {why}，未读入（未知）",
                key=key,
                actual=text[:40],
            )
            return
        if p.converted:  # 元 in the 万元 column: the amount the report means, said
            shown = f"{Decimal(value).normalize():f}"  # 1E-24 written out, as a person reads it
            self.finding(
                "VALUE-UNIT",
                f"{cell.label}：公开报告中的“{_quoted(text)}”单位是{p.unit}，本格单位为{unit}，换算为 {shown}{unit}",
                key=key,
                severity=WARNING,
                expected=shown,
                actual=text[:40],
            )
        if p.problem == "placeholder":
            self.res.notes.append(f"{cell.label}：“{text}”按0计")
        if p.unit and cell.type is not None and not cell.type.unit:  # a format that states no unit
            self.res.notes.append(f"{cell.label}：原文单位为“{p.unit}”，按原文数字读入，未换算")
        if not p.unit and unit and kind == "decimal" and unit not in cell.label and value:
            value = self._head_unit(key, cell.label, text, value, unit)
            if value is None:
                return  # no unit anywhere: unknown (the format states none; never guessed)
        if cell.kind == "total":
            self.sub.reported[key] = value
        else:
            self.sub.values[key] = value
        self.sub.where[key] = self._where(tok)
        if self.res.source_kind == "pdf" and _FULL_DIGIT.search(tok.text):  # a page's word boxes
            self.wide_read.add(key)

    def _head_unit(self, key: str, label: str, text: str, value: Number, unit: str) -> Number | None:
        """A money cell whose unit the form does not print (2019 采购总金额, 万元 in the workbook) and
        the report wrote without one: the unit of its column's header (采购总金额（元）: converted,
        said); with none anywhere None: the amount is unknown (元 or 万元 cannot be told: never
        guessed), said at its cell."""
        head = self.head_units.get(key)
        if head == unit:
            return value
        if head is not None and (factor := _CONVERT.get((head, unit))) is not None:
            converted = Decimal(value) * factor
            self.finding(
                "VALUE-UNIT",
                f"{label}：公开报告表头注明单位为{head}，“{_quoted(text)}”换算为 {converted.normalize():f}{unit}",
                key=key,
                severity=WARNING,
                expected=f"{converted.normalize():f}",
                actual=text[:40],
            )
            return converted
        self.finding(
            "IMPORT-NOT-FOUND",
            f"{label}：公开报告中的“{_quoted(text)}”未注明单位（元还是{unit}，格式未规定），无法确定金额，"
            f"未读取（未知，不按0计）；请核对原文，按{unit}填入（原文为元的除以10000）",
            key=key,
            actual=text[:40],
        )
        return None

    def _range(self, a: int, b: int) -> list[Tok]:
        return self.toks[self.line_tok[a] : self.line_tok[b]] if a < b else []

    def _segments(self, toks: list[Tok]) -> list[Tok]:
        """Consecutive label words of one line joined: a label with spaces inside is one segment."""
        out: list[Tok] = []
        for t in toks:
            if not t.num and out and not out[-1].num and out[-1].line == t.line:
                out[-1] = Tok(out[-1].text + t.text, t.line, False, out[-1].x0, t.x1, t.top, t.bottom, t.page)
            else:
                out.append(t)
        return out

    def _t2(self, a: int, b: int) -> None:
        """表二 as the spec lays it out: each row's label (in the form's order), then as many
        numbers as the row has columns. Block captions and column headers between rows are text
        and skipped; a row whose label or numbers are not there is unknown, never 0. A label
        with numbers after it that is none of the form's rows (a province's 行政确认) is noted."""
        segs = self._segments(self._range(a, b))
        used: set[int] = set()
        self._t2_rows(segs, used)
        j = 0
        while j < len(segs) - 1:
            if not segs[j].num and segs[j + 1].num and j + 1 not in used and segs[j + 1].text != BLANK:
                k = j + 1
                while k < len(segs) and segs[k].num and k not in used:
                    k += 1
                nums = " ".join(t.text for t in segs[j + 1 : k])
                self.res.notes.append(
                    f"表二有本格式没有的一行“{_extra_label(segs[j].text)}”（{nums}），可能是地方格式增加的行，未读入"
                )
                j = k
            else:
                j += 1

    def _t2_rows(self, segs: list[Tok], used: set[int]) -> None:
        pos = 0
        order: dict[tuple[str, ...], str | None] = {}  # a block's column headers, when out of order
        for row, keys, cols in _t2_rows(self.spec):
            n = len(cols)
            i = next((j for j in range(pos, len(segs)) if self._t2_label_at(segs, pos, j, keys)), None)
            if i is not None and i + 1 < len(segs) and not segs[i + 1].num:
                i = self._t2_continued(segs, i, keys[0])
            if i is not None and n > 1:
                heads = [_norm(self.spec.cells[f"t2.{row}.{c}"].label.rsplit("／", 1)[-1]) for c in cols]
                text = _norm("".join(t.text for t in segs[pos:i] if not t.num))
                at = [text.find(h) for h in heads]
                for c, h, x in zip(cols, heads, at, strict=True):  # 采购总金额（万元）: the header's unit
                    if x >= 0 and (m := _HEAD_UNIT.match(text, x + len(h))) is not None:
                        self.head_units[f"t2.{row}.{c}"] = m.group(1)
                if min(at) >= 0 and all(text.count(h) == 1 for h in heads):  # this block's header
                    order[tuple(cols)] = (
                        None
                        if at == sorted(at)
                        else "、".join(h for _, h in sorted(zip(at, heads, strict=True)))
                    )
                if (shown := order.get(tuple(cols))) is not None:  # numbers are placed by position
                    self.finding(
                        "IMPORT-NOT-FOUND",
                        f"表二“{_cell_row_label(self.spec, 't2', row)}”一行未读取：表头的列顺序与国家格式不同"
                        f"（{shown}），无法确定各数字所属的列（未知，不按0计）",
                        key=f"t2.{row}.{cols[0]}",
                    )
                    pos = i + 1 + n
                    continue
            nums = segs[i + 1 : i + 1 + n] if i is not None else []
            if i is None or len(nums) < n or not all(t.num for t in nums):
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表二“{_cell_row_label(self.spec, 't2', row)}”一行"
                    f"{'未找到' if i is None else '的数字不全'}，未读取（未知，不按0计）",
                    key=f"t2.{row}.{cols[0]}",
                )
                continue
            k = i + 1 + n  # more numbers than columns ("1 600", two numbers in a cell): which is whose?
            while k < len(segs) and segs[k].num and segs[k].text != BLANK:
                k += 1
            if k > i + 1 + n:
                shown = " ".join(t.text for t in segs[i + 1 : k])
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表二“{_cell_row_label(self.spec, 't2', row)}”一行有 {k - i - 1} 个数字（{shown[:60]}），"
                    f"多于该行的 {n} 列，无法确定各数字所属的列，未读取（未知，不按0计）",
                    key=f"t2.{row}.{cols[0]}",
                )
                used.update(range(i + 1, k))
                pos = k
                continue
            for col, tok in zip(cols, nums, strict=True):
                self._put(f"t2.{row}.{col}", tok)
            used.update(range(i + 1, i + 1 + n))
            pos = i + 1 + n

    @staticmethod
    def _t2_label_at(segs: list[Tok], pos: int, j: int, keys: tuple[str, ...]) -> bool:
        """Whether the label ``keys`` ends at segment ``j``: the segment itself, or, right before
        the row's numbers, the one or two text segments above it joined with it, together no
        longer than the label and two characters (a label wrapped with its numbers on its last
        line: "其他对外管理" / "服务事项 0 0 0")."""
        if segs[j].num:
            return False
        if _matches(segs[j].text, keys):
            return True
        if j + 1 >= len(segs) or not segs[j + 1].num or segs[j + 1].line != segs[j].line:
            return False  # the numbers on the line of the label's last part, not a column apart
        text = segs[j].text
        for k in range(j - 1, max(pos, j - 2) - 1, -1):
            if segs[k].num:
                return False
            text = segs[k].text + text
            if len(_norm(text)) <= len(keys[0].lstrip("=")) + 2 and _matches(text, keys):
                return True
        return False

    @staticmethod
    def _t2_continued(segs: list[Tok], i: int, key: str) -> int:
        """A label matched in part at segment ``i`` whose rest stands on the next line(s) with the
        row's numbers after it ("其他对外管理服务" / "事项 0 0 0"): the segment the label ends at.
        Only when the label is whole in the joined text, which is no longer than the label and two
        characters, and the numbers stand on its last line (text listed column by column, as
        pdftotext without -layout gives it, has its numbers lines apart: never read as a row)."""
        label = key.lstrip("=")
        if label in _norm(segs[i].text):
            return i
        text = segs[i].text
        for j in (i + 1, i + 2):
            if j + 1 >= len(segs) or segs[j].num:
                break
            text += segs[j].text
            joined = _norm(text)
            if len(joined) > len(label) + 2:
                break
            if label in joined and segs[j + 1].num and segs[j + 1].line == segs[j].line:
                return j  # the numbers on the line of the label's last part, not a column apart
        return i

    # -- 表三 -----------------------------------------------------------------------------------
    def _t3(self, a: int, b: int) -> None:
        toks = self._range(a, b)
        spec_rows = _t3_rows(self.spec)
        t3_cols = _t3_cols(self.spec)
        first_num = next((i for i, t in enumerate(toks) if t.num), None)
        if first_num is None:
            for row, _ in spec_rows:
                self._t3_missing(row, "未找到")
            return
        header = _norm("".join(t.text for t in toks[:first_num]))
        if (order := _t3_header_order(header)) is not None:
            # the four 法人或其他组织 columns printed in another order: numbers are placed by
            # position, so every one would land in a neighbour's column. Unknown, never misplaced
            for row, _ in spec_rows:
                self._t3_missing(
                    row, f"未读取：表头的列顺序与国家格式不同（{order}），无法确定各数字所属的列"
                )
            return
        width = 7
        if "小计" in header:
            width = 8
            self.res.notes.append("表三有“法人或其他组织”小计列（地方格式），小计未读取")
        years = list(dict.fromkeys(re.findall(r"(20\d\d)年", header)))
        reps = 1
        if len(years) == 2:
            reps = 2
            if self.year_asked is None or int(self.year_asked) not in map(int, years):
                self.finding(
                    "IMPORT-NOT-ONE-REPORT",
                    f"表三并列了 {years[0]} 年和 {years[1]} 年两个年度的数字，请用 --year {years[0]} 或 "
                    f"--year {years[1]} 指定要读取的年度；表三未读取",
                )
                return
            self.res.notes.append(
                f"表三并列了 {years[0]}、{years[1]} 两个年度，读取 {self.year_asked} 年的一组"
            )
            self.t3_year = int(self.year_asked)
        total_w = width * reps
        rows = self._number_rows(toks, first_num, total_w)
        pick = years.index(str(self.year_asked)) if reps == 2 else 0
        self._windows(toks, rows)
        if self.t3_split and reps == 1:
            self.t3_split = False
            got = self._t3_instances(a, b, rows)
            if got is not None:
                if got:
                    self._t3(*got)
                else:
                    for row, _ in spec_rows:
                        self._t3_missing(row, "未读取：表三印了不止一份，无法确定读哪一份")
                return
        if self._column_wise(rows):
            self.res.notes.append("表三的文字是按列排列的（每列数字在一起），无法确定数字所在的行")
            for row, _ in spec_rows:
                self._t3_missing(
                    row, "未读取：文本中表格按列排列（如 pdftotext 不加 -layout 的输出），请使用 PDF 原件"
                )
            return
        row_keys = {r for r, _ in spec_rows}
        # a spec whose （六） has sub-items reading a report with one （六）其他处理 row
        single = "other_misc" in row_keys and self._single_other(rows)
        expected = [
            (r, lab)
            for r, lab in spec_rows
            if not (single and r in ("other_no_correction", "other_fee_unpaid"))
        ]
        row_labels = {lab for _, lab in expected}
        if single:
            expected = [(r, "六其他处理" if r == "other_misc" else lab) for r, lab in expected]
        elif self.other_format is not None:  # rows the report's format does not have: unknown,
            theirs = _rows_of(self.other_format, "t3")  # never read from a neighbour's numbers
            for r, _ in expected:
                if r not in theirs:
                    self._t3_missing(r, f"在{self.other_format.name}中没有对应的一行")
            expected = [(r, lab) for r, lab in expected if r in theirs]

        def subtotal(r: _Row) -> bool:  # a local variant's subtotal row for （三）–（六）: not the form's
            label = (r.before + r.own)[-12:]
            return not single and any(label.endswith(g) for g in _GROUPS if g not in row_labels)

        for r in rows:
            r.subtotal = subtotal(r)
        if any(r.subtotal for r in rows):
            self.res.notes.append("表三有（三）至（六）的小计行（地方格式），小计未读取")
        cand = [r for r in rows if not r.subtotal]
        why: dict[str, str] = {}
        if self._cell_lines(toks, first_num, rows):
            placed, runs, why = self._in_cell_order(
                toks, first_num, expected, total_w, width == 7 and reps == 1
            )
            cand = [r for r in runs if not subtotal(r)]
        else:
            placed = self._align(expected, cand)
        used = {id(r) for r in placed if r is not None}
        for r in cand:  # a row the form does not have (a province's own row): said, never added in
            label = _extra_label(r.own or r.before)
            if id(r) not in used and label and any(t.text != BLANK for t in r.toks):
                self.res.notes.append(
                    f"表三有本格式没有的一行“{label}”"
                    f"（{' '.join(t.text for t in r.toks[:8])}），可能是地方格式增加的行，未读入"
                )
        for (row, _lab), r in zip(expected, placed, strict=True):
            if r is None:
                self._t3_missing(row, why.get(row, "未找到"))
                continue
            cells = None if r.over else self._row_cells(r, width, total_w, pick)
            if r.over:
                self._t3_missing(
                    row,
                    f"有 {total_w + r.over} 个数字，多于表格的 {total_w} 列（可能有单元格印了两个数字），"
                    "无法确定各数字所属的列",
                )
                continue
            if cells is None:
                self._t3_missing(row, "的数字不全")
                continue
            missing = [c for c in t3_cols if c not in cells]
            for col, tok in cells.items():
                self._put(f"t3.{row}.{col}", tok)
            if missing:
                self._t3_missing(
                    row, "的数字不全（缺 " + "、".join(self._col_zh(c) for c in missing) + "）", missing[0]
                )
            if single and row == "other_misc":
                for k in ("other_no_correction", "other_fee_unpaid"):  # not rows of that format: 0
                    for col in t3_cols:
                        if col != "total":
                            self.sub.values[f"t3.{k}.{col}"] = 0
                        self.sub.where[f"t3.{k}.{col}"] = self.sub.where.get(f"t3.other_misc.{col}", "")
                self.res.notes.append("表三只有一行“（六）其他处理”（2019年格式），计入“3.其他”")

    @staticmethod
    def _cell_lines(toks: list[Tok], start: int, rows: list[_Row]) -> bool:
        """Text that lists the table one cell a line (``pdftotext`` without ``-layout``, a page
        copied cell by cell): no geometry, and every number alone on its line."""
        if not rows or any(r.cols is not None for r in rows):
            return False
        per_line: dict[int, int] = {}
        for t in toks[start:]:
            per_line[t.line] = per_line.get(t.line, 0) + 1
        return all(per_line[t.line] == 1 for t in toks[start:] if t.num)

    def _in_cell_order(
        self, toks: list[Tok], start: int, expected: list[tuple[str, str]], width: int, checkable: bool
    ) -> tuple[list[_Row | None], list[_Row], dict[str, str]]:
        """表三 from text listing it one cell a line. Each row's label comes before its numbers,
        but a PDF whose label column is much wider than its numbers has some cells written out of
        order: a row's total after the next row's label (6 numbers, then 8), two rows' numbers
        after their two labels, alternating, or numbers before their labels. A number is placed
        only where that is certain: the labels found between two runs of numbers (in form order)
        own the run after them, and a run is read when it holds exactly ``width`` numbers a label.
        A run of several rows is read row after row or column by column, whichever alone makes
        every row's total the sum of its parts. Anything else stays unknown, said why.
        Returns the rows placed (per expected row), all runs' rows, and each unplaced row's reason."""
        runs: list[tuple[str, list[Tok], int, int]] = []  # (label text before, numbers, first, last)
        gap = [t.text for t in toks[:start] if not t.num]
        cur: list[int] = []
        for i in range(start, len(toks) + 1):
            t = toks[i] if i < len(toks) else None
            if t is not None and t.num:
                cur.append(i)
                continue
            if cur:
                runs.append((_norm("".join(gap))[-2 * _WINDOW :], [toks[k] for k in cur], cur[0], cur[-1]))
                gap, cur = [], []
            if t is not None:
                gap.append(t.text)
        limit = _thresholds(self.spec)
        cands: list[tuple[int, int, int, float]] = []  # (expected row, run, label's end in its gap, sim)
        for e, (row, lab) in enumerate(expected):
            for g, (text, _, _, _) in enumerate(runs):
                short = next((s for s in _T3_SHORT.get(row, ()) if text.endswith(s)), None)
                if short is not None:
                    cands.append((e, g, len(text), 1.0))
                    continue
                if lab in text:  # each place it is printed ("总计" heads a column too)
                    cands += [(e, g, m.end(), 1.0) for m in re.finditer(re.escape(lab), text)]
                    continue
                sim, _, _, end = _match(lab, text)
                if sim >= limit.get(row, FUZZY_THRESHOLD):
                    cands.append((e, g, end, sim))
        # the best chain of labels in form order and in text order (a monotone alignment)
        # the best chain of labels in form order and in text order (a monotone alignment), in
        # time linear in the candidates: at each place, the best chain ending at each form row
        cands.sort(key=lambda c: (c[1], c[2], c[0]))
        best: list[tuple[float, int]] = [(0.0, -1)] * len(cands)
        ending: list[tuple[float, int]] = [(0.0, -1)] * len(expected)  # best chain ending at row e
        for _, group in itertools.groupby(range(len(cands)), key=lambda k: cands[k][1:3]):
            ks = list(group)
            for k in ks:  # chains end strictly before this place
                e, sim = cands[k][0], cands[k][3]
                prev = max(ending[:e], default=(0.0, -1), key=lambda b: b[0])
                best[k] = (prev[0] + sim, prev[1]) if prev[1] >= 0 else (sim, -1)
            for k in ks:
                e = cands[k][0]
                if best[k][0] > ending[e][0]:
                    ending[e] = (best[k][0], k)
        chain: list[tuple[int, int]] = []
        k = max(range(len(cands)), key=lambda k: best[k][0], default=-1)
        while k >= 0:
            chain.append((cands[k][0], cands[k][1]))
            k = best[k][1]
        chain.reverse()
        owners: dict[int, list[int]] = {}
        for e, g in chain:
            owners.setdefault(g, []).append(e)
        placed: list[_Row | None] = [None] * len(expected)
        all_rows: list[_Row] = []
        why: dict[str, str] = {}
        for g, (text, nums, first, last) in enumerate(runs):
            es = owners.get(g, [])
            if not es:  # numbers under no label of the form: a province's own row, or stray cells
                all_rows.append(_Row(nums, None, first, last, {t.line for t in nums}, text[-_WINDOW:]))
                continue
            k, n = len(es), len(nums)
            while n > k * width and nums[n - 1].text == BLANK:  # the next row's empty label cells
                n -= 1  # (a web page's merged group column, copied cell by cell)
            nums = nums[:n]
            if n != k * width:
                for e in es:
                    why[expected[e][0]] = (
                        f"在文本中后随 {n} 个数字（应为 {k * width} 个），数字的次序被打乱（如 pdftotext 不加"
                        " -layout 的输出），无法确定各数字所属的行和列"
                        if k == 1
                        else f"和紧随其后的另外 {k - 1} 行的标签之后共有 {n} 个数字（应为 {k * width} 个），"
                        "文本中数字的次序被打乱，无法确定各数字所属的行和列"
                    )
                continue
            splits = [[nums[j * width : (j + 1) * width] for j in range(k)]]
            if k > 1:
                splits.append([nums[j::k] for j in range(k)])  # column by column
                fits = [s for s in splits if checkable and all(self._adds_up(r) for r in s)]
                if not fits or any(
                    [t.text for t in r] != [t.text for t in q] for r, q in zip(fits[0], fits[-1], strict=True)
                ):
                    for e in es:
                        why[expected[e][0]] = (
                            f"与另外 {k - 1} 行的数字排在一起（{n} 个），按行或按列读都不能由各行的合计"
                            "确定哪些数字属于哪一行，无法确定各数字所属的行"
                        )
                    continue
                splits = fits[:1]
            for e, part in zip(es, splits[0], strict=True):
                r = _Row(part, None, first, last, {t.line for t in part}, text[-_WINDOW:])
                placed[e] = r
                all_rows.append(r)
        return placed, all_rows, why

    @staticmethod
    def _adds_up(part: list[Tok]) -> bool:
        """A row's seven numbers: the six applicant columns add up to the total."""
        vals = [parse_number(t.text, "int") for t in part]
        if any(v.problem is not None or v.value is None for v in vals):
            return False
        return sum(v.value for v in vals[:-1]) == vals[-1].value

    def _t3_instances(self, a: int, b: int, rows: list[_Row]) -> tuple[int, ...] | None:
        """表三 printed more than once in its section (one table after another: two years' tables,
        or a web page's comparison of two tables side by side that reads one after the other):
        the line range of the instance of the year asked; () when it cannot be chosen (said);
        None when the table is printed once. Each instance's year is the one its header prints."""
        num_lines = sorted({t.line for r in rows for t in r.toks})
        opens = [i for i in range(a, b) if "本年新收" in self._compact(i)]
        starts: list[int] = []  # lines where an instance's 本年新收 row begins
        for i in opens:  # a full table's numbers between one instance's first row and the next
            between = (
                bisect.bisect_left(num_lines, i) - bisect.bisect_left(num_lines, starts[-1]) if starts else 0
            )
            if not starts or between >= 10:
                starts.append(i)
        if len(starts) < 2:
            return None
        bounds = [a]  # an instance begins after the last number line of the one before
        for i in starts[1:]:
            k = bisect.bisect_left(num_lines, i)
            bounds.append(num_lines[k - 1] + 1 if k else a)
        bounds.append(b)
        years: list[int | None] = []
        for n, k in enumerate(starts):
            head = " ".join(self.lines[i].text for i in range(bounds[n], k))
            found = set(re.findall(r"((?:19|20)\d\d)\s*年", unicodedata.normalize("NFKC", head)))
            years.append(int(found.pop()) if len(found) == 1 else None)
        # the first few named (a text holding the table hundreds of times named every one)
        shown = "、".join(f"第{n + 1}份{f'{y}年' if y else '（年度未知）'}" for n, y in enumerate(years[:6]))
        shown += "等" if len(years) > 6 else ""
        if None in years or len(set(years)) < len(years):
            self.finding(
                "IMPORT-NOT-ONE-REPORT",
                f"表三印了 {len(starts)} 份（{shown}），无法确定各自的年度；为免读错，表三未读取",
            )
            return ()
        if self.year_asked not in years:
            choice = " 或 ".join(f"--year {y}" for y in years[:6]) + ("等" if len(years) > 6 else "")
            self.finding(
                "IMPORT-NOT-ONE-REPORT",
                f"表三印了 {len(starts)} 个年度（{shown}），请用 {choice} 指定要读取的年度；表三未读取",
            )
            return ()
        n = years.index(self.year_asked)
        self.res.notes.append(f"表三印了 {len(starts)} 个年度（{shown}），读取 {self.year_asked} 年的一份")
        self.t3_year = self.year_asked
        return bounds[n], bounds[n + 1]

    def _col_zh(self, col: str) -> str:
        c = next(c for c in self.spec.cells.values() if c.table == "t3" and c.col_key == col)
        return c.label.rsplit("／", 1)[-1]

    def _t3_missing(self, row: str, what: str, col: str | None = None) -> None:
        col = col or _t3_cols(self.spec)[0]
        lab = _cell_row_label(self.spec, "t3", row)
        self.finding(
            "IMPORT-NOT-FOUND",
            f"表三“{lab}”一行{what}，{_UNKNOWN_TAIL}",
            key=f"t3.{row}.{col}",
        )

    def _columns(self, nums: list[Tok], n: int) -> list[tuple[float, float]] | None:
        """The n columns of the table as x intervals: number boxes that overlap horizontally belong
        to one column. None when the numbers do not fall into exactly n columns."""
        if any(t.x0 is None for t in nums):
            return None
        spans: list[list[float]] = []
        for t in sorted(nums, key=lambda t: t.x0 or 0):
            x0, x1 = float(t.x0 or 0), float(t.x1 or 0)
            if spans and x0 <= spans[-1][1] + 0.5:
                spans[-1][1] = max(spans[-1][1], x1)
            else:
                spans.append([x0, x1])
        if len(spans) > n:  # stray numbers (a page number, a note) outside the table's columns
            counts = [sum(1 for t in nums if s[0] <= (t.x0 or 0) <= s[1]) for s in spans]
            keep = sorted(sorted(range(len(spans)), key=lambda k: -counts[k])[:n])
            if any(counts[k] > 2 for k in range(len(spans)) if k not in keep):
                return None
            spans = [spans[k] for k in keep]
        if len(spans) != n:
            return None
        return [(s[0], s[1]) for s in spans]

    def _number_rows(self, toks: list[Tok], start: int, width: int) -> list[_Row]:
        nums = [t for t in toks[start:] if t.num]
        placed = [t for t in nums if t.x0 is not None]
        cols = self._columns(placed, width) if nums and len(placed) >= 0.9 * len(nums) else None
        labels = [t for t in toks[start:] if not t.num and t.x0 is not None]
        pieces, broken_at = _centred_wraps(placed, cols, labels) if cols is not None else (set(), {})
        rows: list[_Row] = []
        cur: _Row | None = None

        def flush() -> None:
            nonlocal cur
            if cur is not None:
                rows.append(cur)
            cur = None

        line_has_text_before: set[int] = set()
        seen_num_on: set[int] = set()
        for i in range(start, len(toks)):
            t = toks[i]
            if not t.num:
                if t.line not in seen_num_on:
                    line_has_text_before.add(t.line)
                if cols is None and cur is not None:
                    flush()  # without geometry, text between numbers ends a row
                continue
            seen_num_on.add(t.line)
            if cols is not None:
                if t.x0 is None or id(t) in pieces:
                    continue
                c = next((k for k, (x0, x1) in enumerate(cols) if x0 - 0.5 <= (t.x0 or 0) <= x1 + 0.5), None)
                if c is None:
                    continue
                if cur is not None:
                    last = cur.toks[-1]
                    h = max(last.bottom - last.top, 1.0)
                    if (
                        c <= (cur.cols or [-1])[-1]
                        or t.page != last.page
                        or (t.line != last.line and t.top - last.bottom > 1.2 * h)
                    ):
                        flush()
                if cur is None:
                    cur = _Row([], [], i, i)
                cur.toks.append(t)
                assert cur.cols is not None
                cur.cols.append(c)
            else:
                if cur is not None and t.line not in cur.lines and t.line in line_has_text_before:
                    flush()  # a new labelled line starts a new row
                if cur is None:
                    cur = _Row([], None, i, i)
                cur.toks.append(t)
            cur.last = i
            cur.lines.add(t.line)
            if len(cur.toks) >= width:
                flush()
        flush()
        if cols is None:  # a full row, then a few more numbers before any text: more numbers than
            # columns (two numbers in one cell, "1 600"), which is whose cannot be told
            for r, nxt in itertools.pairwise(rows):
                if (
                    len(r.toks) == width
                    and 0 < len(nxt.toks) < width
                    and nxt.toks[0].text != BLANK
                    and all(toks[k].num for k in range(r.last + 1, nxt.first))
                ):
                    r.over = sum(1 for t in nxt.toks if t.text != BLANK)
        if cols is not None:
            rows = self._wrapped_digits(toks, rows, width)
            for r in rows:
                for t in r.toks:
                    r.broken |= broken_at.get(id(t), set())
        else:  # a line with more numbers than the table has columns ("1 342" for 1,342): no row
            per_line: dict[int, int] = {}
            for t in nums:
                per_line[t.line] = per_line.get(t.line, 0) + 1
            over = {ln for ln, n in per_line.items() if n > width}
            for r in rows:
                if r.lines & over:
                    r.toks = []  # its numbers cannot be told apart: the row is found, its cells not
        return rows

    def _wrapped_digits(self, toks: list[Tok], rows: list[_Row], width: int) -> list[_Row]:
        """A cell too narrow for its number wraps the last digits onto a line of their own, under
        the number. Such a line (numbers only in columns the row above has, right under it, no
        label) is not a row: it is dropped, and those cells of the row above become unknown. A
        number may wrap over several lines (each piece under the one above). Full-width digits
        (２２２８) wrap anywhere, so every cell of a row may wrap at once: a line of full-width
        pieces under a full-width row is pieces even when it fills every column, and it may carry
        the rest of a wrapped label — only the start of a label makes it a row."""
        text_lines = {t.line for t in toks if not t.num}
        # lines where a row label begins (“（二）…”, “3.…”, “四、…”): a line of pieces may carry the
        # continuation of a wrapped label (“年度办”, “不计其他情形）”), never the start of one
        label_lines = {t.line for t in toks if not t.num and _LABEL_START.match(t.text)}
        out: list[_Row] = []
        tail: dict[int, Tok] = {}  # the lowest number of each column of out[-1], pieces included
        tail_line = -1
        for r in rows:
            prev = out[-1] if out else None
            if prev is not None and r.cols is not None and prev.cols is not None:
                wide = all(_FULL_DIGIT.search(t.text) for t in [*r.toks, *tail.values()])
                reach = 1.2 if wide else 0.8
                close = all(
                    c in tail
                    and t.page == tail[c].page
                    and 0 <= t.top - tail[c].bottom < reach * max(tail[c].bottom - tail[c].top, 1.0)
                    for c, t in zip(r.cols, r.toks, strict=True)
                )
                if (
                    (len(r.toks) < width or wide)
                    and close
                    and not (r.lines & (label_lines if wide else text_lines))
                    and r.toks[0].line == tail_line + 1
                ):
                    prev.broken.update(r.cols)
                    tail.update(zip(r.cols, r.toks, strict=True))
                    tail_line = max(r.lines)
                    continue
            out.append(r)
            tail = dict(zip(r.cols, r.toks, strict=True)) if r.cols is not None else {}
            tail_line = max(r.lines) if r.lines else -1
        return out

    def _windows(self, toks: list[Tok], rows: list[_Row]) -> None:
        """The label text of each number row: on its lines (own), and in the gaps before/after."""
        row_of_line: dict[int, int] = {}
        for k, r in enumerate(rows):
            for ln in r.lines:
                row_of_line.setdefault(ln, k)
        gaps: list[list[str]] = [[] for _ in range(len(rows) + 1)]
        own: list[list[str]] = [[] for _ in rows]
        k = 0
        for i, t in enumerate(toks):
            while k < len(rows) and i > rows[k].last:
                k += 1
            if t.num:
                continue
            if t.line in row_of_line:
                own[row_of_line[t.line]].append(t.text)
            else:
                gaps[k].append(t.text)
        for k, r in enumerate(rows):
            r.before = _norm("".join(gaps[k]))[-_WINDOW:]
            r.own = _norm("".join(own[k]))[:_WINDOW]
            r.after = _norm("".join(gaps[k + 1]))[:_WINDOW]

    def _column_wise(self, rows: list[_Row]) -> bool:
        """Text that lists the table column by column (labels together, then each column's
        numbers under its header word): runs of numbers there are columns, not rows. Seen when
        number runs follow applicant-column headers, or one gap holds four row labels or more."""
        if any(r.cols is not None for r in rows):
            return False
        heads = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构")
        under_head = sum(1 for r in rows if (r.before + r.own).endswith(heads))
        crowded = any(sum(1 for _, lab in _T3_ROWS if len(lab) >= 4 and lab in r.before) >= 4 for r in rows)
        return under_head >= 2 or crowded

    def _single_other(self, rows: list[_Row]) -> bool:
        """The 2019-style single （六）其他处理 row: a number row labelled so, and no items below it."""
        text = "".join(r.before + r.own + r.after for r in rows)
        if _sim("逾期不补正", text) >= FUZZY_THRESHOLD or _sim("逾期未按收费", text) >= FUZZY_THRESHOLD:
            return False
        return any((r.before + r.own).endswith("六其他处理") for r in rows)

    def _score(self, row: str, label: str, r: _Row, shortest: int = 6) -> tuple[float, float]:
        """(similarity, weight for the alignment): the label before/on the row's line counts most,
        a label continued past the numbers a little less, one only after them least. A label
        found wholly before (or after) the row's line while that line carries label text of its
        own that the row's official label does not account for is not this row's: the numbers
        belong to the label on their own line (a row whose numbers were lost stands above)."""
        for short in _T3_SHORT.get(row, ()):  # the row's label is only its short name: “二、上年结转”
            if _LEAD_ENUM.sub("", r.own) == short or (not r.own and r.before.endswith(short)):
                return 1.0, 1.0
        official = _official(self.spec).get(row, label) if label != "六其他处理" else label
        before = r.before[-len(label) - 48 :]
        after = r.after[: len(label) + 48]
        whole = before + r.own + after
        if label not in whole:  # no window can reach 0.5 when the union of them cannot
            if len(label) < shortest:
                return 0.0, 0.0
            chars = set(whole)
            hit = sum(1 for ch in label if ch in chars)
            if 2 * hit < 0.5 * (len(label) + hit):
                return 0.0, 0.0

        def sim(window: str, own_at: int) -> float:
            s, _, a0, a1 = _match(label, window, shortest)
            if (
                s
                and (a1 <= own_at or a0 >= own_at + len(r.own))
                and len(r.own) >= 4
                and _coverage(official, r.own) < 0.5
            ):
                return 0.0
            return s

        s1 = sim(before + r.own, len(before))
        s3 = sim(before + r.own + after, len(before))
        s2 = sim(r.own + after, 0)
        return max(s1, s2, s3), max(s1, 0.95 * s3, 0.9 * s2)

    def _align(self, expected: list[tuple[str, str]], rows: list[_Row]) -> list[_Row | None]:
        """Found rows aligned to expected rows, in order (monotone), maximising label similarity."""
        n, m = len(expected), len(rows)
        sims = [[self._score(row, lab, r) for r in rows] for row, lab in expected]
        limit = _thresholds(self.spec)
        for i, (row, _) in enumerate(expected):  # below the row's own threshold: no match by label
            for j in range(m):
                if sims[i][j][0] < limit.get(row, FUZZY_THRESHOLD):
                    sims[i][j] = (0.0, 0.0)
        neg = float("-inf")
        dp = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                s, w = sims[i - 1][j - 1]
                best = max(dp[i - 1][j], dp[i][j - 1])
                if s >= FUZZY_THRESHOLD:
                    best = max(best, dp[i - 1][j - 1] + w)
                dp[i][j] = best if best != neg else 0.0
        pairs: list[tuple[int, int]] = []
        i, j = n, m
        while i > 0 and j > 0:
            s, w = sims[i - 1][j - 1]
            if s >= FUZZY_THRESHOLD and abs(dp[i][j] - (dp[i - 1][j - 1] + w)) < 1e-9:
                pairs.append((i - 1, j - 1))
                i, j = i - 1, j - 1
            elif dp[i][j] == dp[i - 1][j]:
                i -= 1
            else:
                j -= 1
        pairs.reverse()
        out: list[_Row | None] = [None] * n
        for ei, fj in pairs:
            out[ei] = rows[fj]
        # a garbled label between certain neighbours: placed only when one place is left for it
        anchors = [(-1, -1), *pairs, (n, m)]
        for (e0, f0), (e1, f1) in itertools.pairwise(anchors):
            if e1 - e0 == 2 and f1 - f0 == 2:
                ei, fj = e0 + 1, f0 + 1
                loose = [self._score(row, lab, rows[fj], 2)[0] for row, lab in expected]
                s = loose[ei]
                best_elsewhere = max((loose[k] for k in range(n) if k != ei), default=0.0)
                lab_i = expected[ei][1]
                r = rows[fj]
                matched = _match(lab_i, r.before[-len(lab_i) - 8 :] + r.own + r.after[: len(lab_i) + 8], 2)[1]
                if (
                    s >= POSITIONAL_THRESHOLD
                    and s > best_elsewhere
                    and matched >= max(2, (len(lab_i) + 1) // 2)
                ):
                    out[ei] = rows[fj]
                    lab = _cell_row_label(self.spec, "t3", expected[ei][0])
                    self.res.notes.append(
                        f"表三“{lab.rsplit('／', 1)[0]}”一行的标签与标准标签不完全一致（相似度 {s:.0%}），"
                        "按前后两行的位置确定"
                    )
        return out

    def _row_cells(self, r: _Row, width: int, total_w: int, pick: int) -> dict[str, Tok] | None:
        """The row's numbers by column key; None when its columns cannot be told."""
        lo, hi = pick * width, pick * width + width
        if r.cols is not None:
            got = {c: t for c, t in zip(r.cols, r.toks, strict=True) if lo <= c < hi and c not in r.broken}
            idx = {c - lo: t for c, t in got.items()}
        else:
            if len(r.toks) != total_w:
                return None
            idx = {k: r.toks[lo + k] for k in range(width)}
        if width == 8:  # drop the 小计 column (the 7th of 8)
            idx = {(k if k < 6 else k - 1): t for k, t in idx.items() if k != 6}
        cols = _t3_cols(self.spec)
        return {cols[k]: t for k, t in idx.items() if k < len(cols)}

    # -- 表四 -----------------------------------------------------------------------------------
    def _t4(self, a: int, b: int) -> None:
        keys = [c.key for c in self.spec.cells.values() if c.table == "t4"]
        toks = self._range(a, b)
        if (shown := self._t4_header_order(toks, keys)) is not None:  # numbers are placed by position
            for key in keys:
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表四“{self.spec.cells[key].label.split(' ', 1)[-1]}”未读取：表头的列顺序与国家格式不同"
                    f"（{shown}），无法确定各数字所属的列（未知，不按0计）",
                    key=key,
                )
            return
        runs: list[list[Tok]] = [[]]
        for t in toks:
            if t.num:
                runs[-1].append(t)
            elif runs[-1]:
                runs.append([])
        runs = [r for r in runs if r]
        for r in runs:  # a blank label cell before the numbers is no number
            while len(r) > 15 and r[0].text == BLANK:
                r.pop(0)
        nums = [t for t in toks if t.num]
        cols = self._columns(nums, 15) if nums and all(t.x0 is not None for t in nums) else None
        if cols is not None:  # by column: a cell whose digits wrapped onto a second line is not guessed
            by_col: list[list[Tok]] = [[] for _ in cols]
            for t in nums:
                k = next((k for k, (x0, x1) in enumerate(cols) if x0 - 0.5 <= (t.x0 or 0) <= x1 + 0.5), None)
                if k is not None:
                    by_col[k].append(t)
            for key, col in zip(keys, by_col, strict=True):
                if len(col) == 1:
                    self._put(key, col[0])
                else:
                    self.finding(
                        "IMPORT-NOT-FOUND",
                        f"表四“{self.spec.cells[key].label.split(' ', 1)[-1]}”一栏"
                        f"{'没有数字' if not col else '有 ' + str(len(col)) + ' 段数字（折行？）'}，未读取（未知，不按0计）",
                        key=key,
                    )
            return
        pick: list[Tok] | None = next((r for r in runs if len(r) == 15), None)
        if pick is None:  # 行政复议 (5) and 行政诉讼 (10) as two tables
            for k in range(len(runs) - 1):
                if len(runs[k]) == 5 and len(runs[k + 1]) == 10:
                    pick = runs[k] + runs[k + 1]
                    break
        if pick is None:
            placed = self._t4_vertical(toks)
            if isinstance(placed, dict):
                for k, t in placed.items():
                    self._put(k, t)
                self.res.notes.append("表四竖排（行列互换）印出：已按各数字所在行、列的标签读取")
            elif isinstance(placed, str):
                for key in keys:
                    self.finding(
                        "IMPORT-NOT-FOUND",
                        f"表四“{self.spec.cells[key].label.split(' ', 1)[-1]}”未读取：{placed}（未知，不按0计）",
                        key=key,
                    )
            else:
                self.finding(
                    "IMPORT-NOT-FOUND", f"表四没有找到连续的 {len(keys)} 个数字，未读取", key=keys[0]
                )
            return
        for k, t in zip(keys, pick, strict=True):
            self._put(k, t)

    def _t4_vertical(self, toks: list[Tok]) -> dict[str, Tok] | str | None:
        """表四 laid out down the page, as some offices publish it: ``rows`` — a row per number,
        its result (结果维持 … 总计) beside it and its group (行政复议 / 未经复议直接起诉 / 复议后起诉)
        on the row or merged down beside its five rows; ``columns`` — rows and columns exchanged, a
        row per result and a column per group. The numbers by key; a reason (Chinese) when the
        table is laid out so but its labels do not say where each number belongs; None when the
        rows are not of that layout (a number row without a result's name)."""
        lines: dict[int, list[Tok]] = {}
        for t in toks:
            lines.setdefault(t.line, []).append(t)
        numbered = [(ln, ts) for ln, ts in sorted(lines.items()) if any(t.num for t in ts)]
        if not numbered:
            return None

        def words(ts: list[Tok]) -> str:
            return _norm("".join(t.text for t in ts if not t.num))

        results = [_label_key(words(ts), _T4_RESULTS) for _, ts in numbered]
        if any(r is None for r in results):
            return None
        counts = {sum(1 for t in ts if t.num) for _, ts in numbered}
        out: dict[str, Tok] = {}
        if counts == {1}:  # rows
            groups = [_label_key(words(ts), _T4_GROUPS) for _, ts in numbered]
            if len(numbered) != 15:
                return (
                    f"表四竖排印出，但有 {len(numbered)} 行数字（应为 15 行：行政复议、两类行政诉讼各 5 行）"
                )
            if all(g is not None for g in groups):  # each row names its group
                for (_, ts), g, r in zip(numbered, groups, results, strict=True):
                    out.setdefault(f"t4.{g}_{r}", next(t for t in ts if t.num))
                return (
                    out
                    if len(out) == 15
                    else "表四竖排印出，但有的格出现两次、有的格没有，无法确定各数字所属的格"
                )
            order = [r for _, r in _T4_RESULTS]
            if results != order * 3:
                return "表四竖排印出，但各行结果的顺序与国家格式不同，且行上没有注明所属的复议或诉讼，无法确定各数字所属的格"
            # the groups merged down beside their rows: named once each, in the form's order, each
            # within (a centred label) or at the first of its five rows
            said = [
                (ln, g)
                for ln, ts in sorted(lines.items())
                if (g := _label_key(words(ts), _T4_GROUPS)) is not None
            ]
            want = [g for _, g in _T4_GROUPS_ORDER]
            blocks = [(numbered[5 * i][0], numbered[5 * i + 4][0]) for i in range(3)]

            def agree(said: list[tuple[int, str]]) -> bool:
                return [g for _, g in said] == want and all(
                    a <= ln <= b for (ln, _), (a, b) in zip(said, blocks, strict=True)
                )

            if not agree(said):  # a name wrapped inside its narrow cell (未经复议直 / 接起诉)
                said = [(c[-1].line, g) for c, g in _wrapped_labels(toks, _T4_GROUPS)]
            if not agree(said):
                return "表四竖排印出，但行政复议、未经复议直接起诉、复议后起诉三组的标签与各行对不上，无法确定各数字所属的格"
            for i, ((_, ts), r) in enumerate(zip(numbered, results, strict=True)):
                out[f"t4.{want[i // 5]}_{r}"] = next(t for t in ts if t.num)
            return out
        if counts == {3}:  # columns: a row per result, a column per group
            if len(numbered) != 5 or len(set(results)) != 5:
                return f"表四行列互换印出，但有 {len(numbered)} 行数字，结果名称不全或重复（应为结果维持、结果纠正、其他结果、尚未审结、总计各一行）"
            first = numbered[0][0]
            heads = [
                t
                for ln, ts in sorted(lines.items())
                if ln < first
                for t in ts
                if not t.num and _label_key(_norm(t.text), _T4_GROUPS) is not None
            ]
            groups = [_label_key(_norm(t.text), _T4_GROUPS) for t in sorted(heads, key=_x_order)]
            every = sorted((g for _, g in _T4_GROUPS_ORDER), key=str)
            if sorted(groups, key=str) != every:  # a name wrapped inside its narrow cell (复议 / 后起 / 诉)
                above = [t for t in toks if t.line < first]
                groups = [
                    g
                    for _, g in sorted(_wrapped_labels(above, _T4_GROUPS), key=lambda cg: _x_order(cg[0][0]))
                ]
            if sorted(groups, key=str) != every:
                return "表四行列互换印出，但表头没有行政复议、未经复议直接起诉、复议后起诉各一栏，无法确定各数字所属的列"
            for (_, ts), r in zip(numbered, results, strict=True):
                nums = sorted((t for t in ts if t.num), key=_x_order)
                for g, t in zip(groups, nums, strict=True):
                    out[f"t4.{g}_{r}"] = t
            return out
        return f"表四竖排印出，但各行的数字个数不一（{'、'.join(map(str, sorted(counts)))} 个），无法确定各数字所属的格"

    def _t4_header_order(self, toks: list[Tok], keys: list[str]) -> str | None:
        """表四's header repeats the result columns (结果维持 … 总计) under each of its groups: when
        every repetition is legible and one is printed in another order, that order (else None)."""
        heads = list(dict.fromkeys(_norm(self.spec.cells[k].label.rsplit("·", 1)[-1]) for k in keys))
        text = _norm("".join(t.text for t in toks if not t.num))
        if not heads or len(keys) % len(heads):
            return None
        found = sorted((m.start(), h) for h in heads for m in re.finditer(re.escape(h), text))
        seq = [h for _, h in found]
        if len(seq) != len(keys):
            return None  # interleaved or garbled header words: nothing to compare
        for g in range(0, len(seq), len(heads)):
            if seq[g : g + len(heads)] != heads:
                return "、".join(seq[g : g + len(heads)])
        return None

    # -- text -----------------------------------------------------------------------------------
    def _text(self) -> str:
        return "\n".join(ln.text for ln in self.lines)

    def _fees(self) -> None:
        keys = ["s6.fee_notices", "s6.fee_notified", "s6.fee_collected"]
        mine = [k for k in keys if k in self.spec.cells]  # a format without fee figures (gov-2019)
        if not mine:
            return
        read = read_fees(self._text(), mine)
        for key in mine:
            got = read.get(key)
            if got is None:
                if self.other_format is not None and not any(k in self.other_format.cells for k in keys):
                    continue  # a report in a format without fee figures
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"第六部分没有找到“{self.spec.cells[key].label}”的数字",
                    key=key,
                    severity=WARNING,
                )
                continue
            self.sub.values[key] = int(got.value) if key == "s6.fee_notices" else got.value
            self.sub.where[key] = "第六部分"
            if got.implied:
                self.res.notes.append(f"{self.spec.cells[key].label}：据“{got.sentence}”按0计")

    def _texts(self, idx: dict[str, int | None], span: Any) -> None:
        for key, sec, zh in (
            ("overview", "s1", "一、总体情况"),
            ("problems", "s5", "五、存在的主要问题及改进情况"),
            ("other_matters", "s6", "六、其他需要报告的事项"),
        ):
            if idx.get(sec) is None:
                self.sub.texts[key] = ""
                continue
            a, b = span(sec)
            text = "\n".join(self.lines[i].text for i in range(a, b))
            if len(text) > MAX_TEXT_CELL:
                self.res.notes.append(f"“{zh}”部分超过 {MAX_TEXT_CELL} 字，已截断")
                text = text[:MAX_TEXT_CELL]
            self.sub.texts[key] = text

    def _narrative(self) -> None:
        """TEXT-TABLE-MISMATCH: the same check as for workbooks (toolkit.narrative), only over
        figures that were read (a total over a number not found is unknown, not a contradiction)."""
        read = {k for k in self.spec.numeric_keys if k in self.sub.where}
        for k in self.spec.total_keys:  # dependency order: a total not printed is known from its parts
            if k not in read and all(p in read for p in self.spec.cells[k].parts):
                read.add(k)
        self.res.findings.extend(f for f in narrative_findings(self.sub, self.source) if f.key in read)

    def _wide_pieces(self) -> None:
        """A page's full-width numbers (０-９) wrap anywhere in a narrow cell: ``１１`` over ``４６``
        for 1146, three or four lines for a long one, and the pieces of one row stand level with
        the next row's numbers, so a piece may be read in its number's place (429 read as 2). A
        full-width number of 表三/表四 read from a page is kept only where the table confirms it:
        one of its totals (a row's, a column's) read whole, with it, and holding. The others are
        unknown (said once a row), never a piece presented as read."""
        groups = [[*self.spec.cells[k].parts, k] for k in self.spec.total_keys]
        held: set[str] = set()
        for group in groups:
            if not all(p in self.sub.where for p in group):
                continue
            vals = [self.sub.values.get(p, self.sub.reported.get(p)) for p in group]
            if all(v is not None for v in vals) and sum(vals[:-1]) == vals[-1]:  # type: ignore[arg-type]
                held.update(group)
        dropped: dict[str, list[str]] = {}
        for k in self.spec.numeric_keys:
            if k in self.wide_read and k[:3] in ("t3.", "t4.") and k not in held:
                dropped.setdefault(_row_of(k), []).append(k)
        for gone in dropped.values():
            for k in gone:
                self.sub.values.pop(k, None)
                self.sub.reported.pop(k, None)
                del self.sub.where[k]
            label = self.spec.cells[gone[0]].label.split(" ", 1)[-1].rsplit("／", 1)[0]
            self.finding(
                "IMPORT-NOT-FOUND",
                f"“{label}”的数字以全角数字印出，可能在格内折行（一个数字分在几行），读出的数没有表内合计可以印证，"
                f"可能只读到了数字的一段：这 {len(gone)} 个数字未读取，为未知（不按0计，也不会用别的行的数字顶替）",
                key=gone[0],
            )

    def _identities(self) -> None:
        """The spec's totals recomputed from what was read, where every part was read: how many
        agree with the totals the report prints. Confirms a reading; never changes a number."""
        held = checked = 0
        for k in self.spec.total_keys:
            parts = self.spec.cells[k].parts
            rep = self.sub.reported.get(k)
            if rep is None or not all(p in self.sub.where for p in parts):
                continue
            checked += 1
            vals = [self.sub.values.get(p, self.sub.reported.get(p)) for p in parts]
            if all(v is not None for v in vals) and sum(vals) == rep:  # type: ignore[arg-type]
                held += 1
            elif all(v is not None for v in vals):
                self.res.notes.append(
                    f"{self.spec.cells[k].label}：公开报告印出的合计为 {rep}，"
                    f"不等于报告所印各项之和 {sum(vals)}（按原文保留；validate 报告此错误）"  # type: ignore[arg-type]
                )
        self.res.identities = (held, checked)
        if checked:
            self.res.notes.append(f"表内合计关系：{held}/{checked} 个合计与其各项之和一致")


_READ_ANY = "文件内容无法解析（可能已损坏或是恶意构造的文件），未读取"
_READ_FAILED: dict[type, str] = {
    MemoryError: "读取时内存不足（文件内容异常庞大，疑为恶意构造），未读取",
    RecursionError: "文件结构嵌套过深，未读取",
    UnicodeError: "文件的文字编码无法识别，未读取",
}


def _unreadable(p: Path, spec: FormSpec, message: str) -> ImportResult:
    """Nothing read: every number unknown (null), one FILE-UNREADABLE finding."""
    res = ImportResult(Submission(spec=spec, source=str(p)))
    res.findings.append(Finding("FILE-UNREADABLE", ERROR, message, str(p)))
    res.expected = len(spec.numeric_keys)
    res.unknown = list(spec.numeric_keys)
    res.submission.meta["unknown"] = ",".join(res.unknown)
    return res


def _size(p: Path) -> int | None:
    try:
        return p.stat().st_size
    except OSError:
        return None


def _spec_of(lines: list[Line]) -> FormSpec:
    """The format a report is written in: by the texts that identify each format (the spec's
    ``detect`` list), else by the report year of its title, else the default format."""
    text = re.sub(r"\s+", "", "\n".join(ln.text for ln in lines))
    found = detect_format(text)
    if found is not None:
        return found
    return spec_for_year(title_of([ln.text for ln in lines[:40]])[1])


_QUARTERS = {1: "逆时针旋转了90°", 2: "上下颠倒", 3: "顺时针旋转了90°"}


def _turn_words(angle: float) -> str:
    """What a page's correction was, for the import's notes: a quarter turn (a sideways or
    upside-down page), a skew, or both."""
    quarters = round(angle / 90.0) % 4
    rest = angle - 90.0 * round(angle / 90.0)
    skew = f"文字倾斜约 {rest:.1f}°" if abs(rest) >= 0.05 else ""
    if not quarters:
        return f"的{skew}，已按字符基线的角度矫正后读取"
    return f"的文字{_QUARTERS[quarters]}{'，且' + skew if skew else ''}，已转正后读取"


def _page_list(pages: list[int]) -> str:
    """2、3、4、7 -> 第2—4、7页."""
    runs: list[list[int]] = []
    for n in sorted(set(pages)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "第" + "、".join(f"{r[0]}—{r[-1]}" if len(r) > 2 else "、".join(map(str, r)) for r in runs) + "页"


def _picture_pages(res: ImportResult, pages: list[int]) -> None:
    """Pages of the PDF that are pictures (a scan) without text: when numbers were not found,
    said as the reason (the tables are likely on those pages); else a note."""
    where = _page_list(pages)
    if res.unknown:
        res.findings.insert(
            0,
            Finding(
                "IMPORT-NOT-FOUND",
                ERROR,
                f"PDF 的{where}是图片（扫描件），没有文字层：这些页上的表格和文字无法读出，"
                f"本次未读出的 {len(res.unknown)} 个数字为未知（不按0计）；本工具不做文字识别（OCR），"
                "请使用可复制文字的 PDF 或网页版本",
                res.submission.source or None,
            ),
        )
    else:
        res.notes.append(f"PDF 的{where}是图片（扫描件），没有文字层，未读取其内容")


def _transposed(p: Path, asked: FormSpec | None, year: int | None, res: ImportResult) -> ImportResult:
    """A workbook whose tables run across (the labels along the top row, a column per row of
    the form): read with rows and columns exchanged, kept when that reads more numbers."""
    try:
        lines, kind = read_lines(p, transpose=True)
        spec = asked or _spec_of(lines)
        other = _Importer(lines, str(p), spec, kind, year).run()
    except (ReportUnreadable, KeyError, IndexError, StopIteration, ValueError):
        return res
    if other.found <= res.found:
        return res
    other.notes.append("工作簿中的表格行列互换（各行的标签在同一行上依次排开），已按列读取")
    return other


def import_report(path: str | Path, spec: FormSpec | None = None, *, year: int | None = None) -> ImportResult:
    """Parse a published report file into a Submission, with findings and a confidence.
    ``spec``: the format to read into; None: the format the report is written in (detected from
    its text, else its year). ``year``: the year to read when the document holds several years."""
    p = Path(path)
    levelled: list[tuple[int, float]] = []
    token = skew_corrections.set(levelled)
    pictures: list[int] = []
    token_pictures = image_pages.set(pictures)
    try:
        lines, kind = read_lines(p)
    except ReportUnreadable as exc:
        return _unreadable(p, spec or load_spec(), f"报告文件无法读取：{exc}")
    except Exception as exc:  # a library's own error: its (English) message never reaches a person
        return _unreadable(
            p,
            spec or load_spec(),
            "报告文件无法读取："
            + next((m for t, m in _READ_FAILED.items() if isinstance(exc, t)), _READ_ANY),
        )
    finally:
        skew_corrections.reset(token)
        image_pages.reset(token_pictures)
    if not any(w.text.strip() and w.text != BLANK for ln in lines for w in ln.words):
        empty = "文件是空的（0 字节）" if _size(p) == 0 else "文件中没有任何文字"
        return _unreadable(p, spec or load_spec(), f"报告文件无法读取：{empty}，不是一份年度报告")
    asked = spec
    spec = spec or _spec_of(lines)
    try:
        res = _Importer(lines, str(p), spec, kind, year).run()
        if kind == "xlsx" and res.unknown:
            res = _transposed(p, asked, year, res)
        by_angle: dict[str, list[int]] = {}
        for page, angle in levelled:
            by_angle.setdefault(_turn_words(angle), []).append(page)
        for words, pages in by_angle.items():
            res.notes.append(f"第{'、'.join(map(str, pages))}页{words}")
        if pictures:
            _picture_pages(res, pictures)
        return res
    except (KeyError, IndexError, StopIteration, ValueError):  # a spec the reader cannot follow
        return _unreadable(
            p,
            spec,
            f"报告无法按格式“{spec.name}”（{spec.id}）读取：格式定义与报告的表格不相符",
        )
