"""Published reports whose cells hold more than one number, or a number with the wrong unit: the
cells are unknown (or converted, and said), never a wrong number read with full confidence.

Before: "1 600" (a space as thousands separator, or two numbers in one cell) in 表二 read the
first number and dropped the rest; in 表三 it shifted every later cell of the row one column
right; "3500元" in 表二's 万元 column was read as 3500 万元; "16万元" as a count was 16."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REFERENCE
from toolkit.importers.report import import_report

TEXT = REFERENCE.read_text(encoding="utf-8")


def _with(tmp_path: Path, old_at: str, old: str, new: str) -> Path:
    """The reference report with the first ``old`` after ``old_at`` replaced by ``new``."""
    i = TEXT.index(old_at)
    j = TEXT.index(old, i + len(old_at))
    p = tmp_path / "r.txt"
    p.write_text(TEXT[:j] + new + TEXT[j + len(old) :], encoding="utf-8")
    return p


@pytest.mark.parametrize("cell", ["1 600", "16 17"])
def test_two_numbers_in_a_table_two_cell_leave_its_row_unknown(tmp_path, cell):
    res = import_report(_with(tmp_path, "\t行政规范性文件\n", "\t16\n", f"\t{cell}\n"))
    v = res.submission.values
    for col in ("issued", "repealed", "in_force"):
        assert v.get(f"t2.normative_documents.{col}") is None, col
    (f,) = [f for f in res.findings if f.key == "t2.normative_documents.issued"]
    assert f.code == "IMPORT-NOT-FOUND" and "多于该行的 3 列" in f.message
    assert v["t2.regulations.in_force"] == 0 and v["t2.admin_licensing.decisions"] == 0  # neighbours read
    assert res.confidence < 1.0


@pytest.mark.parametrize("cell", ["1 600", "16 17"])
def test_two_numbers_in_a_table_three_cell_shift_nothing(tmp_path, cell):
    res = import_report(_with(tmp_path, "（一）予以公开", "\t0\xa0", f"\t{cell}"))
    v = res.submission.values
    # not read; every other number of each column's （七）总计 was, so the row is derived from
    # them (the reference's zeros), said so, and never taken as read
    for col in ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org"):
        assert res.submission.where[f"t3.granted.{col}"] == "由合计推算", col
        assert v[f"t3.granted.{col}"] == 0
    assert res.submission.reported["t3.granted.total"] == 0
    assert res.confidence < 1.0
    (f,) = [f for f in res.findings if f.key and f.key.startswith("t3.granted.")]
    assert (
        f.code == "IMPORT-DERIVED"
        and "有 8 个数字，多于表格的 7 列" in f.message
        and "由合计推算" in f.message
    )
    assert v["t3.partly_granted.natural_person"] == 0  # the next row read as printed
    assert not [f for f in res.findings if f.code.startswith("T3-")]


def test_the_untouched_reference_still_reads_whole(tmp_path):
    p = tmp_path / "r.txt"
    p.write_text(TEXT, encoding="utf-8")
    res = import_report(p)
    assert res.confidence == 1.0 and res.findings == []


def test_yuan_in_the_wanyuan_column_is_converted_and_said(tmp_path):
    res = import_report(_with(tmp_path, "\t行政事业性收费\n", "\t0", "\t3500元"))
    assert str(res.submission.values["t2.admin_fees.amount"]) == "0.35"
    (f,) = [f for f in res.findings if f.code == "VALUE-UNIT"]
    assert f.severity == "warning" and "换算为 0.35万元" in f.message


@pytest.mark.parametrize("cell", ["16万元", "16元"])
def test_money_in_a_count_cell_is_unknown_never_the_bare_number(tmp_path, cell):
    res = import_report(_with(tmp_path, "\t行政规范性文件\n", "\t16\n", f"\t{cell}\n"))
    assert res.submission.values.get("t2.normative_documents.in_force") is None
    (f,) = [f for f in res.findings if f.code == "VALUE-UNIT"]
    assert f.severity == "error" and "应为件数" in f.message


def test_a_web_cell_of_two_numbers_is_unknown_and_a_spaced_thousand_is_one(tmp_path):
    """In a web page (or Word) a cell is one piece of text: "16 17" was read as 1617."""
    from toolkit.outputs.render import render

    src = tmp_path / "r.txt"
    src.write_text(TEXT, encoding="utf-8")
    sub = import_report(src).submission
    sub.values["t2.admin_licensing.decisions"] = 259
    page = tmp_path / "r.html"
    render(sub, page, draft=True)
    html = page.read_text(encoding="utf-8")
    assert html.count(">259</td>") == 1
    for cell, want in (("16 17", None), ("1 600", 1600), ("1&nbsp;600", 1600), ("16\u300017", None)):
        p = tmp_path / "m.html"
        p.write_text(html.replace(">259</td>", f">{cell}</td>"), encoding="utf-8")
        assert import_report(p).submission.values.get("t2.admin_licensing.decisions") == want, cell


def test_parse_number_takes_spaces_only_as_thousands_grouping():
    from toolkit.cells import parse_number

    assert parse_number("1 600").value == 1600
    assert parse_number("1\u2009600\u2009000").value == 1600000
    for two in ("16 17", "1 6", "12 3456", "16\t17"):
        assert parse_number(two).problem == "not_number", two


def test_import_of_a_year_the_file_lacks_says_so_and_writes_nothing(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    src = tmp_path / "r.txt"
    src.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "r.xlsx"
    r = CliRunner().invoke(main, ["import", str(src), "--year", "2024", "-o", str(out)])
    assert r.exit_code == 1, r.output
    assert "[YEAR-MISMATCH] 文件中是 2023 年度的报告，没有 --year 指定的 2024 年度" in r.output
    assert not out.exists()
    r = CliRunner().invoke(main, ["import", str(src), "--year", "2023", "-o", str(out)])
    assert r.exit_code == 0 and out.exists(), r.output
