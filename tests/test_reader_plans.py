"""Sheet plans (toolkit/reader.py): a template's sheet read again through its skeleton must give
exactly what the cell-by-cell reading gives, and step aside wherever it cannot prove the cell plain.

Every odd case here is a real xlsx whose sheet XML keeps the template's skeleton (only the text in
a <v>, the shared strings or the styles differ), so the plan is really consulted (counted in
``reader.PLAN_STATS``). Each is asserted by value and by finding (code + cell), and against the same
file read with plans switched off.
"""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

import toolkit.reader as reader
from tests.differential.corpus import build as build_differential
from tests.office import recalc_and_save
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.validate import check_file

SPEC = load_spec()
KEY = "t3.granted.natural_person"  # 表三!D8, an input
CELL = SPEC.cells[KEY].a1
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _part(sheet: str) -> str:
    return f"xl/worksheets/sheet{list(SPEC.sheets.values()).index(sheet) + 1}.xml"


T3 = _part("表三")


@pytest.fixture
def plans(monkeypatch):
    """Empty plan caches for the test; returns the counters."""
    monkeypatch.setattr(reader, "_PLANS", {})
    monkeypatch.setattr(reader, "_SEEN", set())
    stats = {"hit": 0, "made": 0, "refused": 0, "clean": 0}
    monkeypatch.setattr(reader, "PLAN_STATS", stats)
    return stats


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    values = {KEY: 15, "t3.new_received.natural_person": 15, "s6.fee_notices": 1, "s6.fee_notified": 120}
    path = tmp_path_factory.mktemp("plans") / "base.xlsx"
    return make_template(
        path, Submission(spec=SPEC, cover={"agency": "示例市计划局", "year": 2025}, values=values)
    )


def snapshot(path: Path) -> tuple:
    c = check_file(path)
    s = c.submission
    findings = [dataclasses.astuple(f) for f in c.report.findings]
    if s is None:
        return (None, findings)

    def typed(d: dict) -> list:
        return [(k, type(v).__name__, str(v)) for k, v in d.items()]

    parts = (s.formula, s.where, s.texts, s.raw, s.suspect, s.meta)
    return (
        typed(s.values),
        typed(s.reported),
        typed(s.cover),
        *map(list, (p.items() for p in parts)),
        findings,
    )


def cold(path: Path, monkeypatch) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(reader, "PLANS_ON", False)  # every sheet cell by cell
        return snapshot(path)


def variant(src: Path, dst: Path, edits: dict) -> Path:
    """``src`` with some parts rewritten by functions bytes -> bytes (everything else as is)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info)
            zo.writestr(info, edits[info.filename](data) if info.filename in edits else data)
    return dst


def set_v(a1: str, text: bytes):
    def edit(xml: bytes) -> bytes:
        out, n = re.subn(
            rb'(<c r="' + a1.encode() + rb'"[^>]*>(?:<f>[^<]*</f>)?<v>)[^<]*(</v>)',
            lambda m: m[1] + text + m[2],
            xml,
        )
        assert n == 1, a1
        return out

    return edit


def warm(path: Path) -> None:
    check_file(path)
    check_file(path)  # a plan is made at a skeleton's second sighting


def codes_at(path: Path, cell: str) -> set[str]:
    return {f.code for f in check_file(path).report.findings if f.cell == cell}


def test_a_template_read_again_goes_through_its_plan(base, plans, monkeypatch, tmp_path):
    first = snapshot(base)
    assert plans["made"] == 0
    check_file(base)
    assert plans["made"] == 7 and plans["clean"] == 0  # six sheets of the form and _meta
    again = snapshot(base)
    assert plans["clean"] == 6  # every sheet in the clean lane
    assert again == first == cold(base, monkeypatch)
    # another agency: a different name in the shared strings and in every sheet's footer
    other = variant(
        base,
        tmp_path / "other.xlsx",
        {n: (lambda b: b.replace("示例市计划局".encode(), "示例市规划局".encode())) for n in _names(base)},
    )
    hits = plans["hit"]
    c = check_file(other)
    assert plans["hit"] == hits + 7 and plans["clean"] == 12
    assert c.submission.agency == "示例市规划局" and c.submission.values[KEY] == 15
    assert c.report.findings == []
    assert snapshot(other) == cold(other, monkeypatch)


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


# text in 表三!D8's <v> -> (value read, finding at D8 or None, clean lane for 表三)
VALUE_TEXTS = {
    "plain": (b"15", 15, None, True),
    "leading_zero": (b"015", 15, None, True),
    "plus": (b"+15", 15, None, False),
    "exponent": (b"1.5E1", 15, None, False),
    "spaces": (b" 15 ", 15, None, False),
    "decimal_zero": (b"15.0", 15, None, False),
    "char_ref": (b"&#49;5", 15, None, False),
    "underscore": (b"1_5", 0, "VALUE-IMPLAUSIBLE", False),
    "fullwidth": ("１５".encode(), 0, "VALUE-IMPLAUSIBLE", False),
    "empty": (b"", 0, "VALUE-IMPLAUSIBLE", False),
    "negative": (b"-15", -15, "VALUE-NEGATIVE", False),
    "fraction": (b"1.5", Decimal("1.5"), "VALUE-NOT-INTEGER", False),
    "huge": (b"1E+300", 10**300, "VALUE-IMPLAUSIBLE", False),
}


@pytest.mark.parametrize("name", list(VALUE_TEXTS))
def test_odd_number_text_in_a_planned_sheet(name, base, plans, monkeypatch, tmp_path):
    text, value, code, lane = VALUE_TEXTS[name]
    warm(base)
    path = variant(base, tmp_path / f"{name}.xlsx", {T3: set_v(CELL, text)})
    hits, clean = plans["hit"], plans["clean"]
    c = check_file(path)
    assert plans["hit"] == hits + 7  # the same skeleton: every sheet through its plan
    assert plans["clean"] == clean + (6 if lane else 5)  # 表三 leaves the clean lane unless a plain count
    assert c.submission.values[KEY] == value and type(c.submission.values[KEY]) is type(value)
    assert codes_at(path, CELL) == ({code} if code else set())
    assert snapshot(path) == cold(path, monkeypatch)


def _label_cell(sheet: str, text: str) -> str:
    lab = next(lab for lab in reader._checked_labels(SPEC, sheet) if lab.text == text)
    return reader.cell_name(lab.row, lab.col)


def test_a_label_pointing_at_another_string_is_template_unknown(base, plans, monkeypatch, tmp_path):
    warm(base)
    a1 = _label_cell("表三", "自然人")
    for name, index in (("other_string", b"0"), ("out_of_range", b"99999"), ("not_a_number", b"x")):
        path = variant(base, tmp_path / f"{name}.xlsx", {T3: set_v(a1, index)})
        hits = plans["hit"]
        c = check_file(path)
        assert plans["hit"] == hits + 7, name
        assert [(f.code, f.sheet, f.cell) for f in c.report.findings if f.code == "TEMPLATE-UNKNOWN"] == [
            ("TEMPLATE-UNKNOWN", "表三", a1)
        ], name
        assert KEY not in c.submission.values  # nothing read from a sheet whose layout is not known
        assert snapshot(path) == cold(path, monkeypatch)


def test_a_label_changed_in_the_shared_strings_is_template_unknown(base, plans, monkeypatch, tmp_path):
    warm(base)  # the labels' shared strings verified once for these indices
    path = variant(
        base,
        tmp_path / "renamed.xlsx",
        {"xl/sharedStrings.xml": lambda b: b.replace("<t>自然人</t>".encode(), "<t>个人</t>".encode())},
    )
    c = check_file(path)
    assert ("TEMPLATE-UNKNOWN", "表三", _label_cell("表三", "自然人")) in {
        (f.code, f.sheet, f.cell) for f in c.report.findings
    }
    assert KEY not in c.submission.values
    assert snapshot(path) == cold(path, monkeypatch)


def test_a_date_format_on_an_input_style_leaves_the_clean_lane(base, plans, monkeypatch, tmp_path):
    warm(base)
    with zipfile.ZipFile(base) as z:
        style = int(re.search(rb'<c r="' + CELL.encode() + rb'" s="([0-9]+)"', z.read(T3))[1])

    def dated(xml: bytes) -> bytes:
        head, xfs, tail = re.split(rb"(<cellXfs.*?</cellXfs>)", xml, maxsplit=1, flags=re.S)
        items = re.split(rb"(<xf\b[^>]*?(?:/>|>.*?</xf>))", xfs, flags=re.S)  # text, xf, text, xf …
        items[2 * style + 1] = re.sub(rb'numFmtId="[0-9]+"', b'numFmtId="14"', items[2 * style + 1], count=1)
        return head + b"".join(items) + tail

    path = variant(base, tmp_path / "dated.xlsx", {"xl/styles.xml": dated})
    hits = plans["hit"]
    c = check_file(path)
    assert plans["hit"] == hits + 7
    assert "VALUE-IMPLAUSIBLE" in codes_at(path, CELL)
    assert c.submission.suspect[KEY] == "日期格式"
    assert snapshot(path) == cold(path, monkeypatch)


def test_a_totals_cached_result_does_not_matter_while_its_formula_is_intact(
    base, plans, monkeypatch, tmp_path
):
    warm(base)
    total = next(c.a1 for c in SPEC.cells.values() if c.sheet == "表三" and c.kind == "total")
    path = variant(base, tmp_path / "cached.xlsx", {T3: set_v(total, b"999")})
    clean = plans["clean"]
    c = check_file(path)
    assert plans["clean"] == clean + 6
    assert not [f for f in c.report.findings if f.code == "FORMULA-OVERWRITTEN"]
    assert snapshot(path) == cold(path, monkeypatch)


@pytest.mark.parametrize(
    "name, edit",
    [
        (  # one cell in a prefix bound to the main namespace, beside unprefixed ones
            "prefixed_cell",
            lambda x: re.sub(
                rb'<c r="D8"( s="[0-9]+")><v>([^<]*)</v></c>',
                rb'<x:c r="D8"\1><x:v>\2</x:v></x:c>',
                x.replace(
                    MAIN_NS,
                    MAIN_NS + b' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                    1,
                ),
            ),
        ),
        ("line_break_in_tag", lambda x: x.replace(b'<c r="D8"', b'<c\nr="D8"', 1)),
    ],
)
def test_cells_the_simple_pattern_does_not_see_are_read(name, edit, base, plans, monkeypatch, tmp_path):
    warm(base)
    path = variant(base, tmp_path / f"{name}.xlsx", {T3: edit})
    c = check_file(path)
    assert c.submission.values[KEY] == 15
    assert codes_at(path, CELL) == set()  # not read as a blank (VALUE-MISSING)
    assert snapshot(path) == cold(path, monkeypatch)


def test_plans_read_every_odd_workbook_as_the_careful_path(plans, monkeypatch, tmp_path):
    """The differential corpus (odd XML, odd numbers) and the fixture workbooks, read with plans
    warm (from each file itself and from the template bases they were made from), give exactly
    what they give with plans off."""
    built = [p for p, _ in build_differential(tmp_path / "diff", 30)]
    files = sorted((tmp_path / "diff" / "_base").glob("*.xlsx")) + built
    files += sorted((FIXTURES / "pass").glob("*.xlsx")) + sorted((FIXTURES / "fail").glob("*.xlsx"))
    before = [cold(f, monkeypatch) for f in files]
    for f in files:
        warm(f)
    after = [snapshot(f) for f in files]
    assert plans["made"] >= 20 and plans["hit"] > 500 and plans["clean"] > 100
    assert [f.name for f, a, b in zip(files, before, after, strict=True) if a != b] == []


def _rezip(src: Path, dst: Path, *, comment: bytes = b"", extra: bytes = b"", before: bytes = b"") -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
        zo.comment = comment
        for info in zi.infolist():
            info.extra = extra
            zo.writestr(info, zi.read(info))
    dst.write_bytes(before + out.getvalue())
    return dst


def test_zips_out_of_the_ordinary_are_read_by_zipfile(base, monkeypatch, tmp_path):
    """The struct-read central directory takes only the ordinary zip; an archive comment, extra
    fields (here a well-formed and a truncated one) or bytes before the zip go to zipfile, so they
    read exactly as before (or are refused as before)."""
    assert reader._ZipDirectory.load(base.read_bytes()) is not None
    cases = {
        "comment": {"comment": "来自示例市".encode()},
        "extra_field": {"extra": b"\x99\x99\x02\x00ab"},
        "corrupt_extra_field": {"extra": b"\x99\x99\x09\x00ab"},
        "data_before": {"before": b"PK\x03\x04" + b"\0" * 60},  # a stub before the zip proper
    }
    for name, kw in cases.items():
        path = _rezip(base, tmp_path / f"{name}.xlsx", **kw)
        assert reader._ZipDirectory.load(path.read_bytes()) is None, name
        got = snapshot(path)
        with monkeypatch.context() as m:
            m.setattr(reader._ZipDirectory, "load", classmethod(lambda cls, raw: None))
            assert got == snapshot(path), name
        if name == "corrupt_extra_field":
            assert [f[0] for f in got[-1]] == ["FILE-UNREADABLE"]
        else:
            assert got[0] is not None and dict((k, v) for k, _, v in got[0])[KEY] == "15", name


def test_a_directory_of_a_known_shape_reads_as_member_by_member(base):
    """The central directory of a workbook shaped like one seen before (its members' names,
    flags, no extra fields) is unpacked in one piece; whatever differs in it — a name of the same
    length, a flag, a version, a zip64 marker, a size — gives exactly what the member-by-member
    reading gives (the same members, or None)."""
    import struct

    raw = base.read_bytes()
    end = len(raw) - 22
    count, offset = struct.unpack_from("<H", raw, end + 10)[0], struct.unpack_from("<L", raw, end + 16)[0]
    entries, pos = [], offset
    for _ in range(count):
        n, e, c = struct.unpack_from("<HHH", raw, pos + 28)
        entries.append((pos, raw[pos + 46 : pos + 46 + n]))
        pos += 46 + n + e + c
    styles = next(p for p, name in entries if name == b"xl/styles.xml")

    def patched(at: int, data: bytes) -> bytes:
        return raw[:at] + data + raw[at + len(data) :]

    def fields(zd):
        if zd is None:
            return None
        return [
            (m.filename, m.flag_bits, m.compress_type, m.CRC, m.compress_size, m.file_size, m.header_offset)
            for m in zd.members
        ]

    cases = {
        "same": raw,
        "name": patched(styles + 46, b"xl/stylez.xml"),
        "encrypted": patched(styles + 8, b"\x01\x00"),
        "version": patched(styles + 6, b"\x63\x00"),
        "zip64 size": patched(styles + 20, b"\xff\xff\xff\xff"),
        "crc": patched(styles + 16, b"\x00\x00\x00\x00"),
        "offset": patched(styles + 42, b"\x10\x00\x00\x00"),
        "signature": patched(styles, b"PK\x01\x03"),
    }
    for name, data in cases.items():
        reader._LAYOUTS.clear()
        careful = fields(reader._ZipDirectory.load(data))
        assert not reader._LAYOUTS or careful is not None
        reader._ZipDirectory.load(raw)  # the shape learnt from the untouched workbook
        assert reader._LAYOUTS
        assert fields(reader._ZipDirectory.load(data)) == careful, name
    assert fields(reader._ZipDirectory.load(cases["crc"]))[0] is not None


def test_workbooks_saved_by_libreoffice_go_through_plans_too(soffice, base, plans, monkeypatch, tmp_path):
    """LibreOffice writes t="n" on every number and <f aca="false">: a plan reads those cells
    through the typed reading the careful path uses, and odd text in them still leaves the lane."""
    src = tmp_path / "src"
    src.mkdir()
    other = variant(
        base,
        src / "other.xlsx",
        {n: (lambda b: b.replace("示例市计划局".encode(), "示例市规划局".encode())) for n in _names(base)},
    )
    first = src / "first.xlsx"
    first.write_bytes(base.read_bytes())
    lo_first, lo_other = recalc_and_save([first, other], tmp_path / "lo")
    with zipfile.ZipFile(lo_first) as z:
        assert b't="n"' in z.read(T3)  # the shape this test is about
    warm(lo_first)
    hits, clean = plans["hit"], plans["clean"]
    c = check_file(lo_other)
    assert (plans["hit"], plans["clean"]) == (hits + 7, clean + 6)
    assert c.submission.agency == "示例市规划局" and c.submission.values[KEY] == 15
    assert c.report.findings == []
    assert snapshot(lo_other) == cold(lo_other, monkeypatch)
    odd = variant(lo_other, tmp_path / "odd.xlsx", {T3: set_v(CELL, b"1_5")})
    hits, clean = plans["hit"], plans["clean"]
    assert codes_at(odd, CELL) == {"VALUE-IMPLAUSIBLE"}
    assert (plans["hit"], plans["clean"]) == (hits + 7, clean + 5)
    assert snapshot(odd) == cold(odd, monkeypatch)


def test_what_lies_around_sheet_data_is_not_part_of_the_key(base, plans, monkeypatch, tmp_path):
    """Excel saves each clerk's active cell, selected tab and scroll position before sheetData,
    and the footer after it: the plan still applies. A comment or a cell outside sheetData is
    something the careful path looks at: then the plan must not apply."""
    warm(base)
    viewed = variant(
        base,
        tmp_path / "viewed.xlsx",
        {
            T3: lambda x: re.sub(
                rb"<sheetView\b[^>]*?/>",
                b'<sheetView tabSelected="1" topLeftCell="A4" workbookViewId="0">'
                b'<selection activeCell="F12" sqref="F12"/></sheetView>',
                x,
                count=1,
            )
        },
    )
    hits, clean = plans["hit"], plans["clean"]
    assert check_file(viewed).report.findings == []
    assert (plans["hit"], plans["clean"]) == (hits + 7, clean + 6)
    outside = {
        "comment_before": lambda x: x.replace(b"<sheetData>", b"<!-- x --><sheetData>", 1),
        "comment_after": lambda x: x.replace(b"</sheetData>", b"</sheetData><!-- x -->", 1),
        "cell_after": lambda x: x.replace(
            b"</sheetData>", b'</sheetData><extLst><ext uri="x"><c r="D8"><v>99</v></c></ext></extLst>', 1
        ),
        # the XML between sheetData and the footer is known clean from the warm base: what
        # follows it is still searched
        "cell_in_footer": lambda x: x.replace(b"<headerFooter>", b'<headerFooter><c r="D8"><v>99</v></c>', 1),
        "comment_at_end": lambda x: x.replace(b"</worksheet>", b"<!-- x --></worksheet>", 1),
        "cell_in_tail": lambda x: x.replace(b"<headerFooter>", b'<c r="D8"><v>99</v></c><headerFooter>', 1),
        # the known clean tail followed by a footer, a cell and another footer: all after it searched
        "cell_between_footers": lambda x: x.replace(
            b"<headerFooter>", b'<headerFooter></headerFooter><c r="D8"><v>99</v></c><headerFooter>', 1
        ),
        # the XML before sheetData is known clean from the warm base too, found by its length and
        # last bytes: a cell in place of the dimension (same length, same end) is still found
        "cell_in_head": lambda x: re.sub(
            rb'<dimension ref="[^"]*"/>', lambda m: b'<c r="D8"/>'.ljust(len(m.group(0))), x, count=1
        ),
    }
    for name, edit in outside.items():
        path = variant(base, tmp_path / f"{name}.xlsx", {T3: edit})
        hits = plans["hit"]
        got = snapshot(path)
        assert plans["hit"] == hits + 6, name  # every sheet but 表三
        assert got == cold(path, monkeypatch), name


def test_threads_reading_at_once_read_as_one(monkeypatch):
    """serve reads uploads in threads: the reader's per-process caches (plans, kept parts, clean
    tails, small sheets) are shared by them. Six threads reading every fixture at once, with the
    caches cleared and bounded small under them, find what one reading alone finds."""
    import sys
    import threading

    files = sorted((FIXTURES / "pass").glob("*.xlsx")) + sorted((FIXTURES / "fail").glob("*.xlsx"))
    alone = {f: [(x.code, x.cell, x.message) for x in check_file(f).report.findings] for f in files}
    monkeypatch.setattr(reader, "_KEEP_PARTS", 3)
    sys.setswitchinterval(1e-5)  # switch threads often (restored below)
    wrong: list[tuple[str, list]] = []

    def work(k: int) -> None:
        for i, f in enumerate((files[k:] + files[:k]) * 3):
            if i % 7 == k:
                for cache in (
                    reader._PLANS,
                    reader._CLEAN_HEADS,
                    reader._CLEAN_TAILS,
                    reader._SMALL_CELLS,
                    reader._INFLATED,
                ):
                    cache.clear()
            got = [(x.code, x.cell, x.message) for x in check_file(f).report.findings]
            if got != alone[f]:
                wrong.append((f.name, got))

    before = sys.getswitchinterval()
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    assert wrong == []
