"""What ``xxgk inspect`` keeps per report: peak RSS of a run over a folder of N text reports
against a run over a folder of N0 of the same reports, in the same session (the slope is the
memory each report's result holds until the workbook is written; the fixed part cancels out).

    python benchmarks/bench_inspect_memory.py [--n 4000] [--n0 1000] [--keep DIR]

Each report is a distinct agency's (no DUPLICATE-SUBMISSION groups), made by tests/report_texts.py.
Target: the slope ≤ 12 KB a report, so a national inspect of 40,000 reports stays under ~600 MB
(hostile32: 48 KB before, 19 KB after dropping where each number stood and the printed totals,
~6 KB by tracemalloc once the keys are the form's own strings). Measured at hostile32's end: 40,000
distinct text reports in one folder, peak RSS 277 MB (471 s CPU; the slope of before projects ~1.9 GB).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._measure import run_measured, xxgk


def make(folder: Path, n: int) -> None:
    from tests.fixtures.build import clean_values
    from tests.report_texts import make_report

    folder.mkdir(parents=True, exist_ok=True)
    template = make_report(clean_values(), agency="示例市第AGENCY局", year=2024)
    for i in range(n):
        (folder / f"{i:05d}.txt").write_text(template.replace("第AGENCY局", f"第{i}局"), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--n0", type=int, default=1000)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    root = a.keep or Path(tempfile.mkdtemp(prefix="bench-inspect-"))
    rss = {}
    for n in (a.n0, a.n):
        d = root / f"r{n}"
        if not d.exists():
            make(d, n)
        got = run_measured([*xxgk(), "inspect", str(d), "-o", str(root / f"r{n}.xlsx"), "--force"])
        rss[n] = got["rss_mb"]
        print(
            f"inspect of {n:>6} reports: peak RSS {got['rss_mb']:.0f} MB, {got['wall']:.0f} s (rc {got['rc']})"
        )
    slope = (rss[a.n] - rss[a.n0]) * 1024 / (a.n - a.n0)
    print(
        f"kept per report: {slope:.1f} KB (target <= 12); 40,000 reports: ~{rss[a.n0] + slope * (40_000 - a.n0) / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
