"""Every output as a person prints it: converted to PDF by LibreOffice (Chromium for the .html) and
checked character by character (tests/pdfcheck.py): nothing overprinted, nothing off the page or
cut by a rule, every label and every text cell whole, each sheet within its page bound, the
charts apart from each other and from the tables, the .docx portrait for text and landscape only
for the wide tables. One soffice call converts every workbook and the .docx at once.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests import pdfcheck
from tests.conftest import ROOT, require_tool
from tests.office import convert
from toolkit.spec import load_spec

SAMPLES = ROOT / "samples"
GOOD = "青川区规划和自然资源分局"  # a sample without errors (the most applications)
BAD = "青川区公安分局"  # a sample with errors: its annotated copy
FORM_SHEETS = ("填报说明", "封面", "表二", "表三", "表四", "信息处理费", "文字", "校验")
# short column headers that must print on one line (a column too narrow breaks 商业企业 apart)
APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "总计")


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), (p.args, err)


@pytest.fixture(scope="module")
def printed(soffice, chromium, tmp_path_factory) -> dict[str, Path]:
    """Every kind of output, made by the CLI from the shipped samples, and its PDF (the CLI calls
    run side by side; then one soffice call for the workbooks and the .docx beside Chromium)."""
    d = tmp_path_factory.mktemp("print")
    out = {
        "blank": d / "blank.xlsx",
        "filled": d / "filled.xlsx",
        "annotated": d / "ann" / f"{BAD}_批注.xlsx",
        "findings": d / "findings.xlsx",
        "summary": d / "summary.xlsx",
        "docx": d / "report.docx",
        "html": d / "report.html",
    }
    vals = d / "values.json"
    _wait([
        _cli("template", "-o", str(out["blank"]), "--year", "2025", "--agency", "示例市青川区财政局"),
        _cli("export", str(SAMPLES / f"{GOOD}.xlsx"), "-o", str(vals)),
        _cli("validate", str(SAMPLES), "--year", "2025", "--annotate", str(d / "ann"), "--report", str(out["findings"])),
        _cli("merge", str(SAMPLES), "--roster", str(SAMPLES / "roster.csv"), "--year", "2025",
             "--previous", str(ROOT / "samples-previous"), "-o", str(out["summary"])),
        _cli("render", str(SAMPLES / f"{GOOD}.xlsx"), "-o", str(out["docx"])),
        _cli("render", str(SAMPLES / f"{GOOD}.xlsx"), "-o", str(out["html"])),
    ])  # fmt: skip
    _wait([_cli("template", "--values", str(vals), "-o", str(out["filled"]))])
    (d / "pdf").mkdir()
    html_pdf = d / "pdf" / "report_html.pdf"
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={d / 'profile'}", "--no-pdf-header-footer",
         f"--print-to-pdf={html_pdf}", out["html"].as_uri()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    out["faulty"] = _faulty(d / "faulty.xlsx")
    kinds = ("blank", "filled", "annotated", "findings", "summary", "docx", "faulty")
    pdfs = dict(zip(kinds, convert([out[k] for k in kinds], d / "pdf", to="pdf", recalc=False), strict=True))
    assert browser.wait(timeout=120) == 0
    pdfs["html"] = html_pdf
    return {**{f"{k}.src": v for k, v in out.items()}, **pdfs}


FAULTY_LABEL = "5.要求行政机关确认或重新出具已获取信息"


def _faulty(path: Path) -> Path:
    """A sheet with the faults the first template had: (五)5's wrapped label in a row of one line,
    a 填报说明 line running past the right margin (and so onto pages of its own)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表三")
    wrap = wb.add_format({"text_wrap": True, "border": 1, "valign": "top"})
    ws.set_column(0, 0, 12)
    ws.set_paper(9)
    ws.set_footer("&L&A&C示例 2025年度&R第 &P 页，共 &N 页")
    ws.set_row(0, 15)
    ws.write(0, 0, FAULTY_LABEL, wrap)
    ws.write(0, 1, 0, wrap)
    ws.write(3, 0, "填报说明：" + "请如实填写本年度政府信息公开申请的办理情况，" * 6)
    wb.close()
    return path


def test_the_checks_fail_on_a_faulty_layout(printed):
    """The checks below are not vacuous: on the first template's faults they fail."""
    doc = _load(printed["faulty"])
    assert any("off page" in f for f in pdfcheck.faults(doc))
    assert pdfcheck.missing(doc, [FAULTY_LABEL]) == [FAULTY_LABEL]  # clipped by the short row
    assert pdfcheck.pages_by_footer(doc, ["表三"])["表三"] > 1


def _strings(path: Path) -> list[str]:
    """Every text cell of every visible sheet within its print area (what must print whole)."""
    from openpyxl.utils.cell import range_boundaries

    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        area = ws.print_area
        if area:
            c0, r0, c1, r1 = range_boundaries(area.split(",")[0].split("!")[-1].replace("$", ""))
            rows = ws.iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1, values_only=True)
        else:
            rows = ws.iter_rows(values_only=True)
        for row in rows:
            out += [v for v in row if isinstance(v, str) and v.strip() and not v.startswith("=")]
    return out


def _form_labels() -> list[str]:
    spec = load_spec()
    labels = [lab.text for name in spec.sheets.values() for lab in spec.labels_on(name)]
    return [*labels, spec.guide_title, *spec.guide_lines]


@functools.lru_cache(maxsize=16)
def _load(path: Path) -> pdfcheck.Doc:
    return pdfcheck.load(path)


KINDS = ("blank", "filled", "annotated", "findings", "summary", "docx", "html")


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_overprinted_off_the_page_or_cut(printed, kind):
    doc = _load(printed[kind])
    assert pdfcheck.faults(doc) == []


@pytest.mark.parametrize("kind", ("blank", "filled", "annotated", "findings", "summary"))
def test_every_text_cell_and_label_prints_whole(printed, kind):
    doc = _load(printed[kind])
    want = _strings(printed[f"{kind}.src"])
    if kind != "findings":
        want += _form_labels()
    assert pdfcheck.missing(doc, sorted(set(want))) == []
    assert "###" not in doc.text  # a number too wide for its column


@pytest.mark.parametrize("kind", ("blank", "summary", "docx", "html"))
def test_applicant_columns_print_their_headers_on_one_line(printed, kind):
    doc = _load(printed[kind])
    assert pdfcheck.broken(doc, list(APPLICANTS)) == []


def _bounds(kind: str, path: Path) -> dict[str, int]:
    """The stated page bound of each printed sheet."""
    bounds = dict.fromkeys(FORM_SHEETS, 1)
    bounds["校验"] = 4
    if kind == "annotated":
        bounds["问题清单"] = 1  # one finding: its message on the same page as its code, not a page beside
    if kind == "findings":
        return {"问题清单": 3}
    if kind == "summary":
        wb = openpyxl.load_workbook(path)
        records = wb["报送情况"].max_row - 3
        findings = wb["问题清单"].max_row
        wb.close()
        keys = len(load_spec().numeric_keys)
        bounds |= {
            "报送情况": math.ceil(records / 8),  # one page wide; a file's SHA-256 takes 4 lines
            "明细": math.ceil((5 + keys) / 15) * math.ceil((records + 3) / 25),  # landscape
            "明细（长表）": 1,  # for the screen: prints a note saying so
            "问题清单": math.ceil(findings / 12),
            "图表": 3,  # one page per chart
        }
    return bounds


@pytest.mark.parametrize("kind", ("blank", "filled", "annotated", "findings", "summary"))
def test_each_sheet_prints_within_its_page_bound_with_a_footer(printed, kind):
    """Every page's footer names the sheet, agency, year and page; pages counted per sheet."""
    bounds = _bounds(kind, printed[f"{kind}.src"])
    doc = _load(printed[kind])
    pages = pdfcheck.pages_by_footer(doc, list(bounds))
    assert "（无页脚）" not in pages, pages
    over = {s: (n, bounds[s]) for s, n in pages.items() if n > bounds[s]}
    assert over == {}, f"pages (printed, bound): {over}"
    if kind != "findings":
        assert all(re.search(r"第\d+页", p.footer()) and "2025" in p.footer() for p in doc.pages)


def _anchors(xlsx: Path, sheet: str) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col) of each chart anchored on ``sheet``."""
    z = zipfile.ZipFile(xlsx)
    wbx = z.read("xl/workbook.xml").decode()
    names = re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', wbx)
    rels = dict(
        re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', z.read("xl/_rels/workbook.xml.rels").decode())
    )
    target = "xl/" + rels[dict(names)[sheet]]
    srels = z.read(target.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
    drawing = "xl/drawings/" + re.search(r'Target="../drawings/([^"]+)"', srels).group(1)
    xml = z.read(drawing).decode()
    out = []
    for a in re.findall(r"<xdr:twoCellAnchor.*?</xdr:twoCellAnchor>", xml, re.S):
        (c0, r0), (c1, r1) = re.findall(r"<xdr:col>(\d+)</xdr:col>.*?<xdr:row>(\d+)</xdr:row>", a, re.S)[:2]
        out.append((int(r0), int(c0), int(r1), int(c1)))
    return out


def test_charts_apart_each_on_its_own_page(printed):
    src = printed["summary.src"]
    charts = _anchors(src, "图表")
    assert len(charts) == 3
    for i, a in enumerate(charts):
        for b in charts[i + 1 :]:
            assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1], (a, b)
    wb = openpyxl.load_workbook(src)
    ws = wb["图表"]
    filled = [(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row if c.value not in (None, "")]
    for r0, c0, r1, c1 in charts:
        inside = [rc for rc in filled if r0 <= rc[0] <= r1 and c0 <= rc[1] <= c1]
        assert inside == [], f"chart over cells {inside[:3]}"
    breaks = [b.id for b in ws.row_breaks.brk]
    for r0, _, r1, _ in charts:  # no page break cuts a chart
        assert not any(r0 < b <= r1 for b in breaks), (r0, r1, breaks)
    doc = _load(printed["summary"])
    for title in ("各单位本年新收政府信息公开申请数量", "政府信息公开申请办理结果", "主要指标同比"):
        pages = [p.number for p in doc.pages if pdfcheck.norm(title) in p.text]
        assert len(pages) == 1, (title, pages)  # a chart split over pages repeats no title


def test_cover_hints_follow_the_year_and_district(printed):
    wb = openpyxl.load_workbook(printed["blank.src"])
    cover = " ".join(str(c.value) for row in wb["封面"].iter_rows() for c in row if c.value)
    assert "2025" in cover and "青川区" in cover
    for stale in ("2023", "2024-01-15", "密云"):
        assert stale not in cover, stale


@pytest.mark.parametrize("kind", ("docx", "html"))
def test_headings_stand_apart_from_the_table_above(printed, kind):
    doc = _load(printed[kind])
    for heading in (
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
    ):
        gap = pdfcheck.gap_above(doc, heading)
        assert gap is not None and gap >= 8, (heading, gap)  # points between a table's end and it


def test_word_report_portrait_text_landscape_wide_tables(printed):
    from docx import Document

    doc = _load(printed["docx"])
    first = doc.pages[0]
    assert first.width < first.height  # the title and the text: portrait
    wide = [p for p in doc.pages if "法律服务机构" in p.text or "复议后起诉" in p.text]
    assert wide and all(p.width > p.height for p in wide)
    table2 = Document(str(printed["docx.src"])).tables[0]
    widths = [c.width for c in table2.columns]
    assert widths[0] <= 0.4 * sum(widths), widths  # 表二's label column sized by its text


def test_preview_script_renders_the_readme_images(printed, tmp_path):
    """scripts/render_previews.py's page picking and rendering, on this module's PDFs."""
    if shutil.which("pdftoppm") is None:
        require_tool(None, "pdftoppm (package poppler-utils)")
    spec_ = importlib.util.spec_from_file_location("render_previews", ROOT / "scripts" / "render_previews.py")
    mod = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(mod)
    made = mod.previews(printed["blank"], printed["summary"], printed["docx"], tmp_path, 30)
    names = {p.name for p in made}
    assert {"template-t3.png", "summary-status.png", "summary-charts.png", "report-1.png"} <= names
    assert {"summary-charts-2.png", "summary-charts-3.png"} <= names  # one page per chart
    assert all(p.stat().st_size > 1000 for p in made)


@pytest.mark.parametrize("kind", ("docx", "html"))
def test_table_three_prints_with_its_heading_and_header_on_every_page(printed, kind):
    """A reader never meets 表三's rows on a page without its column headers (the .html once
    broke it after two rows, the rest on the next page without a header) nor its heading alone."""
    doc = _load(printed[kind])
    rows = ("一、本年新收政府信息公开申请数量", "（七）总计", "四、结转下年度继续办理")
    pages = [p for p in doc.pages if any(pdfcheck.norm(r) in p.text for r in rows)]
    assert pages and all(pdfcheck.norm("法律服务机构") in p.text for p in pages), [p.number for p in pages]
    heading = [p for p in doc.pages if pdfcheck.norm("三、收到和处理政府信息公开申请情况") in p.text]
    assert len(heading) == 1 and pdfcheck.norm(rows[0]) in heading[0].text


@pytest.mark.parametrize("kind", ("summary", "findings"))
def test_problem_list_repeats_its_header_on_every_page(printed, kind):
    """问题清单 (streamed into the summary, written by xlsxwriter for validate --report) names its
    columns on every printed page: a reader of page 2 still knows which column is the rule."""
    doc = _load(printed[kind])
    pages = [p for p in doc.pages if "问题清单" in p.footer()]
    assert len(pages) >= (2 if kind == "summary" else 1), [p.footer() for p in doc.pages]
    for p in pages:
        assert all(pdfcheck.norm(h) in p.text for h in ("规则代码", "问题说明", "单元格")), p.number
