"""Raw cell content -> number, tolerant of what people type in Excel and WPS.

Normalises full-width digits (０１２), thousands separators, surrounding spaces, a trailing unit
(件/元/万元), numbers stored as text; reads blanks as 0 and placeholders (/ — - 无 空) as 0 with a
warning. Counts become ``int``, money ``Decimal`` (never float). The raw text is kept for messages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = ["PLACEHOLDERS", "Parsed", "parse_number"]

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
_UNITS = ("万元", "元", "件", "个", "次", "条", "项")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


@dataclass(frozen=True, slots=True)
class Parsed:
    value: Number | None  # None only when the content is not a number
    problem: Literal["not_number", "negative", "not_integer", "placeholder"] | None = None
    raw: str = ""  # what the cell showed, for messages
    as_text: bool = False  # the number was stored as text (WPS habit)


def _raw_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def parse_number(v: object, kind: Literal["int", "decimal"] = "int") -> Parsed:
    """Parse one cell value as returned by a reader (None, bool, int, float, str, date...)."""
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
        s = unicodedata.normalize("NFKC", v).strip().replace("\u3000", "").replace(" ", "")
        if s == "":
            return Parsed(0, None, raw, True)
        if s in PLACEHOLDERS or unicodedata.normalize("NFKC", v).strip() in PLACEHOLDERS:
            return Parsed(0, "placeholder", raw, True)
        for unit in _UNITS:
            if s.endswith(unit) and len(s) > len(unit):
                s = s[: -len(unit)]
                break
        if _THOUSANDS.match(s):
            s = s.replace(",", "")
        if not _PLAIN.match(s):
            return Parsed(None, "not_number", raw, True)
        try:
            num = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return Parsed(None, "not_number", raw, True)
    else:  # dates, times, errors: not a count
        return Parsed(None, "not_number", _raw_text(v))
    if num < 0:
        value: Number = int(num) if kind == "int" and num == num.to_integral_value() else num
        return Parsed(value, "negative", raw, as_text)
    if kind == "int":
        if num != num.to_integral_value():
            return Parsed(num, "not_integer", raw, as_text)
        return Parsed(int(num), None, raw, as_text)
    return Parsed(num.normalize() if num == num.to_integral_value() else num, None, raw, as_text)


def decode_text(data: bytes) -> str | None:
    """Text files as Chinese offices save them: UTF-8 (with or without BOM) or GBK/GB18030.
    None when it is neither."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None
