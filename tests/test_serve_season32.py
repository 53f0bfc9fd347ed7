"""The leftovers the seventh trial wrote down (/work/briefs/season31-report.md, "Seen, not
defects"), as tests that failed before their fix: real workbooks, the real server over HTTP, the
real archive, and ``xxgk merge`` of a real extracted zip."""

from __future__ import annotations

import re
from pathlib import Path

from tests.serve_process import PASSWORD, links, make_workbook, start_server, write_roster
from tests.test_serve import _need
from tests.test_serve_season31 import _plain, _return_version, _session, _upload

requests = _need("requests")

YEAR = 2025


def _agency_id(s, url: str, name: str) -> str:
    dash = s.get(f"{url}/coord", timeout=60).text
    return re.search(rf'href="/coord/agency/(\d+)"[^>]*>{name}<', dash).group(1)


def _history(page: str) -> list[str]:
    """The rows of a page's 上传记录 table, as plain text, newest first."""
    body = re.search(r'<table class="list" id="history">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [_plain(x).strip() for x in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_coordinators_history_names_another_agencys_report_as_that(tmp_path):
    """Leftover 1: 青川区司法局 uploaded 青川区民政局's workbook. The dashboard and 催报 say it is
    another agency's report, but the coordinator's agency page listed the upload as 有错误 1 错 —
    as if 司法局's own report had an error to correct. The row says 另一单位的报告; an agency's
    own faulty report still says 有错误."""
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局", "青川区司法局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        other = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[0]).read_bytes()
        bad = make_workbook(tmp_path / "sf.xlsx", "青川区司法局", codes[1], valid=False).read_bytes()
        _upload(srv, tokens["青川区司法局"], bad, "司法局.xlsx")  # its own, with an error
        _upload(srv, tokens["青川区司法局"], other, "民政局的表.xlsx")  # another agency's report
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/agency/{_agency_id(s, srv.url, '青川区司法局')}", timeout=60).text
        rows = _history(page)
        assert "民政局的表.xlsx" in rows[0] and "另一单位的报告" in rows[0], rows
        assert "有错误" not in rows[0], rows
        assert "司法局.xlsx" in rows[1] and "有错误" in rows[1] and "另一单位" not in rows[1], rows
    finally:
        srv.stop()


def test_a_returned_version_is_shown_as_returned_with_the_note_not_as_a_pass(tmp_path):
    """Leftover 2: after a 退回, the coordinator's agency page showed the version sent back under
    最近上传 with a green 未发现问题 — its checks' verdict, read as a pass. It says 已退回 with the
    coordinator's note."""
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        data = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[0]).read_bytes()
        _upload(srv, tokens["青川区民政局"], data, "民政局.xlsx")
        s = _session(srv, "", PASSWORD)
        aid = _agency_id(s, srv.url, "青川区民政局")
        note = "第二部分行政许可数量与去年差异较大，请核对"
        r = _return_version(s, srv.url, aid, note)
        assert r.status_code == 200, r.text[-300:]
        page = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
        top = page[page.index("<h1") : page.index('id="versions"')]
        assert "未发现问题" not in top and 'class="verdict ok"' not in top, _plain(top)
        verdict = _plain(re.search(r'<p class="verdict[^"]*"[^>]*>(.*?)</p>', top, re.S).group(1))
        assert "已退回" in verdict and note in verdict, verdict
        assert "民政局.xlsx" in _plain(top), _plain(top)
    finally:
        srv.stop()


def test_the_same_content_under_a_new_name_is_said_to_be_the_version_received(tmp_path):
    """Leftover 3: the same bytes uploaded again as 民政局（定稿）.xlsx were silently the same
    version filed anew: the clerk saw 通过 as for a new file, and both histories listed two
    uploads as if two reports. The archive keeps one version (the same SHA-256); the result page
    and both histories say the new upload is the same content as 第1版, and no 第2版 appears."""
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        token = links(srv.db)["青川区民政局"]
        data = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[0]).read_bytes()
        first = _plain(_upload(srv, token, data, "民政局.xlsx"))
        assert "内容相同" not in first, first
        again = _plain(_upload(srv, token, data, "民政局（定稿）.xlsx"))
        verdict = again[again.index("③ 校验结果") : again.index("上传记录")]
        assert "与第1版" in verdict and "内容完全相同" in verdict and "SHA-256" in verdict, verdict
        assert "民政局.xlsx" in verdict, verdict  # which upload it is the same as
        clerk = _history(requests.get(f"{srv.url}/a/{token}", timeout=60).text)
        assert len(clerk) == 2 and "与第1版内容相同" in clerk[0] and "内容相同" not in clerk[1], clerk
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/agency/{_agency_id(s, srv.url, '青川区民政局')}", timeout=60).text
        rows = _history(page)
        assert len(rows) == 2 and "与第1版内容相同" in rows[0] and "内容相同" not in rows[1], rows
        versions = re.search(r'<table class="list" id="versions">.*?<tbody>(.*?)</tbody>', page, re.S).group(
            1
        )
        assert versions.count("<tr>") == 1 and "第2版" not in page, _plain(versions)
    finally:
        srv.stop()


def test_merge_of_the_originals_zip_does_not_count_its_own_note_as_skipped(tmp_path):
    """Leftover 4: ``xxgk merge`` of the folder extracted from 下载计入汇总的原件 said 跳过 1 —
    跳过：说明.txt，纯文本文件，不是填报表: the zip's own note, written for the very person running
    the merge, listed as an input left out. The note (and 名单.csv, given as --roster) is the
    zip's, not an input; a file that is truly not a report (备注.txt, another 说明.txt of other
    words) is still listed as 跳过."""
    import io
    import zipfile

    from tests.conftest import fetched
    from tests.test_regions import _setup_city
    from tests.test_season_trial5 import _client
    from tests.test_serve_season31 import _merge_cli

    db, _codes, _by = _setup_city(tmp_path)
    admin = _client(db, "", PASSWORD)
    out = tmp_path / "zip"
    with zipfile.ZipFile(io.BytesIO(fetched(admin, "/coord/bulk/originals.zip"))) as z:
        assert "说明.txt" in z.namelist() and "名单.csv" in z.namelist()
        z.extractall(out)
    said = _merge_cli(out, tmp_path / "city.xlsx")
    assert (tmp_path / "city.xlsx").is_file(), said
    assert "跳过" not in said and "说明.txt" not in said, said
    (out / "备注.txt").write_text("收到的文件\n", encoding="utf-8")
    (out / "其他").mkdir()
    (out / "其他" / "说明.txt").write_text("本文件夹是各单位的说明\n", encoding="utf-8")
    said = _merge_cli(out, tmp_path / "city2.xlsx")
    line = next(x for x in said.splitlines() if x.startswith("报送情况："))
    assert "跳过 2" in line, said
    assert "跳过：备注.txt" in said and "跳过：说明.txt" in said, said  # 其他/说明.txt: not the zip's
    from toolkit.validate import scan_paths

    skipped = {Path(f).relative_to(out).as_posix() for f, _why in scan_paths([out]).skipped}
    assert skipped == {"备注.txt", "其他/说明.txt", "名单.csv"}, skipped  # the roster: merge leaves it


def test_the_log_names_regions_as_they_were_called_at_the_time(tmp_path):
    """Leftover 5: after a 区划调整 (东湖区 → 东湖新区, then the city 示例市 → 示例新市), the 操作记录
    showed every past entry under the new names — donghu（东湖新区） sending back a version on a
    day 东湖新区 did not exist, admin（示例新市） for the 上报 of before. Each entry keeps the names of
    its time (the actor's region and the region it concerns); entries after the change carry the
    new ones."""
    from tests.test_regions import DH_PASSWORD
    from tests.test_season_trial5 import city_with_donghu_account
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    db, _codes, by_name = city_with_donghu_account(tmp_path, ["东湖区"])  # admin 上报 东湖区
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        season.return_version(st, wa, season.state(st, wa).current.id, "旧名时退回", actor="donghu")
    district, city = _renamed_rosters(tmp_path)
    with WebStore(db) as st:
        for roster in (district, city):
            regions.register(st, YEAR, read_roster(roster).entries, Keys.for_db(db).fresh_token)
        assert regions.tree(st, YEAR).node_at("东湖新区") is not None
        wa = next(a for a in st.web_agencies(YEAR) if a.name == "东湖区民政局")
        season.return_version(st, wa, season.state(st, wa).current.id, "新名时退回", actor="donghu")
    srv = start_server(db)
    try:
        s = _session(srv, "", PASSWORD)
        rows = _log_rows(s, srv.url)
        old = next(r for r in rows if r[6] == "旧名时退回")
        assert old[1:3] == ["donghu（东湖区）", "东湖区"], old
        sub = next(r for r in rows if r[4] == "上报汇总")
        assert sub[1:3] == ["admin（示例市）", "东湖区"], sub
        new = next(r for r in rows if r[6] == "新名时退回")
        assert new[1:3] == ["donghu（东湖新区）", "东湖新区"], new
        # the district's own coordinator reads its own log the same way
        d = _session(srv, "donghu", DH_PASSWORD)
        mine = _plain(d.get(f"{srv.url}/coord/log", timeout=60).text)
        assert "donghu（东湖区） 东湖区 东湖区司法局 退回" in mine, mine[:1500]
    finally:
        srv.stop()


def test_an_archive_of_before_gets_the_logs_names_and_reads_its_old_entries(tmp_path):
    """Leftover 5, the archive of an earlier serve (its 操作记录 without the names of the time): it
    opens, its entries read, new entries keep their names."""
    from tests.test_regions import _setup_city
    from toolkit import season
    from toolkit.store import WebStore

    db, _codes, by_name = _setup_city(tmp_path)
    wa = by_name["青川区司法局"]
    with WebStore(db) as st:
        season.return_version(st, wa, season.state(st, wa).current.id, "以前的记录", actor="admin")
    _as_before(db)
    with WebStore(db) as st:
        wa = st.web_agency(id=wa.id)
        season.choose(st, wa, None, actor="admin")
        old, new = (
            next(x for x in st.web_events(YEAR) if x.note == "以前的记录"),
            next(x for x in st.web_events(YEAR) if x.action == "rule"),
        )
    assert (old.region_name, old.actor_place) == (None, None)
    assert (new.region_name, new.actor_place) == ("青川区", "示例市"), new


def _as_before(db) -> None:
    """The archive's 操作记录 table as serve made it before it kept the names of the time
    (season31): the same rows without the two columns."""
    import sqlite3

    con = sqlite3.connect(db)
    cols = "id, year, web_agency_id, action, version_id, note, actor, at, region_id"
    con.executescript(
        f"""CREATE TABLE was AS SELECT {cols} FROM web_events; DROP TABLE web_events;
        CREATE TABLE web_events (id INTEGER PRIMARY KEY, year INTEGER NOT NULL,
            web_agency_id INTEGER REFERENCES web_agencies(id), action TEXT NOT NULL, version_id INTEGER,
            note TEXT NOT NULL DEFAULT '', actor TEXT NOT NULL, at TEXT NOT NULL,
            region_id INTEGER REFERENCES web_regions(id));
        INSERT INTO web_events SELECT * FROM was; DROP TABLE was;"""
    )
    con.close()


def _renamed_rosters(tmp_path):
    """The city's roster with 东湖区 renamed 东湖新区, and then also 示例市 renamed 示例新市."""
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    district = tmp_path / "d.csv"
    district.write_text(text.replace("示例市/东湖区", "示例市/东湖新区"), encoding="utf-8")
    city = tmp_path / "c.csv"
    city.write_text(
        district.read_text(encoding="utf-8")
        .replace(",示例市/", ",示例新市/")
        .replace(",示例市\n", ",示例新市\n")
        .replace(",示例市\r\n", ",示例新市\r\n"),
        encoding="utf-8",
    )
    return district, city


def _log_rows(s, url: str) -> list[list[str]]:
    """The 操作记录 page's rows: 时间 操作人 地区 单位 操作 版本 说明."""
    log = s.get(f"{url}/coord/log", timeout=60).text
    rows = [
        [_plain(c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr>(.*?)</tr>", log, re.S)
    ]
    return [r for r in rows if len(r) == 7]


def test_entries_of_an_archive_of_before_show_the_names_of_their_time_after_a_rename(tmp_path):
    """Leftover 5 for the archives serve already holds: entries logged before the log kept names
    (NULL), then a 区划调整. Their names of the time are known from the log itself: each 地区更名
    entry says 地区“旧”更名为“新” — an entry before it was made under the old name."""
    from tests.test_season_trial5 import city_with_donghu_account
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    db, _codes, by_name = city_with_donghu_account(tmp_path, ["东湖区"])
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        season.return_version(st, wa, season.state(st, wa).current.id, "旧名时退回", actor="donghu")
    _as_before(db)
    with WebStore(db) as st:
        for roster in _renamed_rosters(tmp_path):
            regions.register(st, YEAR, read_roster(roster).entries, Keys.for_db(db).fresh_token)
    srv = start_server(db)
    try:
        rows = _log_rows(_session(srv, "", PASSWORD), srv.url)
        old = next(r for r in rows if r[6] == "旧名时退回")
        assert old[1:3] == ["donghu（东湖区）", "东湖区"], old
        sub = next(r for r in rows if r[4] == "上报汇总")
        assert sub[1:3] == ["admin（示例市）", "东湖区"], sub
        renamed = [r for r in rows if r[4] == "名单：地区更名"]
        assert [r[2] for r in renamed] == ["示例新市", "东湖新区"], renamed  # newest first
    finally:
        srv.stop()
