"""Start-up of the ``xxgk`` command: wall time of ``xxgk --help`` and ``xxgk validate one.xlsx``
against ``python -c pass`` (the interpreter alone) in the same run, interleaved, plus what the
imports cost (``python -X importtime``).

    python benchmarks/bench_startup.py [ROUNDS=15] [--against DIR]

``--against DIR``: also time the same commands from another checkout (e.g. an older commit,
``git archive COMMIT | tar -x -C DIR``), interleaved in the same rounds.

Target: both commands start in < 150 ms on an idle machine. On a shared machine the absolute
times move with the load; the difference to ``python -c pass`` (what the toolkit adds) and the
ratio do not move as much. Bytecode is cached (as after ``pip install``) in a temporary
``PYTHONPYCACHEPREFIX``, so the numbers do not include compiling the sources.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _env(pyc: Path, root: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pyc)
    env["PYTHONPATH"] = str(root)
    return env


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - t


def import_costs(env: dict[str, str], module: str) -> tuple[float, list[tuple[float, str]]]:
    """Cumulative import time of ``module`` (ms) and its largest imports, by ``-X importtime``."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        cwd=ROOT,
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
    total = next((c for c, n in rows if n.strip() == module), 0.0)
    return total, sorted(rows, reverse=True)


def main(rounds: int, against: Path | None = None) -> None:
    from toolkit.model import Submission
    from toolkit.template import make_template

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        one = d / "区财政局.xlsx"
        make_template(one, Submission(cover={"agency": "区财政局", "year": 2025}))
        env = _env(d / "pyc")
        py = sys.executable
        cmds = {
            "python -c pass": ([py, "-c", "pass"], env),
            "xxgk --help": ([py, "-m", "toolkit", "--help"], env),
            "xxgk validate one.xlsx": ([py, "-m", "toolkit", "validate", str(one)], env),
        }
        if against is not None:
            old = _env(d / "pyc-against", against.resolve())
            cmds["  (against) xxgk --help"] = ([py, "-m", "toolkit", "--help"], old)
            cmds["  (against) validate one"] = ([py, "-m", "toolkit", "validate", str(one)], old)
        for cmd, e in cmds.values():  # warm: bytecode written, files in the page cache
            _wall(cmd, e)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(rounds):  # interleaved: each round sees the same load for all commands
            for k, (cmd, e) in cmds.items():
                times[k].append(_wall(cmd, e))
        cli_ms, cli_rows = import_costs(env, "toolkit.cli")
        val_ms, val_rows = import_costs(env, "toolkit.validate")
        heavy = {"xlsxwriter", "pandas", "openpyxl"}
        loaded = {n.strip().split(".")[0] for _, n in cli_rows}
    load = os.getloadavg()
    print(f"start-up, {rounds} interleaved rounds; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    base = times["python -c pass"]
    for k, ts in times.items():
        mn, med = min(ts), statistics.median(ts)
        line = f"  {k:<24} min {mn * 1000:6.0f} ms  median {med * 1000:6.0f} ms"
        if k != "python -c pass":
            add = [t - b for t, b in zip(ts, base, strict=True)]
            line += (
                f"  = python + {statistics.median(add) * 1000:.0f} ms (median of the round-wise differences), "
                f"ratio {med / statistics.median(base):.2f}x python -c pass"
                f"; target < 150 ms: {'met' if mn < 0.150 else 'NOT met (see load)'} at the minimum"
            )
        print(line)
    print(
        f"  imports of toolkit.cli (xxgk --help): {cli_ms:.0f} ms; heavy libraries loaded: "
        f"{sorted(heavy & loaded) or 'none'}"
    )
    print(f"  imports of toolkit.validate (xxgk validate): {val_ms:.0f} ms; largest:")
    for ms, name in val_rows[1:8]:
        print(f"    {ms:6.1f} ms {name.strip()}")


if __name__ == "__main__":
    args = sys.argv[1:]
    against_dir = None
    if "--against" in args:
        i = args.index("--against")
        against_dir = Path(args[i + 1])
        del args[i : i + 2]
    main(int(args[0]) if args else 15, against_dir)
