"""Importing published reports: reports per second for PDF and text, against raw text extraction
of the same files in the same run (interleaved, so the ratio does not depend on machine load).

    python benchmarks/bench_import.py [--seeds 2] [--rounds 5] [--keep DIR]

PDFs: ``xxgk render`` reports converted by LibreOffice in the five layouts of
tests/pdf_fixtures.py (one soffice call). Baselines: the characters of every page with pypdfium2
(what the import starts from), ``pdftotext -layout`` (a process per file), and pdfplumber's
``extract_words`` when it is installed (the library considered and not chosen). Text: the
``pdftotext -layout`` output of the same PDFs, against reading and decoding the file.

The PDF's text is extracted in a forked child under memory and CPU limits (issue 20): its cost is
measured against the same extraction in this process, interleaved ("pdf text, child" against "pdf
text, in-process"), and printed per PDF.
Per page: the same reports imported as PDF, web page (.html) and Word (.docx), each against
pypdfium2's bare character extraction of the PDF (time per PDF page, interleaved).

Target: import ≤ 3× pypdfium2's bare character extraction per PDF (the row finding, alignment
and reading cost less than reading the characters twice more), ≥ 20 reports/s on one core.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _cpu() -> float:
    import resource

    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def pdfium_chars(path: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    n = 0
    for i in range(len(doc)):
        page = doc[i]
        tp = page.get_textpage()
        c = tp.count_chars()
        tp.get_text_range(0, c)
        for k in range(c):
            tp.get_charbox(k)
        n += c
        tp.close()
        page.close()
    doc.close()
    return n


def plumber_words(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        return sum(len(p.extract_words()) for p in pdf.pages)


def plumber_import(path: Path):
    """The same import from pdfplumber's words instead of pypdfium2's (the library not chosen)."""
    import pdfplumber

    from toolkit.importers.report import _Importer
    from toolkit.importers.sources import Word, _group_lines
    from toolkit.spec import load_spec

    lines = []
    with pdfplumber.open(str(path)) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            words = [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"]) for w in page.extract_words()]
            lines.extend(_group_lines(words, n, None))
    return _Importer(lines, str(path), load_spec(), "pdf", None).run()


def pages_benchmark(made: list, rounds: int) -> dict[str, tuple[float, int]]:
    """Import time per page for the same reports as PDF, web page (.html) and Word (.docx), and
    pypdfium2's bare character extraction of the PDF, interleaved round by round. A page is a
    page of the report's PDF (the .html and .docx hold the same report: their time is divided by
    the pages of its PDF)."""
    import pypdfium2 as pdfium

    from toolkit.importers.report import import_report
    from toolkit.outputs.render import render

    files = []
    for pdf, _, sub in made:
        doc = pdfium.PdfDocument(str(pdf))
        pages = len(doc)
        doc.close()
        html = pdf.with_suffix(".html")
        render(sub, html)
        files.append((pdf, html, pdf.with_suffix(".docx"), pages))
    total: dict[str, list[float]] = {
        k: [0.0, 0] for k in ("pypdfium2 chars", "import pdf", "import html", "import docx")
    }
    for _ in range(rounds):
        for pdf, html, docx, pages in files:
            for name, fn, arg in (
                ("pypdfium2 chars", pdfium_chars, pdf),
                ("import pdf", import_report, pdf),
                ("import html", import_report, html),
                ("import docx", import_report, docx),
            ):
                t = time.perf_counter()
                fn(arg)
                total[name][0] += time.perf_counter() - t
                total[name][1] += pages
    return {k: (v[0], int(v[1])) for k, v in total.items()}


def print_pages(per_page: dict[str, tuple[float, int]]) -> None:
    base_s, base_n = per_page["pypdfium2 chars"]
    base = base_s / base_n
    print("per page (the same reports as PDF, .html and .docx; a page is a page of the PDF):")
    for name, (s, n) in per_page.items():
        print(f"  {name:20s} {1000 * s / n:7.2f} ms/page  {s / n / base:5.2f}× pypdfium2 chars")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()

    from tests.pdf_fixtures import expected_numbers, make_pdfs
    from toolkit.importers.report import import_report

    work = args.keep or Path(tempfile.mkdtemp(prefix="xxgk-bench-import-"))
    t = time.perf_counter()
    made = make_pdfs(work, list(range(1, args.seeds + 1)))
    print(f"{len(made)} PDFs rendered and converted in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    pdftotext = shutil.which("pdftotext")
    texts = []
    if pdftotext:
        for pdf, _, _ in made:
            subprocess.run([pdftotext, "-layout", str(pdf), str(pdf.with_suffix(".txt"))], check=True)
            texts.append(pdf.with_suffix(".txt"))
    try:
        import pdfplumber  # noqa: F401

        have_plumber = True
    except ImportError:
        have_plumber = False

    # correctness first: every number of every PDF
    exact = sum(
        1
        for pdf, _, sub in made
        if {**(r := import_report(pdf)).submission.values, **r.submission.reported} == expected_numbers(sub)
    )
    if have_plumber:
        same = sum(
            1
            for pdf, _, sub in made
            if {**(r := plumber_import(pdf)).submission.values, **r.submission.reported}
            == expected_numbers(sub)
        )
        print(f"PDF via pdfplumber's words: {same}/{len(made)} number for number")
    from toolkit.importers import sources

    times = {
        "import pdf": 0.0,
        "pypdfium2 chars": 0.0,
        "pdftotext -layout": 0.0,
        "pdfplumber words": 0.0,
        "pdf text, child": 0.0,
        "pdf text, in-process": 0.0,
    }
    cpu = {"child": 0.0, "in-process": 0.0}  # this process and its children: load-independent
    times_txt = {"import text": 0.0, "read+decode": 0.0}
    n_pdf = n_txt = 0
    for _ in range(args.rounds):
        for pdf, _, _ in made:
            a = time.perf_counter()
            import_report(pdf)
            b = time.perf_counter()
            pdfium_chars(pdf)
            c = time.perf_counter()
            times["import pdf"] += b - a
            times["pypdfium2 chars"] += c - b
            data = pdf.read_bytes()
            d, cd = time.perf_counter(), _cpu()
            sources.pdf_lines(data)
            e, ce = time.perf_counter(), _cpu()
            sources._pdf_lines(data)
            times["pdf text, child"] += e - d
            times["pdf text, in-process"] += time.perf_counter() - e
            cpu["child"] += ce - cd
            cpu["in-process"] += _cpu() - ce
            if pdftotext:
                d = time.perf_counter()
                subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, check=True)
                times["pdftotext -layout"] += time.perf_counter() - d
            if have_plumber:
                d = time.perf_counter()
                plumber_words(pdf)
                times["pdfplumber words"] += time.perf_counter() - d
            n_pdf += 1
        for txt in texts:
            a = time.perf_counter()
            import_report(txt)
            b = time.perf_counter()
            txt.read_bytes().decode("utf-8").splitlines()
            times_txt["import text"] += b - a
            times_txt["read+decode"] += time.perf_counter() - b
            n_txt += 1
    per_page = pages_benchmark(made, args.rounds)
    print(f"PDF: {exact}/{len(made)} imported number for number")
    for name, s in times.items():
        if s:
            print(f"  {name:20s} {1000 * s / n_pdf:7.2f} ms/report  {n_pdf / s:7.1f} reports/s")
    base = times["pypdfium2 chars"]
    print(f"  ratio import / pypdfium2 chars: {times['import pdf'] / base:.2f}×")
    if times["pdftotext -layout"]:
        print(f"  ratio import / pdftotext -layout: {times['import pdf'] / times['pdftotext -layout']:.2f}×")
    if times["pdfplumber words"]:
        print(f"  pdfplumber words / pypdfium2 chars: {times['pdfplumber words'] / base:.1f}×")
    child, inproc = times["pdf text, child"], times["pdf text, in-process"]
    print(
        f"  the limited child process costs {1000 * (child - inproc) / n_pdf:.2f} ms per PDF"
        f" ({child / inproc:.2f}× the same extraction in-process)"
    )
    print(
        f"  in CPU time (parent and child): {1000 * cpu['child'] / n_pdf:.2f} ms against"
        f" {1000 * cpu['in-process'] / n_pdf:.2f} ms in-process ({cpu['child'] / cpu['in-process']:.2f}×)"
    )
    if n_txt:
        print("text (pdftotext -layout output of the same PDFs):")
        for name, s in times_txt.items():
            print(f"  {name:20s} {1000 * s / n_txt:7.2f} ms/report  {n_txt / s:7.1f} reports/s")
    print_pages(per_page)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
