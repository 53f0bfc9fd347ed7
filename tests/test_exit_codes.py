"""Every command says its exit codes in its own --help (a script calling xxgk needs them), and
says them in Chinese: 0, 1 where the command has findings, 2 for usage and files it cannot use."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from toolkit.cli import main

# serve runs until it is stopped: it has no result to give as an exit code
LONG_RUNNING = {"serve"}


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
        elif name not in LONG_RUNNING:
            yield (*prefix, name)


COMMANDS = list(_commands(main))


def test_the_commands_are_found():
    assert {("import",), ("render",), ("inspect",), ("trend",), ("archive", "list")} <= set(COMMANDS)


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_states_the_exit_codes(argv):
    r = CliRunner().invoke(main, [*argv, "--help"])
    assert r.exit_code == 0, r.output
    text = re.sub(r"\s+", "", r.output)
    assert "退出码：0" in text, f"xxgk {' '.join(argv)} --help says no exit codes\n{r.output}"
    assert re.search(r"2[^，。]*用法错误", text), r.output
