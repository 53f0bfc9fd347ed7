"""The format spec: every key of docs/format-2021.md, at its official label, and a loader
that refuses a malformed spec clearly."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import DOCS, REFERENCE
from toolkit.spec import SpecError, load_spec, parse_spec

T3_ROWS = [
    "new_received",
    "carried_in",
    "granted",
    "partly_granted",
    "denied_state_secret",
    "denied_by_law",
    "denied_security",
    "denied_third_party",
    "denied_internal",
    "denied_process",
    "denied_enforcement_file",
    "denied_inquiry",
    "unable_not_held",
    "unable_needs_creation",
    "unable_unclear",
    "rejected_petition",
    "rejected_duplicate",
    "rejected_publication",
    "rejected_excessive",
    "rejected_confirmation",
    "other_no_correction",
    "other_fee_unpaid",
    "other_misc",
    "result_total",
    "carried_out",
]
T3_COLS = ["natural_person", "business", "research", "public_welfare", "legal_service", "other_org", "total"]
T2_KEYS = [
    *(
        f"t2.{r}.{c}"
        for r in ("regulations", "normative_documents")
        for c in ("issued", "repealed", "in_force")
    ),
    "t2.admin_licensing.decisions",
    "t2.admin_penalty.decisions",
    "t2.admin_coercion.decisions",
    "t2.admin_fees.amount",
]
T4_KEYS = [
    f"t4.{g}_{c}"
    for g in ("review", "suit_direct", "suit_after_review")
    for c in ("upheld", "corrected", "other", "pending", "total")
]


def test_every_numeric_key_of_the_spec_exactly_once(spec):
    expected = T2_KEYS + [f"t3.{r}.{c}" for r in T3_ROWS for c in T3_COLS] + T4_KEYS
    expected += ["s6.fee_notices", "s6.fee_notified", "s6.fee_collected"]
    assert sorted(spec.numeric_keys) == sorted(expected)
    assert len(spec.numeric_keys) == len(set(spec.numeric_keys)) == 10 + 175 + 15 + 3
    cover = {k for k, c in spec.cells.items() if c.kind == "cover"}
    assert cover == {f"cover.{k}" for k in ("agency", "code", "parent", "year", "contact", "phone", "date")}


def test_keys_named_in_the_shared_spec_exist(spec):
    text = (DOCS / "format-2021.md").read_text(encoding="utf-8")
    for key in re.findall(r"`((?:t2|t3|t4|s6)\.[a-z_.]+)`", text):
        assert key in spec.cells, key
    for key in re.findall(r"`(cover\.[a-z]+)`", text):
        assert key in spec.cells, key


def test_totals_and_types(spec):
    totals = set(spec.total_keys)
    assert {f"t3.result_total.{c}" for c in T3_COLS} <= totals
    assert {f"t3.{r}.total" for r in T3_ROWS} <= totals
    assert {f"t4.{g}_total" for g in ("review", "suit_direct", "suit_after_review")} <= totals
    assert len(totals) == 25 + 6 + 3
    assert spec.cells["t3.result_total.natural_person"].parts == tuple(
        f"t3.{r}.natural_person" for r in T3_ROWS[2:23]
    )
    assert spec.cells["t2.admin_fees.amount"].type.kind == "decimal"
    assert spec.cells["t2.admin_fees.amount"].type.unit == "万元"
    assert spec.cells["s6.fee_notified"].type.unit == "元"
    assert spec.cells["t3.granted.business"].type.kind == "int"


def _label_at(spec, sheet, row, col, role):
    hits = [
        lab
        for lab in spec.labels_on(sheet)
        if lab.role == role and lab.row <= row <= lab.last_row and lab.col <= col <= lab.last_col
    ]
    return hits


def test_labels_are_the_official_wording(spec):
    # each data cell sits under its column label and beside its row label, in the official text
    c = spec.cells["t3.denied_security.research"]
    rows = [
        lab.text for lab in spec.labels_on("表三") if lab.role == "row" and lab.row <= c.row <= lab.last_row
    ]
    assert rows == ["三、本年度办理结果", "（三）不予公开", "3.危及“三安全一稳定”"]
    cols = [
        lab.text for lab in spec.labels_on("表三") if lab.role == "col" and lab.col <= c.col <= lab.last_col
    ]
    assert cols == ["申请人情况", "法人或其他组织", "科研机构"]
    corner = [lab.text for lab in spec.labels_on("表三") if lab.role == "corner"]
    assert corner == ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"]
    t4 = spec.cells["t4.suit_after_review_pending"]
    cols = [
        lab.text for lab in spec.labels_on("表四") if lab.role == "col" and lab.col <= t4.col <= lab.last_col
    ]
    assert cols == ["行政诉讼", "复议后起诉", "尚未审结"]
    # the 自然人 and 总计 headers span both lower header rows, as in the published table
    natural = next(lab for lab in spec.labels_on("表三") if lab.text == "自然人")
    assert natural.last_row == natural.row + 1


def test_every_label_appears_in_the_published_report(spec):
    """The seed report prints the same labels (its cells flattened one per line)."""
    text = REFERENCE.read_text(encoding="utf-8")
    flat = re.sub(r"\s+", "", text)
    for sheet in ("表二", "表三", "表四"):
        for lab in spec.labels_on(sheet):
            if lab.role in ("row", "col", "corner", "caption"):
                assert re.sub(r"\s+", "", lab.text) in flat, lab.text


def test_layout_has_no_overlaps(spec):
    seen = {}
    for lab in spec.labels:
        for r in range(lab.row, lab.last_row + 1):
            for col in range(lab.col, lab.last_col + 1):
                assert (lab.sheet, r, col) not in seen, (lab, seen.get((lab.sheet, r, col)))
                seen[(lab.sheet, r, col)] = lab
    for c in spec.cells.values():
        assert (c.sheet, c.row, c.col) not in seen, c.key
        seen[(c.sheet, c.row, c.col)] = c


def test_rules_carry_every_code_of_the_spec(spec):
    text = (DOCS / "format-2021.md").read_text(encoding="utf-8")
    codes = set(re.findall(r"`([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+)`", text))
    assert codes <= set(spec.rules), codes - set(spec.rules)
    balance = [c for c in spec.checks if c.code == "T3-BALANCE"]
    assert len(balance) == 7
    assert balance[0].lhs == ("t3.new_received.natural_person", "t3.carried_in.natural_person")


def _raw():
    # this checkout's YAML, as load_spec reads it (not whatever editable install is on the path:
    # one made from a clone that has since gone cannot resolve toolkit.workbook_templates)
    from toolkit.spec import _formats_dir

    return yaml.safe_load((_formats_dir() / "gov-2021.yaml").read_bytes())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("tables"), "tables: missing"),
        (
            lambda d: d["tables"][1]["blocks"][0]["rows"].append(
                dict(d["tables"][1]["blocks"][0]["rows"][0])
            ),
            "duplicate key 't3.new_received.natural_person'",
        ),
        (lambda d: d["tables"][0]["blocks"][3]["columns"][0].update(type="yen"), "unknown type 'yen'"),
        (lambda d: d["rules"][0].update(severity="fatal"), "must be error or warning"),
        (
            lambda d: d["tables"][1]["blocks"][0]["rows"][23]["total"]["sum"].append("nope"),
            "unknown row 'nope'",
        ),
        (lambda d: d["rules"][0].update(lhs=["t3.nope.{col}"]), "unknown key 't3.nope.natural_person'"),
        (lambda d: d["tables"][2]["blocks"][0]["columns"][4]["total"].update(rule="NO-SUCH"), "NO-SUCH"),
        (lambda d: d["sheets"].update(t4="表三"), "share a sheet name"),
    ],
)
def test_malformed_spec_is_refused_clearly(mutate, message):
    d = _raw()
    mutate(d)
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(yaml.safe_dump(d, allow_unicode=True).encode(), "bad.yaml")


def test_total_cycle_is_refused():
    d = _raw()
    rows = d["tables"][1]["blocks"][0]["rows"]
    rows[0]["total"] = {"rule": "T3-RESULT-SUM", "sum": ["carried_out"]}
    rows[24]["total"] = {"rule": "T3-RESULT-SUM", "sum": ["new_received"]}
    with pytest.raises(SpecError, match="cycle"):
        parse_spec(yaml.safe_dump(d, allow_unicode=True).encode(), "bad.yaml")


def test_not_yaml_and_unknown_format():
    with pytest.raises(SpecError, match="not valid YAML"):
        parse_spec(b"a: [1, 2", "x.yaml")
    with pytest.raises(SpecError, match="gov-2021"):
        load_spec("gov-1999")
