"""The parts of a workbook are inflated by libdeflate (the ``deflate`` package) where it is
installed, else by zlib: both must read every workbook the same way, good or damaged, and a
damaged part must be a finding in Chinese, never a traceback, whichever inflates it."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

import toolkit.reader as reader
from toolkit.validate import check_file

FIXTURES = Path(__file__).parent / "fixtures"
WORKBOOKS = sorted(p for d in ("pass", "fail") for p in (FIXTURES / d).iterdir() if p.is_file())


def _reading(path: Path) -> tuple:
    c = check_file(path)
    sub = c.submission
    return (
        [(f.code, f.sheet, f.cell, f.message) for f in c.report.findings],
        None if sub is None else (sub.values, sub.cover, sub.texts, sub.where, sub.reported),
    )


def _both(path: Path, monkeypatch) -> tuple[tuple, tuple]:
    fast = _reading(path)
    with monkeypatch.context() as m:
        m.setattr(reader, "_libdeflate", None)
        m.setattr(reader, "_crc32", zlib.crc32)
        slow = _reading(path)
    return fast, slow


def test_libdeflate_is_what_reads():
    assert reader._libdeflate is not None, "the deflate package (a dependency) is not installed"


@pytest.mark.parametrize("path", WORKBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_same_reading_with_either_inflater(path, monkeypatch):
    fast, slow = _both(path, monkeypatch)
    assert fast == slow


def _member_span(raw: bytes, name: str) -> tuple[int, int]:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        info = zf.getinfo(name)
    n, e = struct.unpack_from("<HH", raw, info.header_offset + 26)
    start = info.header_offset + 30 + n + e
    return start, start + info.compress_size


def _damaged(tmp_path: Path, how: str) -> Path:
    src = (FIXTURES / "pass").glob("*.xlsx")
    raw = bytearray(next(iter(sorted(src))).read_bytes())
    start, end = _member_span(bytes(raw), "xl/worksheets/sheet4.xml")
    if how == "flipped":  # a bit flipped in the middle of the deflate stream
        raw[(start + end) // 2] ^= 0x55
    elif how == "truncated":  # the stream ends early (a zero-filled tail, the sizes untouched)
        raw[end - 40 : end] = bytes(40)
    elif how == "unused-part":  # the theme: read by no rule, still checked against its CRC
        s2, e2 = _member_span(bytes(raw), "xl/theme/theme1.xml")
        raw[(s2 + e2) // 2] ^= 0x55
    p = tmp_path / f"{how}.xlsx"
    p.write_bytes(bytes(raw))
    return p


@pytest.mark.parametrize("how", ["flipped", "truncated", "unused-part"])
def test_a_damaged_part_is_a_finding_with_either_inflater(tmp_path, monkeypatch, how):
    p = _damaged(tmp_path, how)
    fast, slow = _both(p, monkeypatch)
    assert fast == slow
    (code, _sheet, _cell, message), *_ = fast[0]
    assert code == "FILE-UNREADABLE" and "损坏" in message and fast[1] is None


def test_a_part_longer_than_its_header_says_is_refused(tmp_path, monkeypatch):
    """A part whose stream inflates past the size in the directory (a bomb that lies about its
    size): libdeflate stops at the buffer's end; zlib's output is bounded too. Both refuse it."""
    raw = next(iter(sorted((FIXTURES / "pass").glob("*.xlsx")))).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet4.xml":
                data += b" " * 3_000_000  # inflates to 3 MB from a few KB
            zout.writestr(info, data)
    big = bytearray(out.getvalue())
    # the central directory entry of the part: say 20,000 bytes (its uncompressed size at +24)
    name = b"xl/worksheets/sheet4.xml"
    entry = bytes(big).rfind(name) - 46  # the name's last copy: the directory is at the end
    assert big[entry : entry + 4] == b"PK\x01\x02"
    assert struct.unpack_from("<I", big, entry + 24)[0] > 3_000_000
    struct.pack_into("<I", big, entry + 24, 20_000)
    p = tmp_path / "liar.xlsx"
    p.write_bytes(bytes(big))
    fast, slow = _both(p, monkeypatch)
    assert fast == slow
    assert fast[0][0][0] == "FILE-UNREADABLE" and fast[1] is None


@pytest.mark.parametrize("part", ["xl/styles.xml", "xl/theme/theme1.xml", "xl/workbook.xml"])
def test_a_kept_part_damaged_in_the_next_file_is_still_caught(tmp_path, part):
    """The parts a template shares are kept after their second sighting and not inflated again;
    a later file whose part has the same CRC and sizes in its directory but other deflated bytes
    (one bit flipped) must still be inflated, checked and refused."""
    good = next(iter(sorted((FIXTURES / "pass").glob("*.xlsx"))))
    for _ in range(3):  # kept from the second reading on
        assert check_file(good).submission is not None
    raw = bytearray(good.read_bytes())
    start, end = _member_span(bytes(raw), part)
    raw[(start + end) // 2] ^= 0x55
    p = tmp_path / "kept-then-damaged.xlsx"
    p.write_bytes(bytes(raw))
    c = check_file(p)
    assert c.submission is None
    assert [f.code for f in c.report.findings] == ["FILE-UNREADABLE"]
    assert "损坏" in c.report.findings[0].message
    assert check_file(good).submission is not None  # and the good one still reads


def test_a_file_read_in_pieces_is_read_on_to_its_end_or_the_bound():
    """_load reads a form in one call; where a read comes back short (a network share) or the file
    grew since its size was asked, it reads on: to the end, never past the bound (a real pipe
    gives short reads)."""
    import os

    from toolkit.reader import _read_on

    for limit, want in ((10_000, 7_000), (5_000, 5_000)):
        r, w = os.pipe()
        try:
            for piece in (b"a" * 3000, b"b" * 3000, b"c" * 1000):
                os.write(w, piece)
            os.close(w)
            w = -1
            first = os.read(r, 100)
            got = b"".join(_read_on(r, [first], limit))
        finally:
            os.close(r)
            if w >= 0:
                os.close(w)
        assert len(got) == want
        assert got == (b"a" * 3000 + b"b" * 3000 + b"c" * 1000)[:want]
