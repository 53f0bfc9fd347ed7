"""A Word report with tracked changes (修订) not yet accepted, as agencies often publish them: the
text Word shows is read — an inserted number in a table cell (it was read as an empty cell), never
a deleted one — and content controls and simple fields in a cell hold their text as well."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from toolkit.importers.report import import_report
from toolkit.outputs.render import render
from toolkit.reader import read_workbook

ROOT = Path(__file__).resolve().parents[1]
W = ' w:id="{}" w:author="审核人" w:date="2025-01-20T09:00:00Z"'


def _rendered(tmp_path: Path) -> tuple[Path, dict]:
    sub = read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx")
    out = tmp_path / "r.docx"
    render(sub, out, draft=True)
    return out, sub.all_values()


def _edit_cell_run(src: Path, dst: Path, number: str, wrap) -> None:
    """The run of the table cell whose whole text is ``number`` (its first such cell) rewritten
    by ``wrap(run_xml) -> xml``."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    doc = parts["word/document.xml"].decode("utf-8")
    m = re.search(r"<w:tc>(?:(?!</w:tc>).)*?(<w:r>(?:(?!</w:r>).)*?<w:t>" + number + r"</w:t></w:r>)", doc)
    assert m, number
    run = m.group(1)
    doc = doc[: m.start(1)] + wrap(run) + doc[m.end(1) :]
    parts["word/document.xml"] = doc.encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_an_inserted_number_is_read_and_a_deleted_one_never(tmp_path):
    src, values = _rendered(tmp_path)
    assert values["t2.admin_licensing.decisions"] == 259
    dst = tmp_path / "修订.docx"

    def revised(run: str) -> str:
        deleted = run.replace("<w:t>259</w:t>", "<w:delText>999</w:delText>")
        return f"<w:del{W.format(90)}>{deleted}</w:del><w:ins{W.format(91)}>{run}</w:ins>"

    _edit_cell_run(src, dst, "259", revised)
    res = import_report(dst)
    assert res.submission.values["t2.admin_licensing.decisions"] == 259
    assert res.confidence == 1.0, [f.message for f in res.findings]


def test_a_deleted_number_alone_leaves_the_cell_empty_not_the_deleted_value(tmp_path):
    src, _ = _rendered(tmp_path)
    dst = tmp_path / "删除.docx"
    _edit_cell_run(
        src,
        dst,
        "259",
        lambda run: f"<w:del{W.format(92)}><w:r><w:delText>999</w:delText></w:r></w:del>{run}",
    )
    assert import_report(dst).submission.values["t2.admin_licensing.decisions"] == 259
    moved = tmp_path / "移动.docx"
    _edit_cell_run(
        src,
        moved,
        "259",
        lambda run: f"<w:moveFrom{W.format(93)}><w:r><w:t>777</w:t></w:r></w:moveFrom>{run}",
    )
    assert import_report(moved).submission.values["t2.admin_licensing.decisions"] == 259


def test_a_number_in_a_content_control_or_field_is_read(tmp_path):
    src, _ = _rendered(tmp_path)
    for name, wrap in (
        ("控件.docx", lambda run: f"<w:sdt><w:sdtPr/><w:sdtContent>{run}</w:sdtContent></w:sdt>"),
        ("域.docx", lambda run: f'<w:fldSimple w:instr=" QUOTE 259 ">{run}</w:fldSimple>'),
        ("标记.docx", lambda run: f'<w:smartTag w:uri="urn:x" w:element="n">{run}</w:smartTag>'),
    ):
        dst = tmp_path / name
        _edit_cell_run(src, dst, "259", wrap)
        assert import_report(dst).submission.values["t2.admin_licensing.decisions"] == 259, name


def _wrapped_in_layout_tables(src: Path, dst: Path, levels: int) -> None:
    """The whole body put inside ``levels`` nested one-cell tables (a layout table, as a page
    converted to Word or a template leaves it)."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    doc = parts["word/document.xml"].decode("utf-8")
    b0 = doc.index("<w:body>") + len("<w:body>")
    end = doc.rindex("<w:sectPr")
    inner = re.sub(r"<w:sectPr.*?</w:sectPr>", "", doc[b0:end], flags=re.S)
    for _ in range(levels):
        inner = (
            '<w:tbl><w:tblGrid><w:gridCol w:w="9000"/></w:tblGrid><w:tr><w:tc>'
            f"<w:p><w:r><w:t>版式</w:t></w:r></w:p>{inner}<w:p/></w:tc></w:tr></w:tbl><w:p/>"
        )
    parts["word/document.xml"] = (doc[:b0] + inner + doc[end:]).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_a_report_inside_a_layout_table_is_read_whole(tmp_path):
    """It was one line of text with every table dropped: 3 of 203 numbers."""
    src, values = _rendered(tmp_path)
    for levels in (1, 3):
        dst = tmp_path / f"版式{levels}.docx"
        _wrapped_in_layout_tables(src, dst, levels)
        res = import_report(dst)
        assert res.confidence == 1.0, (levels, [f.message for f in res.findings][:3])
        got = res.submission.all_values()
        assert all(got[k] == v for k, v in values.items()), levels
        assert (res.submission.agency, res.submission.year) == ("青川区教育委员会", 2025)


def test_tables_nested_beyond_any_report_are_refused_in_chinese(tmp_path):
    src, _ = _rendered(tmp_path)
    dst = tmp_path / "深.docx"
    _wrapped_in_layout_tables(src, dst, 25)
    res = import_report(dst)
    assert [f.code for f in res.findings] == ["FILE-UNREADABLE"]
    assert "嵌套太深" in res.findings[0].message
