"""Every output as a person prints it: converted to PDF by LibreOffice (Chromium for the .html) and
checked character by character (tests/pdfcheck.py): nothing overprinted, nothing off the page or
cut by a rule, every label and every text cell whole, each sheet within its page bound, the
charts apart from each other and from the tables, the .docx portrait for text and landscape only
for the wide tables. One soffice call converts every workbook and the .docx at once.

The summary is merged from a district of 30 agencies (the samples and 11 more): its 明细 must keep
to a stated page budget with every page holding agencies (never a page of headers and the 合计 row
alone). Nothing internal reaches paper (stable keys, SHA-256, command-line options), the summary
opens with its own cover, and every page of every output is kept as a PNG under
test-artifacts/print/ (pdftoppm) for a person to look at.
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


def _own_words(path: Path) -> Path:
    """The good sample with its texts the agency's own (without the samples' “（示例文字）” mark,
    which keeps a report a draft): the finished report as it is published."""
    if not path.exists():
        from toolkit.reader import read_workbook
        from toolkit.template import make_template

        sub = read_workbook(SAMPLES / f"{GOOD}.xlsx")
        sub.texts = {k: v.replace("（示例文字）", "") for k, v in sub.texts.items()}
        make_template(path, sub)
    return path


@pytest.fixture(scope="module")
def printed(soffice, chromium, tmp_path_factory) -> dict[str, Path]:
    """Every kind of output, made by the CLI from the shipped samples, and its PDF (the CLI calls
    run side by side; then one soffice call for the workbooks and the .docx beside Chromium)."""
    d = tmp_path_factory.mktemp("print")
    inbox, roster = district_inbox(d / "district")
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
        _cli("merge", str(inbox), "--roster", str(roster), "--year", "2025",
             "--previous", str(ROOT / "samples-previous"), "-o", str(out["summary"])),
        _cli("render", str(_own_words(d / "own.xlsx")), "-o", str(out["docx"])),
        _cli("render", str(_own_words(d / "own.xlsx")), "-o", str(out["html"])),
    ])  # fmt: skip
    _wait([
        _cli("template", "--values", str(vals), "-o", str(out["filled"])),
        _cli("archive", "add", str(SAMPLES), str(ROOT / "samples-previous"), "--db", str(d / "a.db")),
    ])  # fmt: skip
    out["trend"] = d / "trend.xlsx"
    _wait([_cli("trend", "--district", "示例市青川区", "--db", str(d / "a.db"), "-o", str(out["trend"]))])
    # the 校验 sheet as a spreadsheet application shows it once it has recalculated: ✗ messages
    out["checks"] = _failing_checks(d / "checks.xlsx")
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
    kinds = ("blank", "filled", "annotated", "findings", "summary", "docx", "faulty", "trend")
    pdfs = dict(zip(kinds, convert([out[k] for k in kinds], d / "pdf", to="pdf", recalc=False), strict=True))
    (pdfs["checks"],) = convert([out["checks"]], d / "pdf-recalc", to="pdf", recalc=True)
    assert browser.wait(timeout=120) == 0
    pdfs["html"] = html_pdf
    _keep_pngs(pdfs)
    return {**{f"{k}.src": v for k, v in out.items()}, **pdfs}


ARTIFACTS = ROOT / "test-artifacts" / "print"
# the 11 agencies that make the samples' district one of 30
EXTRA = ("档案局", "审计局", "统计局", "水务局", "农业农村局", "文化和旅游局", "应急管理局", "退役军人事务局",
         "医疗保障局", "体育局", "园林绿化局")  # fmt: skip


def district_inbox(d: Path) -> tuple[Path, Path]:
    """The samples (with their faults, a differing resubmission, a file outside the roster) and
    11 more agencies, each with its own cover and code, and a roster of all 30 of the roster."""
    from toolkit.reader import read_file
    from toolkit.template import make_template
    from toolkit.uscc import uscc_check_char

    inbox = d / "inbox"
    inbox.mkdir(parents=True)
    for p in SAMPLES.glob("*.xlsx"):
        shutil.copy(p, inbox / p.name)
    # the same report sent twice under another name: counted once, not a problem on paper
    shutil.copy(SAMPLES / f"{GOOD}.xlsx", inbox / f"{GOOD}（再次发送）.xlsx")
    roster = (SAMPLES / "roster.csv").read_text(encoding="utf-8-sig").rstrip("\n").splitlines()
    base = read_file(SAMPLES / f"{GOOD}.xlsx").submission
    for i, name in enumerate(EXTRA, 1):
        body = f"11110999MB00002{i:02d}"
        code = body + uscc_check_char(body)
        base.cover.update({"agency": f"青川区{name}", "code": code})
        make_template(inbox / f"青川区{name}.xlsx", base)
        roster.append(f"青川区{name},{code},示例市青川区,部门")
    path = d / "roster.csv"
    path.write_text("\n".join(roster) + "\n", encoding="utf-8")
    return inbox, path


def _failing_checks(path: Path) -> Path:
    """A filled form whose checks fail (a balance off by 3, a count typed as text), for the 校验
    sheet's ✗ messages once recalculated."""
    from tests.fixtures.build import clean, edit

    sub = clean()
    sub.values["t3.granted.natural_person"] += 3
    sub.texts["overview"] = LONG_TEXT
    return edit(path, {"t3.new_received.business": "12件"}, sub)


# a 总体情况 of ~3,000 characters: more than a row of Excel's 409 points holds
LONG_TEXT = "".join(
    f"（{i}）本机关认真贯彻落实《中华人民共和国政府信息公开条例》，不断完善主动公开工作机制。"
    for i in range(1, 80)
)


def _keep_pngs(pdfs: dict[str, Path]) -> None:
    """Every printed page as a PNG under test-artifacts/print/<kind>-<page>.png (pdftoppm)."""
    exe = shutil.which("pdftoppm") or require_tool(None, "pdftoppm (package poppler-utils)")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    procs = [
        subprocess.Popen([exe, "-r", "60", "-png", str(pdf), str(ARTIFACTS / kind)])
        for kind, pdf in pdfs.items()
    ]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.args


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

    wb = openpyxl.load_workbook(path, data_only=True)  # a formula's text result as last shown
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        area = ws.print_area
        if area:
            c0, r0, c1, r1 = range_boundaries(area.split(",")[0].split("!")[-1].replace("$", ""))
            rows = ws.iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1)
        else:
            rows = ws.iter_rows()
        hidden_cols = {k for k, d in ws.column_dimensions.items() if d.hidden}
        for row in rows:
            out += [
                c.value
                for c in row
                if isinstance(c.value, str)
                and c.value.strip()
                and not c.value.startswith("=")
                and not ws.row_dimensions[c.row].hidden
                and c.column_letter not in hidden_cols
            ]
    return out


def _form_labels(kind: str = "") -> list[str]:
    spec = load_spec()
    labels = [lab.text for name in spec.sheets.values() for lab in spec.labels_on(name)]
    if kind == "summary":  # the agencies' 填报说明 is not part of the district's printed report
        return labels
    if kind == "annotated":  # the agency's own workbook, in the template version it was made with
        # (its 填报说明 as that version wrote it: among the workbook's own text cells)
        return [lab.text for lab in load_spec("gov-2021", 1).labels]
    return [*labels, spec.guide_title, *spec.guide_lines]


@functools.lru_cache(maxsize=16)
def _load(path: Path) -> pdfcheck.Doc:
    return pdfcheck.load(path)


KINDS = ("blank", "filled", "annotated", "findings", "summary", "checks", "docx", "html")


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_overprinted_off_the_page_or_cut(printed, kind):
    doc = _load(printed[kind])
    assert pdfcheck.faults(doc) == []


@pytest.mark.parametrize("kind", ("blank", "filled", "annotated", "findings", "summary", "checks"))
def test_every_text_cell_and_label_prints_whole(printed, kind):
    doc = _load(printed[kind])
    want = _strings(printed[f"{kind}.src"])
    if kind == "checks":  # the long text prints in part, and a note says so (below)
        want.remove(LONG_TEXT)
    if kind not in ("findings", "checks"):
        want += _form_labels(kind)
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
        bounds.pop("填报说明")  # hidden in the summary: the agencies' instructions
        bounds |= {
            "汇总封面": 1,
            "报送情况": math.ceil(records / 12),  # one page wide
            "明细": DETAIL_PAGES,
            "明细（长表）": 1,  # for the screen: prints a note saying so
            "问题清单": math.ceil(findings / 12),
            "图表": 3,  # one page per chart
        }
    return bounds


# 明细 of a district of 30 agencies: landscape, one page tall, ~19 value columns a page
DETAIL_PAGES = 12


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


# -- finished documents: nothing internal on paper, no page of headers alone, the cover ----------
INTERNAL = (
    (re.compile(r"(?=[0-9a-f]*[a-f])[0-9a-f]{32,}"), "a hash"),
    (re.compile(r"(?:t2|t3|t4|s6|cover)\.[a-z_]+"), "a stable cell key"),
    (re.compile(r"--[a-z]"), "a command-line option"),
    (re.compile(r"xxgk[a-z]"), "a command"),
    (re.compile(r"SHA"), "SHA"),
)


@pytest.mark.parametrize("kind", ("blank", "filled", "annotated", "findings", "summary", "checks"))
def test_nothing_internal_on_paper(printed, kind):
    """Keys, file hashes and command-line options stay in the workbook (hidden rows and columns)
    or the JSON: a page never shows them."""
    doc = _load(printed[kind])
    found = [
        (p.number, what, m.group(0)[:40])
        for p in doc.pages
        for rx, what in INTERNAL
        for m in [rx.search(p.text)]
        if m
    ]
    assert found == []


def _column(path: Path, sheet: str, col: str, first: int) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        cells = wb[sheet].iter_rows(
            min_row=first, min_col=ord(col) - 64, max_col=ord(col) - 64, values_only=True
        )
        return [v for (v,) in cells if isinstance(v, str) and v.strip()]
    finally:
        wb.close()


@pytest.mark.parametrize(
    ("kind", "sheet", "col", "first", "least"),
    [
        ("summary", "明细", "A", 4, 3),  # agency names (the 合计 row is no agency)
        ("summary", "报送情况", "B", 4, 1),
        ("summary", "问题清单", "F", 2, 1),  # rule codes
        ("summary", "校验", "A", 4, 1),
        ("findings", "问题清单", "F", 2, 1),
        ("blank", "校验", "A", 4, 1),
    ],
)
def test_no_page_holds_only_headers(printed, kind, sheet, col, first, least):
    """Every page of a table with repeated headers carries rows of its own (the first 明细 put the
    合计 row alone under the headers on 14 pages of 28)."""
    rows = {
        pdfcheck.norm(v)
        for v in _column(printed[f"{kind}.src"], sheet, col, first)
        if not v.startswith("合计")
    }
    doc = _load(printed[kind])
    name = pdfcheck.norm(sheet)
    pages = [
        p
        for p in doc.pages
        if p.footer().startswith(name) and not p.footer()[len(name) :].startswith(pdfcheck.norm("（"))
    ]
    assert pages
    thin = [p.number for p in pages if sum(1 for r in rows if r in p.text) < least]
    assert thin == [], f"{sheet}: pages without rows of their own: {thin}"


def test_detail_of_thirty_agencies_keeps_its_page_budget(printed):
    """明细 of the 30-agency district: at most DETAIL_PAGES landscape pages, each one page tall
    (every agency and the 合计 row on every page, under the tables' headings, not keys)."""
    names = [v for v in _column(printed["summary.src"], "明细", "A", 4) if not v.startswith("合计")]
    assert len({n for n in names}) >= 30
    doc = _load(printed["summary"])
    pages = [
        p for p in doc.pages if p.footer().startswith(pdfcheck.norm("明细")) and "长表" not in p.footer()
    ]
    assert 0 < len(pages) <= DETAIL_PAGES, len(pages)
    for p in pages:
        assert all(pdfcheck.norm(n) in p.text for n in names), p.number
        assert pdfcheck.norm("合计（计入汇总的") in p.text and p.width > p.height, p.number
    assert pdfcheck.norm("一、本年新收政府信息公开申请数量") in doc.text


def test_summary_opens_with_its_cover(printed):
    """The district's report starts with a cover naming the government, the year, and lines for
    the contact and the date; the agencies' 填报说明 is not printed."""
    doc = _load(printed["summary"])
    first = doc.pages[0]
    for text in (
        "示例市青川区",
        "2025年政府信息公开工作年度报告",
        "汇总表",
        "联系人",
        "联系电话",
        "编制日期",
    ):
        assert pdfcheck.norm(text) in first.text, text
    assert not any(p.footer().startswith(pdfcheck.norm("填报说明")) for p in doc.pages)
    assert pdfcheck.norm(load_spec().guide_title) not in doc.text
    # what the coordinator types into 封面 (contact, phone, date) shows on the cover page too
    ws = openpyxl.load_workbook(printed["summary.src"])["汇总封面"]
    formulas = " ".join(str(c.value) for row in ws.iter_rows() for c in row if str(c.value).startswith("="))
    for key in ("cover.contact", "cover.phone", "cover.date"):
        assert f"'封面'!{load_spec().cells[key].a1}" in formulas, key


def test_checks_sheet_prints_its_failure_messages_whole(printed):
    """Recalculated, the 校验 sheet shows ✗ messages longer than its first result column held."""
    doc = _load(printed["checks"])
    want = ["1个单元格为文本，不计入合计", "差-3", "差-8"]
    assert pdfcheck.missing(doc, want) == []
    assert pdfcheck.faults(doc) == []


@pytest.mark.parametrize(
    ("kind", "who"),
    [
        ("blank", "示例市青川区财政局"),
        ("filled", GOOD),
        ("summary", "示例市青川区"),
        ("annotated", BAD),
        ("findings", ""),
    ],
)
def test_documents_name_their_agency_not_a_library(printed, kind, who):
    """文件 > 属性: the title says what the document is, the author is the agency (or nobody for a
    list of many agencies), never the library that wrote it."""
    with zipfile.ZipFile(printed[f"{kind}.src"]) as z:
        core = z.read("docProps/core.xml").decode()
    title = re.search(r"<dc:title[^>]*>(.*?)</dc:title>", core)
    author = re.search(r"<dc:creator[^>]*>(.*?)</dc:creator>", core)
    assert title and "政府信息公开工作年度报告" in title.group(1), core
    assert "xxgk" not in core.lower() and "openpyxl" not in core.lower()
    assert (author.group(1) if author else "") == who


def test_an_identical_copy_is_not_shown_as_a_problem(printed):
    """The same report sent twice is counted once: its row in 报送情况 says so without red (the
    first rule of the status column's formatting matches it and stops)."""
    ws = openpyxl.load_workbook(printed["summary.src"])["报送情况"]
    rows = [
        r for r in ws.iter_rows(min_row=4, values_only=True) if r[4] == "重复" and "内容相同" in (r[11] or "")
    ]
    assert rows
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert "内容相同" in rules[0].formula[0] and rules[0].stopIfTrue
    assert rules[0].dxf is None or rules[0].dxf.fill is None
    assert any("有错误" in r.formula[0] and r.dxf.fill is not None for r in rules[1:])


def test_every_printed_page_is_kept_as_a_png(printed):
    for kind in ("blank", "filled", "annotated", "findings", "summary", "checks", "docx", "html"):
        pages = len(_load(printed[kind]).pages)
        pngs = sorted(ARTIFACTS.glob(f"{kind}-*.png"))
        assert len(pngs) == pages and all(p.stat().st_size > 1000 for p in pngs), kind


def test_a_text_too_long_for_its_row_is_not_lost_without_a_word(printed):
    """A row holds at most 409 points: a text longer than that prints its beginning, and a note on
    the sheet says how long it is and where the whole text is (the reader reads it whole)."""
    from toolkit.reader import read_file

    doc = _load(printed["checks"])
    pages = [p for p in doc.pages if p.footer().startswith(pdfcheck.norm("文字"))]
    assert pages and pdfcheck.norm(LONG_TEXT[:300]) in "".join(p.text for p in pages)
    assert pdfcheck.norm(f"“一、总体情况”共{len(LONG_TEXT)}字") in doc.text
    assert read_file(printed["checks.src"]).submission.texts["overview"] == LONG_TEXT


def test_trend_workbook_prints_labelled_whole_and_charts_apart(printed):
    """The trend workbook on paper: nothing cut or overprinted, every label and note whole, the
    unit and figure columns beside every change column (repeated when the years run over), a page
    number on every page, no chart cut by a page break."""
    doc = _load(printed["trend"])
    assert pdfcheck.faults(doc) == []
    src = printed["trend.src"]
    wb = openpyxl.load_workbook(src)
    ws = wb["趋势"]
    assert ws.print_title_rows.replace("$", "") == "1:3" and ws.print_title_cols.replace("$", "") == "A:B"
    text = "".join(pdfcheck.norm(p.text) for p in doc.pages)
    for line in (c.value for c in wb["说明"]["A"] if c.value):
        assert pdfcheck.norm(line) in text, line[:30]
    pages = [p for p in doc.pages if pdfcheck.norm("比上年") in pdfcheck.norm(p.text)]
    assert pages and all(pdfcheck.norm("指标") in pdfcheck.norm(p.text) for p in pages)
    assert all(re.search(r"第\s*\d+\s*页", p.text) for p in doc.pages)
    charts = _anchors(src, "图表")
    breaks = [b.id for b in wb["图表"].row_breaks.brk]
    assert charts
    for r0, _, r1, _ in charts:
        assert not any(r0 < b <= r1 for b in breaks), (r0, r1, breaks)
