"""表三 of a province's form, with rows the national one lacks, printed as a clerk prints it: the
.docx by LibreOffice, the web page by Chromium. The landscape page was tuned to the national 28
rows; eight rows more pushed 表三 onto a second page in both (its last rows alone under a repeated
header). Now the table is set denser until it fits one landscape page (lines closer, then smaller
type, not under 6 points); one too long even then runs over pages at full size, its header
printed again on each and 表四 on a page of its own."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.fixtures.build import clean_values
from tests.office import chromium_print, convert
from tests.pdfcheck import faults, load
from tests.province_form import province_form
from toolkit.importers.report import import_report
from toolkit.model import Submission
from toolkit.outputs.render import (
    DOCX_WIDE_STEPS,
    HTML_WIDE_SIZE,
    _shown_values,
    render,
    table_grid,
    wide_size,
)
from toolkit.spec import load_spec

TEXTS = {"overview": "本机关认真贯彻落实《条例》。", "problems": "无。", "other_matters": "无。"}


def _province_report(
    tmp_path, rows: int, labels: dict[int, str] | None = None, distinct: bool = False
) -> tuple[Submission, list[str]]:
    path, added = province_form(tmp_path, rows, labels)
    values = clean_values()
    for i, key in enumerate(added):  # one application a row, each in the year's new ones
        values[f"t3.{key}.natural_person"] = 1
        if distinct:  # and a number of its own: a row read in another's place shows
            values[f"t3.{key}.business"] = 100 + i
            values["t3.new_received.business"] += 100 + i
    values["t3.new_received.natural_person"] += len(added)
    sub = Submission(
        spec=load_spec(str(path)), cover={"agency": "示例省青川区测试局", "year": 2025}, values=values
    )
    sub.texts = dict(TEXTS)
    return sub, [sub.spec.cells[f"t3.{k}.total"].label.split(" ", 1)[1].rsplit("／", 1)[0] for k in added]


def _printed(sub: Submission, kind: str, soffice: str, chromium: str, tmp_path) -> object:
    out = render(sub, tmp_path / f"r.{kind}")
    if kind == "docx":
        (pdf,) = convert([out], tmp_path / "lo", to="pdf", recalc=False)
        return pdf
    return chromium_print(chromium, out, tmp_path / "r.pdf")


def _pages(pdftotext: str, pdf) -> list[str]:
    out = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [re.sub(r"\s+", "", p) for p in out.stdout.split("\f") if p.strip()]


@pytest.mark.parametrize("rows", [8, 14])
@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_province_table_three_fits_one_landscape_page(soffice, chromium, pdftotext, tmp_path, kind, rows):
    sub, labels = _province_report(tmp_path, rows)
    pdf = _printed(sub, kind, soffice, chromium, tmp_path)
    pages = _pages(pdftotext, pdf)
    three = [p for p in pages if "申请人情况" in p]
    assert len(three) == 1, f"表三 on {len(three)} pages"
    (page,) = three
    assert "一、本年新收政府信息公开申请数量" in page and "四、结转下年度继续办理" in page
    assert all(label in page for label in labels)
    assert "未经复议直接起诉" not in page  # 表四 on a page of its own
    doc = load(pdf)
    assert all(p.width > p.height for p in doc.pages if "申请人情况" in p.text)
    assert faults(doc) == []
    # every number the national form asks for reads back from the page (the added rows are noted)
    res = import_report(pdf)
    assert res.unknown == [] and res.findings == [], (res.unknown, res.findings)
    got = res.submission.values
    want = {k: sub.values.get(k, 0) for k in res.submission.spec.input_keys}
    assert {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v} == {}
    assert sum("本格式没有的一行" in n for n in res.notes) == rows


def test_the_national_table_three_keeps_its_full_size_and_line_height():
    """Only a table that needs it is set denser: the national 表三 and 表四 keep 8 points at the
    font's own line height in the .docx, and the web page's size."""
    spec = load_spec()
    sub = Submission(cover={"agency": "甲", "year": 2025}, values=clean_values())
    for sheet in ("表三", "表四"):
        grid = table_grid(spec, sheet, _shown_values(sub))
        size, line, widths, whole = wide_size(grid, "docx")
        assert (size, line, whole) == (*DOCX_WIDE_STEPS[0], True) and abs(sum(widths) - 25.7) < 1e-6
        assert wide_size(grid, "html")[0] == HTML_WIDE_SIZE


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_table_three_too_long_for_one_page_runs_on_under_its_header(
    soffice, chromium, pdftotext, tmp_path, kind
):
    """30 rows added: no size from 8 down to 6 points holds it. It is set at full size over two
    pages, the second opening with the header rows; no row is lost or printed twice, and 表四
    starts a page of its own (the web page had left a page with the header and two rows, then
    the rest under the next page's header, 表四 squeezed below)."""
    sub, labels = _province_report(tmp_path, 30)
    grid = table_grid(sub.spec, "表三", _shown_values(sub))
    assert wide_size(grid, kind)[3] is False
    pdf = _printed(sub, kind, soffice, chromium, tmp_path)
    pages = _pages(pdftotext, pdf)
    three = [i for i, p in enumerate(pages) if "申请人情况" in p]
    assert len(three) == 2 and three[1] == three[0] + 1
    first, second = (pages[i] for i in three)
    assert "一、本年新收政府信息公开申请数量" in first and "四、结转下年度继续办理" in second
    assert second.index("申请人情况") < min(second.index(lab) for lab in labels if lab in second)
    assert len(first) > len(second) / 3, "the first page holds more than a header and a few rows"
    for label in labels:
        assert (first + second).count(label) == 1, label
    four = [p for p in pages if "未经复议直接起诉" in p]
    assert len(four) == 1 and "申请人情况" not in four[0]
    # read back across the page break, the header printed again between its rows
    res = import_report(pdf)
    assert res.unknown == [] and res.findings == [], (res.unknown, res.findings)
    got = res.submission.values
    assert {k: got.get(k) for k in res.submission.spec.input_keys} == {
        k: sub.values.get(k, 0) for k in res.submission.spec.input_keys
    }


@pytest.mark.parametrize("kind", ["docx", "html"])
def test_a_province_row_numbered_like_a_national_one_is_not_read_as_it(
    soffice, chromium, pdftotext, tmp_path, kind
):
    """A province's （六） numbered on past 3.其他 (4.其他, 13.其他处理情形, 23.其他 …), printed over
    two pages: the national 3.其他 was found inside "13.其他…"/"23.其他…" and read from that row
    (a wrong number, hidden while every added row printed the same numbers), and the real 3.其他
    noted as a province's row. Each added row prints a number of its own here."""
    labels = {3: "4.其他", 12: "13.其他", 22: "23.其他"}
    sub, _ = _province_report(tmp_path, 30, labels, distinct=True)
    pdf = _printed(sub, kind, soffice, chromium, tmp_path)
    assert sum("申请人情况" in p for p in _pages(pdftotext, pdf)) == 2  # over two pages
    res = import_report(pdf)
    got = res.submission.values
    want = {k: sub.values.get(k, 0) for k in res.submission.spec.input_keys}
    assert {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v} == {}
    assert res.unknown == [] and res.derived == []
    noted = [n for n in res.notes if "本格式没有的一行" in n]
    assert len(noted) == 30 and not any("“3其他”" in n for n in noted)
    assert any("“13其他”" in n and "112" in n for n in noted)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _tables_with_sections(docx_path) -> list[tuple[object, object]]:
    """Each w:tbl of the document body with the w:sectPr of the section it is in (the next one)."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(docx_path) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(f"{W}body")
    out, pending = [], []
    for el in body.iter(f"{W}tbl", f"{W}sectPr"):
        if el.tag == f"{W}tbl":
            if el.getparent().tag == f"{W}body":
                pending.append(el)
        else:
            out += [(t, el) for t in pending]
            pending = []
    return out


@pytest.mark.parametrize("rows", [0, 14, 30])
def test_the_docx_tables_are_set_in_their_xml_as_libreoffice_shows_them(tmp_path, rows):
    """What Word reads, not only what LibreOffice draws: every table's columns add up to its
    page's text width, each cell is as wide as its columns, and
    every paragraph in it (the cells' own and the empty ones a merge leaves in the cells it
    covers) is at the table's type size with no space after and no indent. The covered cells'
    paragraphs were bare: 12 points with the body's 4-point space after and 24-point indent,
    which Word lays out in every row beside 三、本年度办理结果 (each row at least that high) and
    LibreOffice does not; the dense province table would then have run onto a second page in
    Word alone. The numbers and the one-line labels fit their columns at that size."""
    from toolkit.textfit import text_pt

    if rows:
        sub, _ = _province_report(tmp_path, rows)
    else:
        sub = Submission(cover={"agency": "示例市青川区测试局", "year": 2025}, values=clean_values())
        sub.texts = dict(TEXTS)
    out = render(sub, tmp_path / "r.docx")
    # a province's table set denser to fit its page has its items' labels on one line each
    dense = rows and wide_size(table_grid(sub.spec, "表三", _shown_values(sub)), "docx")[3]
    tables = _tables_with_sections(out)
    assert len(tables) == 3  # 表二, 表三, 表四
    for tbl, sect in tables:
        pg, mar = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
        text_w = int(pg.get(f"{W}w")) - int(mar.get(f"{W}left")) - int(mar.get(f"{W}right"))
        grid = [int(g.get(f"{W}w")) for g in tbl.find(f"{W}tblGrid")]
        assert abs(sum(grid) - text_w) <= len(grid), (sum(grid), text_w)
        # the table's own width left "auto" with a fixed layout: Word and LibreOffice take the
        # columns (a width said in twips wins over them, and a person's or program's change to
        # the columns that leaves it as it was would then be undone)
        tbl_w = tbl.find(f"{W}tblPr/{W}tblW")
        assert (
            tbl_w.get(f"{W}type") == "auto" and tbl.find(f"{W}tblPr/{W}tblLayout").get(f"{W}type") == "fixed"
        )
        for tr in tbl.iter(f"{W}tr"):
            col = 0
            for tc in tr.iter(f"{W}tc"):
                span_el = tc.find(f"{W}tcPr/{W}gridSpan")
                span = int(span_el.get(f"{W}val")) if span_el is not None else 1
                width = int(tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w"))
                assert abs(width - sum(grid[col : col + span])) <= span  # each rounded to twips
                item_label = dense and len(grid) == 10 and col == 2 and span == 1  # 表三's items
                sizes = set()
                for p in tc.iter(f"{W}p"):
                    ppr = p.find(f"{W}pPr")
                    assert ppr is not None, "a bare paragraph in a table cell"
                    assert ppr.find(f"{W}spacing").get(f"{W}after") == "0"
                    assert ppr.find(f"{W}ind").get(f"{W}firstLine") == "0"
                    mark = ppr.find(f"{W}rPr/{W}sz")
                    assert mark is not None, "a paragraph mark without the table's size"
                    sizes.add(mark.get(f"{W}val"))
                    sizes |= {
                        s.get(f"{W}val") for s in p.iter(f"{W}sz") if s.getparent().getparent().tag == f"{W}r"
                    }
                    text = "".join(t.text or "" for t in p.iter(f"{W}t"))
                    if text and (text.isdigit() or item_label):  # one line each, at its size
                        need = text_pt(text, int(mark.get(f"{W}val")) / 2) * 20 + 2 * 108  # + margins
                        assert need <= width, (text, need, width)
                col += span
                assert len(sizes) == 1, sizes  # marks and runs of a cell at one size
