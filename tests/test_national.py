"""A national year on one machine: the summary states the size of its streamed sheets, a long
table too long for Excel goes to a CSV beside it, and per-file values are spooled, not held."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import ROOT
from toolkit.merge import merge
from toolkit.outputs.summary import DETAIL, LONG, STATUS, long_csv_path, write_summary
from toolkit.spool import SpooledValues

SAMPLES = ROOT / "samples"
STREAMED = (STATUS, DETAIL, LONG)


@pytest.fixture(scope="module")
def summary():
    return merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)


def _sheet_xml(path: Path) -> dict[str, str]:
    """Sheet name -> its XML, by the workbook's order."""
    with zipfile.ZipFile(path) as z:
        names = re.findall(r'<sheet name="([^"]+)"', z.read("xl/workbook.xml").decode())
        return {n: z.read(f"xl/worksheets/sheet{i}.xml").decode() for i, n in enumerate(names, 1)}


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def test_streamed_sheets_state_their_extent(summary, tmp_path):
    out = write_summary(summary, tmp_path / "s.xlsx")
    xml = _sheet_xml(out)
    wb = openpyxl.load_workbook(out, read_only=True)
    for name in STREAMED:
        m = re.search(r'<dimension ref="A1:([A-Z]+)(\d+)"/>', xml[name])
        assert m, name
        # the real extent, from a full scan of the rows (openpyxl ignores the stated one)
        ws = wb[name]
        ws.reset_dimensions()
        rows = list(ws.iter_rows(values_only=True))
        last_row = max(i for i, r in enumerate(rows, 1) if any(v is not None for v in r))
        last_col = max(max((j for j, v in enumerate(r, 1) if v is not None), default=0) for r in rows)
        assert (int(m.group(2)), _col(m.group(1))) == (last_row, last_col), name
    wb.close()
    wb = openpyxl.load_workbook(out, read_only=True)  # the stated size, without a scan
    n = len(summary.records)
    assert wb[STATUS].max_row == 3 + n + len(summary.skipped)
    assert wb[DETAIL].max_row == 3 + n + 2  # headers (keys, headings, columns), agencies, a blank row, 合计
    wb.close()


def test_long_table_past_the_row_limit_goes_to_csv(summary, tmp_path):
    whole = write_summary(summary, tmp_path / "whole.xlsx")
    wb = openpyxl.load_workbook(whole, read_only=True)
    in_sheet = [tuple(r) for r in wb[LONG].iter_rows(min_row=2, max_col=6, values_only=True)]
    wb.close()
    assert len(in_sheet) > 50 and not long_csv_path(whole).exists()

    out = write_summary(summary, tmp_path / "区汇总.xlsx", max_rows=50)  # a small Excel
    side = tmp_path / "区汇总_明细（长表）.csv"
    assert long_csv_path(out) == side and side.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with side.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["单位名称", "统一社会信用代码", "报送状态", "键", "项目", "数值（只列非零）"]
    as_text = [tuple("" if v is None else str(v) for v in r) for r in in_sheet]
    assert [tuple(r) for r in rows[1:]] == as_text
    wb = openpyxl.load_workbook(out, read_only=True)
    ws = wb[LONG]
    assert ws.max_row == 2
    note = ws["A2"].value
    assert side.name in note and f"{len(in_sheet):,}" in note
    wb.close()


def test_values_spooled_past_a_threshold_same_summary(tmp_path):
    held = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025, spool_after=10_000)
    spooled = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025, spool_after=2)
    with_values = [r for r in spooled.records if r.values is not None]
    assert len(with_values) > 5
    # past 2 records all are in the database: read back with values that load on use
    assert spooled.records.spilled and not held.records.spilled
    assert all(isinstance(r.values, SpooledValues) for r in with_values)
    # the same merge: statuses, sums, findings, JSON and the written workbook byte for byte
    assert spooled.to_json() == held.to_json()
    assert spooled.submission.values == held.submission.values
    assert all(r.values == h.values for r, h in zip(spooled.records, held.records, strict=True))
    a = write_summary(held, tmp_path / "a.xlsx").read_bytes()
    b = write_summary(spooled, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    assert spooled.to_frame().equals(held.to_frame())
