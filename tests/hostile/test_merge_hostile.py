"""``xxgk merge``'s byte-built 明细 rows, its spool and its 明细.csv against what real readers make
of them: openpyxl reads every cell back, LibreOffice recalculates the 合计 row's formulas. Inputs
are made to reach the fast paths' edges: counts past the table of small texts (9,999), a negative
and very large Decimals, names with every odd character, and the spool spilling from the first
record (XXGK_SPOOL_AFTER=1: the path of a 10,000+ file merge)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.fixtures.build import clean_values
from tests.hostile.proc import ROOT, limits
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

SPEC = load_spec()
NAMES = [
    '="cmd|\' /C calc"!A0',
    "a&b<c>\"d'e",
    "𠀀𪚥局",
    "甲局&amp;乙",
    "Tab\t局",
    "@SUM(1)局",
    "+1局",
    "-2局",
]
COUNTS = [10_000, 99_999, 123_456_789, 9_999, 0, 10_001, 65_535, 1]
FEES = [
    Decimal("0.01"),
    Decimal("12345678.91"),
    Decimal("1E+5"),
    Decimal("0.1234"),
    Decimal("-3.5"),
    Decimal("10000"),
    Decimal("9999.99"),
    Decimal("1.10"),
]


def _inputs(d: Path) -> dict[str, dict[str, object]]:
    """The workbooks, and each agency's every value (inputs and totals) as the form computes them."""
    d.mkdir()
    expected = {}
    for i, (name, n, fee) in enumerate(zip(NAMES, COUNTS, FEES, strict=True)):
        v = clean_values()
        v["t2.admin_licensing.decisions"] = n
        v["t2.admin_fees.amount"] = fee
        # a total past the small texts too: 表三's 总计 columns add up to 5 digits
        v["t3.new_received.natural_person"] = v["t3.new_received.natural_person"] + 12_000 * i
        v["t3.granted.natural_person"] = v.get("t3.granted.natural_person", 0) + 12_000 * i
        base = f"11110999MB{i:07d}"
        cover = {"agency": name, "code": base + uscc_check_char(base), "parent": "示例市青川区", "year": 2025}
        sub = Submission(spec=SPEC, cover=cover, values=v)
        make_template(d / f"w{i}.xlsx", sub)
        expected[name] = sub.all_values()
    return expected


def _merge(src: Path, out: Path, spool_after: int) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "merge",
            str(src),
            "-o",
            str(out),
            "--year",
            "2025",
            "--include-invalid",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "XXGK_SPOOL_AFTER": str(spool_after)},
        preexec_fn=limits(),
        timeout=600,
    )
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    assert out.exists()


def _num(x: object) -> Decimal:
    return Decimal(str(x)) if x not in (None, "") else Decimal(0)


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    d = tmp_path_factory.mktemp("merge-hostile")
    expected = _inputs(d / "in")
    for spill in (1, 100_000):
        _merge(d / "in", d / f"s{spill}.xlsx", spill)
        _merge(d / "in", d / f"d{spill}.csv", spill)
    return d, expected


def _detail(path: Path) -> tuple[list[str], list[tuple]]:
    wb = openpyxl.load_workbook(path)
    rows = [tuple(r) for r in wb["明细"].iter_rows(values_only=True)]
    wb.close()
    return list(rows[0]), rows


def test_detail_rows_read_back_as_each_agency_sent_them_totals_included(merged):
    """Every agency's row of 明细 holds its numbers as the form computes them — its inputs and its
    totals (表三's 总计, 表四's 总计…): the rows had 0 in every total column while the 合计 row
    below them showed the sum, so a clerk checking an agency's 总计 read 0."""
    d, expected = merged
    for spill in (1, 100_000):
        keys, rows = _detail(d / f"s{spill}.xlsx")
        got = {r[0]: r for r in rows[3 : 3 + len(NAMES)]}
        assert set(got) == set(NAMES)
        for name, want in expected.items():
            row = got[name]
            wrong = {
                k: (row[keys.index(k)], v)
                for k, v in want.items()
                if _num(row[keys.index(k)]) != Decimal(str(v))
            }
            assert not wrong, (spill, name, wrong)


def test_detail_csv_agrees_with_the_sheet_and_its_total_row_with_its_rows(merged):
    d, expected = merged
    for spill in (1, 100_000):
        with (d / f"d{spill}.csv").open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        keys = rows[1]
        body = rows[2:-1]
        names = [r[0].removeprefix("'") for r in body]
        assert sorted(names) == sorted(NAMES)
        for r in body:
            want = expected[r[0].removeprefix("'")]
            wrong = {
                k: (r[keys.index(k)], v) for k, v in want.items() if _num(r[keys.index(k)]) != Decimal(str(v))
            }
            assert not wrong, (spill, r[0], wrong)
        total = rows[-1]
        included = [r for r in body if r[4] == "1"]
        for k in SPEC.numeric_keys:
            j = keys.index(k)
            assert _num(total[j]) == sum((_num(r[j]) for r in included), Decimal(0)), k


def test_libreoffice_recalculates_the_detail_total_row_to_what_it_shows(merged, soffice, tmp_path):
    """The 合计 row's SUMIFS formulas, recalculated by LibreOffice, give the numbers the summary
    wrote as their cached values (what Excel shows before recalculating)."""
    from tests.office import recalc_and_save

    d, _ = merged
    src = d / "s1.xlsx"
    (lo,) = recalc_and_save([src], tmp_path)
    mine = openpyxl.load_workbook(src, data_only=True)["明细"]
    theirs = openpyxl.load_workbook(lo, data_only=True)["明细"]
    last = mine.max_row
    assert str(mine.cell(last, 1).value).startswith("合计")
    differ = {}
    for c in range(6, mine.max_column + 1):
        a, b = mine.cell(last, c).value, theirs.cell(last, c).value
        if _num(a) != _num(b):
            differ[mine.cell(1, c).value] = (a, b)
    assert not differ
