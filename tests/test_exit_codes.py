"""Every command says its exit codes in its own --help (a script calling xxgk needs them), and
says them in Chinese: 0, 1 where the command has findings, 2 for usage and files it cannot use."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from toolkit.cli import main


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = list(_commands(main))


def test_the_commands_are_found():
    assert {("import",), ("render",), ("inspect",), ("trend",), ("archive", "list"), ("serve",)} <= set(
        COMMANDS
    )


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_states_the_exit_codes(argv):
    r = CliRunner().invoke(main, [*argv, "--help"])
    assert r.exit_code == 0, r.output
    text = re.sub(r"\s+", "", r.output)
    assert "退出码：0" in text, f"xxgk {' '.join(argv)} --help says no exit codes\n{r.output}"
    assert re.search(r"2[^，。]*用法错误", text), r.output


def test_serve_stops_with_0_and_cannot_start_with_2(tmp_path):
    """serve runs until stopped: Ctrl+C is a normal stop (0); what keeps it from starting (no
    roster for a new archive, a port in use) is 2, as its --help says."""
    import os
    import signal
    import socket
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "toolkit", "serve", "--db", str(tmp_path / "x.db")]
    r = subprocess.run(
        [*cmd, "--port", "0"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert r.returncode == 2 and "--roster" in r.stderr, r.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        roster = ROOT / "samples" / "roster.csv"
        start = [*cmd, "--roster", str(roster), "--year", "2025", "--port", str(port), "--set-password"]
        pw = "示例口令12345678\n" * 2
        r = subprocess.run(
            start, input=pw, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )
        assert r.returncode == 2 and "已被占用" in r.stderr, r.stderr
    p = subprocess.Popen(
        [*cmd, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        seen = ""
        while "已启动" not in seen:  # no wall-clock limit: the line comes when the server is up
            line = p.stdout.readline()
            assert line, seen
            seen += line
        p.send_signal(signal.SIGINT)
        assert p.wait() == 0, p.stdout.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
