"""Everything a summary counts over its records comes from one pass (a pass over 400,000 spilled
records reads each back from the database): the status counts, the sum of the counted values, the
counted units' list of the metadata and the chart's agencies with the most applications. Each is
checked here against the plain way of computing it alone, held in memory and spilled."""

from __future__ import annotations

import importlib
import random
from decimal import Decimal

import pytest

from toolkit.merge import INVALID, SUBMITTED, TOP_RECEIVED, AgencyRecord, Summary, new_records
from toolkit.model import Submission
from toolkit.spec import load_spec

M = importlib.import_module("toolkit.merge")  # the module (the package exports a function of its name)
SPEC = load_spec()
KEYS = SPEC.numeric_keys
POS = [KEYS.index(k) for k in SPEC.cells["t3.new_received.total"].parts]


def _records(n: int, seed: int) -> list[AgencyRecord]:
    rng = random.Random(seed)
    recs = []
    for i in range(n):
        vals = [0] * len(KEYS)
        for p in POS:
            vals[p] = rng.choice((0, 0, 1, 2, 3, 250))  # many ties of the sum
        vals[rng.randrange(len(KEYS))] += rng.randrange(5)
        included = rng.random() < 0.8
        has_values = rng.random() < 0.95
        made_by_hand = rng.random() < 0.1  # its non-zero values not counted as it was read
        r = AgencyRecord(
            SUBMITTED if included else INVALID,
            file=f"报告{i}.xlsx",
            agency=rng.choice(("甲局", "乙局", f"单位{i}", f"  第{i}个\t单位  ")),
            code=f"11110000MB{i:08d}",
            values=tuple(vals) if has_values else None,
            nonzero=None if made_by_hand or not has_values else sum(1 for v in vals if v),
            included=included and has_values,
        )
        recs.append(r)
    return recs


def _summary(recs: list[AgencyRecord], keep: int | None) -> Summary:
    spool = new_records(keep)
    spool.extend(recs)
    assert spool.spilled == (keep is not None and len(recs) > keep)
    return Summary(SPEC, Submission(spec=SPEC), spool, [], [])


@pytest.mark.parametrize("n", [0, 1, 29, 31, 600, 1500])
@pytest.mark.parametrize("keep", [None, 10])
def test_one_pass_equals_each_figure_computed_alone(n, keep):
    recs = _records(n, seed=n)
    s = _summary(recs, keep)
    counted = [r for r in recs if r.included]
    # the chart: the 30 largest, ties by name then arrival — sorted()[:30]
    expect_top = sorted(
        ((sum(r.values[i] for i in POS), r.name) for r in counted if r.values is not None),
        key=lambda t: (-t[0], t[1]),
    )[:TOP_RECEIVED]
    assert s.top_received() == expect_top
    # the sum of the counted values, key by key
    totals = s._stats()["totals"]
    assert totals == [sum(r.values[j] for r in counted if r.values is not None) for j in range(len(KEYS))]
    # the rows of 明细（长表）: every non-zero value, also of records made by hand
    assert s.nonzero == sum(1 for r in recs if r.values is not None for v in r.values if v)
    assert s.counted == len(counted)
    # the counted units, in order, code TAB name, each once
    lines = "\n".join(s._stats()["members"]).split("\n") if counted else []
    assert lines == [f"{M._clean(r.code)}\t{M._clean(r.agency)}" for r in counted]
    assert not s._stats()["members_partial"]


@pytest.mark.parametrize("keep", [None, 10])
def test_members_cut_into_cells_and_partial_past_the_last(monkeypatch, keep):
    monkeypatch.setattr(M, "MEMBER_CHUNK", 60)
    monkeypatch.setattr(M, "MEMBER_CELLS", 3)
    recs = _records(200, seed=7)
    s = _summary(recs, keep)
    st = s._stats()
    assert st["members_partial"]
    assert len(st["members"]) == 3
    assert all(len(c) <= 60 for c in st["members"])
    listed = "\n".join(st["members"]).split("\n")
    counted = [f"{M._clean(r.code)}\t{M._clean(r.agency)}" for r in recs if r.included]
    assert listed == counted[: len(listed)]  # a prefix, none skipped, none twice
    assert len(listed) < len(counted)
    # what fits is listed whole, without the partial mark
    few = _summary(recs[:3], keep)._stats()
    assert not few["members_partial"]
    assert "\n".join(few["members"]).split("\n") == [
        f"{M._clean(r.code)}\t{M._clean(r.agency)}" for r in recs[:3] if r.included
    ] or not any(r.included for r in recs[:3])


def test_summary_meta_says_partial_and_lists_cells(monkeypatch):
    monkeypatch.setattr(M, "MEMBER_CHUNK", 60)
    monkeypatch.setattr(M, "MEMBER_CELLS", 3)
    s = _summary(_records(200, seed=8), 10)
    meta = M._summary_meta(s)
    assert meta["members_partial"] == "1"
    assert [k for k in meta if k.startswith("members") and k != "members_partial"] == [
        "members",
        "members.2",
        "members.3",
    ]
    assert meta["counted"] == str(s.counted)


def test_the_one_pass_follows_a_change_of_the_records():
    recs = _records(50, seed=3)
    s = _summary(recs, 10)
    before = s.top_received()
    best = next(r for r in s.records if r.included and (sum(r.values[i] for i in POS), r.name) == before[0])
    for r in s.records.updating():
        if r.seq == best.seq:
            r.included, r.status = False, INVALID
    after = s.top_received()
    assert before[0] not in after or after.count(before[0]) < before.count(before[0])
    assert s.counted == sum(1 for r in recs if r.included) - 1


@pytest.mark.parametrize("keep", [None, 10])
def test_reports_with_findings_are_read_alone_and_follow_changes(keep):
    from toolkit.findings import ERROR, WARNING, FileReport, Finding

    recs = _records(120, seed=11)
    for i, r in enumerate(recs):
        found = []
        if i % 17 == 3:
            found.append(Finding("ARITH-T3-ROW", ERROR, f"第{i}个错误", r.file, "表三", "D6"))
        if i % 29 == 5:
            found.append(Finding("VALUE-TEXT-NUMBER", WARNING, "“12件”为文本", r.file, "表二", "C4"))
        r.report = FileReport(r.file, found, agency=r.agency)
    s = Summary(SPEC, Submission(spec=SPEC), new_records(keep), M._Reports(new_records(keep)), [])
    s.records.extend(recs)
    s.reports = M._Reports(s.records)
    assert s.records.spilled == (keep is not None)
    expect = [r.file for r in recs if r.report.findings]
    assert [rep.file for rep in s.reports_with_findings()] == expect
    assert [(rep.file, len(rep.findings)) for rep in s.reports_with_findings()] == [
        (r.file, len(r.report.findings)) for r in recs if r.report.findings
    ]
    # a finding added to one report and the findings of another taken away, written back
    gains, loses = recs[0].file, expect[0]
    for r in s.records.updating():
        if r.file == gains:
            r.report.findings.append(Finding("YEAR-MISMATCH", ERROR, "报告年度不符", r.file))
        elif r.file == loses:
            r.report.findings.clear()
    now = [rep.file for rep in s.reports_with_findings()]
    assert now == [gains] + [f for f in expect if f != loses]
    # the 问题清单 of the whole summary: every finding of every file, none read twice
    assert sum(len(rep.findings) for rep in s.reports_with_findings()) == sum(
        len(rep.findings) for rep in s.reports
    )


@pytest.mark.parametrize("keep", [None, 3])
def test_long_table_made_in_the_detail_pass_same_in_memory_and_on_disk(tmp_path, monkeypatch, keep):
    """明细（长表）'s rows are made while 明细's pass reads the values, and kept until their sheet
    is written: in memory, or (past LONG_HELD) in an unnamed file beside the output — the same
    workbook either way, every non-zero value of every file once, nothing left in the folder."""
    import openpyxl

    from tests.conftest import ROOT
    from toolkit.outputs import summary as S

    s = M.merge([ROOT / "samples"], roster=ROOT / "samples" / "roster.csv", year=2025, spool_after=keep)
    outs = []
    for held in (S.LONG_HELD, 1024):
        monkeypatch.setattr(S, "LONG_HELD", held)
        folder = tmp_path / str(held)
        folder.mkdir()
        S.write_summary(s, folder / "汇总.xlsx")
        assert sorted(p.name for p in folder.iterdir()) == ["汇总.xlsx"]
        outs.append((folder / "汇总.xlsx").read_bytes())
    assert outs[0] == outs[1]
    wb = openpyxl.load_workbook(tmp_path / "1024" / "汇总.xlsx", read_only=True)
    rows = [
        r for r in wb["明细（长表）"].iter_rows(min_row=2, max_col=6, values_only=True) if r[0] is not None
    ]
    expect = [
        (r.name, r.code or None, r.status, k, float(v) if isinstance(v, Decimal) else v)
        for r in s.records
        if r.values is not None
        for k, v in zip(KEYS, r.values, strict=True)
        if v
    ]
    assert [(a, b, c, d, f) for a, b, c, d, _e, f in rows] == expect
    assert len(rows) == s.nonzero > 100  # enough rows to pass 1 KB several times
    s.records.close()
