"""Every fixture workbook gives exactly its finding: rule code + cell (never message wording).

tests/fixtures/build.py made them (some saved through LibreOffice); these expectations are
written by hand from the spec, not taken from the builder.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from tests.conftest import FIXTURES
from toolkit.spec import load_spec
from toolkit.validate import check_file

PASS = sorted(p.name for p in (FIXTURES / "pass").iterdir())

# the fixtures were written by template version 1 (表二 as four separate blocks): they are read in
# that layout, and every finding names the cell of the file as it is
_SPEC = load_spec("gov-2021", 1)
# text_numbers.xlsx: every count of 表三 and three cells of 表二 typed as text (full-width digits,
# "1,520", " 87件 ", "12.35万元"): SUM ignores text, so each is an error at its cell
_TEXT_KEYS = [
    "t2.admin_licensing.decisions",
    "t2.admin_penalty.decisions",
    "t2.admin_fees.amount",
    *(
        f"t3.{row}.{col}"
        for row, col in [
            ("new_received", "natural_person"),
            ("carried_in", "natural_person"),
            ("granted", "natural_person"),
            ("partly_granted", "natural_person"),
            ("denied_third_party", "natural_person"),
            ("unable_not_held", "natural_person"),
            ("rejected_petition", "natural_person"),
            ("other_misc", "natural_person"),
            ("carried_out", "natural_person"),
            ("new_received", "business"),
            ("granted", "business"),
            ("unable_not_held", "business"),
            ("new_received", "legal_service"),
            ("partly_granted", "legal_service"),
        ]
    ),
]
_TEXT = {("VALUE-TEXT-NUMBER", _SPEC.cells[k].ref) for k in _TEXT_KEYS}

# file -> the exact set of (code, "sheet!cell" or None) it must produce with --year 2025
FAIL = {
    "t3_balance.xlsx": {("T3-BALANCE", "表三!D30")},  # not again at the locked 总计 column (J30)
    "t3_balance_lo.xlsx": {("T3-BALANCE", "表三!D30")},
    "text_numbers.xlsx": _TEXT,
    "text_numbers_lo.xlsx": _TEXT,
    "unit_yuan_in_wan.xlsx": {("VALUE-UNIT", "表二!B19"), ("VALUE-TEXT-NUMBER", "表二!B19")},
    "unit_count_in_money.xlsx": {("VALUE-UNIT", "表二!B19")},
    "date_in_count.xlsx": {("VALUE-IMPLAUSIBLE", "表三!F6"), ("T3-BALANCE", "表三!F30")},
    "value_implausible.xlsx": {("VALUE-IMPLAUSIBLE", "表四!C6")},
    "value_blank.xlsx": {("VALUE-MISSING", "表三!F8")},
    "formula_in_input.xlsx": {("VALUE-FORMULA", "表三!E8")},
    "formula_ref_in_input.xlsx": {("VALUE-FORMULA", "表三!E8")},  # =D6-17 computed: 3
    "formula_function_in_input.xlsx": {("VALUE-FORMULA", "表三!E8"), ("T3-BALANCE", "表三!E30")},
    "formula_ref_in_input_lo.xlsx": {("VALUE-FORMULA", "表三!E8")},
    "number_underscore.xlsx": {("VALUE-IMPLAUSIBLE", "表四!A6")},
    "text_table_mismatch.xlsx": {("TEXT-TABLE-MISMATCH", "信息处理费!B6")},
    "t3_result_sum_typed.xlsx": {("FORMULA-OVERWRITTEN", "表三!D29"), ("T3-RESULT-SUM", "表三!D29")},
    "formula_typed_lo.xlsx": {("FORMULA-OVERWRITTEN", "表三!D29"), ("T3-RESULT-SUM", "表三!D29")},
    "t3_row_total_typed.xlsx": {("FORMULA-OVERWRITTEN", "表三!J6"), ("T3-ROW-TOTAL", "表三!J6")},
    "t4_total_typed.xlsx": {("FORMULA-OVERWRITTEN", "表四!E6"), ("T4-TOTAL", "表四!E6")},
    "value_not_number.xlsx": {("VALUE-NOT-NUMBER", "表二!B14")},
    "value_negative.xlsx": {("VALUE-NEGATIVE", "表四!A6")},
    "value_not_integer.xlsx": {("VALUE-NOT-INTEGER", "表三!E8"), ("T3-BALANCE", "表三!E30")},
    "value_placeholder.xlsx": {("VALUE-PLACEHOLDER", "表三!F17")},
    "formula_typed_equal.xlsx": {("FORMULA-OVERWRITTEN", "表三!J8")},
    # =SUM(D8:D27) leaves out D28 (1): the edited formula shows 18, not 19
    "formula_edited.xlsx": {("FORMULA-OVERWRITTEN", "表三!D29"), ("T3-RESULT-SUM", "表三!D29")},
    "formula_cleared.xlsx": {("FORMULA-OVERWRITTEN", "表四!O6"), ("T4-TOTAL", "表四!O6")},
    "cover_missing_agency.xlsx": {("COVER-MISSING", "封面!B3")},
    "cover_missing_year.xlsx": {("COVER-MISSING", "封面!B6")},
    "code_invalid.xlsx": {("CODE-INVALID", "封面!B4")},
    "year_2024.xlsx": {("YEAR-MISMATCH", "封面!B6")},
    "s6_collected_more.xlsx": {("S6-FEES", "信息处理费!B6")},
    "s6_amount_without_notice.xlsx": {("S6-FEES", "信息处理费!B5")},
    "s6_unpaid_without_notice.xlsx": {("S6-FEES", "信息处理费!B4")},
    "sheet_renamed.xlsx": {("TEMPLATE-UNKNOWN", None)},
    "row_inserted.xlsx": {("TEMPLATE-UNKNOWN", "表三!A30")},
    "label_changed.xlsx": {("TEMPLATE-UNKNOWN", "表四!F4")},
    "old_version.xlsx": {("TEMPLATE-UNKNOWN", None)},
    "foreign_workbook.xlsx": {("TEMPLATE-UNKNOWN", None)},
    "empty.xlsx": {("FILE-UNREADABLE", None)},
    "truncated.xlsx": {("FILE-UNREADABLE", None)},
    "csv_renamed.xlsx": {("FILE-UNREADABLE", None)},
    "html_renamed.xls": {("FILE-UNREADABLE", None)},
    "pdf_renamed.xlsx": {("FILE-UNREADABLE", None)},
    "word_renamed.xlsx": {("FILE-UNREADABLE", None)},
    "zip_bomb.xlsx": {("FILE-UNREADABLE", None)},
    "xml_bomb.xlsx": {("FILE-UNREADABLE", None)},
    "encrypted.xlsx": {("FILE-UNREADABLE", None)},
}
WARNING_ONLY = {
    "text_table_mismatch.xlsx",
    "value_placeholder.xlsx",
    "value_blank.xlsx",
    "formula_in_input.xlsx",
    "formula_ref_in_input.xlsx",
    "formula_ref_in_input_lo.xlsx",
    "formula_typed_equal.xlsx",
    "s6_collected_more.xlsx",
    "s6_amount_without_notice.xlsx",
    "s6_unpaid_without_notice.xlsx",
}
MESSAGE_HINTS = {  # the Chinese explanation must say what the file really is
    "csv_renamed.xlsx": "CSV",
    "html_renamed.xls": "网页",
    "pdf_renamed.xlsx": "PDF",
    "word_renamed.xlsx": "Word",
    "encrypted.xlsx": "密码",
    "empty.xlsx": "空",
    "truncated.xlsx": "损坏",
    "zip_bomb.xlsx": "压缩炸弹",
    "xml_bomb.xlsx": "XML 炸弹",
    "sheet_renamed.xlsx": "表三",
    "old_version.xlsx": "版本",
}


def _found(path):
    c = check_file(path, year=2025)
    return c, {(f.code, f"{f.sheet}!{f.cell}" if f.cell else None) for f in c.report.findings}


def test_there_are_enough_fixtures():
    assert len(PASS) + len(FAIL) >= 40
    on_disk = {p.name for p in (FIXTURES / "fail").iterdir()}
    assert on_disk == set(FAIL), on_disk ^ set(FAIL)


# a passing file may still carry a hint: the template as it was handed out looks unfilled
PASS_HINTS = {"blank_filled_cover.xlsx": {("REPORT-UNFILLED", None)}}


@pytest.mark.parametrize("name", PASS)
def test_should_pass(name):
    c, found = _found(FIXTURES / "pass" / name)
    assert found == PASS_HINTS.get(name, set()), [f.message for f in c.report.findings]
    assert c.report.valid
    assert all(f.severity == "warning" for f in c.report.findings)


@pytest.mark.parametrize("name", sorted(FAIL))
def test_should_fail_with_code_and_cell(name):
    c, found = _found(FIXTURES / "fail" / name)
    assert found == FAIL[name], [f.message for f in c.report.findings]
    assert c.report.valid == (name in WARNING_ONLY)
    for f in c.report.findings:
        assert f.message and f.severity in ("error", "warning")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.message)  # Chinese for the people filling it
    if name in MESSAGE_HINTS:
        assert MESSAGE_HINTS[name] in " ".join(f.message for f in c.report.findings)


def test_other_applications_read_the_same_numbers_as_clean():
    clean = check_file(FIXTURES / "pass" / "clean.xlsx").submission
    for name in ("clean_lo.xlsx", "clean_lo97.xls", "clean_lo.ods", "ods_renamed.xlsx", "xls_renamed.xlsx"):
        other = check_file(FIXTURES / "pass" / name).submission
        assert other.all_values() == clean.all_values(), name
        assert other.cover == clean.cover, name
    stale = check_file(FIXTURES / "pass" / "comment_in_sheet.xlsx").submission
    assert stale.values["t3.new_received.natural_person"] == 20  # not the 999 inside <!-- -->


def test_text_numbers_count_zero_and_the_message_gives_the_intended_number():
    c = check_file(FIXTURES / "fail" / "text_numbers.xlsx")
    wps = c.submission
    assert wps.raw["t3.new_received.natural_person"] == "２０"  # raw text kept for messages
    assert wps.values["t3.new_received.natural_person"] == 0  # what the workbook's SUM makes of it
    by_cell = {f.cell: f for f in c.report.findings}
    assert "请输入数字 20" in by_cell["D6"].message and by_cell["D6"].expected == 20
    assert "请输入数字 1520" in by_cell["B10"].message
    assert "请输入数字 87" in by_cell["B14"].message
    assert by_cell["B19"].expected == Decimal("12.35")


def test_units_are_converted_or_refused_never_stripped():
    c = check_file(FIXTURES / "fail" / "unit_yuan_in_wan.xlsx")
    unit = next(f for f in c.report.findings if f.code == "VALUE-UNIT")
    assert unit.severity == "warning" and unit.expected == Decimal("12.35")  # 123500元 = 12.35万元
    assert "12.35万元" in unit.message
    text = next(f for f in c.report.findings if f.code == "VALUE-TEXT-NUMBER")
    assert "请输入数字 12.35" in text.message
    c = check_file(FIXTURES / "fail" / "unit_count_in_money.xlsx")
    (f,) = c.report.findings
    assert f.severity == "error" and "件" in f.message and "万元" in f.message


def test_dates_formulas_and_odd_numbers_are_read_as_the_applications_read_them():
    c = check_file(FIXTURES / "fail" / "date_in_count.xlsx")
    sub = c.submission
    assert sub.values["t3.new_received.research"] == 45717  # 2025-03-01: what SUM adds up
    f = next(f for f in c.report.findings if f.code == "VALUE-IMPLAUSIBLE")
    assert "日期" in f.message
    sub = check_file(FIXTURES / "fail" / "formula_in_input.xlsx").submission
    assert sub.values["t3.granted.business"] == 3  # =1+2, never 0
    for name in ("formula_ref_in_input.xlsx", "formula_ref_in_input_lo.xlsx"):
        sub = check_file(FIXTURES / "fail" / name).submission
        assert sub.values["t3.granted.business"] == 3, name  # =D6-17, as LibreOffice computes it
    c = check_file(FIXTURES / "fail" / "value_implausible.xlsx")
    assert "1,000,000,000" in c.report.findings[0].message


def test_balance_messages_never_propose_an_impossible_value():
    """T3-BALANCE: a negative or fractional proposal is never made; a suspect cell comes first."""
    c = check_file(FIXTURES / "fail" / "date_in_count.xlsx")
    f = next(f for f in c.report.findings if f.code == "T3-BALANCE")
    assert f.message.startswith("请先核对 表三!F6（日期格式）")
    c = check_file(FIXTURES / "fail" / "value_not_integer.xlsx")
    f = next(f for f in c.report.findings if f.code == "T3-BALANCE")
    assert f.expected is None and "应为 4.5" not in f.message and "请核对" in f.message
    c = check_file(FIXTURES / "fail" / "formula_function_in_input.xlsx")
    f = next(f for f in c.report.findings if f.code == "T3-BALANCE")
    # 商业企业: 5 new = 0 granted (refused formula) + 2 → 四 would have to be 3: possible, proposed
    assert f.message.startswith("请先核对 表三!E8（公式）") and f.expected == 3


def test_expected_and_actual_are_given():
    c = check_file(FIXTURES / "fail" / "t3_balance.xlsx")
    f = next(f for f in c.report.findings if f.cell == "D30")
    assert (f.key, f.expected, f.actual) == ("t3.carried_out.natural_person", 3, 4)
    c = check_file(FIXTURES / "fail" / "t4_total_typed.xlsx")
    f = next(f for f in c.report.findings if f.code == "T4-TOTAL")
    assert (f.expected, f.actual) == (3, 4)


def test_reading_never_modifies_the_input(tmp_path):
    import hashlib
    import os

    for d in ("pass", "fail"):
        for p in (FIXTURES / d).iterdir():
            before = (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)
            check_file(p)
            assert before == (hashlib.sha256(p.read_bytes()).hexdigest(), os.stat(p).st_mtime_ns)


def test_damaged_files_never_raise_and_never_look_like_our_bugs(tmp_path):
    """Seeded random damage to a real (LibreOffice-saved) workbook: bytes flipped, XML parts
    garbled, members missing. Every file gives findings or reads; none raises; none is reported
    as an internal error (which would mean a bug of ours, not a bad file)."""
    import io
    import random
    import zipfile

    src = (FIXTURES / "pass" / "clean_lo.xlsx").read_bytes()
    members = {
        i.filename: zipfile.ZipFile(io.BytesIO(src)).read(i)
        for i in zipfile.ZipFile(io.BytesIO(src)).infolist()
    }
    rng = random.Random(20260101)
    for n in range(60):
        if n % 2:
            data = bytearray(src)
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            blob = bytes(data)
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                for name, d in members.items():
                    if name.endswith(".xml") and rng.random() < 0.3:
                        i = rng.randrange(len(d))
                        d = (
                            d[:i]
                            + bytes(rng.randrange(32, 127) for _ in range(rng.randint(0, 30)))
                            + d[i + 10 :]
                        )
                    if rng.random() < 0.03:
                        continue
                    z.writestr(name, d)
            blob = buf.getvalue()
        p = tmp_path / f"damaged{n}.xlsx"
        p.write_bytes(blob)
        c = check_file(p)
        assert not any("内部错误" in f.message for f in c.report.findings), (
            n,
            [f.message for f in c.report.findings],
        )


def test_render_says_when_the_text_contradicts_the_tables(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    r = CliRunner().invoke(
        main,
        [
            "render",
            str(FIXTURES / "fail" / "text_table_mismatch.xlsx"),
            "-o",
            str(tmp_path / "r.md"),
            "--draft",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "TEXT-TABLE-MISMATCH" in r.stderr and "没有收取信息处理费" in r.stderr


@pytest.mark.parametrize("name", sorted(FAIL))
def test_messages_never_propose_an_impossible_value(name):
    """No message asks for a negative number or a fractional count, on any fixture."""
    import re

    c = check_file(FIXTURES / "fail" / name, year=2025)
    for f in c.report.findings:
        assert not re.search(r"应为 -\d", f.message), f.message
        if f.code.startswith("T3-") and f.expected is not None:
            assert f.expected >= 0 and f.expected == int(f.expected), f.message


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("t2.admin_fees.amount", "-5000元"),  # 元 converted to 万元 would be -0.5
        ("t2.admin_penalty.decisions", "2.5"),
        ("t2.admin_penalty.decisions", "-3"),
        ("t2.admin_penalty.decisions", "99999999999"),
    ],
)
def test_a_text_number_that_is_impossible_is_named_not_proposed(tmp_path, key, typed):
    """“-3” typed as text: VALUE-TEXT-NUMBER at its cell, but never “请输入数字 -3”."""
    from tests.fixtures.build import edit

    c = load_spec().cells[key]  # a workbook of the current template, made here
    r = check_file(edit(tmp_path / "t.xlsx", {key: typed}), year=2025)
    (f,) = [f for f in r.report.findings if f.code == "VALUE-TEXT-NUMBER"]
    assert (f.sheet, f.cell) == (c.sheet, c.a1) and not r.report.valid
    assert "请输入数字" not in f.message and f.expected is None, f.message


def test_a_balance_over_an_implausible_number_names_it_first_and_never_proposes_one(tmp_path):
    from tests.fixtures.build import edit

    c = _SPEC.cells["t3.new_received.natural_person"]
    r = check_file(edit(tmp_path / "t.xlsx", {"t3.new_received.natural_person": 1e300}), year=2025)
    codes = {(f.code, f.cell) for f in r.report.findings}
    assert ("VALUE-IMPLAUSIBLE", c.a1) in codes and ("T3-BALANCE", "D30") in codes
    (bal,) = [f for f in r.report.findings if f.code == "T3-BALANCE" and f.cell == "D30"]
    assert bal.message.startswith(f"请先核对 {c.sheet}!{c.a1}")
    assert bal.message.endswith("为 1.000000E+300，应为 20（或核对其他各项）"), bal.message


def test_a_balance_that_cannot_be_fixed_at_carry_over_names_another_cell():
    """1 new application but 3 results: 四 would have to be -2, so 一 (3) is proposed instead."""
    from toolkit.model import Submission
    from toolkit.rules import check_submission

    sub = Submission(
        spec=_SPEC,
        cover={"agency": "甲", "year": 2025},
        values={"t3.new_received.natural_person": 1, "t3.granted.natural_person": 3},
    )
    (f,) = [f for f in check_submission(sub) if f.code == "T3-BALANCE"]
    assert f.cell == "D30" and f.expected is None
    assert "“一、本年新收政府信息公开申请数量”为 1，应为 3" in f.message


def test_a_shared_formula_in_input_cells_is_read_from_its_saved_result_or_refused(tmp_path):
    """Excel's fill-right writes the formula once (F8) and ``<f t="shared" si="0"/>`` in the next
    cell (G8), with no text of its own: its saved result is taken (as the applications show it), or
    without one the cell is refused at G8 (never 0 in silence); the message never shows “=”."""
    import re

    from tests.fixtures.build import patch_sheet

    def cells(g8: bytes):
        def fn(data: bytes) -> bytes:
            for a1, inner in ((b"F8", b'<f t="shared" ref="F8:G8" si="0">F6+1</f><v>1</v>'), (b"G8", g8)):
                data = re.sub(
                    rb'<c r="' + a1 + rb'"([^>]*?)(?: t="\w+")?(?:/>|>.*?</c>)',
                    lambda m, a1=a1, inner=inner: b'<c r="' + a1 + b'"' + m.group(1) + b">" + inner + b"</c>",
                    data,
                    count=1,
                    flags=re.S,
                )
            return data

        return fn

    src = FIXTURES / "pass" / "clean.xlsx"
    with_value = patch_sheet(src, tmp_path / "v.xlsx", "表三", cells(b'<f t="shared" si="0"/><v>1</v>'))
    without = patch_sheet(src, tmp_path / "n.xlsx", "表三", cells(b'<f t="shared" si="0"/>'))
    r = check_file(with_value, year=2025)
    assert r.submission.values["t3.granted.public_welfare"] == 1
    g8 = [f for f in r.report.findings if f.cell == "G8"]
    assert [(f.code, f.severity) for f in g8] == [("VALUE-FORMULA", "warning")] and "“=”" not in g8[0].message
    r = check_file(without, year=2025)
    g8 = [f for f in r.report.findings if f.cell == "G8"]
    assert [(f.code, f.severity) for f in g8] == [("VALUE-FORMULA", "error")] and not r.report.valid
    assert "共享公式" in g8[0].message


@pytest.mark.parametrize(
    ("fmt", "flagged"),
    [
        ('0"0"', True),
        ("0\\0", True),
        ('"1"0', True),
        ('0"件"', False),
        ('"第"0"件"', False),
        ("#,##0", False),
    ],
)
def test_a_format_that_adds_digits_to_the_shown_number_is_flagged(tmp_path, fmt, flagged):
    """12 under 0"0" shows as 120 while SUM adds 12: the stored value differs from what is shown."""
    import openpyxl

    p = tmp_path / "f.xlsx"
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", p)
    wb = openpyxl.load_workbook(p)
    c = _SPEC.cells["t2.admin_penalty.decisions"]
    wb[c.sheet][c.a1].value = 12
    wb[c.sheet][c.a1].number_format = fmt
    wb.save(p)
    r = check_file(p, year=2025)
    at = [(f.code, f.severity) for f in r.report.findings if f.cell == c.a1 and f.sheet == c.sheet]
    assert at == ([("VALUE-IMPLAUSIBLE", "error")] if flagged else []), (fmt, at)
    assert r.submission.values["t2.admin_penalty.decisions"] == 12


def test_a_two_digit_year_is_named_once_not_sent_to_another_format(tmp_path):
    """封面 year “25”: COVER-MISSING at B6, and no FORMAT-YEAR saying a year-25 report should use
    the 2019 trial format."""
    import openpyxl

    p = tmp_path / "y.xlsx"
    shutil.copy(FIXTURES / "pass" / "clean.xlsx", p)
    wb = openpyxl.load_workbook(p)
    c = _SPEC.cells["cover.year"]
    wb[c.sheet][c.a1].value = "25"
    wb.save(p)
    codes = [(f.code, f.cell) for f in check_file(p).report.findings]
    assert codes == [("COVER-MISSING", c.a1)], codes
