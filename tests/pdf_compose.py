"""PDFs made from rendered reports the way comparisons and bad scans present them.

``render_pdfs``: reports of known numbers rendered by ``xxgk render`` and converted by LibreOffice
(one soffice call, :mod:`tests.pdf_fixtures`' layouts). ``side_by_side``: two PDFs' pages placed
next to each other on one wide page (a comparison rendering: last year left, this year right).
``skewed``: every page's content turned by a few degrees about the page centre (a print or scan
straightened badly), its text layer turned with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.office import convert
from tests.pdf_fixtures import Layout, _apply
from toolkit.model import Submission
from toolkit.outputs.render import render


def render_pdfs(outdir: Path, subs: list[Submission], layout: Layout) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    docs = []
    for k, sub in enumerate(subs):
        d = outdir / f"r{k}_{sub.year}.docx"
        render(sub, d)
        _apply(d, layout, sub.agency or "", int(sub.year or 0))
        docs.append(d)
    return convert(docs, outdir, "pdf", recalc=False)


def side_by_side(left: Path, right: Path, out: Path) -> Path:
    import pypdfium2 as pdfium

    a, b = pdfium.PdfDocument(str(left)), pdfium.PdfDocument(str(right))
    new = pdfium.PdfDocument.new()
    try:
        for i in range(max(len(a), len(b))):
            wa, ha = a.get_page_size(min(i, len(a) - 1))
            wb, hb = b.get_page_size(min(i, len(b) - 1))
            page = new.new_page(wa + wb, max(ha, hb))
            for src, n, dx in ((a, len(a), 0.0), (b, len(b), wa)):
                if i < n:
                    obj = src.page_as_xobject(i, new).as_pageobject()
                    obj.transform(pdfium.PdfMatrix().translate(dx, 0))
                    page.insert_obj(obj)
            page.gen_content()
            page.close()
        new.save(str(out))
    finally:
        new.close()
        a.close()
        b.close()
    return out


def _rebuilt(src: Path, out: Path, each: Any) -> Path:
    """``src`` written again page by page: ``each(pdfium, doc, new, i)`` makes page ``i`` of ``new``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(src))
    new = pdfium.PdfDocument.new()
    try:
        for i in range(len(doc)):
            each(pdfium, doc, new, i)
        new.save(str(out))
    finally:
        new.close()
        doc.close()
    return out


def _placed(pdfium: Any, doc: Any, new: Any, i: int, page: Any, degrees: float, cx: float, cy: float) -> None:
    """Page ``i`` of ``doc`` onto ``page``, turned by ``degrees`` about its centre, the centre at (cx, cy)."""
    w, h = doc.get_page_size(i)
    obj = doc.page_as_xobject(i, new).as_pageobject()
    obj.transform(pdfium.PdfMatrix().translate(-w / 2, -h / 2).rotate(degrees).translate(cx, cy))
    page.insert_obj(obj)


def skewed(src: Path, out: Path, degrees: float) -> Path:
    def each(pdfium: Any, doc: Any, new: Any, i: int) -> None:
        w, h = doc.get_page_size(i)
        page = new.new_page(w, h)
        _placed(pdfium, doc, new, i, page, degrees, w / 2, h / 2)
        page.gen_content()
        page.close()

    return _rebuilt(src, out, each)


def two_angles(src: Path, out: Path, degrees: float) -> Path:
    """Each page's content twice side by side, the left turned by +degrees, the right by -degrees:
    text at two angles on one page (no single angle levels it)."""

    def each(pdfium: Any, doc: Any, new: Any, i: int) -> None:
        w, h = doc.get_page_size(i)
        page = new.new_page(2 * w, h)
        for dx, turn in ((0.0, degrees), (w, -degrees)):
            _placed(pdfium, doc, new, i, page, turn, w / 2 + dx, h / 2)
        page.gen_content()
        page.close()

    return _rebuilt(src, out, each)


def turned(src: Path, out: Path, quarters: int, pages: set[int] | None = None) -> Path:
    """Every page's content (or the 0-based ``pages``' only) turned by ``quarters`` clockwise
    quarter turns about its centre, on a page of the turned size (a landscape table placed
    sideways, a page printed upside down), its text layer turned with it."""

    def each(pdfium: Any, doc: Any, new: Any, i: int) -> None:
        if pages is not None and i not in pages:
            new.import_pages(doc, [i])
            return
        w, h = doc.get_page_size(i)
        nw, nh = (h, w) if quarters % 2 else (w, h)
        page = new.new_page(nw, nh)
        _placed(pdfium, doc, new, i, page, 90 * quarters, nw / 2, nh / 2)
        page.gen_content()
        page.close()

    return _rebuilt(src, out, each)


def scanned_from(src: Path, out: Path, first: int) -> Path:
    """Pages before ``first`` (0-based) as they are; every later page replaced by a picture of
    it without any text (the tables of a report printed and scanned, or pasted in as pictures)."""
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(src))
    new = pdfium.PdfDocument.new()
    try:
        new.import_pages(doc, list(range(min(first, len(doc)))))
        for i in range(first, len(doc)):
            w, h = doc.get_page_size(i)
            page_in = doc[i]
            picture = page_in.render(scale=2).to_pil().convert("RGB")
            page_in.close()
            buf = io.BytesIO()
            picture.save(buf, "JPEG")
            buf.seek(0)
            page = new.new_page(w, h)
            img = pdfium.PdfImage.new(new)
            img.load_jpeg(buf, inline=False)
            img.set_matrix(pdfium.PdfMatrix().scale(w, h))
            page.insert_obj(img)
            page.gen_content()
            page.close()
        new.save(str(out))
    finally:
        new.close()
        doc.close()
    return out


def workbook_of_report(docx_path: Path, out: Path, *, transpose: bool = False) -> Path:
    """A rendered report as an agency publishes it in a spreadsheet: its paragraphs and tables
    in body order on one sheet, a merged cell's text once (at its first row and column), numbers
    as numbers; ``transpose``: rows and columns exchanged (the labels along the top row)."""
    import docx
    import openpyxl
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    d = docx.Document(str(docx_path))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年度报告"
    r = 1

    def put(row: int, col: int, text: str) -> None:
        value: object = int(text) if text.isdigit() else text
        ws.cell(col if transpose else row, row if transpose else col, value)

    for el in d.element.body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = Paragraph(el, d).text.strip()
            if text:
                put(r, 1, text)
                r += 1
        elif tag == "tbl":
            above: dict[int, object] = {}
            for row in Table(el, d).rows:
                seen: set[int] = set()
                for j, c in enumerate(row.cells):
                    tc = c._tc
                    if id(tc) in seen or above.get(j) is tc:  # a merged cell, shown again
                        continue
                    seen.add(id(tc))
                    above[j] = tc
                    if text := c.text.strip():
                        put(r, j + 1, text)
                r += 1
            r += 1
    wb.save(out)
    return out
