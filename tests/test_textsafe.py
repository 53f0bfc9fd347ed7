"""The output cleaners (toolkit/textsafe.py), each checked by the program that reads its output:
a CommonMark renderer, Python's csv module, expat, xlsxwriter + openpyxl, json."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.parsers.expat
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from toolkit.model import Submission
from toolkit.reader import read_workbook
from toolkit.template import make_template
from toolkit.textsafe import (
    XLSX_MAX_CHARS,
    csv_cell,
    docx_text,
    excel_unescape,
    html_text,
    json_text,
    md_text,
    term_text,
    xlsx_text,
    xlsx_xml,
)
from toolkit.values import ValuesError, load_values, submission_from_values

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "# 标题",
    "1. 列表",
    "- 列表",
    "+ 列表",
    "> 引用",
    "===",
    "[点我](javascript:alert(3))",
    "![x](http://x.example/a.png)",
    "**粗** _斜_ `代码` ~~删~~",
    "a | b | c",
    "&lt;b&gt; &amp;",
    "    缩进的代码块",
    "<http://x.example/>",
    "甲局\x1b]0;x\x07\x00\ufffe",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_renders_text_as_text(text: str) -> None:
    html = MarkdownIt("commonmark").render(md_text(text)).strip()
    # exactly one paragraph, and no other element: no link, image, emphasis, heading, list, code
    assert re.fullmatch(r"<p>[^<]*</p>", html), html
    assert "javascript" not in html or "href" not in html


def test_markdown_table_cell_keeps_columns() -> None:
    table = f"| x | y |\n|---|---|\n| {md_text('a|b')} | 1 |\n"
    html = MarkdownIt("commonmark").enable("table").render(table)
    assert html.count("<td>") == 2 and "a|b" in html


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_csv_cells_never_start_a_formula(text: str) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_cell(text), csv_cell(3), csv_cell("甲局")])
    cells = next(csv.reader(io.StringIO(buf.getvalue())))
    assert cells[0] == "'" + text
    assert cells[1:] == ["3", "甲局"]


def test_xlsx_text_is_written_and_read_back_as_text(tmp_path) -> None:
    texts = ["=1+1", "a\x00b\x1fc\ufffe\uffffd", "x" * 40_000, "_x000D_ stays literal", "line\r\nbreak"]
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    for i, t in enumerate(texts):
        assert ws.write_string(i, 0, xlsx_text(t)) == 0  # -2 for > 32,767 characters without it
    wb.close()
    got = [c.value for c in openpyxl.load_workbook(path).active["A"]]
    assert got[0] == "=1+1"
    assert got[1] == "abcd"
    assert len(got[2]) == XLSX_MAX_CHARS and got[2].endswith("（以下已截断）")
    assert got[3] == "_x000D_ stays literal"
    assert got[4] == "line\nbreak"


def test_xlsx_xml_is_well_formed_and_keeps_escapes_literal() -> None:
    t = xlsx_xml("<b>&\x00\uffff_x000D_")
    xml.parsers.expat.ParserCreate().Parse(f"<t>{t}</t>", True)
    assert "_x005F_x000D_" in t


def test_docx_and_html_drop_what_xml_cannot_hold() -> None:
    import docx

    d = docx.Document()
    d.add_paragraph(docx_text("甲\x00局\x0b\x1b\ufffe"))  # raised ValueError before
    assert d.paragraphs[0].text == "甲局"
    assert html_text('<a href="x">\x00') == "&lt;a href=&quot;x&quot;&gt;"


def test_terminal_sees_no_control_characters() -> None:
    s = term_text("甲局\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e\nnext")
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", s)
    assert "甲局" in s and "\\x1b" in s


def test_json_text_is_the_same_value_and_terminal_safe() -> None:
    obj = {"name": "甲\x1b\x9b\u2028局", "n": 1}
    s = json_text(obj, indent=2)
    assert json.loads(s) == obj
    assert not re.search("[\x00-\x1f\x7f-\x9f\u2028]", s.replace("\n", ""))


def test_excel_escapes_decoded() -> None:
    assert excel_unescape("a_x000D_b_x0009_c_x005F_x000D_") == "a\rb\tc_x000D_"
    assert excel_unescape("no escapes") == "no escapes"


# -- values JSON bounds ----------------------------------------------------------------------------
def _load(tmp_path, text: str) -> Submission:
    p = tmp_path / "v.json"
    p.write_text(text, encoding="utf-8")
    return load_values(p)


@pytest.mark.parametrize(
    "number",
    ["1" + "0" * 400, "1e400", "-1e400", "1000000000", "9" * 5000],
)
def test_values_huge_counts_are_refused_naming_the_key(tmp_path, number: str) -> None:
    with pytest.raises(ValuesError) as e:
        _load(tmp_path, f'{{"values": {{"t3.new_received.natural_person": {number}}}}}')
    assert e.value.problems[0].startswith("t3.new_received.natural_person")


def test_values_money_keeps_every_digit_or_refuses(tmp_path) -> None:
    sub = _load(tmp_path, '{"values": {"t2.admin_fees.amount": 123456789.012345}}')
    assert sub.values["t2.admin_fees.amount"] == Decimal("123456789.012345")
    back = read_workbook(make_template(tmp_path / "m.xlsx", sub))
    assert back.values["t2.admin_fees.amount"] == Decimal("123456789.012345")
    for bad in ("1234567890.123456", "1e15", "0.1234567890123456"):
        with pytest.raises(ValuesError) as e:
            _load(tmp_path, f'{{"values": {{"t2.admin_fees.amount": {bad}}}}}')
        assert "t2.admin_fees.amount" in e.value.problems[0]


def test_values_deep_nesting_is_a_values_error(tmp_path) -> None:
    with pytest.raises(ValuesError):
        _load(tmp_path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValuesError):
        submission_from_values({"values": {"t3.new_received.natural_person": 10**400}})


@pytest.mark.parametrize("text", ["\x1b=1+1", "\x00+cmd|' /C calc'!A0", "\x9b@SUM(A1)", "\x7f-1+1"])
def test_csv_cells_lose_controls_before_the_formula_check(text: str) -> None:
    """A control character in front must not hide a formula from the check (it is removed, and
    what is left starts with "="), nor reach a terminal the CSV is printed to (C1, DEL)."""
    cell = csv_cell(text)
    assert cell.startswith("'") and cell[1:] == text[1:]


@settings(max_examples=500, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"政府a _xX0F&<>\t\n\r\x00\x01\x7f\u3000\u00a0\ufffe\U0001f600", "_x0041_"]),
        max_size=40,
    ).map("".join)
)
def test_a_summary_cells_text_is_written_as_xlsx_xml_makes_it(text):
    """The summary writes a text needing no escaping as it is (a shortcut): the same XML as the
    escaping way, whatever the text (markup, controls, _xHHHH_, spaces at either end)."""
    from toolkit.outputs.summary import _inline

    t = xlsx_xml(text)
    space = ' xml:space="preserve"' if t != t.strip() else ""
    assert _inline.__wrapped__(text) == f't="inlineStr"><is><t{space}>{t}</t></is>'
