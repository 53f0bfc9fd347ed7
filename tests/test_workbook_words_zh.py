"""What a clerk reads in the workbooks the toolkit hands out is Chinese: every visible cell of the
template, of an annotated copy and of the 问题清单 workbook, outside rule codes, file names and
format names (the words tests/test_help_zh.py allows in the help). The template's 填报说明 ended
with “由 xxgk-toolkit 0.1.0 生成”: a program's package name printed on the agency's paper."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.conftest import ROOT, run_cli
from tests.test_help_zh import english_words

BAD = "青川区公安分局"


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("words")
    r = run_cli("template", "-o", d / "模板.xlsx", "--year", 2025, "--agency", "示例市青川区财政局")
    assert r.returncode == 0, r.stderr
    r = run_cli(
        "validate", ROOT / "samples" / f"{BAD}.xlsx", "--year", 2025,
        "--annotate", d / "ann", "--report", d / "问题清单.xlsx",
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    return {
        "template": d / "模板.xlsx",
        "annotated": d / "ann" / f"{BAD}_批注.xlsx",
        "findings": d / "问题清单.xlsx",
    }


def _visible_texts(path: Path) -> list[tuple[str, str, str]]:
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        hidden = {k for k, dim in ws.column_dimensions.items() if dim.hidden}
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str) or c.value.startswith("=") or c.column_letter in hidden:
                    continue
                if ws.row_dimensions[c.row].hidden:
                    continue
                out.append((ws.title, c.coordinate, c.value))
    return out


@pytest.mark.parametrize("kind", ["template", "annotated", "findings"])
def test_no_english_words_in_what_a_clerk_reads(workbooks, kind):
    texts = _visible_texts(workbooks[kind])
    if kind == "annotated":  # the agency's own sheets are as it sent them (the samples: an older template)
        texts = [t for t in texts if t[0] == "问题清单"]
    assert texts
    english = [(s, ref, english_words(v, set()), v[:60]) for s, ref, v in texts if english_words(v, set())]
    assert english == []
