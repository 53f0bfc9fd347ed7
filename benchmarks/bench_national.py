"""A national year on one machine: ``xxgk merge --jobs 2`` over N distinct generated workbooks
(benchmarks/corpus.py), at N/10 and N: wall time, CPU per workbook, the peak RSS of every
process (the main one and each worker), the time openpyxl takes to open the summary read-only
(and size its streamed sheets), and the projection to 400,000 reports.

    python benchmarks/bench_national.py [--n 100000] [--repeat 2] [--keep DIR] [--validate]

N = 100,000 by default; on a slow or busy day give a smaller ``--n``: the projection to 400,000
is then extrapolated from the measured slope between N/10 and N (said in the output). Memory
must be flat: the peak RSS of each process at N within 20 % of that at N/10. The pool's cost:
the N/10 merge also runs in-process (``--jobs 1``), interleaved, and the CPU per workbook of
both is compared. ``--validate`` also measures ``xxgk validate FOLDER --jobs 2`` at N/10 and N.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import make_corpus  # noqa: E402

NATIONAL = 400_000


def _tree(pid: int) -> list[int]:
    """pid and its descendants (Linux /proc)."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _hwm(pid: int) -> float | None:
    """Peak RSS so far of a process (VmHWM), MB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _uss(pid: int) -> float | None:
    """Memory of a process's own (private) pages, MB: a forked worker's RSS also counts the
    pages it shares with the main process (the list of files it was forked with)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return sum(int(line.split()[1]) for line in fh if line.startswith("Private_")) / 1024
    except OSError:
        return None


def run_merge(folder: Path, out: Path | None, jobs: int) -> dict:
    """Run the merge (``out`` None: ``xxgk validate``); sample every process's VmHWM until it ends."""
    cmd = [
        sys.executable,
        "-m",
        "toolkit",
        "merge",
        str(folder),
        "-o",
        str(out),
        "--jobs",
        str(jobs),
        "--force",
    ]
    if out is None:
        cmd = [sys.executable, "-m", "toolkit", "validate", str(folder), "--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks: dict[int, float] = {}
    private: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for p in _tree(proc.pid):
                if (m := _hwm(p)) is not None:
                    peaks[p] = max(peaks.get(p, 0.0), m)
                if (u := _uss(p)) is not None:
                    private[p] = max(private.get(p, 0.0), u)
            done.wait(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rc = proc.wait()
    wall = time.perf_counter() - t
    done.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    main_peak = peaks.pop(proc.pid, 0.0)
    private.pop(proc.pid, None)
    return {
        "wall": wall,
        "cpu": cpu,
        "rc": rc,
        "main_mb": main_peak,
        "workers_mb": sorted(peaks.values()),
        "workers_private_mb": sorted(private.values()),
    }


def open_summary(path: Path) -> float:
    """openpyxl read-only: open the summary and size its streamed sheets (a fresh process)."""
    code = (
        "import sys, time, openpyxl\n"
        "t = time.perf_counter()\n"
        "wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
        "sizes = [wb[n].max_row for n in ('报送情况', '明细', '明细（长表）')]\n"
        "print(time.perf_counter() - t, sizes)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def _spread(xs: list[float], fmt: str = "{:.1f}") -> str:
    if len(xs) == 1:
        return fmt.format(xs[0])
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the generated workbooks in this folder")
    ap.add_argument("--validate", action="store_true", help="also measure xxgk validate on the folders")
    a = ap.parse_args()
    n, small = a.n, a.n // 10
    print(
        f"load before: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} on {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        corpus = a.keep or d / "all"
        t = time.perf_counter()
        have = sorted(corpus.glob("*.xlsx")) if corpus.exists() else []
        files = have[:n] if len(have) >= n else make_corpus(corpus, n)
        print(f"{n} distinct workbooks ready in {time.perf_counter() - t:.0f} s")
        folders = {}
        for size in (small, n):
            f = d / f"n{size}"
            f.mkdir()
            for p in files[:size]:
                (f / p.name).symlink_to(p.resolve())
            folders[size] = f
        res: dict[int, list[dict]] = {small: [], n: []}
        alone: list[dict] = []  # N/10 in-process: what the pool costs
        checks: dict[int, list[dict]] = {small: [], n: []}
        for _ in range(a.repeat):  # alternately, so that both sizes see the same load
            alone.append(run_merge(folders[small], d / "alone.xlsx", 1))
            for size in (small, n):
                out = d / f"summary{size}.xlsx"
                m = run_merge(folders[size], out, a.jobs)
                m["open"] = open_summary(out)
                m["size_mb"] = out.stat().st_size / 1e6
                res[size].append(m)
                if a.validate:
                    checks[size].append(run_merge(folders[size], None, a.jobs))
    load = os.getloadavg()
    print(f"load after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for size in (small, n):
        ms = res[size]
        walls = [m["wall"] for m in ms]
        print(
            f"merge {size:>7} workbooks --jobs {a.jobs}: wall {_spread(walls)} s; "
            f"{_spread([m['wall'] / size * 1000 for m in ms], '{:.2f}')} ms wall and "
            f"{_spread([m['cpu'] / size * 1000 for m in ms], '{:.2f}')} ms CPU per workbook; "
            f"peak RSS main {_spread([m['main_mb'] for m in ms], '{:.0f}')} MB, workers "
            f"{', '.join(f'{w:.0f}' for w in ms[-1]['workers_mb'])} MB (own pages "
            f"{', '.join(f'{w:.0f}' for w in ms[-1]['workers_private_mb'])} MB); "
            f"summary {ms[-1]['size_mb']:.0f} MB opened read-only by openpyxl in "
            f"{_spread([m['open'] for m in ms], '{:.2f}')} s; exit {ms[-1]['rc']}"
        )
    cpu_alone = [m["cpu"] / small * 1000 for m in alone]
    cpu_pool = [m["cpu"] / small * 1000 for m in res[small]]
    print(
        f"pool: {small} workbooks in-process (--jobs 1) {_spread(cpu_alone, '{:.2f}')} ms CPU per workbook, "
        f"--jobs {a.jobs} {_spread(cpu_pool, '{:.2f}')} ms (all processes): "
        f"{(statistics.median(cpu_pool) / statistics.median(cpu_alone) - 1) * 100:+.0f} % "
        f"(in-process peak RSS {max(m['main_mb'] for m in alone):.0f} MB)"
    )
    if a.validate:
        for size in (small, n):
            ms = checks[size]
            print(
                f"validate {size:>7} workbooks --jobs {a.jobs}: wall {_spread([m['wall'] for m in ms])} s; "
                f"{_spread([m['cpu'] / size * 1000 for m in ms], '{:.2f}')} ms CPU per workbook; peak RSS main "
                f"{_spread([m['main_mb'] for m in ms], '{:.0f}')} MB, workers "
                f"{', '.join(f'{w:.0f}' for w in ms[-1]['workers_mb'])} MB; exit {ms[-1]['rc']}"
            )
        v_small = max(m["main_mb"] for m in checks[small])
        v_big = max(m["main_mb"] for m in checks[n])
        print(f"validate memory: main {v_small:.0f} -> {v_big:.0f} MB ({v_big / v_small:.2f}x)")
    main_small = max(m["main_mb"] for m in res[small])
    main_big = max(m["main_mb"] for m in res[n])
    w_small = max(max(m["workers_mb"] or [0]) for m in res[small])
    w_big = max(max(m["workers_mb"] or [0]) for m in res[n])
    u_small = max(max(m["workers_private_mb"] or [0]) for m in res[small])
    u_big = max(max(m["workers_private_mb"] or [0]) for m in res[n])
    flat = main_big <= 1.2 * main_small and w_big <= 1.2 * w_small
    print(
        f"memory: main {main_small:.0f} -> {main_big:.0f} MB ({main_big / main_small:.2f}x), workers "
        f"{w_small:.0f} -> {w_big:.0f} MB ({w_big / max(w_small, 1):.2f}x) from {small} to {n} files: "
        f"{'flat (within 20 %)' if flat else 'NOT flat'}; slope {(main_big - main_small) / (n - small) * 1024 * 1024:.0f} "
        f"bytes per file in the main process; workers' own pages {u_small:.0f} -> {u_big:.0f} MB "
        f"({u_big / max(u_small, 1):.2f}x)"
    )
    wall_small = statistics.median(m["wall"] for m in res[small])
    wall_big = statistics.median(m["wall"] for m in res[n])
    slope = (wall_big - wall_small) / (n - small)
    proj = wall_big + (NATIONAL - n) * slope
    proj_lo = (
        min(m["wall"] for m in res[n]) + (NATIONAL - n) * slope * min(m["wall"] for m in res[n]) / wall_big
    )
    proj_hi = (
        max(m["wall"] for m in res[n]) + (NATIONAL - n) * slope * max(m["wall"] for m in res[n]) / wall_big
    )
    # flat: what it takes at N (page caches and bounded caches fill, then stay); else the slope
    mem = main_big if flat else main_big + (NATIONAL - n) * max(0.0, (main_big - main_small) / (n - small))
    how = (
        "measured"
        if n >= NATIONAL
        else f"extrapolated from {small} and {n} (marginal {slope * 1000:.2f} ms per file)"
    )
    print(
        f"projection to {NATIONAL:,} reports ({how}): {proj / 60:.1f} min ({proj_lo / 60:.1f}–{proj_hi / 60:.1f}); "
        f"main process ~{mem:.0f} MB{' (flat)' if flat else ' (linear)'}; under 10 min: {'yes' if proj_hi < 600 else 'no' if proj_lo >= 600 else 'not reliably'}"
    )
    # what the load costs: CPU time does not depend on the neighbours as much as wall time does
    cpu_per = statistics.median(m["cpu"] / n for m in res[n])
    idle = NATIONAL * cpu_per / a.jobs
    print(
        f"on an idle machine ({a.jobs} cores, CPU-bound): {cpu_per * 1000:.2f} ms CPU per workbook x {NATIONAL:,} / "
        f"{a.jobs} = {idle / 60:.1f} min for {NATIONAL:,}; the wall times above are {wall_big / (n * cpu_per / a.jobs):.1f}x "
        f"that under this load"
    )


if __name__ == "__main__":
    main()
