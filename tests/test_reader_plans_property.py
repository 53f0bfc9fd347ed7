"""Sheet plans under many small mutations: a template-made workbook changed in its cell texts, its
shared strings, its styles and its sheet mapping (each change keeping or breaking the skeleton)
must give exactly the same values and findings with plans on (warm) as with plans off.

The mutations are drawn from a fixed seed (the same files on every run); each kind is listed so a
failure names the exact edits that made the two readings differ."""

from __future__ import annotations

import io
import random
import re
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

import toolkit.reader as reader
from tests.office import recalc_and_save
from tests.test_reader_plans import SPEC, T3, _part, codes_at, cold, snapshot, variant
from toolkit.model import Submission
from toolkit.template import make_template
from toolkit.validate import check_file

SEED = 20261126
VARIANTS = 300
SST = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"

# <v> texts a clerk's application, a script or an adversary may leave in a number or string slot
V_TEXTS = [
    b"15",
    b"015",
    b"0",
    b"",
    b" 7",
    b"7 ",
    b"\t3\n",
    b"+4",
    b"-0",
    b"-3",
    b"1e2",
    b"1E+300",
    b"0.5",
    b"2.0",
    b"&#49;2",
    b"&#x31;",
    b"1,000",
    b"1_0",
    "１２".encode(),
    b"x",
    b"9999999999999999999",
    b"123456789012345678",
    b"4294967296",
    b"1" * 30,
    b"1" * 999,
    b"1" * 1001,
    b"9" * 5000,
    b".5",
    b"5.",
    b"1e",
    b"NaN",
    b"inf",
    b"3",
    b"44927",
]
# number formats a style may be switched to (built-in ids, then custom codes)
FORMATS = [0, 1, 2, 3, 9, 10, 14, 20, 22, 49]
CODES = ['0"0"', "0,", ";;;", "yyyy-mm-dd", "0%", "@", "General", "0.00", '#,##0"件"', "[红色]0", '"第"0']


def _wanted_refs(sheet: str) -> list[str]:
    refs = [c.a1 for c in SPEC.cells.values() if c.sheet == sheet]
    refs += [reader.cell_name(lab.row, lab.col) for lab in reader._checked_labels(SPEC, sheet)]
    return sorted(set(refs))


def _set_v(xml: bytes, a1: str, text: bytes) -> bytes:
    return re.sub(
        rb'(<c r="' + a1.encode() + rb'"[^>]*>(?:<f>[^<]*</f>)?<v>)[^<]*(</v>)',
        lambda m: m[1] + text + m[2],
        xml,
        count=1,
    )


def _retype(xml: bytes, a1: str, typ: bytes) -> bytes:
    def edit(m: re.Match) -> bytes:
        attrs = re.sub(rb' t="\w+"', b"", m[2])
        return m[1] + attrs + (b' t="' + typ + b'"' if typ else b"") + b">"

    return re.sub(rb'(<c r="' + a1.encode() + rb'")([^>/]*)>', edit, xml, count=1)


def _sst_items(xml: bytes) -> list[tuple[int, int]]:
    return [m.span(1) for m in re.finditer(rb"<si>(.*?)</si>", xml, re.S)]


def _sst_edit(rng: random.Random, xml: bytes) -> tuple[str, bytes]:
    spans = _sst_items(xml)
    i = rng.randrange(len(spans))
    a, b = spans[i]
    inner = xml[a:b]
    text = re.sub(rb"</?t[^>]*>", b"", inner)
    kind = rng.choice(["rename", "rich", "rph", "entity", "space", "attr", "empty"])
    if kind == "rename":
        new = b"<t>" + text[: max(1, len(text) // 2)] + "改".encode() + b"</t>"
    elif kind == "rich":  # the same text in two runs
        cut = len(text.decode()) // 2
        s = text.decode()
        new = f'<r><rPr><b/></rPr><t>{s[:cut]}</t></r><r><t xml:space="preserve">{s[cut:]}</t></r>'.encode()
    elif kind == "rph":  # a phonetic run, not part of the text
        new = inner + '<rPh sb="0" eb="1"><t>ピン</t></rPh>'.encode()
    elif kind == "entity":  # the first character as a character reference
        s = text.decode()
        new = b"<t>" + (f"&#{ord(s[0])};{s[1:]}" if s else "").encode() + b"</t>"
    elif kind == "space":
        new = b'<t xml:space="preserve"> ' + text + b" </t>"
    elif kind == "attr":  # an attribute on the item: the split must not shift the table
        return f"sst[{i}]:{kind}", xml[: a - 4] + b'<si xmlns:q="urn:q">' + xml[a:]
    else:
        new = b"<t></t>"
    return f"sst[{i}]:{kind}", xml[:a] + new + xml[b:]


def _style_edit(rng: random.Random, xml: bytes) -> tuple[str, bytes]:
    head, xfs, tail = re.split(rb"(<cellXfs.*?</cellXfs>)", xml, maxsplit=1, flags=re.S)
    items = re.split(rb"(<xf\b[^>]*?(?:/>|>.*?</xf>))", xfs, flags=re.S)
    n = len(items) // 2
    i = rng.randrange(n)
    if rng.random() < 0.5:
        fid = rng.choice(FORMATS)
        label = f"xf[{i}]:numFmt {fid}"
    else:
        code = rng.choice(CODES)
        fid = 200
        head = head.replace(
            b'<numFmts count="2">',
            b'<numFmts count="3"><numFmt numFmtId="200" formatCode="'
            + code.replace('"', "&quot;").encode()
            + b'"/>',
            1,
        )
        label = f"xf[{i}]:{code}"
    items[2 * i + 1] = re.sub(rb'numFmtId="[0-9]+"', f'numFmtId="{fid}"'.encode(), items[2 * i + 1], count=1)
    if b"applyNumberFormat" not in items[2 * i + 1]:
        items[2 * i + 1] = items[2 * i + 1].replace(b"<xf ", b'<xf applyNumberFormat="1" ', 1)
    return label, head + b"".join(items) + tail


def _mutations(rng: random.Random, parts: dict[str, bytes]) -> tuple[list[str], dict[str, bytes]]:
    out = dict(parts)
    done = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["v", "v", "v", "type", "sst", "sst", "style", "style", "order", "rels"])
        if kind in ("v", "type"):
            sheet = rng.choice(["封面", "表二", "表三", "表四", "信息处理费", "文字"])
            a1 = rng.choice(_wanted_refs(sheet))
            part = _part(sheet)
            if kind == "v":
                text = rng.choice(V_TEXTS)
                out[part] = _set_v(out[part], a1, text)
                done.append(f"{sheet}!{a1}<v>{text[:12]!r}")
            else:
                typ = rng.choice([b"s", b"str", b"n", b"b", b"e", b""])
                out[part] = _retype(out[part], a1, typ)
                done.append(f"{sheet}!{a1} t={typ!r}")
        elif kind == "sst":
            label, out[SST] = _sst_edit(rng, out[SST])
            done.append(label)
        elif kind == "style":
            label, out[STYLES] = _style_edit(rng, out[STYLES])
            done.append(label)
        elif kind == "order":  # two sheets listed in the other order (names keep their parts)
            wb = out["xl/workbook.xml"]
            sheets = re.findall(rb"<sheet [^>]*/>", wb)
            i, j = rng.sample(range(len(sheets) - 1), 2)
            sheets[i], sheets[j] = sheets[j], sheets[i]
            joined = b"<sheets>" + b"".join(sheets) + b"</sheets>"
            out["xl/workbook.xml"] = re.sub(rb"<sheets>.*</sheets>", lambda _m, x=joined: x, wb)
            done.append(f"order {i}<->{j}")
        else:  # two sheet names pointed at each other's part
            rels = out["xl/_rels/workbook.xml.rels"]
            i, j = rng.sample(range(1, 9), 2)
            ti, tj = f"worksheets/sheet{i}.xml".encode(), f"worksheets/sheet{j}.xml".encode()
            rels = rels.replace(ti, b"\0").replace(tj, ti).replace(b"\0", tj)
            out["xl/_rels/workbook.xml.rels"] = rels
            done.append(f"rels sheet{i}<->sheet{j}")
    return done, out


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    values = {
        "t3.granted.natural_person": 15,
        "t3.new_received.natural_person": 15,
        "s6.fee_notices": 1,
        "s6.fee_notified": 120,
    }
    path = tmp_path_factory.mktemp("prop") / "base.xlsx"
    return make_template(
        path, Submission(spec=SPEC, cover={"agency": "示例市计划局", "year": 2025}, values=values)
    )


def test_plans_on_equals_plans_off_under_small_mutations(base, monkeypatch, tmp_path):
    monkeypatch.setattr(reader, "_PLANS", {})
    monkeypatch.setattr(reader, "_SEEN", set())
    stats = {"hit": 0, "made": 0, "refused": 0, "clean": 0}
    monkeypatch.setattr(reader, "PLAN_STATS", stats)
    with zipfile.ZipFile(base) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    rng = random.Random(SEED)
    cases = []
    for n in range(VARIANTS):
        done, out = _mutations(rng, parts)
        path = variant(base, tmp_path / f"m{n:03}.xlsx", {k: (lambda _b, v=v: v) for k, v in out.items()})
        cases.append((path, done))
    before = [cold(p, monkeypatch) for p, _ in cases]
    snapshot(base)
    snapshot(base)  # plans made from the clean template
    after = [snapshot(p) for p, _ in cases]
    again = [snapshot(p) for p, _ in cases]  # each mutated skeleton now seen twice: its own plans
    assert stats["made"] >= 7 and stats["hit"] > 4 * VARIANTS
    differ = [
        (p.name, done)
        for (p, done), b, a, g in zip(cases, before, after, again, strict=True)
        if not b == a == g
    ]
    assert differ == []


def test_the_mutations_reach_the_cases_they_are_about(base, monkeypatch, tmp_path):
    """The edits are real: an index shifted by an attributed <si>, a 5,000-digit count and a
    custom format adding digits each give their finding at their cell, plans on and off."""
    with zipfile.ZipFile(base) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    cell = SPEC.cells["t3.granted.natural_person"].a1
    long = variant(base, tmp_path / "long.xlsx", {T3: lambda x: _set_v(x, cell, b"9" * 5000)})
    attr = variant(
        base, tmp_path / "attr.xlsx", {SST: lambda x: x.replace(b"<si>", b'<si xmlns:q="urn:q">', 1)}
    )
    for path in (long, attr):
        for on in (False, True):
            monkeypatch.setattr(reader, "PLANS_ON", on)
            snapshot(base)
            snapshot(base)
            got = snapshot(path)
            findings = [(f[0], f[4], f[5]) for f in got[-1]]  # code, sheet, cell
            if path is long:
                assert ("VALUE-IMPLAUSIBLE", "表三", cell) in findings
                assert dict((k, v) for k, _, v in got[0])["t3.granted.natural_person"] == "0"
            else:
                assert findings == []  # the labels read as they are, not one string off
                assert dict((k, v) for k, _, v in got[2])["agency"] == "示例市计划局"
    assert parts  # the template itself is untouched


def test_shared_string_items_in_odd_forms_read_as_libreoffice_reads_them(soffice, base, tmp_path):
    """An attribute on a <si> and an empty <si/> are valid shared-string items: LibreOffice reads
    every string after them where it belongs, and so must the reader (the split at "<si>" shifted
    every later index by one: each label wrong, TEMPLATE-UNKNOWN on every sheet)."""
    src = tmp_path / "src"
    src.mkdir()
    attr = variant(base, src / "attr.xlsx", {SST: lambda x: x.replace(b"<si>", b'<si xmlns:q="urn:q">', 1)})
    empty = variant(base, src / "empty.xlsx", {SST: lambda x: re.sub(rb"<si>.*?</si>", b"<si/>", x, count=1)})
    saved = recalc_and_save([attr, empty], tmp_path / "lo")
    for path, lo in zip((attr, empty), saved, strict=True):
        c = check_file(path)
        assert [(f.code, f.cell) for f in c.report.findings] == [], path.name
        assert c.submission.cover["agency"] == "示例市计划局"
        wb = openpyxl.load_workbook(lo, read_only=True)
        try:
            assert wb["封面"]["B3"].value == "示例市计划局"
            lab = next(iter(reader._checked_labels(SPEC, "表三")))
            assert wb["表三"].cell(lab.row + 1, lab.col + 1).value == lab.text
        finally:
            wb.close()


def _with_long_code(base: Path, dst: Path, seed: int) -> Path:
    """The cover's 统一社会信用代码 (a shared string) replaced by 100,000 random CJK characters
    (random, so the zip is not refused as a compression bomb)."""
    rng = random.Random(seed)
    text = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(100_000)).encode()
    with zipfile.ZipFile(base) as z:
        cover = z.read(_part("封面"))
    index = int(re.search(rb'<c r="B4"[^>]*t="s"><v>([0-9]+)</v>', cover)[1])

    def edit(xml: bytes) -> bytes:
        a, b = _sst_items(xml)[index]
        return xml[:a] + b"<t>" + text + b"</t>" + xml[b:]

    return variant(base, dst, {SST: edit})


def test_long_shared_strings_are_not_cached_nor_quoted_whole(tmp_path):
    """A cover text of 100,000 characters in each of many workbooks: the per-process string cache
    keeps short strings only (it held every such text: 4,096 of them before it was cleared), and
    the finding quotes the code shortened."""
    base = make_template(
        tmp_path / "b.xlsx",
        Submission(spec=SPEC, cover={"agency": "示例市计划局", "code": "X", "year": 2025}, values={}),
    )
    reader._SI_TEXT.clear()
    for i in range(4):
        path = _with_long_code(base, tmp_path / f"long{i}.xlsx", i)
        c = check_file(path)
        assert len(c.submission.cover["code"]) == 100_000
        (f,) = [f for f in c.report.findings if f.code == "CODE-INVALID"]
        assert (f.sheet, f.cell) == ("封面", "B4")
        assert len(f.actual) == 41 and len(f.message) < 200
    assert sum(map(len, reader._SI_TEXT)) < 100_000  # no long text kept


def _forge_crc(data: bytes, target: int, start: int, n: int = 48) -> bytes:
    """``data`` with the ``n`` bytes at ``start`` set to letters "a"/"b" so that its CRC-32 is
    ``target`` (CRC-32 is affine over GF(2): solve for which positions get "b")."""
    base = bytearray(data)
    base[start : start + n] = b"a" * n
    c0 = zlib.crc32(bytes(base))
    basis: list[tuple[int, int]] = []  # (vector, positions it is made of), distinct top bits
    for i in range(n):
        b = bytearray(base)
        b[start + i] = ord("b")
        v, m = zlib.crc32(bytes(b)) ^ c0, 1 << i
        for bv, bm in basis:
            if v ^ bv < v:
                v, m = v ^ bv, m ^ bm
        if v:
            basis = sorted([*basis, (v, m)], reverse=True)
    want, m = c0 ^ target, 0
    for bv, bm in basis:
        if want ^ bv < want:
            want, m = want ^ bv, m ^ bm
    assert want == 0
    for i in range(n):
        if m >> i & 1:
            base[start + i] = ord("b")
    return bytes(base)


def test_style_tables_with_one_crc_and_size_are_told_apart(base, monkeypatch, tmp_path):
    """Two workbooks whose styles.xml have the same size and CRC-32 (here made so; by chance once
    in 2**32 pairs) but differ in the input style's number format: the second one's percent
    format is seen (the formats were cached by CRC and size: it was read with the first's)."""
    monkeypatch.setattr(reader, "_ODD_FORMATS", {})
    cell = SPEC.cells["t3.granted.natural_person"].a1
    with zipfile.ZipFile(base) as z:
        style = int(re.search(rb'<c r="' + cell.encode() + rb'" s="([0-9]+)"', z.read(T3))[1])
        xml = z.read(STYLES)
    head = xml.index(b"?>") + 2
    plain = xml[:head] + b"<!--" + b"a" * 48 + b"-->" + xml[head:]
    head_, xfs, tail = re.split(rb"(<cellXfs.*?</cellXfs>)", plain, maxsplit=1, flags=re.S)
    items = re.split(rb"(<xf\b[^>]*?(?:/>|>.*?</xf>))", xfs, flags=re.S)
    assert b'numFmtId="1"' in items[2 * style + 1]
    items[2 * style + 1] = items[2 * style + 1].replace(b'numFmtId="1"', b'numFmtId="9"', 1)  # 0%
    percent = _forge_crc(head_ + b"".join(items) + tail, zlib.crc32(plain), head + 4)
    assert len(percent) == len(plain) and zlib.crc32(percent) == zlib.crc32(plain) and percent != plain
    first = variant(base, tmp_path / "first.xlsx", {STYLES: lambda _x: plain})
    second = variant(base, tmp_path / "second.xlsx", {STYLES: lambda _x: percent})
    assert codes_at(first, cell) == set()
    c = check_file(second)
    assert "VALUE-IMPLAUSIBLE" in {f.code for f in c.report.findings if f.cell == cell}
    assert c.submission.suspect["t3.granted.natural_person"] == "百分比格式"
    monkeypatch.setattr(reader, "_ODD_FORMATS", {})
    assert snapshot(second) == cold(second, monkeypatch)  # as read with nothing cached


@pytest.mark.parametrize(
    "items",
    [
        b"<si><t>a</t></si><x:si/><si><t>b</t></si>",  # an empty prefixed item between plain ones
        b"<si><t>a</t></si><x:si><x:t>c</x:t></x:si><si><t>b</t></si>",
        b'<si><t>a</t></si><si xml:space="preserve"><t>c</t></si><si><t>b</t></si>',
        b"<si><t>a</t></si><si/><si><t>b</t></si>",
        b"<si><t>a</t></si><si><t>b</t></si>",
    ],
)
def test_the_shared_strings_split_in_c_counts_items_as_the_full_pattern(items):
    """The split at <si> is taken only where it yields the items the full pattern yields: an item
    in another form (prefixed, with attributes, empty) shifts every index after it."""
    data = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    data += items + b"</sst>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", data)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        got = reader._shared_strings(zf)
        full = reader._LazyStrings([m.group(1) or b"" for m in reader._SI.finditer(data)])
        assert len(got.raw) == len(full.raw)
        assert [got[i] for i in range(len(got.raw))] == [full[i] for i in range(len(full.raw))]
