"""The compiled arithmetic (totals, all values, the checks that fail) against the plan it is
compiled from, for every shipped format: the same numbers, of the same types, in the same order,
whatever the inputs (ints, Decimals, negatives, huge, missing, keys of no cell)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.model import COMPILE_AFTER, _compile_all_values, _sum_totals, compute_totals
from toolkit.rules import _compare, _failing
from toolkit.spec import available_formats, load_spec

SPECS = [load_spec(f) for f in available_formats()]

number = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6),
    st.decimals(allow_nan=False, allow_infinity=False)
    .filter(lambda d: d.is_finite())
    .map(lambda d: d * 10**30),
)


def values_for(spec):
    keys = st.sampled_from([*spec.input_keys, *spec.total_keys[:3], "s6.no_such_cell"])
    return st.dictionaries(keys, number, max_size=60)


def reference_all(spec, values):
    tot = _sum_totals(spec, values)
    return {k: tot[k] if k in tot else values.get(k, 0) for k in spec.numeric_keys}


def same(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(type(a[k]) is type(b[k]) and a[k] == b[k] for k in a)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_compiled_equals_the_plan(spec, data):
    from toolkit.model import Submission

    values = data.draw(values_for(spec))
    every = reference_all(spec, values)
    assert same(_compile_all_values(spec)(values), every)  # the compiled function itself
    for _ in range(COMPILE_AFTER + 1):  # before and after the spec's calls compile it
        assert same(compute_totals(spec, values), _sum_totals(spec, values))
        assert same(Submission(spec=spec, values=values).all_values(), every)
    want = [i for i, chk in enumerate(spec.checks) if _compare(spec, chk, every, None) is not None]
    assert _failing(spec)(every) == want


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_a_broken_identity_is_found(spec):
    """Every check holds on an empty form, and an equality fails when one operand of its left side
    is raised by one (the compiled test cannot pass by accident)."""
    zero = reference_all(spec, {})
    assert all(not c.const for c in spec.checks) and _failing(spec)(zero) == []
    for i, chk in enumerate(spec.checks):
        if chk.op != "==" or not chk.lhs or chk.when_zero:
            continue
        vals = dict(zero)
        vals[chk.lhs[0]] = vals[chk.lhs[0]] + 1
        assert i in _failing(spec)(vals)


def test_decimal_rounding_order_is_kept():
    """Decimal sums round at 28 digits in the order they add: 0 + a + b, as sum() does."""
    spec = SPECS[0]
    k = next(k for k in spec.total_keys if len(spec.cells[k].parts) >= 2)
    a, b = spec.cells[k].parts[:2]
    big = Decimal("1" + "0" * 30 + ".3")  # 32 digits as written: any arithmetic rounds it to 28
    values = {a: big, b: Decimal("-1E+30")} if a in spec.input_keys else {}
    every = reference_all(spec, values)
    assert every[k] == 0  # 0 + big rounds first; big + (-1E+30) would be 0.3
    assert same(_compile_all_values(spec)(values), every)
