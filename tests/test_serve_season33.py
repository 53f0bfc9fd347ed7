"""The leftovers season32 wrote down (/work/briefs/season33.md), as tests that failed before their
fix: real workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from tests.serve_process import PASSWORD, links, make_workbook, start_server, write_roster
from tests.test_serve import _need
from tests.test_serve_season31 import _plain, _session, _upload

requests = _need("requests")

YEAR = 2025


def _roster(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        for name, code in rows:
            w.writerow([name, code, "示例市青川区"])
    return path


def _history_names(s, url: str, name: str) -> list[str]:
    dash = s.get(f"{url}/coord", timeout=60).text
    aid = re.search(rf'href="/coord/agency/(\d+)"[^>]*>{name}<', dash).group(1)
    page = s.get(f"{url}/coord/agency/{aid}", timeout=60).text
    body = re.search(r'<table class="list" id="history">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return re.findall(r"[\w（）]+\.xlsx", _plain(body))


def test_codes_swapped_and_swapped_back_keep_each_agency_its_link_and_uploads(tmp_path):
    """Leftover 2: a roster exchanging two agencies' codes (民政局 ↔ 司法局), then a roster
    exchanging them back. Serve said “青川区民政局”不在新名单中 about agencies the new roster lists,
    gave them new links and left the uploads on the old ones; the swap back then removed the newer
    links and their uploads. Each change is said as what it is (代码变更, 互换), every link keeps
    working and each agency keeps all its uploads, through the round trip."""
    names = ["青川区民政局", "青川区司法局", "青川区财政局"]
    codes = write_roster(tmp_path / "r1.csv", names)
    first = tmp_path / "r1.csv"
    swapped = _roster(tmp_path / "r2.csv", [(names[0], codes[1]), (names[1], codes[0]), (names[2], codes[2])])
    db = tmp_path / "x.db"
    srv = start_server(db, roster=first)
    try:
        tokens = links(db)
        for i, name in enumerate(names[:2]):
            _upload(
                srv,
                tokens[name],
                make_workbook(tmp_path / f"{i}.xlsx", name, codes[i]).read_bytes(),
                f"第一份{i}.xlsx",
            )
    finally:
        srv.stop()
    for round_, (roster, now) in enumerate(
        ((swapped, (codes[1], codes[0])), (first, (codes[0], codes[1]))), 1
    ):
        srv = start_server(db, roster=roster)
        try:
            said = "".join(srv.stderr)
            assert "不在新名单中" not in said and "不在本名单中" not in said, said
            assert "新生成报送链接 0 个" in said, said
            for name, was, new in ((names[0], now[1], now[0]), (names[1], now[0], now[1])):
                assert f"“{name}”的统一社会信用代码由 {was} 改为 {new}" in said, said
            assert "互换" in said, said
            assert links(db) == tokens  # the same links, none new, none off the roster
            for i, name in enumerate(names[:2]):
                data = make_workbook(tmp_path / f"{round_}{i}.xlsx", name, now[i], k=round_).read_bytes()
                page = _plain(_upload(srv, tokens[name], data, f"第{round_ + 1}份{i}.xlsx"))
                assert "通过" in page, page[:800]
            s = _session(srv, "", PASSWORD)
            for i, name in enumerate(names[:2]):
                want = [f"第{k + 1}份{i}.xlsx" for k in range(round_, -1, -1)]
                want[-1] = f"第一份{i}.xlsx"
                assert _history_names(s, srv.url, name) == want
            log = _plain(s.get(f"{srv.url}/coord/log", timeout=60).text)
            assert log.count("名单：代码变更") == 2 * round_, log[:2000]
            assert "名单：移出单位" not in log and "名单：新增单位" not in log, log[:2000]
        finally:
            srv.stop()
