"""``xxgk inspect``: the yearly inspection of a folder of published reports.

The folder is made here (tests/inspection_folder.py): 40 reports of 14 agencies over three years
in four kinds of file and a scan, every planted error known. The inspection must find each one
and flag nothing else; reports not read with confidence are said so and never used.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.inspection_folder import make_folder
from toolkit.cli import main


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("inspect") / "各单位报告"
    return d, make_folder(d)


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_inspection_finds_every_planted_error_and_flags_nothing_else(folder, tmp_path):
    d, planted = folder
    assert len(planted) == 40 and {p.split(".")[-1] for p in planted} == {"txt", "html", "docx", "pdf"}
    out = tmp_path / "年度检查.xlsx"
    r = _run("inspect", d, "-o", out, "--format", "json")
    assert r.exit_code == 1, r.output  # errors and an unreadable report
    doc = json.loads(r.output)
    got = {rep["file"]: {f["code"] for f in rep["findings"]} for rep in doc["reports"]}
    assert got == planted
    verdicts = {rep["file"]: rep["verdict"] for rep in doc["reports"]}
    for f, codes in planted.items():
        want = (
            "未能可靠读取"
            if "FILE-UNREADABLE" in codes
            else "有错误"
            if codes & {"T3-ROW-TOTAL", "T3-BALANCE"}
            else "有提示"
            if codes
            else "未发现问题"
        )
        assert verdicts[f] == want, f
    assert doc["counts"] == {"未能可靠读取": 1, "有错误": 2, "有提示": 7, "未发现问题": 30}
    # each 2023/2024 report of an agency was compared with its previous year, except after the scan
    by_file = {rep["file"]: rep for rep in doc["reports"]}
    compared = [rep for rep in doc["reports"] if rep["previous"]]
    assert len(compared) == 13 * 2 - 2  # the scan is no one's previous year, and has none itself
    scan = next(f for f, c in planted.items() if "FILE-UNREADABLE" in c)
    assert by_file[scan]["found"] == 0 and not any(rep["previous"] == scan for rep in doc["reports"])
    late = next(f for f, c in planted.items() if "PUBLISHED-LATE" in c)
    assert by_file[late]["published"] == "2025-03-05"

    # the workbook: one row per report with its verdict, every finding listed, filterable, printable
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames == ["检查结论", "问题清单", "说明"]
    ws = wb["检查结论"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 40 and ws.auto_filter.ref and ws.freeze_panes == "A2"
    assert {r["文件"]: r["结论"] for r in rows} == verdicts
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    # one page wide (fitToWidth 1 is the default xlsxwriter leaves out), as many pages long as needed
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
    assert ws.page_setup.fitToHeight == 0
    listed = wb["问题清单"]
    assert (
        listed.max_row - 1 == sum(len(rep["findings"]) for rep in doc["reports"]) and listed.auto_filter.ref
    )
    codes = {row[3].value for row in listed.iter_rows(min_row=2)}
    assert codes == set().union(*planted.values())


def test_inspection_text_output_says_each_verdict_in_chinese(folder):
    d, planted = folder
    r = _run("inspect", d / "2024")
    assert r.exit_code == 0, r.output  # 2024 alone: only warnings (the previous year is not there)
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 + sum(1 for f in planted if f.startswith("2024/"))
    assert lines[-1].startswith("共 14 份：")
    assert "Traceback" not in r.output


def test_previous_years_from_the_archive_when_the_folder_has_only_this_year(folder, tmp_path):
    d, planted = folder
    db = tmp_path / "xxgk.db"
    r = _run("archive", "add", d / "2023", "--db", db)
    assert "存入" in r.output, r.output
    r = _run("inspect", d / "2024", "--archive", db, "--format", "json")
    doc = json.loads(r.output)
    got = {"2024/" + rep["file"]: {f["code"] for f in rep["findings"]} for rep in doc["reports"]}
    assert got == {f: c for f, c in planted.items() if f.startswith("2024/")}
    assert sum(1 for rep in doc["reports"] if (rep["previous"] or "").startswith("档案库")) == 12


def test_nothing_to_inspect_is_one_chinese_line(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    r = _run("inspect", tmp_path)
    assert r.exit_code != 0 and "没有找到公开报告文件" in r.output and "Traceback" not in r.output
    assert "a.png：图片" in r.output  # what was there, and why it is not a report


def test_the_inspection_workbook_prints_with_its_header_on_every_page(folder, tmp_path, soffice):
    """Printed by LibreOffice: every page of 检查结论 and 问题清单 names its columns and its sheet,
    nothing printed over anything or off the page."""
    from tests import pdfcheck
    from tests.office import convert

    d, _ = folder
    out = tmp_path / "年度检查.xlsx"
    _run("inspect", d, "-o", out)
    (pdf,) = convert([out], tmp_path / "pdf", "pdf", recalc=False)
    doc = pdfcheck.load(pdf)
    per_sheet = pdfcheck.pages_by_footer(doc, ["检查结论", "问题清单", "说明"])
    assert set(per_sheet) == {"检查结论", "问题清单", "说明"}, per_sheet
    for p in doc.pages:
        foot = p.footer()
        if "检查结论" in foot:
            assert all(pdfcheck.norm(h) in p.text for h in ("文件", "机关", "结论", "主要问题")), p.number
        if "问题清单" in foot:
            assert all(pdfcheck.norm(h) in p.text for h in ("代码", "级别", "说明")), p.number
    assert pdfcheck.faults(doc) == []


def test_reports_published_as_pdf_are_inspected_alike(folder, tmp_path, soffice):
    """The Word reports of the folder printed to PDF by LibreOffice (the form most reports are
    published in): the same verdicts and findings, the carry-over error among them."""
    import shutil

    from tests.office import convert

    d, planted = folder
    copy = tmp_path / "报告"
    shutil.copytree(d, copy)
    docx = sorted(copy.rglob("*.docx"))
    assert len(docx) >= 8
    by_dir: dict = {}
    for f in docx:
        by_dir.setdefault(f.parent, []).append(f)
    for parent, files in by_dir.items():
        convert(files, parent, "pdf", recalc=False)
        for f in files:
            f.unlink()
    want = {(f[:-5] + ".pdf" if f.endswith(".docx") else f): c for f, c in planted.items()}
    assert sum(1 for f, c in want.items() if f.endswith(".pdf") and "PREV-CARRYOVER" in c) == 1
    r = _run("inspect", copy, "--format", "json")
    doc = json.loads(r.output)
    got = {rep["file"]: {f["code"] for f in rep["findings"]} for rep in doc["reports"]}
    assert got == want
    read = [rep for rep in doc["reports"] if rep["kind"] == "pdf" and rep["verdict"] != "未能可靠读取"]
    assert len(read) == len(docx) and all(rep["found"] == rep["expected"] == 203 for rep in read)


def _copies(tmp_path):
    """One agency's 2023 report three times (two copies, one with a figure changed) and its 2024."""
    from tests.conftest import REFERENCE

    text = REFERENCE.read_text(encoding="utf-8")
    d = tmp_path / "报告"
    d.mkdir()
    (d / "a.txt").write_text(text, encoding="utf-8")
    (d / "b.txt").write_text(text, encoding="utf-8")
    changed = text.replace("\t16\n", "\t17\n", 1)
    assert changed != text
    (d / "c.txt").write_text(changed, encoding="utf-8")
    (d / "next.txt").write_text(text.replace("2023年", "2024年"), encoding="utf-8")
    return d


def _dups(doc: dict) -> dict[str, list[tuple[str, str]]]:
    return {
        r["file"]: [
            (f["severity"], f["message"]) for f in r["findings"] if f["code"] == "DUPLICATE-SUBMISSION"
        ]
        for r in doc["reports"]
    }


def test_one_agencys_year_twice_is_said_for_each_copy(tmp_path):
    d = _copies(tmp_path)
    (d / "c.txt").unlink()
    r = _run("inspect", d, "--format", "json")
    dups = _dups(json.loads(r.output))
    assert [s for s, _ in dups["a.txt"]] == ["warning"] and "数字完全相同的报告（b.txt）" in dups["a.txt"][0][
        1
    ]
    assert [s for s, _ in dups["b.txt"]] == ["warning"] and "（a.txt）" in dups["b.txt"][0][1]
    assert dups["next.txt"] == []
    nxt = next(x for x in json.loads(r.output)["reports"] if x["file"] == "next.txt")
    assert nxt["previous"] in ("a.txt", "b.txt")  # copies of one report: the previous year all the same


def test_one_agencys_year_with_different_numbers_is_an_error_and_nobodys_previous(tmp_path):
    d = _copies(tmp_path)
    r = _run("inspect", d, "--format", "json")
    assert r.exit_code == 1, r.output
    doc = json.loads(r.output)
    dups = _dups(doc)
    assert [s for s, _ in dups["c.txt"]] == ["error"] and "数字不同的报告（a.txt、b.txt）" in dups["c.txt"][
        0
    ][1]
    assert [s for s, _ in dups["a.txt"]] == ["error"] and "数字不同的报告（c.txt）" in dups["a.txt"][0][1]
    nxt = next(x for x in doc["reports"] if x["file"] == "next.txt")
    assert nxt["previous"] is None


def test_a_published_draft_is_said(tmp_path):
    """A report published as xxgk render's draft (草稿 in its title and banner, 【待补充】 in its
    sections) or with the template's 示例文字 left in: REPORT-DRAFT; the finished one: nothing."""
    from tests.conftest import REFERENCE
    from toolkit.importers.report import import_report

    d = tmp_path / "报告"
    d.mkdir()
    (d / "定稿.txt").write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    sub = import_report(d / "定稿.txt").submission
    sub.cover["agency"] = "北京市密云区某局"
    sub.texts = {}
    from toolkit.outputs.render import render

    render(sub, d / "草稿.docx", draft=True)
    sub.cover["agency"] = "北京市密云区另一局"
    sub.texts = {"overview": "（一）组织领导。（示例文字）", "problems": "问题。", "other_matters": ""}
    render(sub, d / "示例.html")
    r = _run("inspect", d, "--format", "json")
    got = {
        x["file"]: [f["message"] for f in x["findings"] if f["code"] == "REPORT-DRAFT"]
        for x in json.loads(r.output)["reports"]
    }
    assert got["定稿.txt"] == []
    assert (
        len(got["草稿.docx"]) == 1
        and "“草稿”" in got["草稿.docx"][0]
        and "“【待补充】”" in got["草稿.docx"][0]
    )
    assert len(got["示例.html"]) == 1 and "“示例文字”" in got["示例.html"][0]


def test_a_folder_of_reports_in_every_kind_an_office_publishes(soffice, tmp_path):
    """A folder as an inspector receives it: a report published as an Excel workbook (a web page
    saved by LibreOffice Calc) is inspected like the PDFs and pages (before, a folder skipped
    every .xlsx that ``xxgk import`` reads one by one); a report in old Word (.doc) or
    OpenDocument (.odt), saved by LibreOffice, stands in the results as 未能可靠读取 with what to
    do; every other file met is named with its reason in Chinese — an image, a zip, Word's ~$
    file, a hidden file, a page's style sheet, a hidden folder, the toolkit's own 填报表 (validate
    reads it) — none left out unsaid."""
    import shutil
    import zipfile

    from PIL import Image

    from tests.fixtures.build import clean_values
    from tests.office import convert
    from toolkit.model import Submission
    from toolkit.outputs.render import render

    def report(agency: str, path):
        sub = Submission(
            cover={"agency": agency, "year": 2025},
            values=clean_values(),
            texts={"overview": "本机关认真贯彻落实《条例》。", "problems": "无。"},
        )
        return render(sub, path)

    d = tmp_path / "各单位报告"
    work = tmp_path / "work"
    work.mkdir()
    d.mkdir()
    report("示例市青川区第一局", d / "第一局.html")
    page = report("示例市青川区第二局", work / "第二局.html")
    (xlsx,) = convert([page], work / "xlsx", "xlsx", recalc=False, infilter="HTML (StarCalc)")
    shutil.copy(xlsx, d / "第二局.xlsx")
    word = report("示例市青川区第三局", work / "第三局.docx")
    (doc,) = convert([word], work / "doc", "doc", recalc=False)
    shutil.copy(doc, d / "第三局.doc")
    (odt,) = convert([word], work / "odt", "odt", recalc=False)
    shutil.copy(odt, d / "第六局.odt")
    Image.new("RGB", (40, 40), "white").save(d / "第四局扫描件.png")
    with zipfile.ZipFile(d / "第五局.zip", "w") as z:
        z.writestr("第五局.html", page.read_text(encoding="utf-8"))
    (d / "~$第一局.docx").write_bytes(b"\x0cWPS user" + b"\x00" * 150)
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (d / "第一局_files").mkdir()
    (d / "第一局_files" / "style.css").write_text("p{}", encoding="utf-8")
    from toolkit.template import make_template

    make_template(d / "第七局填报表.xlsx", Submission(cover={"agency": "示例市青川区第七局", "year": 2025}))
    (d / ".sync").mkdir()
    (d / ".sync" / "a.txt").write_text("同步记录", encoding="utf-8")

    r = _run("inspect", d, "--format", "json")
    assert "Traceback" not in r.output
    doc_ = json.loads(r.output[r.output.index("{") :])
    by_file = {rep["file"]: rep for rep in doc_["reports"]}
    assert set(by_file) == {"第一局.html", "第二局.xlsx", "第三局.doc", "第六局.odt"}
    excel = by_file["第二局.xlsx"]
    assert excel["agency"] == "示例市青川区第二局" and excel["found"] == excel["expected"] == 203
    assert excel["verdict"] == by_file["第一局.html"]["verdict"] != "未能可靠读取"
    for name in ("第三局.doc", "第六局.odt"):
        old = by_file[name]
        assert old["verdict"] == "未能可靠读取"
        assert any("另存为 .docx 或 PDF" in f["message"] for f in old["findings"]), old["findings"]
    skipped = doc_["skipped"]
    reasons = {
        "第四局扫描件.png": "文字识别",
        "第五局.zip": "解压",
        "~$第一局.docx": "临时文件",
        ".DS_Store": "隐藏文件",
        "style.css": "网页的附属文件",
        ".sync": "隐藏文件夹",
        "第七局填报表.xlsx": "本工具的填报表",  # the form, not a published report: validate reads it
    }
    for name, why in reasons.items():
        (line,) = [s for s in skipped if name in s]
        assert why in line, line
    assert len(skipped) == len(reasons)
    # the text output names them too, each on its line
    r = _run("inspect", d)
    assert all(name in r.output for name in reasons) and "第二局.xlsx" in r.output
