"""PNG previews of what people print, for the README: the template's 表三, the summary's 报送情况 and
图表, and the first pages of the Word report. Made the way a person would see them: the real
outputs, converted to PDF by LibreOffice, pages rendered by pdftoppm.

    python scripts/render_previews.py              # -> docs/images/
    python scripts/render_previews.py --out /tmp/p --dpi 60

Needs soffice (libreoffice-calc, libreoffice-writer) and poppler-utils (pdftoppm, pdftotext).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's toolkit, not an installed one


def _xxgk(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=ROOT, env=env, check=False, capture_output=True
    )


def _to_pdf(files: list[Path], outdir: Path) -> None:
    """One soffice call for every file, with a private profile."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        sys.exit("soffice not found: apt-get install libreoffice-calc libreoffice-writer")
    with tempfile.TemporaryDirectory(prefix="xxgk-lo-") as prof:
        subprocess.run(
            [exe, f"-env:UserInstallation={Path(prof).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
            check=True, capture_output=True, timeout=300, env={**os.environ, "HOME": prof},
        )  # fmt: skip


def _pages(pdf: Path) -> list[str]:
    """The text of each page (its footer names the sheet)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return text.stdout.split("\f")


def _footer_sheet(page: str) -> str:
    lines = [ln.strip() for ln in page.strip().splitlines() if ln.strip()]
    return lines[-1].split()[0] if lines else ""


def _png(pdf: Path, page: int, target: Path, dpi: int) -> None:
    stem = target.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )


def previews(template_pdf: Path, summary_pdf: Path, report_pdf: Path, out: Path, dpi: int) -> list[Path]:
    """Render the wanted pages of the three PDFs into ``out``; returns the PNGs written."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        if old.name.startswith(("template-", "summary-", "report-")):
            old.unlink()
    made = []
    for pdf, wanted in ((template_pdf, {"表三": "template-t3"}),
                        (summary_pdf, {"报送情况": "summary-status", "图表": "summary-charts"})):  # fmt: skip
        seen: dict[str, int] = {}
        for i, page in enumerate(_pages(pdf), 1):
            sheet = _footer_sheet(page)
            if sheet in wanted:
                seen[sheet] = seen.get(sheet, 0) + 1
                if seen[sheet] <= 3:
                    name = wanted[sheet] + ("" if seen[sheet] == 1 else f"-{seen[sheet]}")
                    _png(pdf, i, out / f"{name}.png", dpi)
                    made.append(out / f"{name}.png")
    for i in range(1, min(4, len(_pages(report_pdf))) + 1):
        if _pages(report_pdf)[i - 1].strip():
            _png(report_pdf, i, out / f"report-{i}.png", dpi)
            made.append(out / f"report-{i}.png")
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    ap.add_argument("--dpi", type=int, default=70)
    args = ap.parse_args()
    samples = ROOT / "samples"
    with tempfile.TemporaryDirectory(prefix="xxgk-previews-") as tmp:
        d = Path(tmp)
        _xxgk("template", "-o", str(d / "template.xlsx"), "--year", "2025", "--agency", "示例市青川区财政局")
        _xxgk("merge", str(samples), "--roster", str(samples / "roster.csv"), "--year", "2025",
              "--previous", str(ROOT / "samples-previous"), "-o", str(d / "summary.xlsx"))  # fmt: skip
        # the sample with its texts the agency's own: a sample's “（示例文字）” keeps a report a draft
        from toolkit.reader import read_workbook
        from toolkit.template import make_template

        sub = read_workbook(samples / "青川区规划和自然资源分局.xlsx")
        sub.texts = {k: v.replace("（示例文字）", "") for k, v in sub.texts.items()}
        make_template(d / "own.xlsx", sub)
        _xxgk("render", str(d / "own.xlsx"), "-o", str(d / "report.docx"))
        _to_pdf([d / "template.xlsx", d / "summary.xlsx", d / "report.docx"], d)
        made = previews(d / "template.pdf", d / "summary.pdf", d / "report.pdf", args.out, args.dpi)
    print("previews:", ", ".join(map(str, made)))


if __name__ == "__main__":
    main()
