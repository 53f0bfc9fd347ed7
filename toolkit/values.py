"""The values JSON: ``{"format": "gov-2021", "cover": {...}, "values": {"<key>": n}, "texts": {...}}``.

It is what ``xxgk template --values`` takes and ``xxgk export`` gives. Loading is strict: an
unknown key, a bad number or a wrong format is an error naming the key, never silently dropped.

Bounded before parsing: a regular file (a FIFO would block) of at most ``MAX_BYTES``, nested at
most ``MAX_DEPTH`` deep (the real shape is 2; deeper JSON made the parser recurse until
``RecursionError``). Numbers are parsed exactly (ints as ``int``, fractions as ``Decimal``, never
float) and bounded: counts below ``MAX_COUNT``; money within ``MONEY_DIGITS`` significant digits
and below ``10**MONEY_DIGITS`` (what an xlsx number, a double, keeps exactly; more is refused,
never rounded).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from itertools import accumulate
from pathlib import Path
from typing import Any

from toolkit.cells import parse_number
from toolkit.inputs import InputError, read_input
from toolkit.model import Submission
from toolkit.spec import FormSpec, load_spec

__all__ = [
    "MAX_BYTES",
    "MAX_COUNT",
    "MAX_DEPTH",
    "MONEY_DIGITS",
    "ValuesError",
    "bound_problem",
    "load_values",
    "submission_from_values",
]

MAX_BYTES = 16 * 1024 * 1024  # the values of one report, texts included, are a few KB
MAX_DEPTH = 8
MAX_COUNT = 10**9  # counts (件) are below this
MONEY_DIGITS = 15  # money: at most 15 significant digits and below 10**15
_NUM_CHARS = 40  # a JSON number longer than this is out of bounds whatever it is


class _Huge(str):
    """A JSON number too long to convert (kept as its text, refused with the key)."""


def _parse_int(s: str) -> int | _Huge:
    return int(s) if len(s) <= _NUM_CHARS else _Huge(s)


def _parse_float(s: str) -> Decimal | _Huge:
    return Decimal(s) if len(s) <= _NUM_CHARS else _Huge(s)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _depth(text: str) -> int:
    """How deep the JSON nests (strings skipped), in one linear pass; no parser recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class ValuesError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_values(path: str | Path, spec: FormSpec | None = None, *, follow_file: bool = False) -> Submission:
    """The values file as a Submission in ``spec``. ``follow_file`` (and no ``spec``): in the
    format the file names (``format``), else the format of its report year (``cover.year``)."""
    p = Path(path)
    try:
        raw = read_input(p, what="数值文件", max_bytes=MAX_BYTES)
    except InputError as exc:
        raise ValuesError([str(exc)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValuesError([f"{p.name} 不是 UTF-8 编码的 JSON：{exc}"]) from None
    if _depth(text) > MAX_DEPTH:
        raise ValuesError([f"{p.name} 嵌套超过 {MAX_DEPTH} 层，不是数值文件的结构"])
    try:
        data = json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValuesError([f"{p.name} 不是有效的 JSON：{exc}"]) from None
    if spec is None and follow_file:
        spec = _named_spec(data)
    sub = submission_from_values(data, spec)
    sub.source = str(p)
    return sub


def _named_spec(data: Any) -> FormSpec | None:
    """The format a values document names, else the one of its report year; None when neither is
    there or the name is unknown (then loading says what is wrong)."""
    from toolkit.spec import SpecError, spec_for_year

    if not isinstance(data, dict):
        return None
    fmt = data.get("format")
    if isinstance(fmt, str):
        try:
            return load_spec(fmt)
        except SpecError:
            return None
    cover = data.get("cover")
    year = cover.get("year", cover.get("cover.year")) if isinstance(cover, dict) else None
    # ASCII digits only, and few: "²" passes isdigit() and int() raised (a traceback)
    if isinstance(year, str) and year.strip().isascii() and year.strip().isdigit() and len(year.strip()) <= 9:
        year = int(year.strip())
    return spec_for_year(year) if isinstance(year, int) and not isinstance(year, bool) else None


def submission_from_values(data: Any, spec: FormSpec | None = None) -> Submission:
    spec = spec or load_spec()
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ValuesError(['数值文件应为 JSON 对象：{"format", "cover", "values"}'])
    unknown_top = set(data) - {"format", "cover", "values", "texts", "where"}
    if unknown_top:
        problems.append(f"未知的顶层字段：{'、'.join(sorted(unknown_top))}")
    fmt = data.get("format", spec.id)
    if fmt != spec.id:
        problems.append(f"format 为 {fmt!r}，应为 {spec.id!r}")
    sub = Submission(spec=spec)
    cover_keys = {f.key.split(".", 1)[1] for f in spec.cover}
    cover = data.get("cover") or {}
    if not isinstance(cover, dict):
        problems.append("cover 应为对象")
        cover = {}
    for k, v in cover.items():
        short = k.removeprefix("cover.")
        if short not in cover_keys:
            problems.append(f"cover 中未知的字段 {k!r}（可用：{'、'.join(sorted(cover_keys))}）")
        elif v is not None and (not isinstance(v, str | int) or isinstance(v, bool | _Huge)):
            problems.append(f"cover.{short} 应为文字或整数")
        elif isinstance(v, int) and not 0 <= v < MAX_COUNT:
            problems.append(f"cover.{short}：{v} 超出范围（应为 0 至 {MAX_COUNT - 1} 的整数）")
        else:
            sub.cover[short] = v
    values = data.get("values") or {}
    if not isinstance(values, dict):
        problems.append("values 应为对象")
        values = {}
    unknown: list[str] = []
    for k, v in values.items():
        cell = spec.cells.get(k)
        if cell is None or cell.kind not in ("input", "total"):
            problems.append(f"未知的数值键 {k!r}")
            continue
        if v is None:  # null: unknown (an imported number not found), a blank highlighted cell, never 0
            if cell.kind == "input":
                unknown.append(k)
            continue
        kind = cell.type.kind if cell.type else "int"
        bound = bound_problem(v, kind)
        if bound:
            problems.append(f"{k}：{bound}")
            continue
        if isinstance(v, float) and kind == "int" and not v.is_integer():
            problems.append(f"{k}：{v!r} 不是整数")
            continue
        parsed = parse_number(v if not isinstance(v, float) else repr(v), kind)
        if parsed.value is None or parsed.problem in ("not_number", "placeholder"):
            problems.append(f"{k}：{v!r} 不是数字")
        elif parsed.problem == "negative" and cell.type is not None and cell.type.signed:
            if kind == "int" and not isinstance(parsed.value, int):
                problems.append(f"{k}：{v!r} 不是整数")
            else:
                sub.values[k] = parsed.value  # 本年增/减: a decrease is negative
        elif parsed.problem == "negative":
            problems.append(f"{k}：{v!r} 是负数")
        elif parsed.problem == "not_integer":
            problems.append(f"{k}：{v!r} 不是整数")
        elif bound := bound_problem(parsed.value, kind):  # "1e3" as text, "１２" full-width …
            problems.append(f"{k}：{bound}")
        elif cell.kind == "total":
            sub.reported[k] = parsed.value
        else:
            sub.values[k] = parsed.value
    if unknown:
        sub.meta["unknown"] = ",".join(unknown)
    texts = data.get("texts") or {}
    text_keys = {f.key for f in spec.texts}
    for k, v in texts.items() if isinstance(texts, dict) else []:
        if k not in text_keys:
            problems.append(f"texts 中未知的键 {k!r}（可用：{'、'.join(sorted(text_keys))}）")
        elif not isinstance(v, str):
            problems.append(f"texts.{k} 应为文字")
        else:
            sub.texts[k] = str(v)
    if problems:
        raise ValuesError(problems)
    return sub


def _short(v: Any) -> str:
    t = str(v)
    return t if len(t) <= 24 else f"{t[:10]}…{t[-6:]}（{len(t)} 个字符）"


def bound_problem(v: Any, kind: str) -> str | None:
    """Why a number cannot be written exactly (None when it can): counts below ``MAX_COUNT``,
    money within ``MONEY_DIGITS`` significant digits and below ``10**MONEY_DIGITS``."""
    if isinstance(v, bool) or not isinstance(v, int | float | Decimal | str):
        return None  # wrong types are reported by the number parser
    if isinstance(v, _Huge):
        return f"{_short(v)} 超出范围：数字过长（上限 {_NUM_CHARS} 个字符）"
    if isinstance(v, str):
        return f"{_short(v)} 超出范围：文字过长，不是数字" if len(v) > 2 * _NUM_CHARS else None
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None
        v = Decimal(repr(v))
    d = Decimal(v)
    if not d.is_finite():
        return None
    if kind == "int":
        if abs(d) >= MAX_COUNT:
            return f"{_short(v)} 超出范围：件数应小于 {MAX_COUNT:,}"
        return None
    digits = len(d.normalize().as_tuple().digits) if d else 0
    if abs(d) >= Decimal(10) ** MONEY_DIGITS or digits > MONEY_DIGITS:
        return (
            f"{_short(v)} 超出范围：金额最多 {MONEY_DIGITS} 位有效数字且小于 10^{MONEY_DIGITS}"
            "（Excel 的数字只保存这么多位，多出的位数会丢失）"
        )
    return None
