"""``xxgk validate`` and ``xxgk merge`` as ratios to their floor, measured in the same run: the
floor is a minimal program that reads each file and inflates just the zip members the reader needs
(found by watching the reader on the first file), nothing else. Every round runs each command
once, interleaved (a round sees one load for all); ratios are taken per round, min/median/max.

    python benchmarks/bench_floor.py [N=2000] [ROUNDS=3] [--roster [M]] [--against DIR] [--only "merge --jobs 2"] [--corpus DIR]

Measured per command: CPU (user + system of the process and its workers: what the work costs,
and moves little with the load of a shared machine), the merge's main-process CPU (with --jobs 2
nothing finishes before the main process does: the critical path), and wall time.

- validate --jobs 1: CPU / floor CPU (target <= 2.5x)
- merge --jobs 1: CPU / floor CPU (target <= 3x)
- merge --jobs 2: main-process CPU / floor CPU, and wall / floor CPU
- a 400,000-report year on 2 cores, projected from N: the larger of the --jobs 2 wall and the
  main-process CPU, per file, times 400,000 (said as a projection; N=40000 for the issue's figure)

``--corpus DIR``: the workbooks in DIR, made there by an earlier run with the same N (else made
there): a 40,000-workbook corpus takes ~10 minutes to make. ``--only`` may be given more than once.
``--roster [M]``: merge against a roster of M agencies (default N; the first N are the files'):
the main process's and the largest worker's peak RSS show what the roster costs in memory. ``--against DIR``: the same commands from
another checkout (``git archive COMMIT | tar -x -C DIR``) in the same rounds.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_merge import write_roster  # noqa: E402
from benchmarks.corpus import make_corpus  # noqa: E402

# the floor: read each file, find the members in its directory, inflate those (zlib, or with
# argv[3] == "libdeflate" the inflater the reader uses), nothing else
FLOOR = r"""
import sys, zlib, struct
from pathlib import Path
want = set(sys.argv[2].split(","))
if sys.argv[3] == "libdeflate":
    from deflate import deflate_decompress
    inflate = lambda data, size: deflate_decompress(data, size + 1)
else:
    inflate = lambda data, size: zlib.decompress(data, -15)
n = 0
for p in sorted(Path(sys.argv[1]).iterdir()):
    if p.suffix != ".xlsx":
        continue
    raw = p.read_bytes()
    end = raw.rfind(b"PK\x05\x06")
    count, size, off = struct.unpack_from("<HII", raw, end + 10)
    pos = off
    for _ in range(count):
        method, csize, usize = struct.unpack_from("<H8xII", raw, pos + 10)
        ln, le, lc = struct.unpack_from("<HHH", raw, pos + 28)
        local = struct.unpack_from("<I", raw, pos + 42)[0]
        name = raw[pos + 46 : pos + 46 + ln].decode()
        pos += 46 + ln + le + lc
        if name in want:
            lh, lx = struct.unpack_from("<HH", raw, local + 26)
            start = local + 30 + lh + lx
            data = raw[start : start + csize]
            n += len(inflate(data, usize) if method == 8 else data)
print(n)
"""

# runs the xxgk command in this process and leaves its own and its workers' CPU in a file
WRAP = (
    "import atexit, json, os, resource, sys\n"
    "def _out():\n"
    "    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    with open(os.environ['XXGK_BENCH_RUSAGE'], 'w') as fh:\n"
    "        json.dump({'main': s.ru_utime + s.ru_stime, 'workers': c.ru_utime + c.ru_stime,\n"
    "                   'main_rss_mb': s.ru_maxrss / 1024, 'worker_rss_mb': c.ru_maxrss / 1024}, fh)\n"
    "atexit.register(_out)\n"
    "sys.argv = ['xxgk', *sys.argv[1:]]\n"
    "try:\n"
    "    from toolkit.entry import main\n"
    "except ImportError:  # a checkout from before toolkit.entry\n"
    "    from toolkit.cli import main\n"
    "main()\n"
)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def members_read(path: Path) -> list[str]:
    """The zip members the reader inflates for ``path`` (and docProps/custom.xml, which a merge
    without --year reads for the declared format)."""
    import toolkit.reader as rd
    from toolkit.validate import check_file

    seen: list[str] = []
    orig_member, orig_read = rd._read_member, rd._ZipDirectory.read

    def member(zf, name, raw):  # type: ignore[no-untyped-def]
        seen.append(name)
        return orig_member(zf, name, raw)

    def read(self, name):  # type: ignore[no-untyped-def]
        seen.append(name)
        return orig_read(self, name)

    rd._read_member, rd._ZipDirectory.read = member, read
    try:
        check_file(path)
    finally:
        rd._read_member, rd._ZipDirectory.read = orig_member, orig_read
    return sorted({*seen, "docProps/custom.xml"})


def run(cmd: list[str], root: Path, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(root)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pyc")
    env["XXGK_CACHE_DIR"] = str(tmp / "cache")
    env["XXGK_BENCH_RUSAGE"] = str(tmp / "rusage.json")
    c, t = _cpu(), time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    out = {"wall": time.perf_counter() - t, "cpu": _cpu() - c, "rc": p.returncode}
    if p.returncode not in (0, 1):
        raise SystemExit(f"{cmd}: exit {p.returncode}\n{p.stderr.decode()[-2000:]}")
    ru = tmp / "rusage.json"
    if cmd[1] == "-c" and cmd[2] == WRAP and ru.exists():
        out.update(json.loads(ru.read_text()))
        ru.unlink()
    return out


def _spread(xs: list[float]) -> str:
    return f"{min(xs):5.2f} / {statistics.median(xs):5.2f} / {max(xs):5.2f}"


def _corpus(folder: Path, n: int) -> list[Path]:
    """The benchmark's workbooks in ``folder``: those already there when it holds exactly the n a
    previous run made (make_corpus is deterministic: 40,000 take ~10 min to make), else made."""
    have = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    if len(have) == n and have[-1].name == f"{n - 1:06d}.xlsx":
        return have
    return make_corpus(folder, n)


def main(
    n: int,
    rounds: int,
    roster: int,
    against: Path | None,
    only: list[str] | None = None,
    corpus: Path | None = None,
) -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        folder = corpus or tmp / "in"
        files = _corpus(folder, n)
        members = members_read(files[0])
        extra = ["--roster", str(write_roster(tmp / "roster.csv", roster))] if roster else []
        checkouts = {"": ROOT} | ({"(against) ": against.resolve()} if against else {})
        cmds: dict[str, tuple[list[str], Path]] = {
            "floor": ([py, "-c", FLOOR, str(folder), ",".join(members), "zlib"], ROOT),
            "floor (libdeflate)": ([py, "-c", FLOOR, str(folder), ",".join(members), "libdeflate"], ROOT),
        }
        for tag, root in checkouts.items():
            x = [py, "-c", WRAP]
            cmds[f"{tag}validate --jobs 1"] = ([*x, "validate", str(folder), "--jobs", "1"], root)
            for jobs in ("1", "2"):
                out = str(tmp / f"summary-{len(cmds)}.xlsx")
                cmds[f"{tag}merge --jobs {jobs}"] = (
                    [*x, "merge", str(folder), "-o", out, "--jobs", jobs, "--force", *extra],
                    root,
                )
        if only:  # the floors and the commands named (e.g. "merge --jobs 2" for the projection alone)
            cmds = {k: v for k, v in cmds.items() if k.startswith("floor") or any(o in k for o in only)}
        for cmd, root in cmds.values():  # warm: bytecode and caches written, files in the page cache
            run(cmd, root, tmp)
        got: dict[str, list[dict]] = {k: [] for k in cmds}
        for _ in range(rounds):
            for k, (cmd, root) in cmds.items():
                got[k].append(run(cmd, root, tmp))
    load = os.getloadavg()
    floor = [g["cpu"] for g in got["floor"]]
    fast_floor = [g["cpu"] for g in got["floor (libdeflate)"]]
    print(
        f"{n} workbooks{f' with a roster of {roster:,} agencies' if roster else ''}, {rounds} interleaved "
        f"rounds; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(
        f"  floor: read each file, inflate {len(members)} members ({', '.join(members)}): CPU median "
        f"{statistics.median(floor) / n * 1000:.2f} ms a workbook with zlib (the issue's floor), "
        f"{statistics.median(fast_floor) / n * 1000:.2f} ms with libdeflate (the reader's inflater)"
    )
    print(f"  {'':<30} {'ratio to the floor CPU, min / median / max':>44}")

    def ratio(k: str, what: str, base: list[float] = floor) -> list[float]:
        return [
            g[what] / f if what != "main+workers" else (g["main"] + g["workers"]) / f
            for g, f in zip(got[k], base, strict=True)
        ]

    targets = {"validate --jobs 1": 2.5, "merge --jobs 1": 3.0}
    for k in cmds:
        if k.startswith("floor"):
            continue
        r = ratio(k, "cpu")
        t = targets.get(k.removeprefix("(against) "))
        verdict = (
            f"   target <= {t:g}x: {'met' if statistics.median(r) <= t else 'NOT met'}"
            if t and not k.startswith("(")
            else ""
        )
        print(f"  {k + ': CPU':<30} {_spread(r):>44}{verdict}")
        print(f"  {k + ': CPU / libdeflate floor':<30} {_spread(ratio(k, 'cpu', fast_floor)):>44}")
        if k.endswith("merge --jobs 2"):
            print(f"  {k + ': main process CPU':<30} {_spread(ratio(k, 'main')):>44}")
            print(f"  {k + ': wall':<30} {_spread(ratio(k, 'wall')):>44}")
            g = got[k]
            wall = statistics.median(x["wall"] for x in g) / n
            main_cpu = statistics.median(x["main"] for x in g) / n
            proj = max(wall, main_cpu) * 400_000
            print(
                f"    {k}: {main_cpu * 1000:.2f} ms of main-process CPU and {wall * 1000:.2f} ms wall a "
                f"workbook; main-process RSS {statistics.median(x['main_rss_mb'] for x in g):.0f} MB, "
                f"largest worker {statistics.median(x['worker_rss_mb'] for x in g):.0f} MB"
            )
            print(
                f"    projected from {n}: 400,000 reports in {proj / 60:.1f} min on this machine "
                f"(target < 5 min{': met' if proj < 300 else ': NOT met'}; a projection, not a run)"
            )


if __name__ == "__main__":
    args = sys.argv[1:]
    with_roster = 0
    if "--roster" in args:
        i = args.index("--roster")
        size = args[i + 1] if i + 1 < len(args) and args[i + 1].isdigit() else None
        del args[i : i + (2 if size else 1)]
        with_roster = int(size) if size else -1
    against_dir = None
    if "--against" in args:
        i = args.index("--against")
        against_dir = Path(args[i + 1])
        del args[i : i + 2]
    only_cmds: list[str] | None = None
    while "--only" in args:  # may be given more than once
        i = args.index("--only")
        only_cmds = [*(only_cmds or []), args[i + 1]]
        del args[i : i + 2]
    corpus_dir = None
    if "--corpus" in args:
        i = args.index("--corpus")
        corpus_dir = Path(args[i + 1])
        del args[i : i + 2]
    count = int(args[0]) if args else 2000
    main(
        count,
        int(args[1]) if len(args) > 1 else 3,
        count if with_roster == -1 else with_roster,
        against_dir,
        only_cmds,
        corpus_dir,
    )
