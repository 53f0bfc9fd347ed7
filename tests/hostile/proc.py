"""The shape every tests/hostile subprocess shares: ``python -m toolkit`` (or a script) in a child
with an address-space limit, no core files, optionally a file-size limit, this checkout first on
its path."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MEMORY = 1 << 30  # RLIMIT_AS: 1 GiB, as tests/hostile/test_hostile.py runs every command
PASSWORD = "协调人-test-密码-2025"


def limits(memory: int = MEMORY, fsize: int | None = None, cpu: int | None = None) -> Callable[[], None]:
    """A ``preexec_fn``: ``memory`` bytes of address space, no core file, files of at most
    ``fsize`` bytes (a full disk, as SQLite and the libraries meet it), at most ``cpu`` seconds of
    processor time (a hang guard a loaded machine does not reach: waiting uses none)."""

    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if cpu is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    return apply


def run_xxgk(
    argv: list[str],
    *,
    cwd: str | os.PathLike[str] = ROOT,
    input: str | bytes | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 300,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``xxgk argv`` in a child; ``input`` as text, or as bytes (what is not UTF-8); its output
    as text. ``timeout`` is only a hang guard."""
    r = subprocess.run(
        [sys.executable, "-m", "toolkit", *argv],
        input=input.encode() if isinstance(input, str) else input,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})},
        timeout=timeout,
        preexec_fn=preexec_fn if preexec_fn is not None else limits(),
    )
    out, err = (b.decode("utf-8", "replace") for b in (r.stdout, r.stderr))
    return subprocess.CompletedProcess(r.args, r.returncode, out, err)


def serve_set_password(
    argv: list[str], password: str | bytes = PASSWORD, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """``xxgk serve … --set-password`` with ``password`` piped as its line: for the runs that
    are expected to refuse before serving (a server that starts would not return)."""
    line = password + "\n" if isinstance(password, str) else password + b"\n"
    return run_xxgk(["serve", *argv, "--set-password"], input=line, **kw)


def run_python(
    code: str, *, memory: int = MEMORY, cpu: int | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """``code`` in a child Python under ``memory`` bytes of address space (and ``cpu`` seconds)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=timeout,
        preexec_fn=limits(memory, cpu=cpu),
    )
