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
