"""The README's tour runs as written, in order, on a clone: its commands exit 0/1 (never 2, never a
traceback), its outputs land where .gitignore covers them, and the merge output it shows is true."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from tests.conftest import ROOT
from toolkit.cli import main

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _commands() -> list[str]:
    """Every ``xxgk`` command of the README, in order: bash lines and ``$ xxgk`` lines of outputs."""
    out = []
    for m in re.finditer(r"```(bash|text)\n(.*?)```", README, flags=re.S):
        for line in m.group(2).splitlines():
            line = line.strip()
            if m.group(1) == "text":
                line = line[2:] if line.startswith("$ xxgk ") else ""
            line = line.split(" && ")[-1]  # "pip install -e . && xxgk merge …"
            if line.startswith("xxgk "):
                out.append(line)
    return out


def test_the_tour_runs_in_order_and_writes_only_ignored_files(tmp_path, monkeypatch):
    for name in ("samples", "samples-previous", "tests"):  # what a clone has (read only here)
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    cmds = _commands()
    assert len(cmds) >= 8 and any(c.startswith("xxgk merge samples/") for c in cmds)
    outputs = {}
    for cmd in cmds:  # in process: the same click command, without a Python start each
        r = CliRunner().invoke(main, shlex.split(cmd, comments=True)[1:])
        assert r.exit_code in (0, 1), (cmd, r.output)  # never a usage error
        assert r.exception is None or isinstance(r.exception, SystemExit), (cmd, r.exception)
        outputs[cmd] = r.stdout
    (py,) = _blocks("python")
    exec(compile(py, "README.md", "exec"), {})
    ignore = [ln.strip() for ln in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()]
    assert "/out/" in ignore and "/summary.xlsx" in ignore
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.iterdir() if not p.is_symlink()}
    assert written == {"out", "summary.xlsx"}
    # every output shown is the one printed (lines elided with "..." aside)
    main_job = next(c for c in cmds if c.startswith("xxgk merge samples/") and "-o summary.xlsx" in c)
    for block in _blocks("text"):
        lines = block.splitlines()
        if lines[0].startswith("$ xxgk "):
            cmd, lines = lines[0][2:], lines[1:]
        elif lines[0].startswith("汇总："):
            cmd = main_job
        else:
            continue
        printed = outputs[cmd].splitlines()
        at = 0
        for line in lines:
            if line.strip() == "...":
                continue
            assert line in printed[at:], (cmd, line)
            at = printed.index(line, at) + 1


def test_the_two_commands_say_which_python_and_how_on_a_debian_machine():
    """The two commands start with ``pip install`` and ``python -m pytest``: on Debian/Ubuntu's own
    Python pip refuses (externally-managed-environment, PEP 668) and there is no ``python``. The
    section says which Python the package needs (pyproject's requires-python) and how to make the
    virtual environment in which both commands run as written."""
    import tomllib

    need = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    version = need.removeprefix(">=")
    section = README.split("## 新机器上的两条命令", 1)[1].split("\n## ", 1)[0]
    assert f"Python {version}" in section
    assert "externally-managed-environment" in section
    venv = re.search(r"`(python3 -m venv [^`]+)`", section)
    assert venv and "bin/activate" in venv.group(1)
    english = README.split("## In English", 1)[1].split("\n## ", 1)[0]
    assert f"Python {version}" in english and "python3 -m venv" in english
