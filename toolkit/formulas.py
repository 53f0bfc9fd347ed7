"""Excel formulas of the form, derived from the spec: totals and live checks.

The template writer writes them; the reader compares a total cell's formula with the one expected
here to tell an intact total from one that was typed over or edited.
"""

from __future__ import annotations

from decimal import Decimal

from toolkit.cells import PLACEHOLDERS
from toolkit.model import Number
from toolkit.spec import CellSpec, CheckSpec, FormSpec, cell_name

__all__ = [
    "cell_ref",
    "check_formula",
    "check_result",
    "input_rects",
    "sum_expr",
    "text_cell_condition",
    "text_check_formula",
    "total_formula",
    "value_check_formula",
]

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
    if abs(d) >= 10**15:  # 1E+400 stored in a count cell: round() would raise; shown as validate shows it
        return f"{Decimal(d):.6E}"
    if isinstance(d, Decimal) and d and abs(d) < Decimal("1E-6"):  # 1E-400: not "0"
        return f"{d:.6E}"
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


# -- text in input cells ------------------------------------------------------------------------
# Excel, WPS and LibreOffice leave text out of SUM: a number typed as text ("12件", "１２") is a
# number the workbook's own totals ignore. The 校验 sheet counts such cells (placeholders such as
# "/" excepted: they mean 0, which is what SUM makes of them), so it agrees with ``xxgk validate``
# (VALUE-TEXT-NUMBER / VALUE-NOT-NUMBER). FIND against a delimited list is exact and case-
# sensitive like the reader, and needs no array constant (Excel refuses those in conditional
# formats).
_PLACEHOLDER_LIST = "|" + "|".join(sorted(p for p in PLACEHOLDERS if '"' not in p and "|" not in p)) + "|"


def input_rects(
    spec: FormSpec, sheet: str, kind: str | None = None, signed: bool | None = None
) -> list[tuple[int, int, int, int]]:
    """The input cells of a sheet (of one number kind, "int" or "decimal", and signed or not, if
    given) as rectangles (first row, first col, last row, last col)."""
    rows: dict[tuple[int, int], list[int]] = {}
    for first, last in _runs(
        sorted(
            (
                c
                for c in spec.cells.values()
                if c.sheet == sheet
                and c.kind == "input"
                and (kind is None or (c.type.kind if c.type else "int") == kind)
                and (signed is None or bool(c.type and c.type.signed) == signed)
            ),
            key=lambda c: (c.row, c.col),
        )
    ):
        if first.row == last.row:
            rows.setdefault((first.col, last.col), []).append(first.row)
        else:
            for r in range(first.row, last.row + 1):
                rows.setdefault((first.col, first.col), []).append(r)
    rects = []
    for (c0, c1), rs in rows.items():
        start = prev = rs[0]
        for r in [*rs[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            rects.append((start, c0, prev, c1))
            if r is not None:
                start = prev = r
    return sorted(rects)


def _text_count(a: str) -> str:
    return f'ISTEXT({a})*(LEN(TRIM({a}))>0)*ISERROR(FIND("|"&TRIM({a})&"|","{_PLACEHOLDER_LIST}"))'


def text_cell_condition(cell: str) -> str:
    """True for a cell holding text that SUM ignores and that is not a placeholder."""
    return (
        f'AND(ISTEXT({cell}),LEN(TRIM({cell}))>0,ISERROR(FIND("|"&TRIM({cell})&"|","{_PLACEHOLDER_LIST}")))'
    )


def text_check_formula(spec: FormSpec, sheet: str, from_sheet: str) -> str | None:
    """``=IF(n=0,"✓","✗ n 个单元格为文本")`` over every input cell of ``sheet``."""
    rects = input_rects(spec, sheet)
    if not rects:
        return None
    terms = []
    for r0, c0, r1, c1 in rects:
        a = cell_name(r0, c0) if (r0, c0) == (r1, c1) else f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
        ref = a if sheet == from_sheet else f"'{sheet}'!{a}"
        terms.append(f"SUMPRODUCT({_text_count(ref)})")
    n = "+".join(terms)
    return f'=IF({n}=0,"{OK}","{BAD} "&({n})&" 个单元格为文本，不计入合计")'


def value_check_formula(spec: FormSpec, sheet: str, from_sheet: str) -> str | None:
    """``=IF(n=0,"✓","✗ n 个单元格…")``: negative numbers, fractional counts and numbers beyond
    the plausible bound among the input cells of ``sheet`` (VALUE-NEGATIVE, VALUE-NOT-INTEGER,
    VALUE-IMPLAUSIBLE), as COUNTIF/SUMPRODUCT see them in Excel, WPS and LibreOffice."""
    from toolkit.cells import MAX_COUNT, MAX_MONEY

    terms = []
    for r0, c0, r1, c1, money, signed in [
        *((*r, False, False) for r in input_rects(spec, sheet, "int", False)),
        *((*r, True, False) for r in input_rects(spec, sheet, "decimal", False)),
        *((*r, False, True) for r in input_rects(spec, sheet, "int", True)),  # 本年增/减 (2019)
        *((*r, True, True) for r in input_rects(spec, sheet, "decimal", True)),
    ]:
        a = cell_name(r0, c0) if (r0, c0) == (r1, c1) else f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
        ref = a if sheet == from_sheet else f"'{sheet}'!{a}"
        bound = f"{MAX_MONEY if money else MAX_COUNT:.0E}"
        low = f'COUNTIF({ref},"<=-{bound}")' if signed else f'COUNTIF({ref},"<0")'
        terms.append(f'{low}+COUNTIF({ref},">={bound}")')
        if not money:
            # a number only: text ("31") is VALUE-TEXT-NUMBER's, and text <> INT(text) is TRUE
            terms.append(f"SUMPRODUCT(IFERROR(ISNUMBER({ref})*({ref}<>INT({ref})),0))")
    if not terms:
        return None
    n = "+".join(terms)
    return f'=IF({n}=0,"{OK}","{BAD} "&({n})&" 个单元格为负数、小数或超出上限")'
