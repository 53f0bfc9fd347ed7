"""The one in-memory shape of "one body's report for one year": :class:`Submission`.

Whether it came from a template, a foreign workbook, a merge or a published report, a submission
carries the input values by stable key, the totals *as reported* by its source (to be checked,
never trusted), the cover, the texts, and where each value was found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    fast = _compiled(spec)
    if fast is None:
        return _sum_totals(spec, values)
    every = fast(values)
    return {k: every[k] for k in spec.total_keys}


def _all_values(spec: FormSpec, values: dict[str, Number]) -> dict[str, Number]:
    fast = _compiled(spec)
    if fast is not None:
        return fast(values)
    tot = _sum_totals(spec, values)
    return {k: tot[k] if k in tot else values.get(k, 0) for k in spec.numeric_keys}


def _sum_totals(spec: FormSpec, values: dict[str, Number]) -> dict[str, Number]:
    """What :func:`compute_totals` computes, by the spec's plan at run time (the reference the
    compiled function is tested against, and what a run of a few workbooks uses)."""
    acc = dict(values)  # totals join it as they are computed: a total may add up totals
    out: dict[str, Number] = {}
    for k, parts, zeros in _total_plan(spec):
        out[k] = acc[k] = sum(map(acc.get, parts, zeros))
    return out


COMPILE_AFTER = 16  # workbooks: compiling costs ~2 ms, what one `xxgk validate one.xlsx` must not pay
_CALLS: dict[int, int] = {}


def _compiled(spec: FormSpec) -> Any:
    """All values (inputs, then totals recomputed) of a spec as one function compiled from its
    totals once the spec has served ``COMPILE_AFTER`` calls: straight-line additions instead of a
    loop over the plan (the rules run it for every workbook). None before, and for a spec a
    compiled function cannot serve (a total of a non-numeric cell)."""
    n = _CALLS.get(id(spec), 0)
    if n < COMPILE_AFTER:
        _CALLS[id(spec)] = n + 1
        return None
    return _compile_all_values(spec)


@lru_cache(maxsize=8)
def _compile_all_values(spec: FormSpec) -> Any:
    """Each total adds from 0, left to right, as ``sum`` does, so ints and Decimals give the very
    same results (Decimal additions round at the context's precision in the same order). It
    starts from a copy of every numeric key at 0 in form order, updated with the inputs (in C);
    inputs under keys of no numeric cell (never in a workbook read) are left out first."""
    var = {k: f"t{i}" for i, k in enumerate(spec.total_keys)}
    numeric = set(spec.numeric_keys)
    lines = [
        "def all_values(v):",
        "    o = zeros.copy()",
        "    o.update(v)",
        f"    if len(o) != {len(numeric)}:",
    ]
    lines += ["        o = zeros.copy()", "        o.update((k, x) for k, x in v.items() if k in zeros)"]
    for k, parts, _zeros in _total_plan(spec):
        if not numeric.issuperset(parts):
            return None
        terms = "".join(f" + {var[p]}" if p in var else f" + o[{p!r}]" for p in parts)
        lines.append(f"    {var[k]} = 0{terms}")
    lines += [f"    o[{k!r}] = {var[k]}" for k in spec.total_keys]
    lines.append("    return o")
    scope: dict[str, Any] = {"zeros": dict.fromkeys(spec.numeric_keys, 0)}
    exec(compile("\n".join(lines) + "\n", f"<totals of {spec.id}>", "exec"), scope)  # repr() literals only
    return scope["all_values"]


@lru_cache(maxsize=8)
def row_with_totals(spec: FormSpec) -> Callable[[Sequence[Number]], list[Number]]:
    """A function giving a record's values (in ``numeric_keys`` order, its totals' slots as 0: what
    the merge keeps) with each total added up from its parts, as the form computes it: 明细 and
    明细.csv show every agency's 总计 (they showed 0 under the 合计 row's sum, and the row's SUMIFS
    recalculated to 0). Straight-line additions compiled once per form, from 0 left to right as
    ``sum`` does (ints stay ints, Decimals add in the same order)."""
    pos = {k: i for i, k in enumerate(spec.numeric_keys)}
    if not pos:
        return list
    every = ", ".join(f"v{i}" for i in range(len(pos)))
    # the values unpacked into locals (a list indexed ~300 times took 19 us a row; this 4)
    lines = ["def fill(values):", f"    {every}, = values"]
    for k, parts, _zeros in _total_plan(spec):
        if k in pos and all(p in pos for p in parts):
            lines.append(f"    v{pos[k]} = 0" + "".join(f" + v{pos[p]}" for p in parts))
    lines.append(f"    return [{every}]")
    scope: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", f"<detail totals of {spec.id}>", "exec"), scope)  # names only
    fast = scope["fill"]
    plan = [
        (pos[k], tuple(pos[p] for p in parts))
        for k, parts, _z in _total_plan(spec)
        if k in pos and all(p in pos for p in parts)
    ]

    def fill(values: Sequence[Number]) -> list[Number]:
        try:
            return fast(values)
        except TypeError:  # a part unknown (None): a total of an unknown number is unknown too
            out = list(values)
            for i, parts in plan:
                got = [out[j] for j in parts]
                out[i] = None if None in got else sum(got)
            return out

    return fill


def unknown_keys(sub: Submission) -> frozenset[str]:
    """Numbers an import could not find (``meta["unknown"]``: unknown, never 0), plus every total
    that depends on one of them. Empty for an ordinary workbook."""
    raw = sub.meta.get("unknown") or ""
    if not raw:
        return frozenset()
    return with_dependent_totals(sub.spec, (k for k in raw.split(",") if k in sub.spec.cells))


def derived_keys(sub: Submission) -> frozenset[str]:
    """Numbers an import did not read but derived from the table's arithmetic (``meta["derived"]``,
    由合计推算: their values are the submission's, not read from the report). Empty otherwise."""
    raw = sub.meta.get("derived") or ""
    return frozenset(k for k in raw.split(",") if k in sub.spec.cells) if raw else frozenset()


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
        if type(y) is int:  # as the cover's number cell is read (asked for several times a file)
            return y
        try:
            return int(str(y).strip().removesuffix("年")) if y not in (None, "") else None
        except ValueError:
            return None

    def totals(self) -> dict[str, Number]:
        return compute_totals(self.spec, self.values)

    def all_values(self) -> dict[str, Number]:
        """Inputs plus recomputed totals, in form order."""
        return _all_values(self.spec, self.values)

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
