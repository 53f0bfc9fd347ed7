from __future__ import annotations

from decimal import Decimal

import pytest

from toolkit.cells import parse_number
from toolkit.uscc import is_valid_uscc, uscc_check_char, uscc_problem


@pytest.mark.parametrize(
    ("raw", "kind", "value", "problem"),
    [
        (None, "int", 0, None),
        ("", "int", 0, None),
        ("   ", "int", 0, None),
        (7, "int", 7, None),
        (7.0, "int", 7, None),
        ("７", "int", 7, None),
        ("１２３", "int", 123, None),
        (" 12 ", "int", 12, None),
        ("\u300012\u3000", "int", 12, None),
        ("1,234", "int", 1234, None),
        ("1，234", "int", 1234, None),  # full-width comma is NFKC-normalised to ","
        ("12件", "int", 12, None),
        ("0.35万元", "decimal", Decimal("0.35"), None),
        ("100元", "decimal", Decimal("100"), None),
        (Decimal("12.35"), "decimal", Decimal("12.35"), None),
        (0.1, "decimal", Decimal("0.1"), None),
        ("/", "int", 0, "placeholder"),
        ("／", "int", 0, "placeholder"),
        ("—", "int", 0, "placeholder"),
        ("-", "int", 0, "placeholder"),
        ("无", "int", 0, "placeholder"),
        ("空", "int", 0, "placeholder"),
        ("若干", "int", None, "not_number"),
        ("1,23", "int", None, "not_number"),
        ("#DIV/0!", "int", None, "not_number"),
        (True, "int", None, "not_number"),
        (-2, "int", -2, "negative"),
        ("-3", "int", -3, "negative"),
        (2.5, "int", Decimal("2.5"), "not_integer"),
        ("2.5", "int", Decimal("2.5"), "not_integer"),
    ],
)
def test_parse_number(raw, kind, value, problem):
    p = parse_number(raw, kind)
    assert p.problem == problem
    assert p.value == value
    if value is not None and problem is None and kind == "int":
        assert type(p.value) is int
    if kind == "decimal" and p.value is not None:
        assert not isinstance(p.value, float)


def test_raw_text_is_kept_for_messages():
    p = parse_number("１２件", "int")
    assert (p.value, p.raw, p.as_text) == (12, "１２件", True)


def test_uscc():
    assert is_valid_uscc("91350100M000100Y43")  # a widely published valid example
    body = "11110999MB0000001"
    good = body + uscc_check_char(body)
    assert is_valid_uscc(good)
    assert is_valid_uscc(good.lower())
    wrong = body + ("0" if good[-1] != "0" else "1")
    assert "校验位应为" in uscc_problem(wrong)
    assert "18位" in uscc_problem("123")
    assert "不允许的字符" in uscc_problem("11110999MB000000IO")
