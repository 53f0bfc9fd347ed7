"""表三 in text that lists a PDF's table cell by cell (``pdftotext`` without ``-layout``), when the
row-label column is much wider than the numbers: LibreOffice then writes some of a row's cells out
of their order. A row's total may come after the next row's label (a row of 6 numbers, the next
of 8), two rows' numbers may alternate (a label, the next label, then their 14 numbers column by
column), or two rows' numbers may come before their labels.

Such text used to shift 表三 by a row: each row read its neighbour's numbers. The contract: a
number read is the one printed at its label; one that cannot be placed with certainty is unknown,
with an IMPORT-NOT-FOUND finding at its row that says why — never another row's number.

Two real PDFs: the one report31 met (A5, the label column widened; kept in tests/fixtures with the
numbers it prints), and one made here by LibreOffice from the rendered .docx with wider labels.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.conftest import FIXTURES
from tests.pdf_fixtures import Layout, expected_numbers, make_pdfs
from toolkit.importers.report import import_report
from toolkit.spec import load_spec

SPEC = load_spec()
T3_KEYS = [k for k in SPEC.numeric_keys if k.startswith("t3.")]
T3_ROWS = list(dict.fromkeys(k.split(".")[1] for k in T3_KEYS))
HERE = FIXTURES / "wide_labels"

WIDE = Layout("portrait-wide-labels", page_cm=(21.0, 29.7), size_pt=9, label_scale=0.8, valign="center")


def _raw(pdf, tmp_path, pdftotext) -> str:
    out = tmp_path / f"{pdf.stem}.raw.txt"
    subprocess.run([pdftotext, str(pdf), str(out)], check=True, timeout=60)
    return out.read_text(encoding="utf-8")


def _runs_after_labels(text: str) -> list[int]:
    """How many numbers follow each line that starts a 表三 row label, up to the next text."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if "收到和处理政府信息公开申请" in ln)
    counts: list[int] = []
    n = None
    for ln in lines[start:]:
        if re.fullmatch(r"[\d.]+", ln):
            if n is not None:
                n += 1
            continue
        if n is not None:
            counts.append(n)
            n = None
        if re.match(r"^(?:[一二三四]、|（[一二三四五六七]）|\d\.)", ln):
            n = 0
    return [c for c in counts if c]


def assert_right_or_unknown_with_reason(res, truth: dict) -> set[str]:
    """Every 表三 number read is the one printed at its label; every one not read is unknown and
    its row has an IMPORT-NOT-FOUND finding that says why. Returns the rows read whole."""
    sub = res.submission
    got = {**sub.values, **{k: v for k, v in sub.reported.items() if v is not None}}
    wrong = {k: (truth[k], got[k]) for k in T3_KEYS if k in got and got[k] != truth[k]}
    assert not wrong, wrong
    unknown = [k for k in T3_KEYS if k not in got]
    assert set(unknown) <= set(res.unknown)
    said = {f.key.split(".")[1]: f.message for f in res.findings if f.code == "IMPORT-NOT-FOUND" and f.key}
    for k in unknown:
        row = k.split(".")[1]
        assert row in said, (k, sorted(said))
        assert "未知" in said[row] and "不会用别的行的数字顶替" in said[row], said[row]
    return {r for r in T3_ROWS if all(f"t3.{r}.{c}" in got for c in ("natural_person", "total"))}


def test_the_a5_pdf_report31_met_gives_no_shifted_row(pdftotext, tmp_path):
    pdf = HERE / "r7_a5_wide_label_column.pdf"
    truth = json.loads((HERE / "r7_a5_t3.json").read_text(encoding="utf-8"))
    text = _raw(pdf, tmp_path, pdftotext)
    counts = _runs_after_labels(text)
    assert any(c != 7 for c in counts), counts  # the text really has rows out of their cells' order
    res = import_report(tmp_path / f"{pdf.stem}.raw.txt")
    whole = assert_right_or_unknown_with_reason(res, truth)
    # the rows whose seven numbers follow their label are read, not given up with the rest
    assert len(whole) >= 20, sorted(set(T3_ROWS) - whole)
    assert {"denied_state_secret", "denied_by_law", "rejected_confirmation", "result_total"} <= whole
    # the PDF itself (word boxes) is read whole
    res = import_report(pdf)
    assert {k: v for k, v in res.submission.all_values().items() if k in truth} == truth


@pytest.fixture(scope="module")
def wide_pdf(tmp_path_factory, soffice):
    return make_pdfs(tmp_path_factory.mktemp("wide"), [7], [WIDE])[0]


def test_a_wide_label_column_printed_by_libreoffice_gives_no_shifted_row(wide_pdf, pdftotext, tmp_path):
    pdf, _, sub = wide_pdf
    truth = {k: v for k, v in expected_numbers(sub).items() if k.startswith("t3.")}
    text = _raw(pdf, tmp_path, pdftotext)
    assert any(c != 7 for c in _runs_after_labels(text))  # cells out of order in this text too
    res = import_report(tmp_path / f"{pdf.stem}.raw.txt")
    whole = assert_right_or_unknown_with_reason(res, truth)
    assert len(whole) >= 12, sorted(set(T3_ROWS) - whole)
    # two rows whose 14 numbers alternate after their two labels: told apart by each row's total
    assert {"denied_security", "denied_third_party"} <= whole
    res = import_report(pdf)
    assert {k: v for k, v in res.submission.all_values().items() if k in truth} == truth


# -- numbers not read, fixed by the table's arithmetic (toolkit.importers.derive) ----------------


def test_a_row_left_unknown_is_derived_from_the_column_totals_and_said_so(pdftotext, tmp_path):
    """The A5 text: （二）'s 8 numbers cannot be placed, but every other number of each column's
    （七）总计 was read, so （二） is fixed by T3-RESULT-SUM: derived, equal to what the PDF prints,
    said as 由合计推算 and never counted as read. 一 and 四 share the balance of each column: two
    unknowns in one identity, both stay unknown."""
    pdf = HERE / "r7_a5_wide_label_column.pdf"
    truth = json.loads((HERE / "r7_a5_t3.json").read_text(encoding="utf-8"))
    _raw(pdf, tmp_path, pdftotext)
    res = import_report(tmp_path / f"{pdf.stem}.raw.txt")
    sub = res.submission
    row = [k for k in T3_KEYS if k.startswith("t3.partly_granted.")]
    assert res.derived == row
    got = sub.all_values()
    assert {k: got[k] for k in row} == {k: truth[k] for k in row}
    assert all(sub.where[k] == "由合计推算" for k in row)
    assert not set(row) & set(res.unknown)
    assert res.found == sum(1 for k in SPEC.numeric_keys if k in sub.where and k not in row)
    said = [f for f in res.findings if f.key == "t3.partly_granted.natural_person"]
    assert [f.code for f in said] == ["IMPORT-DERIVED"] and said[0].severity == "warning"
    assert "由合计推算" in said[0].message and "不是从报告中读出的" in said[0].message
    assert "8 个数字" in said[0].message  # why the row was not read is still said
    for r in ("new_received", "carried_out"):  # 一 + 二 = （七） + 四: two unknowns, none derived
        assert all(f"t3.{r}.{c}" in res.unknown for c in ("natural_person", "total"))
    assert_right_or_unknown_with_reason(res, truth)
    # the workbook the import writes: the derived numbers filled in, each with its comment
    from openpyxl import load_workbook

    from toolkit.template import make_template

    make_template(tmp_path / "a5.xlsx", sub)
    ws = load_workbook(tmp_path / "a5.xlsx")["表三"]
    cell = SPEC.cells["t3.partly_granted.business"]
    assert ws[cell.a1].value == truth["t3.partly_granted.business"]
    assert "由合计推算" in ws[cell.a1].comment.text
    assert ws[SPEC.cells["t3.granted.business"].a1].comment is None


def test_a_wrong_number_read_is_never_made_into_a_derived_one(pdftotext, tmp_path):
    """The same text with one number of （一）予以公开 misprinted (165 -> 166): （二） would come
    out of its column totals one off, and its own row total then disagrees, so nothing is derived
    from that arithmetic: （二） stays unknown with its reason."""
    pdf = HERE / "r7_a5_wide_label_column.pdf"
    text = _raw(pdf, tmp_path, pdftotext)
    head, tail = text.split("（一）予以公开", 1)
    assert tail.lstrip().startswith("165\n")
    bad = tmp_path / "misprinted.txt"
    bad.write_text(head + "（一）予以公开" + tail.replace("165\n", "166\n", 1), encoding="utf-8")
    res = import_report(bad)
    assert res.submission.values["t3.granted.natural_person"] == 166  # read as printed
    assert not [k for k in res.derived if k.startswith("t3.partly_granted.")]
    assert all(k in res.unknown for k in T3_KEYS if k.startswith("t3.partly_granted."))
    said = next(f for f in res.findings if f.key == "t3.partly_granted.natural_person")
    assert said.code == "IMPORT-NOT-FOUND" and "8 个数字" in said.message


def _t3_cols() -> list[str]:
    return ["natural_person", "business", "research", "public_welfare", "legal_service", "other_org", "total"]


def _all_of(seed: int) -> dict:
    from tests.pdf_fixtures import known_values
    from toolkit.model import Submission

    sub = Submission(spec=SPEC, values=known_values(seed))
    return sub.all_values()


@pytest.mark.parametrize(
    ("missing", "derived"),
    [
        # one cell of a row: its row total fixes it (and its column: both agree)
        (["t3.denied_process.research"], ["t3.denied_process.research"]),
        # two cells of one row, each alone in its column: each column fixes its own
        (
            ["t3.granted.natural_person", "t3.granted.business"],
            ["t3.granted.natural_person", "t3.granted.business"],
        ),
        # two by two: every row and every column holding one has two unknowns: none
        (
            [
                "t3.granted.natural_person",
                "t3.granted.business",
                "t3.partly_granted.natural_person",
                "t3.partly_granted.business",
            ],
            [],
        ),
        # 一 and 四 of one column share its balance, and each has its row total: the row fixes them
        (
            ["t3.new_received.research", "t3.carried_out.research"],
            ["t3.new_received.research", "t3.carried_out.research"],
        ),
        # 一 and 四 whole: each column's balance holds both, each row's total has six unknowns: none
        ([f"t3.{r}.{c}" for r in ("new_received", "carried_out") for c in _t3_cols()], []),
        # a group total of 表四 not printed: its four parts fix it
        (["t4.review_total"], ["t4.review_total"]),
    ],
)
def test_the_arithmetic_derives_only_a_lone_unknown(missing, derived):
    from toolkit.importers.derive import derive

    truth = _all_of(11)
    read = [k for k in SPEC.numeric_keys if k not in missing]
    got = derive(SPEC, read, truth.get)
    assert sorted(got) == sorted(derived)
    assert all(got[k][0] == truth[k] for k in got)  # never another number than the table's


def test_a_derivation_that_two_identities_disagree_on_is_not_made():
    """A row's total and its column's （七）总计 fix the same cell to two numbers: the printed
    table contradicts itself there, so the cell stays unknown."""
    from toolkit.importers.derive import derive

    truth = _all_of(11)
    truth["t3.denied_process.total"] += 1  # the report's own arithmetic error in that row
    got = derive(SPEC, [k for k in SPEC.numeric_keys if k != "t3.denied_process.research"], truth.get)
    assert got == {}
