"""``xxgk merge``'s 报送情况 and 明细（长表）, written as blocks of whole rows, against what real
readers make of them: agencies named with every odd character (markup, ``_x0041_``, a formula,
line breaks, 32,767+ characters, bidi controls, spaces at either end) and files whose names hold
bytes that are no UTF-8, controls and ``_x0041_``. What openpyxl reads back (Excel's ``_xHHHH_``
decoded, as Excel shows it) and what LibreOffice reads equal the records; the summary held in
memory and spilled to its spool (XXGK_SPOOL_AFTER=10) is the same file, byte for byte."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.fixtures.build import clean_values
from tests.hostile.proc import ROOT, limits
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.textsafe import excel_unescape
from toolkit.uscc import uscc_check_char

SPEC = load_spec()
NAMES = [
    "A" * 40_000,  # past a cell's 32,767: cut
    "局\n" * 3_000,
    "_x0041_局_x000D_",
    '="cmd|\' /C calc"!A0',
    "a&b<c>\"d'e局",
    "局\u2028行",
    "W" * 5_000 + "局",
    "\u202e局名\u200f",
    "𠀀𪚥局" * 3,
    "甲局&amp;乙",
    "Tab\t局",
    "@SUM(1)局",
]
ODD_FILES = [b"w\xff\xfe_x0041_\x01 .xlsx", b"note\xff\x1b[31m.txt", b" lead _x0041_ trail .xlsx"]


def _inputs(d: Path) -> None:
    d.mkdir()
    for i, name in enumerate(NAMES):
        v = clean_values()
        v["t3.new_received.business"] = v["t3.new_received.business"] + 10_000 * i
        v["t3.granted.business"] = v.get("t3.granted.business", 0) + 10_000 * i
        base = f"11110999MB{i:07d}"
        cover = {
            "agency": f"局{i}",
            "code": base + uscc_check_char(base),
            "parent": "示例市青川区",
            "year": 2025,
        }
        p = d / f"w{i:02d}.xlsx"
        make_template(p, Submission(spec=SPEC, cover=cover, values=v))
        wb = openpyxl.load_workbook(p)  # the name as a person may type it (the template cleans its own)
        c = SPEC.cells["cover.agency"]
        cell = wb[c.sheet].cell(row=c.row + 1, column=c.col + 1)
        cell.value = name
        cell.data_type = "s"  # "=cmd…" a text, as typed after a quote, not a formula
        wb.save(p)
    dirb = os.fsencode(d)
    with open(os.path.join(dirb, ODD_FILES[0]), "wb") as fh:  # a copy of another's, oddly named
        fh.write((d / "w01.xlsx").read_bytes())
    for name in ODD_FILES[1:]:
        with open(os.path.join(dirb, name), "wb") as fh:
            fh.write(b"junk")


def _merge(src: Path, out: Path, spool_after: int) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "toolkit", "merge", str(src), "-o", str(out), "--year", "2025"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XXGK_SPOOL_AFTER": str(spool_after)},
        preexec_fn=limits(),
        timeout=600,
    )
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr[-3000:]


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    d = tmp_path_factory.mktemp("blocks")
    _inputs(d / "in")
    for spill in (10, 100_000):
        _merge(d / "in", d / f"s{spill}.xlsx", spill)
    return d


def _records(d: Path) -> dict[str, dict]:
    """Each agency's name as the reader takes it (the cover cell, as the merge keeps it) and its
    non-zero inputs."""
    from toolkit.reader import read_file

    out = {}
    for f in sorted((d / "in").glob("w??.xlsx")):
        sub = read_file(f).submission
        out[sub.agency] = {k: v for k, v in sub.values.items() if v and k in SPEC.cells}
    return out


def test_held_and_spilled_summaries_are_the_same_bytes(merged):
    a, b = (zipfile.ZipFile(merged / f"s{n}.xlsx") for n in (10, 100_000))
    assert a.namelist() == b.namelist()
    assert [n for n in a.namelist() if a.read(n) != b.read(n)] == []


def _cut(name: str) -> str:
    return name if len(name) <= 32_767 else name[: 32_767 - len("…（以下已截断）")] + "…（以下已截断）"


def _shown(v: object) -> str:
    return excel_unescape(str(v)) if v is not None else ""


def test_status_and_long_rows_read_back_as_the_records_by_openpyxl(merged):
    recs = _records(merged)
    wb = openpyxl.load_workbook(merged / "s10.xlsx", read_only=True)
    status = [r for r in wb["报送情况"].iter_rows(min_row=4, values_only=True) if r and r[0] is not None]
    names = [_shown(r[1]) for r in status if r[4] in ("已报送", "重复")]
    assert sorted(names) == sorted(_cut(n) for n in recs for _ in range(2 if n == _recs_copy(recs) else 1))
    files = {_shown(r[6]) for r in status}
    assert " lead _x0041_ trail .xlsx" in files and "note\x1b[31m.txt".replace("\x1b", "") in files
    long = [
        (_shown(r[0]), r[3], Decimal(str(r[5])))
        for r in wb["明细（长表）"].iter_rows(min_row=2, values_only=True)
        if r and r[3] in SPEC.cells
    ]
    assert sorted(long) == _long_wanted(recs)


def _long_wanted(recs: dict) -> list[tuple[str, str, Decimal]]:
    """明细（长表）: every record's non-zero inputs, the copy's (重复, listed too) twice."""
    copy = _recs_copy(recs)
    return sorted(
        (_cut(n), k, Decimal(str(v)))
        for n, vals in recs.items()
        for k, v in vals.items()
        for _ in range(1 + (n == copy))
    )


def _recs_copy(recs: dict) -> str:
    return next(n for n in recs if n.startswith("局\n"))  # w01's, sent twice (the odd copy)


def test_status_and_long_rows_read_back_as_the_records_by_libreoffice(merged, soffice, tmp_path):
    recs = _records(merged)
    out = merged / "s10.xlsx"
    lo = tmp_path / "lo"
    lo.mkdir()
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(lo),
            str(out),
        ],
        capture_output=True,
        timeout=600,
    )

    def sheet(name: str) -> list[list[str]]:
        (f,) = lo.glob(f"*-{name}.csv")
        with f.open(encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))

    status = [r for r in sheet("报送情况")[3:] if r and r[0]]
    names = [r[1] for r in status if r[4] in ("已报送", "重复")]
    assert sorted(names) == sorted(_cut(n) for n in recs for _ in range(2 if n == _recs_copy(recs) else 1))
    long = [
        (r[0], r[3], Decimal(r[5])) for r in sheet("明细（长表）")[1:] if len(r) > 5 and r[3] in SPEC.cells
    ]
    assert sorted(long) == _long_wanted(recs)


def test_a_file_name_with_carriage_returns_gets_a_status_row_tall_enough(tmp_path):
    # 报送情况's one-line bound took a text without LF for one line: a file named 甲\r乙\r丙\r丁.xlsx
    # (a name Linux allows) is written 甲⏎乙⏎丙⏎丁.xlsx, four lines in a row two lines tall (its note
    # had two), 丙 and 丁.xlsx hidden on screen and on paper
    from toolkit.textfit import row_height

    src = tmp_path / "in"
    src.mkdir()
    for i in range(2):
        base = f"11110999MB{i:07d}"
        cover = {
            "agency": f"局{i}",
            "code": base + uscc_check_char(base),
            "parent": "示例市青川区",
            "year": 2025,
        }
        make_template(src / f"w{i}.xlsx", Submission(spec=SPEC, cover=cover, values=clean_values()))
    (src / "甲\r乙\r丙\r丁.xlsx").write_bytes((src / "w1.xlsx").read_bytes())  # a copy: 重复
    out = tmp_path / "汇总.xlsx"
    _merge(src, out, 100_000)
    ws = openpyxl.load_workbook(out)["报送情况"]
    (row,) = [r for r in range(4, ws.max_row + 1) if "丁.xlsx" in str(ws.cell(r, 7).value)]
    text = ws.cell(row, 7).value
    assert text == "甲\n乙\n丙\n丁.xlsx"
    assert ws.row_dimensions[row].height >= row_height(4, 10.0), ws.row_dimensions[row].height
