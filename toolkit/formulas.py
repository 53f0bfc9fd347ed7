"""Excel formulas of the form, derived from the spec: totals and live checks.

The template writer writes them; the reader compares a total cell's formula with the one expected
here to tell an intact total from one that was typed over or edited.
"""

from __future__ import annotations

from decimal import Decimal

from toolkit.model import Number
from toolkit.spec import CellSpec, CheckSpec, FormSpec, cell_name

__all__ = ["cell_ref", "check_formula", "check_result", "sum_expr", "total_formula"]

OK = "✓"
BAD = "✗"


def cell_ref(spec: FormSpec, key: str, from_sheet: str | None, absolute: bool = False) -> str:
    c = spec.cells[key]
    a1 = cell_name(c.row, c.col)
    if absolute:
        col = "".join(ch for ch in a1 if ch.isalpha())
        a1 = f"${col}${a1[len(col) :]}"
    return a1 if c.sheet == from_sheet else f"'{c.sheet}'!{a1}"


def _runs(cells: list[CellSpec]) -> list[tuple[CellSpec, CellSpec]]:
    """Group cells into contiguous runs along one row or one column."""
    runs: list[tuple[CellSpec, CellSpec]] = []
    for c in cells:
        if runs:
            first, last = runs[-1]
            same_col = c.sheet == last.sheet and c.col == last.col == first.col and c.row == last.row + 1
            same_row = c.sheet == last.sheet and c.row == last.row == first.row and c.col == last.col + 1
            if same_col or same_row:
                runs[-1] = (first, c)
                continue
        runs.append((c, c))
    return runs


def sum_expr(spec: FormSpec, keys: tuple[str, ...], from_sheet: str | None) -> str:
    if not keys:
        return "0"
    parts = []
    for first, last in _runs([spec.cells[k] for k in keys]):
        a = cell_ref(spec, first.key, from_sheet)
        parts.append(a if first is last else f"{a}:{cell_name(last.row, last.col)}")
    return f"SUM({','.join(parts)})"


def total_formula(spec: FormSpec, key: str) -> str:
    c = spec.cells[key]
    return "=" + sum_expr(spec, c.parts, c.sheet)


def _side(spec: FormSpec, keys: tuple[str, ...], const: int, sheet: str) -> str:
    return sum_expr(spec, keys, sheet) if keys else str(const)


def check_formula(spec: FormSpec, chk: CheckSpec, sheet: str) -> str:
    """``=IF(ok,"✓","✗ 差 "&diff)`` for one check, written on the checks sheet."""
    lhs = _side(spec, chk.lhs, 0, sheet)
    rhs = _side(spec, chk.rhs, chk.const, sheet)
    diff = f"ROUND({lhs}-{rhs},6)"
    cond = {"==": f"{diff}=0", "<=": f"{diff}<=0", ">=": f"{diff}>=0"}[chk.op]
    if chk.when_zero:
        cond = f"OR({cell_ref(spec, chk.when_zero, sheet)}<>0,{cond})"
    return f'=IF({cond},"{OK}","{BAD} 差 "&{diff})'


def format_diff(d: Number) -> str:
    if isinstance(d, Decimal):
        d = round(d, 6)
        return str(int(d)) if d == d.to_integral_value() else format(d.normalize(), "f")
    return str(d)


def check_result(chk: CheckSpec, get: dict[str, Number]) -> str:
    """What :func:`check_formula` shows, computed exactly (the cached result we write)."""
    lhs = sum((get.get(k, 0) for k in chk.lhs), 0)
    rhs = sum((get.get(k, 0) for k in chk.rhs), 0) if chk.rhs else chk.const
    d = lhs - rhs
    ok = {"==": d == 0, "<=": d <= 0, ">=": d >= 0}[chk.op]
    if chk.when_zero and get.get(chk.when_zero, 0) != 0:
        ok = True
    return OK if ok else f"{BAD} 差 {format_diff(d)}"
