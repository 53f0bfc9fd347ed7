"""退回 is a word about the version that stands: a 退回 makes every version the agency sent so far
stop counting (it asks for a new file). Offered on every version, a click on 第1版's form (the first
on the page) un-counted the passing 第2版 that stood — the fresh-clone trial lost an agency's
counted report that way, and so did a coordinator's page left open while the agency corrected its
file. Only the version that stands (the current one; else the newest) can be sent back; any other
is refused with why, and nothing changes."""

from __future__ import annotations

import re

from tests.serve_process import PASSWORD, links, make_workbook, start_server, write_roster
from tests.test_serve import _need
from tests.test_serve_season31 import _plain, _session, _upload
from tests.test_serve_season33 import _agency_id

requests = _need("requests")

NAMES = ["青川区财政局", "青川区教育委员会"]


def _return_forms(page: str) -> list[str]:
    """The versions (their ids) the page offers to send back."""
    return re.findall(
        r'class="return">\s*<input[^>]*name="csrf"[^>]*>\s*<input type="hidden" name="version" value="(\d+)"',
        page,
    )


def _numbers(page: str) -> dict[str, str]:
    """Version id -> 第N版, from the rows of the versions table (each row's forms carry its id)."""
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        n = re.search(r"第(\d+)版", row)
        vid = re.search(r'name="version" value="(\d+)"', row)
        if n and vid:
            out[vid.group(1)] = n.group(1)
    return out


def test_only_the_version_that_stands_can_be_sent_back(tmp_path):
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, NAMES)
    db = tmp_path / "x.db"
    srv = start_server(db, roster=roster)
    try:
        token = links(db)[NAMES[0]]
        bad = make_workbook(tmp_path / "v1.xlsx", NAMES[0], codes[0], valid=False).read_bytes()
        good = make_workbook(tmp_path / "v2.xlsx", NAMES[0], codes[0], k=1).read_bytes()
        assert "T3-BALANCE" in _upload(srv, token, bad, "第一次.xlsx")
        _upload(srv, token, good, "改正后.xlsx")
        s = _session(srv, "", PASSWORD)
        aid = _agency_id(s, srv.url, NAMES[0])
        page = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
        numbers = _numbers(page)
        offered = _return_forms(page)
        assert [numbers[v] for v in offered] == ["2"], (offered, numbers)  # 第2版 stands, alone offered
        first = next(v for v, n in numbers.items() if n == "1")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        # a stale page, or a hand-made request: 第1版 sent back would un-count 第2版
        r = s.post(
            f"{srv.url}/coord/agency/{aid}/return",
            data={"csrf": csrf, "version": first, "note": "请核对表三"},
            timeout=60,
        )
        assert r.status_code == 400, (r.status_code, _plain(r.text)[-600:])
        said = _plain(r.text)
        assert "第1版不是" in said and "第2版" in said and "刷新" in said, said[-600:]
        page = _plain(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text)
        assert "计入汇总的版本" in page and "已退回" not in page, page[:1500]
        clerk = _plain(requests.get(f"{srv.url}/a/{token}", timeout=60).text)
        assert "已退回" not in clerk and "请核对表三" not in clerk, clerk[:1500]
        # the version that stands is sent back as before
        r = s.post(
            f"{srv.url}/coord/agency/{aid}/return",
            data={"csrf": csrf, "version": offered[0], "note": "请补充说明"},
            timeout=60,
        )
        assert r.status_code in (200, 303), r.text[-400:]
        page = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
        assert "已退回（第2版）：请补充说明" in _plain(page), _plain(page)[:1500]
        assert _return_forms(page) == []  # nothing stands until the agency uploads again
    finally:
        srv.stop()
