"""A coordinator's day with odd folders (issue 8): one report year per run, paths that do not exist,
summaries in the inbox, duplicates by content, the toolkit's own outputs, last year's data of the
wrong year, files skipped in silence, one vocabulary of counts, and a template never overwriting a
filled workbook. Every case through the real CLI, asserting rule code, cell/file and exit code."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES, ROOT, run_cli
from toolkit.cli import main
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char, uscc_problem

SPEC = load_spec()
YEAR_CELL = f"{SPEC.cells['cover.year'].sheet}!{SPEC.cells['cover.year'].a1}"  # 封面!B6
BASE = {"t3.new_received.natural_person": 3, "t3.granted.natural_person": 3}


def code(i: int) -> str:
    body = f"11110999MC{i:07d}"
    return body + uscc_check_char(body)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


cli = run_cli  # the installed command as a clerk runs it


def report(folder: Path, name: str, i: int, year: int = 2025, n: int = 3) -> Path:
    vals = {"t3.new_received.natural_person": n, "t3.granted.natural_person": n}
    return make_template(
        folder / f"{name}.xlsx",
        Submission(cover={"agency": name, "code": code(i), "year": year}, values=vals),
    )


def write_roster(path: Path, names: list[str], parent: str = "示例区") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent", "type"])
        for i, n in enumerate(names, 1):
            w.writerow([n, code(i), parent, "部门"])
    return path


def codes_at(doc: dict) -> set[tuple[str, str | None, str | None]]:
    """(code, file name, sheet!cell) of every finding in a merge/validate JSON document."""
    out = set()
    for f in doc["findings"] if "findings" in doc else [x for r in doc["files"] for x in r["findings"]]:
        out.add((f["code"], Path(f["file"]).name if f.get("file") else None, f.get("ref")))
    return out


# -- 1. one report year per run ---------------------------------------------------------------------
@pytest.fixture
def mixed_years(tmp_path):
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    report(d, "乙局", 2)
    report(d, "丙局", 3)
    report(d, "丁局", 4, year=2024, n=100)  # last year's file sent by mistake
    return d


def test_merge_without_year_takes_the_majority_and_says_so(mixed_years, tmp_path):
    r = cli("merge", mixed_years, "-o", tmp_path / "s.json", "--format", "json")
    assert r.returncode == 1, r.stderr
    assert "未指定 --year，按多数文件的报告年度 2025 汇总" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["year"] == 2025 and doc["summary"]["cover"]["year"] == 2025
    assert ("YEAR-MISMATCH", "丁局.xlsx", YEAR_CELL) in codes_at(doc)
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 9  # 2024's 100 left out
    (ding,) = [a for a in doc["agencies"] if a["name"] == "丁局"]
    assert ding["status"] == "有错误" and not ding["included"] and "2024" in ding["note"]
    # not even --include-invalid counts another year
    r = cli("merge", mixed_years, "-o", tmp_path / "s2.json", "--format", "json", "--include-invalid")
    assert json.loads(r.stdout)["summary"]["values"]["t3.new_received.natural_person"] == 9
    # with a roster (it has no year column): the same
    roster = write_roster(tmp_path / "r.csv", ["甲局", "乙局", "丙局", "丁局"])
    r = run("merge", mixed_years, "--roster", roster, "-o", tmp_path / "s.xlsx")
    assert r.exit_code == 1 and "有错误：丁局（丁局.xlsx），报告年度为 2024，不是 2025" in r.stdout
    status = {
        row[6]: row
        for row in openpyxl.load_workbook(tmp_path / "s.xlsx")["报送情况"].iter_rows(
            min_row=4, values_only=True
        )
    }
    assert status["丁局.xlsx"][4:6] == ("有错误", "否")


def test_a_roster_with_a_year_column_sets_the_year(mixed_years, tmp_path):
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "机关名称,统一社会信用代码,报告年度\n"
        + "".join(f"{n},{code(i)},2024年\n" for i, n in enumerate("甲乙丙丁", 1)),
        encoding="utf-8",
    )
    r = cli("merge", mixed_years, "--roster", roster, "-o", tmp_path / "s.json", "--format", "json")
    assert r.returncode == 1 and "按名单的报告年度 2024 汇总" in r.stderr
    doc = json.loads(r.stdout)
    assert {f for f in codes_at(doc) if f[0] == "YEAR-MISMATCH"} == {
        ("YEAR-MISMATCH", f"{n}局.xlsx", YEAR_CELL) for n in "甲乙丙"
    }
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 100  # 丁局's 2024 report only


def test_validate_a_folder_without_year_takes_the_majority(mixed_years):
    r = cli("validate", mixed_years, "--format", "json")
    assert r.returncode == 1
    assert "未指定 --year，按多数文件的报告年度 2025 校验" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["year"] == 2025
    assert codes_at(doc) == {("YEAR-MISMATCH", "丁局.xlsx", YEAR_CELL)}
    # one file alone has nothing to disagree with
    assert run("validate", mixed_years / "丁局.xlsx").exit_code == 0


# -- 2. a path that does not exist; nothing readable ---------------------------------------------------
def test_a_typo_in_the_folder_is_exit_2_and_keeps_the_summary(tmp_path):
    good = tmp_path / "summary.xlsx"
    good.write_bytes(b"a good summary from yesterday")
    roster = ROOT / "samples" / "roster.csv"
    for extra in (["--roster", roster], []):
        r = cli("merge", tmp_path / "sampels", *extra, "-o", good)
        assert r.returncode == 2 and "找不到" in r.stderr and "Traceback" not in r.stderr
    assert good.read_bytes() == b"a good summary from yesterday"
    r = cli("validate", FIXTURES / "pass" / "clean.xlsx", tmp_path / "nope.xlsx")
    assert r.returncode == 2 and "找不到" in r.stderr


def test_no_readable_workbook_is_an_error_and_writes_nothing(tmp_path):
    d = tmp_path / "收到"
    d.mkdir()
    shutil.copy(FIXTURES / "fail" / "truncated.xlsx", d / "甲局.xlsx")
    (d / "说明.txt").write_text("附件见后", encoding="utf-8")
    good = tmp_path / "summary.xlsx"
    good.write_bytes(b"yesterday")
    r = run("merge", d, "-o", good)
    assert r.exit_code == 1 and "没有一个可以读取的填报表" in r.output and "FILE-UNREADABLE" in r.output
    assert good.read_bytes() == b"yesterday"
    (d / "甲局.xlsx").unlink()
    r = run("merge", d, "-o", good)  # only a text file: nothing to merge at all
    assert r.exit_code == 2 and "没有找到要汇总的填报表" in r.output
    assert good.read_bytes() == b"yesterday"


def test_nothing_counted_never_replaces_a_good_summary(tmp_path):
    """Readable workbooks, none counted (another year; a name the roster lacks): exit 1, the files
    are listed with why, and yesterday's summary is not replaced by an all-zero one."""
    d = tmp_path / "收到"
    report(d, "甲局", 1, year=2024)
    report(d, "丙局", 3)
    roster = write_roster(tmp_path / "r.csv", ["甲局", "乙局"])
    good = tmp_path / "summary.xlsx"
    good.write_bytes(b"yesterday")
    r = cli("merge", d, "--roster", roster, "--year", 2025, "-o", good)
    assert r.returncode == 1 and "未写出汇总表" in r.stderr and "Traceback" not in r.stderr
    assert "YEAR-MISMATCH" in r.stdout or "报告年度为 2024" in r.stdout
    assert "名单外：丙局" in r.stdout
    assert good.read_bytes() == b"yesterday"
    r = cli("merge", d, "--roster", roster, "--year", 2025, "-o", good, "--format", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["status"]["计入汇总"] == 0
    assert good.read_bytes() == b"yesterday"
    # a new output is written: its 报送情况 lists why each file was left out
    r = cli("merge", d, "--roster", roster, "--year", 2025, "-o", tmp_path / "new.xlsx")
    assert r.returncode == 1 and (tmp_path / "new.xlsx").exists()


def test_missing_roster_or_values_file_is_one_chinese_line(tmp_path):
    for args in (
        ["merge", ROOT / "samples", "--roster", tmp_path / "rooster.csv", "-o", tmp_path / "s.xlsx"],
        ["template", "--values", tmp_path / "v.json", "-o", tmp_path / "t.xlsx"],
        ["export", tmp_path / "nope.xlsx"],
        ["import", tmp_path],
    ):
        r = cli(*args)
        assert r.returncode == 2 and r.stdout == "", args
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("错误：")
        assert "Usage" not in r.stderr and ("找不到" in r.stderr or "文件夹" in r.stderr), r.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["validate"], "缺少参数“文件或文件夹”"),
        (["merge", "samples"], "缺少选项 -o / --output"),
        (["validate", "samples", "--year", "1999"], "--year 的值应为 2000 至 2100 之间的整数"),
        (["validate", "samples", "--format", "xml"], "--format 的值可选"),
        (["validate", "samples", "--frob"], "没有 --frob 这个选项"),
        (["frobnicate"], "没有 frobnicate 这个命令"),
    ],
)
def test_usage_errors_are_one_chinese_line(args, says):
    """A clerk's typo in the command: exit 2, one line in Chinese naming what is wrong (click's
    English 'Usage: … Error: …' before)."""
    r = cli(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("错误：") and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert says in r.stderr and "Usage" not in r.stderr and "--help" in r.stderr


# -- 3. summaries counted as agencies ---------------------------------------------------------------------
@pytest.fixture
def district(tmp_path):
    """示例区: 甲局, 乙局 sent; 丙局 did not (so the district summary is incomplete)."""
    d = tmp_path / "示例区收到"
    report(d, "甲局", 1)
    report(d, "乙局", 2, n=5)
    roster = write_roster(tmp_path / "roster.csv", ["甲局", "乙局", "丙局"])
    out = tmp_path / "区汇总" / "示例区.xlsx"
    r = run("merge", d, "--roster", roster, "--year", 2025, "-o", out)
    assert r.exit_code == 1  # 丙局 missing
    return d, roster, out


def test_an_incomplete_district_summary_stays_incomplete_upward(district, tmp_path):
    _, _, out = district
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(out)["_meta"].iter_rows()}
    assert meta["kind"] == "summary" and meta["complete"] == "0" and meta["counted"] == "2"
    assert {line.split("\t")[1] for line in meta["members"].split("\n")} == {"甲局", "乙局"}
    # validate shows it
    v = run("validate", out, "--format", "json")
    assert v.exit_code == 0 and ("SUMMARY-INCOMPLETE", "示例区.xlsx", None) in codes_at(json.loads(v.stdout))
    # the city merge: never "汇总完整，全部通过" over an incomplete district
    report(tmp_path / "区汇总", "东区", 50)  # (a plain report standing for another district)
    r = run("merge", tmp_path / "区汇总", "--year", 2025, "-o", tmp_path / "市.xlsx", "--agency", "示例市")
    assert r.exit_code == 1, r.output
    assert "[SUMMARY-INCOMPLETE]" in r.stdout and "汇总完整，全部通过" not in r.stdout
    # one agency's report and one district's summary: said apart, with the agencies in all
    assert "汇总不完整" in r.stdout and "计入 1 个单位和 1 个地区的汇总（共 3 个单位）" in r.stdout
    status = {
        row[6]: row
        for row in openpyxl.load_workbook(tmp_path / "市.xlsx")["报送情况"].iter_rows(
            min_row=4, values_only=True
        )
    }
    assert "SUMMARY-INCOMPLETE" in status["示例区.xlsx"][11] and status["示例区.xlsx"][5] == "是"
    # and the city summary says it is incomplete in turn
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(tmp_path / "市.xlsx")["_meta"].iter_rows()}
    assert meta["complete"] == "0"


def test_a_province_counts_the_agencies_under_its_cities_districts(district, tmp_path):
    """Three levels: a city's summary says how many agencies it counts in all (its own and its
    districts'), not how many rows it summed: the province above adds those up (it said 共 3 of
    a city over 1 agency and a district of 2, counting the district as one)."""
    _, _, out = district
    city_in = tmp_path / "市收到"
    city_in.mkdir()
    shutil.copy(out, city_in / "示例区.xlsx")  # 2 agencies
    report(city_in, "市直甲局", 40)
    report(city_in, "市直乙局", 41)
    city = tmp_path / "省收到" / "示例市.xlsx"
    r = run("merge", city_in, "--year", 2025, "-o", city, "--agency", "示例市")
    assert "计入 2 个单位和 1 个地区的汇总（共 4 个单位）" in r.stdout, r.stdout
    meta = {r[0].value: r[1].value for r in openpyxl.load_workbook(city)["_meta"].iter_rows()}
    assert (meta["counted"], meta["units"]) == ("3", "4")  # rows summed; agencies in all
    report(tmp_path / "省收到", "省直单位", 60)
    r = run("merge", tmp_path / "省收到", "--year", 2025, "-o", tmp_path / "省.xlsx", "--agency", "示例省")
    assert "计入 1 个单位和 1 个地区的汇总（共 5 个单位）" in r.stdout, r.stdout


def test_a_district_summary_left_in_its_own_inbox_is_double_counted(district, tmp_path):
    d, roster, out = district
    shutil.copy(out, d / "示例区汇总.xlsx")
    for extra in ([], ["--roster", roster]):
        r = run(
            "merge", d, *extra, "--year", 2025, "-o", tmp_path / "again.json", "--format", "json", "--force"
        )
        assert r.exit_code == 1
        doc = json.loads(r.stdout)
        assert ("DOUBLE-COUNTED", "示例区汇总.xlsx", None) in codes_at(doc)
        assert doc["summary"]["values"]["t3.new_received.natural_person"] == 8  # 3 + 5, not doubled
        (s,) = [a for a in doc["agencies"] if a["file"] and a["file"].endswith("示例区汇总.xlsx")]
        assert s["status"] == "重复" and not s["included"]
        assert "UNEXPECTED-AGENCY" not in {c for c, _, _ in codes_at(doc)}


def test_a_summary_where_agencies_reports_are_expected_is_skipped(district, tmp_path):
    d, roster, _ = district
    other = tmp_path / "另一区"
    report(other, "戊局", 9)
    run("merge", other, "--year", 2025, "-o", d / "另一区汇总.xlsx", "--agency", "另一区")
    r = run("merge", d, "--roster", roster, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json")
    doc = json.loads(r.stdout)
    (skip,) = doc["skipped"]
    assert Path(skip["file"]).name == "另一区汇总.xlsx" and "汇总表" in skip["reason"]
    assert {c for c, _, _ in codes_at(doc)} == {"MISSING-SUBMISSION"}  # not 名单外, not a duplicate
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 8


def test_two_summaries_counting_one_agency(tmp_path):
    report(tmp_path / "东", "甲局", 1)
    report(tmp_path / "东", "乙局", 2)
    report(tmp_path / "西", "甲局", 1)  # the same 甲局 in another summary
    for name in ("东", "西"):
        assert (
            run(
                "merge",
                tmp_path / name,
                "--year",
                2025,
                "-o",
                tmp_path / "区" / f"{name}.xlsx",
                "--agency",
                f"{name}区",
            ).exit_code
            == 0
        )
    r = run("merge", tmp_path / "区", "--year", 2025, "-o", tmp_path / "s.json", "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert ("DOUBLE-COUNTED", "西.xlsx", None) in codes_at(doc)
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 6  # 东区 only


def test_a_complete_summary_merges_upward_and_says_complete(tmp_path):
    d = tmp_path / "东区"
    report(d, "甲局", 1)
    run("merge", d, "--year", 2025, "-o", tmp_path / "区" / "东区.xlsx", "--agency", "东区")
    r = run("merge", tmp_path / "区", "--year", 2025, "-o", tmp_path / "市.xlsx")
    assert r.exit_code == 0 and "汇总完整，全部通过" in r.stdout


def test_one_name_with_two_codes_is_never_counted_twice(tmp_path):
    """丙局 sent twice, once with a mistyped code: without a roster it was counted as two agencies
    (the district's 丙局 doubled). The same name is the same agency: DUPLICATE-SUBMISSION, --prefer."""
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    report(d, "丙局", 3)
    other = make_template(
        d / "丙局（改）.xlsx",
        Submission(
            cover={"agency": "丙局", "code": code(4), "year": 2025},
            values={"t3.new_received.natural_person": 5, "t3.granted.natural_person": 5},
        ),
    )
    doc = json.loads(cli("merge", d, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json").stdout)
    assert doc["status"]["计入汇总"] == 1 and doc["status"]["重复"] == 2
    assert "DUPLICATE-SUBMISSION" in {f["code"] for f in doc["findings"]}
    r = cli("merge", d, "--year", 2025, "--prefer", other, "-o", tmp_path / "s2.json", "--format", "json")
    doc = json.loads(r.stdout)
    assert (
        doc["status"]["计入汇总"] == 2 and doc["summary"]["values"]["t3.new_received.natural_person"] == 3 + 5
    )


# -- 4. duplicates judged by content --------------------------------------------------------------------
def test_the_same_report_resaved_by_libreoffice_or_as_xls_is_counted_once(tmp_path):
    d = tmp_path / "收到"
    d.mkdir()
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", d / "测试局.xlsx")
    shutil.copy(FIXTURES / "pass" / "clean_lo.xlsx", d / "测试局（WPS另存）.xlsx")  # saved by LibreOffice
    shutil.copy(FIXTURES / "pass" / "clean_lo97.xls", d / "测试局.xls")
    assert len({hashlib.sha256(p.read_bytes()).digest() for p in d.iterdir()}) == 3  # other bytes
    r = run("merge", d, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    dup = [f for f in doc["findings"] if f["code"] == "DUPLICATE-SUBMISSION"]
    assert [(f["severity"], Path(f["file"]).name) for f in dup] == [("warning", "测试局.xlsx")]
    assert [Path(a["file"]).name for a in doc["agencies"] if a["included"]] == ["测试局.xlsx"]
    one = run("merge", d / "测试局.xlsx", "-o", tmp_path / "one.json", "--format", "json")
    assert doc["summary"]["values"] == json.loads(one.stdout)["summary"]["values"]
    assert doc["complete"] is True


def test_different_content_needs_the_coordinators_choice(tmp_path):
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    first = report(d, "乙局", 2, n=3)
    fixed = make_template(
        d / "乙局（修改版）.xlsx",
        Submission(
            cover={"agency": "乙局", "code": code(2), "year": 2025},
            values={"t3.new_received.natural_person": 4, "t3.granted.natural_person": 4},
        ),
    )
    r = run("merge", d, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    (dup,) = [f for f in doc["findings"] if f["code"] == "DUPLICATE-SUBMISSION"]
    assert dup["severity"] == "error" and "--prefer" in dup["message"]
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 3  # neither 乙局 file
    r = run(
        "merge",
        d,
        "--year",
        2025,
        "-o",
        tmp_path / "s.json",
        "--format",
        "json",
        "--prefer",
        fixed,
        "--force",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (dup,) = [f for f in doc["findings"] if f["code"] == "DUPLICATE-SUBMISSION"]
    assert dup["severity"] == "warning" and Path(dup["file"]).name == "乙局（修改版）.xlsx"
    assert doc["summary"]["values"]["t3.new_received.natural_person"] == 7  # 甲 3 + the preferred 4
    assert doc["status"]["重复"] == 1 and doc["status"]["计入汇总"] == 2
    # by name alone works too; a file that is not an input is a usage error
    assert run("merge", d, "-o", tmp_path / "t.json", "--prefer", first.name).exit_code == 0
    assert run("merge", d, "-o", tmp_path / "t.json", "--prefer", tmp_path / "别的.xlsx").exit_code == 2


# -- 5. the toolkit's own outputs -----------------------------------------------------------------------
def test_annotated_copies_and_findings_workbooks_in_the_inbox_are_skipped(tmp_path):
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    report(d, "乙局", 2)
    shutil.copy(FIXTURES / "fail" / "t3_balance.xlsx", d / "丙局.xlsx")
    shutil.copy(FIXTURES / "fail" / "pdf_renamed.xlsx", d / "丁局.xlsx")
    before = json.loads(run("merge", d, "--year", 2025, "-o", tmp_path / "1.json", "--format", "json").stdout)
    # only files with findings get a copy, unless --annotate-all
    r = run("validate", d, "--annotate", tmp_path / "退回", "--year", 2025)
    assert sorted(p.name for p in (tmp_path / "退回").iterdir()) == ["丁局_问题清单.xlsx", "丙局_批注.xlsx"]
    # every copy and a findings workbook, then moved into the inbox (as a clerk does)
    r = run(
        "validate",
        d,
        "--annotate",
        tmp_path / "全部",
        "--annotate-all",
        "--report",
        tmp_path / "问题清单.xlsx",
        "--year",
        2025,
    )
    assert r.exit_code == 1
    for f in [*(tmp_path / "全部").iterdir(), tmp_path / "问题清单.xlsx"]:
        shutil.copy(f, d / f.name)
    assert len(list(d.glob("*_批注.xlsx"))) == 3 and (d / "丁局_问题清单.xlsx").exists()
    after = json.loads(run("merge", d, "--year", 2025, "-o", tmp_path / "2.json", "--format", "json").stdout)
    assert after["summary"]["values"] == before["summary"]["values"]
    assert after["status"] == dict(before["status"], 跳过=5)
    assert "DUPLICATE-SUBMISSION" not in {c for c, _, _ in codes_at(after)}
    reasons = {Path(s["file"]).name: s["reason"] for s in after["skipped"]}
    assert set(reasons) == {
        "甲局_批注.xlsx",
        "乙局_批注.xlsx",
        "丙局_批注.xlsx",
        "丁局_问题清单.xlsx",
        "问题清单.xlsx",
    }
    assert "批注副本" in reasons["丙局_批注.xlsx"] and "问题清单" in reasons["问题清单.xlsx"]
    v = json.loads(run("validate", d, "--format", "json", "--year", 2025).stdout)
    assert v["summary"]["files"] == 4 and v["summary"]["skipped"] == 5


def test_an_annotated_copy_corrected_and_sent_back_is_the_agencys_report(tmp_path):
    """The 批注 copy is the file to send back; the agency corrects it and returns it as is. That
    file is its report (it was skipped as our own output: 丙局 showed 未报送); an unchanged copy
    is still skipped."""
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    shutil.copy(FIXTURES / "fail" / "t3_balance.xlsx", d / "丙局.xlsx")
    run("validate", d, "--annotate", tmp_path / "退回", "--year", 2025)
    copy = tmp_path / "退回" / "丙局_批注.xlsx"
    wb = openpyxl.load_workbook(copy)
    wb["表三"]["D30"] = 3  # the carry-over the T3-BALANCE message asks for (四 = 3)
    again = tmp_path / "第二轮"
    again.mkdir()
    wb.save(again / "丙局_批注.xlsx")
    shutil.copy(d / "甲局.xlsx", again)
    doc = json.loads(
        run("merge", again, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json").stdout
    )
    assert doc["status"]["计入汇总"] == 2 and doc["skipped"] == [] and doc["complete"]
    v = json.loads(run("validate", again / "丙局_批注.xlsx", "--format", "json").stdout)
    assert v["summary"]["files"] == 1 and v["files"][0]["findings"] == []
    # a copy where only the text was corrected (the 文字 sheet's 五、存在的主要问题) is a report too
    wb = openpyxl.load_workbook(copy)
    c = load_spec().cells["problems"]
    wb[c.sheet][c.a1] = "已更正：本年度未发现问题。"
    wb.save(tmp_path / "文字改.xlsx")
    v = json.loads(run("validate", tmp_path / "文字改.xlsx", "--format", "json").stdout)
    assert v["summary"]["files"] == 1 and v["summary"]["skipped"] == 0
    # the unchanged copy beside its original: still our output, skipped
    shutil.copy(copy, d)
    doc = json.loads(run("merge", d, "--year", 2025, "-o", tmp_path / "s2.json", "--format", "json").stdout)
    assert [Path(s["file"]).name for s in doc["skipped"]] == ["丙局_批注.xlsx"]


# -- 6. --previous of the wrong year ------------------------------------------------------------------------
def test_previous_must_be_last_year(tmp_path):
    samples, prev = ROOT / "samples", ROOT / "samples-previous"
    for cmd in ("merge", "validate"):
        out = ["-o", tmp_path / "s.xlsx"] if cmd == "merge" else []
        r = cli(cmd, samples, "--year", 2025, "--previous", samples, *out)
        assert r.returncode == 2 and "--previous" in r.stderr and "2024" in r.stderr, r.stderr
        r = cli(cmd, samples, "--previous", tmp_path / "去年", *out)
        assert r.returncode == 2 and "找不到" in r.stderr
    assert not (tmp_path / "s.xlsx").exists()
    # without --year: the majority year decides, then the same check
    r = run("validate", samples, "--previous", samples)
    assert r.exit_code == 2
    # one file without --year: its own year decides (it was once compared with itself, exit 0)
    one = samples / "青川区司法局.xlsx"
    r = run("validate", one, "--previous", one)
    assert r.exit_code == 2 and "PREV-IDENTICAL" not in r.stdout
    r = run("validate", samples, "--year", 2025, "--previous", prev, "--format", "json")
    assert r.exit_code == 1 and "PREV-CARRYOVER" in r.stdout


# -- 7. files skipped in silence ---------------------------------------------------------------------------
def test_every_file_in_the_folder_is_read_or_listed_with_why(tmp_path):
    d = tmp_path / "收到"
    report(d, "甲局", 1)
    (d / "~$甲局.xlsx").write_bytes(b"\x00lock")
    with zipfile.ZipFile(d / "乙局.zip", "w") as z:
        z.writestr("乙局.xlsx", b"x")
    shutil.copy(FIXTURES / "fail" / "word_renamed.xlsx", d / "丙局.docx")
    shutil.copy(FIXTURES / "fail" / "pdf_renamed.xlsx", d / "丁局.pdf")
    (d / "说明.txt").write_text("附件", encoding="utf-8")
    (d / "戊局.xlsx").symlink_to(tmp_path / "已删除.xlsx")  # a link whose file is gone
    os.mkfifo(d / "己局.xlsx")  # a pipe: never opened (it would block), never silent
    roster = write_roster(tmp_path / "r.csv", ["甲局", "乙局", "丙局", "丁局"])
    r = run("merge", d, "--roster", roster, "--year", 2025, "-o", tmp_path / "s.xlsx")
    assert r.exit_code == 1
    want = {
        "~$甲局.xlsx": "Excel/WPS 的临时锁定文件",
        "乙局.zip": "压缩包",
        "丙局.docx": "Word 文档",
        "丁局.pdf": "PDF 文件",
        "说明.txt": "纯文本文件",
        "戊局.xlsx": "快捷方式（符号链接）指向的文件不存在",
        "己局.xlsx": "不是普通文件（管道、设备等）",
    }
    for name, kind in want.items():
        assert re.search(rf"跳过：{re.escape(name)}，{kind}", r.stdout), (name, r.stdout)
    rows = openpyxl.load_workbook(tmp_path / "s.xlsx")["报送情况"].iter_rows(min_row=4, values_only=True)
    listed = {row[6]: row[11] for row in rows if row[4] == "跳过"}
    assert set(listed) == set(want) and all(listed[n].startswith(k) for n, k in want.items())
    v = json.loads(run("validate", d, "--format", "json").stdout)
    assert {Path(s["file"]).name: s["reason"].split("，")[0] for s in v["skipped"]} == {
        n: k if k != "Excel/WPS 的临时锁定文件" else v["skipped"][0]["reason"].split("，")[0]
        for n, k in want.items()
    }


def _without_read_override() -> list[str] | None:
    """A command prefix running this Python so that a mode-000 file cannot be read: as is for a
    normal user; for root (it reads any file) without the DAC capabilities. None: not possible."""
    if os.geteuid() != 0:
        return [sys.executable]
    if shutil.which("setpriv") is None:
        return None
    cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable]
    probe = subprocess.run(
        [*cmd, "-c", "import toolkit.cli"], capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    return cmd if probe.returncode == 0 else None


def test_a_file_that_cannot_be_opened_hints_at_excel(tmp_path):
    """As a file locked by Excel looks on Windows: validate, merge (folder) and export say 没有权限 and
    hint at Excel/WPS, in Chinese, never a traceback."""
    prefix = _without_read_override()
    if prefix is None:
        pytest.skip("root without setpriv: cannot make a file unreadable")
    d = tmp_path / "收到"
    d.mkdir()
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", d / "甲局.xlsx")
    report(d, "乙局", 2)
    os.chmod(d / "甲局.xlsx", 0)
    try:
        env = dict(os.environ, PYTHONPATH=str(ROOT))

        def xxgk(*args):
            return subprocess.run(
                [*prefix, "-m", "toolkit", *map(str, args)], capture_output=True, text=True, env=env
            )

        r = xxgk("validate", d / "甲局.xlsx", "--format", "json")
        assert r.returncode == 1, r.stderr
        (f,) = json.loads(r.stdout)["files"][0]["findings"]
        assert f["code"] == "FILE-UNREADABLE" and "Excel/WPS" in f["message"] and "权限" in f["message"]
        r = xxgk("merge", d, "--year", 2025, "-o", tmp_path / "s.json", "--format", "json")
        assert r.returncode == 1 and "Traceback" not in r.stderr
        doc = json.loads(r.stdout)
        assert doc["status"]["计入汇总"] == 1 and doc["status"]["有错误"] == 1
        r = xxgk("export", d / "甲局.xlsx")
        assert r.returncode == 2 and r.stderr.startswith("错误：") and "Excel/WPS" in r.stderr, r.stderr
    finally:
        os.chmod(d / "甲局.xlsx", 0o644)


# -- 8. one vocabulary; the numbers of one output agree ---------------------------------------------------
def test_counts_agree_across_console_json_and_status_sheet(tmp_path):
    out = tmp_path / "summary.xlsx"
    args = ["merge", ROOT / "samples", "--roster", ROOT / "samples" / "roster.csv", "--year", 2025]
    text = run(*args, "-o", out).stdout
    doc = json.loads(run(*args, "-o", tmp_path / "s.json", "--format", "json").stdout)
    c = doc["status"]
    assert c == {"已报送": 19, "计入汇总": 11, "有错误": 6, "重复": 2, "名单外": 1, "未报送": 1, "跳过": 1}
    assert c["已报送"] == c["计入汇总"] + c["有错误"] + c["重复"]
    roster_size = len((ROOT / "samples" / "roster.csv").read_text(encoding="utf-8-sig").splitlines()) - 1
    received = {a["name"] for a in doc["agencies"] if a["file"] and a["status"] != "名单外"}
    assert len(received) + c["未报送"] == roster_size
    line = "报送情况：已报送 19（计入汇总 11，有错误 6，重复 2），名单外 1，未报送 1，跳过 1"
    assert line in text.splitlines() and "计入 11 个单位" in text
    for status in ("有错误", "重复", "名单外", "未报送", "跳过"):
        assert sum(1 for ln in text.splitlines() if ln.startswith(f"  {status}：")) == c[status], status
    wb = openpyxl.load_workbook(out)
    ws = wb["报送情况"]
    assert ws["A1"].value.startswith(line)
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    received_rows = [r for r in rows if r[6] and r[4] not in ("名单外", "跳过")]
    assert len(received_rows) == c["已报送"]
    assert sum(1 for r in received_rows if r[5] == "是") == c["计入汇总"]
    for status in ("有错误", "重复", "名单外", "未报送", "跳过"):
        assert sum(1 for r in rows if r[4] == status) == c[status], status
    assert sum(1 for a in doc["agencies"] if a["included"]) == c["计入汇总"]
    detail = wb["明细"]
    assert detail.cell(detail.max_row, 1).value == f"合计（计入汇总的 {c['计入汇总']} 个单位）"


# -- 9. the template never overwrites a filled workbook --------------------------------------------------
def test_template_refuses_to_overwrite_and_to_make_a_folder_named_xlsx(tmp_path):
    filled = tmp_path / "区财政局.xlsx"
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", filled)
    before = filled.read_bytes()
    r = cli("template", "-o", filled, "--year", 2025)
    assert r.returncode == 2 and "--force" in r.stderr and filled.read_bytes() == before
    assert run("template", "-o", filled, "--year", 2025, "--force").exit_code == 0
    assert filled.read_bytes() != before
    r = cli("template", "--roster", ROOT / "samples" / "roster.csv", "-o", tmp_path / "t3.xlsx")
    assert r.returncode == 2 and "文件夹" in r.stderr and not (tmp_path / "t3.xlsx").exists()
    helptext = run("template", "--help").output
    (example,) = re.findall(r"--code (\w{18})", helptext)
    assert uscc_problem(example) is None
