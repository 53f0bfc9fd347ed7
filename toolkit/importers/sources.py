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
import json
import os
import re
import stat
import zipfile
import zlib
from contextvars import ContextVar
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from toolkit.cells import decode_text, utf16_codec
from toolkit.importers.skew import SkewUnreadable, level
from toolkit.importers.skew import corrections as skew_corrections

__all__ = [
    "BLANK",
    "MAX_CHARS",
    "MAX_FILE_BYTES",
    "MAX_PDF_PAGES",
    "MAX_UNPACKED_BYTES",
    "Line",
    "ReportUnreadable",
    "Word",
    "image_pages",
    "read_lines",
]

MAX_FILE_BYTES = 64 * 1024 * 1024  # a published report with scanned images stays far below this
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # a .docx's parts, as the zip declares them
MAX_ZIP_MEMBERS = 2000
MAX_DOCUMENT_XML = 32 * 1024 * 1024  # the body's XML (text and tables; images are other parts)
MAX_PDF_PAGES = 300
MAX_CHARS = 2_000_000  # extracted text; a report has ~10k
MAX_TABLE_CELLS = 200_000  # HTML/Word table cells after rowspan/colspan expansion
MAX_TABLE_NESTING = 20  # a Word table in a table's cell in a table's cell …: a report has 1 or 2
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
def _os_reason(exc: OSError) -> str:
    """The system's reason in Chinese (its own message is English)."""
    import errno

    return {
        errno.ENOENT: "文件不存在",
        errno.EACCES: "没有读取权限",
        errno.EPERM: "没有读取权限",
        errno.EISDIR: "这是文件夹",
        errno.ELOOP: "符号链接循环",
        errno.ENAMETOOLONG: "文件名太长",
        errno.EIO: "磁盘或网络盘读取出错",
        errno.ENOMEM: "内存不足",
    }.get(exc.errno or 0, f"系统错误，代码 {exc.errno}")


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file (a FIFO would block forever) or too big."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ReportUnreadable(f"无法打开文件（{_os_reason(exc)}）") from None
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
        raise ReportUnreadable(f"无法读取文件（{_os_reason(exc)}）") from None
    if len(data) > MAX_FILE_BYTES:
        raise ReportUnreadable(f"文件太大（上限 {MAX_FILE_BYTES // 1048576} MB），未读取")
    return data


def _check_chars(n: int, what: str = "文字") -> None:
    if n > MAX_CHARS:
        raise ReportUnreadable(f"{what}太多（{n} 个字符，上限 {MAX_CHARS}），不像一份年度报告，未读取")


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


# files a report is sometimes published as that are none of the kinds read: said what they are
_SAVE_AS = "请在 Word 或 WPS 中另存为 .docx 或 PDF 后再读取"
_NO_OCR = "本工具不做文字识别（OCR），请使用可复制文字的 PDF 或网页版本"
_OTHER_KINDS = (  # (leading bytes, what the file is, what to do)
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc、.wps、.xls 等）", _SAVE_AS),
    (b"{\\rtf", "富文本（RTF）文件", _SAVE_AS),
    (b"\x89PNG\r\n\x1a\n", "图片（PNG）", _NO_OCR),
    (b"\xff\xd8\xff", "图片（JPEG）", _NO_OCR),
    (b"GIF8", "图片（GIF）", _NO_OCR),
    (b"II*\x00", "图片（TIFF）", _NO_OCR),
    (b"MM\x00*", "图片（TIFF）", _NO_OCR),
    (b"Rar!", "压缩包（RAR）", "请先解压，再读取其中的报告"),
    (b"7z\xbc\xaf\x27\x1c", "压缩包（7z）", "请先解压，再读取其中的报告"),
)


def read_lines(path: str | os.PathLike[str], *, transpose: bool = False) -> tuple[list[Line], str]:
    """The report as lines of words, and the kind of source read (pdf, docx, xlsx, html, md,
    text). ``transpose``: a workbook's rows read as its columns."""
    p = Path(path)
    data = _read_bounded(p)
    for magic, what, todo in _OTHER_KINDS:
        if data.startswith(magic):
            raise ReportUnreadable(f"这是{what}，不是 PDF、Word（.docx）、网页或文本；{todo}")
    if (enc := utf16_codec(data)) is not None:  # 记事本's “Unicode”: sniffed as the text it is
        try:
            data = data.decode(enc).encode("utf-8")
        except UnicodeDecodeError:
            raise ReportUnreadable("文本文件的编码无法识别（UTF-16 内容已损坏），未读取") from None
    kind = sniff(data, p.suffix.lower())
    if kind == "pdf":
        return pdf_lines(data), kind
    if kind == "docx":
        if _is_workbook(data):
            return xlsx_lines(data, transpose=transpose), "xlsx"
        return docx_lines(data), kind
    text = decode_text(data)
    if text is None:
        if b"\x00" in data[:4096]:
            raise ReportUnreadable("不是文本、网页、Word 或 PDF 文件（二进制内容），未读取")
        text = data.decode("utf-8", errors="replace")
    # a web page's size counts its markup too (tags, inline images): said so, not "文字"
    _check_chars(len(text), "网页内容（含标记）" if kind == "html" else "文字")
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
        self.cells = 0  # grid cells laid out so far, spans expanded (the work _end_row does)
        self.pre = 0  # inside <pre>: the text keeps its lines, read as a .txt is
        self.pre_buf: list[str] = []

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """``<![...`` that is not a well-formed marked section (``<![ x``, ``<![foo[``): the stdlib
        asserts; here it is skipped up to its ``>`` like any other stray markup."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            j = self.rawdata.find(">", i + 3)
            return j + 1 if j >= 0 else len(self.rawdata)

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
        if tag == "pre" and self.cell is None:
            if not self.pre:
                self._flush()
                self.pre_buf = []
            self.pre += 1
            return
        if self.pre and self.cell is None and tag != "table":
            if tag in self.BLOCK:
                self.pre_buf.append("\n")
            return
        if tag == "table":
            self._end_pre()
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

    def _end_pre(self) -> None:
        """The <pre> text so far as the lines a .txt of it gives (a table inside ends it)."""
        if self.pre:
            self.lines.extend(text_lines("".join(self.pre_buf)))
            self.pre, self.pre_buf = 0, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
            return
        if tag == "pre" and self.pre and self.cell is None:
            if self.pre == 1:
                self._end_pre()
            else:
                self.pre -= 1
            return
        if self.pre and self.cell is None:
            if tag in self.BLOCK:
                self.pre_buf.append("\n")
            return
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
        elif self.pre:
            self.pre_buf.append(data)
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
        self._count(1)

    def _count(self, n: int) -> None:
        """``n`` more grid cells laid out; the budget is checked as the spans are expanded, so a
        few KB of ``rowspan=1000 colspan=1000`` stop at the budget, never after the work."""
        self.cells += n
        if self.cells > MAX_TABLE_CELLS:
            raise ReportUnreadable(
                f"网页表格单元格太多（合并单元格展开后超过 {MAX_TABLE_CELLS} 个），不像一份年度报告，未读取"
            )

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
        self._count(len(spans))  # the cells spanning down from above: carried over below
        for text, rowspan, colspan in row:
            while spans.get(col, 0) > 0:  # a cell from a row above spans down into this row
                col += 1
            words.append(Word(text, float(col), float(col + colspan - 1) + 0.9, t["y"], t["y"] + 1))
            self._count(colspan - 1)  # the cell itself was counted when it ended
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
        # A tail the parser still holds that starts with "<" is a comment, tag or declaration never
        # closed (a browser lets it run to the end of the file). The stdlib retries such a tail at
        # every "<" in it, each time scanning to the end: quadratic (60 KB of "<a " took 47 s). A
        # tail of more than a few KB is dropped as the markup it is. (Text held back for a "&"
        # near the end is not markup: it is kept.)
        if len(self.rawdata) > _MAX_OPEN_TAIL and self.rawdata.startswith("<"):
            self.rawdata = ""
        super().close()
        self._end_pre()  # a <pre> never closed: its text still read
        self._end_cell()
        self._end_row()
        self._flush()


_MAX_OPEN_TAIL = 4096  # characters of a never-closed construct at the end, parsed the stdlib's way


def _span(v: str | None) -> int:
    try:
        return max(1, min(int(str(v).strip()), 1000))
    except (TypeError, ValueError):
        return 1


def html_lines(text: str) -> list[Line]:
    parser = _HTMLLines()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError, RecursionError):  # the stdlib parser's own checks
        raise ReportUnreadable("网页文件的标记无法解析，未读取") from None
    return parser.lines


# -- Word ---------------------------------------------------------------------------------------
# A .docx is read by its parts, never whole: [Content_Types].xml and _rels/.rels (to find the main
# part wherever the package puts it) and that main part, each inflated in small chunks under its own
# budget and parsed as it streams (expat, no DTD or entity accepted). The other parts (styles,
# headers, images) are never inflated. A table's cells are laid out as python-docx's ``row.cells``
# would (gridSpan repeats a cell, vMerge="continue" repeats the one above; each shown once, at its
# first grid column), with a budget on the grid cells, the paragraphs and the elements.
_CHUNK = 64 * 1024
MAX_PACKAGE_XML = 1024 * 1024  # [Content_Types].xml and _rels/.rels: a few KB in any real file
MAX_DOCX_ELEMENTS = 1_000_000  # XML elements of the main part (a 40-page report: ~60,000)
MAX_DOCX_PARAGRAPHS = 100_000  # paragraphs, in the body and in table cells (a report: ~1,000)
_DOCX_BROKEN = "Word 文件已损坏"
_WORD_TYPES = ("wordprocessingml", "ms-word")


class _Refused(Exception):
    """Raised inside an expat handler: carries the Chinese message out of the parser."""


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, what: str) -> Any:
    """The member's inflated bytes in chunks of at most 64 KB, stopping at ``budget`` bytes
    (a member's declared size is not trusted; zipfile inflates one read's worth at a time)."""
    if info.flag_bits & 0x1:
        raise ReportUnreadable("Word 文件有密码保护（加密），无法读取")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ReportUnreadable("Word 文件使用了 Word 不会使用的压缩方式，未读取")
    total = 0
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            total += len(chunk)
            if total > budget:
                raise ReportUnreadable(
                    f"Word 文件的{what}解压后超过 {budget / 1048576:g} MB（疑为压缩炸弹），未读取"
                )
            yield chunk


def _expat(start: Any, end: Any = None, text: Any = None) -> Any:
    import xml.parsers.expat

    p = xml.parsers.expat.ParserCreate(namespace_separator="}")
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_dtd(*_a: Any) -> None:
        raise _Refused("Word 文件内部含有 DTD 或实体定义（疑为 XML 炸弹或外部实体攻击），未读取")

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    p.ExternalEntityRefHandler = no_dtd
    p.StartElementHandler = start
    if end is not None:
        p.EndElementHandler = end
    if text is not None:
        p.CharacterDataHandler = text
        p.buffer_text = True
    return p


def _parse_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, what: str, p: Any) -> None:
    import xml.parsers.expat

    try:
        for chunk in _chunks(zf, info, budget, what):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except _Refused as exc:
        raise ReportUnreadable(str(exc)) from None
    except xml.parsers.expat.ExpatError:
        raise ReportUnreadable(f"Word 文件的{what}不是完好的 XML（已损坏），未读取") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise ReportUnreadable(f"{_DOCX_BROKEN}（{what}无法解压），未读取") from None


def _attr(attrs: dict[str, str], local: str) -> str | None:
    for k, v in attrs.items():
        if k.rpartition("}")[2] == local:
            return v
    return None


def _package_attrs(zf: zipfile.ZipFile, name: str, want: str) -> list[dict[str, str]]:
    """The attributes of every ``want`` element of a small package part ([] if it is absent)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return []
    out: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(out) > 10_000:
            raise _Refused(f"Word 文件的 {name} 内容过多，未读取")
        if tag.rpartition("}")[2] == want:
            out.append(attrs)

    _parse_member(zf, info, MAX_PACKAGE_XML, f" {name} ", _expat(start))
    return out


def _head(zf: zipfile.ZipFile, name: str, n: int = 100) -> bytes:
    """The first ``n`` bytes of a part (never the whole of a part that inflates without end)."""
    try:
        with zf.open(name) as fh:
            return fh.read(n)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError):
        return b""


def _main_part(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The main document part, found as Word finds it: _rels/.rels's officeDocument relationship
    (whatever its name), its content type a Word document's."""
    names = {i.filename: i for i in zf.infolist()}
    target = None
    for a in _package_attrs(zf, "_rels/.rels", "Relationship"):
        if (a.get("Type") or "").endswith("/officeDocument") and a.get("TargetMode") != "External":
            target = (a.get("Target") or "").lstrip("/")
            break
    target = "/".join(s for s in (target or "word/document.xml").split("/") if s not in ("", "."))
    info = names.get(target)
    if info is None:
        if "OFD.xml" in names:  # 国标 GB/T 33190 版式文件, as some portals publish
            raise ReportUnreadable(
                "这是 OFD 版式文件，不是 PDF、Word（.docx）、网页或文本；请在 OFD 阅读器中另存为 PDF 后再读取"
            )
        if "mimetype" in names and b"opendocument" in _head(zf, "mimetype"):
            raise ReportUnreadable(
                f"这是 OpenDocument 文件（.odt、.ods），不是 PDF、Word（.docx）、网页或文本；{_SAVE_AS}"
            )
        raise ReportUnreadable("不是 Word 文档（.docx 中没有正文部件）")
    types = _package_attrs(zf, "[Content_Types].xml", "Override") + _package_attrs(
        zf, "[Content_Types].xml", "Default"
    )
    ext = target.rpartition(".")[2].lower()
    ctype = next(
        (a.get("ContentType", "") for a in types if (a.get("PartName") or "").lstrip("/") == target), None
    )
    if ctype is None:
        ctype = next(
            (a.get("ContentType", "") for a in types if (a.get("Extension") or "").lower() == ext), ""
        )
    if types and not any(w in ctype for w in _WORD_TYPES):
        raise ReportUnreadable("不是 Word 文档（.docx 的正文部件不是 Word 正文，可能是改了扩展名的其他文件）")
    return info


def _int_attr(attrs: dict[str, str], default: int) -> int:
    try:
        return max(0, int(str(_attr(attrs, "val")).strip()))
    except ValueError:
        return default


# Containers a run may sit in and still be shown as text: a link, a tracked insertion (修订 not yet
# accepted: Word shows it), content controls, smart tags, simple fields. A tracked deletion or the
# source of a move is not shown: its text is never read.
_RUN_CONTAINERS = frozenset(
    ("hyperlink", "ins", "moveTo", "smartTag", "sdt", "sdtContent", "fldSimple", "customXml", "dir", "bdo")
)
# mc:Fallback: what an older program shows in place of mc:Choice (a text box saved by Word: its
# wps:txbx, then the same content again as a VML v:textbox): read once, as the Choice
_NOT_SHOWN = frozenset(("del", "moveFrom", "Fallback"))


def _cell_run(st: list[str], t: int) -> bool:
    """Whether the element on top of ``st`` is a child of a run of a cell paragraph (the run
    directly in the paragraph, or inside shown containers)."""
    d = len(st)
    return (
        d > t + 4
        and st[t + 1] == "tc"
        and st[t + 2] == "p"
        and st[d - 2] == "r"
        and all(x in _RUN_CONTAINERS for x in st[t + 3 : d - 2])
    )


class _DocxBody:
    """Expat handlers turning the main part into lines, budgets checked at every element."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.stack: list[str] = []
        self.body = 0  # depth of w:body once open
        self.mode: str | None = None  # "p" or "tbl": the body child being read
        self.buf: list[str] | None = None  # the text of the body paragraph or cell paragraph
        self.elements = self.paragraphs = self.cells = self.chars = 0
        self.pending = 0  # characters of the paragraph being read
        self.t = 0  # depth of the top-level table
        self.y = 0
        self.prev: set[int] = set()  # grid offsets where a cell starts in the row above
        self.starts: set[int] = set()
        self.words: list[Word] = []
        self.x = self.offset = 0
        self.span = 1
        self.vmerge: str | None = None
        self.paras: list[str] = []
        self.hidden = 0  # depth inside a tracked deletion or a move's source: not shown
        # a table inside a table's cell (a layout table holding the report, as a web page's
        # conversion or a template leaves it): the outer cell's paragraphs are read as body text,
        # the inner table as a table; the outer tables' reading state waits here meanwhile
        # (only in a one-column table: a table in a cell of a data table is left out, as
        # python-docx's cell text leaves it)
        self.container = False  # the current cell holds a table
        self.gridcols = 0  # the current table's grid columns (w:tblGrid)
        self.saved: list[tuple] = []
        # a text box (w:txbxContent) in a paragraph or a cell: its paragraphs and tables read as the
        # body's are (a table in a text box, as some offices place 表二–表四), the reading around
        # it waiting here meanwhile
        self.boxes: list[tuple] = []

    # budgets
    def _para(self) -> None:
        self.paragraphs += 1
        if self.paragraphs > MAX_DOCX_PARAGRAPHS:
            raise _Refused(f"Word 文件段落太多（超过 {MAX_DOCX_PARAGRAPHS} 个），不像一份年度报告，未读取")
        self.buf = []
        self.pending = 0

    def _text(self, n: int) -> None:
        if self.chars + n > MAX_CHARS:
            raise _Refused(f"文字太多（超过 {MAX_CHARS} 个字符），不像一份年度报告，未读取")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_DOCX_ELEMENTS:
            raise _Refused(
                f"Word 正文的 XML 元素太多（超过 {MAX_DOCX_ELEMENTS} 个），不像一份年度报告，未读取"
            )
        local = tag.rpartition("}")[2]
        st = self.stack
        st.append(local)
        d = len(st)
        if local in _NOT_SHOWN:
            self.hidden += 1
        if not self.body:
            if local == "body" and d == 2:
                self.body = d
            return
        if local == "txbxContent" and not self.hidden:
            self._box(d)
            return
        if d == self.body + 1:
            self.mode = local if local in ("p", "tbl") else None
            if local == "p":
                self._para()
            elif local == "tbl":
                self.t, self.y, self.prev, self.gridcols = d, 0, set(), 0
            return
        if self.mode != "tbl":
            return
        t = self.t
        if d == t + 1 and local == "tr":
            self.words, self.x, self.offset, self.starts = [], 0, 0, set()
        elif d == t + 3 and local == "gridBefore" and st[t + 1] == "trPr" and st[t] == "tr":
            self.offset = min(_int_attr(attrs, 0), 10_000)
        elif d == t + 2 and local == "tc" and st[t] == "tr":
            self.span, self.vmerge, self.paras, self.container = 1, None, [], False
        elif d == t + 2 and local == "gridCol" and st[t] == "tblGrid":
            self.gridcols += 1
        elif d == t + 3 and local == "tbl" and st[t + 1] == "tc" and self.gridcols <= 1:
            self._nest(d)
        elif d == t + 4 and st[t + 1] == "tc" and st[t + 2] == "tcPr":
            if local == "gridSpan":
                self.span = max(1, min(_int_attr(attrs, 1), MAX_TABLE_CELLS + 1))
            elif local == "vMerge":
                self.vmerge = _attr(attrs, "val") or "continue"
        elif d == t + 3 and local == "p" and st[t + 1] == "tc":
            self._para()
        elif self.buf is not None and not self.hidden and _cell_run(st, t):
            if local in ("tab", "ptab"):
                self.buf.append("\t")
            elif local in ("br", "cr") and (_attr(attrs, "type") or "textWrapping") == "textWrapping":
                self.buf.append("\n")
            elif local == "noBreakHyphen":
                self.buf.append("-")

    _STATE = (
        "t",
        "y",
        "prev",
        "starts",
        "words",
        "x",
        "offset",
        "span",
        "vmerge",
        "paras",
        "container",
        "gridcols",
    )

    _BOX = ("body", "mode", "buf", "pending", "saved", *_STATE)

    def _box(self, d: int) -> None:
        if len(self.boxes) >= MAX_TABLE_NESTING:
            raise _Refused(f"Word 文本框嵌套太深（超过 {MAX_TABLE_NESTING} 层），不像一份年度报告，未读取")
        self.boxes.append(tuple(getattr(self, k) for k in self._BOX))
        self.body, self.mode, self.buf, self.pending, self.saved = d, None, None, 0, []

    def _nest(self, d: int) -> None:
        if len(self.saved) >= MAX_TABLE_NESTING:
            raise _Refused(f"Word 表格嵌套太深（超过 {MAX_TABLE_NESTING} 层），不像一份年度报告，未读取")
        self.container = True
        self._body_text(self.paras)  # the layout cell's text before the table, in its place
        self.paras = []
        self.saved.append(tuple(getattr(self, k) for k in self._STATE))
        self.t, self.y, self.prev, self.starts, self.words = d, 0, set(), set(), []
        self.x = self.offset = 0
        self.span, self.vmerge, self.paras, self.container, self.gridcols = 1, None, [], False, 0

    def _body_text(self, paras: list[str]) -> None:
        for para in paras:
            s = para.strip()
            self.chars += len(s)
            if s:
                self.lines.append(Line([Word(w) for w in s.split()]))
        _check_chars(self.chars)

    def text(self, data: str) -> None:
        if self.buf is None or not self.stack or self.stack[-1] != "t" or self.hidden:
            return
        # a cell paragraph: only the text of its own runs (python-docx's), tracked insertions too
        if self.mode == "tbl" and not _cell_run(self.stack, self.t):
            return
        self.pending += len(data)
        self._text(self.pending)
        self.buf.append(data)

    def end(self, tag: str) -> None:
        st = self.stack
        d = len(st)
        local = st.pop()
        if local in _NOT_SHOWN:
            self.hidden -= 1
        if local == "txbxContent" and self.boxes and d == self.body:  # back where the box stands
            for k, v in zip(self._BOX, self.boxes.pop(), strict=True):
                setattr(self, k, v)
            return
        if not self.body or d <= self.body:
            return
        if d == self.body + 1:
            if self.mode == "p" and self.buf is not None:
                s = "".join(self.buf).strip()
                self.chars += len(s)
                if s:
                    self.lines.append(Line([Word(w) for w in s.split()]))
            self.mode, self.buf = None, None
            _check_chars(self.chars)
            return
        if self.mode != "tbl":
            return
        t = self.t
        if d == t + 3 and local == "p" and st[t + 1] == "tc" and self.buf is not None:
            self.paras.append("".join(self.buf))
            self.buf = None
        elif d == t + 2 and local == "tc" and st[t] == "tr":
            self.cells += self.span
            if self.cells > MAX_TABLE_CELLS:
                raise _Refused(
                    f"Word 表格单元格太多（合并单元格展开后超过 {MAX_TABLE_CELLS} 个），不像一份年度报告，未读取"
                )
            if self.container:  # a layout cell: its text after the inner table is body text
                self._body_text(self.paras)
            elif not (self.vmerge == "continue" and self.offset in self.prev):  # else: shown above
                s = "\n".join(self.paras).strip()
                self.chars += len(s)
                self._text(0)
                s = re.sub(r"\s+", "", s) if not re.search(r"\d\s+\d", s) else s
                x = float(self.x)
                self.words.append(Word(s or BLANK, x, x + 0.9, self.y, self.y + 1))
            self.starts.add(self.offset)
            self.x += self.span
            self.offset += self.span
        elif d == t + 1 and local == "tr":
            if self.words:
                self.lines.append(Line(self.words, geometric=True, table_row=True))
            self.words, self.prev = [], self.starts
            self.y += 1
        elif d == t and local == "tbl" and self.saved:  # an inner table ends: back in its cell
            for k, v in zip(self._STATE, self.saved.pop(), strict=True):
                setattr(self, k, v)


def docx_lines(data: bytes) -> list[Line]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        raise ReportUnreadable(f"{_DOCX_BROKEN}（不是完好的 zip 压缩包），未读取") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ReportUnreadable(f"Word 文件内部部件太多（{len(infos)} 个），未读取")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ReportUnreadable(
            f"Word 文件解压后太大（{unpacked / 1048576:.0f} MB，上限 {MAX_UNPACKED_BYTES // 1048576} MB；疑为压缩炸弹），未读取"
        )
    main = _main_part(zf)
    if main.file_size > MAX_DOCUMENT_XML:
        raise ReportUnreadable(
            f"Word 正文太大（解压后 {main.file_size / 1048576:.0f} MB，上限 {MAX_DOCUMENT_XML // 1048576} MB），未读取"
        )
    body = _DocxBody()
    _parse_member(zf, main, MAX_DOCUMENT_XML, "正文", _expat(body.start, body.end, body.text))
    if not body.body:
        raise ReportUnreadable("不是 Word 文档（正文部件中没有 w:body）")
    return body.lines


# -- a workbook --------------------------------------------------------------------------------
# A report published as an Excel/WPS workbook (the tables typed on one sheet, or one a sheet, or
# transposed: labels across the top row): every sheet's cells, streamed with the toolkit's bounded
# reader (its zip and XML checks), become lines as an HTML table's rows do — a cell's column is its
# x. ``transpose``: rows read as columns.
def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "xl/workbook.xml" in zf.NameToInfo
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return False


FORM_WORKBOOK = "这是本工具的填报表（Excel 工作簿），不是已公开的年度报告"


def _form_sheets(sheets: dict) -> bool:
    """The sheets of the toolkit's own 填报表 (its hidden _meta, or 封面 beside 表三)."""
    return "_meta" in sheets or {"封面", "表三"} <= set(sheets)


def is_form_workbook(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is the toolkit's own 填报表 (a workbook to validate, not a report to
    import); False for anything else, a file that cannot be read among them."""
    from toolkit import reader as rd

    try:
        data = _read_bounded(Path(path))
        if not _is_workbook(data):
            return False
        _kind, zf = rd._sniff_bytes(data)
        return zf is not None and _form_sheets(rd._sheet_parts(zf))
    except Exception:  # unreadable here is said by the import that follows
        return False


def xlsx_lines(data: bytes, *, transpose: bool = False) -> list[Line]:
    from toolkit import reader as rd

    try:
        _kind, zf = rd._sniff_bytes(data)
    except rd._Unreadable as exc:
        raise ReportUnreadable(f"Excel 工作簿无法读取：{exc.message}") from None
    if zf is None:
        raise ReportUnreadable("Excel 工作簿无法读取（文件已损坏）")
    lines: list[Line] = []
    y = 0.0
    kept = 0
    try:
        sheets = rd._sheet_parts(zf)
        if _form_sheets(sheets):
            raise ReportUnreadable(
                f"{FORM_WORKBOOK}；检查填报表请用 xxgk validate，导出其数字请用 xxgk export"
            )
        strings = rd._shared_strings(zf, data)
        for page, part in enumerate(sheets.values(), 1):
            if part not in zf.NameToInfo:
                continue
            cells: dict[tuple[int, int], str] = {}

            def cell(row: int, col: int, t: str, raw: str, cells: dict = cells) -> None:
                nonlocal kept
                if t == "n":
                    try:
                        f = float(raw)
                        if f.is_integer() and abs(f) < 1e15:
                            raw = str(int(f))
                    except ValueError:
                        pass
                raw = " ".join(str(raw).split())
                if raw:
                    kept += 1
                    _check_cells(kept)
                    cells[(col, row) if transpose else (row, col)] = raw

            rd.stream_cells(zf, part, strings, cell)
            by_row: dict[int, list[tuple[int, str]]] = {}
            for (r, c), text in cells.items():
                by_row.setdefault(r, []).append((c, text))
            for r in sorted(by_row):
                row = sorted(by_row[r])
                if len(row) == 1:  # a title or a paragraph typed into one cell
                    lines.append(Line([Word(t) for t in row[0][1].split()], page))
                else:
                    words = [Word(text, float(c), float(c) + 0.9, y, y + 1) for c, text in row]
                    lines.append(Line(words, page, geometric=True, table_row=True))
                y += 1
    except rd._Unreadable as exc:
        raise ReportUnreadable(f"Excel 工作簿无法读取：{exc.message}") from None
    except xml_errors() as exc:
        raise ReportUnreadable(
            f"Excel 工作簿已损坏（工作表的 XML 无法解析：{type(exc).__name__}），未读取"
        ) from None
    finally:
        zf.close()
    return lines


def xml_errors() -> tuple[type[BaseException], ...]:
    import xml.parsers.expat

    return (xml.parsers.expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, KeyError)


def _check_cells(n: int) -> None:
    if n > MAX_TABLE_CELLS:
        raise ReportUnreadable(
            f"工作簿中有内容的单元格太多（超过 {MAX_TABLE_CELLS:,} 个），不像一份年度报告，未读取"
        )


# -- PDF ----------------------------------------------------------------------------------------
class NoTextLayer(ReportUnreadable):
    """A scanned PDF: pages without a text layer (no OCR here)."""


# PDFium is C++: neither its memory nor its time can be bounded from Python in the same process (a
# deflate bomb in a content stream is inflated inside one call; a damaged page tree can loop). So
# the text is extracted in a forked child under RLIMIT_AS and RLIMIT_CPU, and handed back as JSON;
# however the child ends (out of memory, out of CPU time, a crash), the parent gets one Chinese
# reason. Forking costs a few milliseconds per PDF (README: benchmarks).
PDF_WORKER_MEMORY = 768 * 1024 * 1024  # address space the child may add to what it inherits
PDF_CPU_BASE = 30  # CPU seconds for any PDF, plus PDF_CPU_PER_MB for each MB of the file
PDF_CPU_PER_MB = 4
_PDF_NO_PAGE = "PDF 文件已损坏（有页面无法载入，页面目录可能被破坏），未读取"


def pdf_cpu_seconds(size: int) -> int:
    """The child's CPU-time limit for a PDF of ``size`` bytes (a 64 MB PDF: 286 s; a report of
    1 MB takes about a second)."""
    return PDF_CPU_BASE + PDF_CPU_PER_MB * -(-size // (1024 * 1024))


def pdf_lines(data: bytes) -> list[Line]:
    """Words with their boxes from pypdfium2, grouped into lines by vertical band, per page: in a
    child process with memory and CPU limits where the system can fork, else in this process."""
    if not hasattr(os, "fork"):
        return _pdf_lines(data)
    return _pdf_in_child(data)


def _child_limits(cpu: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = cpu if hard == resource.RLIM_INFINITY else min(cpu, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (want, want + 5 if hard == resource.RLIM_INFINITY else hard))
    try:
        with open("/proc/self/statm", "rb") as fh:
            have = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        have = 1024 * 1024 * 1024
    limit = have + PDF_WORKER_MEMORY
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(data: bytes, w: int, cpu: int) -> None:
    """In the forked child: limits, extraction, the result as JSON on ``w``. Never returns."""
    code = 0
    try:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent's handler cleans up the parent's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _child_limits(cpu)
        levelled: list[tuple[int, float]] = []
        skew_corrections.set(levelled)  # the pages this child levels go back with the lines
        pictures: list[int] = []
        image_pages.set(pictures)  # and the pages that are pictures
        try:
            doc: dict[str, Any] = {
                "lines": [
                    [ln.page, [[w.text, w.x0, w.x1, w.top, w.bottom] for w in ln.words]]
                    for ln in _pdf_lines(data)
                ],
                "levelled": levelled,
                "pictures": pictures,
            }
        except NoTextLayer as exc:
            doc = {"notext": str(exc)}
        except ReportUnreadable as exc:
            doc = {"error": str(exc)}
        except MemoryError:
            doc = {"memory": True}
        except Exception:  # pypdfium2 raises PdfiumError and others on a damaged file
            doc = {"error": "PDF 文件已损坏，无法读出文字，未读取"}
        out = memoryview(json.dumps(doc).encode("ascii"))
        while out:
            out = out[os.write(w, out) :]
    except BaseException:
        code = 3
    finally:
        os._exit(code)


def _pdf_in_child(data: bytes) -> list[Line]:
    import select
    import signal
    import time
    import warnings

    import pypdfium2  # noqa: F401  (loaded and initialised once, here: each child inherits it)

    cpu = pdf_cpu_seconds(len(data))
    r, w = os.pipe()
    try:
        with warnings.catch_warnings():  # Python 3.12 warns about forking with threads alive
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise ReportUnreadable("无法启动 PDF 解析进程（系统资源不足），未读取") from None
    if pid == 0:
        os.close(r)
        _child(data, w, cpu)
    os.close(w)
    chunks: list[bytes] = []
    size = 0
    # the CPU limit ends a busy child; this wall-clock backstop only ends one that waits forever
    deadline = time.monotonic() + 4 * cpu + 60
    status = None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([r], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > 64 * MAX_CHARS:  # far more than the words of MAX_CHARS characters take
                break
            chunks.append(chunk)
    finally:
        os.close(r)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == getattr(signal, "SIGXCPU", None):
            raise ReportUnreadable(
                f"PDF 文件解析超过时间上限（{cpu} 秒处理器时间），可能是损坏或恶意构造的 PDF，未读取"
            )
        raise ReportUnreadable(
            "PDF 文件解析时用尽了内存上限或异常终止，可能是损坏或恶意构造的 PDF（如压缩炸弹），未读取"
        )
    try:
        doc = json.loads(b"".join(chunks)) if os.WEXITSTATUS(status) == 0 else {}
    except ValueError:
        doc = {}
    if "lines" in doc:
        got = skew_corrections.get()
        if got is not None:
            got.extend((int(p), float(a)) for p, a in doc.get("levelled") or [])
        pictures_of = image_pages.get()
        if pictures_of is not None:
            pictures_of.extend(int(p) for p in doc.get("pictures") or [])
        return [
            Line([Word(t, x0, x1, top, bottom) for t, x0, x1, top, bottom in words], page, geometric=True)
            for page, words in doc["lines"]
        ]
    if "notext" in doc:
        raise NoTextLayer(str(doc["notext"]))
    if "error" in doc:
        raise ReportUnreadable(str(doc["error"]))
    raise ReportUnreadable(
        "PDF 文件解析时用尽了内存上限或异常终止，可能是损坏或恶意构造的 PDF（如压缩炸弹），未读取"
    )


def _pdf_lines(data: bytes) -> list[Line]:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ReportUnreadable("PDF 文件有密码保护，无法读取") from None
        raise ReportUnreadable("PDF 文件已损坏或不是 PDF，未读取") from None
    try:
        n = len(doc)
        if n > MAX_PDF_PAGES:
            raise ReportUnreadable(f"PDF 页数太多（{n} 页，上限 {MAX_PDF_PAGES}），不像一份年度报告，未读取")
        lines: list[Line] = []
        total = 0
        for pno in range(n):
            try:
                page = doc[pno]
                try:
                    tp = page.get_textpage()
                    try:
                        count = tp.count_chars()
                        total += count
                        _check_chars(total)
                        if count <= IMAGE_PAGE_CHARS and _has_image(page) and _few_chars(tp, count):
                            image_pages_of = image_pages.get()
                            if image_pages_of is not None:
                                image_pages_of.append(pno + 1)
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
            except pdfium.PdfiumError:
                raise ReportUnreadable(_PDF_NO_PAGE) from None
            lines.extend(_group_lines(words, pno + 1, height))
    finally:
        doc.close()
    if total == 0 or not any(ln.words for ln in lines):
        raise NoTextLayer(
            "PDF 没有文字层（扫描件或图片），无法读出数字；本工具不做文字识别（OCR），请使用可复制文字的 PDF 或网页版本"
        )
    if _garbled(lines):
        raise ReportUnreadable(
            "PDF 中的文字无法正确取出（所用字体缺少字符对照表，复制出来是乱码），无法读出数字；"
            "请使用网页版本，或可正确复制文字的 PDF（如用 Word/WPS 重新导出）"
        )
    return lines


def _garbled(lines: list[Line]) -> bool:
    """A text layer that is not text: the fonts carry no Unicode mapping (no ToUnicode), so
    what comes out is glyph numbers — control characters and symbols, no Chinese at all. A report
    of 政府信息公开 always has Chinese; a text of a few characters (a page number) says nothing."""
    chars = [ch for ln in lines for w in ln.words for ch in w.text]
    if len(chars) < 200:
        return False
    han = sum(1 for ch in chars if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    odd = sum(
        1 for ch in chars if ch < " " or "\x7f" <= ch < "\xa0" or "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd"
    )
    return han < 0.02 * len(chars) and odd > 0.1 * len(chars)


# a page whose text is no more than this many characters (a page number, a running title) but
# that holds a picture: a scanned page, its tables unreadable here (no OCR)
IMAGE_PAGE_CHARS = 40
image_pages: ContextVar[list[int] | None] = ContextVar("image_pages", default=None)


def _has_image(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    try:
        return next(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3), None) is not None
    except Exception:  # a damaged object list: not said to be a picture
        return False


def _few_chars(tp: Any, count: int) -> bool:
    text = tp.get_text_range(0, count) if count else ""
    return sum(1 for ch in text if not ch.isspace()) <= IMAGE_PAGE_CHARS // 2


def _pdf_words(tp: Any, count: int) -> list[Word]:
    text = tp.get_text_range(0, count) if count else ""
    per_char = len(text) == count
    words: list[Word] = []
    cur: list[str] = []
    box: list[float] = []
    last: tuple[float, float, float, float] | None = None
    last_loose: tuple[float, float, float, float] | None = None

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
            last = last_loose = None
            continue
        left, bottom, right, top = tp.get_charbox(i)
        # the glyph's typographic box (its advance and the font's ascent/descent): a comma's
        # ink sits below the digits' band and a full-width digit's ink is half its advance,
        # but in "2,109" and "２１０９" each box ends where the next begins
        loose = tp.get_charbox(i, loose=True)
        if last is not None:
            h = max(top - bottom, last[3] - last[1], 1.0)
            same_band = abs((top + bottom) / 2 - (last[3] + last[1]) / 2) < 0.5 * h
            split = not same_band or left - last[2] > 0.45 * h or left < last[0] - 0.5 * h
            if split and last_loose is not None:
                lh = max(loose[3] - loose[1], last_loose[3] - last_loose[1], 1.0)
                abut = abs(loose[0] - last_loose[2]) < 0.1 * lh
                level = abs((loose[3] + loose[1]) / 2 - (last_loose[3] + last_loose[1]) / 2) < 0.25 * lh
                split = not (abut and level)
            if split:
                flush()
        if not cur:
            box = [left, bottom, right, top]
        else:
            box = [min(box[0], left), min(box[1], bottom), max(box[2], right), max(box[3], top)]
        cur.append(ch)
        last, last_loose = (left, bottom, right, top), loose
    flush()
    return _units_joined(words)


_UNITS = frozenset(("件", "元", "万元", "条", "个"))
_DIGITS_ONLY = re.compile(r"^[0-9０-９.,，．]*[0-9０-９]$")


def _units_joined(words: list[Word]) -> list[Word]:
    """A unit printed right after its number (“12 件”: the digits and 件 in two fonts, and pdfium
    supplies a space between them) is one word with it, “12件”, as the cell says: a lone 件
    between a row's numbers is not label text."""
    out: list[Word] = []
    for w in words:
        p = out[-1] if out else None
        if (
            p is not None
            and w.text in _UNITS
            and _DIGITS_ONLY.match(p.text)
            and p.x1 is not None
            and w.x0 is not None
        ):
            h = max(abs(p.top - p.bottom), abs(w.top - w.bottom), 1.0)
            level = abs((p.top + p.bottom) / 2 - (w.top + w.bottom) / 2) < 0.5 * h
            if level and -0.1 * h <= w.x0 - p.x1 < 0.6 * h:
                p.text += w.text
                p.x1 = max(p.x1, w.x1 or p.x1)
                p.top, p.bottom = max(p.top, w.top), min(p.bottom, w.bottom)
                continue
        out.append(w)
    return out


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
