"""``xxgk import``'s derived numbers (IMPORT-DERIVED, toolkit/importers/derive.py) against reports
crafted so that the table's arithmetic would make a number no cell can hold, or make one out of
numbers that are not counts. The rule: a derived number is a count the form takes (an integer
≥ 0 below MAX_COUNT) made of counts read from the report; anything else stays unknown."""

from __future__ import annotations

from decimal import Decimal

from tests.report_texts import make_report
from toolkit.cells import MAX_COUNT
from toolkit.importers.report import import_report
from toolkit.spec import load_spec

SPEC = load_spec()
ROWS = [  # 表三's result rows, （一）予以公开 … （六）其他处理
    k.split(".")[1]
    for k in SPEC.input_keys
    if k.startswith("t3.")
    and k.endswith(".natural_person")
    and k.split(".")[1] not in ("new_received", "carried_in", "carried_out")
]


def _import(tmp_path, values, variants, reported=None):
    p = tmp_path / "r.txt"
    p.write_text(make_report(values, variants=frozenset(variants), reported=reported), encoding="utf-8")
    return import_report(p)


def _known(res, key):
    s = res.submission
    return s.values.get(key, s.reported.get(key))


def test_a_total_the_arithmetic_would_put_past_the_forms_bound_stays_unknown(tmp_path):
    # 一 and 二 printed 900,000,000 each (each a count a cell holds), 表三's result rows adding up
    # to 1,800,000,000, the （七）总计 row not printed: both of its identities make 1,800,000,000,
    # a number that, printed, is refused as VALUE-IMPLAUSIBLE. Derived, it was presented as the
    # report's (由合计推算)
    values = {"t3.new_received.natural_person": 900_000_000, "t3.carried_in.natural_person": 900_000_000}
    for r in ROWS:
        values[f"t3.{r}.natural_person"] = 1_800_000_000 // len(ROWS)
    values[f"t3.{ROWS[0]}.natural_person"] += 1_800_000_000 - sum(
        values[f"t3.{r}.natural_person"] for r in ROWS
    )
    res = _import(tmp_path, values, {"drop:result_total"})
    for key in ("t3.result_total.natural_person", "t3.result_total.total"):
        assert key not in res.derived and _known(res, key) is None, (key, _known(res, key))
        assert key in res.unknown
    assert all(v is None or v < MAX_COUNT for v in map(lambda k: _known(res, k), SPEC.numeric_keys))
    # the other columns' （七）总计 (0 = 0) are still derived, said so
    assert _known(res, "t3.result_total.business") == 0 and "t3.result_total.business" in res.derived
    assert any(f.code == "IMPORT-DERIVED" for f in res.findings)


def test_a_count_is_never_derived_from_numbers_that_are_not_counts(tmp_path):
    # （一）予以公开 and （二）部分公开 printed 2.5 each: the column's result rows add up to 5, as
    # does its balance 一 5 + 二 0 − 四 0; 5 is a whole number, but made of numbers no count can be
    # (a misread 25, a unit slipped in): the （七）总计 that was not printed is not known from them
    values = {
        "t3.new_received.natural_person": 5,
        "t3.granted.natural_person": Decimal("2.5"),
        "t3.partly_granted.natural_person": Decimal("2.5"),
    }
    res = _import(tmp_path, values, {"drop:result_total"})
    assert "t3.result_total.natural_person" not in res.derived
    assert _known(res, "t3.result_total.natural_person") is None
    assert "t3.result_total.business" in res.derived  # whole numbers elsewhere: derived as before


def test_a_count_is_never_derived_from_a_negative_number_read(tmp_path):
    # （二）部分公开 printed −3 (its row's 总计 too, so every sum read holds): the result rows make
    # （七）总计 8 + (−3) = 5, as 一 5 does, but it rests on a count below zero
    values = {"t3.new_received.natural_person": 5, "t3.granted.natural_person": 8}
    res = _import(
        tmp_path,
        values,
        {"drop:result_total"},
        reported={"t3.partly_granted.natural_person": -3, "t3.partly_granted.total": -3},
    )
    assert _known(res, "t3.partly_granted.natural_person") == -3  # read as printed (validate says it)
    assert "t3.result_total.natural_person" not in res.derived
    assert _known(res, "t3.result_total.natural_person") is None


def test_contradicting_identities_and_a_chain_of_unknowns_derive_nothing_they_touch(tmp_path):
    # two rows missing in one column: each result-sum has two unknowns, so neither is derived (a
    # derived number never derives another); and a balance printed wrong in one column (一 5, 四 0,
    # the rows 6) keeps the balance from being relied on anywhere
    values = {"t3.new_received.natural_person": 5, "t3.granted.natural_person": 5}
    res = _import(tmp_path, values, {"drop:granted", "drop:partly_granted"})
    for k in ("t3.granted.natural_person", "t3.partly_granted.natural_person"):
        assert k not in res.derived and _known(res, k) is None
    res = _import(
        tmp_path,
        {"t3.new_received.business": 5, "t3.granted.business": 6},
        {"drop:result_total"},
    )
    # the result rows make 商业企业's （七）总计 6, its balance 5 + 0 − 0 = 5: two answers for one
    # cell, so neither
    assert "t3.result_total.business" not in res.derived and _known(res, "t3.result_total.business") is None
