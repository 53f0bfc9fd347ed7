"""``xxgk validate`` and ``xxgk merge`` as ratios of instructions to their floor's: CPU time on a
shared machine moves ±10 % with the neighbours' load (and with them both a command and its floor,
but not alike); the instructions a program executes do not. Each command and the floor run under
valgrind's callgrind (instruction counts only: ``Ir``) on a folder of SMALL and of LARGE workbooks;
the difference divided by LARGE - SMALL is its cost a workbook, free of start-up. The merge is
counted twice: its records held in memory (up to ~5,000 files) and spilled to its spool (past
that). Start-up is the run of one workbook against ``python -c pass``. Deterministic to ~1 % (PYTHONHASHSEED=0), so two
checkouts compare on a busy machine too; it is not time: libdeflate, SHA-256 and the like run more
instructions under valgrind than on the CPU (no SHA extensions there), so say time with
bench_floor.py and changes with this.

    python benchmarks/bench_instructions.py [SMALL=100] [LARGE=300] [--against DIR] [--corpus DIR]

Needs ``valgrind`` (Debian: ``apt-get install valgrind``). A 300-workbook run takes ~1 minute a
command under valgrind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_floor import FLOOR, WRAP, members_read  # noqa: E402
from benchmarks.corpus import make_corpus  # noqa: E402

COMMANDS = {
    "validate --jobs 1": ["validate", "{dir}", "--jobs", "1"],
    "merge --jobs 1": ["merge", "{dir}", "-o", "{out}", "--force", "--jobs", "1"],
    # past ~5,000 records (16 MB) a merge keeps them in its SQLite spool: the same merge with the
    # spool from the 10th record on shows what that costs a workbook (a 40,000-file merge's case)
    "merge --jobs 1, records spilled": ["merge", "{dir}", "-o", "{out}", "--force", "--jobs", "1"],
}
SPILLED = {"merge --jobs 1, records spilled": {"XXGK_SPOOL_AFTER": "10"}}


def instructions(cmd: list[str], root: Path | None, tmp: Path, extra: dict[str, str] | None = None) -> int:
    """Instructions executed by ``cmd`` (a python command line) under callgrind."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env.update(extra or {})
    env["PYTHONHASHSEED"] = "0"  # sets and dicts of str in one order: the same instructions each run
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pyc")  # compiled once (by the warm-up run), then read
    env["XXGK_CACHE_DIR"] = str(tmp / "cache")
    env["XXGK_BENCH_RUSAGE"] = str(tmp / "rusage.json")  # bench_floor's wrapper leaves its CPU there
    if root is not None:
        env["PYTHONPATH"] = str(root)
    p = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    m = re.search(r"Collected : (\d+)", p.stderr)
    if m is None:
        raise SystemExit(f"{cmd[:4]}: no instruction count from valgrind\n{p.stderr[-2000:]}")
    return int(m.group(1))


def folder(src: list[Path], dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in src:
        if f.stat().st_dev == dst.stat().st_dev:
            os.link(f, dst / f.name)
        else:
            shutil.copy(f, dst / f.name)
    return dst


def main(small: int, large: int, against: Path | None, corpus: Path | None) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="xxgk-ir-") as t:
        tmp = Path(t)
        src = corpus or tmp / "corpus"
        files = sorted(src.glob("*.xlsx")) if corpus else make_corpus(src, large + 1)
        if len(files) < large + 1:
            raise SystemExit(f"{src}: {len(files)} workbooks, {large + 1} needed")
        dirs = {
            1: folder(files[large : large + 1], tmp / "one"),
            small: folder(files[:small], tmp / f"d{small}"),
            large: folder(files[:large], tmp / f"d{large}"),
        }
        want = ",".join(members_read(files[0]))
        py = sys.executable
        # every program once before it is counted: the bytecode cache (PYTHONPYCACHEPREFIX, the
        # standard library's too) is written by that run and only read by the counted ones
        instructions([py, "-c", FLOOR, str(dirs[1]), want, "zlib"], None, tmp)
        instructions([py, "-c", "pass"], None, tmp)
        floor = {
            n: instructions([py, "-c", FLOOR, str(dirs[n]), want, "zlib"], None, tmp) for n in (small, large)
        }
        per_floor = (floor[large] - floor[small]) / (large - small)
        bare = instructions([py, "-c", "pass"], None, tmp)
        print(f"{small} and {large} workbooks (PYTHONHASHSEED=0), instructions under valgrind")
        print(f"  floor (read, inflate the reader's members with zlib): {per_floor / 1e6:.2f} M a workbook")
        print(f"  python -c pass: {bare / 1e6:.0f} M")
        roots = [("", ROOT)] + ([("(against) ", against)] if against else [])
        for name, argv in COMMANDS.items():
            for tag, root in roots:
                got = {}
                for n in (1, small, large):
                    args = [a.format(dir=dirs[n], out=tmp / "out.xlsx") for a in argv]
                    cmd = [py, "-c", WRAP, *args]
                    if n == 1:
                        instructions(cmd, root, tmp)  # compiles the checkout's modules once
                    got[n] = instructions(cmd, root, tmp, SPILLED.get(name))
                per = (got[large] - got[small]) / (large - small)
                print(
                    f"  {tag}{name}: {per / 1e6:.2f} M a workbook = {per / per_floor:.2f}x the floor's; "
                    f"one workbook {got[1] / 1e6:.0f} M = {got[1] / bare:.2f}x python -c pass"
                )


if __name__ == "__main__":
    args = sys.argv[1:]
    against_dir = corpus_dir = None
    if "--against" in args:
        i = args.index("--against")
        against_dir = Path(args[i + 1])
        del args[i : i + 2]
    if "--corpus" in args:
        i = args.index("--corpus")
        corpus_dir = Path(args[i + 1])
        del args[i : i + 2]
    main(int(args[0]) if args else 100, int(args[1]) if len(args) > 1 else 300, against_dir, corpus_dir)
