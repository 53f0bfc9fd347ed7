"""The reader reads what LibreOffice reads: a differential test over a generated corpus.

``tests/differential/corpus.py`` writes a few hundred workbooks with odd but valid XML and odd
number syntax. LibreOffice opens each (recalculating) and saves it; what it saved for every input
cell is the application's reading. The toolkit reads the original. For every input cell:

* LibreOffice has a number → the toolkit has the same number, or it refuses the cell (an error
  finding at that cell: a stored form applications disagree on, a formula it cannot check);
* LibreOffice has text → the toolkit counts 0 (as SUM does) and says so at the cell;
* LibreOffice has nothing → the toolkit counts 0.

Set XXGK_DIFF_N to run more workbooks (default 150: one LibreOffice batch).
"""

from __future__ import annotations

import os
from decimal import Decimal

import openpyxl
import pytest

from tests.differential.corpus import build
from tests.office import recalc_and_save
from toolkit.spec import load_spec
from toolkit.validate import check_file

# the stored forms the toolkit refuses at the cell (Excel calls them damaged; LibreOffice guesses)
REFUSABLE = {"underscore", "fullwidth"}
N = int(os.environ.get("XXGK_DIFF_N", "150"))


@pytest.fixture(scope="module")
def corpus(soffice, tmp_path_factory):
    src = tmp_path_factory.mktemp("diff-src")
    built = build(src, N)
    outs = recalc_and_save([p for p, _ in built], tmp_path_factory.mktemp("diff-lo"))
    return [(p, forms, out) for (p, forms), out in zip(built, outs, strict=True)]


def _lo_values(path, spec):
    wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    grids = {
        s: {(r, c): v for r, row in enumerate(wb[s].iter_rows(values_only=True)) for c, v in enumerate(row)}
        for s in ("表二", "表三", "表四")
    }
    wb.close()
    return {
        k: grids[c.sheet].get((c.row, c.col))
        for k, c in spec.cells.items()
        if c.kind == "input" and c.sheet in grids
    }


def test_every_input_cell_reads_as_libreoffice_reads_it(corpus):
    spec = load_spec()
    disagreements = []
    refused = 0
    forms_seen = set()
    for src, forms, lo in corpus:
        c = check_file(src)
        assert c.submission is not None, (src.name, [f.message for f in c.report.findings])
        # what reading the cell found (arithmetic rules such as T3-BALANCE are not a reading)
        flagged = {f.key: f for f in c.report.findings if f.key and f.code.startswith("VALUE-")}
        lo_values = _lo_values(lo, spec)
        for key, want in lo_values.items():
            got = c.submission.values.get(key, 0)
            f = flagged.get(key)
            form = forms.get(key, "untouched")
            forms_seen.add(form)
            if isinstance(want, bool) or want is None:
                ok = got == 0
            elif isinstance(want, int | float):
                if f is not None and f.severity == "error" and form in REFUSABLE:
                    ok = True  # refused at the cell: said, never a silent other number
                    refused += 1
                else:
                    ok = Decimal(repr(want)) == Decimal(got)
            else:  # text in LibreOffice: SUM ignores it; the toolkit must count 0 and say so
                ok = got == 0 and f is not None
            if not ok:
                disagreements.append((src.name, key, form, want, got, f and f.code))
    assert not disagreements, disagreements[:20]
    assert len(forms_seen) >= 15
    # refusals are the exception, not the way out: only forms applications disagree on
    assert refused <= sum(1 for _, forms, _ in corpus for f in forms.values() if f in REFUSABLE), refused
