"""``xxgk merge``: statuses against the roster, exact sums, upward merges, outputs, properties."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.office import recalc_and_save
from toolkit.cli import main
from toolkit.merge import merge
from toolkit.model import Submission, compute_totals
from toolkit.outputs.summary import write_summary
from toolkit.rules import check_submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char
from toolkit.validate import check_file

SPEC = load_spec()


def code(i: int) -> str:
    body = f"11110999MB{i:07d}"
    return body + uscc_check_char(body)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# -- a balanced random report, drawn by hypothesis ----------------------------------------------
T3_COLS = ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org")
RESULTS = [
    k
    for k in (
        "granted",
        "partly_granted",
        "denied_by_law",
        "unable_not_held",
        "rejected_duplicate",
        "other_misc",
        "other_no_correction",
    )
]


@st.composite
def report_values(draw) -> dict:
    v: dict = {}
    for col in T3_COLS:
        parts = draw(st.lists(st.integers(0, 40), min_size=len(RESULTS), max_size=len(RESULTS)))
        carried_in, carried_out = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        handled = sum(parts)
        if handled + carried_out < carried_in:
            carried_out = carried_in - handled
        for k, n in zip(RESULTS, parts, strict=True):
            v[f"t3.{k}.{col}"] = n
        v[f"t3.carried_in.{col}"] = carried_in
        v[f"t3.carried_out.{col}"] = carried_out
        v[f"t3.new_received.{col}"] = handled + carried_out - carried_in
    for k in (
        "t2.regulations.issued",
        "t2.normative_documents.in_force",
        "t2.admin_licensing.decisions",
        "t4.review_upheld",
        "t4.suit_direct_pending",
    ):
        v[k] = draw(st.integers(0, 10_000))
    v["t2.admin_fees.amount"] = Decimal(draw(st.integers(0, 10**6))) / 100
    notices = draw(st.integers(0, 3))
    v["s6.fee_notices"] = notices
    notified = Decimal(draw(st.integers(0, 10**5))) / 100 if notices else Decimal(0)
    v["s6.fee_notified"] = notified
    v["s6.fee_collected"] = notified * Decimal(draw(st.integers(0, 100))) / 100
    return v


def _write_all(folder: Path, reports: list[dict], prefix: str = "单位") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, vals in enumerate(reports):
        sub = Submission(
            cover={"agency": f"{prefix}{i}", "code": code(hash(prefix) % 1000 * 100 + i), "year": 2025},
            values=vals,
        )
        out.append(make_template(folder / f"{prefix}{i}.xlsx", sub))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(report_values(), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_summary_is_the_cellwise_sum_in_any_order(tmp_path_factory, reports, rnd):
    d = tmp_path_factory.mktemp("m")
    files = _write_all(d, reports)
    s = merge([d])
    want = {k: sum((r.get(k, 0) for r in reports), 0) for k in SPEC.input_keys}
    assert s.submission.values == want
    assert s.submission.totals() == compute_totals(SPEC, want)
    assert all(isinstance(v, int) for k, v in s.submission.values.items() if SPEC.cells[k].type.kind == "int")
    assert isinstance(s.submission.values["t2.admin_fees.amount"], Decimal)
    # every error rule holds on the sum of valid inputs
    assert [f for f in check_submission(s.submission) if f.severity == "error"] == []
    shuffled = list(files)
    rnd.shuffle(shuffled)
    assert merge(shuffled).submission.values == want
    assert s.complete


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(report_values(), min_size=2, max_size=6))
def test_district_summaries_merge_upward_to_the_same_numbers(tmp_path_factory, reports):
    d = tmp_path_factory.mktemp("up")
    half = len(reports) // 2
    _write_all(d / "东区", reports[:half], "东区单位")
    _write_all(d / "西区", reports[half:], "西区单位")
    for name in ("东区", "西区"):
        write_summary(merge([d / name], agency=f"示例市{name}"), d / "区汇总" / f"{name}.xlsx")
    city = merge([d / "区汇总"], agency="示例市")
    at_once = merge([d / "东区", d / "西区"])
    assert city.submission.values == at_once.submission.values
    assert city.complete and all(r.valid for r in city.reports)


@pytest.fixture
def district(tmp_path):
    d = tmp_path / "收到"
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent", "type"])
        for i, n in enumerate(["甲局", "乙局", "丙局", "丁镇"], 1):
            w.writerow([n, code(i), "示例区", "部门"])
    d.mkdir()
    base = {"t3.new_received.natural_person": 3, "t3.granted.natural_person": 3}
    make_template(
        d / "甲局.xlsx", Submission(cover={"agency": "甲局", "code": code(1), "year": 2025}, values=base)
    )
    make_template(
        d / "乙局.xlsx", Submission(cover={"agency": "乙局", "code": code(2), "year": 2025}, values=base)
    )
    shutil.copy(d / "乙局.xlsx", d / "乙局（再发一次）.xlsx")  # the very same file twice
    bad = dict(base, **{"t3.carried_out.natural_person": 1})  # T3-BALANCE
    make_template(
        d / "丙局.xlsx", Submission(cover={"agency": "丙局", "code": code(3), "year": 2025}, values=bad)
    )
    make_template(d / "外单位.xlsx", Submission(cover={"agency": "外单位", "year": 2025}, values=base))
    shutil.copy(roster, d / "roster.csv")  # the roster sits in the folder: not a submission
    return d, roster


def test_statuses_against_the_roster(district, tmp_path):
    d, roster = district
    s = merge([d], roster=roster, year=2025)
    status = {(r.name, r.status, r.included) for r in s.records}
    assert status == {
        ("甲局", "已报送", True),
        ("乙局", "已报送", True),
        ("乙局", "重复", False),
        ("丙局", "有错误", False),
        ("外单位", "名单外", False),
        ("丁镇", "未报送", False),
    }
    assert {(f.code, f.severity) for f in s.findings} == {
        ("DUPLICATE-SUBMISSION", "warning"),
        ("UNEXPECTED-AGENCY", "warning"),
        ("MISSING-SUBMISSION", "error"),
    }
    assert s.submission.values["t3.new_received.natural_person"] == 6  # 甲 + 乙 once
    assert s.submission.agency == "示例区" and s.submission.year == 2025
    assert not s.complete
    s2 = merge([d], roster=roster, year=2025, include_invalid=True)
    assert s2.submission.values["t3.new_received.natural_person"] == 9
    assert "INCLUDED-INVALID" in {f.code for f in s2.findings}


@pytest.mark.parametrize(
    ("parents", "name"),
    [
        (["示例市/青川区", "示例市/青川区", "示例市/东湖区", "示例市"], "示例市"),  # a city's roster
        (["示例市/青川区", "示例市 ／ 青川区", "示例市>青川区"], "青川区"),  # one district's, as paths
        (["示例区", "示例区", "其他区"], "示例区"),  # plain names: the most common
    ],
)
def test_the_summary_is_named_by_the_level_the_roster_shares(tmp_path, parents, name):
    """A roster's 上级 as paths names the summary by the level every agency shares, never a
    path as a name (a city's roster named its summary 示例市/青川区, its most common 上级)."""
    roster = tmp_path / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        w.writerows([f"单位{i}", code(i + 1), p] for i, p in enumerate(parents))
    d = tmp_path / "收到"
    d.mkdir()
    make_template(d / "单位0.xlsx", Submission(cover={"agency": "单位0", "code": code(1), "year": 2025}))
    assert merge([d], roster=roster, year=2025).submission.agency == name


def test_two_different_files_for_one_agency_are_both_left_out(district):
    d, roster = district
    make_template(
        d / "甲局（修改）.xlsx",
        Submission(
            cover={"agency": "甲局", "code": code(1), "year": 2025},
            values={"t3.new_received.natural_person": 4, "t3.granted.natural_person": 4},
        ),
    )
    s = merge([d], roster=roster, year=2025)
    assert [r.included for r in s.records if r.name == "甲局"] == [False, False]
    dup = [f for f in s.findings if f.code == "DUPLICATE-SUBMISSION" and f.severity == "error"]
    assert len(dup) == 1 and "甲局" in dup[0].message


def test_cli_merge_outputs(district, tmp_path):
    d, roster = district
    out = tmp_path / "out" / "summary.xlsx"
    r = run("merge", d, "--roster", roster, "--year", 2025, "-o", out)
    assert r.exit_code == 1, r.output  # something missing and left out
    assert "未报送：丁镇" in r.stdout and "计入 2 个单位" in r.stdout
    wb = openpyxl.load_workbook(out)
    for name in ("表三", "报送情况", "明细", "明细（长表）", "问题清单", "图表"):
        assert name in wb.sheetnames
    status = [row for row in wb["报送情况"].iter_rows(min_row=4, values_only=True)]
    assert {(row[1], row[4]) for row in status} >= {
        ("丁镇", "未报送"),
        ("丙局", "有错误"),
        ("外单位", "名单外"),
    }
    assert all(len(row[7]) == 64 for row in status if row[6] and row[4] != "跳过")  # sha256 of every file
    assert ("跳过", "roster.csv") in {(row[4], row[6]) for row in status}  # listed, with why
    detail = wb["明细"]
    assert detail["A3"].value == "单位名称"  # row 2: the tables' headings, row 3: the columns'
    keys = [c.value for c in detail[1]][5:]  # row 1, hidden: the stable keys, for programs
    assert keys == list(SPEC.numeric_keys) and detail.row_dimensions[1].hidden
    assert len(wb["图表"]._charts) == 2  # no --previous: no year-on-year chart
    # the summary is the national form and valid input upward
    c = check_file(out)
    assert c.report.valid and c.submission.agency == "示例区"
    assert c.submission.values["t3.new_received.natural_person"] == 6
    j = run("merge", d, "--roster", roster, "-o", tmp_path / "s.json", "--format", "json")
    doc = json.loads(j.stdout)
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 6
    assert doc["status"]["未报送"] == 1 and doc["complete"] is False
    assert {f["code"] for f in doc["findings"]} >= {"MISSING-SUBMISSION", "T3-BALANCE"}
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["summary"] == doc["summary"]
    run("merge", d, "--roster", roster, "-o", tmp_path / "s.csv")
    rows = list(csv.reader((tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:6] == ["单位名称", "统一社会信用代码", "类型", "报送状态", "是否计入汇总", "文件"]
    assert rows[1][:6] == ["agency", "code", "type", "status", "included", "file"]
    assert (
        rows[-1][0].startswith("合计")
        and rows[-1][6 + list(SPEC.numeric_keys).index("t3.new_received.natural_person")] == "6"
    )
    assert run("merge", d, "-o", tmp_path / "s.txt").exit_code == 2


@pytest.mark.libreoffice
def test_the_detail_csv_reads_in_chinese_in_a_spreadsheet_and_by_its_keys_in_a_program(soffice, tmp_path):
    """``-o 明细.csv`` was headed by the stable keys alone (t2.regulations.issued…): a clerk who opens
    it in Excel cannot tell the columns apart. Row 1 is the 明细 sheet's headings in Chinese (what
    Excel and LibreOffice show on top), row 2 the stable keys: a program reads it with
    ``pandas.read_csv(p, header=1)`` and gets the keys as columns and numbers as numbers."""
    import pandas as pd

    from tests.office import convert

    out = tmp_path / "明细.csv"
    r = run("merge", ROOT / "samples", "--roster", ROOT / "samples" / "roster.csv", "--year", 2025, "-o", out)
    assert r.exit_code == 1  # the samples are incomplete on purpose
    assert out.read_bytes().startswith("\ufeff单位名称,".encode())  # UTF-8 with BOM: Excel opens it as UTF-8
    keys = list(SPEC.numeric_keys)
    s = merge([ROOT / "samples"], roster=ROOT / "samples" / "roster.csv", year=2025)
    total = s.submission.all_values()
    df = pd.read_csv(out, header=1, dtype={"code": str})
    assert list(df.columns) == ["agency", "code", "type", "status", "included", "file", *keys]
    finance = df[df["agency"] == "青川区财政局"]
    assert finance["code"].iloc[0] == "11110999MB0000006A"
    last = df.iloc[-1]
    assert last["agency"].startswith("合计") and last["status"] == "汇总"
    assert [k for k in keys if last[k] != float(total[k])] == [], "the 合计 row is the summary's"
    assert pd.api.types.is_numeric_dtype(df["t3.new_received.natural_person"])
    heads = pd.read_csv(out, nrows=0).columns
    assert heads[6] == "表二 规章／本年制发件数"
    assert "表三 三、本年度办理结果 （一）予以公开／自然人" in set(heads)
    assert len(set(heads)) == len(heads), "every column has its own heading"
    # LibreOffice Calc opens it (UTF-8, comma): Chinese on top, the keys under, numbers as numbers
    (xlsx,) = convert([out], tmp_path / "lo", to="xlsx", recalc=False, infilter="CSV:44,34,76,1")
    ws = openpyxl.load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(heads) and list(rows[1][6:]) == keys
    calc_total = rows[-1][6 + keys.index("t3.new_received.total")]
    assert isinstance(calc_total, int | float) and calc_total == total["t3.new_received.total"]


def test_clean_merge_exits_zero_and_is_deterministic(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    from tests.fixtures.build import clean

    make_template(d / "a.xlsx", clean(agency="甲", code=code(11)))
    b = clean(agency="乙", code=code(12))
    b.values.update(
        {"s6.fee_notices": 2, "s6.fee_notified": Decimal("150.50"), "s6.fee_collected": Decimal("100.25")}
    )
    make_template(d / "b.xlsx", b)
    make_template(d / "c.xlsx", clean(agency="丙", code=code(13)))
    make_template(d / "d.xlsx", clean(agency="丁", code=code(14)))  # 4 files: --jobs uses processes
    a = run("merge", d, "-o", tmp_path / "1.xlsx", "--year", 2025)
    assert a.exit_code == 0, a.output
    run("merge", d, "-o", tmp_path / "2.xlsx", "--jobs", 2, "--year", 2025)
    assert (tmp_path / "1.xlsx").read_bytes() == (tmp_path / "2.xlsx").read_bytes()


def test_text_from_inputs_stays_text(tmp_path):
    d = tmp_path / "in"
    make_template(d / "x.xlsx", Submission(cover={"agency": '=HYPERLINK("http://x","点我")', "year": 2025}))
    write_summary(merge([d]), tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb["明细"]["A4"].value.startswith("=HYPERLINK") and wb["明细"]["A4"].data_type == "s"


def test_dataframe(district):
    d, roster = district
    df = merge([d], roster=roster).to_frame()
    assert list(df.columns[:6]) == ["agency", "code", "type", "status", "included", "file"]
    assert len(df) == 6 and df.loc[df.agency == "甲局", "t3.new_received.natural_person"].item() == 3


def test_samples_main_job(tmp_path):
    out = tmp_path / "summary.xlsx"
    r = run(
        "merge",
        ROOT / "samples",
        "--roster",
        ROOT / "samples" / "roster.csv",
        "--year",
        2025,
        "--previous",
        ROOT / "samples-previous",
        "-o",
        out,
    )
    assert r.exit_code == 1
    wb = openpyxl.load_workbook(out)
    assert len(wb["图表"]._charts) == 3  # with the year-on-year chart
    assert check_file(out).report.errors == 0


def test_summary_recalculated_by_libreoffice(soffice, district, tmp_path):
    d, roster = district
    s = merge([d], roster=roster, year=2025)
    write_summary(s, tmp_path / "summary.xlsx")
    (out,) = recalc_and_save([tmp_path / "summary.xlsx"], tmp_path / "lo")
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(out))
    t3 = wb.get_sheet_by_name("表三").to_python(skip_empty_area=False)
    for k, v in s.submission.totals().items():
        c = SPEC.cells[k]
        if c.sheet == "表三":
            assert t3[c.row][c.col] == v, k
    checks = wb.get_sheet_by_name("校验").to_python(skip_empty_area=False)
    assert checks[1][1] == "全部通过"
    detail = wb.get_sheet_by_name("明细").to_python(skip_empty_area=False)
    col = 5 + list(SPEC.numeric_keys).index("t3.new_received.natural_person")
    assert detail[-1][col] == 6  # SUMIFS over included agencies, as LibreOffice computes it
    charts = wb.get_sheet_by_name("图表").to_python(skip_empty_area=False)
    handled = {row[0]: row[1] for row in charts if row and row[0] in ("予以公开", "部分公开")}
    assert handled == {"予以公开": 6, "部分公开": 0}
    import zipfile

    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(out).namelist())


def test_a_failed_write_leaves_the_old_summary_and_no_debris(tmp_path, monkeypatch):
    from toolkit.outputs import summary as summary_mod

    d = tmp_path / "in"
    make_template(d / "a.xlsx", Submission(cover={"agency": "甲", "year": 2025}))
    out = tmp_path / "out" / "summary.xlsx"
    s = merge([d])
    write_summary(s, out)
    before = out.read_bytes()

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(summary_mod, "_charts", boom)
    with pytest.raises(RuntimeError):
        write_summary(s, out)
    assert out.read_bytes() == before  # never a half-written summary
    assert sorted(p.name for p in out.parent.iterdir()) == ["summary.xlsx"]  # no temp files left


def test_an_identical_resend_does_not_make_the_merge_incomplete(tmp_path):
    d = tmp_path / "in"
    make_template(d / "甲.xlsx", Submission(cover={"agency": "甲局", "code": code(31), "year": 2025}))
    shutil.copy(d / "甲.xlsx", d / "甲（又发了一次）.xlsx")
    s = merge([d], year=2025)
    assert [f.code for f in s.findings] == ["DUPLICATE-SUBMISSION"] and s.findings[0].severity == "warning"
    assert len(s.included) == 1 and s.complete  # counted once; nothing left out
    assert run("merge", d, "-o", tmp_path / "s.xlsx", "--year", 2025).exit_code == 0


def test_problem_sheet_is_streamed_with_the_rows_validate_report_writes(tmp_path):
    """The summary's 问题清单 is streamed into the sheet (its memory does not grow with the
    findings); row for row it says what `validate --report` writes with xlsxwriter for the same
    files, errors' 级别 in red, the filter over every row."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("code_invalid.xlsx", "t3_balance.xlsx", "text_numbers.xlsx", "unit_yuan_in_wan.xlsx"):
        shutil.copy(ROOT / "tests" / "fixtures" / "fail" / name, src / name)
    r1 = run("merge", str(src), "-o", str(tmp_path / "s.xlsx"), "--include-invalid", "--year", "2025")
    r2 = run("validate", str(src), "--report", str(tmp_path / "r.xlsx"), "--year", "2025")
    assert r1.exit_code == 1 and r2.exit_code == 1, (r1.output, r2.output)

    def rows(path):
        ws = openpyxl.load_workbook(path)["问题清单"]
        return ws, [[c.value for c in row] for row in ws.iter_rows()]

    ws, merged = rows(tmp_path / "s.xlsx")
    _, reported = rows(tmp_path / "r.xlsx")
    files = [r for r in merged[1:] if r[0] != "（汇总）"]
    assert merged[0] == reported[0] and len(files) >= 4
    assert files == reported[1:]
    assert ws.auto_filter.ref == f"A1:L{len(merged)}"
    for row in ws.iter_rows(min_row=2):
        red = row[4].font.color is not None and row[4].font.color.rgb == "FF9C0006"
        assert red == (row[4].value == "错误"), [c.value for c in row]
        assert row[9].alignment.wrap_text


@pytest.mark.parametrize(
    ("note", "printed"),
    [
        (
            "有错误，未计入汇总（改正后重新报送，或使用 --include-invalid）",
            "有错误，未计入汇总（改正后重新报送）",
        ),
        (
            "数值不合常理（VALUE-IMPLAUSIBLE），即使使用 --include-invalid 也不计入汇总",
            "数值不合常理（VALUE-IMPLAUSIBLE），不计入汇总",
        ),
        ("按 --prefer 以 甲.xlsx 为准，此文件未计入", "按指定以 甲.xlsx 为准，此文件未计入"),
        ("均未计入汇总；请确认以哪个为准，再用 --prefer 指定", "均未计入汇总；请确认以哪个为准"),
        ("不在名单内，未计入汇总", "不在名单内，未计入汇总"),
    ],
)
def test_notes_on_paper_say_it_without_command_line_options(note, printed):
    from toolkit.outputs.findings_xlsx import paper_note

    assert paper_note(note) == printed


def test_a_cover_without_a_code_is_listed_with_its_roster_code(tmp_path):
    """A file whose cover names a roster agency but leaves the code empty is that agency's: its
    报送情况 and 明细 rows carry the roster's code, as serve's pages show the agency (they were
    blank); a cover with a code of its own keeps it in the row."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_template(folder / "甲.xlsx", Submission(cover={"agency": "示例区甲局", "year": 2025}))
    make_template(
        folder / "乙.xlsx", Submission(cover={"agency": "示例区乙局", "code": code(2), "year": 2025})
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"机关名称,统一社会信用代码\n示例区甲局,{code(1)}\n示例区乙局,{code(2)}\n", encoding="utf-8"
    )
    summary = merge([folder], roster=roster, year=2025)
    by_name = {r.name: r for r in summary.records}
    assert by_name["示例区甲局"].code == code(1) and by_name["示例区乙局"].code == code(2)
    out = tmp_path / "sum.xlsx"
    write_summary(summary, out)
    ws = openpyxl.load_workbook(out)["报送情况"]
    rows = {row[1]: row[2] for row in ws.iter_rows(values_only=True) if row[1] in by_name}
    assert rows == {"示例区甲局": code(1), "示例区乙局": code(2)}


def test_detail_rows_write_every_count_as_it_is(tmp_path):
    """明细 writes the usual counts (0 to 9,999) from a table of their texts: a count beyond it and
    a negative one (a clerk's typing: VALUE-NEGATIVE, not counted, still listed) as they are."""
    key = "t3.new_received.natural_person"
    other = "t2.regulations.issued" if "t2.regulations.issued" in SPEC.numeric_keys else SPEC.numeric_keys[0]
    given_values = {"甲局": 7, "乙局": 12345, "丙局": -3, "丁局": 9999}
    for i, (name, v) in enumerate(given_values.items()):
        make_template(
            tmp_path / f"{i}.xlsx",
            Submission(cover={"agency": name, "year": 2025}, values={key: v, other: 10_000 + i}),
        )
    s = merge([tmp_path], year=2025)
    write_summary(s, tmp_path / "out" / "summary.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)["明细"]
    col = 5 + list(SPEC.numeric_keys).index(key)
    col2 = 5 + list(SPEC.numeric_keys).index(other)
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] in given_values}
    assert {n: r[col] for n, r in rows.items()} == given_values
    assert sorted(r[col2] for r in rows.values()) == [10_000, 10_001, 10_002, 10_003]


def test_detail_rows_of_mostly_zero_counts_are_each_cell_in_its_column(tmp_path):
    """明细's usual row is built as a row of zeros with its non-zero counts put in: every cell in its
    own column, the first and the last ones too, beside rows that take the general way (a count past
    the table, a negative count, an amount with decimals, a workbook whose numbers were not read)."""
    keys = list(SPEC.numeric_keys)
    inputs = [k for k in keys if SPEC.cells[k].kind == "input"]
    counts = [k for k in inputs if not (SPEC.cells[k].type and SPEC.cells[k].type.kind == "decimal")]
    amount = next(k for k in inputs if SPEC.cells[k].type and SPEC.cells[k].type.kind == "decimal")
    given = {
        "全零局": {},
        "首末局": {counts[0]: 9999, counts[-1]: 1},
        "稀疏局": {k: (i * 37) % 10_000 for i, k in enumerate(counts) if i % 5 == 0},
        "满格局": {k: i + 1 for i, k in enumerate(counts)},
        "大数局": {counts[3]: 10_000, counts[4]: 5},
        "负数局": {counts[3]: -2, counts[4]: 5},
        "小数局": {amount: Decimal("12.5"), counts[4]: 5},
    }
    for i, (name, values) in enumerate(given.items()):
        make_template(tmp_path / f"{i}.xlsx", Submission(cover={"agency": name, "year": 2025}, values=values))
    (tmp_path / "坏.xlsx").write_bytes((tmp_path / "0.xlsx").read_bytes()[:2000])
    s = merge([tmp_path], year=2025)
    write_summary(s, tmp_path / "out" / "summary.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "out" / "summary.xlsx", read_only=True)["明细"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] in given}
    assert rows.keys() == given.keys()
    for name, values in given.items():
        row = rows[name]
        assert len(row) >= 5 + len(keys)
        got = {k: row[5 + j] for j, k in enumerate(keys) if SPEC.cells[k].kind == "input"}
        want = {k: values.get(k, 0) for k in got}
        assert got == want, name


def test_skipped_files_of_one_name_are_told_apart_by_their_folder(tmp_path, monkeypatch):
    """Three 备注.txt in three folders were three identical 跳过 lines; a name several skipped files
    share is said with its folder (relative to where the command ran), a name of its own as before."""
    for d in ("甲", "乙", "丙"):
        (tmp_path / "in" / d).mkdir(parents=True)
        (tmp_path / "in" / d / "备注.txt").write_text("备注", encoding="utf-8")
    (tmp_path / "in" / "单独.txt").write_text("x", encoding="utf-8")
    make_template(tmp_path / "in" / "a.xlsx", Submission(cover={"agency": "甲局", "year": 2025}))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["merge", "in", "-o", "out.xlsx", "--year", "2025"])
    lines = [x.strip() for x in r.output.splitlines() if x.strip().startswith("跳过：")]
    assert sorted(lines) == sorted(
        [
            *(f"跳过：in/{d}/备注.txt，纯文本文件，不是填报表" for d in ("甲", "乙", "丙")),
            "跳过：单独.txt，纯文本文件，不是填报表",
        ]
    ), r.output
