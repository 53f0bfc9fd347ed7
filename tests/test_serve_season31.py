"""The seventh fresh-clone trial round (/work/briefs/season31-report.md): the known leftovers of
the collection season and each defect the trial found, as tests that failed before their fix —
real workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.serve_process import PASSWORD
from tests.test_serve import _need

requests = _need("requests")

YEAR = 2025
ROOT = Path(__file__).resolve().parent.parent


def _fetched(c, url: str):
    """A background download (progress page until done) fetched to its end, through the client."""
    while True:
        r = c.get(url)
        with r:
            if r.status_code != 200 or r.mimetype == "application/zip":
                assert r.status_code == 200, r.get_data(as_text=True)[-300:]
                return r.data


def _merge_cli(folder: Path, out: Path) -> str:
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "merge",
            str(folder),
            "--roster",
            str(folder / "名单.csv"),
            "--year",
            str(YEAR),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return cli.stdout + cli.stderr


def test_merge_says_district_summaries_apart_from_agencies(tmp_path):
    """Leftover a: `xxgk merge` of the city's 计入汇总的原件 said 报送情况：已报送 3（计入汇总 3，…） — one
    agency of its own and two districts' summaries counted as three 已报送 rows. It says the
    districts apart (下级地区 2 个: their summaries) and the city's own agencies (本级单位 1 个), as the
    city's page does; the summary workbook's 报送情况 says the same."""
    from tests.test_regions import _setup_city, _submit
    from tests.test_season_trial5 import _client
    from toolkit import season
    from toolkit.store import WebStore

    db, _codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        season.return_version(st, wa, season.state(st, wa).current.id, "请改正")
        _submit(st, "青川区")
    admin = _client(db, "", PASSWORD)
    out = tmp_path / "zip"
    with zipfile.ZipFile(io.BytesIO(_fetched(admin, "/coord/bulk/originals.zip"))) as z:
        z.extractall(out)
    said = _merge_cli(out, tmp_path / "city.xlsx")
    line = next(x for x in said.splitlines() if x.startswith("报送情况："))
    assert "下级地区 2 个：已报送汇总 2（计入汇总 2" in line, said
    assert "本级单位 1 个：已报送 1（计入汇总 1" in line, said
    assert "已报送 3" not in line and "计入汇总 3" not in line, said
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "city.xlsx", read_only=True)
    text = " ".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    wb.close()
    assert "下级地区 2 个" in text and "已报送 3（" not in text
