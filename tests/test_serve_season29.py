"""The sixth fresh-clone trial round (/work/briefs/season29-report.md): the known leftovers of the
collection season and each defect the trial found, as tests that failed before their fix — real
workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import http.client
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import fetched
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


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _standing(html: str) -> str:
    """The page's 报送情况 line, as read."""
    return _plain(re.search(r'<p class="counts"[^>]*>(.*?)</p>', html, re.S).group(1)).strip()


def test_the_city_says_districts_and_agencies_apart_as_the_district_pages_and_merge_do(tmp_path):
    """Leftover a: the city's 报送情况 line counted the merge's rows — 已报送 3，计入汇总 3 — over one
    agency of its own and two districts of four agencies. It says the districts (2 个, 已上报 1,
    未上报 1) and its own agencies apart, and the agencies counted across them: the district pages'
    计入汇总 figures added up, and what `xxgk merge` of the 计入汇总的原件 zip says on the command
    line (the one rule, :meth:`toolkit.merge.Summary.counted_of`)."""
    import io
    import subprocess
    import sys
    import zipfile

    from tests.serve_process import PASSWORD
    from tests.test_regions import _setup_city, _submit
    from tests.test_season_trial5 import _client
    from toolkit import regions, season
    from toolkit.store import WebStore

    db, _codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        season.return_version(st, wa, season.state(st, wa).current.id, "请改正")
        _submit(st, "青川区")
        t = regions.tree(st, YEAR)
        qc, dh = t.node_at("青川区").region.id, t.node_at("东湖区").region.id
    admin = _client(db, "", PASSWORD)
    city = _standing(admin.get("/coord/summary").get_data(as_text=True))
    assert "下级地区 2 个（已上报 1，未上报 1）" in city, city
    assert "本级单位 1 个：已报送 1（计入汇总 1）" in city, city
    assert "计入汇总 1 个单位和 2 个地区的汇总（共 4 个单位）" in city, city
    assert "已报送 3" not in city and "计入汇总 3" not in city, city
    districts = [_standing(admin.get(f"/coord/summary?region={r}").get_data(as_text=True)) for r in (qc, dh)]
    got = [int(re.search(r"计入汇总 (\d+) 个单位", d).group(1)) for d in districts]
    assert got == [2, 1] and "已退回 1" in districts[1], districts
    r = admin.get("/coord/bulk/originals.zip")
    while r.status_code == 200 and r.mimetype != "application/zip":  # its progress page
        r = admin.get("/coord/bulk/originals.zip")
    out = tmp_path / "zip"
    with r, zipfile.ZipFile(io.BytesIO(r.data)) as z:
        z.extractall(out)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "merge",
            str(out),
            "--roster",
            str(out / "名单.csv"),
            "--year",
            str(YEAR),
            "-o",
            str(tmp_path / "city.xlsx"),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    said = cli.stdout + cli.stderr
    assert "计入 1 个单位和 2 个地区的汇总（共 4 个单位）" in said, said


def _district_renamed(tmp_path: Path, new: str = "示例市/东湖新区") -> Path:
    text = (tmp_path / "r.csv").read_text(encoding="utf-8").replace("示例市/东湖区", new)
    out = tmp_path / "new.csv"
    out.write_text(text, encoding="utf-8")
    return out


def test_a_district_renamed_by_the_roster_keeps_its_account_and_its_submission(tmp_path):
    """Leftover b: a roster whose 上级 renames 示例市/东湖区 to 示例市/东湖新区 (区划调整, the same
    agencies) was only announced: 东湖区's account was refused at login and its 上报 no longer
    counted (东湖新区 未上报). The district is the same one under its new name: its account logs in
    and sees 东湖新区, its 上报 — whose counted inputs are unchanged — still counts at the city (汇总完整),
    the serve start and the 操作记录 say the rename. A change after it says why the 上报 is out of
    date, as for any district."""
    from tests.serve_process import PASSWORD
    from tests.test_regions import DH_PASSWORD
    from tests.test_season_trial5 import _city, _client, city_with_donghu_account
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    db, codes, by_name = city_with_donghu_account(tmp_path, ["东湖区", "青川区"])
    with WebStore(db) as st:
        before = _city(st)
        assert before.complete
    renamed = _district_renamed(tmp_path)
    srv = start_server(db, roster=renamed)
    try:
        said = "".join(srv.stderr)
    finally:
        srv.stop()
    assert "地区“东湖区”更名为“东湖新区”" in said and "无法登录" not in said, said
    assert "donghu" in said and "上报的汇总仍计入" in said, said
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        assert t.node_at("东湖区") is None and t.node_at("东湖新区") is not None
        assert not regions.gone_messages(st, YEAR, t, t)
        s = _city(st)
        rec = next(r for r in s.records if r.roster_name == "东湖新区")
        assert rec.included and s.complete, (rec.note, [f.message for f in s.findings])
        assert s.submission.values == before.submission.values
        assert not _changes_at(st, "东湖新区")
    district = _client(db, "donghu", DH_PASSWORD)
    page = district.get("/coord").get_data(as_text=True)
    assert "东湖新区" in page and "东湖区民政局" in page and "本账号所属的地区不在" not in page
    summary = district.get("/coord/summary").get_data(as_text=True)
    assert "已于" in summary and "上报" in summary and 'id="stale"' not in summary
    admin = _client(db, "", PASSWORD)
    assert "地区更名" in admin.get("/coord/log").get_data(as_text=True)
    city = admin.get("/coord/summary").get_data(as_text=True)
    assert "下级地区 2 个（已上报 2）" in _standing(city) and "汇总完整" in city
    # a change below it now: the 上报 is out of date, said as for any district
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        data = make_workbook(tmp_path / "dh.xlsx", wa.name, codes[4], k=77).read_bytes()
        season.receive(st, st.web_agency(id=wa.id), data, "更正.xlsx", year=YEAR)
        ch = _changes_at(st, "东湖新区")
        assert ch and "东湖区司法局 有新的上传" in ch.text()
    # the same roster again: nothing renamed twice, nothing said again
    srv = start_server(db, roster=renamed)
    try:
        assert "更名为" not in "".join(srv.stderr)
    finally:
        srv.stop()
    _ = (read_roster, Keys)


def _changes_at(st, place: str):
    from toolkit import regions, season

    t = regions.tree(st, YEAR)
    by_id = {s.agency.id: s for s in season.states(st, YEAR)}
    return regions.changes_since_submit(st, YEAR, t, t.node_at(place), by_id)


def test_the_counted_originals_reuse_the_summary_and_each_server_keeps_its_own_files(tmp_path, monkeypatch):
    """Leftover d: 下载计入汇总的原件 summed the region again although its summary page had just
    been summed over the same inputs (a province's city summary: minutes); and the folder the bulk
    zips wait in was the module's, shared by every server of the process. The zip is built from
    the finished summary (the merge runs once while nothing changes, and again after an upload),
    and two servers in one process keep their zips apart."""
    import importlib
    import zipfile

    from tests.serve_process import PASSWORD
    from tests.test_regions import _setup_city
    from tests.test_season_trial5 import _client
    from toolkit import season
    from toolkit.store import WebStore

    merge_module = importlib.import_module("toolkit.merge")
    calls: list[int] = []
    real = merge_module.merge

    def counting(*a, **k):  # the real merge, counted
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(merge_module, "merge", counting)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    db, codes, by_name = _setup_city(one)
    db2, _c2, _b2 = _setup_city(two)
    admin = _client(db, "", PASSWORD)
    assert admin.get("/coord/summary").status_code == 200
    summed = len(calls)
    assert summed >= 1
    data = fetched(admin, "/coord/bulk/originals.zip")
    assert len(calls) == summed, "the originals zip summed the region again"
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        assert "示例市财政局.xlsx" in z.namelist()
    with WebStore(db) as st:  # an upload: summed anew, once, for the page and the zip alike
        wa = by_name["示例市财政局"]
        new = make_workbook(one / "new.xlsx", wa.name, codes[0], k=55).read_bytes()
        season.receive(st, wa, new, "更正.xlsx", year=YEAR)
    fetched(admin, "/coord/bulk/originals.zip")
    after = len(calls)
    assert after > summed
    assert admin.get("/coord/summary").status_code == 200 and len(calls) == after
    # two servers, one process: each its own folder for the zips waiting to be fetched
    other = _client(db2, "", PASSWORD)
    fetched(other, "/coord/bulk/annotated.zip")
    apps = [c.application.extensions["xxgk"] for c in (admin, other)]
    folders = [a.files_folder() for a in apps]
    assert folders[0] != folders[1] and all(Path(f).is_dir() for f in folders)
    assert list(Path(folders[0]).glob("*.zip")) and list(Path(folders[1]).glob("*.zip"))


def test_an_agency_whose_only_upload_is_another_agencys_report_is_told_why_everywhere(tmp_path):
    """Trial: 青川区教育委员会 sent 东湖区民政局's workbook through its link (not filed: 名单中的另一单位).
    Its dashboard row said 计入汇总的版本 “—” without a reason (a faulty file says “—（X 有错误，未计入）”),
    and its 催报 text said 校验有错误 — the clerk looks for an error in a report that was never
    theirs. The row names the file and that it is not the agency's report; the 催报 text says to
    send the agency's own report."""
    from tests.serve_process import PASSWORD
    from tests.test_season_trial5 import _client
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys, hash_password

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区教育委员会", "青川区民政局"])
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(roster).entries, Keys.for_db(db).fresh_token)
        regions.ensure_root_account(st, hash_password(PASSWORD))
        jw = next(a for a in st.web_agencies(YEAR) if a.name == "青川区教育委员会")
        other = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[1]).read_bytes()
        season.receive(st, jw, other, "民政局的表.xlsx", year=YEAR)
        st_ = season.state(st, jw)
        assert st_.status == season.INVALID and st_.current is None
        text = season.reminder_text(YEAR, st_, None, "http://x/a/t")
    assert "不是本单位的报告" in text and "民政局的表.xlsx" in text and "校验有错误" not in text, text
    admin = _client(db, "", PASSWORD)
    page = admin.get("/coord").get_data(as_text=True)
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*青川区教育委员会(?:(?!</tr>).)*</tr>", page, re.S).group(0)
    assert "—（民政局的表.xlsx 不是本单位的报告，未计入）" in _plain(row), _plain(row)
    remind = admin.get("/coord/remind").get_data(as_text=True)
    assert "不是本单位的报告" in remind


def test_the_city_sees_why_a_district_is_incomplete_and_its_bars_are_not_called_agencies(tmp_path):
    """Trial: the city's summary said 汇总不完整 and each district 不完整, but nowhere why — its
    未计入汇总的单位 lists only the city's own agencies. Each district's row says what its summary
    counts and leaves out (the district's own 报送情况 line, as its page says it). And the bars
    headed 各单位本年新收申请 listed 东湖区 and 青川区 as agencies: on a region with districts the
    heading says 本级单位和下级地区."""
    from tests.serve_process import PASSWORD
    from tests.test_regions import _setup_city, _submit
    from tests.test_season_trial5 import _client
    from toolkit import regions, season
    from toolkit.store import WebStore

    db, _codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        season.return_version(st, wa, season.state(st, wa).current.id, "请改正")
        _submit(st, "东湖区")
        dh = regions.tree(st, YEAR).node_at("东湖区").region.id
    admin = _client(db, "", PASSWORD)
    city = admin.get("/coord/summary").get_data(as_text=True)
    row = _plain(re.search(r'<tr data-region="东湖区">(.*?)</tr>', city, re.S).group(1))
    district = _standing(admin.get(f"/coord/summary?region={dh}").get_data(as_text=True))
    said = district.removeprefix("报送情况：").split(" · ")[0]
    assert "不完整" in row and said in row, (row, said)
    qc_row = _plain(re.search(r'<tr data-region="青川区">(.*?)</tr>', city, re.S).group(1))
    assert "完整" in qc_row and "已报送" not in qc_row  # a complete one needs no reason
    assert "各单位本年新收申请" not in city and "本级单位和下级地区本年新收申请" in city
    assert "各单位本年新收申请" in admin.get(f"/coord/summary?region={dh}").get_data(as_text=True)


def test_districts_and_links_come_in_the_rosters_order(tmp_path):
    """Trial: the roster lists 示例市财政局, then 青川区's agencies, then 东湖区's; the city's pages
    listed 东湖区 before 青川区 (sorted by the characters' code points: no order a person knows), and
    the 报送链接 page numbered 东湖区民政局 2 — not the roster's order the coordinator hands the
    links out by. Districts come in the order the roster first names them, the links in roster
    order."""
    from tests.serve_process import PASSWORD
    from tests.test_regions import AGENCIES, _setup_city
    from tests.test_season_trial5 import _client

    db, _codes, _by = _setup_city(tmp_path)
    admin = _client(db, "", PASSWORD)
    dash = _plain(admin.get("/coord").get_data(as_text=True))
    assert dash.index("青川区") < dash.index("东湖区"), dash[:400]
    summary = _plain(admin.get("/coord/summary").get_data(as_text=True))
    assert summary.index("青川区") < summary.index("东湖区")
    page = admin.get("/coord/links").get_data(as_text=True)
    listed = re.findall(r"<td><a [^>]*>([^<]+)</a></td>", page)
    assert listed == [n for n, _p in AGENCIES], listed
    rows = admin.get("/coord/links.csv").get_data(as_text=True).lstrip("\ufeff").splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == [n for n, _p in AGENCIES]


def test_a_file_that_cannot_be_marked_up_offers_its_list_of_problems_by_that_name(one_district):
    """Trial: a clerk sent a PDF (the printed report); the page offered 下载批注版（问题单元格标红并附说明）
    and gave report_问题清单.xlsx — no cell of theirs marked up. The button, and the coordinator's
    link beside the upload, say 问题清单 for a file that cannot be marked up, 批注版 for a workbook."""
    srv = one_district
    token = links(srv.db)["青川区司法局"]
    s = requests.Session()
    csrf = csrf_of(s.get(f"{srv.url}/a/{token}", timeout=60).text)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = s.post(
        f"{srv.url}/a/{token}/upload", data={"csrf": csrf}, files={"file": ("年报.pdf", pdf)}, timeout=60
    )
    assert r.status_code == 200 and "FILE-UNREADABLE" in r.text
    button = re.search(r'id="download-annotated" href="([^"]+)">([^<]+)<', r.text)
    assert button.group(2) == "下载问题清单（xlsx）", button.group(2)
    got = s.get(srv.url + button.group(1).replace("&amp;", "&"), timeout=60)
    assert "问题清单" in requests.utils.unquote(got.headers["Content-Disposition"])
    bad = make_workbook(srv.tmp / "bad.xlsx", "青川区司法局", srv.codes[1], valid=False).read_bytes()
    r = s.post(
        f"{srv.url}/a/{token}/upload", data={"csrf": csrf}, files={"file": ("表.xlsx", bad)}, timeout=60
    )
    assert (
        re.search(r'id="download-annotated" href="[^"]+">([^<]+)<', r.text).group(1).startswith("下载批注版")
    )
