"""A published report (.txt / .html / .docx) -> :class:`Submission`.

Published reports are web pages, Word files or text pasted from PDFs. Their tables arrive
flattened one cell per line (as in the seed report) or several cells per line (PDF columns); with
half- or full-width brackets, ``1.`` or ``1、``, typos, blank or ``/`` cells, and local variants
(subtotal rows for （三）–（六）, a single （六）其他处理 row, a 法人或其他组织 小计 column).

Every cell is read *at its label*: a row label is found, then exactly the numbers that follow it.
A row whose label is missing, or which has too few numbers before the next label, is reported as
not found (``IMPORT-NOT-FOUND``); numbers are never pulled up from the next row. Totals are kept
as the report states them (``reported``), so validation finds a published report's arithmetic
errors. Narrative counts that contradict the tables are ``TEXT-TABLE-MISMATCH``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from toolkit.cells import decode_text, parse_number
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.model import Number, Submission
from toolkit.narrative import narrative_findings
from toolkit.spec import FormSpec, load_spec

__all__ = ["REPORT_SUFFIXES", "ImportResult", "import_report", "report_text"]

REPORT_SUFFIXES = {".txt", ".html", ".htm", ".docx", ".md"}
BLANK = "(空白)"  # an empty table cell of an HTML or Word report (NFKC-stable: tokens are normalised)


@dataclass
class ImportResult:
    submission: Submission
    findings: list[Finding] = field(default_factory=list)
    found: int = 0  # cells read at their label
    expected: int = 0
    notes: list[str] = field(default_factory=list)  # variants recognised, placeholders read as 0

    @property
    def confidence(self) -> float:
        return round(self.found / self.expected, 3) if self.expected else 0.0


# -- text extraction ----------------------------------------------------------------------------
class _HTMLText(HTMLParser):
    BLOCK = frozenset(
        {"p", "div", "br", "tr", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")
        if tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th") and self.cell is not None:
            if not "".join(self.cell).strip():
                self.out.append(BLANK)  # an empty cell is a blank cell, not nothing
            self.cell = None
            self.out.append("\n")
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)
            if self.cell is not None:
                self.cell.append(data)


def report_text(path: str | Path) -> str:
    """The report's text with table cells on lines of their own."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".docx":
        from docx import Document

        doc = Document(str(p))
        lines: list[str] = []
        body = doc.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
            elif tag == "tbl":
                from docx.table import Table

                for row in Table(child, doc).rows:
                    seen = None
                    for cell in row.cells:
                        if cell._tc is seen:  # a merged cell repeats across the grid
                            continue
                        seen = cell._tc
                        lines.append(cell.text if cell.text.strip() else BLANK)
        return "\n".join(lines)
    data = p.read_bytes()
    text = decode_text(data) or data.decode("utf-8", errors="replace")
    if suffix in (".html", ".htm") or text.lstrip()[:200].lower().startswith(("<!doctype", "<html")):
        parser = _HTMLText()
        parser.feed(text)
        return "".join(parser.out)
    if suffix == ".md":  # Markdown: drop heading and bold markup and table rules; pipes separate cells
        out = []
        for line in text.splitlines():
            if re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line):
                continue
            line = re.sub(r"^\s*#{1,6}\s*", "", line).replace("**", "")
            out.extend(cell.strip() for cell in line.split("|"))
        return "\n".join(out)
    return text


# -- normalisation and matching -----------------------------------------------------------------
_STRIP = re.compile(r"[\s\u3000（）()【】\[\]“”\"'‘’、.．,，:：;；·\-—_/]")


def _norm(s: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", s))


def _is_number(tok: str) -> bool:
    if tok == BLANK:
        return True
    p = parse_number(tok, "decimal")
    return p.problem in (None, "placeholder") and tok.strip() != ""


def _tokens(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = unicodedata.normalize("NFKC", line).strip()
        if not line:
            continue
        parts = line.split()
        # a label and its numbers on one line (PDF columns): split; a sentence stays whole
        if len(parts) > 1 and any(_is_number(t) for t in parts[1:]):
            out.extend(parts)
        else:
            out.append(line)
    return out


# row key -> the distinctive words of its label (normalised), in table order
_T3_ROWS: list[tuple[str, tuple[str, ...]]] = [
    ("new_received", ("本年新收",)),
    ("carried_in", ("上年结转",)),
    ("granted", ("予以公开",)),
    ("partly_granted", ("部分公开",)),
    ("denied_state_secret", ("属于国家秘密",)),
    ("denied_by_law", ("其他法律行政法规禁止公开",)),
    ("denied_security", ("三安全一稳定",)),
    ("denied_third_party", ("保护第三方合法权益",)),
    ("denied_internal", ("三类内部事务信息",)),
    ("denied_process", ("四类过程性信息",)),
    ("denied_enforcement_file", ("行政执法案卷",)),
    ("denied_inquiry", ("行政查询事项",)),
    ("unable_not_held", ("不掌握相关政府信息",)),
    ("unable_needs_creation", ("没有现成信息需要另行制作",)),
    ("unable_unclear", ("补正后申请内容仍不明确",)),
    ("rejected_petition", ("信访举报投诉类申请",)),
    ("rejected_duplicate", ("重复申请",)),
    ("rejected_publication", ("要求提供公开出版物",)),
    ("rejected_excessive", ("无正当理由大量反复申请",)),
    ("rejected_confirmation", ("要求行政机关确认或重新出具已获取信息",)),
    ("other_no_correction", ("逾期不补正",)),
    ("other_fee_unpaid", ("逾期未按收费通知要求缴纳费用",)),
    ("other_misc", ("=3其他",)),
    ("result_total", ("=七总计", "=总计")),
    ("carried_out", ("结转下年度继续办理",)),
]
_T2_ROWS = [
    ("regulations", ("=规章",), 3),
    ("normative_documents", ("行政规范性文件",), 3),
    ("admin_licensing", ("=行政许可",), 1),
    ("admin_penalty", ("=行政处罚",), 1),
    ("admin_coercion", ("=行政强制",), 1),
    ("admin_fees", ("行政事业性收费",), 1),
]


def _matches(tok: str, keys: tuple[str, ...]) -> bool:
    n = _norm(tok)
    if not n or _is_number(tok):
        return False
    for k in keys:
        if k.startswith("="):
            if n == k[1:] or (len(k) > 4 and n.endswith(k[1:]) and len(n) - len(k) <= 2):
                return True
        elif k in n:
            return True
        elif len(k) >= 6 and difflib.SequenceMatcher(None, k, n[-len(k) - 2 :]).ratio() >= 0.82:
            return True  # a typo in a long label
    return False


class _Importer:
    def __init__(self, text: str, source: str, spec: FormSpec) -> None:
        self.spec = spec
        self.text = text
        self.toks = _tokens(text)
        self.source = source
        self.sub = Submission(spec=spec, source=source)
        self.res = ImportResult(self.sub)
        self.sub.meta["imported"] = "1"

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
        sev = severity or self.spec.rules[code].severity
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

    # sections: index of each heading token
    def _section(self, number: str, word: str) -> int | None:
        for i, t in enumerate(self.toks):
            if t.startswith(number + "、") and word in t and len(t) < 40:
                return i
        return None

    def run(self) -> ImportResult:
        self._title()
        idx = {
            k: self._section(n, w)
            for k, n, w in (
                ("s1", "一", "总体情况"),
                ("s2", "二", "主动公开"),
                ("s3", "三", "申请"),
                ("s4", "四", "复议"),
                ("s5", "五", "问题"),
                ("s6", "六", "其他"),
            )
        }
        end = len(self.toks)

        def span(a: str, b: str | None) -> tuple[int, int]:
            start = idx[a]
            stop = idx[b] if b and idx.get(b) is not None else end
            return (start + 1 if start is not None else end), (stop if stop is not None else end)

        self._t2(*span("s2", "s3"))
        self._t3(*span("s3", "s4"))
        self._t4(*span("s4", "s5"))
        self._fees()
        self._texts(idx)
        self._narrative()
        self.res.found = sum(1 for k in self.spec.numeric_keys if k in self.sub.where)
        self.res.expected = len(self.spec.numeric_keys)
        return self.res

    def _title(self) -> None:
        head = [t for t in self.text.splitlines()[:8] if t.strip()]
        for i, line in enumerate(head):
            m = re.search(
                r"(.*?)(\d{4})\s*年\s*度?\s*(?:政府)?信息公开(?:工作)?年度报告",
                unicodedata.normalize("NFKC", line),
            )
            if m:
                self.sub.cover["year"] = int(m.group(2))
                agency = m.group(1).strip(" 　:：")
                if not agency and i > 0:
                    agency = head[i - 1].strip()
                self.sub.cover["agency"] = agency
                return
        self.finding(
            "IMPORT-NOT-FOUND",
            "没有找到报告标题（“某机关XXXX年政府信息公开工作年度报告”），机关名称和年度未读出",
            key="cover.agency",
        )

    def _numbers(self, i: int, n: int, stop: int) -> list[str] | None:
        """Exactly the n number tokens right after position i, or None (never skip a label)."""
        out = []
        j = i + 1
        while j < stop and len(out) < n:
            if not _is_number(self.toks[j]):
                return None
            out.append(self.toks[j])
            j += 1
        return out if len(out) == n else None

    def _find(self, keys: tuple[str, ...], start: int, stop: int) -> int | None:
        for i in range(start, stop):
            if _matches(self.toks[i], keys):
                return i
        return None

    def _put(self, key: str, tok: str, where: str) -> None:
        cell = self.spec.cells[key]
        kind = cell.type.kind if cell.type else "int"
        if tok == BLANK:
            self.res.notes.append(f"{cell.label}：空白单元格按0计")
            tok = ""
        p = parse_number(tok, kind)
        value: Number = p.value if p.value is not None else 0
        if p.problem == "placeholder":
            self.res.notes.append(f"{cell.label}：“{tok}”按0计")
        if cell.kind == "total":
            self.sub.reported[key] = value
        else:
            self.sub.values[key] = value
        self.sub.where[key] = where

    def _t2(self, start: int, stop: int) -> None:
        pos = start
        for row, keys, n in _T2_ROWS:
            i = self._find(keys, pos, stop)
            nums = self._numbers(i, n, stop) if i is not None else None
            cols = [c.col_key for c in self.spec.cells.values() if c.table == "t2" and c.row_key == row]
            if nums is None:
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表二“{keys[0].lstrip('=')}”一行{'未找到' if i is None else '的数字不全'}，未读取",
                    key=f"t2.{row}.{cols[0]}",
                )
                continue
            for col, tok in zip(cols, nums, strict=True):
                self._put(f"t2.{row}.{col}", tok, f"第{i + 1}段")
            pos = i + 1 + n

    def _t3(self, start: int, stop: int) -> None:
        first = self._find(_T3_ROWS[0][1], start, stop)
        header = self.toks[start:first] if first is not None else []
        width = 7
        if any(_norm(t) == "小计" for t in header):
            width = 8
            self.res.notes.append("表三有“法人或其他组织”小计列（地方格式），小计未读取")
        cols = [
            "natural_person",
            "business",
            "research",
            "public_welfare",
            "legal_service",
            "other_org",
            "total",
        ]
        pos = start
        for row, keys in _T3_ROWS:
            if row == "other_no_correction" and self._single_other(pos, stop, width, cols):
                pos = self._after_single_other
                continue
            if row in ("other_fee_unpaid", "other_misc") and getattr(self, "_single_done", False):
                continue
            i = self._find(keys, pos, stop)
            nums = self._numbers(i, width, stop) if i is not None else None
            if nums is None:
                what = "未找到" if i is None else "的数字不全"
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"表三“{self._label(row)}”一行{what}，未读取（不会用下一行的数字顶替）",
                    key=f"t3.{row}.natural_person",
                )
                continue
            if width == 8:
                nums = nums[:6] + nums[7:]
            for col, tok in zip(cols, nums, strict=True):
                self._put(f"t3.{row}.{col}", tok, f"第{i + 1}段")
            pos = i + 1 + width
        subtotals = [
            t for t in self.toks[start:stop] if _norm(t) in ("三不予公开", "四无法提供", "五不予处理")
        ]
        if subtotals and any(self._numbers(self.toks.index(t, start), width, stop) for t in subtotals):
            self.res.notes.append("表三有（三）至（六）的小计行（地方格式），小计未读取")

    def _single_other(self, pos: int, stop: int, width: int, cols: list[str]) -> bool:
        """The 2019-style single （六）其他处理 row: numbers right after it, no items below."""
        i = self._find(("=六其他处理",), pos, stop)
        if i is None or self._find(("逾期不补正",), pos, stop) is not None:
            return False
        nums = self._numbers(i, width, stop)
        if nums is None:
            return False
        if width == 8:
            nums = nums[:6] + nums[7:]
        for col, tok in zip(cols, nums, strict=True):
            self._put(f"t3.other_misc.{col}", tok, f"第{i + 1}段")
            for k in ("other_no_correction", "other_fee_unpaid"):  # not in that format: 0
                if col != "total":
                    self.sub.values[f"t3.{k}.{col}"] = 0
                self.sub.where[f"t3.{k}.{col}"] = f"第{i + 1}段"
        self.res.notes.append("表三只有一行“（六）其他处理”（2019年格式），计入“3.其他”")
        self._single_done = True
        self._after_single_other = i + 1 + width
        return True

    def _label(self, row: str) -> str:
        c = self.spec.cells[f"t3.{row}.natural_person"]
        return c.label.split(" ", 1)[-1].rsplit("／", 1)[0]

    def _t4(self, start: int, stop: int) -> None:
        keys = [c.key for c in self.spec.cells.values() if c.table == "t4"]
        run: list[int] = []
        for i in range(start, stop):
            if _is_number(self.toks[i]):
                run.append(i)
                if len(run) == len(keys):
                    break
            else:
                run = []
        if len(run) < len(keys):
            self.finding("IMPORT-NOT-FOUND", f"表四没有找到连续的 {len(keys)} 个数字，未读取", key=keys[0])
            return
        for k, i in zip(keys, run, strict=True):
            self._put(k, self.toks[i], f"第{i + 1}段")

    def _fees(self) -> None:
        t = unicodedata.normalize("NFKC", self.text)
        pats = {
            "s6.fee_notices": r"发出收费通知\s*(\d+)\s*件",
            "s6.fee_notified": r"(?<!实际收取的)总金额\s*([\d.,]+)\s*(万?)元",
            "s6.fee_collected": r"实际收取的总金额\s*([\d.,]+)\s*(万?)元",
        }
        for key, pat in pats.items():
            m = re.search(pat, t)
            if not m:
                self.finding(
                    "IMPORT-NOT-FOUND",
                    f"第六部分没有找到“{self.spec.cells[key].label}”的数字",
                    key=key,
                    severity=WARNING,
                )
                continue
            p = parse_number(m.group(1), "decimal")
            v = p.value if p.value is not None else Decimal(0)
            if len(m.groups()) > 1 and m.group(2) == "万":
                v = v * 10000
            self.sub.values[key] = int(v) if key == "s6.fee_notices" else v
            self.sub.where[key] = "第六部分"

    def _texts(self, idx: dict[str, int | None]) -> None:
        lines = [ln.strip() for ln in self.text.splitlines()]

        def between(a: str, b: str | None) -> str:
            if idx.get(a) is None:
                return ""
            heads = {self.toks[i] for k, i in idx.items() if i is not None}
            start_tok, stop_tok = (
                self.toks[idx[a]],
                (self.toks[idx[b]] if b and idx.get(b) is not None else None),
            )
            out, on = [], False
            for ln in lines:
                n = unicodedata.normalize("NFKC", ln)
                if n == start_tok:
                    on = True
                    continue
                if on and (n == stop_tok or (n in heads and n != start_tok)):
                    break
                if on and ln:
                    out.append(ln)
            return "\n".join(out)

        self.sub.texts["overview"] = between("s1", "s2")
        self.sub.texts["problems"] = between("s5", "s6")
        self.sub.texts["other_matters"] = between("s6", None)

    def _narrative(self) -> None:
        """TEXT-TABLE-MISMATCH: the same check as for workbooks (toolkit.narrative)."""
        self.res.findings.extend(narrative_findings(self.sub, self.source))


def import_report(path: str | Path, spec: FormSpec | None = None) -> ImportResult:
    """Parse a published report file into a Submission, with findings and a confidence."""
    p = Path(path)
    spec = spec or load_spec()
    try:
        text = report_text(p)
    except Exception as exc:  # a broken .docx, unreadable file: a finding, never a traceback
        res = ImportResult(Submission(spec=spec, source=str(p)))
        res.findings.append(
            Finding(
                "FILE-UNREADABLE",
                ERROR,
                f"报告文件无法读取（{type(exc).__name__}: {str(exc)[:100]}）",
                str(p),
            )
        )
        return res
    return _Importer(text, str(p), spec).run()
