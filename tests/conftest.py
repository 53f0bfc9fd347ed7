from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.office import soffice_path
from toolkit.spec import FormSpec, load_spec

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    return load_spec()


@pytest.fixture(scope="session")
def soffice() -> str:
    """The LibreOffice binary. Under CI a missing soffice is a failure, never a skip."""
    exe = soffice_path()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CI=true but soffice (LibreOffice) is not installed: .ci/run must install libreoffice-calc"
            )
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"soffice", "chromium"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.libreoffice)
