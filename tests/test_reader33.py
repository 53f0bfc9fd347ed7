"""What a clerk and a coordinator read, checked on the real outputs (reader33's review).

Each test failed before its fix: the 明细 sheet's and 明细.csv's 总计 columns said 0 for every
agency; the 校验 sheet called a number stored as text a negative or fractional number too; help
examples that could not be pasted.
"""

from __future__ import annotations

import csv

import openpyxl

from tests.conftest import ROOT
from tests.fixtures.build import clean_values
from tests.office import recalc_and_save
from toolkit.merge import merge
from toolkit.model import Submission
from toolkit.outputs.summary import write_summary
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.validate import check_file

SPEC = load_spec()
SAMPLES = ROOT / "samples"
SAMPLES_PREVIOUS = ROOT / "samples-previous"


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


def test_checks_sheet_calls_a_number_stored_as_text_text_only(soffice, tmp_path):
    """A count typed as text ("31" in 表三) is VALUE-TEXT-NUMBER on the 校验 sheet, as validate says;
    the sheet's other check, 没有负数、带小数的件数或超出上限的数, stayed ✗ for it as well (text <> INT
    of it), sending the clerk to look for a negative number that is not there."""
    src = tmp_path / "src"
    src.mkdir()
    make_template(src / "a.xlsx", Submission(cover={"agency": "测试局", "year": 2025}, values=clean_values()))
    wb = openpyxl.load_workbook(src / "a.xlsx")
    for k, text in (("t3.granted.natural_person", "31"), ("t2.admin_penalty.decisions", "66")):
        c = SPEC.cells[k]
        wb[c.sheet][c.a1] = text
    wb.save(src / "a.xlsx")
    (out,) = recalc_and_save([src / "a.xlsx"], tmp_path / "out")
    rows = list(openpyxl.load_workbook(out, data_only=True)["校验"].iter_rows(min_row=4, values_only=True))
    result = {(r[0], str(r[1]).split("：")[0]): str(r[2]) for r in rows if r and r[0]}
    assert result[("VALUE-TEXT-NUMBER", "表三")].startswith("✗ 1 ")
    assert result[("VALUE-TEXT-NUMBER", "表二")].startswith("✗ 1 ")
    assert result[("VALUE-NEGATIVE", "表三")] == "✓"
    assert result[("VALUE-NEGATIVE", "表二")] == "✓"
    found = {(f.code, f.sheet) for f in check_file(src / "a.xlsx", year=2025).report.findings}
    assert ("VALUE-TEXT-NUMBER", "表三") in found and not any(code == "VALUE-NEGATIVE" for code, _ in found)


def _help_texts() -> dict[str, str]:
    import click
    from click.testing import CliRunner

    from toolkit.cli import main

    out: dict[str, str] = {}

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(click.Context(group)):
            cmd = group.get_command(click.Context(group), name)
            args = (*prefix, name)
            out[" ".join(args)] = CliRunner().invoke(main, [*args, "--help"]).output
            if isinstance(cmd, click.Group):
                walk(cmd, args)

    out[""] = CliRunner().invoke(main, ["--help"]).output
    walk(main, ())
    return out


def test_every_help_example_line_pastes_into_a_shell():
    """An example's explanation beside it is a shell comment (# …): pasted whole, the line runs
    the command. `xxgk inspect 2025/ --archive xxgk.db -o 检查.xlsx    上年数据取自档案库` took
    上年数据取自档案库 for a folder (找不到, exit 2); so did the main and archive help's tables."""
    import re
    import shlex

    bad = []
    for cmd, text in _help_texts().items():
        for line in text.splitlines():
            s = line.strip()
            if not s.startswith("xxgk "):
                continue
            words = shlex.split(s, comments=True)
            gap = re.search(r"\S {2,}(?=\S)", s)  # a second column after a run of spaces
            if gap and not s[gap.end() :].startswith("#"):
                bad.append((cmd, s))
            elif any(
                re.fullmatch(r"[\u4e00-\u9fff（）：，、]+", w) and not words[i - 1].startswith("-")
                for i, w in enumerate(words[2:], 2)
            ):
                bad.append((cmd, s))  # a bare Chinese phrase taken as a file or folder
    assert not bad, bad


def test_render_refused_names_a_kept_file_only_when_there_is_one(tmp_path):
    """`render` of an unfinished report said 未生成（原有文件保持不变） also when there was no
    file at all: the clerk looks for one."""
    from click.testing import CliRunner

    from toolkit.cli import main

    src = SAMPLES / "青川区教育委员会.xlsx"  # its texts are the samples' 示例文字: not ready
    out = tmp_path / "报告.docx"
    r = CliRunner().invoke(main, ["render", str(src), "-o", str(out)])
    assert r.exit_code == 1 and not out.exists()
    assert "报告未完成，未生成；" in r.output and "原有文件" not in r.output
    out.write_bytes(b"earlier")
    r = CliRunner().invoke(main, ["render", str(src), "-o", str(out), "--force"])
    assert r.exit_code == 1 and out.read_bytes() == b"earlier"
    assert "报告未完成，未生成（原有文件保持不变）" in r.output


def test_trend_of_one_year_says_the_year_not_a_range(tmp_path):
    """`trend` of reports of one year said （1 个单位，2024–2024 年）."""
    from click.testing import CliRunner

    from toolkit.cli import main

    db = tmp_path / "xxgk.db"
    r = CliRunner().invoke(
        main, ["archive", "add", str(SAMPLES_PREVIOUS / "青川区财政局.xlsx"), "--db", str(db)]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        main, ["trend", "--agency", "财政局", "--db", str(db), "-o", str(tmp_path / "t.xlsx")]
    )
    assert r.exit_code == 0, r.output
    assert "（1 个单位，2024 年）" in r.output and "2024–2024" not in r.output


def test_the_inspection_workbook_prints_every_message_whole(soffice, tmp_path):
    """Printed by LibreOffice, the inspection workbook's wrapped cells show all their lines: its
    rows kept the one-line default height, so a finding's message (主要问题, 说明) and a skipped
    file's reason were cut after the first line."""
    import json
    import shutil

    from click.testing import CliRunner

    from tests import pdfcheck
    from tests.office import convert
    from toolkit.cli import main

    d = tmp_path / "各单位报告"
    d.mkdir()
    ref = ROOT / "tests" / "fixtures" / "reference"
    for name in ("000_f97a9d76fb144919.txt", "gov2019_青川区示例局_2020.html"):
        shutil.copy(ref / name, d / name)
    shutil.copy(SAMPLES / "青川区财政局.xlsx", d / "青川区财政局.xlsx")  # a workbook: skipped, said why
    out = tmp_path / "年度检查.xlsx"
    r = CliRunner().invoke(main, ["inspect", str(d), "-o", str(out)])
    assert out.exists(), r.output
    got = json.loads(CliRunner().invoke(main, ["inspect", str(d), "--format", "json"]).output)
    messages = [f["message"] for rep in got["reports"] for f in rep["findings"]]
    assert any(len(m) > 40 for m in messages), messages  # one long enough to wrap
    (pdf,) = convert([out], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    tails = [m[-10:] for m in messages] + ["（检查填报表请用 xxgk validate）"]
    assert pdfcheck.missing(doc, tails) == []
    assert pdfcheck.faults(doc) == []


def test_detail_headings_over_one_column_print_their_words_whole(soffice, tmp_path):
    """明细 printed: a heading over one column alone (表二's 行政许可, 行政处罚, 行政强制, 行政事业性收费)
    was set in the 7-character value width: “表二 行 / 政许可”, and “（单位：万元” with its “）” on a
    line of its own."""
    from tests import pdfcheck
    from tests.office import convert

    s = merge([SAMPLES], roster=SAMPLES / "roster.csv", year=2025)
    xlsx = write_summary(s, tmp_path / "汇总.xlsx")
    (pdf,) = convert([xlsx], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    detail = pdfcheck.Doc(
        doc.path,
        [p for p in doc.pages if p.footer().startswith("明细") and not p.footer().startswith("明细（长表）")],
    )
    assert detail.pages
    heads = ["表二 行政许可", "表二 行政处罚", "表二 行政强制", "本年处理决定", "单位：万元）"]
    assert pdfcheck.broken(detail, heads) == []
    assert pdfcheck.faults(detail) == []


def test_a_coordinators_page_without_login_leads_to_the_login(tmp_path):
    """/coord without a session (it ended; a bookmark) said 请先以协调人身份登录 with a 返回 button
    to /coord: the same refusal again, never the login page."""
    import re

    import requests

    from tests.serve_process import start_server

    srv = start_server(tmp_path / "xxgk.db", roster=SAMPLES / "roster.csv")
    try:
        for path in ("/coord", "/coord/summary", "/coord/agency/1"):
            r = requests.get(srv.url + path, timeout=60)
            assert r.status_code == 403 and "请先以协调人身份登录" in r.text
            back = re.search(r'<a [^>]*id="back" href="([^"]+)">([^<]+)</a>', r.text)
            assert back and back.groups() == ("/login", "登录"), path
    finally:
        srv.stop()


def test_the_templates_applicant_headings_print_on_one_line(soffice, tmp_path):
    """The template's 表三 printed: 社会公益组织 and 法律服务机构 in 10-wide columns broke as
    “社会公益组 / 织” and “法律服务机 / 构” (the check elsewhere found them whole on the 校验 sheet)."""
    from tests import pdfcheck
    from tests.office import convert

    make_template(tmp_path / "模板.xlsx", Submission(cover={"agency": "测试局", "year": 2025}))
    (pdf,) = convert([tmp_path / "模板.xlsx"], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    t3 = pdfcheck.Doc(doc.path, [p for p in doc.pages if p.footer().startswith("表三")])
    assert len(t3.pages) == 1
    heads = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert pdfcheck.broken(t3, heads) == []
    assert pdfcheck.faults(t3) == []


def test_validate_says_which_files_got_a_list_instead_of_a_copy(tmp_path):
    """--annotate: a file that cannot be copied (the samples' CSV named .xlsx) gets a 问题清单; the
    line said “问题清单 1 份（文件无法读取或过大，不能复制）”, as if the list could not be read."""
    import shutil

    from click.testing import CliRunner

    from toolkit.cli import main

    d = tmp_path / "收到的文件"
    d.mkdir()
    for name in ("青川区南湖乡人民政府.xlsx", "青川区公安分局.xlsx"):
        shutil.copy(SAMPLES / name, d / name)
    out = tmp_path / "退回"
    r = CliRunner().invoke(main, ["validate", str(d), "--year", "2025", "--annotate", str(out)])
    assert r.exit_code == 1
    assert "已生成批注副本 1 份；另有 1 个文件无法读取或过大，不能复制，为其生成问题清单 1 份：" in r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "青川区公安分局_批注.xlsx",
        "青川区南湖乡人民政府_问题清单.xlsx",
    ]


def test_the_trend_tables_change_heading_prints_on_one_line(soffice, tmp_path):
    """趋势 printed: the change column's heading broke as “2025年比上 / 年” in its 11-wide column."""
    from click.testing import CliRunner

    from tests import pdfcheck
    from tests.office import convert
    from toolkit.cli import main

    db, out = tmp_path / "xxgk.db", tmp_path / "历年.xlsx"
    for name in ("青川区财政局.xlsx", "青川区司法局.xlsx"):
        for folder in (SAMPLES_PREVIOUS, SAMPLES):
            r = CliRunner().invoke(main, ["archive", "add", str(folder / name), "--db", str(db)])
            assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["trend", "--agency", "司法局", "--db", str(db), "-o", str(out)])
    assert r.exit_code == 0, r.output
    (pdf,) = convert([out], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    assert pdfcheck.broken(doc, ["2025年比上年", "2024年", "2025年"]) == []
    assert pdfcheck.faults(doc) == []


def test_trends_csv_example_gives_a_file_excel_opens_as_utf8(tmp_path, monkeypatch):
    """trend's help showed `xxgk trend --all --format csv > 全部.csv`: the screen's CSV has no BOM
    (it is for pipes), so the file Excel opened showed the names garbled; `-o 全部.csv` writes one."""
    import shlex

    from click.testing import CliRunner

    from toolkit.cli import main

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["archive", "add", str(SAMPLES / "青川区财政局.xlsx")])
    assert r.exit_code == 0, r.output
    line = next(s.strip() for s in _help_texts()["trend"].splitlines() if "--all" in s and "csv" in s)
    words = shlex.split(line, comments=True)
    r = CliRunner().invoke(main, words[1:])
    assert r.exit_code == 0, (line, r.output)
    assert (tmp_path / "全部.csv").read_bytes().startswith("\ufeffunit,".encode())


def test_detail_totals_are_the_forms_totals_unknown_when_a_part_is():
    """row_with_totals (compiled per form) gives what compute_totals gives; a total of an unknown
    number is unknown (None), the others still added."""
    import random
    from decimal import Decimal

    from toolkit.model import compute_totals, row_with_totals

    rnd = random.Random(33)
    for fmt in ("gov-2021", "gov-2019"):
        spec = load_spec(fmt)
        keys = spec.numeric_keys
        fill = row_with_totals(spec)
        for _ in range(50):
            inputs = {
                k: (
                    Decimal(rnd.randint(0, 999)) / 100
                    if spec.cells[k].type.kind == "decimal"
                    else rnd.randint(0, 9)
                )
                for k in keys
                if spec.cells[k].kind != "total"
            }
            row = fill(tuple(inputs.get(k, 0) for k in keys))
            assert dict(zip(keys, row, strict=True)) == {**inputs, **compute_totals(spec, inputs)}
        gap = (
            "t3.granted.business"
            if fmt == "gov-2021"
            else next(k for k in keys if k.startswith("t3.granted."))
        )
        row = dict(zip(keys, fill(tuple(None if k == gap else 1 for k in keys)), strict=True))
        assert row["t3.granted.total"] is None and row["t3.result_total.total"] is None
        assert row["t3.new_received.total"] == 6
