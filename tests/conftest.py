from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.office import soffice_path
from toolkit.spec import FormSpec, load_spec

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOCS = ROOT / "docs"  # the format description, copied from the project's shared spec
REFERENCE = (
    FIXTURES / "reference" / "000_f97a9d76fb144919.txt"
)  # a real published report (密云区融媒体中心 2023)


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return load_spec()


def require_tool(exe: str | None, what: str) -> str:
    """A real application the test needs. Under CI a missing one is a failure, never a skip."""
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {what} is not installed: .ci/run must install it")
        pytest.skip(f"{what} is not installed")
    return exe


@pytest.fixture(scope="session")
def soffice() -> str:
    return require_tool(soffice_path(), "LibreOffice (soffice, package libreoffice-calc)")


@pytest.fixture(scope="session")
def pdftotext() -> str:
    return require_tool(shutil.which("pdftotext"), "pdftotext (package poppler-utils)")


@pytest.fixture(scope="session")
def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    return require_tool(exe, "Chromium (package chromium)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"soffice", "chromium"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.libreoffice)


def run_cli(
    *args: object, cwd: Path = ROOT, minimal_env: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The command as a clerk runs it: a separate process of this checkout's toolkit, real
    stdout/stderr. ``minimal_env`` runs it with PATH alone (no inherited settings)."""
    base = {"PATH": "/usr/bin:/bin"} if minimal_env else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *map(str, args)],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fetched(c, url: str) -> bytes:
    """A background download of serve (a progress page until it is done) fetched to its end,
    through a Flask test client."""
    while True:
        r = c.get(url)
        with r:
            if r.status_code != 200 or r.mimetype == "application/zip":
                assert r.status_code == 200, r.get_data(as_text=True)[-300:]
                return r.data
