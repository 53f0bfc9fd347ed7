"""The one in-memory shape of "one body's report for one year": :class:`Submission`.

Whether it came from a template, a foreign workbook, a merge or a published report, a submission
carries the input values by stable key, the totals *as reported* by its source (to be checked,
never trusted), the cover, the texts, and where each value was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from toolkit.spec import FormSpec, load_spec

__all__ = ["Number", "Submission", "compute_totals", "number_json", "unknown_keys", "with_dependent_totals"]

Number = int | Decimal


@lru_cache(maxsize=8)
def _total_plan(spec: FormSpec) -> tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...]:
    """(total, its parts, as many zeros: the defaults for map) in dependency order."""
    return tuple((k, spec.cells[k].parts, (0,) * len(spec.cells[k].parts)) for k in spec.total_keys)


def compute_totals(spec: FormSpec, values: dict[str, Number]) -> dict[str, Number]:
    """Every total of the form recomputed from the input values (missing inputs count 0)."""
    return _arithmetic(spec)[0](values)


def _sum_totals(spec: FormSpec, values: dict[str, Number]) -> dict[str, Number]:
    """What :func:`compute_totals` computes, by the spec's plan at run time (the reference the
    compiled functions are tested against)."""
    acc = dict(values)  # totals join it as they are computed: a total may add up totals
    out: dict[str, Number] = {}
    for k, parts, zeros in _total_plan(spec):
        out[k] = acc[k] = sum(map(acc.get, parts, zeros))
    return out


@lru_cache(maxsize=8)
def _arithmetic(spec: FormSpec) -> tuple[Any, Any]:
    """(totals, all_values) of a spec as two functions compiled once from its totals: straight-line
    additions instead of a loop over the plan (the rules run them for every workbook). Each total
    adds from 0, left to right, as ``sum`` does, so ints and Decimals give the very same results
    (Decimal additions round at the context's precision in the same order). ``all_values`` starts
    from a copy of every numeric key at 0 in form order, updated with the inputs (in C); inputs
    with other keys (never in a workbook read) take the general path."""
    var = {k: f"t{i}" for i, k in enumerate(spec.total_keys)}
    numeric = set(spec.numeric_keys)

    def body(get: str) -> str:
        out = []
        for k, parts, _zeros in _total_plan(spec):
            terms = "".join(
                f" + {var[p]}" if p in var else f" + {(get if p in numeric else 'g({}, 0)').format(repr(p))}"
                for p in parts
            )
            out.append(f"    {var[k]} = 0{terms}")
        return "\n".join(out)

    totals = ", ".join(f"{k!r}: {var[k]}" for k in spec.total_keys)
    every = ", ".join(f"{k!r}: {var[k]}" if k in var else f"{k!r}: g({k!r}, 0)" for k in spec.numeric_keys)
    into = "\n".join(f"    o[{k!r}] = {var[k]}" for k in spec.total_keys)
    src = (
        f"def totals(v):\n    g = v.get\n{body('g({}, 0)')}\n    return {{{totals}}}\n\n"
        f"def general(v):\n    g = v.get\n{body('g({}, 0)')}\n    return {{{every}}}\n\n"
        f"def all_values(v):\n    g = v.get\n    o = zeros.copy()\n    o.update(v)\n"
        f"    if len(o) != {len(spec.numeric_keys)}:\n        return general(v)\n"
        f"{body('o[{}]')}\n{into}\n    return o\n"
    )
    scope: dict[str, Any] = {"zeros": dict.fromkeys(spec.numeric_keys, 0)}
    exec(compile(src, f"<totals of {spec.id}>", "exec"), scope)  # keys as repr() literals only
    return scope["totals"], scope["all_values"]


def unknown_keys(sub: Submission) -> frozenset[str]:
    """Numbers an import could not find (``meta["unknown"]``: unknown, never 0), plus every total
    that depends on one of them. Empty for an ordinary workbook."""
    raw = sub.meta.get("unknown") or ""
    if not raw:
        return frozenset()
    return with_dependent_totals(sub.spec, (k for k in raw.split(",") if k in sub.spec.cells))


def with_dependent_totals(spec: FormSpec, keys: Iterable[str]) -> frozenset[str]:
    """``keys`` plus every total that depends on one of them (directly or through other totals)."""
    out = set(keys)
    if not out:
        return frozenset()
    for k, parts, _ in _total_plan(spec):  # dependency order: a total of totals follows them
        if out.intersection(parts):
            out.add(k)
    return frozenset(out)


def number_json(v: Number | None) -> int | float | str | None:
    """JSON form of a number: ints as ints, Decimals as exact strings when not integral."""
    if v is None or isinstance(v, int):
        return v
    if v == v.to_integral_value():
        return int(v)
    return str(v)


@dataclass
class Submission:
    spec: FormSpec = field(default_factory=load_spec, repr=False)
    cover: dict[str, Any] = field(default_factory=dict)  # "agency", "code", "year", ...
    values: dict[str, Number] = field(default_factory=dict)  # input cells (and s6 fees)
    reported: dict[str, Number | None] = field(default_factory=dict)  # totals as the source shows
    texts: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    raw: dict[str, str] = field(default_factory=dict)  # key -> text as typed, where it was text
    formula: dict[str, str] = field(default_factory=dict)  # total key -> formula text found
    where: dict[str, str] = field(default_factory=dict)  # key -> "表三!D6" (or a line number)
    # key -> why the value read there is not what was meant ("空白", "“12件”为文本" …): the reading
    # already reported it; rules name these cells first and do not report them again
    suspect: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)  # hidden metadata of the workbook
    findings: list[Any] = field(default_factory=list, repr=False)  # what reading it found

    @property
    def agency(self) -> str:
        return str(self.cover.get("agency") or "").strip()

    @property
    def code(self) -> str:
        return str(self.cover.get("code") or "").strip().upper()

    @property
    def year(self) -> int | None:
        y = self.cover.get("year")
        try:
            return int(str(y).strip().removesuffix("年")) if y not in (None, "") else None
        except ValueError:
            return None

    def totals(self) -> dict[str, Number]:
        return compute_totals(self.spec, self.values)

    def all_values(self) -> dict[str, Number]:
        """Inputs plus recomputed totals, in form order."""
        return _arithmetic(self.spec)[1](self.values)

    def to_values_json(self) -> dict[str, Any]:
        """The values JSON that ``xxgk template --values`` takes (totals as reported, if any)."""
        vals: dict[str, Any] = {}
        unknown = unknown_keys(self)  # an imported number not found stays unknown: null, never 0
        for k in self.spec.numeric_keys:
            if self.spec.cells[k].kind == "total":
                rep = self.reported.get(k)
                if rep is not None:
                    vals[k] = number_json(rep)
            else:
                vals[k] = None if k in unknown else number_json(self.values.get(k, 0))
        cover = {k: v for k, v in self.cover.items() if v not in (None, "")}
        if "year" in cover and self.year is not None:
            cover["year"] = self.year
        out: dict[str, Any] = {"format": self.spec.id, "cover": cover, "values": vals}
        if any(self.texts.values()):
            out["texts"] = {k: v for k, v in self.texts.items() if v}
        return out
