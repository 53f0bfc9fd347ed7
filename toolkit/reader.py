"""File -> :class:`Submission`: read a completed workbook back, whatever typed it.

* Sniffs the real file type from its bytes (not its extension): xlsx/xlsm, legacy .xls, WPS .et,
  .ods; CSV, HTML, PDF, Word files and encrypted workbooks get a precise Chinese explanation of
  what to do (``FILE-UNREADABLE``), never a traceback. Zip and XML bombs are refused by size and
  entity checks before anything is decompressed in full.
* Finds every key through the spec's layout and checks the structure first: a missing or renamed
  sheet or a label not where the spec puts it (rows inserted, labels changed) is
  ``TEMPLATE-UNKNOWN`` and no number is read from that sheet (never a wrong number from a
  shifted cell). The hidden ``_meta`` sheet says which format and version wrote the workbook.
* xlsx cells are read from the sheet XML (one regex pass, or expat where the XML is unusual);
  .xls/.ods through python-calamine. The formula of each total cell is read too, because the
  cached result of a formula is not to be trusted (a library-written file has none, or 0) and a
  number typed over a formula is exactly what ``FORMULA-OVERWRITTEN`` is for.
* Sheets of a template seen before are read through a *plan* of their skeleton (everything but
  the text in <v>): no per-cell work, and a clean sheet (labels right, plain counts, intact
  formulas) goes into the submission in bulk. A plan gives exactly what the cell-by-cell reading
  gives or is not used (tests/test_reader_plans.py).
* Never modifies, locks or re-saves the input: it is opened read-only, once, by path.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import hashlib
import io
import operator
import os
import re
import stat
import struct
import unicodedata
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from toolkit.cells import implausible, parse_number
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.formulas import total_formula
from toolkit.inputs import file_kind
from toolkit.model import Submission, compute_totals
from toolkit.oswords import os_reason
from toolkit.spec import FormSpec, LabelCell, available_formats, cell_name, load_spec, spec_for_year

__all__ = ["MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "ReadResult", "read_file", "sniff"]

MAX_FILE_BYTES = 50 * 1024 * 1024  # a filled form is ~30 KB; 50 MB is not a form
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # zip bomb guard: total uncompressed size
MAX_RATIO = 200  # zip bomb guard: a member compressed more than this (and > 1 MB) is refused
MAX_XML_BYTES = 40 * 1024 * 1024  # one sheet's XML for the formula scan


@dataclass
class ReadResult:
    """What reading one file gave: the submission (None if unreadable) and reading findings."""

    path: str
    submission: Submission | None
    findings: list[Finding] = field(default_factory=list)
    kind: str = ""  # "xlsx", "xls", "ods", ...
    sha256: str = ""  # of the file's bytes, as read
    # the ``xxgk.<name>`` document properties asked for (read_file(properties=...)), from the zip
    # directory the reader parsed anyway; None when the reader did not get as far as a zip
    declared: dict[str, str] | None = None


_FILE_ERRORS = (
    zlib.error,  # damaged compressed data inside the zip
    NotImplementedError,  # zipfile: a garbled header naming an unknown zip version or method
    CalamineError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    UnicodeDecodeError,
    xml.parsers.expat.ExpatError,
    KeyError,
    ValueError,
)


class _Unreadable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _digits(text: str, most: int = 9) -> bool:
    """``text`` is a small whole number written in ASCII digits (an attribute, an id): what
    ``int()`` takes. ``str.isdigit`` also says yes to ``²`` and to 5,000 digits, where ``int``
    raised and the file was said unreadable with Python's English words."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def _quoted(text: str, most: int = 30) -> str:
    """A value read from the file as a message quotes it: at most ``most`` characters, a cut marked …"""
    return text if len(text) <= most else text[:most] + "…"


# -- sniffing ----------------------------------------------------------------------------------
def _open(path: Path) -> tuple[int, int]:
    """``path`` opened for reading (never blocks: a FIFO is opened without waiting for a writer)
    and its size from the open file: (fd, size). Only a regular file: a FIFO, a device (/dev/zero,
    /dev/urandom) or a folder has no size to go by (they were said 文件是空的（0 字节）, and
    zipfile, given one, waited for a writer for ever or read /dev/zero without end)."""
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as exc:
        try:
            os.stat(path)
        except OSError as why:
            raise _Unreadable(f"无法打开文件：{os_reason(why)}") from None
        raise _Unreadable(f"无法读取文件：{os_reason(exc)}") from None
    try:
        st = os.fstat(fd)
    except OSError as exc:
        os.close(fd)
        raise _Unreadable(f"无法打开文件：{os_reason(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _Unreadable(f"不是普通文件（是{file_kind(st.st_mode)}），未读取")
    return fd, st.st_size


def _load(path: Path) -> bytes:
    """The whole file, once (a form is ~30 KB; anything over MAX_FILE_BYTES is refused unread).
    One open, its size from the open file, one read."""
    fd, size = _open(path)
    try:
        if size == 0:
            raise _Unreadable("文件是空的（0 字节），可能没有保存完整或附件没有下载完整，请重新保存后再提交")
        if size > MAX_FILE_BYTES:
            raise _Unreadable(f"文件过大（{size / 1048576:.0f} MB），不是正常的填报表（通常小于 1 MB）")
        try:
            # the size read, and one byte more: a file still growing (a copy in progress) reads
            # on, still bounded; asking for MAX_FILE_BYTES + 1 at once cost a 50 MB buffer a file.
            # os.read, not a buffered file: one call where a form is read whole (a buffered read
            # made its buffer, asked the size again and read once more to meet the end)
            data = os.read(fd, size + 1)
            if len(data) < size:  # a short read (a network share): on to the end or the bound
                data = b"".join(_read_on(fd, [data], size + 1))
            if len(data) > size:
                data = b"".join(_read_on(fd, [data], MAX_FILE_BYTES + 1))
                if len(data) > MAX_FILE_BYTES:  # it grew past the bound while read
                    raise _Unreadable(
                        f"文件过大（读取时仍在增大，已超过 {MAX_FILE_BYTES // 1048576} MB），"
                        "不是正常的填报表（通常小于 1 MB）"
                    )
            return data
        except OSError as exc:
            raise _Unreadable(f"无法读取文件：{os_reason(exc)}") from None
    finally:
        os.close(fd)


def _read_on(fd: int, chunks: list[bytes], limit: int) -> list[bytes]:
    """``chunks`` and what follows them in ``fd``, up to ``limit`` bytes in all or the end."""
    got = sum(map(len, chunks))
    while got < limit and (more := os.read(fd, min(limit - got, 1 << 20))):
        chunks.append(more)
        got += len(more)
    return chunks


_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def sniff(path: Path) -> str:
    """The real type of a file from its bytes: xlsx, xls or ods; raises _Unreadable otherwise."""
    kind, zf = _sniff_bytes(_load(Path(path)))
    if zf is not None:
        zf.close()
    return kind


def _sniff_bytes(data: bytes) -> tuple[str, Any]:
    head = data[:4096]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(data), None
    if head.startswith(b"%PDF"):
        raise _Unreadable("这是 PDF 文件，不是 Excel 工作簿；请报送填写好的 xlsx 模板，而不是打印稿")
    if head.startswith(b"{\\rtf"):
        raise _Unreadable("这是 RTF 文档，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    text = _as_text(head)
    if text is not None:
        low = text.lstrip("\ufeff \r\n\t").lower()
        if low.startswith(("<!doctype html", "<html", "<table", "<meta", "<?xml")) or "<table" in low:
            raise _Unreadable(
                "这是网页（HTML/XML）文件，只是扩展名改成了 Excel 的；"
                "请在 Excel 或 WPS 中打开后“另存为” .xlsx 格式再报送"
            )
        if "," in text or "\t" in text or "，" in text:
            raise _Unreadable(
                "这是 CSV/文本文件，不是 Excel 工作簿，表格结构和公式都已丢失；请使用下发的 xlsx 模板填写后报送"
            )
        raise _Unreadable("这是纯文本文件，不是 Excel 工作簿；请使用下发的 xlsx 模板填写后报送")
    raise _Unreadable("无法识别的文件类型（不是 Excel/WPS 工作簿）；请使用下发的 xlsx 模板填写后报送")


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head[:1024]:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # cut in the middle of a character
                return head[: exc.start].decode(enc, errors="ignore")
    return None


class _Member:
    __slots__ = (
        "CRC",
        "compress_size",
        "compress_type",
        "file_size",
        "filename",
        "flag_bits",
        "header_offset",
    )


_EOCD = struct.Struct("<4s4H2LH")
_NAMES: dict[tuple[bytes, int], str] = {}  # (name as stored, UTF-8 flag) -> a valid decoded name
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # zipfile.structCentralDir


class _ZipDirectory:
    """The central directory of an ordinary zip (no archive comment, no zip64, nothing before the
    first member, names without NUL) read once with struct: the few members of
    ``zipfile.ZipFile`` the reader uses. ``load`` returns None for anything else, which then goes
    to zipfile itself (with its own errors); reading a member the reader does not inflate itself
    (``read``/``open``) also goes through a ZipFile."""

    def __init__(self, raw: bytes, members: list[_Member]) -> None:
        self.raw = raw
        self.members = members
        self.NameToInfo = {m.filename: m for m in members}
        self._zip: zipfile.ZipFile | None = None

    @classmethod
    def load(cls, raw: bytes) -> _ZipDirectory | None:
        end = len(raw) - 22
        if end < 0 or raw[end : end + 4] != b"PK\x05\x06" or raw[-2:] != b"\0\0":
            return None
        if end >= 20 and raw[end - 20 : end - 16] == b"PK\x06\x07":
            return None  # zip64
        _sig, disk, disk_cd, count, total, size_cd, offset_cd, _comment = _EOCD.unpack_from(raw, end)
        if disk or disk_cd or count != total or offset_cd + size_cd != end:
            return None
        layout = _LAYOUTS.get((count, size_cd))
        if layout is not None and (members := layout.members(raw, offset_cd)) is not None:
            return cls(raw, members)
        members = []
        pos = offset_cd
        for _ in range(count):
            if pos + 46 > end:
                return None
            c = _CENTRAL.unpack_from(raw, pos)
            if c[0] != b"PK\x01\x02" or c[3] > zipfile.MAX_EXTRACT_VERSION or c[13]:
                return None  # extra fields (zipfile checks and decodes them)
            m = _Member()
            m.flag_bits, m.compress_type, m.CRC, m.compress_size, m.file_size = c[5], c[6], c[9], c[10], c[11]
            m.header_offset = c[18]
            if 0xFFFFFFFF in (m.compress_size, m.file_size, m.header_offset):
                return None  # zip64 sizes
            key = (raw[pos + 46 : pos + 46 + c[12]], m.flag_bits & 0x800)
            filename = _NAMES.get(key)
            if filename is None:
                try:
                    filename = key[0].decode("utf-8" if key[1] else "cp437")
                except UnicodeDecodeError:
                    return None  # zipfile says what is wrong
                if "\0" in filename or (os.sep != "/" and os.sep in filename):
                    return None  # zipfile rewrites such names
                if len(key[0]) <= 128:  # a form's part names, decoded once per process (bounded)
                    if len(_NAMES) >= 1024:
                        _NAMES.clear()
                    _NAMES[key] = filename
            m.filename = filename
            members.append(m)
            pos += 46 + c[12] + c[13] + c[14]
        if pos != end:
            return None
        if len(_LAYOUTS) >= 64:
            _LAYOUTS.clear()
        _LAYOUTS[(count, size_cd)] = _Layout(raw, offset_cd, members)
        return cls(raw, members)

    def infolist(self) -> list[_Member]:
        return self.members

    def getinfo(self, name: str) -> _Member:
        return self.NameToInfo[name]

    def _real(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self.raw))
        return self._zip

    def read(self, name: str) -> bytes:
        return self._real().read(name)

    def open(self, name: str) -> Any:
        return self._real().open(name)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


class _Layout:
    """A central directory's shape (its members' names, in order, their flags, no extra fields or
    comments) seen once: the directory of another workbook of that template is then unpacked by one
    struct call and checked field by field as slices, not member by member (21 -> 14.5 us)."""

    __slots__ = ("filenames", "flags", "lengths", "names", "sigs", "struct", "zeros")

    def __init__(self, raw: bytes, offset: int, members: list[_Member]) -> None:
        self.struct: struct.Struct | None = None
        fields = []
        pos = offset
        for _m in members:
            c = _CENTRAL.unpack_from(raw, pos)
            if c[14]:
                return  # a member comment: not a shape this fast path describes
            fields.append((*c, raw[pos + 46 : pos + 46 + c[12]]))
            pos += 46 + c[12] + c[13]
        self.struct = struct.Struct("<" + "".join(f"4s4B4HL2L5H2L{f[12]}s" for f in fields))
        n = len(fields)
        self.sigs = (b"PK\x01\x02",) * n
        self.zeros = (0,) * n
        self.flags = tuple(f[5] for f in fields)
        self.lengths = tuple(f[12] for f in fields)
        self.names = tuple(f[19] for f in fields)
        self.filenames = tuple(m.filename for m in members)

    def members(self, raw: bytes, offset: int) -> list[_Member] | None:
        """The members of the directory at ``offset`` when it has this shape (else None: the
        member-by-member reading decides), exactly as that reading would give them."""
        if self.struct is None:
            return None
        v = self.struct.unpack_from(raw, offset)
        if (
            v[0::20] != self.sigs
            or v[19::20] != self.names
            or v[12::20] != self.lengths
            or v[5::20] != self.flags
            or v[13::20] != self.zeros  # extra fields
            or v[14::20] != self.zeros  # comments
            or max(v[3::20]) > zipfile.MAX_EXTRACT_VERSION
            or 0xFFFFFFFF in v[10::20]
            or 0xFFFFFFFF in v[11::20]
            or 0xFFFFFFFF in v[18::20]
        ):
            return None
        out = []
        for i, name in enumerate(self.filenames):
            b = 20 * i
            m = _Member()
            m.flag_bits, m.compress_type = v[b + 5], v[b + 6]
            m.CRC, m.compress_size, m.file_size = v[b + 9], v[b + 10], v[b + 11]
            m.header_offset = v[b + 18]
            m.filename = name
            out.append(m)
        return out


_LAYOUTS: dict[tuple[int, int], _Layout] = {}  # by (members, directory size): bounded


ZipLike = (zipfile.ZipFile, _ZipDirectory)  # what _sniff_bytes returns for an xlsx


def _raw_of(zf: Any) -> bytes | None:
    """The bytes of the whole zip when they are in memory (then members are inflated directly)."""
    if isinstance(zf, _ZipDirectory):
        return zf.raw
    return zf.fp.getvalue() if isinstance(zf.fp, io.BytesIO) else None


def _sniff_zip(data: bytes) -> tuple[str, Any]:
    try:
        zf = _ZipDirectory.load(data) or zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Unreadable("文件已损坏或不完整（可能是邮件附件没有下载完整），请重新保存后再发送") from None
    except zipfile.LargeZipFile:
        raise _Unreadable("文件过大，不是正常的填报表") from None
    try:
        kind = _zip_kind(zf)
    except BaseException:
        zf.close()
        raise
    if kind != "xlsx":
        zf.close()
        return kind, None
    return kind, zf


_DISTINCT_NAMES: set[tuple[str, ...]] = set()  # part-name lists found distinct, case aside (bounded)
_SIZE, _METHOD = (operator.attrgetter(a) for a in ("file_size", "compress_type"))


def _distinct(names: tuple[str, ...]) -> bool:
    """No two part names equal but for case (Excel/WPS refuse such a zip)."""
    if names in _DISTINCT_NAMES:
        return True
    if len({n.casefold() for n in names}) != len(names):
        return False
    if len(_DISTINCT_NAMES) >= 256:
        _DISTINCT_NAMES.clear()
    _DISTINCT_NAMES.add(names)
    return True


def _zip_kind(zf: zipfile.ZipFile, *, whole: bool = True) -> str:
    """``whole=False``: the parts will not all be read, so their total size is no bomb."""
    infos = zf.infolist()
    names = zf.NameToInfo if isinstance(zf, _ZipDirectory) else {i.filename for i in infos}
    if len(names) != len(infos) or not _distinct(tuple(names)):
        dup = sorted(
            {
                i.filename
                for i in infos
                if sum(j.filename.casefold() == i.filename.casefold() for j in infos) > 1
            }
        )
        raise _Unreadable(
            f"文件已损坏：内部部件重名（{'、'.join(dup[:3])}），Excel/WPS 也无法正常打开；请重新保存后再发送"
        )
    sizes = list(map(_SIZE, infos))
    total = sum(sizes)
    if total > MAX_UNZIPPED_BYTES and whole:
        raise _Unreadable(f"文件解压后过大（{total / 1048576:.0f} MB），疑似压缩炸弹，已拒绝读取")
    for i in infos if max(sizes, default=0) > 1024 * 1024 else ():
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _Unreadable("文件内部数据压缩比异常（疑似压缩炸弹），已拒绝读取")
    # zipfile inflates a bzip2/LZMA member a whole read at once, whatever size it declares
    # (530 bytes of bzip2 are 700 MB); Excel, WPS and LibreOffice only store or deflate
    if not set(map(_METHOD, infos)) <= {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}:
        raise _Unreadable(
            "文件内部使用了 Excel/WPS 不会使用的压缩方式（疑似恶意构造），已拒绝读取；请在 Excel/WPS 中重新保存"
        )
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise _Unreadable("这是 Excel 二进制工作簿（.xlsb），请在 Excel 中“另存为” .xlsx 格式再报送")
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        mime = zf.read("mimetype")[:100]
        if b"spreadsheet" in mime:
            return "ods"
        raise _Unreadable("这是 OpenDocument 文本或演示文件，不是电子表格；请报送填写好的 xlsx 模板")
    if "word/document.xml" in names:
        raise _Unreadable("这是 Word 文档，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    if "ppt/presentation.xml" in names:
        raise _Unreadable("这是 PowerPoint 文件，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    raise _Unreadable("这是 zip 压缩包，不是 Excel 工作簿；请解压后分别报送其中的 xlsx 文件")


def _declares_entities(xml: bytes) -> bool:
    """A DOCTYPE or ENTITY declaration in the first 4 KB (where a prolog is): refused, never
    expanded. Searched in place (a part's first 4 KB copied out for the search cost more), by its
    "!" (one byte: memchr; a longer needle is ~30x slower over Chinese text, and formulas such as
    '表三'!D6 put a "!" into many parts): each one found is looked at where it stands."""
    i = xml.find(b"!", 0, 4096)
    while i >= 0:
        if i and xml[i - 1] == 0x3C and xml.startswith((b"DOCTYPE", b"ENTITY"), i + 1):  # "<!"
            return True
        i = xml.find(b"!", i + 1, 4096)
    return False


def _sniff_ole(data: bytes) -> str:
    data = data[: 4 * 1024 * 1024]
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise _Unreadable(
            "文件设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码"
            "（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新保存并报送"
        )
    if "WordDocument".encode("utf-16-le") in data:
        raise _Unreadable("这是 Word 文档（.doc），不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    return "xls"  # BIFF .xls, and WPS .et which shares the container


# -- XML formula scan --------------------------------------------------------------------------
_ELEM_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\b([^>]*)>")
_ELEM_REL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')


def _attrs(raw: bytes) -> dict[str, str]:
    out = {}
    for k, v in _ATTR.findall(raw):
        text = v.decode("utf-8", "replace")
        out[k.decode()] = _unescape(text) if "&" in text else text
    return out


_PARTS: dict[tuple[bytes, bytes], dict[str, str]] = {}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the zip (xl/worksheets/sheetN.xml)."""
    wb = _small_part(zf, "xl/workbook.xml")
    rels = _small_part(zf, "xl/_rels/workbook.xml.rels")
    known = _PARTS.get((wb, rels))  # the same two parts in every workbook of one template
    if known is None:
        known = _parse_sheet_parts(wb, rels)
        if len(wb) + len(rels) <= 65536:  # bounded: a form's two parts are ~3 KB
            if len(_PARTS) >= 64:
                _PARTS.clear()
            _PARTS[(wb, rels)] = known
    return dict(known)


def _parse_sheet_parts(wb: bytes, rels: bytes) -> dict[str, str]:
    targets = {a.get("Id"): a.get("Target", "") for a in map(_attrs, _ELEM_REL.findall(rels))}
    out = {}
    for a in map(_attrs, _ELEM_SHEET.findall(wb)):
        rid = next((v for k, v in a.items() if k.endswith(":id")), None)
        target = targets.get(rid, "")
        if target.startswith("/"):
            target = target[1:]
        elif not target.startswith("xl/"):
            target = "xl/" + target
        out[a.get("name", "")] = target
    return out


def _small_part(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > MAX_XML_BYTES:
        raise _Unreadable("文件内部结构异常（部件过大），已拒绝读取")
    data = _read_member(zf, name, _raw_of(zf))
    if _declares_entities(data):
        raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")
    return data


def _new_parser() -> Any:
    p = xml.parsers.expat.ParserCreate()
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_entities(*_a: Any) -> None:
        raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")

    p.EntityDeclHandler = no_entities
    p.StartDoctypeDeclHandler = lambda *a: no_entities()
    return p


def _parse_member(zf: Any, member: Any, start: Any, end: Any, chars: Any = None) -> None:
    """A zip member (name or ZipInfo) through a new entity-refusing expat parser with these
    handlers, streamed a MB at a time (never held whole)."""
    p = _new_parser()
    p.StartElementHandler = start
    p.EndElementHandler = end
    if chars is not None:
        p.CharacterDataHandler = chars
        p.buffer_text = True
    with zf.open(member) as fh:
        while chunk := fh.read(1 << 20):
            p.Parse(chunk, False)
        p.Parse(b"", True)


def stream_cells(zf: Any, part: str, strings: Any, on_cell: Callable[[int, int, str, str], None]) -> None:
    """Every cell of the sheet ``part`` that holds a value, streamed with expat (memory: one
    cell's text, never the used range a file claims): ``on_cell(row, col, type, text)``, 0-based,
    ``type`` the cell's t= ("n" when absent), shared strings resolved (an index into nothing: ""),
    the text cut at 10,000 characters. For files that are not the form (a roster, a report
    published as a workbook); ``on_cell`` may raise to stop."""
    st: dict[str, Any] = {"row": 0, "col": -1, "t": "n", "text": None, "in": ""}

    def start(tag: str, attrs: dict[str, str]) -> None:
        loc = tag.rsplit(":", 1)[-1]
        if loc == "row":
            r = attrs.get("r")
            st["row"] = int(r) - 1 if r and _digits(r, 7) else st["row"] + 1
            st["col"] = -1
        elif loc == "c":
            pos = _pos(attrs.get("r", "")) if attrs.get("r") else None
            st["col"] = pos[1] if pos else st["col"] + 1
            if pos:
                st["row"] = pos[0]
            st.update(t=attrs.get("t", "n"), text=None)
        elif loc in ("v", "t"):
            st["in"] = loc
            if st["text"] is None:
                st["text"] = []

    def chars(text: str) -> None:
        if st["in"] and st["text"] is not None and len(st["text"]) < 1000:
            st["text"].append(text)

    def end(tag: str) -> None:
        loc = tag.rsplit(":", 1)[-1]
        if loc in ("v", "t"):
            st["in"] = ""
        elif loc == "c" and st["text"] is not None:
            raw = "".join(st["text"])[:10_000]
            if st["t"] == "s":
                try:
                    raw = strings[int(raw)]
                except (ValueError, IndexError):
                    raw = ""
            on_cell(st["row"], st["col"], st["t"], raw)

    _parse_member(zf, part, start, end, chars)


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


_A1 = re.compile(r"([A-Z]{1,3})(\d+)")


def _pos(a1: str) -> tuple[int, int] | None:
    m = _A1.fullmatch(a1)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


class BadNumber(str):
    """The stored content of a number cell that is not a valid xsd:double (``1_000``, ``１２``):
    Excel calls such a file damaged and LibreOffice reads something else, so it is never a number."""


# the lexical space of an OOXML number (xsd:double), ASCII only: Python's int() and Decimal()
# accept more (underscores, full-width digits), which no spreadsheet application does
_XSD_DOUBLE = re.compile(r"[ \t\r\n]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r\n]*")


# a number's stored text longer than this is no double (the largest has 309 digits): refused as a
# number rather than letting int() raise (Python limits int(str) to 4,300 digits)
_MAX_NUMBER_CHARS = 1000


def _xml_number(text: str) -> int | Decimal | str:
    t = text.strip(" \t\r\n")
    if len(t) > _MAX_NUMBER_CHARS:  # beyond any double; int() refuses over 4,300 digits anyway
        return BadNumber(t[:40] + "…")
    if not _XSD_DOUBLE.fullmatch(t):
        return BadNumber(t)
    if t.isdigit():
        return int(t)
    try:
        d = Decimal(t)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return BadNumber(t)
    if d == d.to_integral_value() and abs(d) < 10**15:
        return int(d)
    # Excel stores 12.35 as "12.35", but a float artefact such as 0.30000000000000004 is
    # written with 17 digits: round to 15 significant digits as Excel displays it
    return Decimal(f"{float(d):.15g}") if len(d.as_tuple().digits) > 15 else d


_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
# a cell with content (self-closing, formatting-only cells are skipped by the engine, in C)
_CELL = re.compile(
    rb"<" + _NS + rb'c\b(?=[^>]*?\br="([A-Z]{1,3}[0-9]+)")([^>]*?)(?<!/)>(.*?)</' + _NS + rb"c>", re.S
)
_CELL_PLAIN = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"([^>/]*)>(.*?)</c>', re.S)
# a cell start the simple pattern would not see: prefixed (<x:c …>), or <c followed by a tab,
# a line break or "/" instead of a space
_ODD_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:c[\s/>]|c[\t\r\n/])")
_EMPTY_CELL = re.compile(rb"<" + _NS + rb"c\b[^>]*/>")
_CELL_START = re.compile(rb"<" + _NS + rb"c[\s/>]")
_TYP = re.compile(rb'\bt="(\w+)"')
_STYLE = re.compile(rb'\bs="([0-9]{1,6})"')
_F = re.compile(rb"<" + _NS + rb"f\b[^>]*?(?:/>|>(.*?)</" + _NS + rb"f>)", re.S)
_V = re.compile(rb"<" + _NS + rb"v>(.*?)</" + _NS + rb"v>", re.S)
_T = re.compile(rb"<" + _NS + rb"t\b[^>]*?(?:/>|>(.*?)</" + _NS + rb"t>)", re.S)
_RPH = re.compile(rb"<" + _NS + rb"rPh\b.*?</" + _NS + rb"rPh>", re.S)
_SI = re.compile(rb"<" + _NS + rb"si\b[^>]*?(?:/>|>(.*?)</" + _NS + rb"si>)", re.S)


@functools.lru_cache(maxsize=64)
def _by_ref(wanted: frozenset[tuple[int, int]]) -> dict[bytes, tuple[int, int]]:
    return {cell_name(r, c).encode(): (r, c) for r, c in wanted}


_SI_TEXT: dict[bytes, str] = {}
_SMALL_CELLS: dict[tuple, dict[tuple[int, int], Any]] = {}  # see _XlsxBook._small_key (bounded)
_META: dict[tuple, dict[str, str]] = {}  # the _meta sheet read, by the same key (bounded)


class _LazyStrings:
    """The shared-string table, split once and decoded only where a wanted cell points."""

    def __init__(self, raw: list[bytes]) -> None:
        self.raw = raw
        self.done: dict[int, str] = {}

    def __getitem__(self, i: int) -> str:
        s = self.done.get(i)
        if s is None:
            raw = self.raw[i].split(b"</si>", 1)[0]
            s = _SI_TEXT.get(raw)  # labels repeat in every workbook: decode each once per process
            if s is None:
                clean = _RPH.sub(b"", raw) if b"<rPh" in raw else raw
                s = "".join(_xml_text(t or b"") for t in _T.findall(clean))
                if len(raw) <= 1024:  # labels are short; a long text (or name) is not kept
                    if len(_SI_TEXT) > 4096:  # bounded: labels repeat in every file, names never
                        _SI_TEXT.clear()
                    _SI_TEXT[raw] = s
            self.done[i] = s
        return s


def _xml_text(b: bytes) -> str:
    s = b.decode("utf-8", errors="replace")
    return _unescape(s) if "&" in s else s


def _unescape(s: str) -> str:
    import html  # on the first text with an entity: the module loads 2,000 of them (start-up)

    return html.unescape(s)


_ODD_FORMATS: dict[bytes, dict[int, str]] = {}
_NUMFMT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?numFmt\b([^>]*?)/?>")
_CELLXFS = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?cellXfs\b[^>]*>(.*?)</(?:[A-Za-z_][\w.-]*:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?xf\b([^>]*)")
# built-in number formats of ECMA-376 (18.8.30) that do not show the number as it is stored
_BUILTIN_ODD = {
    **{i: "日期" for i in (14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58)},
    **{i: "时间" for i in (18, 19, 20, 21, 32, 33, 45, 46, 47, 55, 56)},
    **{i: "百分比" for i in (9, 10)},
}


def _format_kind(code: str) -> str | None:
    """What a custom number format code makes of a number, if not the number itself."""
    bare = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.', "", code)  # quoted text, escapes, [colour]…
    low = bare.lower()
    if re.search(r"[ymdhs]", low) or "上午" in code or "下午" in code or "am/pm" in low:
        return "日期" if re.search(r"[yd]", low) or ("m" in low and "h" not in low) else "时间"
    if "%" in bare:
        return "百分比"
    first = bare.split(";", 1)[0]
    if not re.search(r"[0#?]", first) and first.lower() not in ("general", "@"):
        return "文字"  # shows a fixed text (or nothing) instead of the number
    if re.search(r"[0#?],+(?![0#?])", first):
        return "千位缩放"  # a trailing comma divides the shown number by 1,000
    literals = re.findall(r'"([^"]*)"|\\(.)', code.split(";", 1)[0])  # quoted text and \x escapes
    if any(re.search(r"[0-9０-９]", q + e) for q, e in literals):
        return "附加数字"  # 0"0" shows 12 as 120: digits the format adds to the number
    return None


def _odd_formats(xml: bytes) -> dict[int, str]:
    if _declares_entities(xml):
        raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")
    custom: dict[int, str | None] = {}
    for raw in _NUMFMT.findall(xml):
        a = _attrs(raw)
        if _digits(a.get("numFmtId", "")):
            custom[int(a["numFmtId"])] = _format_kind(a.get("formatCode", ""))
    m = _CELLXFS.search(xml)
    out: dict[int, str] = {}
    for i, raw in enumerate(_XF.findall(m.group(1)) if m else ()):
        fid = _attrs(raw).get("numFmtId", "0")
        n = int(fid) if _digits(fid) else 0
        kind = custom[n] if n in custom else _BUILTIN_ODD.get(n)
        if kind:
            out[i] = kind
    return out


# -- sheet plans: the same template's sheet read again without the per-cell work ------------------
# Every workbook made from one template (and saved by one application) has the same sheet XML
# except for the text inside its <v> elements. Split at those, the rest (the "skeleton": every
# reference, attribute, formula and inline string) is a key: the first workbooks with a skeleton
# are read cell by cell (``_cells_fast``), and from the second sighting on a plan is kept that
# says, for every wanted cell, which <v> text holds its value and how that text is read; labels
# are verified once per distinct set of shared strings. A plan is made only where it provably
# gives what the cell-by-cell reading gives for ANY text in the <v> slots (see ``_make_plan``);
# every other cell shape leaves the sheet to the careful path.
_VSLOT = re.compile(rb"<v>([^<]*)</v>")
# what _cells_fast would notice outside sheetData: a cell (plain or prefixed), a cell's end, a
# comment, CDATA, a processing instruction (none of them can straddle the boundaries: each starts
# with "<", and sheetData's own tags are the only markup at the boundaries)
_OUTSIDE_READ = re.compile(rb"<(?:c[\s/>]|/c>|[A-Za-z_][\w.-]*:c[\s/>]|!--|!\[CDATA\[|\?)")
_F_PLAIN = re.compile(rb"<f(?: [^<>]*)?(?:/>|>[^<]*</f>)")
_V_NUM, _V_SST, _F_NUM, _CONST = 0, 1, 2, 3
_NO_LANE = object()
_PLAN_MAX_BYTES = 256 * 1024  # a form's sheet is ~20 KB: larger sheets are read cell by cell
# (wanted cells, number of parts, first and last skeleton piece) -> [(skeleton, plan or None)]:
# a sheet's skeleton is compared piece by piece with the few kept under its key, never hashed
# whole (hashing ~10 KB of fresh pieces per sheet cost more than comparing them)
_PLANS: dict[
    tuple[frozenset[tuple[int, int]], int, bytes, bytes], list[tuple[list[bytes], _SheetPlan | None]]
] = {}
_SEEN: set[int] = set()  # skeletons seen once: a plan is made at the second sighting
# for tests and benchmarks: sheets read through a plan, plans made or refused, sheets read clean
PLAN_STATS = {"hit": 0, "made": 0, "refused": 0, "clean": 0}
PLANS_ON = True  # False: every sheet cell by cell (tests and benchmarks compare the two)


def _known_plan(wanted: frozenset[tuple[int, int]], parts: list[bytes]) -> tuple[bool, _SheetPlan | None]:
    """(whether this skeleton was judged before, its plan: None where it was refused)."""
    bucket = _PLANS.get((wanted, len(parts), parts[0], parts[-1]))
    if bucket:
        skeleton = parts[0::2]
        for known, plan in bucket:
            if known == skeleton:
                return True, plan
    return False, None


def _sheet_data_span(data: bytes) -> tuple[int, int] | None:
    """Where <sheetData …> starts and </sheetData> starts, when nothing outside holds anything the
    cell-by-cell reading would look at (a cell, a comment, CDATA, a processing instruction)."""
    start = data.find(b"<sheetData")
    cut = data.find(b"</sheetData>", start)
    if start < 0 or cut < 0:
        return None
    if not _head_clean(data, start) or not _tail_clean(data, cut):
        return None
    return start, cut


# The XML before <sheetData (sheet properties, dimension, views, columns: ~1-2 KB) is the same in
# the workbooks of a template saved alike: heads found clean are kept (bounded), found again by
# their length and last bytes and compared in place, not searched again (~3 us a sheet).
_CLEAN_HEADS: dict[tuple[int, bytes], bytes] = {}


def _head_clean(data: bytes, start: int) -> bool:
    """Nothing in ``data[2:start]`` (after the "<?" of the declaration) that the cell-by-cell
    reading would look at."""
    key = (start, data[max(start - 64, 2) : start])
    known = _CLEAN_HEADS.get(key)
    if known is not None and data.startswith(known, 2):
        return True
    if _OUTSIDE_READ.search(data, 2, start) is not None:
        return False
    if start <= 16 * 1024:
        if len(_CLEAN_HEADS) >= 64:
            _CLEAN_HEADS.clear()
        _CLEAN_HEADS[key] = data[2:start]
    return True


# The XML after </sheetData> up to <headerFooter> (merged cells, conditional formats, validations,
# page setup: ~10 KB on the 表三 sheet) is the same in every workbook of a template; the footer
# after it names the agency. Tails found clean are kept (bounded), found again by their length and
# first bytes and compared in place (no copy, no hash of 10 KB), not scanned again.
_CLEAN_TAILS: dict[tuple[int, bytes], bytes] = {}


def _tail_clean(data: bytes, cut: int) -> bool:
    """Nothing after ``cut`` that the cell-by-cell reading would look at. No match of
    _OUTSIDE_READ can straddle <headerFooter (every match starts with "<" and holds no other),
    so the two pieces are searched apart."""
    hf = data.rfind(b"<headerFooter", cut)
    if hf < 0:
        hf = len(data)
    key = (hf - cut, data[cut : cut + 64])
    known = _CLEAN_TAILS.get(key)
    if known is None or not data.startswith(known, cut):
        if _OUTSIDE_READ.search(data, cut, hf) is not None:
            return False
        if hf - cut <= 64 * 1024:
            if len(_CLEAN_TAILS) >= 64:
                _CLEAN_TAILS.clear()
            _CLEAN_TAILS[key] = data[cut:hf]
    return _OUTSIDE_READ.search(data, hf) is None


def _split_slots(data: bytes) -> list[bytes] | None:
    """The sheetData element split at its <v> texts (skeleton, text, skeleton, …), or None when
    the XML around it holds anything the cell-by-cell reading would look at: then no plan applies.
    What lies around sheetData (the active cell and scroll position a clerk's Excel saved, print
    settings, a footer naming the agency) is not part of the key."""
    if len(data) > _PLAN_MAX_BYTES or not PLANS_ON or (span := _sheet_data_span(data)) is None:
        return None
    return _VSLOT.split(data[span[0] : span[1]])


class _SheetPlan:
    """Per skeleton: the wanted cells as (pos, how, slot or constant), their formulas and styles."""

    __slots__ = ("formulas", "lanes", "ops", "styles")

    def __init__(self, ops: tuple, formulas: dict, styles: dict) -> None:
        self.ops = ops  # ((row, col), how, slot index or constant value)
        self.formulas = formulas  # shared by every workbook read with this plan: read-only
        self.styles = styles
        self.lanes: dict[tuple[FormSpec, str], _Lane | None] = {}


def _slot_value(how: int, arg: Any, vs: list[bytes], book: _XlsxBook) -> Any:
    """A wanted cell's value, exactly as ``_cells_fast`` reads that cell shape."""
    if how == _V_NUM:  # <c r=".." [s=".."]><v>TEXT</v></c>
        text = vs[arg]
        return int(text) if text.isdigit() and len(text) <= 18 else _xml_number(_xml_text(text))
    if how == _V_SST:  # <c r=".." .. t="s"><v>TEXT</v></c>
        try:
            return book.shared()[int(vs[arg])]
        except (ValueError, IndexError):
            return None
    if how == _F_NUM:  # <c r=".." [t="n"]>[<f ..>..</f>]<v>TEXT</v></c>: a number through _value("n")
        return book._value("n", _xml_text(vs[arg]))
    return arg  # _CONST: nothing of it lies in a slot


def _make_plan(
    data: bytes, wanted: frozenset[tuple[int, int]], values: dict, formulas: dict, styles: dict
) -> _SheetPlan | None:
    """The plan of a plain sheet (every <c starts with r=), or None where some wanted cell's shape
    is not one whose reading is a fixed function of its <v> text (then the careful path stays)."""
    by_ref = _by_ref(wanted)
    span = _sheet_data_span(data)
    if span is None:
        return None
    start, cut = span
    slots = [m.start(1) for m in _VSLOT.finditer(data, start, cut)]
    index = {s: i for i, s in enumerate(slots)}
    ops = []
    for m in _CELL_PLAIN.finditer(data):
        if m.start() < start or m.end() > cut:
            return None  # a cell outside sheetData: not what a plan of sheetData describes
        pos = by_ref.get(m.group(1))
        if pos is None:
            continue
        attrs, inner = m.group(2), m.group(3)
        if not inner:
            continue
        a, b = m.span(3)
        inside = slots[bisect.bisect_left(slots, a) : bisect.bisect_left(slots, b)]  # linear overall
        if not inside:  # reference, attributes and content all in the skeleton
            typ = _TYP.search(attrs) if b"t=" in attrs else None
            if typ is not None and typ.group(1) == b"s":
                return None  # a shared-string index outside <v>: depends on the string table
            if pos in values:
                ops.append((pos, _CONST, values[pos]))
            continue
        if len(inside) != 1:
            return None
        slot = index[inside[0]]
        vstart = inside[0] - 3  # the "<v>" before the text
        if not inner.endswith(b"</v>") or data.find(b"</v>", inside[0]) != b - 4:
            return None  # the slot is not the end of the cell's content
        head = data[a:vstart]
        typ = _TYP.search(attrs) if b"t=" in attrs else None
        number = typ is None or typ.group(1) == b"n"  # what _cells_fast reads through _value("n")
        if head == b"":
            if b"t=" not in attrs:
                ops.append((pos, _V_NUM, slot))
            elif attrs.endswith(b't="s"'):
                ops.append((pos, _V_SST, slot))
            elif number:  # t="n" written out (LibreOffice does): the typed reading
                ops.append((pos, _F_NUM, slot))
            else:
                return None
        elif number and _F_PLAIN.fullmatch(head):
            ops.append((pos, _F_NUM, slot))
        else:
            return None
    return _SheetPlan(tuple(ops), formulas, styles)


class _Lane:
    """What a planned sheet gives a form's reading when it is the usual clean one: every label
    right, every input a plain count, every total its intact formula. Per (plan, spec, sheet)."""

    __slots__ = ("dec_keys", "input_get", "input_keys", "label_get", "label_ops", "rest", "styles", "totals")
    __slots__ += ("verified", "where")

    def __init__(self) -> None:
        self.where: dict[str, str] = {}  # key -> "表三!D6", in the form's order
        self.label_ops: tuple[tuple[LabelCell, int, int], ...] = ()  # labels read from a slot
        self.label_get: Any = None  # slot texts of those labels
        self.input_keys: tuple[str, ...] = ()
        self.input_get: Any = None  # slot texts of the inputs, in the form's order
        self.dec_keys: tuple[str, ...] = ()  # inputs kept as Decimal (money)
        self.styles: frozenset[int] = frozenset()  # the inputs' cell styles
        self.totals: dict[str, str] = {}  # total key -> its intact formula
        self.rest: tuple[tuple[str, str, int, Any], ...] = ()  # cover and text cells: key, kind, how, arg
        # label slot texts -> (getter of their shared strings, those strings' XML as verified)
        self.verified: dict[tuple[bytes, ...], tuple[Any, tuple[bytes, ...]]] = {}


@functools.lru_cache(maxsize=32)
def _sheet_keys(spec: FormSpec, sheet: str) -> tuple[tuple[str, str, tuple[int, int], str, str, str], ...]:
    return tuple(p for p in _plan(spec) if p[1] == sheet)


def _make_lane(plan: _SheetPlan, spec: FormSpec, sheet: str) -> _Lane | None:
    """The clean lane of a plan for one form's sheet, or None when the skeleton itself already
    differs from the clean case (a label missing, an input blank or text or a formula, a total
    overwritten): such a sheet is read cell by cell every time, with its findings."""
    ops = {pos: (how, arg) for pos, how, arg in plan.ops}
    lane = _Lane()
    label_ops = []
    for lab in _checked_labels(spec, sheet):
        how, arg = ops.get((lab.row, lab.col), (None, None))
        if how is None or (how == _CONST and not _label_ok(lab, arg)):
            return None
        if how != _CONST:
            label_ops.append((lab, how, arg))
    lane.label_ops = tuple(label_ops)
    lane.label_get = _getter(tuple(arg for _, _, arg in label_ops))
    keys: list[str] = []
    slots: list[int] = []
    decs: list[str] = []
    styles: set[int] = set()
    rest = []
    for key, _sheet, pos, kind, ref, num in _sheet_keys(spec, sheet):
        lane.where[key] = ref
        how, arg = ops.get(pos, (_CONST, None))
        if kind == "input":
            if how not in (_V_NUM, _F_NUM) or pos in plan.formulas:
                return None  # for ASCII digits both read int(text), as the clean case needs
            keys.append(key)
            slots.append(arg)
            if num != "int":
                decs.append(key)
            styles.add(plan.styles.get(pos, -1))
        elif kind == "total":
            f = plan.formulas.get(pos)
            if f is None or not (f == "" or _norm_formula(f) == _expected_formula(spec, key)):
                return None
            lane.totals[key] = f
        else:
            rest.append((key, kind, how, arg))
    lane.input_keys = tuple(keys)
    lane.input_get = _getter(tuple(slots))
    lane.dec_keys = tuple(decs)
    lane.styles = frozenset(styles)
    lane.rest = tuple(rest)
    return lane


def _plain_counts(texts: tuple[bytes, ...]) -> bool:
    """Every text ASCII digits, none too long for a number (``_xml_number``): read by int()."""
    joined = b"".join(texts)
    return (
        all(texts)
        and joined.isdigit()
        and (len(joined) <= _MAX_NUMBER_CHARS or max(map(len, texts)) <= _MAX_NUMBER_CHARS)
    )


def _getter(idx: tuple[int, ...]) -> Any:
    """A function giving the items at ``idx`` of a sequence as a tuple (in C, for two or more)."""
    if len(idx) >= 2:
        return operator.itemgetter(*idx)
    if len(idx) == 1:
        i = idx[0]
        return lambda seq: (seq[i],)
    return lambda seq: ()


def _label_ok(lab: LabelCell, got: Any) -> bool:
    return got == lab.text or _norm_label(got) == _norm_label(lab.text)


_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*>")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData\s*>")


def _cell_region(data: bytes) -> tuple[int, int]:
    """Where a sheet's cells may be: inside <sheetData>. A <c> anywhere else (an extension list,
    say) is not a cell to Excel or LibreOffice. Only for XML without comments, CDATA or processing
    instructions (then these tags cannot be fakes)."""
    m = _SHEET_DATA.search(data)
    if m is None or m.group().endswith(b"/>"):
        return 0, 0  # no sheetData (or an empty one): no cells
    end = data.find(b"</sheetData>", m.end())
    if end < 0:
        e = _SHEET_DATA_END.search(data, m.end())
        end = e.start() if e is not None else len(data)
    return m.end(), end


class _XlsxBook:
    """Only the cells the spec needs, in one bounded expat pass per sheet.

    python-calamine is faster, but it materialises a sheet's whole used range densely: a single
    stray cell at row 1,048,000 makes it allocate hundreds of GB and abort the process. Reading
    the XML ourselves bounds memory by the cells we want and gives decimals exactly as stored.
    """

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        zf.xxgk_read = set()  # type: ignore[attr-defined]
        self.raw = _raw_of(zf)
        self.parts = _sheet_parts(self.zf)
        self.names = list(self.parts)
        self._shared: _LazyStrings | None = None
        self.formulas: dict[str, dict[tuple[int, int], str]] = {}
        self.styles: dict[str, dict[tuple[int, int], int]] = {}
        # (sheet, wanted) -> plan and slot texts of a sheet whose clean lane did not apply
        self.slots: dict[tuple[str, frozenset[tuple[int, int]]], tuple[_SheetPlan, list[bytes]]] = {}
        self._data: dict[str, bytes] = {}  # a sheet's XML inflated for a lane that did not apply
        self._plain = False

    def close(self) -> None:
        self.zf.close()

    def odd_formats(self) -> dict[int, str]:
        """Cell style index -> what its number format makes of a number ("日期", "百分比" …),
        for the styles whose display is not the stored number (parsed once per styles part)."""
        try:
            info = self.zf.getinfo("xl/styles.xml")
        except KeyError:
            return {}
        if info.file_size > MAX_XML_BYTES:
            raise _Unreadable("文件内部结构异常（样式表过大），已拒绝读取")
        # keyed by the part's bytes, not by its CRC and size: two style tables of one size collide
        # in CRC-32 once in 2**32 pairs (a national year compares ~10**8 pairs), and a directory
        # entry may claim any CRC without the part ever being read
        xml = _read_member(self.zf, "xl/styles.xml", self.raw)
        cached = _ODD_FORMATS.get(xml)
        if cached is None:
            cached = _odd_formats(xml)
            if len(_ODD_FORMATS) > 256:
                _ODD_FORMATS.clear()
            if len(xml) <= 256 * 1024 and len(cached) <= 4096:  # a template's is ~4 KB: huge ones not kept
                _ODD_FORMATS[xml] = cached
        return cached

    def shared(self) -> _LazyStrings:
        if self._shared is None:
            self._shared = _shared_strings(self.zf, self.raw)
        return self._shared

    def _sheet_data(self, sheet: str) -> bytes | None:
        data = self._data.pop(sheet, None)
        if data is not None:
            return data
        part = self.parts.get(sheet, "")
        try:
            info = self.zf.getinfo(part)
        except KeyError:
            return None
        if info.file_size > MAX_XML_BYTES:
            raise _Unreadable("工作表数据过大（可能整列被填充了内容），不是正常的填报表")
        data = _read_member(self.zf, part, self.raw)
        if _declares_entities(data):
            raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")
        return data

    def cells(self, sheet: str, wanted: frozenset[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        return self.cells_keyed(sheet, wanted)[0]

    def cells_keyed(
        self, sheet: str, wanted: frozenset[tuple[int, int]]
    ) -> tuple[dict[tuple[int, int], Any], tuple | None]:
        """The cells, and what they are a function of where read through a small plan (see
        ``_small_key``; None otherwise): callers may keep what they make of them by it."""
        planned = self.slots.pop((sheet, wanted), None)
        if planned is None:
            data = self._sheet_data(sheet)
            if data is None:
                return {}, None
            planned = self._planned(sheet, data, wanted)
        if planned is not None:
            plan, vs = planned
            if len(plan.ops) <= 64 and (key := self._small_key(plan, vs)) is not None:
                got = _SMALL_CELLS.get(key)
                if got is None:
                    got = {pos: _slot_value(how, arg, vs, self) for pos, how, arg in plan.ops}
                    if len(_SMALL_CELLS) >= 256:
                        _SMALL_CELLS.clear()
                    _SMALL_CELLS[key] = got
                return dict(got), key
            return {pos: _slot_value(how, arg, vs, self) for pos, how, arg in plan.ops}, None
        fast = self._cells_fast(sheet, data, wanted)
        if fast is not None and self._plain:
            self._remember(sheet, data, wanted, fast)
        return (fast if fast is not None else self._cells_expat(sheet, self.parts[sheet], wanted)), None

    def _small_key(self, plan: _SheetPlan, vs: list[bytes]) -> tuple | None:
        """What a small planned sheet's cells are a function of (the _meta sheet, the same in
        every workbook of a template but for its shared strings): the plan, the <v> texts and
        the shared-string items they point at; None where a text is no index into the table."""
        refs = []
        shared = None
        for _pos, how, arg in plan.ops:
            if how == _V_SST:
                if shared is None:
                    shared = self.shared()
                    if not isinstance(shared, _LazyStrings):
                        return None
                text = vs[arg]
                if not text.isdigit() or len(text) > 9 or (i := int(text)) >= len(shared.raw):
                    return None
                refs.append(shared.raw[i])
        return (plan, tuple(vs), tuple(refs))

    def clean(
        self, sheet: str, spec: FormSpec, odd: dict[int, str]
    ) -> tuple[_Lane, list[bytes], tuple] | None:
        """The clean lane of this sheet with its slot texts and the inputs' texts, when the sheet
        is read through a plan and is the usual clean case; else None (then ``cells`` reads it)."""
        wanted = _wanted(spec, sheet)
        data = self._sheet_data(sheet)
        if data is None:
            return None
        planned = self._planned(sheet, data, wanted)
        if planned is None:
            self._data[sheet] = data  # for cells(), without inflating it again
            return None
        plan, vs = planned
        lane = plan.lanes.get((spec, sheet), _NO_LANE)
        if lane is _NO_LANE:
            lane = plan.lanes[(spec, sheet)] = _make_lane(plan, spec, sheet)
        texts = () if lane is None else lane.input_get(vs)
        if (
            lane is None
            or (odd and not lane.styles.isdisjoint(odd))  # a date, percent … format on an input
            or (texts and not _plain_counts(texts))
            or not self._labels_ok(lane, vs)
        ):
            self.slots[(sheet, wanted)] = planned
            return None
        PLAN_STATS["clean"] += 1
        return lane, vs, texts

    def _labels_ok(self, lane: _Lane, vs: list[bytes]) -> bool:
        """Every checked label of the sheet as the spec says: by the shared strings' XML when this
        set of label indices was verified before, else label by label (as ``_structure_ok``)."""
        shared = self.shared()
        if not isinstance(shared, _LazyStrings):
            return False
        key = lane.label_get(vs)
        known = lane.verified.get(key)
        if known is not None:
            getter, xml = known
            try:
                if getter(shared.raw) == xml:
                    return True
            except IndexError:
                return False
        for lab, how, arg in lane.label_ops:
            if not _label_ok(lab, _slot_value(how, arg, vs, self)):
                return False
        try:
            getter = _getter(tuple(int(vs[arg]) for _, how, arg in lane.label_ops if how == _V_SST))
            xml = getter(shared.raw)
        except (ValueError, IndexError):  # pragma: no cover - the labels just read through them
            return False
        if len(lane.verified) >= 64:
            lane.verified.clear()
        lane.verified[key] = (getter, xml)
        return True

    def _planned(
        self, sheet: str, data: bytes, wanted: frozenset[tuple[int, int]]
    ) -> tuple[_SheetPlan, list[bytes]] | None:
        """The plan of this sheet's skeleton and its <v> texts, when a plan is known."""
        if not _PLANS or (parts := _split_slots(data)) is None:
            return None
        plan = _known_plan(wanted, parts)[1]
        if plan is None:
            return None
        PLAN_STATS["hit"] += 1
        self.formulas[sheet] = plan.formulas
        self.styles[sheet] = plan.styles
        return plan, parts[1::2]

    def _remember(self, sheet: str, data: bytes, wanted: frozenset[tuple[int, int]], values: dict) -> None:
        """After a cell-by-cell reading: note the skeleton, and at its second sighting keep a plan
        (only if the plan reads this very sheet exactly as the cell-by-cell reading did)."""
        parts = _split_slots(data)
        if parts is None:
            return
        if _known_plan(wanted, parts)[0]:
            return  # known and refused
        h = hash((wanted, tuple(parts[0::2])))
        if h not in _SEEN:
            if len(_SEEN) > 4096:
                _SEEN.clear()
            _SEEN.add(h)
            return
        plan = _make_plan(data, wanted, values, self.formulas[sheet], self.styles[sheet])
        if plan is not None:
            vs = parts[1::2]
            again = {pos: _slot_value(how, arg, vs, self) for pos, how, arg in plan.ops}
            if again.keys() != values.keys() or any(
                type(v) is not type(values[p]) or v != values[p] for p, v in again.items()
            ):
                plan = None
        PLAN_STATS["made" if plan is not None else "refused"] += 1
        # bounded (<= 16 MB of skeletons: one a sheet of a template version); counted as a copy
        # of the buckets (a sum over the live dict could meet another thread's insert in serve)
        if sum(map(len, list(_PLANS.values()))) >= 64:
            _PLANS.clear()
        _PLANS.setdefault((wanted, len(parts), parts[0], parts[-1]), []).append((parts[0::2], plan))

    def _cells_fast(
        self, sheet: str, data: bytes, wanted: frozenset[tuple[int, int]]
    ) -> dict[tuple[int, int], Any] | None:
        """One regex pass over the sheet XML: one match per cell, no callbacks per element.
        Returns None when a cell has no ``r`` reference (then the expat scan handles it)."""
        self._plain = False
        if b"<!--" in data or b"<![CDATA[" in data or data.find(b"<?", 2) != -1:
            return None  # comments, CDATA, processing instructions: only a real XML parser is exact
        lo, hi = _cell_region(data)
        data = data[lo:hi]
        values: dict[tuple[int, int], Any] = {}
        formulas: dict[tuple[int, int], str] = {}
        styles: dict[tuple[int, int], int] = {}
        by_ref = _by_ref(wanted)
        # every writer puts r= first: then a simpler pattern is exact (checked by counting in C)
        starts = data.count(b"<c ")
        plain = self._plain = (
            starts > 0
            and b"<c>" not in data
            and data.count(b'<c r="') == starts
            and _ODD_CELL.search(data) is None  # e.g. <x:c …> beside plain cells: the full pattern
        )
        found = (_CELL_PLAIN if plain else _CELL).findall(data)  # (ref, attrs, inner), built in C
        shared = None
        where = by_ref.get
        for ref, attrs, inner in found:
            pos = where(ref)
            if pos is None or not inner:
                continue
            if b' s="' in attrs:
                st = _STYLE.search(attrs)
                if st is not None:
                    styles[pos] = int(st.group(1))
            if inner[:3] == b"<v>" and inner[-4:] == b"</v>":
                text = inner[3:-4]
                if b"t=" not in attrs:  # a number
                    if (
                        text.isdigit() and len(text) <= 18
                    ):  # ASCII digits only (bytes.isdigit): straight from bytes
                        values[pos] = int(text)
                    else:
                        values[pos] = _xml_number(_xml_text(text))
                    continue
                if attrs.endswith(b't="s"'):  # a shared string
                    shared = shared or self.shared()
                    try:
                        values[pos] = shared[int(text)]
                    except (ValueError, IndexError):
                        values[pos] = None
                    continue
            if b"<f" in inner or b":f" in inner:
                f = _F.search(inner)
                if f is not None:
                    formulas[pos] = _xml_text(f.group(1) or b"")
            typ_m = _TYP.search(attrs) if b"t=" in attrs else None
            typ = typ_m.group(1).decode() if typ_m else "n"
            if typ == "inlineStr":
                values[pos] = "".join(_xml_text(t) for t in _T.findall(_RPH.sub(b"", inner)))
                continue
            v = _V.search(inner)
            if v is not None:
                values[pos] = self._value(typ, _xml_text(v.group(1)))
        if not plain and len(found) + len(_EMPTY_CELL.findall(data)) != len(_CELL_START.findall(data)):
            return None  # some cell carries no r="A1" reference: the expat scan handles that
        self.formulas[sheet] = formulas
        self.styles[sheet] = styles
        return values

    def _cells_expat(self, sheet: str, part: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        values: dict[tuple[int, int], Any] = {}
        formulas: dict[tuple[int, int], str] = {}
        styles: dict[tuple[int, int], int] = {}
        st: dict[str, Any] = {"pos": None, "t": None, "in": None, "row": 0, "col": -1, "data": 0}
        buf: list[str] = []
        inline: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            t = _local(tag)
            if t == "sheetData":
                st["data"] += 1
            elif not st["data"]:
                return  # a <c> outside sheetData is not a cell to the applications
            elif t == "c":
                r = attrs.get("r")
                pos = _pos(r) if r else (st["row"], st["col"] + 1)
                if pos is None:
                    return
                st["col"] = pos[1]
                st["pos"] = pos if pos in wanted else None
                st["t"] = attrs.get("t", "n")
                if st["pos"] is not None and _digits(attrs.get("s") or ""):
                    styles[st["pos"]] = int(attrs["s"])
                inline.clear()
            elif t == "row":
                r = attrs.get("r")
                st["row"] = int(r) - 1 if r and _digits(r, 7) else st["row"] + 1
                st["col"] = -1
            elif st["pos"] is not None and t in ("v", "f", "t"):
                st["in"] = t
                buf.clear()
                if t == "f":
                    formulas[st["pos"]] = ""  # a shared formula's followers have no text

        def end(tag: str) -> None:
            t = _local(tag)
            if t == "sheetData":
                st["data"] -= 1
            if st["pos"] is None:
                return
            if t == st["in"]:
                text = "".join(buf)
                if t == "f":
                    formulas[st["pos"]] = text
                elif t == "t":
                    inline.append(text)
                else:
                    values[st["pos"]] = self._value(st["t"], text)
                st["in"] = None
            elif t == "c":
                if st["t"] == "inlineStr":
                    values[st["pos"]] = "".join(inline)
                st["pos"] = None

        def chars(data: str) -> None:
            if st["in"] is not None:
                buf.append(data)

        try:
            _parse_member(self.zf, part, start, end, chars)
        except xml.parsers.expat.ExpatError:
            raise _Unreadable("文件内部 XML 已损坏，请在 Excel/WPS 中重新保存后再报送") from None
        self.formulas[sheet] = formulas
        self.styles[sheet] = styles
        return values

    def _value(self, typ: str, text: str) -> Any:
        if typ == "s":
            try:
                return self.shared()[int(text)]
            except (ValueError, IndexError):
                return None
        if typ in ("str", "inlineStr", "d"):
            return text
        if typ == "b":
            return text.strip() in ("1", "true")
        if typ == "e":
            return text  # "#DIV/0!" and friends: not a number
        return _xml_number(text) if text.strip() else None


def _read_member(zf: zipfile.ZipFile, name: str, raw: bytes | None) -> bytes:
    """A member's bytes, inflated straight from the file's bytes (zipfile's per-member objects
    cost more than inflating a 20 KB part). Output is bounded by the declared size and checked
    against the CRC; anything unusual (encrypted, other methods) goes through zipfile."""
    info = zf.getinfo(name)
    seen = getattr(zf, "xxgk_read", None)
    if seen is not None:  # the parts read (and so CRC-checked) here: _verify_unread does the rest
        seen.add(name)
    if (
        raw is None
        or info.flag_bits & 0x1
        or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    ):
        return zf.read(name)
    return _inflated(info, raw)


# Parts found whole before, by (CRC, size, compressed size, method): their deflated and inflated
# bytes. The parts a template shares across agencies (theme, styles, workbook, relationships, the
# _meta sheet, instructions) are then neither inflated nor CRC-checked again: the same deflated
# bytes inflate to the same part. Kept at a part's second sighting, at most _KEEP_PARTS of them,
# each under _KEEP_BYTES (a form's parts are < 30 KB; a sheet naming its agency is seen once).
_INFLATED: dict[tuple[int, int, int, int], tuple[bytes, bytes]] = {}
_SIGHTED: set[tuple[int, int, int, int]] = set()
_KEEP_PARTS, _KEEP_BYTES = 96, 64 * 1024
_LOCAL_LENGTHS = struct.Struct("<HH")  # a local header's name and extra field lengths


def _inflated(info: Any, raw: bytes, check_only: bool = False) -> bytes | bytearray:
    """A stored or deflated member's bytes from the zip's bytes ``raw``, checked against its size
    and CRC (zipfile.BadZipFile / zlib.error otherwise). ``check_only``: only checked, so what
    libdeflate gives (a bytearray) is not copied into bytes unless it is kept."""
    off = info.header_offset
    if not raw.startswith(b"PK\x03\x04", off):
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    n, e = _LOCAL_LENGTHS.unpack_from(raw, off + 26)
    start = off + 30 + n + e
    key = (info.CRC, info.file_size, info.compress_size, info.compress_type)
    known = _INFLATED.get(key)
    if known is not None and raw.startswith(known[0], start):  # compared in place: no copy
        return known[1]  # (its length is the key's compressed size)
    packed = raw[start : start + info.compress_size]
    deflated = info.compress_type == zipfile.ZIP_DEFLATED
    data = _inflate(packed, info.file_size, not check_only) if deflated else packed
    if len(data) != info.file_size or _crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"bad data for {info.filename}")
    if info.file_size <= _KEEP_BYTES:
        if key in _SIGHTED:
            if len(_INFLATED) >= _KEEP_PARTS:
                _INFLATED.clear()
            data = bytes(data)
            _INFLATED[key] = (packed, data)
        else:
            if len(_SIGHTED) >= 4096:
                _SIGHTED.clear()
            _SIGHTED.add(key)
    return data


_SMALL_DEFLATE = 16 * 1024  # deflate expands at most ~1032:1: this inflates to < 17 MB whatever


def _inflate(data: bytes, size: int, as_bytes: bool = True) -> bytes | bytearray:
    """Raw deflate ``data`` whose header says ``size`` bytes (a header that lies is caught by the
    caller's length and CRC check). With libdeflate (the ``deflate`` package): in one call into a
    buffer of ``size + 1`` bytes, a stream that would write more fails (zlib.error, as zlib's).
    Without it, zlib: a small stream in one call, its output bounded by its own size; a larger one
    through a decompressobj that stops after ``size + 1`` bytes."""
    if _libdeflate is not None:
        try:
            out = _libdeflate(data, size + 1)  # a bytearray: keys and caches need bytes
            return bytes(out) if as_bytes else out
        except _DeflateError as exc:
            raise zlib.error(f"invalid deflate data ({exc})") from None
    if len(data) <= _SMALL_DEFLATE:
        return zlib.decompress(data, -15, size + 1)
    return zlib.decompressobj(-15).decompress(data, size + 1)


try:  # 2.8x zlib's speed on a form's parts, its CRC-32 ~9x; zlib where the wheel is missing
    from deflate import DeflateError as _DeflateError
    from deflate import crc32 as _crc32
    from deflate import deflate_decompress as _libdeflate
except ImportError:  # pragma: no cover - the dependency is installed with the package
    _libdeflate = None
    _DeflateError = zlib.error
    _crc32 = zlib.crc32


def _verify_unread(zf: zipfile.ZipFile, raw: bytes | None) -> None:
    """Every part the reader did not read is inflated and checked against its CRC, as LibreOffice
    and Excel do on opening (they refuse a file with one bad part, wherever it is). The parts a
    template shares across agencies (theme, instructions, check sheet) are checked once per
    process: the same deflated bytes with the same CRC were whole before (``_inflated``)."""
    seen = getattr(zf, "xxgk_read", set())
    for info in zf.infolist():
        if info.filename in seen or info.filename.endswith("/"):
            continue
        if (
            raw is None
            or info.flag_bits & 0x1
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        ):
            zf.read(info.filename)  # zipfile checks the CRC itself
            continue
        _inflated(info, raw, check_only=True)


PROPERTY_READ_LIMIT = 1 << 20  # validate.declared_property reads files up to this size whole


def declared_properties(zf: Any, raw: bytes | None, names: tuple[str, ...]) -> dict[str, str]:
    """The ``xxgk.<name>`` document properties (docProps/custom.xml) of an open zip, "" for each
    one missing; all "" for a damaged or foreign file (the reader says why, not this)."""
    try:
        info = zf.getinfo("docProps/custom.xml")
        if info.file_size > 65536:
            return dict.fromkeys(names, "")
        part = _read_member(zf, "docProps/custom.xml", raw)
    except Exception:
        return dict.fromkeys(names, "")
    known = _DECLARED.get((part, names))  # a template's part: the same in every workbook made from it
    if known is not None:
        return dict(known)
    xml = part.decode("utf-8", "replace")
    out = {}
    for name in names:
        m = re.search(
            rf'name="xxgk\.{re.escape(name)}"[^>]*>\s*<vt:lpwstr[^>]*>([^<]{{1,40}})</vt:lpwstr>', xml
        )
        out[name] = m.group(1) if m else ""
    if len(_DECLARED) >= 64:
        _DECLARED.clear()
    _DECLARED[(part, names)] = out
    return dict(out)


_DECLARED: dict[tuple[bytes, tuple[str, ...]], dict[str, str]] = {}


def _shared_strings(zf: zipfile.ZipFile, raw: bytes | None = None) -> _LazyStrings:
    name = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in zf.NameToInfo), None)
    if name is None:
        return []
    if zf.getinfo(name).file_size > MAX_XML_BYTES:
        raise _Unreadable("文件内部结构异常（字符串表过大），已拒绝读取")
    data = _read_member(zf, name, raw)
    if _declares_entities(data):
        raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")
    if b"<si>" in data and b":si" not in data:  # the usual form: split in C, not item by item
        items = data.split(b"<si>")[1:]
        if data.count(b"<si") == len(items):  # every item a bare <si> (<si …> or <si/> would shift it)
            return _LazyStrings(items)
    return _LazyStrings([m.group(1) or b"" for m in _SI.finditer(data)])


# -- bounds for python-calamine: it builds every sheet of the workbook as a dense grid of its used
# range when it opens the file (~32 bytes a cell, in Rust, where running out of memory aborts the
# process). So the used range of every sheet is measured first, cheaply and linearly, from the
# file's own structure: .ods content.xml (rows/columns repeated) and .xls BIFF cell records.
MAX_DENSE_CELLS = 4_000_000  # all sheets together (~130 MB in calamine); a form uses ~2,000
MAX_XLS_BYTES = 20 * 1024 * 1024  # an .xls form is ~100 KB


def check_calamine_bounds(src: bytes | str | os.PathLike[str], *, limit: int | None = None) -> None:
    """Raise _Unreadable when python-calamine would build more than ``limit`` (MAX_DENSE_CELLS)
    cells for the .ods/.xls ``src`` (its bytes, or its path): a few KB of .ods can ask for 100
    million. Reads only the structure."""
    limit = MAX_DENSE_CELLS if limit is None else limit
    if isinstance(src, bytes):
        head = src[:8]
    else:
        with open(src, "rb") as fh:
            head = fh.read(8)
    if head.startswith(b"PK"):
        cells = _ods_dense_cells(src, limit)
    elif head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        cells = _xls_dense_cells(src)
    else:
        return
    if cells > limit:
        raise _Unreadable(_too_many(cells, limit))


def _too_many(cells: int, limit: int) -> str:
    return (
        f"表格的使用范围过大（约 {cells:,} 个单元格，上限 {limit:,}），"
        "不是正常的填报表，已拒绝读取；请删除表格以外的多余内容后另存为 .xlsx 再报送"
    )


def _ods_dense_cells(src: bytes | str | os.PathLike[str], limit: int = MAX_DENSE_CELLS) -> int:
    """Sum over the tables of content.xml of (last row with content) x (last column with content),
    counting table:number-rows-repeated / number-columns-repeated, without expanding them: an
    empty repeated cell (LibreOffice writes 1,048,576 x 16,384 of them) costs nothing."""
    with zipfile.ZipFile(io.BytesIO(src) if isinstance(src, bytes) else src) as zf:
        try:
            info = zf.getinfo("content.xml")
        except KeyError:
            return 0
        if info.file_size > MAX_UNZIPPED_BYTES:
            raise _Unreadable(f"文件解压后过大（{info.file_size / 1048576:.0f} MB），已拒绝读取")
        total = 0
        depth = 0  # nesting inside a table
        st = {"row": 0, "rrep": 1, "col": 0, "crep": 1, "in_cell": False, "content": False, "mr": 0, "mc": 0}

        def rep(attrs: dict[str, str], name: str) -> int:
            v = attrs.get(name, "1")
            try:
                return max(1, min(int(v), 1 << 40))
            except ValueError:
                return 1

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal depth
            loc = _local(tag)
            if loc == "table" and tag.startswith("table:") and depth == 0:
                st.update(row=0, mr=0, mc=0)
                depth = 1
                return
            if depth == 0:
                return
            if st["in_cell"]:
                st["content"] = True  # any child element (text:p, annotation …): calamine keeps it
                return
            if loc == "table-row":
                st.update(col=0, rrep=rep(attrs, "table:number-rows-repeated"))
            elif loc in ("table-cell", "covered-table-cell"):
                st.update(
                    in_cell=True,
                    crep=rep(attrs, "table:number-columns-repeated"),
                    content="office:value-type" in attrs or "calcext:value-type" in attrs,
                )

        def end(tag: str) -> None:
            nonlocal depth, total
            if depth == 0:
                return
            loc = _local(tag)
            if loc in ("table-cell", "covered-table-cell") and st["in_cell"]:
                if st["content"]:
                    st["mc"] = max(st["mc"], st["col"] + st["crep"])
                    st["mr"] = max(st["mr"], st["row"] + st["rrep"])
                    if total + st["mr"] * st["mc"] > limit:  # stop at once, not at the table's end
                        raise _Unreadable(_too_many(total + st["mr"] * st["mc"], limit))
                st["col"] += st["crep"]
                st["in_cell"] = False
            elif loc == "table-row" and not st["in_cell"]:
                st["row"] += st["rrep"]
            elif loc == "table" and tag.startswith("table:") and not st["in_cell"]:
                total += st["mr"] * st["mc"]
                depth = 0

        _parse_member(zf, info, start, end)
        return total


# BIFF records that put a value in a cell (row, col at the start of the record); MULRK lists
# several columns. BLANK/MULBLANK (formatting only) are not kept by calamine.
_BIFF_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0205, 0x0204, 0x00D6, 0x0406, 0x0206}
_BIFF_MULRK, _BIFF_BOF, _BIFF_EOF = 0x00BD, 0x0809, 0x000A


def _xls_dense_cells(src: bytes | str | os.PathLike[str]) -> int:
    """Sum over the sheets of the bounding box of their value cells, from the BIFF records of
    the Workbook stream (one linear pass; the file is at most MAX_XLS_BYTES)."""
    import olefile

    size = len(src) if isinstance(src, bytes) else os.path.getsize(src)
    if size > MAX_XLS_BYTES:
        raise _Unreadable(
            f".xls 文件过大（{size / 1048576:.0f} MB，上限 {MAX_XLS_BYTES // 1048576} MB），不是正常的填报表"
        )
    try:
        with olefile.OleFileIO(src if isinstance(src, bytes) else str(src)) as ole:
            name = next((n for n in ("Workbook", "Book", "workbook", "book") if ole.exists(n)), None)
            if name is None:
                return 0
            data = ole.openstream(name).read()
    except _Unreadable:
        raise
    except Exception:  # not a readable compound file: calamine will say what is wrong
        return 0
    total = 0
    box: list[int] | None = None  # min row, max row, min col, max col of the current sheet
    pos, n = 0, len(data)
    while pos + 4 <= n:
        rid, ln = struct.unpack_from("<HH", data, pos)
        body = pos + 4
        if rid == _BIFF_BOF:
            if box is not None:
                total += (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
            box = None
        elif rid in _BIFF_CELLS or rid == _BIFF_MULRK:
            if ln >= 4 and body + 4 <= n:
                row, col = struct.unpack_from("<HH", data, body)
                last = col
                if rid == _BIFF_MULRK and ln >= 6 and body + ln <= n:
                    (last,) = struct.unpack_from("<H", data, body + ln - 2)
                if box is None:
                    box = [row, row, col, max(col, last)]
                else:
                    box[0], box[1] = min(box[0], row), max(box[1], row)
                    box[2], box[3] = min(box[2], col), max(box[3], col, last)
        elif rid == _BIFF_EOF and box is not None:
            total += (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
            box = None
        pos = body + ln
    if box is not None:
        total += (box[1] - box[0] + 1) * (box[3] - box[2] + 1)
    return total


class _CalamineBook:
    """.xls (and WPS .et) and .ods through python-calamine; no formula information."""

    def __init__(self, data: bytes) -> None:
        check_calamine_bounds(data)  # before calamine builds every sheet densely
        # from the bytes, not the path: calamine picks its parser by content there, so an .ods
        # or .xls renamed to .xlsx is read as what it is (from_path goes by the extension)
        self.wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        self.names = list(self.wb.sheet_names)
        self.formulas: dict[str, dict[tuple[int, int], str]] | None = None
        self.styles: dict[str, dict[tuple[int, int], int]] = {}  # calamine gives dates as dates

    def close(self) -> None:
        self.wb.close()

    def cells(self, sheet: str, wanted: frozenset[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        nrows = 1 + max(r for r, _ in wanted)
        grid = self.wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)
        out = {}
        for r, c in wanted:
            v = _at(grid, r, c)
            if v is not None:
                out[(r, c)] = v
        return out


@functools.lru_cache(maxsize=4096)  # formula texts repeat in every workbook
def _norm_formula(f: str) -> str:
    return re.sub(r"[\s$=]", "", f).upper().replace("'", "")


def _norm_label(s: Any) -> str:
    s = unicodedata.normalize("NFKC", "" if s is None else str(s))
    return re.sub(r"\s+", "", s)


_REFUSED = object()
_DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)
_EPOCH = datetime.datetime(1899, 12, 30)


def _serial(v: datetime.date | datetime.time | datetime.timedelta) -> Decimal:
    """The number a spreadsheet stores for a date or time (days since 1899-12-30)."""
    if isinstance(v, datetime.timedelta):
        secs = Decimal(v.days * 86400 + v.seconds) + Decimal(v.microseconds) / 10**6
    elif isinstance(v, datetime.time):
        secs = Decimal(v.hour * 3600 + v.minute * 60 + v.second)
    else:
        dt = v if isinstance(v, datetime.datetime) else datetime.datetime(v.year, v.month, v.day)
        d = dt - _EPOCH
        secs = Decimal(d.days * 86400 + d.seconds)
    out = secs / 86400
    return Decimal(int(out)) if out == out.to_integral_value() else out


def _plain(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v else str(v)
    return str(v)


class _Unknown(Exception):
    """A formula refers to something whose value is not known here."""


_FTOK = re.compile(
    r"\s*(?:(SUM)\s*\(|(\$?[A-Z]{1,3}\$?[0-9]{1,7})(?::(\$?[A-Z]{1,3}\$?[0-9]{1,7}))?|"
    r"([0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+)|([-+*/(),]))",
    re.I,
)


def eval_formula(f: str, lookup: Any = None) -> int | Decimal | None:
    """The exact value of a simple formula as a spreadsheet computes it: numbers, cell references
    and ranges of the same sheet (``lookup((row, col))`` gives a cell's value or raises
    :class:`_Unknown`), ``SUM(...)``, + - * / and parentheses. None for anything else (other
    functions, other sheets, unknown cells): then the caller does not pretend to know."""
    text = f.strip().lstrip("=")
    if not text or len(text) > 500:
        return None
    toks: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _FTOK.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            return None
        pos = m.end()
        fn, ref, ref2, num, op = m.groups()
        if fn:
            toks.append(("sum", None))
        elif ref:
            toks.append(("ref", (ref, ref2)))
        elif num:
            toks.append(("num", Decimal(num)))
        else:
            toks.append(("op", op))
    if len(toks) > 200:
        return None
    i = 0

    def cell(a1: str) -> Decimal:
        rc = _pos(a1.replace("$", "").upper())
        if rc is None or lookup is None:
            raise _Unknown(a1)
        v = lookup(rc)
        if v is None or v == "":
            return Decimal(0)  # an empty cell, as SUM and + read it
        if isinstance(v, int | Decimal):
            return Decimal(v)
        raise _Unknown(a1)

    def cells(a: str, b: str | None) -> list[Decimal]:
        if b is None:
            return [cell(a)]
        p, q = _pos(a.replace("$", "").upper()), _pos(b.replace("$", "").upper())
        if p is None or q is None or (abs(q[0] - p[0]) + 1) * (abs(q[1] - p[1]) + 1) > 1000:
            raise _Unknown(a)
        return [
            cell(cell_name(r, c))
            for r in range(min(p[0], q[0]), max(p[0], q[0]) + 1)
            for c in range(min(p[1], q[1]), max(p[1], q[1]) + 1)
        ]

    def peek() -> tuple[str, Any]:
        return toks[i] if i < len(toks) else ("end", None)

    def take(kind: str, val: Any = None) -> Any:
        nonlocal i
        k, v = peek()
        if k != kind or (val is not None and v != val):
            raise ValueError(text)
        i += 1
        return v

    def atom() -> Decimal:
        nonlocal i
        k, v = peek()
        if k == "num":
            i += 1
            return v
        if k == "ref":
            i += 1
            if v[1] is not None:
                raise ValueError(text)  # a bare range outside SUM
            return cell(v[0])
        if k == "sum":
            i += 1
            total = Decimal(0)
            while True:
                k2, v2 = peek()
                if k2 == "ref" and v2[1] is not None:
                    i += 1
                    total += sum(cells(*v2), Decimal(0))
                else:
                    total += expr()
                if peek() == ("op", ","):
                    i += 1
                    continue
                take("op", ")")
                return total
        if (k, v) == ("op", "("):
            i += 1
            val = expr()
            take("op", ")")
            return val
        if k == "op" and v in "+-":
            i += 1
            val = atom()
            return val if v == "+" else -val
        raise ValueError(text)

    def term() -> Decimal:
        nonlocal i
        val = atom()
        while peek() in (("op", "*"), ("op", "/")):
            op = take("op")
            rhs = atom()
            val = val * rhs if op == "*" else val / rhs
        return val

    def expr() -> Decimal:
        nonlocal i
        val = term()
        while peek() in (("op", "+"), ("op", "-")):
            op = take("op")
            rhs = term()
            val = val + rhs if op == "+" else val - rhs
        return val

    try:
        value = expr()
        if i != len(toks):
            return None
    except (_Unknown, ValueError, ZeroDivisionError, InvalidOperation, RecursionError):
        return None
    value = Decimal(f"{value:.15g}") if len(value.as_tuple().digits) > 15 else value  # as a double
    return int(value) if value == value.to_integral_value() else value.normalize()


# -- reading ------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, path: Path, spec: FormSpec) -> None:
        self.path = path
        self.spec = spec
        self.findings: list[Finding] = []
        self.file = str(path)
        self.sha256 = ""
        self.detect = False  # read in the format the workbook's _meta names (read_file without spec)
        self.properties: tuple[str, ...] = ()  # document properties to read (see declared_properties)
        self.declared: dict[str, str] | None = None
        self.whole = True  # False: only the form's parts (see read_file)
        self.digest = True  # False: no sha256 (see read_file)

    def add(
        self,
        code: str,
        message: str,
        *,
        sheet: str | None = None,
        cell: str | None = None,
        key: str | None = None,
        severity: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        sev = severity or self.spec.rules[code].severity
        self.findings.append(Finding(code, sev, message, self.file, sheet, cell, key, expected, actual))  # type: ignore[arg-type]

    def read(self) -> ReadResult:
        try:
            if not self.whole:  # the form's parts alone, from the file (a summary's 明细 untouched)
                fd, _size = _open(self.path)  # a regular file: zipfile would wait on a FIFO for ever
                with os.fdopen(fd, "rb") as fh:
                    zf = zipfile.ZipFile(fh)
                    try:
                        kind = _zip_kind(zf, whole=False)
                    except BaseException:
                        zf.close()
                        raise
                    if kind != "xlsx":
                        zf.close()
                        raise _Unreadable("不是 Excel 工作簿（.xlsx）")
                    return self._read(kind, zf, b"")
            data = _load(self.path)
            if self.digest:
                self.sha256 = hashlib.sha256(data).hexdigest()
            kind, zf = _sniff_bytes(data)
            if self.properties and zf is not None and len(data) <= PROPERTY_READ_LIMIT:
                self.declared = declared_properties(
                    zf, zf.raw if isinstance(zf, _ZipDirectory) else None, self.properties
                )
            return self._read(kind, zf, data)
        except _Unreadable as exc:
            self.add("FILE-UNREADABLE", exc.message)
        except MemoryError:
            self.add("FILE-UNREADABLE", "文件过大，读取时内存不足")
        except _FILE_ERRORS as exc:  # what a broken or foreign file makes the libraries raise
            msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            if isinstance(exc, zlib.error | zipfile.BadZipFile | EOFError | NotImplementedError):
                self.add(
                    "FILE-UNREADABLE", "文件已损坏（内部压缩数据有误，可能是传输中损坏），请重新保存后再发送"
                )
            elif isinstance(exc, PasswordError) or "password" in msg.lower() or "encrypt" in msg.lower():
                self.add("FILE-UNREADABLE", "文件设置了密码（已加密），无法读取；请取消密码后重新保存并报送")
            else:
                self.add(
                    "FILE-UNREADABLE",
                    f"文件无法作为 Excel 工作簿读取（{msg}）；请在 Excel/WPS 中打开并另存为 .xlsx 后再报送",
                )
        except Exception as exc:  # a bug of ours: still a finding, never a traceback, but say so
            if os.environ.get("XXGK_DEBUG"):
                import traceback

                traceback.print_exc()
            self.add(
                "FILE-UNREADABLE",
                f"读取时发生内部错误（{type(exc).__name__}: {str(exc)[:120]}）；请把此文件发给工具维护人员",
            )
        return ReadResult(self.file, None, self.findings, sha256=self.sha256)

    def _read(self, kind: str, zf: zipfile.ZipFile | None, data: bytes) -> ReadResult:
        book = _XlsxBook(zf) if zf is not None else _CalamineBook(data)
        try:
            result = self._read_book(book, kind)
            if isinstance(book, _XlsxBook) and self.whole:
                _verify_unread(book.zf, book.raw)  # as Excel and LibreOffice: every part, not ours only
        finally:
            book.close()
        result.sha256 = self.sha256
        return result

    def _read_book(self, book: _XlsxBook | _CalamineBook, kind: str) -> ReadResult:
        names = book.names
        meta = self._meta(book)
        spec = self.spec = select_spec(meta, self.spec, self.detect)
        sub = Submission(spec=spec, source=self.file, meta=meta)
        if meta.get("format") and meta["format"] != spec.id:
            fmt = meta["format"]
            shown = load_spec(fmt).name if fmt in available_formats() else fmt
            self.add(
                "TEMPLATE-UNKNOWN",
                f"这是“{shown}”的填报表，不是“{spec.name}”的；请使用本年度下发的填报表",
            )
            return ReadResult(self.file, None, self.findings, kind)
        if meta.get("version") and meta["version"] != str(spec.version):
            self.add(
                "TEMPLATE-UNKNOWN",
                f"模板版本为 {_quoted(meta['version'])}，当前为 {spec.version}；请使用最新下发的模板",
            )
            return ReadResult(self.file, None, self.findings, kind)
        used = _used_sheets(spec)
        missing = [s for s in used if s not in names]
        if missing:
            hint = f"（工作簿中的表为：{'、'.join(names)}）" if names else ""
            self.add(
                "TEMPLATE-UNKNOWN",
                f"不是本格式的填报表，或表格结构被改动：缺少工作表“{'”“'.join(missing)}”，是否被改名或删除？{hint}",
            )
            if len(missing) == len(used):
                return ReadResult(self.file, None, self.findings, kind)
        odd = book.odd_formats() if isinstance(book, _XlsxBook) else {}
        lanes = isinstance(book, _XlsxBook) and not meta.get("unknown")
        grids: dict[str, dict[tuple[int, int], Any]] = {}
        clean: dict[str, tuple[_Lane, list[bytes], tuple]] = {}
        for sheet in used:
            if sheet in missing:
                continue
            if lanes and (c := book.clean(sheet, spec, odd)) is not None:
                clean[sheet] = c  # labels verified, inputs plain counts, totals intact
                continue
            grids[sheet] = book.cells(sheet, _wanted(spec, sheet))
        good = {s for s, g in grids.items() if self._structure_ok(s, g)}
        good.update(clean)
        totals: list[tuple[str, Any] | dict[str, str]] = []
        values = sub.values
        deferred: list[tuple[str, Any, str, str | None]] = []
        for sheet in used:
            if sheet not in good:
                continue
            if sheet in clean:  # what the loop below does for such a sheet, in bulk
                lane, vs, texts = clean[sheet]
                sub.where.update(lane.where)
                values.update(zip(lane.input_keys, map(int, texts), strict=True))
                for key in lane.dec_keys:
                    values[key] = Decimal(values[key])
                totals.append(lane.totals)
                for key, kind, how, arg in lane.rest:
                    raw = _slot_value(how, arg, vs, book)
                    if kind == "cover":
                        sub.cover[key.split(".", 1)[1]] = _cover_text(raw)
                    else:
                        sub.texts[key] = "" if raw is None else str(raw).strip()
                continue
            self._read_sheet(sub, book, sheet, grids[sheet], odd, totals, deferred)
        pending = {k for k, *_ in deferred}
        for key, raw, formula, shown in deferred:
            self._input(sub, key, raw, formula, shown, self._lookup(sub, spec.cells[key].sheet, pending))
        if meta.get("unknown"):
            self._unknown(sub, grids, good)
        recomputed: dict[str, Any] | None = None
        for item in totals:
            if isinstance(item, dict):  # a clean sheet's intact formulas
                sub.formula.update(item)
                continue
            key, raw = item
            if recomputed is None:  # all inputs read: totals in any order
                recomputed = compute_totals(spec, sub.values)
            c = spec.cells[key]
            formulas = None if book.formulas is None else book.formulas.get(c.sheet, {})
            self._total(
                sub, key, raw, formulas, recomputed[key], self._lookup(sub, c.sheet, set(), recomputed)
            )
        if any(s not in good for s in grids) or missing:
            sub.meta["incomplete"] = "1"
        return ReadResult(self.file, sub, self.findings, kind)

    def _read_sheet(
        self,
        sub: Submission,
        book: _XlsxBook | _CalamineBook,
        sheet: str,
        grid: dict[tuple[int, int], Any],
        odd: dict[int, str],
        totals: list,
        deferred: list,
    ) -> None:
        """One sheet's cells into the submission, cell by cell (formula inputs deferred)."""
        values = sub.values
        formulas = (book.formulas or {}).get(sheet, {})
        styles = book.styles.get(sheet, {})
        for key, _sheet, pos, kind, ref, num in _sheet_keys(self.spec, sheet):
            raw = grid.get(pos)
            sub.where[key] = ref
            if kind == "input":
                formula = formulas.get(pos)
                shown = odd.get(styles.get(pos, -1)) if odd else None
                if type(raw) is int and raw >= 0 and formula is None and shown is None:
                    values[key] = raw if num == "int" else Decimal(raw)  # the usual clean count
                elif formula is not None:
                    deferred.append((key, raw, formula, shown))  # once the plain inputs are known
                else:
                    self._input(sub, key, raw, None, shown)
            elif kind == "total":
                totals.append((key, raw))
            elif kind == "cover":
                sub.cover[key.split(".", 1)[1]] = _cover_text(raw)
            else:
                sub.texts[key] = "" if raw is None else str(raw).strip()

    def _unknown(self, sub: Submission, grids: dict[str, dict[tuple[int, int], Any]], good: set[str]) -> None:
        """A workbook written by ``xxgk import -o`` lists in ``_meta`` the numbers the published
        report did not yield. Those still empty are VALUE-MISSING (unknown, not 0); the list kept
        in ``sub.meta`` is narrowed to them, so rules skip arithmetic over unknown numbers."""
        still = []
        for key in sub.meta.get("unknown", "").split(","):
            c = self.spec.cells.get(key)
            if c is None or c.kind != "input" or c.sheet not in good:
                continue
            if grids[c.sheet].get((c.row, c.col)) in (None, ""):
                still.append(key)
                self.add(
                    "VALUE-MISSING",
                    f"{c.label}：没有数值（公开报告中未读出此数字：未知，不按0计），请核对原文后填写",
                    sheet=c.sheet,
                    cell=c.a1,
                    key=key,
                )
        if still:
            sub.meta["unknown"] = ",".join(still)
        else:
            sub.meta.pop("unknown", None)

    def _meta(self, book: _XlsxBook | _CalamineBook) -> dict[str, str]:
        name = self.spec.sheets.get("meta", "_meta")
        if name not in book.names:
            return {}
        if isinstance(book, _XlsxBook):
            got, key = book.cells_keyed(name, _META_CELLS)
        else:
            got, key = book.cells(name, _META_CELLS), None
        if key is not None and (known := _META.get(key)) is not None:
            return dict(known)
        meta = {str(got[(r, 0)]).strip(): _cover_text(got.get((r, 1))) for r in range(20) if got.get((r, 0))}
        if key is not None:
            if len(_META) >= 256:
                _META.clear()
            _META[key] = meta
            return dict(meta)
        return meta

    def _structure_ok(self, sheet: str, grid: dict[tuple[int, int], Any]) -> bool:
        diffs = []
        for lab in _checked_labels(self.spec, sheet):
            got = grid.get((lab.row, lab.col))
            if got != lab.text and _norm_label(got) != _norm_label(lab.text):
                diffs.append((lab, got))
        if not diffs:
            return True
        lab, got = diffs[0]
        shown = "空白" if got in (None, "") else f"“{str(got)[:30]}”"
        more = f"等 {len(diffs)} 处不一致" if len(diffs) > 1 else ""
        rows_hint = "（是否插入或删除了行/列？）" if lab.role in ("row", "col", "field", "caption") else ""
        self.add(
            "TEMPLATE-UNKNOWN",
            f"表格结构被改动：{sheet}!{cell_name(lab.row, lab.col)} 应为“{lab.text}”，实际为{shown}"
            f"{more}{rows_hint}；本表的数字未读取，请使用下发的模板重新填写",
            sheet=sheet,
            cell=cell_name(lab.row, lab.col),
            expected=lab.text,
            actual=None if got in (None, "") else str(got),
        )
        return False

    def _lookup(
        self, sub: Submission, sheet: str, pending: set[str], totals: dict[str, Any] | None = None
    ) -> Any:
        """Cell values of one sheet for evaluating a formula: inputs read (not those still
        pending or suspect), and totals once recomputed; anything else is unknown."""
        where = _by_pos(self.spec)

        def get(rc: tuple[int, int]) -> Any:
            key = where.get((sheet, *rc))
            if key is None or key in pending or key in sub.suspect:
                raise _Unknown(str(rc))
            if totals is not None and key in totals:
                return totals[key]
            if key not in sub.values:
                raise _Unknown(key)
            return sub.values[key]

        return get

    def _input(
        self, sub: Submission, key: str, raw: Any, formula: str | None, shown: str | None, lookup: Any = None
    ) -> None:
        """One input cell, read as the spreadsheet applications read it: a number stored as text,
        a date, or a number whose format shows something else is what their SUM sees (text counts
        0), reported at the cell with what was meant, so validate and the 校验 sheet agree."""
        c = self.spec.cells[key]
        kind = c.type.kind if c.type else "int"
        unit = c.type.unit if c.type else ""
        where = dict(sheet=c.sheet, cell=c.a1, key=key)
        name = c.label
        what = "金额" if kind == "decimal" else "整数"
        if formula is not None:
            raw = self._input_formula(sub, key, raw, formula, where, lookup)
            if raw is _REFUSED:
                return
        if isinstance(raw, _DATE_TYPES):
            shown = "时间" if isinstance(raw, datetime.time | datetime.timedelta) else "日期"
            raw = _serial(raw)
        if shown is not None and isinstance(raw, int | Decimal | float):
            value = parse_number(raw, "decimal").value or Decimal(0)
            value = int(value) if value == value.to_integral_value() else value
            hint = {
                "日期": "输入的数字被当成了日期",
                "时间": "输入的数字被当成了时间",
                "百分比": "显示的是百分数",
                "千位缩放": "显示的数缩小了1000倍",
                "文字": "单元格显示的是固定文字，不是所填的数",
                "附加数字": "显示的数字中有格式加上的数字，不是所填的数",
            }[shown]
            self.add(
                "VALUE-IMPLAUSIBLE",
                f"{name}：单元格为“{shown}”格式，{hint}（存储值为 {value}，表格按 {value} 计算合计）；"
                f"请把单元格格式改为“常规”或“数值”，再填写{what}",
                actual=value,
                **where,
            )
            sub.values[key] = value if kind == "decimal" or isinstance(value, int) else Decimal(value)
            sub.suspect[key] = f"{shown}格式"
            return
        if isinstance(raw, BadNumber):
            self.add(
                "VALUE-IMPLAUSIBLE",
                f"{name}：单元格存储的内容“{raw[:30]}”不是有效的数字，各软件读法不一（Excel 会报文件损坏）；"
                f"请在 Excel/WPS 中重新输入{what}",
                actual=str(raw),
                **where,
            )
            sub.values[key] = 0
            sub.suspect[key] = f"“{raw[:20]}”不是有效数字"
            return
        if raw is None or (isinstance(raw, str) and raw.strip(" \u3000\t\r\n") == ""):
            sub.values[key] = 0
            # our template pre-fills every input with 0; a number an imported report did not give is
            # said once, as unknown (VALUE-MISSING error from _unknown), never also "按0计"
            if (
                raw is None
                and sub.meta.get("generator")
                and key not in sub.meta.get("unknown", "").split(",")
            ):
                sub.suspect[key] = "空白"
                self.add(
                    "VALUE-MISSING",
                    f"{name}：单元格为空白，按0计；模板中预填了0，是否被误删？没有的请填0",
                    severity=WARNING,
                    expected=0,
                    **where,
                )
            return
        p = parse_number(raw, kind, unit)
        sub.values[key] = p.value if p.value is not None else 0
        if not p.as_text:
            if p.problem == "not_number":  # TRUE/FALSE, error values (#DIV/0!)
                self.add(
                    "VALUE-NOT-NUMBER",
                    f"{name}：“{p.raw}”不是数字，应填写{what}（没有的填0）",
                    actual=p.raw,
                    **where,
                )
                sub.values[key] = 0
                sub.suspect[key] = f"“{p.raw[:20]}”不是数字"
            return  # negative, fractional, implausible numbers: the rules say so for every source
        # text: the applications' SUM ignores it, so it counts 0 in every total of the workbook
        sub.raw[key] = p.raw
        sub.values[key] = 0
        shown_raw = p.raw.strip()[:30]
        if p.problem == "placeholder":
            self.add(
                "VALUE-PLACEHOLDER",
                f"{name}：“{shown_raw}”按0计；没有的请直接填0",
                actual=p.raw,
                expected=0,
                **where,
            )
            return
        sub.suspect[key] = f"“{shown_raw[:20]}”为文本"
        if p.problem == "not_number":
            self.add(
                "VALUE-NOT-NUMBER",
                f"{name}：“{shown_raw}”不是数字，应填写{what}（没有的填0）",
                actual=p.raw,
                **where,
            )
            return
        if p.problem == "unit_conflict":
            self.add(
                "VALUE-UNIT",
                f"{name}：“{shown_raw}”带有单位“{p.unit}”，但本单元格应填{unit}"
                f"（{'金额' if kind == 'decimal' else '件数'}）；请核实后只填数字",
                severity=ERROR,
                actual=p.raw,
                **where,
            )
            return
        intended = _plain(p.value)
        if p.converted:
            self.add(
                "VALUE-UNIT",
                f"{name}：“{shown_raw}”的单位是{p.unit}，本单元格单位为{unit}，换算为 {intended}{unit}",
                severity=WARNING,
                expected=p.value,
                actual=p.raw,
                **where,
            )
        # never propose an impossible value: a negative, fractional or implausible count is only named
        signed = c.type is not None and c.type.signed
        impossible = (p.problem == "negative" and not signed) or p.problem == "not_integer"
        possible = not impossible and implausible(p.value, kind) is None
        advice = (
            f"请输入数字 {intended}" if possible else f"请核实后输入{'' if signed else '不小于0的'}{what}"
        )
        self.add(
            "VALUE-TEXT-NUMBER",
            f"{name}：“{shown_raw}”是以文本形式存储的，表格的合计不计入文本（按0计）；{advice}",
            expected=p.value if possible else None,
            actual=p.raw,
            **where,
        )

    def _input_formula(
        self, sub: Submission, key: str, raw: Any, formula: str, where: dict, lookup: Any
    ) -> Any:
        """A formula typed into an input cell: its value as the application computes it (simple
        formulas over numbers and this sheet's cells are computed here; otherwise the result the
        application saved), or refused."""
        name = self.spec.cells[key].label
        # a shared formula's other cells store no text of their own (Excel's fill-down/right)
        shown = f"公式“={formula[:60]}”" if formula.strip() else "共享公式（由相邻单元格的公式填充而来）"
        value = eval_formula(formula, lookup)
        if value is not None:
            raw = value
            how = f"按其结果 {_plain(value)} 计"
        elif raw is not None and not isinstance(raw, str):
            how = f"按表格保存的计算结果 {raw} 计"
        else:
            self.add(
                "VALUE-FORMULA",
                f"{name}：输入单元格中是{shown}，没有可核对的计算结果；请直接填写数字",
                severity=ERROR,
                actual="=" + formula,
                **where,
            )
            sub.values[key] = 0
            sub.suspect[key] = "公式"
            return _REFUSED
        self.add(
            "VALUE-FORMULA",
            f"{name}：输入单元格中是{shown}，{how}；请直接填写数字",
            severity=WARNING,
            actual="=" + formula,
            **where,
        )
        return raw

    def _total(
        self,
        sub: Submission,
        key: str,
        raw: Any,
        formulas: dict[tuple[int, int], str] | None,
        expected: Any,
        lookup: Any = None,
    ) -> None:
        c = self.spec.cells[key]
        p = parse_number(raw, "int")
        where = dict(sheet=c.sheet, cell=c.a1, key=key)
        if formulas is None:  # no formula information: the cached value is what was reported
            if p.value is not None and raw not in (None, ""):
                sub.reported[key] = p.value
            return
        f = formulas.get((c.row, c.col))
        if f is not None:
            sub.formula[key] = f
            if f == "" or _norm_formula(f) == _expected_formula(self.spec, key):
                return  # intact (or shared) formula: the toolkit's own sum is the value
            # an edited formula: what it shows is what was reported (computed here when it is
            # simple, else the result the application saved)
            shows = eval_formula(f, lookup)
            if shows is None and p.value is not None and raw not in (None, ""):
                shows = p.value
            if shows is not None:
                sub.reported[key] = shows
            same = shows == expected
            self.add(
                "FORMULA-OVERWRITTEN",
                f"{c.label}：合计公式被改为“={f}”，应为“{total_formula(self.spec, key)}”"
                + ("（目前结果相同）" if same else ""),
                severity=WARNING if same else ERROR,
                expected=total_formula(self.spec, key),
                actual="=" + f,
                **where,
            )
            return
        # no formula: a number (or nothing) typed over the total
        value = p.value if p.value is not None else 0
        sub.reported[key] = value
        if key in sub.meta.get("published_totals", "").split(",") and raw not in (None, ""):
            return  # the total a published report printed (xxgk import -o): the total's own rule says it
        same = value == expected
        shown = "空白" if raw in (None, "") else (p.raw or str(raw))
        self.add(
            "FORMULA-OVERWRITTEN",
            f"{c.label}：合计单元格的公式被改写为{'' if raw in (None, '') else '数字 '}{shown}"
            + ("（与各项之和相同）" if same else f"，应为各项之和 {expected}")
            + "；请恢复公式或使用下发的模板",
            severity=WARNING if same else ERROR,
            expected=expected,
            actual=value,
            **where,
        )


_META_CELLS = frozenset((r, c) for r in range(20) for c in range(2))


@functools.lru_cache(maxsize=8)
def _by_pos(spec: FormSpec) -> dict[tuple[str, int, int], str]:
    return {(c.sheet, c.row, c.col): k for k, c in spec.cells.items()}


@functools.lru_cache(maxsize=32)
def _checked_labels(spec: FormSpec, sheet: str) -> tuple[LabelCell, ...]:
    """The labels whose text identifies the layout (titles are decoration; people retitle them)."""
    return tuple(lab for lab in spec.labels_on(sheet) if lab.role not in ("title", "note") and lab.text)


@functools.lru_cache(maxsize=8)
def _plan(spec: FormSpec) -> tuple[tuple[str, str, tuple[int, int], str, str, str], ...]:
    """(key, sheet, (row, col), kind, "表三!D6", number kind) for every cell, computed once."""
    return tuple(
        (k, c.sheet, (c.row, c.col), c.kind, c.ref, c.type.kind if c.type else "int")
        for k, c in spec.cells.items()
    )


@functools.lru_cache(maxsize=8)
def _used_sheets(spec: FormSpec) -> list[str]:
    return [s for s in spec.sheets.values() if any(c.sheet == s for c in spec.cells.values())]


@functools.lru_cache(maxsize=1024)
def _expected_formula(spec: FormSpec, key: str) -> str:
    return _norm_formula(total_formula(spec, key))


@functools.lru_cache(maxsize=32)
def _wanted(spec: FormSpec, sheet: str) -> frozenset[tuple[int, int]]:
    """Every cell of a sheet the reader looks at: values and the labels checked for structure."""
    cells = {(c.row, c.col) for c in spec.cells.values() if c.sheet == sheet}
    return frozenset(cells | {(lab.row, lab.col) for lab in spec.labels_on(sheet)})


def _at(grid: list[list[Any]], row: int, col: int) -> Any:
    if row < len(grid) and col < len(grid[row]):
        v = grid[row][col]
        return None if v == "" else v
    return None


def _cover_text(v: Any) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


class UnreadableWorkbook(ValueError):
    """The file could not be read as a workbook of the form; ``findings`` say why, in Chinese."""

    def __init__(self, path: str, findings: list[Finding]) -> None:
        super().__init__(f"{path}: " + "；".join(f.message for f in findings))
        self.path = path
        self.findings = findings


def read_workbook(path: str | Path, spec: FormSpec | None = None, *, whole: bool = True) -> Submission:
    """Read one workbook into a :class:`Submission` (its reading findings in ``.findings``).

    Raises :class:`UnreadableWorkbook` when nothing could be read (not a spreadsheet, encrypted,
    corrupt, not this form). :func:`read_file` is the never-raising variant (``whole``: there)."""
    r = read_file(path, spec, whole=whole)
    if r.submission is None:
        raise UnreadableWorkbook(r.path, r.findings)
    r.submission.findings = list(r.findings)
    return r.submission


def read_file(
    path: str | Path,
    spec: FormSpec | None = None,
    *,
    properties: tuple[str, ...] = (),
    whole: bool = True,
    digest: bool = True,
) -> ReadResult:
    """Read one file; never raises for bad content (see ``ReadResult.findings``).

    Without ``spec`` the format is the one the workbook's ``_meta`` names (gov-2019, gov-2021…),
    and a report year the format is not for gets a ``FORMAT-YEAR`` note; with ``spec`` only that
    format is accepted (a merge must not mix formats). ``properties``: ``xxgk.<name>`` document
    properties to read on the way (``ReadResult.declared``), from the directory parsed once.
    ``whole=False`` (the toolkit's own summary, for the words in its 文字 sheet): the form's parts
    alone are read from the file, through zipfile and its CRC checks; the others — a national
    summary's 明细 of hundreds of MB — are neither read into memory nor checked, and no sha256.
    ``digest=False``: no ``ReadResult.sha256`` (what validate does not report it does not compute)."""
    reader = _Reader(path if isinstance(path, Path) else Path(path), spec or load_spec())
    reader.detect = spec is None
    reader.properties = properties
    reader.whole = whole
    reader.digest = digest
    result = reader.read()
    result.declared = reader.declared
    if result.submission is not None and (f := format_year_finding(result.submission, reader.file)):
        result.findings.append(f)
    return result


def select_spec(meta: dict[str, str], requested: FormSpec, detect: bool) -> FormSpec:
    """The spec to read a workbook with: the shipped format its ``_meta`` names when detecting,
    else ``requested`` (a different named format is then reported as TEMPLATE-UNKNOWN)."""
    fmt = meta.get("format")
    spec = requested
    if detect and fmt and fmt != requested.id and fmt in available_formats():
        spec = load_spec(fmt)
    ver = meta.get("version", "")
    if (not fmt or fmt == spec.id) and _digits(ver) and int(ver) in spec.older_versions:
        # a workbook of an earlier template version: read in that version's layout (same keys)
        src = spec.id if spec.id in available_formats() else None
        if src is not None:
            return load_spec(src, int(ver))
    return spec


def format_year_finding(sub: Submission, file: str | None = None, *, report: bool = False) -> Finding | None:
    """``FORMAT-YEAR`` when the report year is not one its format is for (a 2020 report in the
    2021 layout, or the reverse): the figures are read as the layout found, and this says so.

    A **workbook** is the form an agency fills for its year: the year's summary is in the year's
    format and cannot count it, so ``validate``, ``serve`` and ``merge`` all call it an error (the
    rule's severity). A **published report** (``report``: imported text) is what was published:
    read as what it is, compared where the two formats are comparable, so there it is a 提示."""
    spec, year = sub.spec, sub.year
    if year is None or not 1900 <= year <= 2999 or spec.covers_year(year) or "FORMAT-YEAR" not in spec.rules:
        return None
    proper = spec_for_year(year)
    c = spec.cells.get("cover.year")
    if report:
        severity, message = (
            "warning",
            f"{year} 年度的报告使用了“{spec.name}”的版式（{year} 年度应为“{proper.name}”）；"
            f"已按所见的版式读取，与其他年度比较时只比较两种版式可比的数字",
        )
    else:
        severity, message = (
            spec.rules["FORMAT-YEAR"].severity,
            f"这是“{spec.name}”的填报表，而报告年度为 {year} 年；{year} 年度应使用“{proper.name}”的"
            f"填报表，{year} 年度的汇总不能计入此文件。请下载 {year} 年度的填报表，把数字填入后重新报送",
        )
    return Finding(
        "FORMAT-YEAR",
        severity,  # type: ignore[arg-type]
        message,
        file,
        c.sheet if c else None,
        c.a1 if c else None,
        "cover.year",
        proper.id,
        spec.id,
    )
