"""The leftovers season32 wrote down (/work/briefs/season33.md), as tests that failed before their
fix: real workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import csv
import re
import time
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


def _agency_id(s, url: str, name: str) -> str:
    dash = s.get(f"{url}/coord", timeout=60).text
    return re.search(rf'href="/coord/agency/(\d+)"[^>]*>{name}<', dash).group(1)


def _renamed_then_returned(tmp_path: Path, before=None) -> dict[str, list[str]]:
    """民政局 reports and is sent back; ``before`` (the archive) runs; the roster renames it
    青川区民政和社会事务局 (the same code) and the new name is sent back too. The 操作记录's rows
    by their note: 时间 操作人 地区 单位 操作 版本 说明."""
    from tests.test_serve_season31 import _return_version
    from tests.test_serve_season32 import _log_rows

    names = ["青川区民政局", "青川区司法局"]
    tmp_path.mkdir(exist_ok=True)
    first = tmp_path / "r1.csv"
    codes = write_roster(first, names)
    renamed = _roster(tmp_path / "r2.csv", [("青川区民政和社会事务局", codes[0]), (names[1], codes[1])])
    db = tmp_path / "x.db"
    srv = start_server(db, roster=first)
    try:
        token = links(db)[names[0]]
        _upload(srv, token, make_workbook(tmp_path / "a.xlsx", names[0], codes[0]).read_bytes(), "民政.xlsx")
        s = _session(srv, "", PASSWORD)
        assert _return_version(s, srv.url, _agency_id(s, srv.url, names[0]), "旧名时退回").status_code == 200
    finally:
        srv.stop()
    if before is not None:
        before(db)
    srv = start_server(db, roster=renamed)
    try:
        s = _session(srv, "", PASSWORD)
        new = "青川区民政和社会事务局"
        data = make_workbook(tmp_path / "b.xlsx", new, codes[0], k=1).read_bytes()
        _upload(srv, links(db)[new], data, "民政和社会事务.xlsx")
        assert _return_version(s, srv.url, _agency_id(s, srv.url, new), "新名时退回").status_code == 200
        return {r[6]: r for r in _log_rows(s, srv.url)}
    finally:
        srv.stop()


def test_the_log_names_an_agency_as_it_was_called_at_the_time(tmp_path):
    """Leftover 1: after a 单位更名 (the roster renames 青川区民政局, its code kept), the 操作记录's
    单位 column showed the new name for the 退回 made when it was 青川区民政局 — as the region and
    actor columns no longer do (season32). Each entry keeps the agency's name of its time."""
    rows = _renamed_then_returned(tmp_path)
    assert rows["旧名时退回"][3] == "青川区民政局", rows["旧名时退回"]
    assert rows["新名时退回"][3] == "青川区民政和社会事务局", rows["新名时退回"]
    rename = next(r for r in rows.values() if r[4] == "名单：单位更名")
    assert rename[3] == "青川区民政和社会事务局" and "青川区民政局" in rename[6], rename


def _without_agency_names(db: Path) -> None:
    """The archive's 操作记录 as season32's serve made it: the names of the regions kept, not the
    agency's (the column dropped)."""
    import sqlite3

    con = sqlite3.connect(db)
    cols = "id, year, web_agency_id, action, version_id, note, actor, at, region_id, region_name, actor_place"
    con.executescript(
        f"""CREATE TABLE was AS SELECT {cols} FROM web_events; DROP TABLE web_events;
        CREATE TABLE web_events (id INTEGER PRIMARY KEY, year INTEGER NOT NULL,
            web_agency_id INTEGER REFERENCES web_agencies(id), action TEXT NOT NULL, version_id INTEGER,
            note TEXT NOT NULL DEFAULT '', actor TEXT NOT NULL, at TEXT NOT NULL,
            region_id INTEGER REFERENCES web_regions(id), region_name TEXT, actor_place TEXT);
        INSERT INTO web_events SELECT * FROM was; DROP TABLE was;"""
    )
    con.close()


def test_entries_logged_before_the_log_kept_agency_names_are_named_from_its_renames(tmp_path):
    """Leftover 1, entries an earlier serve logged (no agency name kept), then a 单位更名: named from
    the log's own 单位更名 entries (原名称“青川区民政局”), no migration of the old rows; both an
    archive of season32 (the region names kept) and one of season31 (none kept)."""
    from tests.test_serve_season32 import _as_before

    rows = _renamed_then_returned(tmp_path / "a", _without_agency_names)
    assert rows["旧名时退回"][3] == "青川区民政局", rows["旧名时退回"]
    assert rows["新名时退回"][3] == "青川区民政和社会事务局", rows["新名时退回"]
    rows = _renamed_then_returned(tmp_path / "b", _as_before)
    assert rows["旧名时退回"][3] == "青川区民政局", rows["旧名时退回"]
    assert rows["旧名时退回"][1:3] == ["admin（示例市青川区）", "示例市青川区"], rows["旧名时退回"]
    assert rows["新名时退回"][3] == "青川区民政和社会事务局", rows["新名时退回"]


def _with_a_large_sheet(path: Path, rows: int = 30000) -> bytes:
    """A workbook whose extra sheet is megabytes of XML that compress to little: its 批注版 writes
    that sheet to one of openpyxl's temporary files, the largest file its making writes."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.create_sheet("附注")
    for _ in range(rows):
        ws.append([1, 2, 3, 4])
    wb.save(path)
    return path.read_bytes()


def _full_disk_server(tmp_path):
    """甲局's large faulty workbook and a server whose files may not grow past 2 MB (RLIMIT_FSIZE:
    SQLite, openpyxl and the zip meet it as a full disk), its temporary folder ``tmp`` its own."""
    from tests.hostile.proc import limits

    codes = write_roster(tmp_path / "r.csv", ["甲局"])
    data = _with_a_large_sheet(make_workbook(tmp_path / "a.xlsx", "甲局", codes[0], valid=False))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    db = tmp_path / "x.db"
    srv = start_server(
        db,
        roster=tmp_path / "r.csv",
        preexec_fn=limits(fsize=2 * 1024 * 1024),
        env_extra={"TMPDIR": str(tmp)},
    )
    return data, tmp, db, srv


def test_a_full_disk_while_annotating_leaves_no_openpyxl_temporary_files(tmp_path):
    """Leftover 3: a 批注版 that met a full disk left openpyxl's temporary files (openpyxl.*) in the
    server's temporary folder until serve stopped (openpyxl removes them only at exit), and the
    clerk got 服务器内部错误 (500: lxml says the full disk as SerialisationError('IO_EFBIG'), no
    OSError). The disk filling is a file-size limit on the server (as tests/hostile fill it:
    SQLite, openpyxl and the zip meet it as a full disk): the archive (a few hundred KB) stays
    under it, the sheet's XML does not. The copy says the disk is full (507), and the temporary
    folder holds none of openpyxl's files while serve runs."""
    data, tmp, db, srv = _full_disk_server(tmp_path)
    assert len(data) < 1024 * 1024
    try:
        token = links(db)["甲局"]
        page = _upload(srv, token, data, "甲局.xlsx")
        uid = re.search(rf"/a/{token}/u/(\d+)/annotated\.xlsx", page).group(1)
        r = requests.get(f"{srv.url}/a/{token}/u/{uid}/annotated.xlsx", timeout=300)
        assert r.status_code == 507 and "磁盘空间已满" in _plain(r.text), (
            r.status_code,
            _plain(r.text)[:300],
            "".join(srv.stderr[-40:]),
        )
        assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("openpyxl")) == []
    finally:
        srv.stop()
    assert "Traceback" not in "".join(srv.stderr)


def test_a_background_job_that_failed_is_said_on_the_next_reload_not_started_again(tmp_path):
    """Seen with leftover 3: the coordinator's 批注版 zip met the full disk in its background job;
    the progress page (it reloads itself every 2 s) then started the job again on every reload —
    正在生成各单位批注版 已处理 0 / 1 for ever, the failure written only to the server's log. The
    reload after the failure shows it (507 磁盘空间已满); the one after that tries again. No openpyxl
    temporary files are left by any of the tries."""
    data, tmp, db, srv = _full_disk_server(tmp_path)
    try:
        _upload(srv, links(db)["甲局"], data, "甲局.xlsx")
        s = _session(srv, "", PASSWORD)
        seen = []
        for _ in range(300):  # reloaded as the page does, until it is no longer the progress page
            r = s.get(f"{srv.url}/coord/bulk/annotated.zip", timeout=300)
            seen.append(r.status_code)
            if 'id="progress"' not in r.text:
                break
            time.sleep(1)
        assert r.status_code == 507 and "磁盘空间已满" in _plain(r.text), (seen[-5:], _plain(r.text)[:300])
        assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("openpyxl")) == []
        r = s.get(f"{srv.url}/coord/bulk/annotated.zip", timeout=300)  # told once: now tried again
        assert r.status_code in (200, 507) and ('id="progress"' in r.text or "磁盘空间已满" in r.text)
    finally:
        srv.stop()
    assert "Traceback" not in "".join(srv.stderr)


def test_a_code_given_or_taken_away_by_the_roster_is_said_so_not_as_an_empty_code(tmp_path):
    """The trial's roster gave 青川区民政局 (no code till then) its code: serve said 统一社会信用代码
    由 （空） 改为 …. A code the roster adds says 补充, one it removes says 删去 with the old one."""
    from toolkit import regions
    from toolkit.roster import RosterEntry
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    db = tmp_path / "x.db"
    codes = write_roster(tmp_path / "r.csv", ["甲局", "乙局"])
    keys = Keys.for_db(db)

    def roster(a: str, b: str) -> list[RosterEntry]:
        return [
            RosterEntry("青川区民政局", a, "示例市青川区", "", 2),
            RosterEntry("青川区财政局", b, "示例市青川区", "", 3),
        ]

    with WebStore(db) as st:
        regions.register(st, YEAR, roster("", codes[1]), keys.fresh_token)
        said = regions.register(st, YEAR, roster(codes[0], ""), keys.fresh_token).recoded
        assert said[0].startswith(f"名单第2行“青川区民政局”补充统一社会信用代码 {codes[0]}："), said
        assert said[1].startswith(f"名单第3行“青川区财政局”删去统一社会信用代码（原为 {codes[1]}）："), said
        assert not any("（空）" in x for x in said), said
        notes = [e.note for e in st.web_events(YEAR) if e.action == "code"]
        assert sorted(notes) == sorted(
            [
                f"补充统一社会信用代码 {codes[0]}，按同一单位处理",
                f"删去统一社会信用代码（原为 {codes[1]}），按同一单位处理",
            ]
        ), notes


def test_an_upload_a_new_roster_files_later_keeps_its_place_among_the_versions(tmp_path):
    """The trial: 教育委员会's clerk first sent a file the roster of then did not make its report
    (not filed), then its own (第1版). A new roster made the first upload its report, filed at the
    start — and numbered 第2版 above 第1版, uploaded later. Versions are numbered in the order they
    reached the agency. (The trial's first file was 财政局's, made 教育委员会's by a roster
    exchanging their codes; since season34 another agency's name is never this agency's report,
    whatever its code: here the roster renames the agency to the name on the first file's cover.)"""
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    names = ["青川区财政局", "青川区教育局"]
    codes = write_roster(tmp_path / "r1.csv", names)
    renamed = _roster(tmp_path / "r2.csv", [(names[0], codes[0]), ("青川区教育委员会", codes[1])])
    db = tmp_path / "x.db"
    keys = Keys.for_db(db)
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r1.csv").entries, keys.fresh_token)
        _cz, jw = st.web_agencies(YEAR)
        other = make_workbook(tmp_path / "jwh.xlsx", "青川区教育委员会", "").read_bytes()
        season.receive(st, jw, other, "教委会的表.xlsx", year=YEAR)
        own = make_workbook(tmp_path / "jw.xlsx", names[1], codes[1], k=1).read_bytes()
        season.receive(st, jw, own, "教育局的表.xlsx", year=YEAR)
        assert [v.file_name for v in season.state(st, jw).versions] == ["教育局的表.xlsx"]
        regions.register(st, YEAR, read_roster(renamed).entries, keys.fresh_token)
        assert season.refile(st, YEAR) == [("青川区教育委员会", "教委会的表.xlsx")]
        state = season.state(st, st.web_agency(id=jw.id))
        by_name = {v.file_name: state.numbers[v.id] for v in state.versions}
        assert by_name == {"教委会的表.xlsx": 1, "教育局的表.xlsx": 2}, by_name


CITY = [("示例市财政局", "示例市"), ("青川区财政局", "示例市/青川区"), ("东湖区民政局", "示例市/东湖区")]


def _city_roster(tmp_path: Path) -> tuple[Path, list[tuple[str, str]], list[str]]:
    """A city's roster: one agency of its own, one in 青川区, one in 东湖区."""
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, [n for n, _p in CITY])
    _roster(roster, [(n, c) for (n, _p), c in zip(CITY, codes, strict=True)])
    text = roster.read_text(encoding="utf-8")
    for (name, parent), code in zip(CITY, codes, strict=True):
        text = text.replace(f"{name},{code},示例市青川区", f"{name},{code},{parent}")
    roster.write_text(text, encoding="utf-8")
    return roster, CITY, codes


def test_a_district_with_nothing_sent_is_named_a_district_on_the_citys_summary(tmp_path):
    """The trial's city: 东湖区 had not 上报 and none of its agencies had sent anything. The city's
    summary said 名单内单位“东湖区”未报送 (汇总提示) and listed 东湖区 under 未计入汇总的单位 as
    an agency (机关名称) with 未收到报送文件 — 东湖区 is no agency on the roster: it is a district,
    whose summary did not come. It is named a district, and what is missing is its summary."""
    roster, rows, codes = _city_roster(tmp_path)
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        for i in (0, 1):
            book = make_workbook(tmp_path / f"{i}.xlsx", rows[i][0], codes[i]).read_bytes()
            _upload(srv, tokens[rows[i][0]], book, f"{i}.xlsx")
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/summary", timeout=120).text
        for _ in range(300):
            if "正在汇总" not in page:
                break
            time.sleep(1)
            page = s.get(f"{srv.url}/coord/summary", timeout=120).text
        said = _plain(page)
        assert "名单内单位“东湖区”" not in said and "下级地区“东湖区”未上报" in said, said[-1500:]
        left = _plain(re.search(r'<table class="list" id="left-out">(.*?)</table>', page, re.S).group(1))
        assert "东湖区（下级地区）" in left and "未收到报送文件" not in left, left
        assert "未计入汇总的单位和下级地区（1）" in said, said[-1500:]
        counted = {
            _plain(m.group(1)).strip(): _plain(m.group(2)).strip()
            for m in re.finditer(
                r'<tr data-region="[^"]*"><td>(.*?)</td>.*?<td class="counted-as">(.*?)</td>', page, re.S
            )
        }
        assert counted == {
            "青川区": "当前的情况（未上报，按现有报送计入）",
            "东湖区": "无（未上报，其下各单位均未报送）",
        }, counted
    finally:
        srv.stop()


def test_the_reminder_to_a_district_without_an_account_says_it_cannot_submit_yet(tmp_path):
    """The trial's city: 东湖区 had no coordinator account, and 催报 offered 东湖区：尚未上报本地区的
    汇总，请…查看汇总并上报 to send — to a district nobody can log in for. Its row says it has no
    account yet and to make one on 账号 first; a district with an account gets the reminder."""
    from tests.serve_process import csrf_of

    roster, _rows, _codes = _city_roster(tmp_path)
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/accounts", timeout=60).text
        qc = re.search(r'<option value="(\d+)">青川区</option>', page).group(1)
        r = s.post(
            f"{srv.url}/coord/accounts",
            data={"csrf": csrf_of(page), "region": qc, "login": "qingchuan", "password": "青川区密码2025"},
            timeout=60,
        )
        assert r.status_code == 200 and "qingchuan" in r.text, _plain(r.text)[-500:]
        page = s.get(f"{srv.url}/coord/remind", timeout=60).text
        due = {
            _plain(m.group(1)).strip(): _plain(m.group(2)).strip()
            for m in re.finditer(r"<tr[^>]*><td><a[^>]*>([^<]+)</a></td>(.*?)</tr>", page, re.S)
            if _plain(m.group(1)).strip() in ("青川区", "东湖区")
        }
        assert "尚未上报本地区的汇总" in due["青川区"] and "账号" not in due["青川区"], due
        assert "还没有可用的协调人账号" in due["东湖区"] and "“账号”页面" in due["东湖区"], due
        assert "查看汇总并上报" not in due["东湖区"], due
    finally:
        srv.stop()


def test_an_agency_taking_the_code_of_one_that_left_the_roster_keeps_its_link(tmp_path):
    """Leftover 2's kin: 司法局 leaves the roster and 民政局 is given the code 司法局 had (the roster
    had them mixed up). 民政局 was taken for a new agency — a new link, and its own link and upload
    off the roster as 不在新名单中 though the roster lists it. It is the same agency with another
    code; 司法局 alone is off the roster."""
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore
    from toolkit.web.security import Keys

    names = ["青川区民政局", "青川区司法局"]
    codes = write_roster(tmp_path / "r1.csv", names)
    later = _roster(tmp_path / "r2.csv", [(names[0], codes[1])])
    db = tmp_path / "x.db"
    keys = Keys.for_db(db)
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r1.csv").entries, keys.fresh_token)
        mz = st.web_agencies(YEAR)[0]
        season.receive(
            st, mz, make_workbook(tmp_path / "m.xlsx", names[0], codes[0]).read_bytes(), "m.xlsx", year=YEAR
        )
        reg = regions.register(st, YEAR, read_roster(later).entries, keys.fresh_token)
        assert (reg.new, [a.name for a in reg.removed]) == (0, [names[1]]), (reg.new, reg.removed)
        assert [(a.id, a.code) for a in st.web_agencies(YEAR)] == [(mz.id, codes[1])]
        assert st.web_agency(token=season.link_of(keys, mz)).id == mz.id
        assert season.state(st, st.web_agency(id=mz.id)).uploads == 1
        assert any(f"由 {codes[0]} 改为 {codes[1]}" in x for x in reg.recoded), reg.recoded
