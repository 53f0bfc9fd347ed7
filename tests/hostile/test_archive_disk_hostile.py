"""``xxgk archive add`` when the archive's disk fills mid-run: the real CLI under 1 GiB of address
space and a file-size limit (SQLite's writes then fail as on a full disk)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import pytest

from tests.serve_process import ROOT, make_workbook, write_roster

resource = pytest.importorskip("resource", reason="POSIX only: RLIMIT_AS, RLIMIT_FSIZE")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (400 * 1024, 400 * 1024))


def test_archive_add_on_a_disk_that_fills_says_so_in_chinese_and_keeps_what_was_stored(tmp_path):
    """It ended with 错误：无法使用档案库 a.db：disk I/O error (SQLite's English). Now the disk is
    named, what was stored before stays, the archive passes its integrity check."""
    codes = write_roster(tmp_path / "roster.csv", ["甲局"])
    inbox = tmp_path / "in"
    inbox.mkdir()
    for k in range(40):
        make_workbook(inbox / f"{k:02d}.xlsx", "甲局", codes[0], k=k)
    db = tmp_path / "a.db"
    r = subprocess.run(
        [sys.executable, "-m", "toolkit", "archive", "add", str(inbox), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=600,
        preexec_fn=_limits,
    )
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "磁盘" in last and "此前已存入的文件保留" in last, last
    assert not re.search(r"disk|I/O|database", last.replace(str(db), "")), last
    stored = r.stdout.count("存入：")
    assert stored >= 1, r.stdout[-2000:]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == stored
