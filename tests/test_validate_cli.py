"""``xxgk validate`` and ``xxgk export`` as a coordinator runs them, on real files."""

from __future__ import annotations

import json
import re
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES, ROOT
from toolkit.cli import main
from toolkit.reader import read_file
from toolkit.template import make_template
from toolkit.values import load_values


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r


@pytest.fixture
def inbox(tmp_path):
    """A folder as it arrives by e-mail: good files, bad files, a lock file, a sub-folder."""
    d = tmp_path / "收到的文件"
    (d / "乡镇").mkdir(parents=True)
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", d / "甲.xlsx")
    shutil.copy(FIXTURES / "pass" / "clean_lo.xlsx", d / "乡镇" / "乙.xlsx")
    shutil.copy(FIXTURES / "fail" / "t3_balance.xlsx", d / "丙.xlsx")
    shutil.copy(FIXTURES / "fail" / "truncated.xlsx", d / "丁.xlsx")
    (d / "~$甲.xlsx").write_bytes(b"lock")  # Excel's lock file: skipped
    (d / "说明.txt").write_text("x", encoding="utf-8")  # not a workbook: skipped in folders
    return d


def test_json_output_shape_and_exit_code(inbox):
    r = run("validate", inbox, "--year", 2025, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["summary"] == {"files": 4, "valid": 2, "invalid": 2, "errors": 2, "warnings": 0, "skipped": 2}
    why = {s["file"].rsplit("/", 1)[-1]: s["reason"] for s in doc["skipped"]}
    assert why["~$甲.xlsx"].startswith("Excel/WPS 的临时锁定文件") and why["说明.txt"].startswith(
        "纯文本文件"
    )
    by_name = {f["file"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert set(by_name) == {"甲.xlsx", "乙.xlsx", "丙.xlsx", "丁.xlsx"}
    f = by_name["丙.xlsx"]
    assert {"file", "agency", "code", "year", "format", "valid", "findings"} <= set(f)
    assert f["agency"] == "青川区测试局" and f["year"] == 2025 and f["format"] == "gov-2021"
    fd = f["findings"][0]
    assert {"code", "severity", "file", "sheet", "cell", "key", "message", "expected", "actual"} <= set(fd)
    assert (fd["code"], fd["sheet"], fd["cell"], fd["expected"], fd["actual"]) == (
        "T3-BALANCE",
        "表三",
        "D30",
        3,
        4,
    )
    assert by_name["丁.xlsx"]["findings"][0]["code"] == "FILE-UNREADABLE"


def test_exit_codes(inbox, tmp_path):
    assert run("validate", inbox / "甲.xlsx", "--year", 2025).exit_code == 0
    assert run("validate", inbox / "甲.xlsx", "--year", 2024).exit_code == 1  # YEAR-MISMATCH
    assert run("validate", FIXTURES / "fail" / "value_placeholder.xlsx").exit_code == 0  # warnings only
    assert run("validate", tmp_path / "nothing-here").exit_code == 2
    assert run("validate", inbox, "--format", "yaml").exit_code == 2


def test_text_output(inbox):
    r = run("validate", inbox, "--year", 2025)
    assert "✗" in r.stdout and "[T3-BALANCE] 表三!D30" in r.stdout
    assert r.stdout.strip().splitlines()[-1].startswith("共 4 个文件：2 个通过，2 个有错误")


def test_globs_and_jobs_agree(inbox):
    serial = json.loads(run("validate", str(inbox / "*.xlsx"), "--format", "json").stdout)
    assert serial["summary"]["files"] == 3  # not recursive, and Excel's lock file is skipped
    par = json.loads(run("validate", inbox, "--format", "json", "--jobs", 2).stdout)
    one = json.loads(run("validate", inbox, "--format", "json").stdout)
    assert par == one


def test_previous_year(tmp_path):
    from toolkit.model import Submission
    from toolkit.uscc import uscc_check_char

    code = "11110999MB0000009" + uscc_check_char("11110999MB0000009")
    last = Submission(
        cover={"agency": "戊局", "code": code, "year": 2024},
        values={
            "t3.new_received.natural_person": 5,
            "t3.granted.natural_person": 3,
            "t3.carried_out.natural_person": 2,
            "t2.normative_documents.in_force": 10,
        },
    )
    make_template(tmp_path / "2024" / "戊局.xlsx", last)
    this = Submission(
        cover={"agency": "戊局（改名了）", "code": code, "year": 2025},
        values={
            "t3.new_received.natural_person": 1,
            "t3.carried_in.natural_person": 1,
            "t3.granted.natural_person": 2,
            "t2.normative_documents.issued": 2,
            "t2.normative_documents.in_force": 11,
        },
    )
    make_template(tmp_path / "2025" / "戊局.xlsx", this)
    r = run("validate", tmp_path / "2025", "--previous", tmp_path / "2024", "--format", "json")
    found = {(f["code"], f["cell"]) for f in json.loads(r.stdout)["files"][0]["findings"]}
    assert ("PREV-CARRYOVER", "D7") in found and ("PREV-CARRYOVER", "J7") in found  # 1 vs last year's 2
    assert ("PREV-IN-FORCE", "D6") in found  # 11 vs 10 + 2 - 0
    assert r.exit_code == 0  # warnings only
    make_template(
        tmp_path / "copy" / "戊局.xlsx",
        Submission(cover={"agency": "戊局", "year": 2025}, values=last.values),
    )
    r = run("validate", tmp_path / "copy", "--previous", tmp_path / "2024", "--format", "json")
    assert "PREV-IDENTICAL" in {
        f["code"] for f in json.loads(r.stdout)["files"][0]["findings"]
    }  # matched by name


def test_report_workbook(inbox, tmp_path):
    out = tmp_path / "问题清单.xlsx"
    r = run("validate", inbox, "--report", out)
    assert r.exit_code == 1
    ws = openpyxl.load_workbook(out)["问题清单"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("文件", "机关名称", "统一社会信用代码", "报告年度", "级别", "规则代码")
    assert len(rows) == 1 + 2  # 丙: T3-BALANCE (once, at D30), 丁: FILE-UNREADABLE
    assert ws.auto_filter.ref


def test_annotated_copies(inbox, tmp_path):
    import hashlib

    before = hashlib.sha256((inbox / "丙.xlsx").read_bytes()).hexdigest()
    out = tmp_path / "退回"
    r = run("validate", inbox, "--annotate", out)
    assert r.exit_code == 1
    assert hashlib.sha256((inbox / "丙.xlsx").read_bytes()).hexdigest() == before  # input untouched
    wb = openpyxl.load_workbook(out / "丙_批注.xlsx")
    assert wb.sheetnames[0] == "问题清单"
    cell = wb["表三"]["D30"]
    assert cell.comment is not None and "T3-BALANCE" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert (out / "丁_问题清单.xlsx").exists()  # unreadable file: the list alone
    assert read_file(out / "丙_批注.xlsx").submission.values == read_file(inbox / "丙.xlsx").submission.values


def test_export_round_trip(tmp_path):
    src = FIXTURES / "pass" / "clean_lo.xlsx"
    r = run("export", src)
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["format"] == "gov-2021" and doc["cover"]["year"] == 2025
    assert doc["values"]["t2.admin_fees.amount"] == "12.35"
    assert doc["where"]["t3.new_received.natural_person"] == "表三!D6"
    (tmp_path / "v.json").write_text(r.stdout, encoding="utf-8")
    assert run("template", "--values", tmp_path / "v.json", "-o", tmp_path / "again.xlsx").exit_code == 0
    again = read_file(tmp_path / "again.xlsx").submission
    assert again.all_values() == read_file(src).submission.all_values()
    assert again.texts == read_file(src).submission.texts
    assert load_values(tmp_path / "v.json").values == again.values
    r = run("export", src, "--format", "csv", "-o", tmp_path / "v.csv")
    lines = (tmp_path / "v.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "key,label,value,kind,reported,cell" and len(lines) == 1 + 203


def test_export_never_writes_a_refused_number(tmp_path):
    """A 30-digit money amount (stored so in the xlsx) and 1E+300 applications are refused at their
    cells (VALUE-IMPLAUSIBLE, exit 1) and exported as null / empty, never as a float that lost digits."""
    import re

    from tests.fixtures.build import patch_sheet
    from toolkit.spec import load_spec

    fee = load_spec("gov-2021", 1).cells["t2.admin_fees.amount"]  # clean.xlsx: template version 1

    def thirty_digits(data: bytes) -> bytes:
        return re.sub(
            rf'<c r="{fee.a1}"[^>]*?(?:/>|>.*?</c>)'.encode(),
            f'<c r="{fee.a1}"><v>123456789012345678901234567890.12</v></c>'.encode(),
            data,
            count=1,
        )

    money = patch_sheet(FIXTURES / "pass" / "clean.xlsx", tmp_path / "money.xlsx", fee.sheet, thirty_digits)
    for src, key, cell in (
        (money, "t2.admin_fees.amount", f"{fee.sheet}!{fee.a1}"),
        (FIXTURES / "fail" / "value_implausible.xlsx", "t4.review_other", "表四!C6"),
    ):
        r = run("export", src, "-o", tmp_path / "v.json", "--force")
        assert r.exit_code == 1 and f"[VALUE-IMPLAUSIBLE] {cell}" in r.stderr, r.output
        assert json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))["values"][key] is None
        r = run("export", src, "--format", "csv")
        assert [line.split(",")[2] for line in r.stdout.splitlines() if line.startswith(key + ",")] == [""]
    # nor a total made of it (t4.review_total = 2 + 1 + 1E+300 + 0)
    assert [line.split(",")[2] for line in r.stdout.splitlines() if line.startswith("t4.review_total,")] == [
        ""
    ]


def test_export_of_a_bad_file(tmp_path):
    r = run("export", FIXTURES / "fail" / "pdf_renamed.xlsx")
    assert r.exit_code == 1 and "PDF" in r.output


def test_samples_validate_as_documented():
    """samples/README.md lists the defects; the shipped samples carry exactly them."""
    r = run(
        "validate",
        ROOT / "samples",
        "--year",
        2025,
        "--previous",
        ROOT / "samples-previous",
        "--format",
        "json",
    )
    doc = json.loads(r.stdout)
    codes = {(f["file"].rsplit("/", 1)[-1], x["code"]) for f in doc["files"] for x in f["findings"]}
    expected = {
        ("青川区公安分局.xlsx", "T3-BALANCE"),
        ("青川区民政局.xlsx", "FORMULA-OVERWRITTEN"),
        ("青川区民政局.xlsx", "T3-ROW-TOTAL"),
        ("青川区司法局.xlsx", "S6-FEES"),
        ("青川区司法局.xlsx", "TEXT-TABLE-MISMATCH"),
        ("青川区北山镇人民政府.xlsx", "CODE-INVALID"),
        ("青川区南湖乡人民政府.xlsx", "FILE-UNREADABLE"),
        ("青川区河西镇人民政府.xlsx", "COVER-MISSING"),
        ("青川区河西镇人民政府.xlsx", "VALUE-NOT-NUMBER"),
        ("青川区河西镇人民政府.xlsx", "VALUE-NEGATIVE"),
        ("青川区住房和城乡建设委员会.xlsx", "VALUE-PLACEHOLDER"),
        ("青川区住房和城乡建设委员会.xlsx", "VALUE-TEXT-NUMBER"),
        ("青川区住房和城乡建设委员会.xlsx", "T3-BALANCE"),
        ("青川区人力资源和社会保障局.xlsx", "PREV-CARRYOVER"),
        ("青川区生态环境局.xlsx", "PREV-IN-FORCE"),
        ("青川区城市管理委员会.xlsx", "PREV-IDENTICAL"),
        ("青川区城市管理委员会.xlsx", "PREV-IN-FORCE"),
        ("北京市密云区融媒体中心_2023.xlsx", "YEAR-MISMATCH"),
    }
    assert codes == expected
    # the cells the table names are where the findings are (the current template's layout)
    text_cells = {
        f"{x['sheet']}!{x['cell']}"
        for f in doc["files"]
        if f["file"].endswith("青川区住房和城乡建设委员会.xlsx")
        for x in f["findings"]
        if x["code"] == "VALUE-TEXT-NUMBER"
    }
    table = (ROOT / "samples" / "README.md").read_text(encoding="utf-8")
    assert (
        text_cells == {"表二!B12", "表三!D6", "表三!D8"}
        and "`VALUE-TEXT-NUMBER` at 表二!B12, 表三!D6 and D8" in table
    )
    unlisted = [f for f in doc["files"] if f"`{f['file'].rsplit('/', 1)[-1]}`" not in table]
    assert not any(f["findings"] for f in unlisted)
    assert f"| {len(unlisted)} files not listed below |" in table


def test_samples_are_made_with_the_current_template():
    """A newcomer's first command shows the current layout: every shipped workbook (samples and
    last year's) declares the current template version of its format."""
    from toolkit.spec import load_spec
    from toolkit.validate import declared_property

    books = sorted((ROOT / "samples").glob("*.xlsx")) + sorted((ROOT / "samples-previous").glob("*.xlsx"))
    made = {
        f"{p.parent.name}/{p.name}": declared_property(p, "version")
        for p in books
        if declared_property(p, "format")
    }
    assert len(made) == 19 + 19  # 19 last year; this year's 20 but the CSV renamed to .xlsx
    assert set(made.values()) == {str(load_spec().version)}, made


def test_public_api(tmp_path):
    import toolkit
    from toolkit.reader import UnreadableWorkbook

    sub = toolkit.read_workbook(FIXTURES / "fail" / "value_placeholder.xlsx")
    assert isinstance(sub, toolkit.Submission) and sub.agency == "青川区测试局"
    assert [f.code for f in sub.findings] == ["VALUE-PLACEHOLDER"]
    with pytest.raises(UnreadableWorkbook) as exc:
        toolkit.read_workbook(FIXTURES / "fail" / "pdf_renamed.xlsx")
    assert exc.value.findings[0].code == "FILE-UNREADABLE"
    reports = toolkit.validate([FIXTURES / "fail" / "t3_balance.xlsx"], year=2025)
    assert [f.code for f in reports[0].findings] == ["T3-BALANCE"]
    # as the CLI: a typo'd path or a --previous of the same year raises, never [] or a self-comparison
    from toolkit.validate import InputError

    one = ROOT / "samples" / "青川区司法局.xlsx"
    for paths, prev in (([tmp_path / "sampels"], None), ([one], [one]), ([one], [tmp_path / "去年"])):
        with pytest.raises(InputError):
            toolkit.validate(paths, previous=prev)
    assert len(toolkit.validate([one], previous=[ROOT / "samples-previous"])) == 1
    path = toolkit.make_template(
        tmp_path / "a.xlsx", toolkit.Submission(cover={"agency": "甲", "year": 2025})
    )
    summary = toolkit.merge([path])
    toolkit.write_summary(summary, tmp_path / "s.xlsx")
    assert toolkit.read_workbook(tmp_path / "s.xlsx").agency == "汇总"
    assert set(toolkit.__all__) >= {"make_template", "read_workbook", "validate", "merge"}


def test_cli_starts_without_pandas():
    import subprocess
    import sys

    code = "import sys, toolkit.cli; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_command_is_documented():
    """The README mentions every command, and every command has help with an example."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert f"xxgk {name}" in readme, name
        r = run(name, "--help")
        assert r.exit_code == 0 and "例" in r.output, name


def test_unwritable_output_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    for args in (
        ["template", "-o", blocker / "t.xlsx"],
        ["merge", FIXTURES / "pass" / "clean.xlsx", "-o", blocker / "s.xlsx"],
        ["validate", FIXTURES / "pass" / "clean.xlsx", "--report", blocker / "r.xlsx"],
    ):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output
        assert "无法写入" in r.output and "路径中有同名的文件" in r.output, r.output
        assert ".~xxgk" not in r.output  # the output is named, never the temp file


@pytest.mark.parametrize(
    "args",
    [
        ["import", "没有这个文件.txt"],
        ["merge", ".", "--roster", "没有这个名单.csv", "-o", "s.xlsx"],
        ["validate", "--bogus", "."],
        ["--bogus"],
        ["bogus"],
        ["archive", "add"],
        ["trend", "--format", "xml"],
        ["merge", ".", "--year", "abc"],
        ["template", "--year", "1990", "-o", "a.xlsx"],
        ["validate", ".", "--previous"],
    ],
)
def test_usage_errors_are_one_chinese_line(tmp_path, args):
    """click's own usage errors ("Usage: … Error: File 'x' does not exist.") in a clerk's words:
    exit 2, one line, Chinese."""
    from tests.conftest import run_cli

    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), r.stderr
    assert "Usage" not in r.stderr and "Error" not in r.stderr and "does not exist" not in r.stderr


def test_annotate_says_how_many_copies_without_a_zero_count(tmp_path):
    """“已生成批注副本 1 份：退回/（只为有问题的文件；0 个文件没有问题）” read as a riddle when every
    file had problems: the clean files are named only when there are some, and what was not made."""
    bad = tmp_path / "收到" / "丙.xlsx"
    bad.parent.mkdir()
    shutil.copy(FIXTURES / "fail" / "t3_balance.xlsx", bad)
    r = run("validate", bad.parent, "--year", 2025, "--annotate", tmp_path / "退回")
    assert r.exit_code == 1
    said = [ln for ln in r.stderr.splitlines() if "批注副本" in ln]
    assert said and "0 个" not in said[0], said
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", bad.parent / "甲.xlsx")
    r = run("validate", bad.parent, "--year", 2025, "--annotate", tmp_path / "退回2")
    said = [ln for ln in r.stderr.splitlines() if "批注副本" in ln]
    assert said and "另有 1 个文件没有问题，未生成副本" in said[0], said


def test_a_second_annotate_run_says_its_copies_took_new_names(tmp_path):
    """Copies of an earlier run are kept, so the second run's copies take new names: the line
    says so and names one, or the clerk sends the stale copy that still has the plain name."""
    inbox = tmp_path / "收到"
    inbox.mkdir()
    shutil.copy(FIXTURES / "fail" / "t3_balance.xlsx", inbox / "丙.xlsx")
    first = run("validate", inbox, "--year", 2025, "--annotate", tmp_path / "退回")
    assert first.exit_code == 1 and "另起文件名" not in first.stderr
    second = run("validate", inbox, "--year", 2025, "--annotate", tmp_path / "退回")
    names = sorted(p.name for p in (tmp_path / "退回").iterdir())
    assert len(names) == 2 and "丙_批注.xlsx" in names
    (new,) = set(names) - {"丙_批注.xlsx"}
    said = [ln for ln in second.stderr.splitlines() if "已有上次生成的同名副本" in ln]
    assert said and new in said[0], second.stderr


def test_a_finding_names_its_sheet_once_where_its_place_is_shown(tmp_path):
    """``表二!B12 表二 行政处罚／…`` said the sheet twice: the message opens with it and the place
    before it names it. The console line, the 问题清单 workbook (beside its 工作表 column) and the
    annotated copy's list say it once; the JSON keeps the message whole (it stands alone there)."""
    sample = ROOT / "samples" / "青川区住房和城乡建设委员会.xlsx"
    r = run("validate", sample, "--year", 2025)
    lines = [ln for ln in r.stdout.splitlines() if "[" in ln]
    assert "    错误 [VALUE-TEXT-NUMBER] 表二!B12 行政处罚／本年处理决定数量：“66件”" in "\n".join(lines)
    assert "表三!D30 请先核对 表三!D6" in r.stdout  # a message about other cells keeps them
    twice = re.compile(r"(\S+?)!([A-Z]+\d+) \1(?:\s|“|：)")
    assert lines and not [ln for ln in lines if twice.search(ln)]
    doc = json.loads(run("validate", sample, "--year", 2025, "--format", "json").stdout)
    msgs = {(x["sheet"], x["cell"]): x["message"] for x in doc["files"][0]["findings"]}
    assert msgs["表二", "B12"].startswith("表二 行政处罚／本年处理决定数量：")
    out = tmp_path / "问题清单.xlsx"
    run("validate", sample, ROOT / "samples" / "青川区公安分局.xlsx", "--year", 2025, "--report", out)
    rows = list(openpyxl.load_workbook(out)["问题清单"].iter_rows(values_only=True))
    head = rows[0]
    sheet_at, note_at = head.index("工作表"), head.index("问题说明")
    notes = {(row[sheet_at], row[head.index("单元格")]): row[note_at] for row in rows[1:]}
    assert notes["表二", "B12"].startswith("行政处罚／本年处理决定数量：")
    assert notes["表三", "D30"].startswith(("“自然人”列", "请先核对"))
    assert not [n for (s, _), n in notes.items() if s and n.startswith(s)]
    run("validate", sample, "--year", 2025, "--annotate", tmp_path / "退回")
    (copy,) = (tmp_path / "退回").glob("*.xlsx")
    listed = list(openpyxl.load_workbook(copy)["问题清单"].iter_rows(min_row=2, values_only=True))
    assert ("错误", "VALUE-TEXT-NUMBER", "表二!B12") in {r[:3] for r in listed}
    assert not [r for r in listed if r[2] and r[3].startswith(r[2].split("!")[0])]


@pytest.mark.parametrize("given", [(), ("--year", 2025)])
def test_the_findings_workbook_names_the_runs_year_when_files_carry_more_than_one(tmp_path, given):
    """A 2023 file among 2025 ones (its YEAR-MISMATCH is in the list): the printed 问题清单 named no
    year at all. It names the year the run checked, settled or given."""
    out = tmp_path / "问题清单.xlsx"
    files = [
        ROOT / "samples" / n
        for n in ("北京市密云区融媒体中心_2023.xlsx", "青川区财政局.xlsx", "青川区公安分局.xlsx")
    ]
    r = run("validate", *files, *given, "--report", out)
    assert r.exit_code == 1
    wb = openpyxl.load_workbook(out)
    ws = wb["问题清单"]
    assert ws.oddFooter.center.text.strip() == "2025年度"  # as openpyxl reads it, Excel and LibreOffice too
    assert wb.properties.title == "2025年度政府信息公开工作年度报告校验问题清单"
    codes = [row[5] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "YEAR-MISMATCH" in codes
