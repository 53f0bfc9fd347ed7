"""Published reports in layouts real sites print (tests/published_layouts.py: the reference
report's Word-saved web page, with numbers of its own), read with ``xxgk import``: every number
read right or said unknown, never a wrong number presented as read. Real files: the pages printed
by Chromium, the .docx written by python-docx and opened by LibreOffice."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.office import chromium_print, convert
from tests.pdf_fixtures import known_values
from tests.published_layouts import check, docx_nested, docx_textbox, truth, word_html, write
from toolkit.importers.report import import_report

T4 = [k for k in truth(known_values(1)) if k.startswith("t4.")]


def _said_unknown(res) -> None:
    """Every number not read has its row's IMPORT-NOT-FOUND (or a table's) saying why."""
    assert all(f.message for f in res.findings if f.code == "IMPORT-NOT-FOUND")
    assert res.unknown == [k for k in res.submission.spec.numeric_keys if k not in res.submission.where]


@pytest.mark.parametrize("fullwidth", [False, True], ids=["digits", "fullwidth"])
def test_a_word_saved_web_page_with_merged_headers_reads_whole(tmp_path, fullwidth):
    """表二 with 第二十条第（一）项 over its four columns and 本年处理决定数量 (and its number) over
    three, 表三's corner note over three columns and rows, 商业<br>企业, every cell a MsoNormal
    paragraph with spans; numbers in ASCII or full-width digits."""
    for seed in (1, 2, 3):
        v = known_values(seed)
        res = import_report(write(tmp_path / f"{seed}.html", word_html(v, fullwidth=fullwidth)))
        assert check(res, v) == ({}, [])
        assert res.unknown == [] and res.submission.year == 2023
        assert res.submission.cover["agency"] == "北京市密云区测试局"


def test_table_three_over_two_pdf_pages_with_its_header_repeated(chromium, pdftotext, tmp_path):
    """The page printed by a browser: 表三's header in a <thead>, printed again atop the second
    page, the table's rows running on below it. Every number read at its label."""
    for seed, lead in ((1, 8), (3, 10)):
        v = known_values(seed)
        page = write(tmp_path / f"{seed}.html", word_html(v, thead=True, lead=lead))
        pdf = chromium_print(chromium, page, tmp_path / f"{seed}.pdf")
        text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        pages = [p for p in text.split("\f") if "申请人情况" in p]
        assert len(pages) == 2, "表三 is not over two pages with its header repeated: the test tests nothing"
        res = import_report(pdf)
        assert check(res, v) == ({}, [])
        assert res.unknown == [], res.unknown[:5]


def _fullwidth_pdf(chromium, tmp_path: Path) -> tuple[Path, dict, str]:
    """Full-width digits at the page's own size: numbers of four digits wrap anywhere in their
    cells (over two to four lines), 表四's number row starts a page (its totals wrap: ２ over ７)."""
    v = known_values(8)
    page = write(tmp_path / "fw.html", word_html(v, fullwidth=True, t4_break=True))
    pdf = chromium_print(chromium, page, tmp_path / "fw.pdf")
    return pdf, v, ""


def test_full_width_pieces_atop_a_page_are_no_page_number(chromium, tmp_path):
    """表四's row at the top of a page, its three totals wrapped (２ over ７): the line ``２ ４ ２``
    atop the page was taken for a page number in pieces and dropped, so the totals' lower pieces
    were read alone: 行政复议总计 7 where the page prints 27. Now the pieces stay, and a cell of two
    pieces is unknown."""
    from toolkit.importers.sources import read_lines

    pdf, v, _ = _fullwidth_pdf(chromium, tmp_path)
    lines, _kind = read_lines(pdf)
    last = max(ln.page for ln in lines)
    first = next(ln for ln in lines if ln.page == last)
    assert [w.text for w in first.words] == ["２", "４", "２"], (
        first
    )  # the totals' first pieces open the page
    res = import_report(pdf)
    wrong, lost = check(res, v)
    assert not {k: w for k, w in wrong.items() if k in T4}, wrong
    assert "t4.review_total" in res.unknown and not lost


def test_full_width_numbers_wrapped_in_a_pdf_are_never_read_as_a_piece(chromium, tmp_path):
    """表三 in full-width digits at the page's size: ４２ over ９ for 429, the pieces of a row level
    with the next row's, were read as numbers (部分公开 法律服务机构 2 where the page prints 429; 16
    such cells). A full-width number read from a page is kept only where a total of the table
    confirms it; the others are unknown, said so."""
    pdf, v, _ = _fullwidth_pdf(chromium, tmp_path)
    res = import_report(pdf)
    wrong, lost = check(res, v)
    assert wrong == {} and lost == []
    assert any("全角数字" in f.message and "未知" in f.message for f in res.findings)
    _said_unknown(res)


@pytest.mark.parametrize("fullwidth", [False, True], ids=["digits", "fullwidth"])
def test_a_docx_with_its_tables_nested_in_a_layout_table(tmp_path, fullwidth):
    for seed in (1, 2):
        v = known_values(seed)
        res = import_report(docx_nested(v, tmp_path / f"{seed}.docx", fullwidth=fullwidth))
        assert check(res, v) == ({}, []) and res.unknown == []


@pytest.mark.parametrize("fullwidth", [False, True], ids=["digits", "fullwidth"])
def test_a_docx_with_its_tables_in_text_boxes(tmp_path, fullwidth):
    """Each table in a text box as Word saves one (mc:Choice wps:txbx, and the same table again in
    its VML mc:Fallback). Before, a text box's text was read as one paragraph of its body, twice,
    and 200 of 203 numbers were unknown; now its tables are read as tables, once."""
    for seed in (1, 2):
        v = known_values(seed)
        res = import_report(docx_textbox(v, tmp_path / f"{seed}.docx", fullwidth=fullwidth))
        assert check(res, v) == ({}, []) and res.unknown == [], res.unknown[:5]
        assert not any(f.code == "IMPORT-NOT-ONE-REPORT" for f in res.findings)


def test_the_text_box_docx_is_a_document_libreoffice_shows(soffice, tmp_path):
    """The generated file is one a word processor opens and shows (its text boxes drawn): what
    LibreOffice prints of it is read too, right or unknown."""
    v = known_values(1)
    path = docx_textbox(v, tmp_path / "box.docx")
    (pdf,) = convert([path], tmp_path / "pdf", "pdf", recalc=False)
    res = import_report(pdf)
    assert check(res, v) == ({}, [])
    assert res.found > 40  # 表二 and the start of 表三 show in their boxes
