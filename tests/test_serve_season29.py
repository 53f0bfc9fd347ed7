"""The sixth fresh-clone trial round (/work/briefs/season29-report.md): the known leftovers of the
collection season and each defect the trial found, as tests that failed before their fix — real
workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.serve_process import csrf_of, links, make_workbook, start_server, write_roster
from tests.test_serve import _need

requests = _need("requests")

YEAR = 2025


@pytest.fixture(scope="module")
def one_district(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("season29")
    roster = tmp / "roster.csv"
    codes = write_roster(roster, ["青川区民政局", "青川区司法局"])
    srv = start_server(tmp / "xxgk.db", roster=roster)
    srv.codes = codes  # type: ignore[attr-defined]
    srv.tmp = tmp  # type: ignore[attr-defined]
    yield srv
    srv.stop()


@pytest.mark.parametrize("how", ["length", "chunked"])
def test_an_upload_cut_short_says_so_not_that_the_form_expired(one_district, how):
    """A multipart body that ends inside the file (the connection dropped, a proxy cut it: the
    closing boundary never came) was said as 表单已失效（缺少或错误的校验码） — the clerk refreshes
    and sends the same form again, not knowing the file never arrived. It says 上传未完成，请重新上传,
    over real HTTP to the real server, and nothing is filed."""
    srv = one_district
    token = links(srv.db)["青川区民政局"]
    s = requests.Session()
    page = s.get(f"{srv.url}/a/{token}", timeout=60).text
    csrf = csrf_of(page)
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
    data = make_workbook(srv.tmp / "mz.xlsx", "青川区民政局", srv.codes[0]).read_bytes()
    body = (
        b'--BOUND\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n'
        + csrf.encode()
        + b'\r\n--BOUND\r\nContent-Disposition: form-data; name="file"; filename="mz.xlsx"\r\n'
        b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        + data
        + b"\r\n--BOUND--\r\n"
    )
    cut = body[: len(body) // 2]
    u = urlparse(srv.url)
    con = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    headers = {"Content-Type": "multipart/form-data; boundary=BOUND", "Cookie": cookie}
    if how == "length":
        con.request("POST", f"/a/{token}/upload", body=cut, headers=headers)
    else:
        con.request(
            "POST",
            f"/a/{token}/upload",
            body=iter([cut[:1000], cut[1000:]]),
            headers=headers,
            encode_chunked=True,
        )
    r = con.getresponse()
    html = r.read().decode("utf-8")
    con.close()
    assert r.status == 400, (r.status, html[-500:])
    assert "上传未完成，请重新上传" in html and "表单已失效" not in html, html[-500:]
    after = s.get(f"{srv.url}/a/{token}", timeout=60).text
    assert "mz.xlsx" not in after  # nothing filed
    # the whole body still goes through
    r = s.post(
        f"{srv.url}/a/{token}/upload", data={"csrf": csrf}, files={"file": ("whole.xlsx", data)}, timeout=60
    )
    assert r.status_code == 200 and "whole.xlsx" in r.text
