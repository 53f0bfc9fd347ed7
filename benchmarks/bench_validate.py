"""Validating many filled workbooks: per-workbook time of `xxgk validate` (one core and --jobs 2)
against pandas.read_excel(path, sheet_name=None) (openpyxl engine) on the same files in the same
run, and peak RSS at N and N/4 files (memory must not grow with the number of files).

    python benchmarks/bench_validate.py [N=2000] [--keep DIR]

Targets: >= 25x faster than the baseline per workbook on one core (interleaved: same files, same
moments); near-linear with --jobs 2;
peak RSS flat in the number of files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import pandas_baseline, run_measured, xxgk
from benchmarks.corpus import make_corpus


def interleaved(files: list[Path], sample: int = 120) -> tuple[float, float]:
    """pandas.read_excel and our check on the same file, alternately: the ratio of the sums does
    not depend on what the shared machine is doing at the time."""
    import time
    import warnings

    import pandas as pd

    from toolkit.validate import check_file

    chosen = files[:: max(1, len(files) // sample)][:sample]
    check_file(chosen[0])
    pd.read_excel(chosen[0], sheet_name=None, engine="openpyxl")
    tb = to = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in chosen:
            t = time.perf_counter()
            pd.read_excel(f, sheet_name=None, engine="openpyxl")
            tb += time.perf_counter() - t
            t = time.perf_counter()
            check_file(f)
            to += time.perf_counter() - t
    return tb / len(chosen), to / len(chosen)


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        files = make_corpus(d / "all", n)
        quarter = d / "quarter"
        quarter.mkdir()
        for f in files[: n // 4]:
            (quarter / f.name).symlink_to(f)
        base = pandas_baseline(files)
        inter_base, inter_ours = interleaved(files)
        one = run_measured([*xxgk(), "validate", str(d / "all"), "--format", "json"])
        two = run_measured([*xxgk(), "validate", str(d / "all"), "--format", "json", "--jobs", "2"])
        small = run_measured([*xxgk(), "validate", str(quarter), "--format", "json"])
    per1, per2 = one["wall"] / n, two["wall"] / n
    print(f"validate {n} workbooks (all valid: exit {one['rc']})")
    print(
        f"  interleaved, same files, same moments (robust to load): pandas {inter_base * 1000:.1f} ms vs "
        f"read + all rules {inter_ours * 1000:.2f} ms per workbook -> {inter_base / inter_ours:.1f}x (target >= 25x)"
    )
    print(f"  baseline pandas.read_excel(sheet_name=None, openpyxl): {base * 1000:.1f} ms per workbook")
    print(
        f"  xxgk validate, 1 process : {per1 * 1000:.2f} ms per workbook -> {base / per1:.1f}x faster (target >= 25x)"
    )
    print(
        f"  xxgk validate, --jobs 2  : {per2 * 1000:.2f} ms per workbook -> {base / per2:.1f}x faster; "
        f"scaling {per1 / per2:.2f}x on 2 cores (target near 2x)"
    )
    print(
        f"  peak RSS: {small['rss_mb']:.0f} MB at {n // 4} files, {one['rss_mb']:.0f} MB at {n} files "
        f"-> ratio {one['rss_mb'] / small['rss_mb']:.2f} (target ~1: flat)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
