"""LibreOffice headless as the real spreadsheet application: it opens our workbooks, recalculates
every formula (forced by its profile) and saves them. What it computes must be what we compute."""

from __future__ import annotations

import shutil
from decimal import Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tests.conftest import FIXTURES
from tests.fixtures.build import clean_values
from tests.office import recalc_and_save
from toolkit.formulas import check_result
from toolkit.model import Submission, compute_totals
from toolkit.outputs.annotate import annotate_copy
from toolkit.template import all_checks, make_template
from toolkit.validate import check_file


def _inconsistent() -> dict:
    v = clean_values()
    v["t3.carried_out.natural_person"] = 5  # balance off by 2 in 自然人 and 总计
    v["s6.fee_notices"] = 1
    v["s6.fee_notified"] = Decimal("10.5")
    v["s6.fee_collected"] = Decimal("12.25")  # S6-FEES
    return v


@pytest.fixture(scope="module")
def recalculated(soffice, tmp_path_factory):
    d = tmp_path_factory.mktemp("lo")
    src = d / "src"
    src.mkdir()
    cases = {
        "blank": {},
        "consistent": clean_values(),
        "inconsistent": _inconsistent(),
    }
    for name, values in cases.items():
        make_template(
            src / f"{name}.xlsx", Submission(cover={"agency": "测试局", "year": 2025}, values=values)
        )
    # a user's edit after opening: openpyxl keeps formulas but drops every cached result
    edited = dict(
        clean_values(), **{"t3.granted.research": 4, "t3.new_received.research": 4, "t4.review_pending": 3}
    )
    make_template(
        src / "edited.xlsx", Submission(cover={"agency": "测试局", "year": 2025}, values=clean_values())
    )
    wb = openpyxl.load_workbook(src / "edited.xlsx")
    from toolkit.spec import load_spec

    spec = load_spec()
    for k in ("t3.granted.research", "t3.new_received.research", "t4.review_pending"):
        c = spec.cells[k]
        wb[c.sheet][c.a1] = edited[k]
    wb.save(src / "edited.xlsx")
    cases["edited"] = edited
    rep = check_file(FIXTURES / "fail" / "t3_balance.xlsx").report
    annotated = annotate_copy(FIXTURES / "fail" / "t3_balance.xlsx", rep, d / "ann")
    shutil.copy(annotated, src / "annotated.xlsx")
    files = [src / f"{n}.xlsx" for n in (*cases, "annotated")]
    outs = recalc_and_save(files, d / "out")
    return {p.stem: (out, cases.get(p.stem)) for p, out in zip(files, outs, strict=True)}


def _read(path):
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in wb.sheet_names}


@pytest.mark.parametrize("case", ["blank", "consistent", "inconsistent", "edited"])
def test_totals_and_checks_as_libreoffice_computes_them(recalculated, spec, case):
    out, values = recalculated[case]
    sheets = _read(out)
    totals = compute_totals(spec, values)
    for k, want in totals.items():
        c = spec.cells[k]
        got = sheets[c.sheet][c.row][c.col]
        assert got == want, (case, k, got, want)
    shown = {**{k: values.get(k, 0) for k in spec.input_keys}, **totals}
    checks = all_checks(spec)
    rows = sheets["校验"][3 : 3 + len(checks)]
    bad = 0
    for chk, row in zip(checks, rows, strict=True):
        want = check_result(chk, shown)
        assert row[0] == chk.code
        assert row[2] == want, (case, chk.label, row[2], want)
        bad += want.startswith("✗")
    assert sheets["校验"][1][1] == ("全部通过" if bad == 0 else f"有 {bad} 项不通过")
    assert (bad == 0) == (case != "inconsistent")


def test_inconsistent_marks_the_right_checks(recalculated):
    out, _ = recalculated["inconsistent"]
    rows = _read(out)["校验"]
    failing = {(r[0], r[1]) for r in rows[3:] if str(r[2]).startswith("✗")}
    assert failing == {
        ("T3-BALANCE", "表三“自然人”列勾稽关系（第一项加第二项之和，等于第三项加第四项之和）"),
        ("T3-BALANCE", "表三“总计”列勾稽关系（第一项加第二项之和，等于第三项加第四项之和）"),
        ("S6-FEES", "信息处理费：实际收取 ≤ 通知总金额"),
    }
    diffs = {r[2] for r in rows[3:] if str(r[2]).startswith("✗")}
    assert diffs == {"✗ 差 -2", "✗ 差 1.75"}


def test_a_libreoffice_saved_file_validates_like_ours(recalculated, spec):
    for case in ("consistent", "inconsistent", "edited"):
        out, values = recalculated[case]
        c = check_file(out)
        assert c.submission.values == {k: values.get(k, 0) for k in spec.input_keys}
        assert not any(f.code == "FORMULA-OVERWRITTEN" for f in c.report.findings)  # formulas survive LO
    codes = {(f.code, f.cell) for f in check_file(recalculated["inconsistent"][0]).report.findings}
    # the 校验 sheet shows the 总计 column too; validate reports it once, at the cell to edit
    assert codes == {("T3-BALANCE", "D30"), ("S6-FEES", "B6")}


def test_annotated_copy_opens_in_libreoffice_with_its_comments(recalculated):
    out, _ = recalculated["annotated"]
    wb = openpyxl.load_workbook(out)
    assert "问题清单" in wb.sheetnames
    comment = wb["表三"]["D30"].comment
    assert comment is not None and "T3-BALANCE" in comment.text
    listed = [r[1] for r in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
    assert listed.count("T3-BALANCE") == 1


def test_convert_leaves_no_profile_and_no_soffice_when_it_fails(soffice, tmp_path, monkeypatch):
    """tests/office.convert on a call that writes nothing: a clear error, its private profile
    removed, no soffice of its own left running (it used to leave the profile in /tmp)."""
    import os
    import tempfile

    from tests.office import convert

    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))  # where convert makes its profile
    bad = tmp_path / "missing.xlsx"  # soffice: "source file could not be loaded", nothing written
    with pytest.raises(RuntimeError, match=r"did not write|exited"):
        convert([bad], tmp_path / "out", "pdf", recalc=False)
    assert list(own_tmp.iterdir()) == []
    mine = [p for p in os.listdir("/proc") if p.isdigit() and str(own_tmp).encode() in _cmdline(p)]
    assert mine == [], "soffice still running with the test's profile"


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def test_a_stalled_soffice_is_killed_with_its_whole_group(soffice, tmp_path, monkeypatch):
    """The wait ends only when no new output appears for STALL seconds; then the wrapper, oosplash
    and soffice.bin (a grandchild that outlived a plain kill) all go, and the profile with them."""
    import tempfile

    import tests.office as office

    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    monkeypatch.setattr(office, "STALL", 0.0)  # any poll without a new file is a stall
    monkeypatch.setattr(office, "POLL", 0.2)
    src = make_template(tmp_path / "a.xlsx", Submission(cover={"agency": "青川区甲局", "year": 2025}))
    with pytest.raises(RuntimeError, match="no new file"):
        office.convert([src], tmp_path / "out", "pdf", recalc=False)
    assert list(own_tmp.iterdir()) == []
    import os

    mine = [p for p in os.listdir("/proc") if p.isdigit() and str(own_tmp).encode() in _cmdline(p)]
    assert mine == [], "soffice still running with the test's profile"
