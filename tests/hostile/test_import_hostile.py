"""``xxgk import`` of published reports in layouts that real PDFs come in and the layouts tests
do not make by themselves: pages turned a quarter or half turn, tables on pages that are pictures
(scanned, or pasted in as images). Reports of known numbers rendered by ``xxgk render`` and
converted by LibreOffice, then reshaped with pypdfium2 (tests/pdf_compose.py). The rule: a number
read is the number printed at its label; a number not read is unknown and the reason is said."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.proc import run_xxgk
from tests.pdf_compose import render_pdfs, scanned_from, turned, workbook_of_report
from tests.pdf_fixtures import Layout, expected_numbers, known_values
from toolkit.importers.report import import_report
from toolkit.model import Submission
from toolkit.spec import load_spec

SPEC = load_spec()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, soffice):
    out = tmp_path_factory.mktemp("rendered")
    sub = Submission(
        spec=SPEC,
        cover={"agency": "示例市青川区测试局", "year": 2024},
        values=known_values(41),
        texts={"overview": "本机关认真贯彻落实《条例》。"},
    )
    (pdf,) = render_pdfs(out, [sub], Layout("portrait", page_cm=(21.0, 29.7), label_scale=0.7))
    return pdf, sub


def _read(res) -> dict:
    sub = res.submission
    return {**sub.values, **{k: v for k, v in sub.reported.items() if v is not None}}


@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_page_turned_sideways_or_upside_down_is_turned_back_and_read_whole(rendered, tmp_path, quarters):
    """Every page's content turned by quarter turns (a landscape table placed sideways on the
    page, a page printed upside down): it was read as nothing (every row IMPORT-NOT-FOUND)."""
    src, sub = rendered
    pdf = turned(src, tmp_path / f"turned{quarters}.pdf", quarters)
    res = import_report(pdf)
    truth = expected_numbers(sub)
    assert _read(res) == {k: truth[k] for k in SPEC.numeric_keys}, quarters
    assert res.findings == [], [f.message for f in res.findings]
    words = {1: "顺时针旋转了90°", 2: "上下颠倒", 3: "逆时针旋转了90°"}[quarters]
    assert any(words in n and "已转正后读取" in n for n in res.notes), res.notes


def test_only_the_table_pages_turned_sideways_are_turned_back(rendered, tmp_path):
    """A portrait report whose 表三 pages are landscape, placed sideways: those pages only."""
    src, sub = rendered
    pdf = turned(src, tmp_path / "mixed.pdf", 3, pages={2, 3})
    res = import_report(pdf)
    truth = expected_numbers(sub)
    assert _read(res) == {k: truth[k] for k in SPEC.numeric_keys}
    assert res.findings == []
    assert "第3、4页的文字逆时针旋转了90°，已转正后读取" in res.notes, res.notes


def test_a_page_rotated_by_its_rotate_attribute_reads_as_the_page_it_shows(rendered, tmp_path):
    import pypdfium2 as pdfium

    src, sub = rendered
    doc = pdfium.PdfDocument(str(src))
    for i in range(len(doc)):
        page = doc[i]
        page.set_rotation(90)
        page.close()
    doc.save(str(tmp_path / "rot.pdf"))
    doc.close()
    res = import_report(tmp_path / "rot.pdf")
    truth = expected_numbers(sub)
    assert _read(res) == {k: truth[k] for k in SPEC.numeric_keys}
    assert res.findings == []


def test_tables_on_pages_that_are_pictures_are_said_to_be_a_scan_not_rows_not_found(rendered, tmp_path):
    """The first page is text, the tables' pages are pictures: the finding names those pages as
    a scan without a text layer (and OCR as what is missing), and every number not read is
    unknown — never 0; the import's workbook is written with them empty."""
    src, sub = rendered
    pdf = scanned_from(src, tmp_path / "半扫描.pdf", 1)
    res = import_report(pdf)
    truth = expected_numbers(sub)
    got = _read(res)
    assert all(got[k] == truth[k] for k in got if k in truth), "a number read at another row"
    assert res.unknown
    first = res.findings[0]
    assert first.code == "IMPORT-NOT-FOUND" and first.severity == "error"
    assert "图片（扫描件）" in first.message and "OCR" in first.message, first.message
    assert "第2—" in first.message, first.message
    assert f"{len(res.unknown)} 个数字为未知（不按0计）" in first.message
    out = tmp_path / "out.xlsx"
    r = run_xxgk(["import", str(pdf), "-o", str(out), "--format", "json"])
    assert "Traceback" not in r.stderr and r.returncode == 1, r.stderr[-2000:]
    assert "扫描件" in json.dumps(json.loads(r.stdout), ensure_ascii=False)
    assert out.exists()


@pytest.mark.parametrize("transpose", [False, True], ids=["one-sheet", "transposed"])
def test_a_report_published_as_a_workbook_is_read_whole(rendered, tmp_path, transpose):
    """The report's text and its three tables typed on one sheet of an .xlsx, or the same
    transposed: it was refused as 不是 Word 文档（…可能是改了扩展名的其他文件）."""
    src, sub = rendered
    book = workbook_of_report(src.with_suffix(".docx"), tmp_path / "报告.xlsx", transpose=transpose)
    res = import_report(book)
    truth = expected_numbers(sub)
    assert _read(res) == {k: truth[k] for k in SPEC.numeric_keys}
    assert res.findings == [], [f.message for f in res.findings]
    assert res.submission.agency == "示例市青川区测试局" and res.submission.year == 2024
    assert any("行列互换" in n for n in res.notes) == transpose, res.notes


def test_a_text_layer_without_character_mapping_is_said_to_be_garbled(rendered, tmp_path):
    """The fonts' ToUnicode maps removed (as some generators publish): the text layer gives glyph
    numbers — control characters, no Chinese. It was read as a report without a title whose 190
    rows were all 一行未找到; now one finding says the text cannot be taken out of this PDF."""
    src, _ = rendered
    data = src.read_bytes()
    assert data.count(b"/ToUnicode") > 0  # LibreOffice writes the font dictionaries uncompressed
    pdf = tmp_path / "乱码.pdf"
    pdf.write_bytes(data.replace(b"/ToUnicode", b"/ToUnicodX"))
    res = import_report(pdf)
    assert [f.code for f in res.findings] == ["FILE-UNREADABLE"], [f.message for f in res.findings][:3]
    assert "乱码" in res.findings[0].message and res.found == 0


_REPORT_2019 = (
    Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "gov2019_青川区示例局_2020.html"
)
_AMOUNT = "t2.gov_central_procurement.procurement_amount"


def _import_2019_with_amount(tmp_path, cell: str):
    html = _REPORT_2019.read_text(encoding="utf-8").replace("<td>251000元</td>", f"<td>{cell}</td>")
    p = tmp_path / "r.html"
    p.write_text(html, encoding="utf-8")
    return import_report(p)


def test_a_2019_amount_in_yuan_too_large_is_said_unread_only(tmp_path):
    """采购总金额 of 20 nines in 元: the import said both “换算为 9999999999999999.9999万元” and
    “超过了合理上限…未读入” of one cell — a conversion of a number it did not read."""
    res = _import_2019_with_amount(tmp_path, "9" * 20 + "元")
    said = [(f.code, f.message) for f in res.findings if f.key == _AMOUNT]
    assert [c for c, _ in said] == ["VALUE-IMPLAUSIBLE"], said
    assert _AMOUNT in res.unknown


def test_a_2019_amount_quoted_cut_is_marked_and_converted_without_an_exponent(tmp_path):
    """“0.00000000000000000001元”: quoted as “0.000000000000000000” (a different number: zero)
    and its conversion said as “1E-24万元”."""
    res = _import_2019_with_amount(tmp_path, "0.00000000000000000001元")
    (f,) = [f for f in res.findings if f.key == _AMOUNT]
    assert f.code == "VALUE-UNIT"
    assert "“0.000000000000000000…”" in f.message, f.message
    assert "换算为 0.000000000000000000000001万元" in f.message and "E-" not in f.message, f.message


def test_a_text_holding_table_three_hundreds_of_times_is_told_in_a_few_words(tmp_path):
    """表三 copied 300 times into one text (a page that repeats its table, a careless paste): not
    read (which copy?), and the finding names the first few copies and the count — it named all
    300 (3,500 characters; ~30,000 at the text's 2,000,000-character limit)."""
    from tests.fixtures.build import clean_values
    from tests.report_texts import make_report

    text = make_report(clean_values(), agency="示例市第1局", year=2024)
    i = text.index("三、收到和处理")
    j = text.index("四、", i)
    p = tmp_path / "三百份.txt"
    p.write_text(text[:i] + text[i:j] * 300 + text[j:], encoding="utf-8")
    res = import_report(p)
    (msg,) = [f.message for f in res.findings if f.code == "IMPORT-NOT-ONE-REPORT"]
    assert msg.startswith("表三印了 300 份（第1份（年度未知）、") and "第6份（年度未知）等）" in msg, msg
    assert len(msg) < 200, msg
    assert not any(k.startswith("t3.") and v for k, v in res.submission.values.items())
