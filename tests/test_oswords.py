"""No English from the operating system reaches a person: every refusal of a file names its
reason in Chinese (real OS errors, through the real commands)."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys

import pytest

from toolkit.oswords import os_reason

LATIN_WORD = re.compile(r"[A-Za-z]{4,}")  # "Permission", "directory"… (paths are named apart)


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_every_common_error_number_has_chinese_words():
    for name in (
        "ENOENT",
        "EACCES",
        "EPERM",
        "EISDIR",
        "ENOTDIR",
        "ENAMETOOLONG",
        "ELOOP",
        "EIO",
        "ENOSPC",
        "EROFS",
        "EPIPE",  # `xxgk trend --format csv | head`: said "系统错误（错误号 32）"
    ):
        code = getattr(errno, name)
        why = os_reason(OSError(code, os.strerror(code)))
        assert not LATIN_WORD.search(why.replace("Excel", "")), (name, why)
    assert os_reason(OSError(9999, "Some English")) == "系统错误（错误号 9999）"
    assert os_reason(OSError(errno.EEXIST, "File exists"), EEXIST="已有同名文件夹") == "已有同名文件夹"


LONG = "甲" * 100 + ".xlsx"  # 305 bytes in UTF-8: longer than a file name may be (ENAMETOOLONG)


@pytest.mark.parametrize(
    "args",
    [
        ("validate", LONG),
        ("merge", LONG, "-o", "s.xlsx"),
        ("validate", "folder.xlsx"),  # a folder named like a workbook, named explicitly
        ("merge", "inbox", "--roster", "rosterdir", "-o", "s.xlsx"),  # a roster that is a folder
        ("validate", "loop.xlsx"),  # a link pointing at itself
    ],
    ids=["name-too-long", "merge-name-too-long", "workbook-is-a-folder", "roster-is-a-folder", "link-loop"],
)
def test_refusals_name_their_reason_in_chinese(tmp_path, args):
    """The first two said "File name too long" before (the system's words, in brackets)."""
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "rosterdir").mkdir()
    (tmp_path / "inbox").mkdir()
    os.symlink("loop.xlsx", tmp_path / "loop.xlsx")
    r = _run(*args, cwd=tmp_path)
    out = (r.stdout + r.stderr).replace(str(tmp_path), "")
    for name in (LONG, "folder.xlsx", "rosterdir", "loop.xlsx", "inbox", "s.xlsx", "xxgk", "--roster", "-o"):
        out = out.replace(name, "")
    assert r.returncode in (1, 2), out
    assert not LATIN_WORD.search(re.sub(r"\[[A-Z-]+\]|Excel", "", out)), out


def test_the_spool_names_sqlite_failures_in_chinese():
    """The temporary database failing with a reason SQLite words in English (a corrupt page, a
    locked file): the command's one line says it in Chinese, never SQLite's words."""
    import sqlite3

    from toolkit.spool import _message

    for exc in (
        sqlite3.DatabaseError("database disk image is malformed"),
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("database or disk is full"),
        OSError(errno.EROFS, "Read-only file system"),
    ):
        msg = _message(exc).replace(__import__("tempfile").gettempdir(), "")
        assert "临时文件夹" in msg and not LATIN_WORD.search(msg.replace("TMPDIR", "")), msg
