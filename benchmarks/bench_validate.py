"""Validating many filled workbooks: per-workbook time of `xxgk validate` (one core and --jobs 2)
against pandas.read_excel(path, sheet_name=None) (openpyxl engine) on the same files in the same
run, and peak RSS at N and N/4 files (memory must not grow with the number of files).

    python benchmarks/bench_validate.py [N=2000] [--keep DIR]

Targets: >= 25x faster than the baseline per workbook on one core (interleaved: same files, same
moments); <= 1.0 ms of CPU per workbook in-process; near-linear with --jobs 2;
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


def cpu_per_workbook(files: list[Path], sample: int = 300) -> dict[str, float]:
    """CPU seconds per workbook of ``check_file`` in this process (time.process_time: not wall
    time, so the neighbours' load counts little), best of 3 passes: with sheet plans (a template's
    sheets seen before: the usual case in an inbox of one template) and with every sheet read cell
    by cell (the first workbooks of a template, or sheets a plan does not cover)."""
    import time

    import toolkit.reader as reader
    from toolkit.validate import check_file

    chosen = files[:: max(1, len(files) // sample)][:sample]
    out = {}
    for label, on in (("planned", True), ("cell by cell", False)):
        reader.PLANS_ON = on
        best = float("inf")
        for _ in range(3):
            t = time.process_time()
            for f in chosen:
                check_file(f)
            best = min(best, (time.process_time() - t) / len(chosen))
        out[label] = best
    reader.PLANS_ON = True
    return out


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
        cpu = cpu_per_workbook(files)
        one = run_measured([*xxgk(), "validate", str(d / "all"), "--format", "json"])
        two = run_measured([*xxgk(), "validate", str(d / "all"), "--format", "json", "--jobs", "2"])
        small = run_measured([*xxgk(), "validate", str(quarter), "--format", "json"])
    per1, per2 = one["wall"] / n, two["wall"] / n
    print(f"validate {n} workbooks (all valid: exit {one['rc']})")
    print(
        f"  interleaved, same files, same moments (robust to load): pandas {inter_base * 1000:.1f} ms vs "
        f"read + all rules {inter_ours * 1000:.2f} ms per workbook -> {inter_base / inter_ours:.1f}x (target >= 25x)"
    )
    print(
        f"  CPU per workbook in-process (check_file: read + all rules): {cpu['planned'] * 1000:.2f} ms "
        f"(target <= 1.0 ms); every sheet cell by cell: {cpu['cell by cell'] * 1000:.2f} ms"
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
