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
