"""Raw cell content -> number, tolerant of what people type in Excel and WPS.

Normalises full-width digits (０１２), thousands separators, surrounding spaces and numbers stored
as text; reads blanks as 0 and placeholders (/ — - 无 空) as 0 with a warning. A unit typed in the
cell is honoured, never stripped blindly: 元 in a 万元 cell is converted (÷10000, said), 万元 in a 元
cell likewise (×10000), a count unit in a money cell or money in a count cell is refused. Counts
become ``int``, money ``Decimal`` (never float). The raw text is kept for messages.

Whether text is acceptable at all is the caller's decision: in a workbook a number stored as text
is an error (the workbook's own SUM ignores it), in a published report text is all there is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = [
    "MAX_COUNT",
    "MAX_MONEY",
    "MAX_MONEY_DIGITS",
    "PLACEHOLDERS",
    "Parsed",
    "implausible",
    "parse_number",
]

Number = int | Decimal

PLACEHOLDERS = frozenset(
    {
        "/",
        "／",
        "\\",
        "—",
        "——",
        "-",
        "--",
        "－",
        "–",
        "─",
        "无",
        "空",
        "暂无",
        "N/A",
        "n/a",
        "NA",
        "×",
        "x",
        "X",
    }
)
_MONEY_UNITS = ("万元", "元")
_COUNT_UNITS = ("件", "个", "次", "条", "项")
_UNITS = (*_MONEY_UNITS, *_COUNT_UNITS)  # 万元 before 元: the longest suffix wins
# factor to convert a typed unit into the cell's unit
_CONVERT = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}

# Plausibility bounds (VALUE-IMPLAUSIBLE): no body receives a billion applications in a year, and a
# money amount must survive the spreadsheet's 15 significant digits (a double) unchanged.
MAX_COUNT = 10**9  # a count cell holds less than this
MAX_MONEY = 10**12  # a money cell (万元 or 元) holds less than this
MAX_MONEY_DIGITS = 15  # significant digits an xlsx number keeps
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# digits with spaces between them: a number only as thousands grouping ("1 600", "1 600 000");
# "16 17" is two numbers in one cell, never 1617
_SPACED = re.compile(r"\d\s+\d")
_SPACED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?: \d{3})+(?:\.\d+)?\D*$")


@dataclass(frozen=True, slots=True)
class Parsed:
    value: Number | None  # None only when the content is not a number
    problem: Literal["not_number", "negative", "not_integer", "placeholder", "unit_conflict"] | None = None
    raw: str = ""  # what the cell showed, for messages
    as_text: bool = False  # the number was stored as text (WPS habit)
    unit: str = ""  # a unit typed after the number ("元"), if any
    converted: bool = False  # the typed unit differs from the cell's and the value was converted


def _raw_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def parse_number(v: object, kind: Literal["int", "decimal"] = "int", unit: str = "") -> Parsed:
    """Parse one cell value as returned by a reader (None, bool, int, float, str, date...).

    ``unit`` is the cell's unit (件, 万元, 元): a different unit typed in the text is converted
    when both are money, and refused (``unit_conflict``) when one is a count and the other money."""
    if type(v) is int and v >= 0:  # the common case, first
        return Parsed(v if kind == "int" else Decimal(v), None, "")
    if v is None or v == "":
        return Parsed(0, None, "")
    if isinstance(v, bool):
        return Parsed(None, "not_number", str(v).upper())
    if isinstance(v, int):
        num: Decimal = Decimal(v)
        raw = str(v)
        as_text = False
    elif isinstance(v, Decimal):
        if not v.is_finite():
            return Parsed(None, "not_number", str(v))
        num = v
        raw = str(v)
        as_text = False
    elif isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return Parsed(None, "not_number", str(v))
        # repr is the shortest text that round-trips: 0.1 -> "0.1", never 0.1000000000000000055
        num = Decimal(repr(v))
        raw = _raw_text(v)
        as_text = False
    elif isinstance(v, str):
        raw = v
        as_text = True
        s = unicodedata.normalize("NFKC", v).strip().replace("\u3000", " ")
        if _SPACED.search(s) and not _SPACED_THOUSANDS.match(re.sub(r"\s+", " ", s)):
            return Parsed(None, "not_number", raw, True)
        s = s.replace(" ", "")
        if s == "":
            return Parsed(0, None, raw, True)
        if s in PLACEHOLDERS or unicodedata.normalize("NFKC", v).strip() in PLACEHOLDERS:
            return Parsed(0, "placeholder", raw, True)
        typed = next((u for u in _UNITS if s.endswith(u) and len(s) > len(u)), "")
        s = s[: len(s) - len(typed)]
        if _THOUSANDS.match(s):
            s = s.replace(",", "")
        if not _PLAIN.match(s):
            return Parsed(None, "not_number", raw, True)
        try:
            num = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return Parsed(None, "not_number", raw, True)
        if typed and unit and (typed in _MONEY_UNITS) != (unit in _MONEY_UNITS):
            return Parsed(num, "unit_conflict", raw, True, typed)  # a count as money or money as a count
        if typed and unit and typed != unit and (factor := _CONVERT.get((typed, unit))) is not None:
            p = _finish(num * factor, kind, raw, True)
            return Parsed(p.value, p.problem, raw, True, typed, True)
        if typed:
            p = _finish(num, kind, raw, True)
            return Parsed(p.value, p.problem, raw, True, typed)
    else:  # dates, times, errors: not a count
        return Parsed(None, "not_number", _raw_text(v))
    return _finish(num, kind, raw, as_text)


def _finish(num: Decimal, kind: str, raw: str, as_text: bool) -> Parsed:
    if num < 0:
        value: Number = int(num) if kind == "int" and num == num.to_integral_value() else num
        return Parsed(value, "negative", raw, as_text)
    if kind == "int":
        if num != num.to_integral_value():
            return Parsed(num, "not_integer", raw, as_text)
        return Parsed(int(num), None, raw, as_text)
    return Parsed(
        Decimal(int(num)) if num == num.to_integral_value() else num.normalize(), None, raw, as_text
    )


def implausible(value: object, kind: str) -> str | None:
    """Why a number is beyond the form's plausible range (Chinese), or None."""
    if not isinstance(value, int | Decimal):
        return None
    if kind == "int":
        if abs(value) >= MAX_COUNT:
            return f"超过了合理上限（一个单元格的件数应小于 {MAX_COUNT:,}）"
        return None
    if abs(value) >= MAX_MONEY:
        return f"超过了合理上限（金额应小于 {MAX_MONEY:,}）"
    d = Decimal(value).normalize()
    if len(d.as_tuple().digits) > MAX_MONEY_DIGITS:
        return f"有效数字超过 {MAX_MONEY_DIGITS} 位，电子表格无法原样保存"
    return None


def decode_text(data: bytes) -> str | None:
    """Text files as Chinese offices save them: UTF-8 (with or without BOM), GBK/GB18030, or
    UTF-16 (Windows 记事本's and Excel's “Unicode” text: with its BOM, little- or big-endian; without
    one, recognised by the zero bytes of its ASCII characters). None when it is none of them."""
    if (enc := utf16_codec(data)) is not None:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            return None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec for ``data`` (BOM consumed), or None when it is not UTF-16. Without a BOM:
    line breaks, digits and Latin letters are half zero bytes, all on one side of each pair (a
    Chinese report has hundreds), the other side rarely; UTF-8 and GB18030 text has no zeros."""
    if data[:2] == b"\xff\xfe" and data[:4] != b"\xff\xfe\x00\x00":  # not UTF-32's BOM
        return "utf-16"
    if data[:2] == b"\xfe\xff":
        return "utf-16"
    head = data[:8192]
    if len(data) % 2 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    enc = None
    if odd >= 16 and odd >= 4 * even:  # 一 (U+4E00), 最 (U+6700) … have a zero low byte
        enc = "utf-16-le"
    elif even >= 16 and even >= 4 * odd:
        enc = "utf-16-be"
    if enc is None:
        return None
    # and it reads as text: mostly ASCII and CJK (\x00\xff… would be “ÿÿÿ”: binary)
    text = head.decode(enc, errors="replace")
    texty = sum(1 for ch in text if ch.isascii() or "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
    return enc if texty >= 0.8 * len(text) else None
