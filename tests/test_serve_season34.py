"""The six leftovers season33 wrote down (/work/briefs/season34.md), as tests that failed before
their fix: real workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import re
from pathlib import Path

from tests.serve_process import PASSWORD, links, make_workbook, start_server, write_roster
from tests.test_serve import _need
from tests.test_serve_season31 import _plain, _session, _upload
from tests.test_serve_season33 import _agency_id, _roster

requests = _need("requests")

YEAR = 2025
NAMES = ["青川区财政局", "青川区教育委员会", "青川区民政局"]


def _table(page: str, table_id: str) -> str:
    m = re.search(rf'<table class="list" id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S)
    return m.group(1) if m else ""


def test_another_agencys_name_with_this_agencys_code_is_not_this_agencys_report(tmp_path):
    """Leftover 1: 财政局's clerk uploads a workbook whose cover names 教育委员会 (another agency of
    the roster) with 财政局's own code. Serve filed it as 财政局's version with a COVER-MISMATCH
    error (a version of its own, 有错误, offered to be chosen), while `xxgk merge` of the same file
    in a folder gives it to 教育委员会 (its name) with a wrong code. Now serve says plainly it is
    another agency's report (copied, or the name typed) and files it as no version of 财政局's;
    merge still gives it to 教育委员会, so the two never count it as 财政局's."""
    from toolkit.merge import merge

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, NAMES)
    stray = make_workbook(tmp_path / "stray.xlsx", NAMES[1], codes[0]).read_bytes()
    db = tmp_path / "x.db"
    srv = start_server(db, roster=roster)
    try:
        page = _plain(_upload(srv, links(db)[NAMES[0]], stray, "教委的表.xlsx"))
        assert "不是本单位的报告" in page, page[:1500]
        assert f"可能是复制了“{NAMES[1]}”的报告" in page, page[:3000]
        s = _session(srv, "", PASSWORD)
        aid = _agency_id(s, srv.url, NAMES[0])
        coord = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
        assert 'id="versions"' not in coord, _plain(coord)[:2000]  # no version of 财政局's
        assert "另一单位的报告" in _plain(_table(coord, "history")), _plain(coord)[:2000]
    finally:
        srv.stop()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "教委的表.xlsx").write_bytes(stray)
    rows = {r.name: r for r in merge([folder], roster=roster, year=YEAR).records}
    assert rows[NAMES[0]].status == "未报送", rows[NAMES[0]]
    assert rows[NAMES[1]].status == "有错误" and not rows[NAMES[1]].included
