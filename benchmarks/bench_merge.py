"""Merging many filled workbooks into a district summary with --jobs 2: wall time, per-workbook
time and peak RSS, against pandas.read_excel(path, sheet_name=None) (openpyxl) per workbook on the
same files in the same run.

    python benchmarks/bench_merge.py [N ...]      (default: 2000 20000)

Targets: >= 15x faster per workbook than the baseline; 20,000 workbooks in under 30 s with
--jobs 2 on a 2-core machine; peak RSS under 300 MB whatever the count.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import pandas_baseline, run_measured, xxgk
from benchmarks.corpus import make_corpus


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


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 20000])
