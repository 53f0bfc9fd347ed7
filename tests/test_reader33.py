"""What a clerk and a coordinator read, checked on the real outputs (reader33's review).

Each test failed before its fix: the 明细 sheet's and 明细.csv's 总计 columns said 0 for every
agency; the 校验 sheet called a number stored as text a negative or fractional number too; help
examples that could not be pasted.
"""

from __future__ import annotations

import csv

import openpyxl

from tests.conftest import ROOT
from toolkit.merge import merge
from toolkit.outputs.summary import write_summary
from toolkit.spec import load_spec
from toolkit.validate import check_file

SPEC = load_spec()
SAMPLES = ROOT / "samples"


def _expected(name: str) -> dict[str, object]:
    c = check_file(SAMPLES / f"{name}.xlsx", year=2025)
    assert c.submission is not None
    return c.submission.all_values()


def test_detail_rows_carry_each_agencys_own_totals(tmp_path):
    """明细 and 明细.csv: an agency's 总计 columns are its totals (they said 0 for everyone, while
    the 合计 row under them was right)."""
    s = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    xlsx, csv_path = write_summary(s, tmp_path / "汇总.xlsx"), write_summary(s, tmp_path / "明细.csv")
    keys = list(SPEC.numeric_keys)
    totals = [k for k in keys if SPEC.cells[k].kind == "total"]
    want = {n: _expected(n) for n in ("青川区人力资源和社会保障局", "青川区规划和自然资源分局")}
    assert want["青川区规划和自然资源分局"]["t3.new_received.total"] > 0

    ws = openpyxl.load_workbook(xlsx, read_only=True)["明细"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    by_name = {r[0]: r for r in rows[3:] if r and r[0]}
    for name, values in want.items():
        got = {k: by_name[name][head.index(k)] for k in totals}
        assert got == {k: values[k] for k in totals}, name

    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    head = lines[1]
    by_name = {r[0]: r for r in lines[2:]}
    for name, values in want.items():
        got = {k: by_name[name][head.index(k)] for k in totals}
        assert got == {k: str(values[k]) for k in totals}, name
