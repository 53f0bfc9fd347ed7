"""Merging many filled workbooks into a district summary with --jobs 2: wall time, per-workbook
time and peak RSS, against pandas.read_excel(path, sheet_name=None) (openpyxl) per workbook on the
same files in the same run.

    python benchmarks/bench_merge.py [N ...]      (default: 2000 20000)

Targets: >= 15x faster per workbook than the baseline; 20,000 workbooks in under 30 s with
--jobs 2 on a 2-core machine; peak RSS under 300 MB whatever the count.

The roster case: the same merge against a roster of as many agencies (half listed with their
code, half by name only, in shuffled order). Matching is near-linear, so the roster adds little:
target < 1.25x the time without roster (it was 3x, O(files x roster), before).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import pandas_baseline, run_measured, xxgk
from benchmarks.corpus import code, make_corpus

BASES = 200


def write_roster(path: Path, n: int) -> Path:
    """The roster of the first ``n`` corpus agencies (names as benchmarks.corpus makes them)."""
    import csv
    import random

    rows = []
    for i in range(n):
        name = f"基准单位{i:06d}" if i < BASES else f"克隆单位{i:06d}"
        rows.append([name, code(i) if i % 2 else "", "基准区"])
    random.Random(3).shuffle(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        w.writerows(rows)
    return path


def main(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        files = make_corpus(d / "in", max(counts))
        base = pandas_baseline(files)
        print(f"baseline pandas.read_excel(sheet_name=None, openpyxl): {base * 1000:.1f} ms per workbook")
        for n in counts:
            sub = d / f"n{n}"
            sub.mkdir()
            for f in files[:n]:
                (sub / f.name).symlink_to(f)
            m = run_measured([*xxgk(), "merge", str(sub), "-o", str(d / f"summary{n}.xlsx"), "--jobs", "2"])
            per = m["wall"] / n
            line = (
                f"merge {n:>6} workbooks --jobs 2: {m['wall']:.1f} s, {per * 1000:.2f} ms per workbook "
                f"-> {base / per:.1f}x faster than baseline (target >= 15x); peak RSS {m['rss_mb']:.0f} MB "
                f"(target < 300 MB); exit {m['rc']}"
            )
            if n == 20000:
                line += (
                    f"; 20,000 in {m['wall']:.1f} s (target < 30 s: {'met' if m['wall'] < 30 else 'NOT met'})"
                )
            print(line)
            roster = write_roster(d / f"roster{n}.csv", n)
            r = run_measured(
                [
                    *xxgk(),
                    "merge",
                    str(sub),
                    "--roster",
                    str(roster),
                    "-o",
                    str(d / f"r{n}.xlsx"),
                    "--jobs",
                    "2",
                ]
            )
            ratio = r["wall"] / m["wall"]
            print(
                f"merge {n:>6} workbooks --jobs 2 with a {n}-agency roster: {r['wall']:.1f} s, "
                f"{ratio:.2f}x the time without roster (target < 1.25x: {'met' if ratio < 1.25 else 'NOT met'}); "
                f"peak RSS {r['rss_mb']:.0f} MB; exit {r['rc']}"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 20000])
