"""Rules on values, whatever the source: a published report's 1.5 applications, a 20-digit count,
money with more digits than a spreadsheet keeps. Checked on Submissions built directly, as an
importer or the values JSON builds them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from toolkit.model import Submission
from toolkit.rules import check_submission


def _codes(values):
    sub = Submission(cover={"agency": "甲", "year": 2025}, values=values)
    return {(f.code, f.cell) for f in check_submission(sub) if f.code.startswith("VALUE-")}


@pytest.mark.parametrize(
    ("key", "value", "code", "cell"),
    [
        ("t3.granted.natural_person", Decimal("1.5"), "VALUE-NOT-INTEGER", "D8"),
        ("t3.granted.natural_person", 10**19, "VALUE-IMPLAUSIBLE", "D8"),
        ("t4.review_upheld", 10**300, "VALUE-IMPLAUSIBLE", "A6"),
        ("t2.admin_fees.amount", Decimal("1234567890.1234567"), "VALUE-IMPLAUSIBLE", "B16"),  # 17 digits
        ("s6.fee_collected", Decimal(10**13), "VALUE-IMPLAUSIBLE", "B6"),
        ("t4.review_upheld", -1, "VALUE-NEGATIVE", "A6"),
    ],
)
def test_values_out_of_range_are_named_at_their_cell(key, value, code, cell):
    assert (code, cell) in _codes({key: value})


def test_bounds_leave_ordinary_numbers_alone():
    # far beyond what one agency reports (a VALUE-OUTLIER hint), but not implausible: never an error
    assert _codes(
        {"t3.granted.natural_person": 999_999_999, "t2.admin_fees.amount": Decimal("12345678.123456")}
    ) == {("VALUE-OUTLIER", "D8"), ("VALUE-OUTLIER", "B16")}  # 表二 as one table (version 2)
    assert _codes({"t3.granted.natural_person": 9_999, "t2.admin_fees.amount": Decimal("9999.99")}) == set()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12"), set()),  # a money cell's whole number, as the reader holds it
        (Decimal("-0"), set()),
        (Decimal("9999"), set()),
        (Decimal("10000"), {("VALUE-OUTLIER", "B16")}),  # at the outlier bound: still looked at
        (Decimal("-3"), {("VALUE-NEGATIVE", "B16")}),
        (Decimal("12.000000000000000001"), {("VALUE-IMPLAUSIBLE", "B16")}),  # 20 digits: not common
    ],
)
def test_whole_decimals_below_the_bound_are_as_common_as_counts(value, expected):
    """The value rules skip whole Decimal numbers below 10,000 as they skip counts there: what
    they would say of such a value is nothing; every other Decimal is still looked at."""
    assert _codes({"t2.admin_fees.amount": value}) == expected


def test_a_huge_number_is_shown_short_in_the_message():
    sub = Submission(cover={"agency": "甲", "year": 2025}, values={"t4.review_upheld": 10**300})
    (f,) = [f for f in check_submission(sub) if f.code == "VALUE-IMPLAUSIBLE"]
    assert len(f.message) < 200 and "E+300" in f.message


def test_numbers_beyond_six_places_are_shown_not_rounded_away_or_raised():
    """1E-400 in a count cell is not "0 不是整数"; 10^400 beside 0.5 (a Decimal total) never raises."""
    from decimal import Decimal

    from toolkit.formulas import format_diff

    assert format_diff(Decimal("1E-400")) == "1.000000E-400"
    assert format_diff(10**400 + Decimal("0.5")) == "1.000000E+400"
    assert format_diff(Decimal("12.3500")) == "12.35" and format_diff(-3) == "-3"


# -- REPORT-UNFILLED: the template as it was handed out (trial defect 19) -----------------------------
def test_an_untouched_template_gets_a_hint_and_still_passes(tmp_path):
    """Spec: blank = 0 and 0 is a valid answer, so an all-zero workbook is never an error; all
    zero *and* every text empty is the template as handed out: a warning (REPORT-UNFILLED), the
    file passes. One number or one sentence typed, and the hint is gone; a summary and a
    published report read by import never get it."""
    from click.testing import CliRunner

    from toolkit.cli import main
    from toolkit.reader import read_file
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    spec = load_spec()
    cover = {"agency": "青川区空白局", "year": 2025}

    def hints(path):
        sub = read_file(path).submission
        return [(f.code, f.severity) for f in check_submission(sub) if f.code == "REPORT-UNFILLED"]

    blank = make_template(tmp_path / "空白.xlsx", Submission(spec=spec, cover=dict(cover)))
    assert hints(blank) == [("REPORT-UNFILLED", "warning")]
    r = CliRunner().invoke(main, ["validate", str(blank)])
    assert r.exit_code == 0 and "通过（1 个提示）" in r.output and "填报表看起来尚未填写" in r.output
    one = make_template(
        tmp_path / "一个数.xlsx",
        Submission(spec=spec, cover=dict(cover), values={"t2.admin_licensing.decisions": 1}),
    )
    words = make_template(
        tmp_path / "有文字.xlsx",
        Submission(spec=spec, cover=dict(cover), texts={"overview": "本年度没有收到政府信息公开申请。"}),
    )
    assert hints(one) == hints(words) == []
    # a district of untouched templates: each file is hinted, the summary is not
    folder = tmp_path / "收到"
    folder.mkdir()
    for i in range(2):
        make_template(
            folder / f"{i}.xlsx", Submission(spec=spec, cover={"agency": f"空白{i}局", "year": 2025})
        )
    out = tmp_path / "汇总.xlsx"
    CliRunner().invoke(main, ["merge", str(folder), "-o", str(out)])
    assert read_file(out).submission.meta.get("kind") == "summary" and hints(out) == []
