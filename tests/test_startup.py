"""Start-up: ``import toolkit`` and the CLI import nothing heavy; each command imports what it
uses (timings are in benchmarks/bench_startup.py, never in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("xlsxwriter", "pandas", "openpyxl")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_cli_imports_no_heavy_library():
    mods = _modules_after("import toolkit.cli")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    assert "toolkit.merge" not in mods and "toolkit.outputs.summary" not in mods


def test_validate_command_imports_no_writer():
    """What ``xxgk validate one.xlsx`` imports: the reader and the rules, not the writers."""
    mods = _modules_after("import toolkit.cli, toolkit.validate, toolkit.outputs.console")
    assert not {m for m in mods if m.split(".")[0] in HEAVY}
    assert "toolkit.importers.report" not in mods


def test_public_api_still_whole():
    code = (
        "import toolkit.validate, toolkit.merge, toolkit.trend\n"  # submodules first: the functions stay bound
        "import toolkit\n"
        "from toolkit import make_template, read_workbook, validate, merge, write_summary, Submission\n"
        "assert callable(validate) and callable(merge) and toolkit.validate is validate\n"
        "assert toolkit.merge is merge and validate.__module__ == 'toolkit.validate'\n"
        "assert callable(toolkit.trend) and toolkit.store.Store is toolkit.Store\n"
        "assert set(toolkit.__all__) <= set(dir(toolkit))\n"
        "for name in toolkit.__all__: getattr(toolkit, name)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "toolkit", "--help"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "xxgk validate" in out.stdout
