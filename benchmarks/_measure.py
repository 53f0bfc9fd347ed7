"""Shared helpers: run a command in a fresh helper process and report its wall time and the peak
RSS of the largest process it started (the command itself or one of its workers)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

_HELPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(json.dumps({'wall': time.perf_counter() - t, 'rc': p.returncode,\n"
    "                  'rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
)


def run_measured(cmd: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _HELPER, *cmd], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def xxgk() -> list[str]:
    return [sys.executable, "-m", "toolkit"]


def pandas_baseline(files: list[Path], sample: int = 60) -> float:
    """Seconds per workbook for pandas.read_excel(path, sheet_name=None) with openpyxl."""
    import warnings

    import pandas as pd

    chosen = files[:: max(1, len(files) // sample)][:sample]
    pd.read_excel(chosen[0], sheet_name=None, engine="openpyxl")  # warm-up
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        for f in chosen:
            pd.read_excel(f, sheet_name=None, engine="openpyxl")
    return (time.perf_counter() - t) / len(chosen)
