"""The bounded readers of published reports (issue 20) read what the libraries they replace read.

The .docx reader inflates only the main part and parses it with expat; python-docx, which it
replaced, is the oracle here: on real Word packages (python-docx's own, with merged cells, tabs,
breaks, a nested table and a row starting late, and the same saved by LibreOffice) both give the
same lines. PDF text comes from a forked child under limits: the same lines as in-process.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from toolkit.importers import sources
from toolkit.importers.sources import BLANK, Line, Word


def _python_docx_lines(data: bytes) -> list[Line]:
    """The lines as the reader made them with python-docx (body paragraphs; table cells from
    ``row.cells``, each merged cell once, at its first grid column)."""
    from docx import Document
    from docx.table import Table

    doc = Document(io.BytesIO(data))
    lines: list[Line] = []
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            s = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")).strip()
            if s:
                lines.append(Line([Word(t) for t in s.split()]))
        elif tag == "tbl":
            seen: dict[int, object] = {}
            for y, row in enumerate(Table(child, doc).rows):
                words = []
                for x, cell in enumerate(row.cells):
                    if id(cell._tc) in seen:
                        continue
                    seen[id(cell._tc)] = cell._tc
                    s = cell.text.strip()
                    s = re.sub(r"\s+", "", s) if not re.search(r"\d\s+\d", s) else s
                    words.append(Word(s or BLANK, float(x), float(x) + 0.9, y, y + 1))
                if words:
                    lines.append(Line(words, geometric=True, table_row=True))
    return lines


def _dump(lines: list[Line]) -> list[tuple]:
    return [
        (ln.page, ln.geometric, ln.table_row, [(w.text, w.x0, w.x1, w.top, w.bottom) for w in ln.words])
        for ln in lines
    ]


def _merged_docx(path: Path) -> Path:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("某局2025年政府信息公开工作年度报告\t（全文）")
    p = d.add_paragraph("一行")
    p.add_run().add_break()
    p.add_run("第二 行 12 34")
    t = d.add_table(rows=5, cols=5)
    for r in range(5):
        for c in range(5):
            t.cell(r, c).text = f"{r}{c}" if (r + c) % 3 else ""
    t.cell(0, 0).merge(t.cell(2, 1))  # gridSpan and vMerge together
    t.cell(1, 3).merge(t.cell(3, 3))
    t.cell(4, 2).merge(t.cell(4, 4))
    cell = t.cell(3, 4)
    cell.add_paragraph("第二段 5 6")
    run = cell.paragraphs[0].add_run("x")
    run.add_tab()
    run.add_text("y")
    t.cell(4, 0).add_table(rows=1, cols=2).cell(0, 0).text = "嵌套"
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    t.rows[4]._tr.get_or_add_trPr().append(before)
    d.add_paragraph("结尾")
    d.save(str(path))
    return path


def test_docx_lines_are_python_docx_lines(tmp_path):
    from toolkit.model import Submission
    from toolkit.outputs.render import render
    from toolkit.spec import load_spec

    spec = load_spec()
    values = {k: (i * 7) % 23 for i, k in enumerate(spec.input_keys) if spec.cells[k].table == "t3"}
    rendered = render(
        Submission(spec=spec, cover={"agency": "某局", "year": 2025}, values=values), tmp_path / "r.docx"
    )
    files = [Path(rendered), _merged_docx(tmp_path / "merged.docx")]
    for f in files:
        data = f.read_bytes()
        want = _dump(_python_docx_lines(data))
        assert any(ln[2] for ln in want), f  # tables are compared, not only text
        assert _dump(sources.docx_lines(data)) == want, f


@pytest.mark.libreoffice
def test_docx_saved_by_libreoffice_reads_as_python_docx_reads_it(tmp_path, soffice):
    from tests.office import convert

    (tmp_path / "src").mkdir()
    src = _merged_docx(tmp_path / "src" / "merged.docx")
    (out,) = convert([src], tmp_path / "lo", "docx:MS Word 2007 XML", recalc=False)
    data = Path(out).read_bytes()
    assert _dump(sources.docx_lines(data)) == _dump(_python_docx_lines(data))


def _text_pdf(lines: list[str]) -> bytes:
    """A PDF whose page shows ``lines`` in Helvetica (a standard font: nothing embedded)."""
    ops = b"BT /F1 12 Tf 14 TL 72 760 Td " + b" ".join(b"(%s) '" % s.encode() for s in lines) + b" ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(out)


def test_pdf_text_from_the_limited_child_is_the_in_process_text():
    data = _text_pdf(["Table 3  12  0  7", "Row two 345 6", "(end)"])
    lines = sources.pdf_lines(data)
    assert [ln.text for ln in lines] == ["Table 3 12 0 7", "Row two 345 6", "(end)"]
    assert _dump(lines) == _dump(sources._pdf_lines(data))


def test_the_pdf_childs_cpu_limit_grows_with_the_file():
    assert sources.pdf_cpu_seconds(100_000) == sources.PDF_CPU_BASE + sources.PDF_CPU_PER_MB
    assert sources.pdf_cpu_seconds(64 << 20) == sources.PDF_CPU_BASE + 64 * sources.PDF_CPU_PER_MB


def test_a_pdf_without_text_is_said_so_from_the_child():
    data = _text_pdf([])
    with pytest.raises(sources.NoTextLayer, match="没有文字层"):
        sources.pdf_lines(data)


def test_html_never_closed_markup_is_dropped_not_retried():
    text = "<p>甲</p><p>乙</p>" + "<a " * 20_000
    assert [ln.text for ln in sources.html_lines(text)] == ["甲", "乙"]
    # a short unclosed tail is still read the stdlib's way (as text), and text held back for a
    # trailing "&" is kept however long it is
    assert [ln.text for ln in sources.html_lines("<p>甲</p><!-- x <p>乙")] == ["甲", "<!-- x <p>乙"]
    assert sources.html_lines("<p>" + "公开" * 3000 + " A&B")[0].text.endswith("A&B")


# -- UTF-16 text and a report inside <pre> (trial defect 14) -----------------------------------------
REFERENCE = Path(__file__).parent / "fixtures" / "reference" / "000_f97a9d76fb144919.txt"


def _read_all(path: Path) -> tuple[int, int, list[str]]:
    from toolkit.importers.report import import_report

    res = import_report(path)
    return res.found, res.expected, [f.code for f in res.findings if f.severity == "error"]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("bom_le.txt", "utf-16"),  # Python writes its native order (LE here) with the BOM
        ("bom_be.txt", "utf-16-be-bom"),
        ("le.txt", "utf-16-le"),
        ("be.txt", "utf-16-be"),
    ],
)
def test_utf16_text_reads_as_the_utf8_text_does(tmp_path, name, encoding):
    text = REFERENCE.read_text(encoding="utf-8")
    bom = encoding == "utf-16-be-bom"
    data = b"\xfe\xff" + text.encode("utf-16-be") if bom else text.encode(encoding)
    (tmp_path / name).write_bytes(data)
    assert b"\x00" in data  # really UTF-16
    (tmp_path / "utf8.txt").write_bytes(REFERENCE.read_bytes())
    want = _read_all(tmp_path / "utf8.txt")
    assert want[0] == want[1] == 203
    assert _read_all(tmp_path / name) == want
    assert sources.read_lines(tmp_path / name)[0] == sources.read_lines(tmp_path / "utf8.txt")[0]


def test_binary_with_zero_bytes_is_still_refused_as_binary(tmp_path):
    import random

    rnd = random.Random(7)
    f = tmp_path / "x.txt"
    f.write_bytes(bytes(rnd.randrange(256) for _ in range(6000)) + b"\x00" * 100)
    with pytest.raises(sources.ReportUnreadable, match="二进制内容"):
        sources.read_lines(f)


def test_a_report_inside_pre_reads_as_its_text(tmp_path):
    import html

    text = REFERENCE.read_text(encoding="utf-8")
    body = html.escape(text)
    (tmp_path / "utf8.txt").write_bytes(REFERENCE.read_bytes())
    want = _read_all(tmp_path / "utf8.txt")
    pages = {
        "pre.html": f'<html><head><meta charset="utf-8"></head><body><pre>\n{body}</pre></body></html>',
        # markup inside the <pre>, and a <pre> the page never closes
        "pre_b.html": f"<html><body><h1>标题</h1><pre><b>{body[:200]}</b>{body[200:]}",
    }
    for name, page in pages.items():
        (tmp_path / name).write_text(page, encoding="utf-8")
        assert _read_all(tmp_path / name) == want, name
    # the text before and after the <pre> stays lines of its own
    (tmp_path / "around.html").write_text("<p>前言 1</p><pre>甲 2\n乙 3</pre><p>后记 4</p>", encoding="utf-8")
    got = [" ".join(w.text for w in ln.words) for ln in sources.read_lines(tmp_path / "around.html")[0]]
    assert got == ["前言 1", "甲 2", "乙 3", "后记 4"]


def test_a_web_page_too_large_for_its_markup_is_said_so(tmp_path):
    """A page over the character bound because of an inline picture is refused for its size with
    its markup named, not for "too much text"; a text file that large is "文字太多"."""
    page = tmp_path / "report.html"
    pic = "A" * (sources.MAX_CHARS + 10)
    page.write_text(
        f'<html><body><p>政府信息公开工作年度报告</p><img src="data:image/png;base64,{pic}"></body></html>',
        encoding="utf-8",
    )
    with pytest.raises(sources.ReportUnreadable, match="网页内容（含标记）太多") as exc:
        sources.read_lines(page)
    assert "文字太多" not in str(exc.value)
    text = tmp_path / "report.txt"
    text.write_text("年度报告" * (sources.MAX_CHARS // 4 + 10), encoding="utf-8")
    with pytest.raises(sources.ReportUnreadable, match="文字太多"):
        sources.read_lines(text)
