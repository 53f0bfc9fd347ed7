"""A published report file -> lines of positioned words, checked for size and shape first.

Every source becomes the same shape: :class:`Line` s of :class:`Word` s in reading order. A PDF's
words carry their page coordinates (pypdfium2: the characters' boxes, grouped into words and the
words into lines by their vertical bands); an HTML or Word table's cells carry their grid column
(rowspan/colspan expanded) as x; plain text has no geometry (``x0 is None``).

Limits (stated in the README): the file at most :data:`MAX_FILE_BYTES`; a .docx's declared
unpacked size at most :data:`MAX_UNPACKED_BYTES`; a PDF at most :data:`MAX_PDF_PAGES` pages; the
extracted text at most :data:`MAX_CHARS` characters. Anything refused or unreadable raises
:class:`ReportUnreadable` with a Chinese message (the importer turns it into ``FILE-UNREADABLE``).
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from toolkit.cells import decode_text
from toolkit.importers.skew import SkewUnreadable, level

__all__ = [
    "BLANK",
    "MAX_CHARS",
    "MAX_FILE_BYTES",
    "MAX_PDF_PAGES",
    "MAX_UNPACKED_BYTES",
    "Line",
    "ReportUnreadable",
    "Word",
    "read_lines",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a published report with scanned images stays far below this
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # a .docx's parts, as the zip declares them
MAX_ZIP_MEMBERS = 2000
MAX_DOCUMENT_XML = 32 * 1024 * 1024  # the body's XML (text and tables; images are other parts)
MAX_PDF_PAGES = 300
MAX_CHARS = 2_000_000  # extracted text; a report has ~10k
MAX_TABLE_CELLS = 200_000  # HTML/Word table cells after rowspan/colspan expansion
BLANK = "(空白)"  # an empty table cell of an HTML or Word report (NFKC-stable)


class ReportUnreadable(Exception):
    """The file cannot be read as a report; the message is for the clerk (Chinese)."""


@dataclass(slots=True)
class Word:
    text: str
    x0: float | None = None  # PDF points, or the grid column of an HTML/Word table cell
    x1: float | None = None
    top: float = 0.0
    bottom: float = 0.0


@dataclass(slots=True)
class Line:
    words: list[Word] = field(default_factory=list)
    page: int = 1
    geometric: bool = False  # words carry x positions (PDF, HTML/Word tables)
    table_row: bool = False  # one row of an HTML/Word table

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


# -- the file itself ----------------------------------------------------------------------------
def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file (a FIFO would block forever) or too big."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ReportUnreadable(f"无法打开文件（{exc.strerror or type(exc).__name__}）") from None
    if not stat.S_ISREG(st.st_mode):
        raise ReportUnreadable("不是普通文件（管道、设备或目录），未读取")
    if st.st_size > MAX_FILE_BYTES:
        raise ReportUnreadable(
            f"文件太大（{st.st_size / 1048576:.0f} MB，上限 {MAX_FILE_BYTES // 1048576} MB），不像一份年度报告，未读取"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ReportUnreadable(f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    if len(data) > MAX_FILE_BYTES:
        raise ReportUnreadable(f"文件太大（上限 {MAX_FILE_BYTES // 1048576} MB），未读取")
    return data


def _check_chars(n: int) -> None:
    if n > MAX_CHARS:
        raise ReportUnreadable(f"文字太多（{n} 个字符，上限 {MAX_CHARS}），不像一份年度报告，未读取")


def sniff(data: bytes, suffix: str) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "docx"
    if suffix in (".html", ".htm"):
        return "html"
    low = head[:300].lower()
    if low.startswith((b"<!doctype", b"<html", b"\xef\xbb\xbf<!doctype", b"\xef\xbb\xbf<html")) or (
        b"<table" in data[:65536].lower() and b"</td>" in data[:65536].lower()
    ):
        return "html"
    if suffix in (".md", ".markdown") or _looks_markdown(data[:65536]):
        return "md"
    return "text"


_MD_RULE = re.compile(  # no two runs of blanks side by side: linear on a line of 64 KB of spaces
    rb"^[ \t]*(?:\|[ \t]*)?:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+(?:\|[ \t]*)?\r?$", re.M
)
_MD_HEADING = re.compile(rb"^#{1,6}[ \t]+\S", re.M)
_MD_PIPE_ROW = re.compile(rb"^[ \t]*\|[^\n]*\|[ \t]*\r?$", re.M)  # [ \t], never \s: no run across lines


def _looks_markdown(head: bytes) -> bool:
    """Markdown whatever the file is called (a PDF converter's or a copy-paste's .txt): a pipe
    table (its |---|---| rule under a row of cells), or two ``#`` headings beside pipe rows."""
    if _MD_RULE.search(head) and len(_MD_PIPE_ROW.findall(head)) >= 2:
        return True
    return len(_MD_HEADING.findall(head)) >= 2 and len(_MD_PIPE_ROW.findall(head)) >= 3


def read_lines(path: str | os.PathLike[str]) -> tuple[list[Line], str]:
    """The report as lines of words, and the kind of source read (pdf, docx, html, md, text)."""
    p = Path(path)
    data = _read_bounded(p)
    kind = sniff(data, p.suffix.lower())
    if kind == "pdf":
        return pdf_lines(data), kind
    if kind == "docx":
        return docx_lines(data), kind
    text = decode_text(data)
    if text is None:
        if b"\x00" in data[:4096]:
            raise ReportUnreadable("不是文本、网页、Word 或 PDF 文件（二进制内容），未读取")
        text = data.decode("utf-8", errors="replace")
    _check_chars(len(text))
    if kind == "html":
        return html_lines(text), kind
    if kind == "md":
        return text_lines(_markdown(text)), kind
    return text_lines(text), kind


# -- plain text and Markdown --------------------------------------------------------------------
def text_lines(text: str) -> list[Line]:
    """Lines of words. In a table exported one cell per tab-indented line, a line holding only
    a tab is an empty cell (BLANK); an empty line separates rows."""
    out: list[Line] = []
    page = 1
    tabbed = sum(1 for ln in text.splitlines()[:5000] if ln.startswith("\t")) >= 20
    for chunk in text.split("\f"):  # pdftotext marks page breaks with a form feed
        for raw in chunk.splitlines():
            s = raw.strip()
            if s:
                out.append(Line([Word(t) for t in s.split()], page))
            elif tabbed and "\t" in raw:
                out.append(Line([Word(BLANK)], page, table_row=True))
        page += 1
    return out


def _is_rule(line: str) -> bool:
    s = line.strip()
    return "---" in s and not s.strip("|-: ")


def _markdown(text: str) -> str:
    """Markdown: heading/bold markup and table rules dropped; a table row's cells on one line."""
    out = []
    for line in text.splitlines():
        if _is_rule(line):
            continue
        s = line.lstrip()
        s = s.lstrip("#").strip() if s.startswith("#") else s
        s = s.replace("**", "")
        if "|" in s:
            cells = [c.strip() for c in s.strip().strip("|").split("|")]
            while cells and not cells[0]:  # an empty label cell is no number
                cells.pop(0)
            s = "  ".join(c.replace(" ", "") if c else BLANK for c in cells)
        out.append(s)
    return "\n".join(out)


# -- HTML ---------------------------------------------------------------------------------------
class _HTMLLines(HTMLParser):
    """Text blocks as lines; each table row as one line whose cells sit at their grid columns."""

    BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self.buf: list[str] = []
        self.skip = 0
        self.tables: list[dict[str, Any]] = []  # stack: {"row": [...], "spans": {col: rows left}}
        self.cell: list[str] | None = None
        self.cell_span = (1, 1)
        self.cells = 0

    # text outside tables
    def _flush(self) -> None:
        s = "".join(self.buf).strip()
        self.buf = []
        if s:
            self.lines.append(Line([Word(t) for t in s.split()]))

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.skip += 1
            return
        a = dict(attrs)
        if tag == "table":
            self._flush()
            if self.cell is not None:  # a table inside a cell: the outer table is for layout
                self._layout_text()
            self.tables.append({"row": None, "spans": {}, "y": 0})
        elif tag == "tr" and self.tables:
            self._end_row()
            self.tables[-1]["row"] = []
        elif tag in ("td", "th") and self.tables:
            if self.tables[-1]["row"] is None:
                self.tables[-1]["row"] = []
            self._end_cell()
            self.cell = []
            self.cell_span = (_span(a.get("rowspan")), _span(a.get("colspan")))
        elif tag in self.BLOCK and self.cell is None:
            self._flush()
        elif tag in self.BLOCK and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_cell()
            self._end_row()
        elif tag == "table" and self.tables:
            self._end_cell()
            self._end_row()
            self.tables.pop()
        elif tag in self.BLOCK and self.cell is None:
            self._flush()
        elif tag in self.BLOCK and self.cell is not None:
            self.cell.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.buf.append(data)

    def _end_cell(self) -> None:
        if self.cell is None or not self.tables:
            return
        t = self.tables[-1]
        parts = [p.strip() for p in "".join(self.cell).split("\n") if p.strip()]
        if sum(map(len, parts)) > 80:  # a layout cell holding paragraphs: text lines, not a cell
            self._layout_text()
            return
        text = "".join(parts)
        text = re.sub(r"\s+", "", text) if not re.search(r"\d\s+\d", text) else text
        t["row"].append((text or BLANK, *self.cell_span))
        self.cell = None
        self.cells += 1
        if self.cells > MAX_TABLE_CELLS:
            raise ReportUnreadable(f"网页表格单元格太多（上限 {MAX_TABLE_CELLS}），未读取")

    def _layout_text(self) -> None:
        """The current cell's paragraphs as lines of text (a CMS page's layout table)."""
        for part in "".join(self.cell or []).split("\n"):
            if part.strip():
                self.lines.append(Line([Word(t) for t in part.split()]))
        self.cell = None

    def _end_row(self) -> None:
        if not self.tables or self.tables[-1]["row"] is None:
            return
        t = self.tables[-1]
        row, t["row"] = t["row"], None
        spans: dict[int, int] = t["spans"]  # column -> rows below still covered from above
        words: list[Word] = []
        new: dict[int, int] = {}
        col = 0
        for text, rowspan, colspan in row:
            while spans.get(col, 0) > 0:  # a cell from a row above spans down into this row
                col += 1
            words.append(Word(text, float(col), float(col + colspan - 1) + 0.9, t["y"], t["y"] + 1))
            if rowspan > 1:
                for c in range(col, col + colspan):
                    new[c] = rowspan - 1
            col += colspan
        for c in list(spans):
            spans[c] -= 1
            if spans[c] <= 0:
                del spans[c]
        spans.update(new)
        t["y"] += 1
        if words:
            self.lines.append(Line(words, geometric=True, table_row=True))

    def close(self) -> None:
        super().close()
        self._end_cell()
        self._end_row()
        self._flush()


def _span(v: str | None) -> int:
    try:
        return max(1, min(int(str(v).strip()), 1000))
    except (TypeError, ValueError):
        return 1


def html_lines(text: str) -> list[Line]:
    parser = _HTMLLines()
    parser.feed(text)
    parser.close()
    return parser.lines


# -- Word ---------------------------------------------------------------------------------------
def docx_lines(data: bytes) -> list[Line]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise ReportUnreadable(f"Word 文件已损坏（{type(exc).__name__}）") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReportUnreadable(f"Word 文件内部部件太多（{len(infos)} 个），未读取")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ReportUnreadable(
            f"Word 文件解压后太大（{unpacked / 1048576:.0f} MB，上限 {MAX_UNPACKED_BYTES // 1048576} MB；疑为压缩炸弹），未读取"
        )
    body = next((i for i in infos if i.filename == "word/document.xml"), None)
    if body is None:
        raise ReportUnreadable("不是 Word 文档（.docx 中没有正文 word/document.xml）")
    if body.file_size > MAX_DOCUMENT_XML:
        raise ReportUnreadable(
            f"Word 正文太大（解压后 {body.file_size / 1048576:.0f} MB，上限 {MAX_DOCUMENT_XML // 1048576} MB），未读取"
        )
    from docx import Document
    from docx.table import Table

    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx/lxml raise many types on a damaged package
        raise ReportUnreadable(f"Word 文件无法打开（{type(exc).__name__}）") from None
    lines: list[Line] = []
    chars = 0
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            s = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")).strip()
            chars += len(s)
            if s:
                lines.append(Line([Word(t) for t in s.split()]))
        elif tag == "tbl":
            seen: dict[int, Any] = {}  # id -> the element itself (kept alive: ids stay unique)
            for y, row in enumerate(Table(child, doc).rows):
                words = []
                for x, cell in enumerate(row.cells):
                    if id(cell._tc) in seen:  # a merged cell repeats across the grid
                        continue
                    seen[id(cell._tc)] = cell._tc
                    s = cell.text.strip()
                    chars += len(s)
                    s = re.sub(r"\s+", "", s) if not re.search(r"\d\s+\d", s) else s
                    words.append(Word(s or BLANK, float(x), float(x) + 0.9, y, y + 1))
                if words:
                    lines.append(Line(words, geometric=True, table_row=True))
        _check_chars(chars)
    return lines


# -- PDF ----------------------------------------------------------------------------------------
class NoTextLayer(ReportUnreadable):
    """A scanned PDF: pages without a text layer (no OCR here)."""


def pdf_lines(data: bytes) -> list[Line]:
    """Words with their boxes from pypdfium2, grouped into lines by vertical band, per page."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise ReportUnreadable("PDF 文件有密码保护，无法读取") from None
        raise ReportUnreadable(f"PDF 文件已损坏或不是 PDF（{msg[:60]}）") from None
    try:
        n = len(doc)
        if n > MAX_PDF_PAGES:
            raise ReportUnreadable(f"PDF 页数太多（{n} 页，上限 {MAX_PDF_PAGES}），不像一份年度报告，未读取")
        lines: list[Line] = []
        total = 0
        for pno in range(n):
            page = doc[pno]
            try:
                tp = page.get_textpage()
                try:
                    count = tp.count_chars()
                    total += count
                    _check_chars(total)
                    try:  # a skewed page is levelled first (or refused): rows stay rows
                        centre = (page.get_width() / 2, page.get_height() / 2)
                        words = _pdf_words(level(tp, count, pno + 1, centre), count)
                    except SkewUnreadable as exc:
                        raise ReportUnreadable(str(exc)) from None
                finally:
                    tp.close()
                height = page.get_height()
            finally:
                page.close()
            lines.extend(_group_lines(words, pno + 1, height))
    finally:
        doc.close()
    if total == 0 or not any(ln.words for ln in lines):
        raise NoTextLayer(
            "PDF 没有文字层（扫描件或图片），无法读出数字；本工具不做文字识别（OCR），请使用可复制文字的 PDF 或网页版本"
        )
    return lines


def _pdf_words(tp: Any, count: int) -> list[Word]:
    text = tp.get_text_range(0, count) if count else ""
    per_char = len(text) == count
    words: list[Word] = []
    cur: list[str] = []
    box: list[float] = []
    last: tuple[float, float, float, float] | None = None

    def flush() -> None:
        nonlocal cur, box
        if cur:
            s = "".join(cur).strip()
            if s:
                # PDF y grows upwards: top = larger y; keep "top" as distance from the page top later
                words.append(Word(s, box[0], box[2], box[3], box[1]))
        cur, box = [], []

    for i in range(count):
        ch = text[i] if per_char else tp.get_text_range(i, 1)
        if not ch or ch.isspace() or ch in "\ufffe\uffff\x00":
            flush()
            last = None
            continue
        left, bottom, right, top = tp.get_charbox(i)
        if last is not None:
            h = max(top - bottom, last[3] - last[1], 1.0)
            same_band = abs((top + bottom) / 2 - (last[3] + last[1]) / 2) < 0.5 * h
            if not same_band or left - last[2] > 0.45 * h or left < last[0] - 0.5 * h:
                flush()
        if not cur:
            box = [left, bottom, right, top]
        else:
            box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        cur.append(ch)
        last = (left, bottom, right, top)
    flush()
    return words


def _group_lines(words: list[Word], page: int, height: float | None) -> list[Line]:
    """Words into lines: a word joins the line whose vertical centre is within half its height.
    ``height``: the page height, to turn PDF y (upwards) into distance from the top; None when
    the words already measure from the top."""
    for w in words:
        if height is not None:
            w.top, w.bottom = height - w.top, height - w.bottom
    words.sort(key=lambda w: ((w.top + w.bottom) / 2, w.x0 or 0))
    lines: list[list[Word]] = []
    centre = -1e9
    for w in words:
        c = (w.top + w.bottom) / 2
        h = max(w.bottom - w.top, 1.0)
        if lines and abs(c - centre) < 0.5 * h:
            lines[-1].append(w)
        else:
            lines.append([w])
            centre = c
    out = []
    for ws in lines:
        ws.sort(key=lambda w: w.x0 or 0)
        out.append(Line(ws, page, geometric=True))
    return out
