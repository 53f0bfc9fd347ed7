"""``xxgk archive add`` when the archive's disk fills mid-run: the real CLI under 1 GiB of address
space and a file-size limit (SQLite's writes then fail as on a full disk)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.hostile.proc import limits, run_xxgk
from tests.serve_process import make_workbook, write_roster

resource = pytest.importorskip("resource", reason="POSIX only: RLIMIT_AS, RLIMIT_FSIZE")


def test_archive_add_on_a_disk_that_fills_says_so_in_chinese_and_keeps_what_was_stored(tmp_path):
    """It ended with 错误：无法使用档案库 a.db：disk I/O error (SQLite's English). Now the disk is
    named, what was stored before stays (every file stored before the disk filled is there), the
    archive passes its integrity check."""
    codes = write_roster(tmp_path / "roster.csv", ["甲局"])
    inbox = tmp_path / "in"
    inbox.mkdir()
    for k in range(40):
        make_workbook(inbox / f"{k:02d}.xlsx", "甲局", codes[0], k=k)
    db = tmp_path / "a.db"
    r = run_xxgk(
        ["archive", "add", str(inbox), "--db", str(db)],
        cwd=tmp_path,
        timeout=600,
        preexec_fn=limits(fsize=400 * 1024),
    )
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "磁盘" in last and "此前存入的内容保持不变" in last, last
    assert not re.search(r"disk|I/O|database", last.replace(str(db), "")), last
    stored = r.stdout.count("存入：")
    assert stored >= 1, r.stdout[-2000:]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == stored


@pytest.mark.parametrize(
    "argv",
    [
        ["template", "-o", "out.xlsx"],
        ["render", "in.xlsx", "--draft", "-o", "out.docx"],
        ["import", "in.txt", "-o", "out.xlsx"],
    ],
    ids=["template", "render-docx", "import"],
)
def test_an_output_that_meets_a_full_disk_is_one_chinese_line(tmp_path, argv):
    """xlsxwriter says a full disk as its own FileCreateError (not an OSError): the commands that
    write through it ended in a traceback, and Python's "Exception ignored in ZipFile.__del__"
    followed. Now one line, exit 2, no output file left."""
    from tests.serve_process import make_workbook

    codes = write_roster(tmp_path / "roster.csv", ["甲局"])
    make_workbook(tmp_path / "in.xlsx", "甲局", codes[0])
    if argv[0] == "import":  # a text report: its workbook is what meets the full disk
        from tests.pdf_fixtures import known_values
        from tests.report_texts import make_report

        (tmp_path / "in.txt").write_text(make_report(known_values(3)), encoding="utf-8")
        argv = ["import", "in.txt", "-o", "out.xlsx"]

    r = run_xxgk(argv, cwd=tmp_path, preexec_fn=limits(fsize=8 * 1024))
    assert r.returncode == 2, r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr[-3000:]
    assert r.stderr.strip().splitlines()[-1].startswith("错误："), r.stderr[-1000:]
    assert not (tmp_path / argv[-1]).exists()
