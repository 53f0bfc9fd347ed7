"""The hostile inputs: each case builds its files in its own folder and says what must happen.

Every case is one real CLI call. ``build(d)`` writes the inputs into the case folder ``d`` (the
working directory of the call); ``argv`` is relative to it. The expectations are what the toolkit
must do with that input (a finding code, or exit 2 with one Chinese line), not what it happened to
do: a case whose fix belongs to another area and still fails is marked ``xfail`` with the area.

Bombs are small in bytes (what compresses 1000:1 or repeats by attribute), so generating all
inputs takes a second or two.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

SPEC = load_spec()
CODE = "11110999MB0000001" + uscc_check_char("11110999MB0000001")
AGENCY = "AGENCYMARK"  # replaced in the shared strings by the hostile name
TEXT = "TEXTMARK"  # replaced in the 文字 sheet's overview
SHEET = {
    name: i + 1
    for i, name in enumerate(
        ("填报说明", "封面", "表二", "表三", "表四", "信息处理费", "文字", "校验", "_meta")
    )
}
ESC_NAME = "甲局\x1b]0;pwned\x07\x1b[2J\x9b31m"  # OSC title, clear screen, C1 CSI


@dataclass
class Case:
    id: str
    argv: list[str]
    build: Callable[[Path], None]
    exit: frozenset[int]  # the exit codes that are right for this input
    codes: tuple[str, ...] = ()  # one of these "[CODE]" / "code": "CODE" must be printed
    outputs: tuple[str, ...] = ()  # what the call may create (a file, or a folder and its content)
    check: Callable[[Path, str], None] | None = None  # more assertions (case folder, stdout+stderr)
    xfail: str | None = None
    timeout: float = 40.0
    area: str = field(default="hostile")
    # run without root's file-permission override (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), as a
    # plain user: a read-only file or a mode-000 folder is then what it is for everyone else
    plain_user: bool = False


CASES: list[Case] = []


def case(
    id: str,
    argv: list[str],
    build: Callable[[Path], None],
    exit: set[int] | int,
    codes: tuple[str, ...] | str = (),
    outputs: tuple[str, ...] | str = (),
    check: Callable[[Path, str], None] | None = None,
    xfail: str | None = None,
    timeout: float = 40.0,
    plain_user: bool = False,
) -> None:
    assert id not in {c.id for c in CASES}, id
    CASES.append(
        Case(
            id,
            argv,
            build,
            frozenset({exit} if isinstance(exit, int) else exit),
            (codes,) if isinstance(codes, str) else codes,
            (outputs,) if isinstance(outputs, str) else outputs,
            check,
            xfail,
            timeout,
            plain_user=plain_user,
        )
    )


# -- building blocks -------------------------------------------------------------------------------
@functools.cache
def base() -> bytes:
    """A valid filled template whose agency and overview are markers, to be replaced by bytes."""
    with tempfile.TemporaryDirectory() as t:
        p = Path(t) / "base.xlsx"
        sub = Submission(
            spec=SPEC,
            cover={"agency": AGENCY, "year": 2025, "code": CODE},
            texts={"overview": TEXT},
        )
        make_template(p, sub)
        return p.read_bytes()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def zipped(parts: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, compresslevel=9 if method == zipfile.ZIP_DEFLATED else None) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return buf.getvalue()


def edited(fn: Callable[[dict[str, bytes]], None]) -> bytes:
    parts = members(base())
    fn(parts)
    return zipped(parts)


def sheet(title: str) -> str:
    return f"xl/worksheets/sheet{SHEET[title]}.xml"


def with_agency(raw: bytes) -> bytes:
    """The base workbook with the agency's shared string replaced by raw XML bytes."""

    def f(p: dict[str, bytes]) -> None:
        p["xl/sharedStrings.xml"] = p["xl/sharedStrings.xml"].replace(AGENCY.encode(), raw)

    return edited(f)


def with_text(raw: bytes) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        p["xl/sharedStrings.xml"] = p["xl/sharedStrings.xml"].replace(TEXT.encode(), raw)

    return edited(f)


def ref(key: str) -> tuple[str, str]:
    c = SPEC.cells[key]
    return c.sheet, c.ref.split("!")[-1]


def with_cell(key: str, xml: bytes | Callable[[str], bytes]) -> bytes:
    """The cell of ``key`` replaced by ``xml`` (given the cell reference)."""
    title, r = ref(key)

    def f(p: dict[str, bytes]) -> None:
        name = sheet(title)
        new = xml(r) if callable(xml) else xml
        p[name], n = re.subn(rb'<c r="' + r.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', new, p[name], count=1)
        assert n == 1, (key, r)

    return edited(f)


def appended_rows(title: str, rows: bytes) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        name = sheet(title)
        p[name] = p[name].replace(b"</sheetData>", rows + b"</sheetData>", 1)

    return edited(f)


_MADE: dict[Callable[[], bytes], bytes] = {}


def made(make: Callable[[], bytes]) -> bytes:
    """The bytes of a generator, made once per session (bombs are reused across commands)."""
    if make not in _MADE:
        _MADE[make] = make()
    return _MADE[make]


def write(name: str, data: bytes | str | Callable[[], bytes]) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        b = made(data) if callable(data) else data
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(b.encode() if isinstance(b, str) else b)

    return build


def files(**named: bytes | str | Callable[[], bytes]) -> Callable[[Path], None]:
    """Several inputs; ``a__b_xlsx`` is ``a/b.xlsx`` (``__`` a folder, the last ``_`` the dot)."""

    def build(d: Path) -> None:
        for key, data in named.items():
            stem, _, ext = key.rpartition("_")
            write(stem.replace("__", "/") + "." + ext, data)(d)

    return build


def fifo(name: str, *also: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        os.mkfifo(d / name)
        for b in also:
            b(d)

    return build


def sparse(name: str, size: int) -> Callable[[Path], None]:
    """A file of ``size`` bytes that takes no disk (all zeros)."""

    def build(d: Path) -> None:
        with open(d / name, "wb") as fh:
            fh.truncate(size)

    return build


def symlink(name: str, target: str) -> Callable[[Path], None]:
    return lambda d: os.symlink(target, d / name)


def seq(*builds: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        for b in builds:
            b(d)

    return build


CODE2 = "11110999MB0000002" + uscc_check_char("11110999MB0000002")


def other_code(make: Callable[[], bytes]) -> bytes:
    """The workbook of ``make`` with another agency's credit code (not a duplicate of good())."""
    parts = members(made(make))
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(CODE.encode(), CODE2.encode())
    return zipped(parts)


def good() -> bytes:
    return with_agency("青川区甲局".encode())


# -- checks on outputs ----------------------------------------------------------------------------
def _count(out: str, needle: str, n: int) -> None:
    assert out.count(needle) == n, f"{needle!r} {out.count(needle)} times, expected {n}\n{out}"


def no_control(d: Path, out: str) -> None:
    bad = sorted({f"{ord(c):#x}" for c in out if c in "\x1b\x07\x9b\x90\x9d" or "\x80" <= c <= "\x9f"})
    assert not bad, f"control characters reach the terminal: {bad}"


def csv_safe(name: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        rows = list(csv.reader(io.StringIO((d / name).read_text(encoding="utf-8-sig"))))
        assert rows
        for row in rows:
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    try:
                        float(cell)
                    except ValueError:
                        raise AssertionError(f"CSV cell would run as a formula: {cell!r}") from None

    return check


def text_lacks(name: str, *needles: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        text = (d / name).read_text(encoding="utf-8")
        for n in needles:
            assert n not in text, f"{n!r} written raw into {name}"

    return check


def xlsx_wellformed(name: str, *needles: str) -> Callable[[Path, str], None]:
    """Every XML part parses (expat), and the texts hold none of ``needles``."""

    def check(d: Path, out: str) -> None:
        import xml.parsers.expat

        with zipfile.ZipFile(d / name) as z:
            for n in z.namelist():
                if n.endswith((".xml", ".rels")):
                    data = z.read(n)
                    xml.parsers.expat.ParserCreate().Parse(data, True)
                    for needle in needles:
                        assert needle.encode() not in data, (n, needle)

    return check


def docx_opens(name: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        import docx

        assert docx.Document(str(d / name)).paragraphs

    return check


def both(*checks: Callable[[Path, str], None]) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        for c in checks:
            c(d, out)

    return check


def stdout_lacks(*needles: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        for n in needles:
            assert n not in out, n

    return check


# -- workbooks: broken, bombs, renamed, odd ---------------------------------------------------------
FIX = Path(__file__).resolve().parent.parent / "fixtures"
UNREADABLE = "FILE-UNREADABLE"


def fixture(name: str) -> Callable[[], bytes]:
    return lambda: (
        (FIX / "fail" / name).read_bytes()
        if (FIX / "fail" / name).exists()
        else (FIX / "pass" / name).read_bytes()
    )


def zip_bomb() -> bytes:
    parts = members(base())
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"</worksheet>", b"<!--" + b" " * 120_000_000 + b"--></worksheet>"
    )
    return zipped(parts)


def xml_bomb_shared() -> bytes:
    lol = (
        b'<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
            for i in range(1, 10)
        )
        + b"]>"
    )

    def f(p: dict[str, bytes]) -> None:
        s = p["xl/sharedStrings.xml"]
        head, _, rest = s.partition(b"?>")
        p["xl/sharedStrings.xml"] = head + b"?>" + lol + rest.replace(AGENCY.encode(), b"&lol9;")

    return edited(f)


def xxe() -> bytes:
    def f(p: dict[str, bytes]) -> None:
        s = p["xl/sharedStrings.xml"]
        head, _, rest = s.partition(b"?>")
        dtd = b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        p["xl/sharedStrings.xml"] = head + b"?>" + dtd + rest.replace(AGENCY.encode(), b"&xxe;")

    return edited(f)


def cell_bomb(title: str, cells: int) -> Callable[[], bytes]:
    """``cells`` cells without references (legal, and 1000:1 compressible) in one sheet."""

    def make() -> bytes:
        per_row = 1000
        row = b"<row>" + b"<c><v>1</v></c>" * per_row + b"</row>"
        return appended_rows(title, row * (cells // per_row))

    return make


def shared_strings_bomb() -> bytes:
    def f(p: dict[str, bytes]) -> None:
        s = p["xl/sharedStrings.xml"]
        p["xl/sharedStrings.xml"] = s.replace(b"</sst>", b"<si><t>x</t></si>" * 2_000_000 + b"</sst>")

    return edited(f)


def inline_huge_string(n: int) -> bytes:
    return with_cell(
        "t3.new_received.natural_person",
        lambda r: b'<c r="%s" t="inlineStr"><is><t>' % r.encode() + b"9" * n + b"</t></is></c>",
    )


def without_sheet(title: str) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        del p[sheet(title)]
        p["xl/workbook.xml"] = re.sub(
            rb'<sheet name="' + title.encode() + rb'"[^>]*/>', b"", p["xl/workbook.xml"]
        )

    return edited(f)


def renamed_sheet(title: str, new: bytes) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        p["xl/workbook.xml"] = p["xl/workbook.xml"].replace(
            b'name="' + title.encode() + b'"', b'name="' + new + b'"'
        )

    return edited(f)


def all_parts(fn: Callable[[str, bytes], bytes]) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        for n in list(p):
            p[n] = fn(n, p[n])

    return edited(f)


def drop_part(name: str) -> bytes:
    def f(p: dict[str, bytes]) -> None:
        del p[name]

    return edited(f)


def replace_in(name: str, old: bytes, new: bytes) -> Callable[[], bytes]:
    def make() -> bytes:
        def f(p: dict[str, bytes]) -> None:
            assert old in p[name], (name, old)
            p[name] = p[name].replace(old, new)

        return edited(f)

    return make


def prefixed_namespace() -> bytes:
    """The main namespace bound to a prefix (x:c, x:v): legal, and some generators write it."""

    def fn(n: str, b: bytes) -> bytes:
        if not n.startswith("xl/worksheets/"):
            return b
        b = b.replace(
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        )
        return re.sub(rb"<(/?)(?=[a-zA-Z])(?!x:)", rb"<\1x:", b)

    return all_parts(fn)


def utf16_shared() -> bytes:
    def f(p: dict[str, bytes]) -> None:
        s = p["xl/sharedStrings.xml"].decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        p["xl/sharedStrings.xml"] = s.encode("utf-16")

    return edited(f)


def merged_cells_t3() -> bytes:
    """D6:E6 merged while E6 (a covered cell) still holds text: a finding lands on a merged cell."""

    def f(p: dict[str, bytes]) -> None:
        name = sheet("表三")
        s = re.sub(
            rb'<c r="E6"[^>]*?(?:/>|>.*?</c>)',
            b'<c r="E6" t="inlineStr"><is><t>abc</t></is></c>',
            p[name],
            count=1,
        )
        p[name] = re.sub(
            rb'<mergeCells count="(\d+)">',
            lambda m: b'<mergeCells count="%d"><mergeCell ref="D6:E6"/>' % (int(m.group(1)) + 1),
            s,
            count=1,
        )

    return edited(f)


def ods(content: bytes) -> bytes:
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


ODS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    b"<office:body><office:spreadsheet>"
)
ODS_TAIL = b"</office:spreadsheet></office:body></office:document-content>"


def ods_bomb() -> bytes:
    tables = b"".join(
        b'<table:table table:name="%s"><table:table-row table:number-rows-repeated="95000">'
        b'<table:table-cell table:number-columns-repeated="1024" office:value-type="float" office:value="1"/>'
        b"</table:table-row></table:table>" % n.encode()
        for n in ("封面", "表三")
    )
    return ods(ODS_HEAD + tables + ODS_TAIL)


def ods_small_wrong() -> bytes:
    t = b'<table:table table:name="Sheet1"><table:table-row><table:table-cell office:value-type="string"><text:p>hello</text:p></table:table-cell></table:table-row></table:table>'
    return ods(ODS_HEAD + t + ODS_TAIL)


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def docx_bomb() -> bytes:
    parts = members(docx_bytes(["北京市某局2023年政府信息公开工作年度报告"]))
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"</w:body>", b"<w:p><w:r><w:t>" + b"a" * 150_000_000 + b"</w:t></w:r></w:p></w:body>"
    )
    return zipped(parts)


def ole_garbage() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(4096)


def random_bytes() -> bytes:
    return bytes(range(256)) * 64


def duplicate_part() -> bytes:
    """Two entries named xl/worksheets/sheet4.xml (表三): which one is the report? (Written under a
    stand-in name of the same length and renamed in the bytes: zipfile warns on a duplicate.)"""
    parts = members(base())
    name = sheet("表三")
    stand_in = name.replace("sheet4", "sheetZ")
    data = zipped({**parts, stand_in: parts[name]})
    return data.replace(stand_in.encode(), name.encode())


def bad_crc_unused_part() -> bytes:
    """docProps/app.xml (never read by the toolkit) with a CRC that its bytes do not have, in the
    local header and the central directory alike: the zip is damaged all the same."""
    import struct

    raw = bytearray(base())
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).getinfo("docProps/app.xml")
    crc = struct.pack("<L", info.CRC ^ 0x5A5A5A5A)
    raw[info.header_offset + 14 : info.header_offset + 18] = crc
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        n = struct.unpack_from("<H", raw, pos + 28)[0]
        if raw[pos + 46 : pos + 46 + n] == b"docProps/app.xml":
            raw[pos + 16 : pos + 20] = crc
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


WB_BAD: dict[str, tuple[Callable[[], bytes], str]] = {
    # name: (bytes, expected finding code)
    "empty": (lambda: b"", UNREADABLE),
    "truncated_half": (lambda: base()[: len(base()) // 2], UNREADABLE),
    "truncated_tail": (lambda: base()[:-200], UNREADABLE),
    "zip_bomb": (zip_bomb, UNREADABLE),
    "zip_bomb_fixture": (fixture("zip_bomb.xlsx"), UNREADABLE),
    "bzip2_shared_strings": (lambda: bzip2_member(base(), "xl/sharedStrings.xml"), UNREADABLE),
    "xml_bomb_fixture": (fixture("xml_bomb.xlsx"), UNREADABLE),
    "xml_bomb_shared": (xml_bomb_shared, UNREADABLE),
    "xxe_shared": (xxe, UNREADABLE),
    "encrypted": (fixture("encrypted.xlsx"), UNREADABLE),
    "csv_renamed": (lambda: "机关名称,数量\n甲局,1\n".encode(), UNREADABLE),
    "html_renamed": (lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>", UNREADABLE),
    "pdf_renamed": (lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", UNREADABLE),
    "docx_renamed": (lambda: docx_bytes(["不是工作簿"]), UNREADABLE),
    "png_renamed": (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, UNREADABLE),
    "rtf_renamed": (lambda: b"{\\rtf1\\ansi hello}", UNREADABLE),
    "random_bytes": (random_bytes, UNREADABLE),
    "ole_garbage": (ole_garbage, UNREADABLE),
    "gzip_renamed": (lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 50, UNREADABLE),
    "zip_without_workbook": (lambda: zipped({"hello.txt": b"hi"}), UNREADABLE),
    "zip_empty": (lambda: zipped({}), UNREADABLE),
    "ods_renamed_xlsx": (ods_small_wrong, (UNREADABLE, "TEMPLATE-UNKNOWN")),
    "no_workbook_xml": (lambda: drop_part("xl/workbook.xml"), UNREADABLE),
    "no_shared_strings": (lambda: drop_part("xl/sharedStrings.xml"), (UNREADABLE, "TEMPLATE-UNKNOWN")),
    "no_rels": (lambda: drop_part("xl/_rels/workbook.xml.rels"), (UNREADABLE, "TEMPLATE-UNKNOWN")),
    "sheet_t3_missing": (lambda: without_sheet("表三"), "TEMPLATE-UNKNOWN"),
    "sheet_cover_missing": (lambda: without_sheet("封面"), "TEMPLATE-UNKNOWN"),
    "sheet_t3_renamed": (lambda: renamed_sheet("表三", b"Sheet3"), "TEMPLATE-UNKNOWN"),
    "sheet_name_markup": (lambda: renamed_sheet("表四", b"&lt;script&gt;"), "TEMPLATE-UNKNOWN"),
    "cell_bomb_guide": (cell_bomb("填报说明", 3_000_000), UNREADABLE),
    "cell_bomb_t3": (cell_bomb("表三", 3_000_000), UNREADABLE),
    "shared_strings_bomb": (shared_strings_bomb, UNREADABLE),
    "cell_at_xfd1048576": (
        lambda: appended_rows("表三", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        "",
    ),
    "dimension_huge": (
        replace_in(sheet("表三"), b'<dimension ref="A1:J30"/>', b'<dimension ref="A1:XFD1048576"/>'),
        "",
    ),
    "value_1e400": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s"><v>1E+400</v></c>' % r.encode()
        ),
        "VALUE-IMPLAUSIBLE",
    ),
    "value_1e400_beside_a_fraction": (  # a total of 10^400 and 0.5 is a Decimal: its message raised in round()
        lambda: edited(
            lambda p: [
                (
                    p.__setitem__(
                        sheet(t),
                        re.sub(
                            rb'<c r="' + r.encode() + rb'"[^>]*?(?:/>|>.*?</c>)',
                            x % r.encode(),
                            p[sheet(t)],
                            count=1,
                        ),
                    )
                )
                for (t, r), x in (
                    (ref("t3.new_received.natural_person"), b'<c r="%s"><v>1E+400</v></c>'),
                    (ref("t3.carried_in.business"), b'<c r="%s"><v>0.5</v></c>'),
                )
            ]
        ),
        "VALUE-IMPLAUSIBLE",
    ),
    "value_nan": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s"><v>NaN</v></c>' % r.encode()
        ),
        ("VALUE-NOT-NUMBER", "VALUE-IMPLAUSIBLE"),
    ),
    "value_huge_int": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s"><v>%s</v></c>' % (r.encode(), b"9" * 400)
        ),
        "VALUE-IMPLAUSIBLE",
    ),
    "value_5000_digits": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s"><v>%s</v></c>' % (r.encode(), b"9" * 5000)
        ),
        (UNREADABLE, "VALUE-IMPLAUSIBLE"),
    ),
    "money_tiny": (
        lambda: with_cell("t2.admin_fees.amount", lambda r: b'<c r="%s"><v>1E-400</v></c>' % r.encode()),
        "",
    ),
    "value_huge_text": (lambda: inline_huge_string(2_000_000), (UNREADABLE, "VALUE-NOT-NUMBER")),
    "value_error_cell": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s" t="e"><v>#DIV/0!</v></c>' % r.encode()
        ),
        "VALUE-NOT-NUMBER",
    ),
    # Excel repairs these by dropping the cell: blank, read as 0 like Excel shows it
    "shared_index_out_of_range": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s" t="s"><v>999999</v></c>' % r.encode()
        ),
        "",
    ),
    "shared_index_negative": (
        lambda: with_cell(
            "t3.new_received.natural_person", lambda r: b'<c r="%s" t="s"><v>-1</v></c>' % r.encode()
        ),
        "",
    ),
    "cell_ref_garbage": (
        lambda: appended_rows(
            "表三",
            b'<row r="0"><c r="A0"><v>1</v></c><c r="ZZZZ1"><v>1</v></c></row><row r="-5"><c r="-"><v>1</v></c></row>',
        ),
        "",
    ),
    "prefixed_namespace": (prefixed_namespace, ""),
    "utf16_shared_strings": (utf16_shared, ""),
    "agency_huge": (lambda: with_agency("甲".encode() * 100_000), ""),
    "agency_controls": (lambda: with_agency(ESC_NAME.encode()), ""),
    "agency_noncharacters": (lambda: with_agency("甲局\ufffe\uffff".encode()), ""),
    "agency_markup": (
        lambda: with_agency(b"&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "",
    ),
    "agency_formula": (lambda: with_agency(b'=HYPERLINK("http://x.example/","click")'), ""),
    "agency_cdata": (lambda: with_agency("<![CDATA[<b>甲局</b>]]>".encode()), ""),
    "agency_excel_escape": (lambda: with_agency(b"_x000D_\xe7\x94\xb2_x0009_\xe5\xb1\x80_x005F_x0041_"), ""),
    "text_nul_controls": (lambda: with_text(b"\x00\x01\x08 overview \x0b\x0c\x1f"), ""),
    "text_markup": (
        lambda: with_text(b"&lt;script&gt;x&lt;/script&gt; # h1 [a](javascript:alert(1)) | * _"),
        "",
    ),
    "text_huge": (lambda: with_text(b"\xe5\x85\xac" * 200_000), ""),
    "merged_cells_t3": (merged_cells_t3, "VALUE-NOT-NUMBER"),
    "ods_bomb_renamed": (ods_bomb, UNREADABLE),
    "duplicate_part": (duplicate_part, UNREADABLE),
    "bad_crc_unused_part": (bad_crc_unused_part, UNREADABLE),
}


def _wb_cases() -> None:
    for name, (make, code) in WB_BAD.items():
        exits = {1} if code else {0, 1}
        codes = (code,) if isinstance(code, str) and code else code or ()
        check = no_control if name == "agency_controls" else None
        xfail = None
        if name == "xxe_shared":
            check = stdout_lacks("root:")
        case(
            f"validate-{name}",
            ["validate", "in.xlsx", "--year", "2025"],
            write("in.xlsx", make),
            exits,
            codes,
            check=check,
            xfail=xfail,
        )


_wb_cases()
case(
    "validate-ods_bomb",
    ["validate", "in.ods"],
    write("in.ods", ods_bomb),
    1,
    UNREADABLE,
    timeout=12,
)

# the same bad workbooks through the other commands (a selection: each command's own path)
for _n in (
    "truncated_half",
    "zip_bomb",
    "xml_bomb_shared",
    "cell_bomb_guide",
    "encrypted",
    "value_1e400",
    "agency_huge",
):
    _make, _code = WB_BAD[_n]
    case(
        f"export-{_n}",
        ["export", "in.xlsx", "-o", "out.json"],
        write("in.xlsx", _make),
        {0, 1} if not _code else 1,
        _code or (),
        outputs="out.json",
    )
for _n in ("truncated_half", "zip_bomb", "random_bytes", "sheet_t3_missing"):
    _make, _code = WB_BAD[_n]
    case(
        f"render-{_n}",
        ["render", "in.xlsx", "-o", "out.docx"],
        write("in.xlsx", _make),
        1,
        _code,
        outputs="out.docx",
    )

# merge: a folder of bad files and one good one; every bad file reported, the good one summed
case(
    "merge-folder-of-bad-files",
    ["merge", "in", "-o", "sum.xlsx", "--year", "2025"],
    files(
        in__good_xlsx=good,
        in__trunc_xlsx=WB_BAD["truncated_half"][0],
        in__bomb_xlsx=WB_BAD["zip_bomb"][0],
        in__xml_xlsx=WB_BAD["xml_bomb_shared"][0],
        in__csv_xlsx=WB_BAD["csv_renamed"][0],
        in__cells_xlsx=WB_BAD["cell_bomb_guide"][0],
        in__enc_xlsx=WB_BAD["encrypted"][0],
    ),
    1,
    outputs="sum.xlsx",
    check=both(xlsx_wellformed("sum.xlsx"), lambda d, out: _count(out, "有错误：", 6)),
)
case(
    "merge-jobs2-bad-files",
    ["merge", "in", "-o", "sum.xlsx", "--jobs", "2"],
    files(in__good_xlsx=good, in__trunc_xlsx=WB_BAD["truncated_tail"][0], in__ss_xlsx=shared_strings_bomb),
    1,
    outputs="sum.xlsx",
    check=lambda d, out: _count(out, "有错误：", 2),
)
case(
    "merge-noncharacter-name-xlsx",
    ["merge", "in.xlsx", "-o", "sum.xlsx"],
    write("in.xlsx", WB_BAD["agency_noncharacters"][0]),
    {0, 1},
    outputs="sum.xlsx",
    check=xlsx_wellformed("sum.xlsx"),
)
case(
    "merge-huge-name-xlsx",
    ["merge", "in.xlsx", "-o", "sum.xlsx"],
    write("in.xlsx", WB_BAD["agency_huge"][0]),
    {0, 1},
    outputs="sum.xlsx",
    check=xlsx_wellformed("sum.xlsx"),
)
case(
    "merge-escape-literal-xlsx",
    ["merge", "in.xlsx", "-o", "sum.xlsx"],
    write("in.xlsx", WB_BAD["agency_excel_escape"][0]),
    {0, 1},
    outputs="sum.xlsx",
    check=xlsx_wellformed("sum.xlsx"),
)
case(
    "merge-formula-name-csv",
    ["merge", "in.xlsx", "-o", "sum.csv"],
    write("in.xlsx", WB_BAD["agency_formula"][0]),
    {0, 1},
    outputs="sum.csv",
    check=csv_safe("sum.csv"),
)
case(
    "merge-tab-formula-name-csv",
    ["merge", "in.xlsx", "-o", "sum.csv"],
    write("in.xlsx", lambda: with_agency(b"\t=1+1")),
    {0, 1},
    outputs="sum.csv",
    check=csv_safe("sum.csv"),
)
case(
    "merge-plus-at-minus-names-csv",
    ["merge", "in", "-o", "sum.csv"],
    files(
        in__a_xlsx=lambda: with_agency(b"+cmd|' /C calc'!A0"),
        in__b_xlsx=lambda: with_agency(b"@SUM(1+1)"),
        in__c_xlsx=lambda: with_agency(b"-1+1"),
    ),
    {0, 1},
    outputs="sum.csv",
    check=csv_safe("sum.csv"),
)
case(
    "merge-controls-name-text",
    ["merge", "in.xlsx", "-o", "sum.json"],
    write("in.xlsx", WB_BAD["agency_controls"][0]),
    {0, 1},
    outputs="sum.json",
    check=no_control,
)
case(
    "merge-controls-name-json",
    ["merge", "in.xlsx", "-o", "sum.xlsx", "--format", "json"],
    write("in.xlsx", WB_BAD["agency_controls"][0]),
    {0, 1},
    outputs="sum.xlsx",
    check=both(no_control, xlsx_wellformed("sum.xlsx")),
)
case(
    "merge-huge-values",
    ["merge", "in", "-o", "sum.xlsx"],
    files(in__a_xlsx=WB_BAD["value_huge_int"][0], in__b_xlsx=good),
    0,  # one agency's two files, only b passes: b counts in a's stead (issue 18), the sum complete
    outputs="sum.xlsx",
    check=xlsx_wellformed("sum.xlsx"),
)
case(
    "merge-huge-values-included",
    ["merge", "in", "-o", "sum.xlsx", "--include-invalid"],
    files(in__a_xlsx=lambda: other_code(WB_BAD["value_1e400"][0]), in__b_xlsx=good),
    1,
    outputs="sum.xlsx",
    check=xlsx_wellformed("sum.xlsx"),
)
case(
    "validate-controls-name-json",
    ["validate", "in.xlsx", "--format", "json"],
    write("in.xlsx", WB_BAD["agency_controls"][0]),
    {0, 1},
    check=no_control,
)
case(
    "validate-report-controls-huge",
    ["validate", "in", "--report", "list.xlsx"],
    files(
        in__a_xlsx=WB_BAD["agency_controls"][0],
        in__b_xlsx=WB_BAD["agency_huge"][0],
        in__c_xlsx=WB_BAD["value_error_cell"][0],
    ),
    1,
    "VALUE-NOT-NUMBER",
    outputs="list.xlsx",
    check=xlsx_wellformed("list.xlsx"),
)
case(
    "validate-annotate-merged-cells",
    ["validate", "in.xlsx", "--annotate", "out"],
    files(
        in_xlsx=lambda: with_cell(
            "t3.new_received.natural_person",
            lambda r: b'<c r="%s" t="inlineStr"><is><t>abc</t></is></c>' % r.encode(),
        )
    ),
    1,
    "VALUE-NOT-NUMBER",
    outputs="out",
)
case(
    "validate-annotate-merged-d6e6",
    ["validate", "in.xlsx", "--annotate", "out"],
    write("in.xlsx", merged_cells_t3),
    1,
    "VALUE-NOT-NUMBER",
    outputs="out",
)
case(
    "validate-annotate-controls-in-agency",  # ESC in the page footer's agency name: lxml raised
    ["validate", "in.xlsx", "--annotate", "out", "--annotate-all"],
    write("in.xlsx", lambda: with_agency(ESC_NAME.encode())),
    {0, 1},
    outputs="out",
    check=both(no_control, xlsx_wellformed("out/in_问题清单.xlsx")),
)
case(
    "validate-annotate-refused-cell-bomb",
    ["validate", "in.xlsx", "--annotate", "out"],
    write("in.xlsx", WB_BAD["cell_bomb_guide"][0]),
    1,
    UNREADABLE,
    outputs="out",
    timeout=12,
)

# render: text from the workbook is escaped per output kind; Excel's _xHHHH_ is decoded
# (--draft: these workbooks leave sections empty, and the point is the escaping)
case(
    "render-md-markup-name",
    ["render", "in.xlsx", "-o", "out.md", "--draft"],
    write("in.xlsx", WB_BAD["agency_markup"][0]),
    {0, 1},
    outputs="out.md",
    check=text_lacks("out.md", "<script", "<img"),
)
case(
    "render-md-markup-text",
    ["render", "in.xlsx", "-o", "out.md", "--draft"],
    write("in.xlsx", WB_BAD["text_markup"][0]),
    {0, 1},
    outputs="out.md",
    check=text_lacks("out.md", "<script", "a](javascript"),
)
case(
    "render-html-markup-name",
    ["render", "in.xlsx", "-o", "out.html", "--draft"],
    write("in.xlsx", WB_BAD["agency_markup"][0]),
    {0, 1},
    outputs="out.html",
    check=text_lacks("out.html", "<script", "<img"),
)
case(
    "render-docx-nul-text",
    ["render", "in.xlsx", "-o", "out.docx", "--draft"],
    write("in.xlsx", WB_BAD["text_nul_controls"][0]),
    {0, 1},
    outputs="out.docx",
    check=docx_opens("out.docx"),
)
case(
    "render-docx-controls-name",
    ["render", "in.xlsx", "-o", "out.docx", "--draft"],
    write("in.xlsx", WB_BAD["agency_controls"][0]),
    {0, 1},
    outputs="out.docx",
    check=both(docx_opens("out.docx"), no_control),
)
case(
    "render-md-excel-escapes",
    ["render", "in.xlsx", "-o", "out.md", "--draft"],
    write(
        "in.xlsx",
        lambda: with_text(
            b"\xe7\xac\xac\xe4\xb8\x80\xe6\xae\xb5_x000D_\n\xe7\xac\xac\xe4\xba\x8c\xe6\xae\xb5_x0009_\xe5\xae\x8c"
        ),
    ),
    {0, 1},
    outputs="out.md",
    check=text_lacks("out.md", "_x000D_", "_x0009_"),
)
case(
    "render-docx-huge-text",
    ["render", "in.xlsx", "-o", "out.docx", "--draft"],
    write("in.xlsx", WB_BAD["text_huge"][0]),
    {0, 1},
    outputs="out.docx",
)
case(
    "render-fifo",
    ["render", "in.xlsx", "-o", "out.docx"],
    fifo("in.xlsx"),
    {1, 2},
    outputs="out.docx",
    timeout=20,
)


# -- rosters ---------------------------------------------------------------------------------------
def roster_csv(*names: str, header: str = "name,code") -> str:
    return header + "\n" + "".join(f'"{n}",\n' for n in names)


def roster_xlsx(
    rows: list[list[str]] | None = None, far_cell: bool = False, bomb: int = 0
) -> Callable[[], bytes]:
    def make() -> bytes:
        import xlsxwriter

        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True})
        ws = wb.add_worksheet()
        for r, row in enumerate(rows or [["机关名称"], ["甲局"]]):
            for c, v in enumerate(row):
                ws.write_string(r, c, v)
        if far_cell:
            ws.write_number(1048575, 16383, 1)
        wb.close()
        data = buf.getvalue()
        if bomb:
            p = members(data)
            row = b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>"
            p["xl/worksheets/sheet1.xml"] = p["xl/worksheets/sheet1.xml"].replace(
                b"</sheetData>", row * (bomb // 1000) + b"</sheetData>"
            )
            data = zipped(p)
        return data

    return make


ROSTER_T = ["template", "--roster", "roster.csv", "-o", "out", "--year", "2025"]
case("roster-fifo", ROSTER_T, fifo("roster.csv"), 2, timeout=20)
case("roster-dev-zero", ROSTER_T, symlink("roster.csv", "/dev/zero"), 2, timeout=20)
case("roster-huge-sparse", ROSTER_T, sparse("roster.csv", 200 * 1024 * 1024), 2)
case("roster-bad-encoding", ROSTER_T, write("roster.csv", bytes(range(128, 256)) * 8), 2)
case(
    "roster-utf16", ROSTER_T, write("roster.csv", roster_csv("甲局").encode("utf-16")), {0, 2}, outputs="out"
)
case("roster-no-name-column", ROSTER_T, write("roster.csv", "a,b\n1,2\n"), 2)
case("roster-empty", ROSTER_T, write("roster.csv", b""), 2)
case(
    "roster-huge-cell",
    ROSTER_T,
    write("roster.csv", lambda: ("name\n" + "甲" * 300_000 + "\n").encode()),
    {0, 1, 2},
    outputs="out",
)
case(
    "roster-controls-names",
    ["merge", "in.xlsx", "--roster", "roster.csv", "-o", "sum.xlsx"],
    files(in_xlsx=good, roster_csv=roster_csv("青川区甲局", ESC_NAME, "乙局\x9b2J")),
    1,
    outputs="sum.xlsx",
    check=both(no_control, xlsx_wellformed("sum.xlsx")),
)
case(
    "roster-formula-names-csv",
    ["merge", "in.xlsx", "--roster", "roster.csv", "-o", "sum.csv"],
    files(in_xlsx=good, roster_csv=roster_csv('=HYPERLINK(""http://x"",""y"")', "+1+1", "@A1", "-2")),
    1,
    outputs="sum.csv",
    check=csv_safe("sum.csv"),
)
case(
    "roster-xlsx-far-cell",
    ["template", "--roster", "roster.xlsx", "-o", "out"],
    write("roster.xlsx", roster_xlsx(far_cell=True)),
    {0, 2},
    outputs="out",
)
case(
    "roster-xlsx-cell-bomb",
    ["template", "--roster", "roster.xlsx", "-o", "out"],
    write("roster.xlsx", roster_xlsx(bomb=3_000_000)),
    {0, 2},
    outputs="out",
)
case(
    "roster-xlsx-truncated",
    ["template", "--roster", "roster.xlsx", "-o", "out"],
    write("roster.xlsx", lambda: roster_xlsx()()[:300]),
    2,
)
case(
    "roster-windows-names",
    ROSTER_T,
    write("roster.csv", roster_csv("CON", "nul", "COM1", "AUX.", "LPT1.txt", "甲局")),
    0,
    outputs="out",
    check=lambda d, out: [
        (_ for _ in ()).throw(AssertionError(f"Windows-reserved name written: {p.name}"))
        for p in (d / "out").iterdir()
        if re.fullmatch(r"(?i)(con|prn|aux|nul|com\d|lpt\d)(\..*)?", p.name.rstrip(". "))
    ],
)
case(
    "roster-duplicate-stems",
    ROSTER_T,
    write("roster.csv", "name,code\nA,\nA_000220,\nA,111109990000000220\n"),
    {0, 1},
    outputs="out",
    check=lambda d, out: (
        (_ for _ in ()).throw(AssertionError(out))
        if f"已生成 {len(list((d / 'out').iterdir()))} 个模板" not in out
        else None
    ),
)
case(
    "roster-long-chinese-name",
    ROSTER_T,
    write("roster.csv", roster_csv("青川区" * 27, "甲局", "乙局")),
    0,
    outputs="out",
    check=lambda d, out: (
        None
        if len(list((d / "out").iterdir())) == 3
        else (_ for _ in ()).throw(AssertionError("not 3 files"))
    ),
)

# -- values JSON (template --values) -----------------------------------------------------------------
VALUES_T = ["template", "--values", "v.json", "-o", "out.xlsx"]


def values_case(id: str, text: str | bytes | Callable[[Path], None], exit: int | set[int] = 2, **kw) -> None:
    build = text if callable(text) else write("v.json", text)
    kw.setdefault("outputs", "out.xlsx")
    case(f"values-{id}", VALUES_T, build, exit, **kw)


values_case("fifo", fifo("v.json"), timeout=20)
values_case("dev-zero", symlink("v.json", "/dev/zero"), timeout=20)
values_case("directory", lambda d: (d / "v.json").mkdir())
values_case("huge-sparse", sparse("v.json", 64 * 1024 * 1024))
values_case("deep-nesting", "[" * 100_000 + "]" * 100_000)
values_case("deep-nesting-in-values", '{"values": {"a": ' + "[" * 5000 + "]" * 5000 + "}}")
values_case("deep-nesting-unclosed", "{" + '"a":{' * 50_000)
values_case("int-10e400", '{"values": {"t3.new_received.natural_person": 1' + "0" * 400 + "}}")
values_case("int-5000-digits", '{"values": {"t3.new_received.natural_person": ' + "9" * 5000 + "}}")
values_case("float-1e400", '{"values": {"t3.new_received.natural_person": 1e400}}')
values_case("float-neg-1e400", '{"values": {"t3.new_received.natural_person": -1e400}}')
values_case("nan-literal", '{"values": {"t3.new_received.natural_person": NaN}}')
values_case("infinity-literal", '{"values": {"t2.admin_fees.amount": Infinity}}')
values_case("count-1e9", '{"values": {"t3.new_received.natural_person": 1000000000}}')
values_case("count-negative", '{"values": {"t3.new_received.natural_person": -1}}')
values_case("count-fraction", '{"values": {"t3.new_received.natural_person": 1.5}}')
values_case("money-16-digits", '{"values": {"t2.admin_fees.amount": 1234567890.123456}}')
values_case("money-1e20", '{"values": {"t2.admin_fees.amount": 1e20}}')
values_case("money-string-long", '{"values": {"t2.admin_fees.amount": "' + "1" * 10_000 + '"}}')
values_case(
    "money-15-digits-kept",
    '{"values": {"t2.admin_fees.amount": 123456789.012345}}',
    0,
    check=lambda d, out: None,
)
values_case("wrong-type-list", "[1, 2, 3]")
values_case("wrong-type-string", '"values"')
values_case("wrong-type-values-list", '{"values": [1, 2]}')
values_case("wrong-type-bool", '{"values": {"t3.new_received.natural_person": true}}')
values_case("wrong-type-object", '{"values": {"t3.new_received.natural_person": {"a": 1}}}')
values_case("wrong-type-texts", '{"texts": {"overview": {"a": [1]}}}')
values_case("wrong-type-cover", '{"cover": {"agency": ["甲"], "year": 1e400}}')
values_case("unknown-keys", '{"values": {"nope": 1}, "extra": 2}')
values_case("not-json", "{'values': 1}")
values_case("empty-file", "")
values_case("invalid-utf8", b'{"cover": {"agency": "\xff\xfe"}}')
values_case("utf16", '{"values": {}}'.encode("utf-16"))
values_case("wrong-format", '{"format": "gov-1999"}')
values_case(
    "surrogate-and-controls-in-name",
    '{"cover": {"agency": "\\ud800\\u001b]0;x\\u0007\\ufffe甲局<b>", "year": 2025}, "texts": {"overview": "\\u0000a"}}',
    0,
    check=xlsx_wellformed("out.xlsx"),
)
values_case(
    "text-over-32767",
    lambda d: (d / "v.json").write_text('{"texts": {"overview": "' + "文" * 40_000 + '"}}', encoding="utf-8"),
    0,
    check=xlsx_wellformed("out.xlsx"),
)
case(
    "values-output-is-input-argv",
    ["template", "--values", "v.json", "-o", "v.json"],
    write("v.json", '{"values": {}}'),
    2,
)

# -- reports (import) --------------------------------------------------------------------------------
REPORT_HEAD = "北京市某区某局2023年政府信息公开工作年度报告\n"
IMPORT = ["import", "r.txt"]


def import_case(
    id: str,
    build: Callable[[Path], None],
    exit: int | frozenset[int] = frozenset({0, 1, 2}),
    argv: list[str] | None = None,
    **kw,
) -> None:
    case(f"import-{id}", argv or IMPORT, build, set(exit) if not isinstance(exit, int) else exit, **kw)


import_case("fifo", fifo("r.txt"), {1, 2}, timeout=10)
import_case("dev-zero", symlink("r.txt", "/dev/zero"), {1, 2}, timeout=15)
import_case(
    "huge-sparse",
    sparse("r.txt", 400 * 1024 * 1024),
    {1, 2},
    timeout=12,
)
import_case(
    "long-first-line",
    write("r.txt", lambda: ("年" * 63_000 + "\n" + REPORT_HEAD).encode()),
    {0, 1, 2},
    timeout=12,
)
import_case(
    "overview-without-stop",
    write("r.txt", lambda: (REPORT_HEAD + "一、总体情况\n" + "公开" * 100_000 + "\n").encode()),
    {0, 1, 2},
    timeout=30,
)
import_case("docx-zip-bomb", write("r.docx", docx_bomb), {1, 2}, argv=["import", "r.docx"])
import_case("empty", write("r.txt", b""), {1, 2})
import_case("binary", write("r.txt", random_bytes), {1, 2})
import_case(
    "controls-in-agency",
    write("r.txt", (ESC_NAME + "2023年政府信息公开工作年度报告\n一、总体情况\n").encode()),
    {0, 1},
    check=no_control,
)
import_case(
    "html-script",
    write(
        "r.html", b"<html><script>alert(1)</script><body><p>" + REPORT_HEAD.encode() + b"</p></body></html>"
    ),
    {0, 1},
    argv=["import", "r.html", "--format", "json"],
)
import_case("gbk", write("r.txt", REPORT_HEAD.encode("gbk")), {0, 1})
import_case("docx-garbage", write("r.docx", random_bytes), {1, 2}, argv=["import", "r.docx"])


def _reference_with(line: int, text: str) -> Callable[[], bytes]:
    def make() -> bytes:
        lines = (FIX / "reference" / "000_f97a9d76fb144919.txt").read_text(encoding="utf-8").split("\n")
        lines[line] = text
        return "\n".join(lines).encode()

    return make


import_case(
    "giant-number-to-xlsx",
    write("r.txt", _reference_with(92, "\t1" + "0" * 400 + " ")),
    {1, 2},
    argv=["import", "r.txt", "-o", "out.xlsx"],
    outputs="out.xlsx",
)
import_case(
    "output-is-input",
    write("r.txt", REPORT_HEAD),
    2,
    argv=["import", "r.txt", "-o", "r.txt"],
)


# -- the archive (xxgk archive, xxgk trend) -------------------------------------------------------
def _code(n: int) -> str:
    base17 = f"11110999MB{n:07d}"
    return base17 + uscc_check_char(base17)


def agency_wb(name: str, n: int) -> bytes:
    """The base workbook for agency ``name`` (XML text) with credit code number ``n``."""
    parts = members(with_agency(name.encode()))
    parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace(CODE.encode(), _code(n).encode())
    return zipped(parts)


def archive_of(*workbooks: bytes) -> bytes:
    """An archive (xxgk.db) holding ``workbooks``, made through the toolkit, as one file."""
    from toolkit.store import Store, add_paths

    with tempfile.TemporaryDirectory() as t:
        for i, data in enumerate(workbooks):
            (Path(t) / f"{i:02d}.xlsx").write_bytes(data)
        with Store(Path(t) / "a.db") as s:
            res = add_paths(s, sorted(Path(t).glob("*.xlsx")))
            assert all(r.status == "added" for r in res), res
        return (Path(t) / "a.db").read_bytes()


@functools.cache
def archive_plain() -> bytes:
    return archive_of(agency_wb("青川区甲局", 11), agency_wb("青川区乙局", 12))


@functools.cache
def archive_hostile() -> bytes:
    """Agency names that are formulas, a DDE call, terminal escapes."""
    return archive_of(
        agency_wb("=HYPERLINK(&quot;http://evil.example/&quot;,&quot;点此&quot;)", 21),
        agency_wb("+cmd|' /C calc'!A0", 22),
        agency_wb("@SUM(1+1)*cmd|' /C calc'!A0", 23),
        agency_wb(ESC_NAME, 24),
    )


def damaged_archive() -> bytes:
    """``archive_plain`` with bytes flipped in the versions table's page (found through dbstat)."""
    import sqlite3

    data = bytearray(archive_plain())
    with tempfile.TemporaryDirectory() as t:
        (Path(t) / "a.db").write_bytes(data)
        con = sqlite3.connect(Path(t) / "a.db")
        try:
            ps = con.execute("PRAGMA page_size").fetchone()[0]
            pages = [r[0] for r in con.execute("SELECT pageno FROM dbstat WHERE name = 'versions'")]
        finally:
            con.close()
    for pg in pages:
        end = pg * ps
        for i in range(end - 600, end, 7):
            data[i] ^= 0xFF
    return bytes(data)


def foreign_db(app_id: int = 0, wal: bool = False) -> Callable[[], bytes]:
    def make() -> bytes:
        import sqlite3

        with tempfile.TemporaryDirectory() as t:
            con = sqlite3.connect(Path(t) / "o.db", isolation_level=None)
            if app_id:
                con.execute(f"PRAGMA application_id = {app_id}")
            con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            con.execute("INSERT INTO notes (text) VALUES ('另一个程序的数据')")
            if wal:
                con.execute("PRAGMA journal_mode = WAL")
            con.close()
            return (Path(t) / "o.db").read_bytes()

    return functools.cache(make)


def big_number_wb() -> bytes:
    """A report whose figure is beyond SQLite's 64-bit INTEGER (it made the whole batch fail)."""
    key = "t3.new_received.natural_person"
    title, r = ref(key)
    parts = members(agency_wb("青川区大数局", 99))
    name = sheet(title)
    parts[name], n = re.subn(
        rb'<c r="' + r.encode() + rb'"[^>]*?(?:/>|>.*?</c>)',
        f'<c r="{r}"><v>99999999999999999999999</v></c>'.encode(),
        parts[name],
        count=1,
    )
    assert n == 1
    return zipped(parts)


def batch_of_20() -> Callable[[Path], None]:
    def build(d: Path) -> None:
        for i in range(20):
            write(f"in/{i:02d}.xlsx", agency_wb(f"青川区第{i}局", 100 + i))(d)
        write("in/20-big.xlsx", big_number_wb)(d)

    return build


def archive_ok(name: str, versions: int | None = None) -> Callable[[Path, str], None]:
    """The archive after the call: ``PRAGMA integrity_check`` ok, nothing lost."""

    def check(d: Path, out: str) -> None:
        import sqlite3

        con = sqlite3.connect(f"file:{d / name}?mode=ro", uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            n = con.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
        finally:
            con.close()
        if versions is not None:
            assert n == versions, f"{n} versions stored, expected {versions}\n{out}"

    return check


def says(*words: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        for w in words:
            assert w in out, f"{w!r} not said\n{out}"
        assert out.strip().count("\n") < 3, f"more than one line\n{out}"

    return check


ARCHIVE_OUT = ("a.db", "a.db-wal", "a.db-shm", "a.db-journal")
for cmd, argv in {
    "list": ["archive", "list", "--all", "--db", "a.db"],
    "trend": ["trend", "--all", "--db", "a.db", "--format", "csv"],
    "choose": ["archive", "choose", "1", "--db", "a.db"],
    "add": ["archive", "add", "in.xlsx", "--db", "a.db"],
}.items():
    case(
        f"archive-damaged-{cmd}",
        argv,
        files(a_db=damaged_archive, in_xlsx=good),
        2,
        check=says("已损坏", "未作任何修改"),
    )
    case(
        f"archive-foreign-{cmd}",  # another program's file: left byte for byte, never made WAL
        argv,
        files(a_db=foreign_db(), in_xlsx=good),
        2,
        check=says("其他程序的 SQLite 数据库"),
    )
case(
    "archive-foreign-application-id",
    ["archive", "add", "in.xlsx", "--db", "a.db"],
    files(a_db=foreign_db(0x47504B47), in_xlsx=good),  # a GeoPackage's application_id
    2,
    check=says("其他程序的 SQLite 数据库"),
)
case(
    "archive-foreign-wal",
    ["archive", "list", "--db", "a.db"],
    files(a_db=foreign_db(wal=True)),
    2,
    check=says("其他程序的 SQLite 数据库"),
)
case(
    "archive-not-sqlite",
    ["archive", "add", "in.xlsx", "--db", "a.db"],
    files(a_db=random_bytes, in_xlsx=good),
    2,
)


def read_only(name: str) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        (d / name).chmod(0o444)

    return build


for cmd, argv, code in (
    ("list", ["archive", "list", "--all", "--db", "a.db"], 0),
    ("trend", ["trend", "--all", "--db", "a.db", "--format", "csv"], 0),
    ("add", ["archive", "add", "in.xlsx", "--db", "a.db"], 2),
    ("choose", ["archive", "choose", "1", "--db", "a.db"], 2),
):
    case(
        f"archive-read-only-{cmd}",
        argv,
        seq(files(a_db=archive_plain, in_xlsx=agency_wb("青川区丙局", 13)), read_only("a.db")),
        code,
        check=both(archive_ok("a.db", 2), says("只读") if code else stdout_lacks("只读")),
        plain_user=True,
    )
case(
    "archive-one-bad-report-in-20",
    ["archive", "add", "in", "--db", "a.db"],
    batch_of_20(),
    {0, 1},
    outputs=ARCHIVE_OUT,
    check=archive_ok("a.db", 21),
    timeout=90,
)


def drafts_of_one(n: int) -> Callable[[Path], None]:
    """``n`` different drafts of one agency's workbook, in/."""

    def build(d: Path) -> None:
        for k in range(n):
            write(f"in/{k:02d}.xlsx", draft(k))(d)

    return build


def draft(k: int) -> bytes:
    """青川区甲局's workbook with k 行政许可 decisions (drafts whose numbers differ: the rule
    cannot pick one)."""
    parts = members(agency_wb("青川区甲局", 11))
    title, r = ref("t2.admin_licensing.decisions")
    name = sheet(title)
    cell = b'<c r="%s"><v>%d</v></c>' % (r.encode(), 100 + k)
    parts[name], n = re.subn(rb'<c r="' + r.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', cell, parts[name], count=1)
    assert n == 1
    return zipped(parts)


def choose_said_briefly(most: int) -> Callable[[Path, str], None]:
    """No line names more than ``most`` choose commands (12 drafts: up to 12 commands on each of 14
    lines before), and the way to see every version is said."""

    def check(d: Path, out: str) -> None:
        assert "archive choose" in out, out[-2000:]
        for line in out.splitlines():
            assert line.count("archive choose") <= most, line
        assert "archive list --all" in out, out[-2000:]

    return check


case(  # what to choose is said on every line: bounded, not every version's command each time
    "archive-add-12-drafts-of-one-agency",
    ["archive", "add", "in", "--db", "a.db"],
    drafts_of_one(12),
    {0, 1},
    outputs=ARCHIVE_OUT,
    check=both(archive_ok("a.db", 12), choose_said_briefly(4)),
    timeout=90,
)
case(  # drafts and none current: trend says so and how to choose, not "档案库中没有报告"
    "trend-only-undecided-drafts",
    ["trend", "--all", "--db", "a.db", "--format", "csv"],
    files(a_db=lambda: archive_of(draft(0), draft(1))),
    2,
    check=both(archive_ok("a.db", 2), lambda d, out: _undecided_said(out)),
)


def _undecided_said(out: str) -> None:
    assert "未定当前版本" in out and "archive choose" in out, out[-2000:]


case(
    "archive-choose-huge-number",
    ["archive", "choose", "99999999999999999999999", "--db", "a.db"],
    files(a_db=archive_plain),
    2,
    check=says("版本编号过大"),
)
case(
    "archive-choose-negative", ["archive", "choose", "--", "-5", "--db", "a.db"], files(a_db=archive_plain), 2
)
case(
    "archive-list-agency-100k",
    ["archive", "list", "--agency", "a" * 100_000, "--db", "a.db"],
    files(a_db=archive_plain),
    2,
    check=says("--agency"),
)
case(
    "archive-list-agency-wildcards",  # % and _ are characters of a name, not wildcards
    ["archive", "list", "--agency", "%_%", "--db", "a.db"],
    files(a_db=archive_plain),
    2,
)
case(
    "trend-agency-100k",
    ["trend", "--agency", "a" * 100_000, "--db", "a.db", "--format", "csv"],
    files(a_db=archive_plain),
    2,
)
case(
    "archive-file-wildcard",
    ["archive", "file", "%", "-o", "x.xlsx", "--db", "a.db"],
    files(a_db=archive_plain),
    2,
)
case(
    "trend-csv-formulas",
    ["trend", "--all", "--db", "a.db", "--format", "csv", "-o", "t.csv"],
    files(a_db=archive_hostile),
    0,
    outputs="t.csv",
    check=both(csv_safe("t.csv"), no_control),
)
case(
    "trend-csv-formulas-stdout",
    ["trend", "--all", "--db", "a.db", "--format", "csv"],
    files(a_db=archive_hostile),
    0,
    check=no_control,
)
case(
    "trend-xlsx-formula-names",  # a chart title "+cmd|' /C calc'!A0" was a formula reference
    ["trend", "--all", "--db", "a.db", "-o", "t.xlsx"],
    files(a_db=archive_hostile),
    0,
    outputs="t.xlsx",
    check=both(xlsx_wellformed("t.xlsx", "<c:f>+cmd", "<c:f>=HYPERLINK", "<c:f>@SUM", "<f>"), no_control),
)
case(
    "trend-json-controls",
    ["trend", "--all", "--db", "a.db", "--format", "json"],
    files(a_db=archive_hostile),
    0,
    check=no_control,
)
case(
    "archive-list-controls",
    ["archive", "list", "--all", "--db", "a.db"],
    files(a_db=archive_hostile),
    0,
    check=no_control,
)
case(
    "archive-add-controls",
    ["archive", "add", "in.xlsx", "r.txt", "--db", "a.db"],
    files(
        in_xlsx=lambda: agency_wb(ESC_NAME, 31),
        r_txt=(ESC_NAME + "2023年政府信息公开工作年度报告\n一、总体情况\n").encode(),
    ),
    {0, 1},
    outputs=ARCHIVE_OUT,
    check=both(no_control, archive_ok("a.db", 2)),
)
case(
    "archive-add-controls-json",
    ["archive", "add", "in.xlsx", "--db", "a.db", "--format", "json"],
    files(in_xlsx=lambda: agency_wb(ESC_NAME, 31)),
    {0, 1},
    outputs=ARCHIVE_OUT,
    check=both(no_control, archive_ok("a.db", 1)),
)


# -- a 2019-layout workbook with a 2021 cover year; a cover year 9999 --------------------------------
def layout_2019(year: int, agency: str = "青川区甲局") -> Callable[[], bytes]:
    def make() -> bytes:
        from tests.test_format_2019 import sub_2019

        with tempfile.TemporaryDirectory() as t:
            p = Path(t) / "x.xlsx"
            make_template(p, sub_2019(year, agency))
            return p.read_bytes()

    return functools.cache(make)


def says_not(*words: str) -> Callable[[Path, str], None]:
    def check(d: Path, out: str) -> None:
        for w in words:
            assert w not in out, f"{w!r} said\n{out}"

    return check


case(
    "validate-2019-layout-2021-year",  # an error: its year's summary cannot count it (merge agrees)
    ["validate", "in.xlsx"],
    write("in.xlsx", layout_2019(2021)),
    {1},
    "FORMAT-YEAR",
    check=lambda d, out: says("不能计入")(d, out.split("错误 [FORMAT-YEAR]")[1][:400]),
)
case(
    "merge-2019-layout-among-2021",  # never added in, and no hint that --include-invalid would;
    # its cover is read (its agency and year: another year here, said so)
    ["merge", "in", "-o", "sum.xlsx", "--include-invalid"],
    files(in__a_xlsx=good, in__b_xlsx=layout_2019(2021, "青川区乙局")),
    {0, 1},
    outputs="sum.xlsx",
    check=both(
        says_not("或使用 --include-invalid", "按 --include-invalid 计入"),
        lambda d, o: _count(o, "有错误：青川区乙局（b.xlsx），报告年度为 2021，不是 2025，未计入汇总", 1),
    ),
)
case(
    "merge-2019-layout-of-the-year-among-2021",  # the 2019 layout for 2025: its agency's row, never summed
    ["merge", "in", "-o", "sum.xlsx", "--include-invalid", "--year", "2025"],
    files(in__a_xlsx=good, in__b_xlsx=layout_2019(2025, "青川区乙局")),
    {0, 1},
    outputs="sum.xlsx",
    check=both(
        says_not("或使用 --include-invalid", "按 --include-invalid 计入"),
        lambda d, o: _count(o, "有错误：青川区乙局（b.xlsx）", 1),
        lambda d, o: _count(o, "也不能计入", 1),
    ),
)
case(
    "validate-cover-year-9999",  # four digits: the message must not say it is not
    ["validate", "in.xlsx"],
    write("in.xlsx", lambda: with_cell("cover.year", lambda r: f'<c r="{r}"><v>9999</v></c>'.encode())),
    1,
    "COVER-MISSING",
    check=both(says_not("四位"), lambda d, o: _count(o, "2000 至 2100", 1)),
)


# -- a folder that cannot be read (mode 000): named, never skipped without a word ----------------
def locked_folder(d: Path) -> None:
    write("in/a.xlsx", good)(d)
    write("in/locked/b.xlsx", lambda: agency_wb("青川区乙局", 41))(d)
    (d / "in" / "locked").chmod(0)


for cmd, argv, code, outs in (
    ("validate", ["validate", "in"], {0}, ()),
    ("merge", ["merge", "in", "-o", "sum.xlsx"], {0}, ("sum.xlsx",)),
    ("archive-add", ["archive", "add", "in", "--db", "a.db"], {1}, ARCHIVE_OUT),
):
    case(
        f"{cmd}-unreadable-folder",
        argv,
        locked_folder,
        code,
        outputs=outs,
        check=lambda d, out: _count(out, "文件夹无法读取", 1),
        plain_user=True,
    )


# -- reports, second round (issue 20): every reader bounded by construction ---------------------------
# Each reader runs under budgets checked while it reads (HTML grid cells as spans expand; a .docx's
# parts inflated in chunks, its elements, paragraphs and cells counted; PDF text in a child process
# with memory and CPU limits), so a bomb stops at its budget. The finding is one Chinese reason.
_ENGLISH = re.compile(r"\b[A-Za-z]*(?:Error|Exception)\b|[A-Za-z]{3,} [a-z]{2,} [a-z]{3,}")


def chinese_unreadable(d: Path, out: str) -> None:
    """The FILE-UNREADABLE finding gives its reason in Chinese; no library's English reaches it."""
    lines = [ln for ln in out.splitlines() if UNREADABLE in ln]
    assert lines, out[-2000:]
    for ln in lines:
        reason = ln.split(UNREADABLE, 1)[1]
        assert re.search(r"[\u4e00-\u9fff]", reason), ln
        assert not _ENGLISH.search(reason), f"English reaches the reader: {ln}"


def deflate_repeat(chunk: bytes, times: int, wbits: int = -15) -> bytes:
    """``chunk`` repeated ``times`` times, deflated in O(len(chunk)): after a full flush the
    compressor's output for the same input is the same bytes, so they are repeated."""
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    return head + again * (times - 1) + c.flush()


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written by hand: (name, stored bytes, method, declared size, CRC) per member, so a
    member can declare a size its data does not have."""
    import struct

    out, central = bytearray(), bytearray()
    for name, data, method, size, crc in entries:
        n = name.encode()
        off = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), size, len(n), 0)
        out += n + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            method,
            0,
            0,
            crc,
            len(data),
            size,
            len(n),
            0,
            0,
            0,
            0,
            0,
            off,
        )
        central += n
    k = len(entries)
    return bytes(
        out + central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, k, k, len(central), len(out), 0)
    )


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCX_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/%s" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
DOCX_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/>'
    b"</Relationships>"
)


def docx_parts(main: str = "word/document.xml", body: bytes = b"") -> dict[str, bytes]:
    """A minimal Word package whose main part (named ``main``) holds the report's title and ``body``."""
    doc = (
        b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + W + b"><w:body>"
        b"<w:p><w:r><w:t>"
        + REPORT_HEAD.strip().encode()
        + b"</w:t></w:r></w:p>"
        + body
        + b"</w:body></w:document>"
    )
    return {
        "[Content_Types].xml": DOCX_TYPES % main.encode(),
        "_rels/.rels": DOCX_RELS % main.encode(),
        main: doc,
    }


Big = tuple[bytes, bytes, int, bytes, int]  # prefix, chunk, times, suffix, declared size (-1: true)


def docx_with(parts: dict[str, bytes], big: dict[str, Big] | None = None) -> bytes:
    """``parts`` deflated honestly, plus ``big`` members: prefix + chunk * times + suffix, deflated
    in O(len(chunk)) (after a full flush the compressor's output for the same chunk repeats), with
    the declared size given (a lie) or the true one and its CRC."""
    import zlib

    entries = []
    for name, data in parts.items():
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append((name, c.compress(data) + c.flush(), 8, len(data), zlib.crc32(data)))
    for name, (prefix, chunk, times, suffix, declared) in (big or {}).items():
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
        c.compress(chunk)
        c.flush(zlib.Z_FULL_FLUSH)
        again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
        data = head + again * times + c.compress(suffix) + c.flush()
        true = len(prefix) + len(chunk) * times + len(suffix)
        crc = 0
        if declared < 0:
            crc = zlib.crc32(prefix)
            for _ in range(times):
                crc = zlib.crc32(chunk, crc)
            crc = zlib.crc32(suffix, crc)
        entries.append((name, data, 8, true if declared < 0 else declared, crc))
    return raw_zip(entries)


DOC_OPEN = b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + W + b"><w:body>"
DOC_CLOSE = b"</w:body></w:document>"


def docx_size_lie() -> bytes:
    """The body declares 1 MB and inflates to 2 GB (zipfile inflated all of it in one call)."""
    parts = docx_parts()
    del parts["word/document.xml"]
    head = DOC_OPEN + b"<w:p><w:r><w:t>"
    return docx_with(
        parts,
        {"word/document.xml": (head, b" " * (1 << 20), 2048, b"</w:t></w:r></w:p>" + DOC_CLOSE, 1 << 20)},
    )


def docx_styles_bomb() -> bytes:
    """120 MB of styles (under the 128 MB unpacked limit; 32 MB covered only the body)."""
    style = b'<w:style w:type="paragraph" w:styleId="s"><w:name w:val="s"/></w:style>'
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:styles ' + W + b">"
    parts = docx_parts()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.styles+xml"/></Types>',
    )
    parts["word/_rels/document.xml.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
    )
    return docx_with(
        parts,
        {"word/styles.xml": (head, style * 16384, 120 * 1048576 // (len(style) * 16384), b"</w:styles>", -1)},
    )


def docx_moved_main(declared: int) -> Callable[[], bytes]:
    """The main part moved to word/main.xml (rels and content types say so) holding 100 MB of
    paragraphs; a small decoy word/document.xml where the 32 MB cap used to look."""

    def make() -> bytes:
        parts = docx_parts(main="word/main.xml")
        decoy = parts.pop("word/main.xml")
        parts["word/document.xml"] = decoy
        para = b'<w:p><w:pPr><w:jc w:val="left"/></w:pPr></w:p>'  # elements, no text
        return docx_with(
            parts,
            {
                "word/main.xml": (
                    DOC_OPEN,
                    para * 4096,
                    100 * 1048576 // (len(para) * 4096),
                    DOC_CLOSE,
                    declared,
                )
            },
        )

    return make


def docx_empty_paragraphs() -> bytes:
    """30 MB of empty paragraphs (5 million), under the 32 MB body cap: 85 KB deflated."""
    return docx_with(
        {k: v for k, v in docx_parts().items() if k != "word/document.xml"},
        {"word/document.xml": (DOC_OPEN, b"<w:p/>" * 174_762, 30, DOC_CLOSE, -1)},
    )


def docx_body(xml: bytes) -> Callable[[], bytes]:
    def make() -> bytes:
        parts = docx_parts()
        parts["word/document.xml"] = xml
        return zipped(parts)

    return make


XXE_PARAM = (
    b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [<!ENTITY % ext SYSTEM "file:///etc/passwd">'
    b" %ext;]><w:document " + W + b"><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>"
)
XXE_GENERAL = (
    b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE w:document [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<w:document " + W + b"><w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>"
)
UNDECLARED_ENTITY = (
    b"<w:document " + W + b"><w:body><w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body></w:document>"
)


def docx_grid_span(span: bytes) -> Callable[[], bytes]:
    tbl = (
        b'<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="'
        + span
        + b'"/></w:tcPr><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>'
        b"<w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    )
    return lambda: zipped(docx_parts(body=tbl * 3))


def bzip2_member(data: bytes, name: str) -> bytes:
    """The package with ``name`` compressed by bzip2 (zipfile inflates such a member a whole read
    at once: 530 bytes of bzip2 are 700 MB); every other member deflated."""
    import bz2
    import zlib

    entries = []
    for n, d in members(data).items():
        if n == name:
            entries.append((n, bz2.compress(d), 12, len(d), zlib.crc32(d)))
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            entries.append((n, c.compress(d) + c.flush(), 8, len(d), zlib.crc32(d)))
    return raw_zip(entries)


def docx_bzip2_body() -> bytes:
    """The body compressed with bzip2 (which inflates a whole read at once): Word never does this."""
    import bz2
    import zlib

    parts = docx_parts()
    body = parts.pop("word/document.xml")
    entries = [(n, d, 0, len(d), zlib.crc32(d)) for n, d in parts.items()]
    entries.append(("word/document.xml", bz2.compress(body), 12, len(body), zlib.crc32(body)))
    return raw_zip(entries)


def html_span_bomb() -> bytes:
    """Two 14 KB tables of cells spanning 1000 rows and 1000 columns (minutes before the budget)."""
    block = (
        "<table><tr>"
        + '<td rowspan="1000" colspan="1000">1</td>' * 250
        + "</tr>"
        + "<tr>" * 1000
        + "</table>"
    )
    return ("<html><body><p>" + REPORT_HEAD + "</p>" + block * 2 + "</body></html>").encode()


MARKED = ("<![ x", "<![foo[ 1 ]]>", "<![ CDATA[ 2 ]]>", "<![if !supportLists]>3<![endif]>", "<![")


def pdf_file(objs: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(out)


def pdf_deflate_bomb() -> bytes:
    """3 MB: one page whose content stream inflates to 3 GB of spaces (4 GB of memory in 33 s)."""
    stream = deflate_repeat(b" " * (1 << 20), 3 * 1024, wbits=15)
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )


def pdf_page_cycle() -> bytes:
    """The page tree is a cycle: Pages -> Pages -> (itself, its parent)."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
        ]
    )


def _unreadable_report(id: str, name: str, make: Callable[[], bytes], timeout: float = 40.0) -> None:
    import_case(
        id,
        write(name, make),
        1,
        argv=["import", name],
        codes=UNREADABLE,
        check=chinese_unreadable,
        timeout=timeout,
    )


_unreadable_report("html-span-bomb", "r.html", html_span_bomb)
import_case(
    "html-bad-marked-sections",
    write(
        "r.html",
        ("<html><body><p>" + REPORT_HEAD + "</p>" + "<p>公开</p>".join(MARKED) + "</body></html>").encode(),
    ),
    {0, 1},
    argv=["import", "r.html"],
)
for _id, _unit in (("comment", "<!--"), ("tag", "<a "), ("declaration", "<!x"), ("pi", "<?")):
    import_case(  # never closed to the end of the file: the stdlib retried it at every "<" (quadratic)
        f"html-unclosed-{_id}-tail",
        write(
            "r.html", ("<html><body><p>" + REPORT_HEAD + "</p>" + _unit * (1_600_000 // len(_unit))).encode()
        ),
        1,
        argv=["import", "r.html"],
        codes="IMPORT-NOT-FOUND",
        check=lambda d, out: _count(out, "北京市某区某局 2023：读出 0/", 1),
    )
_unreadable_report("pdf-deflate-bomb", "r.pdf", pdf_deflate_bomb, timeout=120)
_unreadable_report("pdf-page-tree-cycle", "r.pdf", pdf_page_cycle)


# a report published as a workbook is read cell by cell (import reads .xlsx since hostile27): the
# reader's zip and XML bounds hold there too
def as_published(make: Callable[[], bytes]) -> Callable[[], bytes]:
    """The workbook of ``make`` with its sheets renamed (年度报告1…): no longer the toolkit's
    填报表 (which import refuses by its sheet names before reading a cell), a report typed into
    Excel whose every cell import reads."""

    def made_() -> bytes:
        parts = members(made(make))
        wb = parts["xl/workbook.xml"]
        for i, name in enumerate(SHEET, 1):
            wb = wb.replace(f'name="{name}"'.encode(), f'name="年度报告{i}"'.encode())
        parts["xl/workbook.xml"] = wb
        return zipped(parts)

    return made_


_unreadable_report("import-xlsx-cell-bomb", "r.xlsx", as_published(cell_bomb("表三", 3_000_000)), timeout=120)


def many_distinct_cells() -> bytes:
    """250,000 cells of distinct numbers (compresses like real data: no bomb by its ratio)."""
    row = lambda r: b"<row>" + b"".join(b"<c><v>%d</v></c>" % (r * 1000 + c) for c in range(1000)) + b"</row>"  # noqa: E731
    return appended_rows("表三", b"".join(row(r) for r in range(250)))


_unreadable_report("import-xlsx-many-cells", "r.xlsx", as_published(many_distinct_cells), timeout=120)
_unreadable_report("import-xlsx-entity-bomb", "r.xlsx", as_published(xml_bomb_shared))
_unreadable_report("import-xlsx-xxe", "r.xlsx", as_published(xxe))
import_case(  # the toolkit's own 填报表 given to import: said what it is and which command reads it
    "import-xlsx-is-a-form",
    write("r.xlsx", base),
    1,
    argv=["import", "r.xlsx"],
    codes=UNREADABLE,
    check=lambda d, out: _says_all(out, "填报表", "xxgk validate"),
)


def _says_all(out: str, *words: str) -> None:
    for w in words:
        assert w in out, f"{w!r} not said\n{out[-2000:]}"


_unreadable_report("docx-declared-size-lie", "r.docx", docx_size_lie)
import_case(  # the styles part is never inflated: the body is read, its title found
    "docx-styles-bomb",
    write("r.docx", docx_styles_bomb),
    1,
    argv=["import", "r.docx"],
    codes="IMPORT-NOT-FOUND",
    check=lambda d, out: _count(out, "北京市某区某局 2023：读出 0/", 1),
)
_unreadable_report("docx-main-part-moved", "r.docx", docx_moved_main(-1))
_unreadable_report("docx-main-part-moved-size-lie", "r.docx", docx_moved_main(1 << 20))
_unreadable_report("docx-empty-paragraphs", "r.docx", docx_empty_paragraphs)
_unreadable_report("docx-xxe-parameter-entity", "r.docx", docx_body(XXE_PARAM))
_unreadable_report("docx-xxe-general-entity", "r.docx", docx_body(XXE_GENERAL))
_unreadable_report("docx-undeclared-entity", "r.docx", docx_body(UNDECLARED_ENTITY))
_unreadable_report("docx-huge-grid-span", "r.docx", docx_grid_span(b"1099511627776"))
_unreadable_report("docx-bzip2-body", "r.docx", docx_bzip2_body)
_unreadable_report("docx-workbook-renamed", "r.docx", base)
import_case(  # a gridSpan that is no number counts as 1: the report is read (python-docx: ValueError)
    "docx-odd-grid-span",
    write("r.docx", docx_grid_span(b"-3x")),
    {0, 1},
    argv=["import", "r.docx"],
    check=lambda d, out: _count(out, "北京市某区某局 2023：读出 0/", 1),
)
case(
    "validate-pdf-page-tree-cycle",
    ["validate", "r.pdf"],
    write("r.pdf", pdf_page_cycle),
    1,
    codes=UNREADABLE,
    check=chinese_unreadable,
)
case(
    "validate-docx-moved-main",
    ["validate", "r.docx"],
    write("r.docx", docx_moved_main(1 << 20)),
    1,
    codes=UNREADABLE,
    check=chinese_unreadable,
)
case(
    "archive-add-docx-xxe",
    ["archive", "add", "r.docx", "--db", "a.db"],
    write("r.docx", docx_body(XXE_PARAM)),
    1,
    outputs="a.db",
    check=lambda d, out: _count(
        out, "未存入：r.docx    报告文件无法读取：Word 文件内部含有 DTD 或实体定义", 1
    ),
)

# -- output paths ----------------------------------------------------------------------------------
case(
    "export-output-is-input",
    ["export", "in.xlsx", "-o", "in.xlsx"],
    write("in.xlsx", good),
    2,
)
case(
    "merge-output-inside-input-folder",
    ["merge", "in", "-o", "in/a.xlsx"],
    files(in__a_xlsx=good),
    2,
)
case(
    "validate-report-is-input",
    ["validate", "in.xlsx", "--report", "in.xlsx"],
    write("in.xlsx", good),
    2,
)
case("output-name-too-long", ["template", "-o", "甲" * 100 + ".xlsx"], lambda d: None, 2)
case("output-in-missing-file-parent", ["template", "-o", "f.txt/out.xlsx"], write("f.txt", "x"), 2)
case("merge-missing-input", ["merge", "nowhere", "-o", "sum.xlsx"], lambda d: None, 2)
case("export-directory-input", ["export", "in"], lambda d: (d / "in").mkdir(), 2)


# -- third round: outputs where they cannot go ----------------------------------------------------
def ro_folder(name: str, *also: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(d: Path) -> None:
        for b in also:
            b(d)
        (d / name).mkdir()
        (d / name).chmod(0o555)

    return build


def names_output(name: str) -> Callable[[Path, str], None]:
    """One line naming the output and the folder's permission; never the temp file, never the
    Excel/WPS hint (nothing is open: the folder is read-only)."""

    def check(d: Path, out: str) -> None:
        says(name, "所在文件夹没有写入权限")(d, out)
        stdout_lacks(".~xxgk", "Excel")(d, out)

    return check


for _cmd, _argv, _inputs in (
    ("render", ["render", "in.xlsx", "-o", "ro/r.docx", "--draft"], files(in_xlsx=good)),
    (
        "import",
        ["import", "r.txt", "-o", "ro/r.xlsx"],
        write("r.txt", _reference_with(0, "北京市密云区融媒体中心")),
    ),
    ("template", ["template", "-o", "ro/t.xlsx"], lambda d: None),
    ("trend", ["trend", "--all", "--db", "a.db", "-o", "ro/t.xlsx"], files(a_db=archive_plain)),
    (
        "inspect",
        ["inspect", "r.txt", "-o", "ro/i.xlsx"],
        write("r.txt", _reference_with(0, "北京市密云区融媒体中心")),
    ),
):
    case(
        f"{_cmd}-output-in-read-only-folder",
        _argv,
        ro_folder("ro", _inputs),
        2,
        check=names_output(_argv[_argv.index("-o") + 1]),
        plain_user=True,
    )


# -- third round: a report file with nothing in it is said so, naming the file -------------------
for _id, _name, _data in (
    ("empty-said", "r.txt", b""),
    ("blank-lines-said", "r.txt", b"  \r\n\t\n\n"),
    ("html-without-text", "r.html", b"<html><body><table><tr><td> </td></tr></table></body></html>"),
):
    import_case(
        _id,
        write(_name, _data),
        1,
        argv=["import", _name],
        codes=UNREADABLE,
        check=both(
            chinese_unreadable,
            lambda d, out, n=_name: _count(out, f"{n}（未识别机关）：读出 0/", 1),
            lambda d, out, e=not _data: _count(out, "文件是空的" if e else "文件中没有任何文字", 1),
        ),
    )


# -- third round: an output name with terminal escapes is echoed inert -----------------------------
_ESC_OUT = "r" + ESC_NAME + "\n伪造的一行"
for _cmd, _argv, _inputs, _out in (
    ("render", ["render", "in.xlsx", "-o", _ESC_OUT + ".md", "--draft"], files(in_xlsx=good), ".md"),
    ("template", ["template", "-o", _ESC_OUT + ".xlsx"], lambda d: None, ".xlsx"),
    ("export", ["export", "in.xlsx", "-o", _ESC_OUT + ".json"], files(in_xlsx=good), ".json"),
):
    case(
        f"{_cmd}-output-name-with-escapes",
        _argv,
        _inputs,
        {0, 1},
        outputs=_ESC_OUT + _out,
        check=both(no_control, stdout_lacks("\n伪造的一行")),
    )


# -- third round: the archive as an output, --force given: refused, and never told to add --force --
for _cmd, _argv in (
    ("archive-file", ["archive", "file", "0", "-o", "a.db", "--db", "a.db", "--force"]),
    ("trend", ["trend", "--all", "--db", "a.db", "-o", "a.db", "--force"]),
):
    case(
        f"{_cmd}-output-is-the-archive-forced",
        _argv,
        files(a_db=archive_plain),
        2,
        check=both(says("a.db", "--force 也不例外"), stdout_lacks("请加 --force")),
    )


# -- third round: files of another kind named for what they are, with what to do -------------------
for _id, _name, _data, _said in (
    ("old-word-doc", "r.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "旧版 Office 文件"),
    ("old-word-as-docx", "r.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000), "旧版 Office 文件"),
    ("rtf", "r.txt", ("{\\rtf1\\ansi " + REPORT_HEAD + "}").encode("gbk"), "富文本（RTF）文件"),
    ("png-as-pdf", "r.pdf", b"\x89PNG\r\n\x1a\n" + bytes(200), "文字识别"),
    ("jpeg", "r.txt", b"\xff\xd8\xff\xe0" + bytes(200), "文字识别"),
    ("rar", "r.txt", b"Rar!\x1a\x07\x00" + bytes(100), "请先解压"),
):
    import_case(
        f"{_id}-named",
        write(_name, _data),
        1,
        argv=["import", _name],
        codes=UNREADABLE,
        check=both(chinese_unreadable, lambda d, out, w=_said: _count(out, w, 1)),
    )


# -- third round: an output named as another kind of file than the one written ---------------------
for _id, _argv, _inputs, _said in (
    ("import-xlsx-as-json", ["import", "r.txt", "-o", "r.json"], write("r.txt", REPORT_HEAD), ".xlsx"),
    ("inspect-xlsx-as-csv", ["inspect", "r.txt", "-o", "i.csv"], write("r.txt", REPORT_HEAD), ".xlsx"),
    ("template-xlsx-as-json", ["template", "-o", "t.json"], lambda d: None, ".xlsx"),
    ("validate-report-as-pdf", ["validate", "in.xlsx", "--report", "r.pdf"], files(in_xlsx=good), ".xlsx"),
    ("export-json-as-xlsx", ["export", "in.xlsx", "-o", "e.xlsx"], files(in_xlsx=good), ".json 或 .csv"),
    (
        "trend-format-against-suffix",
        ["trend", "--all", "--db", "a.db", "--format", "csv", "-o", "t.json"],
        files(a_db=archive_plain),
        "不一致",
    ),
):
    case(f"{_id}-refused", _argv, _inputs, 2, check=says(_said))
case(
    "trend-csv-by-suffix",  # no --format: the suffix says CSV, and CSV is written
    ["trend", "--all", "--db", "a.db", "-o", "t.csv"],
    files(a_db=archive_plain),
    0,
    outputs="t.csv",
    check=lambda d, out: _count((d / "t.csv").read_text(encoding="utf-8-sig")[:60], "unit,code,key", 1),
)
case(
    "render-output-is-a-folder",
    ["render", "in.xlsx", "-o", "out", "--draft"],
    seq(files(in_xlsx=good), lambda d: (d / "out").mkdir()),
    2,
    check=says("-o / --output 的值 out 是一个文件夹，应为文件名"),
)


# -- fourth round (hostile31): inspect of a folder walked as validate walks one ---------------------
_REPORT_TXT = _reference_with(0, "北京市密云区融媒体中心")


def _inspect_locked(d: Path) -> None:
    write("in/a.txt", _REPORT_TXT)(d)
    write("in/locked/b.txt", _REPORT_TXT)(d)
    (d / "in" / "locked").chmod(0)


case(
    "inspect-unreadable-folder",  # rglob passed it over: 未发现问题, exit 0, its report never said
    ["inspect", "in"],
    _inspect_locked,
    {0, 1},
    check=lambda d, out: _count(out, "文件夹无法读取（没有权限），其中的报告未检查", 1),
    plain_user=True,
)


def _inspect_links(d: Path) -> None:
    write("in/a.txt", _REPORT_TXT)(d)
    (d / "in" / "same.txt").symlink_to("a.txt")  # one report under two names: inspected once
    (d / "in" / "gone.txt").symlink_to("nowhere.txt")
    os.mkfifo(d / "in" / "pipe.txt")  # read, it would wait for a writer for ever
    (d / "in" / "up").symlink_to("..")  # a loop, were links to folders followed


case(
    "inspect-links-and-pipes",  # the pipe and the dangling link were passed over without a word; the
    ["inspect", "in"],  # link beside its target was a second report: DUPLICATE-SUBMISSION
    _inspect_links,
    {0, 1},
    check=both(
        says_not("DUPLICATE-SUBMISSION", "同一年度还有"),
        lambda d, o: _count(o, "共 1 份", 1),
        lambda d, o: _count(o, "只检查一次", 1),
        lambda d, o: _count(o, "不是普通文件（管道、设备等）", 1),
        lambda d, o: _count(o, "指向的文件不存在", 1),
        lambda d, o: _count(o, "指向文件夹的快捷方式", 1),
    ),
)
