"""Start-up of the ``xxgk`` command as a ratio to ``python -c pass`` (the interpreter alone, its
``site`` included) measured in the same run: ``xxgk --help`` and ``xxgk validate one.xlsx``,
each round running every command once (interleaved: a round sees one load for all), the ratio
taken per round, min/median/max over the rounds.

    python benchmarks/bench_startup.py [ROUNDS=15] [--against DIR]

Two cases:
- bytecode cached (as after ``pip install``): the sources' bytecode in a temporary
  ``PYTHONPYCACHEPREFIX``, written by a warm-up run;
- ``PYTHONDONTWRITEBYTECODE=1`` with a source checkout that has no ``__pycache__`` (an editable
  install on such a machine): a fresh copy of the package, run from there.
Both after one warm-up run (the user cache directory, a temporary ``XXGK_CACHE_DIR``, filled).

``--against DIR``: the same commands from another checkout (an older commit:
``git archive COMMIT | tar -x -C DIR``), in the same rounds.

Targets (issue 22): ``--help`` <= 2x and ``validate one.xlsx`` <= 3x ``python -c pass``. Each
command is one process on one core and waits for nothing, so at a quiet moment its wall time is
its CPU time: the CPU ratio is what the wall ratio is on a quiet machine; on a loaded one the wall
ratio moves with the neighbours (both are printed, with a verdict each).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"xxgk --help": 2.0, "xxgk validate one.xlsx": 3.0}


def _env(root: Path, cache: Path, pyc: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPATH"] = str(root)
    env["XXGK_CACHE_DIR"] = str(cache)
    if pyc is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env["PYTHONPYCACHEPREFIX"] = str(pyc)
    return env


def _fresh_copy(src: Path, dst: Path) -> Path:
    """The package as a checkout that never wrote bytecode: no ``__pycache__`` anywhere."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(src / "toolkit", dst / "toolkit", ignore=ignore)
    shutil.copytree(src / "workbook_templates", dst / "workbook_templates", ignore=ignore)
    return dst


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``cmd``."""
    c, t = _cpu(), time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - t, _cpu() - c


def import_costs(env: dict[str, str], code: str) -> list[tuple[float, str]]:
    """Cumulative import times (ms) of what ``code`` imports, largest first (``-X importtime``)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        cwd=env["PYTHONPATH"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    rows = []
    for line in out.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cum, name = line.removeprefix("import time:").split("|")
        rows.append((int(cum) / 1000, name.rstrip()))
    return sorted(rows, reverse=True)


def _spread(xs: list[float]) -> str:
    return f"{min(xs):5.2f} / {statistics.median(xs):5.2f} / {max(xs):5.2f}"


def main(rounds: int, against: Path | None = None) -> None:
    from toolkit.model import Submission
    from toolkit.template import make_template

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        one = d / "区财政局.xlsx"
        make_template(one, Submission(cover={"agency": "区财政局", "year": 2025}))
        checkouts = {"": ROOT}
        if against is not None:
            checkouts["(against) "] = against.resolve()
        cases: dict[str, dict[str, tuple[list[str], dict[str, str]]]] = {}
        for case in ("bytecode cached", "PYTHONDONTWRITEBYTECODE=1"):
            cmds: dict[str, tuple[list[str], dict[str, str]]] = {}
            for tag, root in checkouts.items():
                n = f"{case}-{len(cases)}-{len(cmds)}"
                if case == "bytecode cached":
                    env = _env(root, d / f"cache-{n}", d / f"pyc-{n}")
                else:
                    env = _env(_fresh_copy(root, d / f"src-{n}"), d / f"cache-{n}", None)
                if not tag:
                    cmds["python -c pass"] = ([py, "-c", "pass"], env)
                cmds[f"{tag}xxgk --help"] = ([py, "-m", "toolkit", "--help"], env)
                cmds[f"{tag}xxgk validate one.xlsx"] = ([py, "-m", "toolkit", "validate", str(one)], env)
            cases[case] = cmds
        for cmds in cases.values():
            for cmd, e in cmds.values():  # warm: caches written, files in the page cache
                _run(cmd, e)
        times = {case: {k: [] for k in cmds} for case, cmds in cases.items()}
        for _ in range(rounds):  # interleaved: each round sees the same load for all commands
            for case, cmds in cases.items():
                for k, (cmd, e) in cmds.items():
                    times[case][k].append(_run(cmd, e))
        env = cases["bytecode cached"]["python -c pass"][1]
        help_rows = import_costs(env, "import toolkit.cli")
        val_rows = import_costs(env, "import toolkit.cli, toolkit.validate, toolkit.outputs.console")
    load = os.getloadavg()
    print(
        f"start-up as a ratio to `python -c pass` in the same round; {rounds} interleaved rounds; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(
        "  wall: elapsed time; CPU: user + system time of the process (moves less with the load of a "
        "shared machine)"
    )
    head = "ratio min / median / max"
    print(f"  {'':<36} {'wall ' + head:>31} {'CPU ' + head:>30}")
    for case, ts in times.items():
        print(f" {case}:")
        base = ts["python -c pass"]
        for k, xs in ts.items():
            if k == "python -c pass":
                walls, cpus = [w for w, _ in xs], [c for _, c in xs]
                print(
                    f"  {k:<36} {'1':>31} {'1':>30}   (wall min {min(walls) * 1000:.0f} ms, "
                    f"median {statistics.median(walls) * 1000:.0f} ms; CPU median "
                    f"{statistics.median(cpus) * 1000:.0f} ms)"
                )
                continue
            wall = [x[0] / b[0] for x, b in zip(xs, base, strict=True)]
            cpu = [x[1] / b[1] for x, b in zip(xs, base, strict=True) if b[1] > 0]
            target = next((t for name, t in TARGETS.items() if k.endswith(name)), None)
            verdict = ""
            if target is not None and not k.startswith("("):
                by_cpu, by_wall = statistics.median(cpu) <= target, statistics.median(wall) <= target
                verdict = (
                    f"   target <= {target:g}x: {'met' if by_cpu else 'NOT met'} by the CPU median, "
                    f"{'met' if by_wall else 'NOT met'} by the wall median"
                )
            print(f"  {k:<36} {_spread(wall):>31} {_spread(cpu):>30}{verdict}")
    print("  largest imports of `xxgk --help` (ms, cumulative, bytecode cached):")
    for ms, name in help_rows[:6]:
        print(f"    {ms:6.1f} {name.strip()}")
    print("  largest imports of `xxgk validate` (ms, cumulative, bytecode cached):")
    for ms, name in val_rows[:8]:
        print(f"    {ms:6.1f} {name.strip()}")


if __name__ == "__main__":
    args = sys.argv[1:]
    against_dir = None
    if "--against" in args:
        i = args.index("--against")
        against_dir = Path(args[i + 1])
        del args[i : i + 2]
    main(int(args[0]) if args else 15, against_dir)
