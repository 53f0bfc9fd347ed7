"""The fill-in workbook, inspected with openpyxl: every key at its label, formulas on totals,
validation, protection, hidden metadata, determinism, text safety, values and rosters."""

from __future__ import annotations

import csv
import json
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from toolkit.cli import main
from toolkit.formulas import total_formula
from toolkit.model import Submission
from toolkit.reader import read_file
from toolkit.spec import load_spec
from toolkit.template import make_roster_templates, make_template, safe_filename
from toolkit.uscc import uscc_check_char
from toolkit.values import ValuesError, submission_from_values


def code(i: int) -> str:
    body = f"11110999MB{i:07d}"
    return body + uscc_check_char(body)


@pytest.fixture(scope="module")
def blank(tmp_path_factory):
    path = tmp_path_factory.mktemp("t") / "blank.xlsx"
    make_template(path, Submission(cover={"agency": "测试局", "year": 2025}))
    return path


def test_sheets_and_metadata(blank, spec):
    wb = openpyxl.load_workbook(blank)
    assert wb.sheetnames == [
        "填报说明",
        "封面",
        "表二",
        "表三",
        "表四",
        "信息处理费",
        "文字",
        "校验",
        "_meta",
    ]
    meta = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    assert meta["format"] == "gov-2021"
    assert meta["version"] == str(spec.version)
    assert meta["spec_sha256"] == spec.sha256
    assert meta["year"] == "2025"
    assert wb["_meta"].sheet_state == "veryHidden"


def test_every_key_once_inputs_unlocked_totals_locked_with_formulas(blank, spec):
    wb = openpyxl.load_workbook(blank)
    seen = set()
    for key, c in spec.cells.items():
        assert (c.sheet, c.a1) not in seen
        seen.add((c.sheet, c.a1))
        cell = wb[c.sheet][c.a1]
        if c.kind == "total":
            assert cell.value == total_formula(spec, key), key
            assert cell.protection.locked
        elif c.kind == "input":
            assert cell.value == 0, key
            assert not cell.protection.locked, key
        else:
            assert not cell.protection.locked, key
    # labels are where the spec puts them, as text
    for lab in spec.labels:
        assert wb[lab.sheet].cell(lab.row + 1, lab.col + 1).value == lab.text


def test_validation_and_protection(blank, spec):
    wb = openpyxl.load_workbook(blank)
    for name in ("表二", "表三", "表四", "信息处理费"):
        ws = wb[name]
        assert ws.protection.sheet, name
        dvs = ws.data_validations.dataValidation
        assert dvs, name
        covered = set()
        for dv in dvs:
            assert dv.type in ("whole", "decimal")
            assert dv.operator == "greaterThanOrEqual" and dv.formula1 == "0"
            assert dv.showErrorMessage and dv.error
            for rng in dv.sqref.ranges:
                for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                    for cell in row:
                        covered.add(cell.coordinate)
        inputs = {c.a1 for c in spec.cells.values() if c.sheet == name and c.kind == "input"}
        assert inputs <= covered, inputs - covered
    fee = spec.cells["t2.admin_fees.amount"].a1
    fee_dv = next(dv for dv in wb["表二"].data_validations.dataValidation if fee in str(dv.sqref))
    assert fee_dv.type == "decimal"
    merged = {str(r) for r in wb["表三"].merged_cells.ranges}
    assert "A3:C5" in merged  # the 勾稽 note in the corner
    assert "D3:J3" in merged  # 申请人情况 over all seven columns
    assert wb["表三"].page_setup.paperSize == 9 and wb["表三"].page_setup.orientation == "landscape"
    assert wb["表三"].conditional_formatting  # live red cells


def test_text_from_users_stays_text(tmp_path):
    path = make_template(
        tmp_path / "x.xlsx", Submission(cover={"agency": "=1+2", "parent": "@SUM(A1)", "contact": "+86 张三"})
    )
    wb = openpyxl.load_workbook(path)
    cell = wb["封面"]["B3"]
    assert cell.value == "=1+2" and cell.data_type == "s"
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet2.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere on the cover
    assert read_file(path).submission.agency == "=1+2"


def test_deterministic_bytes(tmp_path):
    sub = Submission(cover={"agency": "甲", "year": 2025}, values={"t3.new_received.natural_person": 3})
    a = make_template(tmp_path / "a.xlsx", sub).read_bytes()
    b = make_template(tmp_path / "b.xlsx", sub).read_bytes()
    assert a == b


def test_values_fill_and_totals(tmp_path, spec):
    data = {
        "format": "gov-2021",
        "cover": {"agency": "乙", "year": 2025},
        "values": {
            "t3.new_received.natural_person": 4,
            "t3.granted.natural_person": 4,
            "t3.granted.total": 4,  # agrees with its parts: the formula stays
            "t3.result_total.total": 9,  # disagrees: written as the reported number
            "t2.admin_fees.amount": "1.5",
        },
    }
    path = make_template(tmp_path / "v.xlsx", submission_from_values(data))
    wb = openpyxl.load_workbook(path)
    assert wb["表三"][spec.cells["t3.granted.total"].a1].value == total_formula(spec, "t3.granted.total")
    assert wb["表三"][spec.cells["t3.result_total.total"].a1].value == 9
    assert wb["表二"][spec.cells["t2.admin_fees.amount"].a1].value == 1.5
    r = read_file(path)
    codes = {(f.code, f.cell) for f in r.findings}
    assert ("FORMULA-OVERWRITTEN", spec.cells["t3.result_total.total"].a1) in codes
    assert r.submission.values["t2.admin_fees.amount"] == Decimal("1.5")


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"t3.nope.total": 1}, "t3.nope.total"),
        ({"t3.granted.business": "abc"}, "t3.granted.business"),
        ({"t3.granted.business": -1}, "负数"),
        ({"t3.granted.business": 1.5}, "不是整数"),
        ({"cover.agency": "x"}, "cover.agency"),
    ],
)
def test_bad_values_name_the_key(values, needle):
    with pytest.raises(ValuesError) as exc:
        submission_from_values({"format": "gov-2021", "values": values})
    assert needle in str(exc.value)


def test_wrong_format_in_values():
    with pytest.raises(ValuesError, match="gov-2019"):
        submission_from_values({"format": "gov-2019", "values": {}})


def test_cli_template_single_and_errors(tmp_path):
    r = CliRunner().invoke(
        main,
        [
            "template",
            "-o",
            str(tmp_path / "a.xlsx"),
            "--year",
            "2025",
            "--agency",
            "区财政局",
            "--code",
            code(3),
        ],
    )
    assert r.exit_code == 0, r.output
    sub = read_file(tmp_path / "a.xlsx").submission
    assert (sub.agency, sub.code, sub.year) == ("区财政局", code(3), 2025)
    r = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "b.xlsx"), "--code", "123"])
    assert r.exit_code == 2 and "统一社会信用代码" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"values": {"t9.x": 1}}), encoding="utf-8")
    r = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "c.xlsx"), "--values", str(bad)])
    assert r.exit_code == 2 and "t9.x" in r.output
    assert not (tmp_path / "c.xlsx").exists()


def test_roster_of_120_agencies(tmp_path):
    roster = tmp_path / "roster.csv"
    rows = [
        {"机关名称": f"示例区第{i}局", "统一社会信用代码": code(i), "上级": "示例区", "类型": "部门"}
        for i in range(1, 121)
    ]
    rows.append({"机关名称": "示例区/坏:名字*", "统一社会信用代码": code(500), "上级": "", "类型": ""})
    rows.append({"机关名称": "代码错的局", "统一社会信用代码": code(7)[:17] + "0", "上级": "", "类型": ""})
    rows.append({"机关名称": "重复的局", "统一社会信用代码": code(1), "上级": "", "类型": ""})
    with roster.open("w", encoding="gbk", newline="") as fh:  # as Excel in China saves CSV
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    files, findings = make_roster_templates(roster, tmp_path / "out", year=2025)
    assert len(files) == 122  # 120 + the odd name + the bad code (reported, not skipped)
    assert {f.code for f in findings} == {"CODE-INVALID", "DUPLICATE-SUBMISSION"}
    assert (tmp_path / "out" / "示例区_坏_名字_.xlsx").exists()
    sub = read_file(tmp_path / "out" / "示例区第42局.xlsx").submission
    assert (sub.agency, sub.code, sub.year, sub.cover["parent"]) == ("示例区第42局", code(42), 2025, "示例区")
    r = CliRunner().invoke(
        main, ["template", "--roster", str(roster), "-o", str(tmp_path / "cli"), "--year", "2025"]
    )
    assert r.exit_code == 1  # the roster had errors: reported, templates still made
    assert "CODE-INVALID" in r.output and "已生成 122 个模板" in r.output


def test_roster_without_name_column(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("单位,x\n", encoding="utf-8")
    roster.write_text("foo,bar\n1,2\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["template", "--roster", str(roster), "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "机关名称" in r.output


def test_safe_filename():
    assert safe_filename('a/b\\c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_filename("  ..  ") == "未命名单位"
    assert len(safe_filename("长" * 300)) == 80


def test_roster_as_xlsx_with_chinese_headers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号说明"])  # a title line above the header, as offices do
    ws.append([])
    ws.append(["机关名称", "统一社会信用代码", "上级", "类型"])
    ws.append(["甲局", code(1), "示例区", "部门"])
    ws.append(["乙镇", None, "示例区", "乡镇"])
    wb.save(tmp_path / "名单.xlsx")
    from toolkit.roster import read_roster

    roster = read_roster(tmp_path / "名单.xlsx")  # the title line above the header is skipped
    assert [(e.name, e.code, e.type) for e in roster.entries] == [
        ("甲局", code(1), "部门"),
        ("乙镇", "", "乡镇"),
    ]
    files, findings = make_roster_templates(tmp_path / "名单.xlsx", tmp_path / "out", year=2025)
    assert len(files) == 2 and not findings


def test_guide_says_whom_to_contact(tmp_path):
    r = CliRunner().invoke(
        main, ["template", "-o", str(tmp_path / "a.xlsx"), "--contact", "区政务公开办 张三 010-00000000"]
    )
    assert r.exit_code == 0, r.output
    guide = [c.value for c in openpyxl.load_workbook(tmp_path / "a.xlsx")["填报说明"]["A"] if c.value]
    assert any("区政务公开办 张三 010-00000000" in line for line in guide)
    assert any("部分公开" in line for line in guide) and any(
        "第一项加第二项" in line or "一、本年新收" in line for line in guide
    )
    make_template(tmp_path / "b.xlsx")
    guide = [c.value for c in openpyxl.load_workbook(tmp_path / "b.xlsx")["填报说明"]["A"] if c.value]
    assert any("请联系" in line for line in guide)


def test_outputs_get_normal_file_modes(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    os.umask(old)
    p = make_template(tmp_path / "a.xlsx")
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~old  # not mkstemp's 0600
    os.chmod(p, 0o640)
    make_template(p)  # replacing a file keeps its mode
    assert stat.S_IMODE(p.stat().st_mode) == 0o640


def test_table_two_is_the_official_single_table(tmp_path):
    """表二 as printed in the official form: one four-column table, the blocks one under the other
    without blank rows, the one-column blocks' header and values merged across the three columns."""
    spec = load_spec()
    path = make_template(tmp_path / "t.xlsx", Submission(spec=spec, cover={"agency": "甲", "year": 2025}))
    ws = openpyxl.load_workbook(path)["表二"]
    last = max(spec.cells[k].row for k in spec.cells if k.startswith("t2.")) + 1
    blank = [r for r in range(3, last + 1) if all(ws.cell(r, c).value in (None, "") for c in range(1, 5))]
    assert blank == []  # no gap between the blocks
    merged = {str(m) for m in ws.merged_cells.ranges}
    for key in ("t2.admin_licensing.decisions", "t2.admin_penalty.decisions", "t2.admin_fees.amount"):
        c = spec.cells[key]
        assert f"B{c.row + 1}:D{c.row + 1}" in merged, key  # the value across the table
        assert f"B{c.row}:D{c.row}" in merged, key  # its header above it
    assert [ws.cell(r, 1).value for r in range(1, last + 1)].count("信息内容") == 4


def test_a_workbook_of_the_previous_template_version_is_still_read(tmp_path):
    """A form filled in last season's template (version 1: 表二 as four blocks apart) reads the
    same numbers as the same form in the current template, each at its own cells."""
    from tests.fixtures.build import clean

    old = load_spec("gov-2021", 1)
    spec = load_spec()
    assert spec.version == 2 and spec.older_versions == (1,)
    v1 = ROOT / "tests" / "fixtures" / "pass" / "clean.xlsx"  # written by template version 1
    assert openpyxl.load_workbook(v1)["_meta"]["B2"].value == "1"
    r1 = read_file(v1)
    r2 = read_file(make_template(tmp_path / "v2.xlsx", clean()))
    assert [f.code for f in r1.findings] == [] and [f.code for f in r2.findings] == []
    assert r1.submission.values == r2.submission.values
    key = "t2.admin_fees.amount"
    assert r1.submission.where[key] == f"表二!{old.cells[key].a1}" == "表二!B19"
    assert r2.submission.where[key] == f"表二!{spec.cells[key].a1}" == "表二!B16"


def test_formulas_prepared_as_xlsxwriter_prepares_them(tmp_path, monkeypatch):
    """Formula preparation skips xlsxwriter's substitutions (~30; ~170 with future functions
    expanded, as conditional formats ask) for a formula none of them matches: every formula a
    template, a summary and a 2019 template write, and formulas that do need them, come out
    exactly as xlsxwriter's own preparation gives them, in every mode."""
    from xlsxwriter.worksheet import Worksheet

    import toolkit.template as tpl
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary

    seen: list[str] = []
    real = tpl._prepared

    def recording(formula: str, future: bool, expand: bool) -> str:
        seen.append(formula)
        return real(formula, future, expand)

    monkeypatch.setattr(tpl, "_prepared", recording)
    make_template(tmp_path / "t.xlsx", Submission(cover={"agency": "某局", "year": 2025}))
    make_template(tmp_path / "t19.xlsx", spec=load_spec("gov-2019"))
    write_summary(merge([tmp_path / "t.xlsx"]), tmp_path / "sum.xlsx")
    odd = [
        "=XLOOKUP(A1,B1:B2,C1:C2)",
        "{=SUM(A1:A2)}",
        "=_xlfn.CONCAT(A1)",
        "=A1+FILTER(B1:B3,C1:C3)",
        "=ISERROR(XSINGLE(A1))",
        "=SUM(A1)",
        "SUM(A1)",
        "{SORT(A1:A3)}",
        "=IFS(A1>0,1,TRUE,0)",
        "=STDEV.S(A1:A3)+CONCAT(B1)",
        "=IFERROR(A1/B1,0)",
        "=SINGLE(A1)",
        '=AND($E4="重复",ISNUMBER(SEARCH("内容相同",$L4)))',
        # the patterns are searched reversed: boundaries and "." as any character both ways
        "=BETA.DIST(A1,1,1,TRUE)",
        "=BETAXDIST(A1)+MYXLOOKUP(A1)+X.XLOOKUP(A1)",
        '=A1&"LAMBDA("&SINGLE (A1)',
        "=表一!A1+ANCHORARRAY(B1)+F.DIST.RT(1,2,3)",
        "=(XLOOKUP(A1,B1:B2,C1:C2))",
    ]
    assert len(set(seen)) > 100
    for f in {*seen, *odd}:
        for future, expand in ((False, False), (False, True), (True, False), (True, True)):
            real.cache_clear()
            got = real(f, future, expand)
            assert got == Worksheet._prepare_formula(tpl._Prep(future), f, expand), (f, future, expand)


def test_templates_already_in_the_folder_are_said_with_the_folder_named_as_a_folder(tmp_path, monkeypatch):
    """“错误：模板 中已有同名的模板” read as if 模板 were a word of the sentence: the folder is
    named as a folder (文件夹 模板/), as the clerk typed it with -o 模板/."""
    monkeypatch.chdir(tmp_path)
    args = ["template", "--roster", str(ROOT / "samples" / "roster.csv"), "--year", "2025", "-o", "模板/"]
    assert CliRunner().invoke(main, args).exit_code == 0
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    line = r.stderr.strip()
    assert line.startswith("错误：文件夹 模板/ 中已有同名的模板（"), line
    assert "一个也未生成" in line and "--force" in line
