"""Numbers of a published report's tables that were not read, fixed by the table's arithmetic.

An import leaves a number it cannot place unknown (never 0, never a neighbour's number). Some of
them are nevertheless fixed by an identity of the format, once every *other* number of that
identity was read: a row's 总计 is the sum of its six applicant columns (``T3-ROW-TOTAL``), a
column's （七）总计 the sum of its 21 result rows (``T3-RESULT-SUM``), and every column balances,
一 + 二 = （七）总计 + 四 (``T3-BALANCE``); 表四's groups add up to their 总计 (``T4-TOTAL``).

The rules, so that a wrong number is never made into a "derived" one:

* an identity derives its one unknown only when every other number in it was **read** (a derived
  number never derives another: two unknowns sharing an identity both stay unknown);
* a kind of identity (the sums; the balance) is relied on only when the report's own numbers show
  it: at least one of its kind was read whole and holds, and none read whole fails;
* the result must be a count a cell can hold (an integer ≥ 0 below ``MAX_COUNT``, the bound past
  which a printed number is refused as VALUE-IMPLAUSIBLE), and so must every number it is made of
  (2.5 + 2.5 is no count of 5; a balance through a −3 is no balance);
* two identities that fix the same cell must agree;
* every identity whose numbers are then all known (read or derived) must hold; where one does
  not, none of the numbers derived in it is kept.

A derived number is never said to be read: the import lists it apart (``derived``), its place is
``由合计推算``, and a finding at its row gives the numbers and the identities they come from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from toolkit.cells import MAX_COUNT
from toolkit.model import Number
from toolkit.spec import FormSpec

__all__ = ["Identity", "derive", "identities"]


@dataclass(frozen=True, slots=True)
class Identity:
    """``sum(coef · value) == 0`` over ``terms``; ``how`` says in Chinese what it is."""

    terms: tuple[tuple[str, int], ...]
    how: str
    kind: str = "sum"  # "sum": a total and its parts; "balance": 表三's 一 + 二 = （七） + 四


@functools.cache
def identities(spec: FormSpec) -> tuple[Identity, ...]:
    """The linear identities of ``spec``'s tables: every total of the spec (a row's 总计, a
    column's （七）总计, 表四's groups), the total column's （七）总计 over the rows' 总计, and
    表三's balance in each column (when the form has its four rows)."""
    out: list[Identity] = []
    cells = spec.cells
    for k in spec.total_keys:
        parts = cells[k].parts
        if not parts:
            continue
        if k.startswith("t3.") and k.endswith(".total"):
            how = "本行总计等于各类申请人之和"
        elif k.startswith("t3."):
            how = "（七）总计等于各项办理结果之和"
        else:
            how = "总计等于各项之和"
        out.append(Identity(((k, 1), *((p, -1) for p in parts)), how))
    # the 总计 column's （七）总计 is also the sum of the result rows' 总计 (T3-RESULT-SUM, every column)
    first = next(
        (k for k in spec.total_keys if k.startswith("t3.result_total.") and not k.endswith(".total")), None
    )
    if first is not None and "t3.result_total.total" in cells:
        rows = [p.split(".")[1] for p in cells[first].parts]
        totals = [f"t3.{r}.total" for r in rows]
        if all(t in cells for t in totals):
            out.append(
                Identity(
                    (("t3.result_total.total", 1), *((t, -1) for t in totals)),
                    "（七）总计等于各项办理结果之和",
                )
            )
    cols = sorted({k.split(".")[2] for k in cells if k.startswith("t3.new_received.")})
    for c in cols:
        keys = [f"t3.{r}.{c}" for r in ("new_received", "carried_in", "result_total", "carried_out")]
        if all(k in cells for k in keys):
            out.append(
                Identity(
                    ((keys[0], 1), (keys[1], 1), (keys[2], -1), (keys[3], -1)),
                    "表三勾稽关系（第一项加第二项之和，等于第三项加第四项之和）",
                    "balance",
                )
            )
    return tuple(out)


def _solve(ident: Identity, unknown: str, value: Callable[[str], Number | None]) -> Number | None:
    coef = next(c for k, c in ident.terms if k == unknown)
    rest = 0
    for k, c in ident.terms:
        if k == unknown:
            continue
        v = value(k)
        if not _count(v):
            return None
        rest += c * v  # type: ignore[operator]
    x = -rest * coef  # coef is ±1
    if isinstance(x, Decimal) and x != x.to_integral_value():
        return None
    if not 0 <= x < MAX_COUNT:
        return None
    return int(x)


def _count(v: object) -> bool:
    """``v`` is a count a cell takes: a whole number ≥ 0 below MAX_COUNT (read as int or Decimal)."""
    if isinstance(v, bool) or not isinstance(v, int | Decimal):
        return False
    if isinstance(v, Decimal) and (not v.is_finite() or v != v.to_integral_value()):
        return False
    return 0 <= v < MAX_COUNT


def derive(
    spec: FormSpec, read: Iterable[str], value: Callable[[str], Number | None]
) -> dict[str, tuple[int, tuple[str, ...]]]:
    """The unknown numbers the identities fix: key -> (its value, how: the identities used).
    ``read``: the keys read from the report; ``value``: a read key's number."""
    read = set(read)
    idents = [i for i in identities(spec) if all(k in spec.cells for k, _ in i.terms)]
    # a kind of identity is relied on only where the report's own numbers show it holds: at least
    # one of its kind read whole and holding, none read whole and failing (published reports often
    # print a balance that does not hold; a number derived from it would not be the one printed)
    checked: dict[str, list[bool]] = {}
    for ident in idents:
        if all(k in read for k, _ in ident.terms):
            vals = [value(k) for k, _ in ident.terms]
            if all(v is not None for v in vals):
                ok = sum(c * v for (_, c), v in zip(ident.terms, vals, strict=True)) == 0  # type: ignore[operator]
                checked.setdefault(ident.kind, []).append(ok)
    trusted = {kind for kind, oks in checked.items() if oks and all(oks)}
    found: dict[str, dict[int, list[str]]] = {}
    for ident in idents:
        if ident.kind not in trusted:
            continue
        missing = [k for k, _ in ident.terms if k not in read]
        if len(missing) != 1:
            continue
        x = _solve(ident, missing[0], value)
        if x is None:
            found.setdefault(missing[0], {})[-1] = [ident.how]  # a negative or broken result
            continue
        found.setdefault(missing[0], {}).setdefault(x, []).append(ident.how)
    cand = {
        k: (next(iter(by)), tuple(dict.fromkeys(by[next(iter(by))])))
        for k, by in found.items()
        if len(by) == 1
    }
    cand = {k: v for k, v in cand.items() if v[0] >= 0}

    def known(k: str) -> Number | None:
        return cand[k][0] if k in cand else value(k)

    changed = True
    while changed:  # every identity now fully known must hold, or its derived numbers go
        changed = False
        for ident in idents:
            keys = [k for k, _ in ident.terms]
            if not any(k in cand for k in keys) or not all(k in read or k in cand for k in keys):
                continue
            vals = [known(k) for k in keys]
            if any(v is None for v in vals):
                continue
            if sum(c * v for (_, c), v in zip(ident.terms, vals, strict=True)) != 0:  # type: ignore[operator]
                for k in keys:
                    if cand.pop(k, None) is not None:
                        changed = True
    return cand
