"""The footer (sheet, agency and year, 第 n 页) prints whole on every page of what goes back to an
agency: the annotated copy's 问题清单 sheet once had openpyxl's default header/footer distance
(0.5 inch) under a 0.6-inch bottom margin, so LibreOffice left the footer 0.1 inch and cut its
9-point line in half (seen on paper: 问题清单 … 第 1 页 with their lower half missing).

Checked twice: the page set-up of every sheet (the footer fits inside the bottom margin) and the
printed pages themselves (LibreOffice → PDF → pdftoppm): the footer line's ink is as tall on the
问题清单 page as on the form's pages."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from tests.conftest import ROOT, require_tool, run_cli
from tests.office import convert

BAD = "青川区公安分局"  # a sample with errors: its annotated copy
FOOTER_PT = 9  # the footers' font size
# LibreOffice keeps the footer's own spacing (~0.1 inch) between the footer and the body as well
ROOM_IN = FOOTER_PT / 72 + 0.1


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("footer")
    r = run_cli(
        "validate", ROOT / "samples" / f"{BAD}.xlsx", "--year", 2025,
        "--annotate", d / "ann", "--report", d / "问题清单.xlsx",
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    return {"annotated": d / "ann" / f"{BAD}_批注.xlsx", "findings": d / "问题清单.xlsx"}


@pytest.mark.parametrize("kind", ["annotated", "findings"])
def test_every_sheet_leaves_room_for_its_footer(outputs, kind):
    wb = openpyxl.load_workbook(outputs[kind])
    short = {}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or (not ws.oddFooter.center.text and not ws.oddFooter.right.text):
            continue
        m = ws.page_margins
        if m.bottom - m.footer < ROOM_IN:
            short[ws.title] = (m.bottom, m.footer)
    assert short == {}, f"(bottom margin, footer distance) in inches: {short}"


def _ink_rows(png: Path) -> list[int]:
    """The pixel rows of the page's bottom tenth holding any dark pixel."""
    im = Image.open(png).convert("L")
    w, h = im.size
    px = im.load()
    return [y for y in range(h * 9 // 10, h) if any(px[x, y] < 160 for x in range(w))]


def _footer_height(png: Path) -> int:
    rows = _ink_rows(png)
    assert rows, f"{png.name}: no footer printed"
    run = [rows[-1]]  # the last line of ink: the footer
    for y in reversed(rows[:-1]):
        if y != run[-1] - 1:
            break
        run.append(y)
    return len(run)


@pytest.mark.libreoffice
def test_annotated_copy_prints_its_footer_whole_on_every_page(outputs, soffice, tmp_path):
    pdftoppm = shutil.which("pdftoppm") or require_tool(None, "pdftoppm (package poppler-utils)")
    src = outputs["annotated"]
    with zipfile.ZipFile(src) as z:  # sheets in order: 问题清单 first
        assert "问题清单" in z.read("xl/workbook.xml").decode()
    (pdf,) = convert([src], tmp_path / "pdf", to="pdf", recalc=False)
    subprocess.run([pdftoppm, "-r", "100", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) >= 8
    heights = {p.name: _footer_height(p) for p in pngs}
    tallest = max(heights.values())
    cut = {name: h for name, h in heights.items() if h < tallest * 0.8}
    assert cut == {}, f"footer ink height in pixels, the others {tallest}: {cut}"


def test_the_list_sent_for_an_unreadable_file_names_that_file_on_paper(tmp_path):
    """For a file that cannot be read (here a CSV renamed .xlsx) the agency gets the 问题清单
    alone; with no agency or year read from it, its footer named nothing: a printed page that
    does not say which file it is about. The footer names the file then."""
    src = ROOT / "samples" / "青川区南湖乡人民政府.xlsx"
    r = run_cli("validate", src, "--annotate", tmp_path)
    assert r.returncode == 1, r.stderr
    ws = openpyxl.load_workbook(tmp_path / "青川区南湖乡人民政府_问题清单.xlsx")["问题清单"]
    assert src.name in ws.oddFooter.center.text


@pytest.mark.libreoffice
def test_a_footer_that_opens_with_the_year_prints_the_year(soffice, pdftotext, tmp_path):
    """The 问题清单 of several agencies of one year has 2025年度 alone in its footer. Written right
    after the font size (&9), its digits were read as part of the size: LibreOffice printed 年度."""
    out = tmp_path / "问题清单.xlsx"
    files = [ROOT / "samples" / f"{n}.xlsx" for n in (BAD, "青川区民政局", "北京市密云区融媒体中心_2023")]
    r = run_cli("validate", *files, "--year", 2025, "--report", out)
    assert r.returncode == 1, r.stderr
    (pdf,) = convert([out], tmp_path / "pdf", to="pdf", recalc=False)
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, check=True, text=True)
    last = [ln for ln in text.stdout.splitlines() if ln.strip()][-1]
    assert "2025年度" in last and "第 1 页" in last, last
