"""The fifth fresh-clone trial of a season (/work/briefs/trial5-report.md): each defect it found,
as a test that failed before its fix. Domain rules without HTTP where they live in plain modules;
pages through the Flask test client or the real server process."""

from __future__ import annotations

import re
from pathlib import Path

from tests.serve_process import PASSWORD, csrf_of, make_workbook, start_server
from tests.test_regions import (
    AGENCIES,
    DH_PASSWORD,
    QC_PASSWORD,
    YEAR,
    _changes,
    _licensing,
    _setup_city,
    _submit,
)
from toolkit import regions, season
from toolkit.roster import read_roster
from toolkit.store import WebStore
from toolkit.web.security import Keys, hash_password


def _renamed_roster(tmp_path: Path, codes: list[str]) -> Path:
    """青川区民政局 renamed 青川区民政事务局, its code kept: its cover's name is a variant of the
    new one (abbreviated in order), so its upload still counts, with the same figures."""
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    text = text.replace(f"青川区民政局,{codes[1]},", f"青川区民政事务局,{codes[1]},")
    out = tmp_path / "renamed.csv"
    out.write_text(text, encoding="utf-8")
    return out


def _city(st: WebStore):
    from toolkit.spec import spec_for_year

    t = regions.tree(st, YEAR)
    by_id = {s.agency.id: s for s in season.states(st, YEAR)}
    return regions.region_summary(st, YEAR, t, t.root, spec=spec_for_year(YEAR), states_by_id=by_id)


def test_a_rename_after_the_submission_is_a_change_the_city_is_told_of(tmp_path):
    """Trial 5, 1 (the known leftover): 青川区 上报s, then a roster renames one of its agencies
    (code kept, the figures counted unchanged). The 上报 carries the old name into the city's
    summary: the rename is a change since the 上报 — named with 数字未变 —, the city still counts
    the snapshot's figures but is not 汇总完整 over it and asks 青川区 to 上报 again; a new 上报
    clears it."""
    db, codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
        before = _licensing(_city(st), "青川区")
        assert _city(st).complete
        regions.register(
            st, YEAR, read_roster(_renamed_roster(tmp_path, codes)).entries, Keys.for_db(db).fresh_token
        )
        ch = _changes(st, "青川区")
        assert ch, "a rename after the 上报 is not a change"
        assert (
            ch.renamed == ["青川区民政局 更名为青川区民政事务局（数字未变）"]
            and not ch.moved
            and not ch.changed
        )
        assert "更名为青川区民政事务局" in ch.text()
        assert ch.counted_upward() == "上级汇总仍按上报时的计入"
        s = _city(st)
        rec = next(r for r in s.records if r.roster_name == "青川区")
        assert rec.included and _licensing(s, "青川区") == before  # the snapshot's figures
        assert not s.complete and "请青川区重新上报" in rec.note and "更名" in rec.note
        _submit(st, "青川区")
        assert not _changes(st, "青川区") and _city(st).complete


def test_serve_says_at_start_which_submission_a_rename_put_out_of_date(tmp_path):
    """The restart with the renamed roster says so for the district that had 上报'd (its 上报
    still names the old agency), once: the same roster again says nothing new."""
    db, codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
    renamed = _renamed_roster(tmp_path, codes)
    srv = start_server(db, roster=renamed)
    try:
        said = "".join(srv.stderr)
        assert "名单：青川区上报后有单位更名（青川区民政局 更名为青川区民政事务局（数字未变））" in said, said
        assert "请青川区查看汇总后重新上报" in said
        assert "东湖区上报后" not in said
    finally:
        srv.stop()
    again = start_server(db, roster=renamed)
    try:
        assert "上报后有单位更名" not in "".join(again.stderr)
    finally:
        again.stop()


def _client(db: Path, login: str, password: str):
    from toolkit.web.app import create_app

    c = create_app(db, year=YEAR).test_client()
    page = c.get("/login").get_data(as_text=True)
    r = c.post("/login", data={"csrf": csrf_of(page), "login": login, "password": password})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[-400:]
    return c


def test_only_the_district_itself_submits_its_summary(tmp_path):
    """Trial 5, 2 (the known leftover): the city could 上报 a district's summary in its place; the
    district's page then said 由 admin 上报 for something it never did. A 上报 is the district's
    own act: the city gets 403 with a Chinese reason and its view of the district's summary says
    who submits; the district's own account submits; the 操作记录 names every actor with its
    level, so a city's 退回 below is told from a district's."""
    db, _codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        root = st.web_account(login=regions.ROOT_LOGIN)
        qc, dh = t.node_at("青川区"), t.node_at("东湖区")
        regions.create_account(st, t, root, "qingchuan", hash_password(QC_PASSWORD), qc.region.id, YEAR)
        regions.create_account(st, t, root, "donghu", hash_password(DH_PASSWORD), dh.region.id, YEAR)
        assert not regions.may_submit(t, root, qc) and regions.may_submit(
            t, st.web_account(login="qingchuan"), qc
        )
    admin = _client(db, "", PASSWORD)
    page = admin.get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)
    assert 'id="submit-up"' not in page
    assert "上报由青川区的协调人" in page
    r = admin.post(f"/coord/region/{qc.region.id}/submit", data={"csrf": csrf_of(page)})
    assert r.status_code == 403 and "上报由青川区的协调人" in r.get_data(as_text=True)
    with WebStore(db, create=False) as st:
        assert qc.region.id not in st.web_submits(YEAR)
        wa = by_name["青川区司法局"]
        season.return_version(
            st, wa, season.state(st, wa).versions[0].id, "市里退回：数字有误", actor="admin"
        )
    mine = _client(db, "qingchuan", QC_PASSWORD)
    page = mine.get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)
    assert 'id="submit-up"' in page
    assert mine.post(f"/coord/region/{qc.region.id}/submit", data={"csrf": csrf_of(page)}).status_code == 303
    page = mine.get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)
    assert "由 qingchuan（青川区） 上报" in page
    log = admin.get("/coord/log").get_data(as_text=True)
    rows = re.findall(
        r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td>\s*<td>([^<]*)</td>", log
    )
    assert ("qingchuan（青川区）", "青川区", "上报汇总") in rows, rows
    assert ("admin（示例市）", "青川区", "退回") in rows, rows
    # a district with no account of its own yet: the city is told how its 上报 comes about
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        acc = st.web_account(login="donghu")
        regions.disable_account(st, t, st.web_account(login=regions.ROOT_LOGIN), acc.id, YEAR)
    page = admin.get(f"/coord/summary?region={dh.region.id}").get_data(as_text=True)
    assert "东湖区还没有可用的协调人账号" in page


def _zip_of(c, url: str) -> tuple[list[str], str]:
    """A bulk zip fetched as the progress page does: again until it is there."""
    import io
    import time
    import zipfile

    for _ in range(600):
        r = c.get(url)
        if r.mimetype == "application/zip":
            with r, zipfile.ZipFile(io.BytesIO(r.data)) as z:  # a sent file: closed with its response
                return sorted(z.namelist()), r.headers.get("Content-Disposition", "")
        assert r.status_code == 200 and "本页每 2 秒自动刷新" in r.get_data(as_text=True)
        time.sleep(0.2)
    raise AssertionError("the zip was never built")


def test_the_bulk_zips_on_a_districts_summary_page_are_that_districts(tmp_path):
    """Trial 5, 3: on 青川区's summary page, the city's 下载各单位批注版（zip） and 公开报告 zip held
    every agency of the city (东湖区's too), under a name that says no region. They follow the
    page's region, and their file names say which."""
    from urllib.parse import unquote

    db, _codes, _by = _setup_city(tmp_path)
    with WebStore(db, create=False) as st:
        qc = regions.tree(st, YEAR).node_at("青川区")
    admin = _client(db, "", PASSWORD)
    page = admin.get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)
    hrefs = dict(re.findall(r'id="(bulk-annotated|bulk-reports)" href="([^"]+)"', page))
    assert set(hrefs) == {"bulk-annotated", "bulk-reports"}
    for kind, href in hrefs.items():
        names, disposition = _zip_of(admin, href.replace("&amp;", "&"))
        agencies = {n.split("_")[0] for n in names if n.endswith((".xlsx", ".docx"))}
        assert agencies == {"青川区民政局", "青川区司法局"}, (kind, names)
        assert "青川区" in unquote(disposition), disposition
    whole, _ = _zip_of(admin, "/coord/bulk/annotated.zip")  # the city's own page: everyone
    assert len([n for n in whole if n.endswith(".xlsx")]) == 5


def test_a_return_note_ending_its_sentence_reads_as_one_sentence_in_the_reminder(tmp_path):
    """Trial 5, 4: a 退回 note the coordinator ends with 。 came out as “（…重新上传。），尚未重新报送”
    and “（协调人退回说明：…上传。）。” in the 催报 text; the note's own full stop is dropped inside
    the brackets, the note itself kept as written everywhere else."""
    import datetime as dt

    db, codes, by_name = _setup_city(tmp_path)
    note = "请补充文字部分“总体情况”，并由单位负责人审核后重新上传。"
    with WebStore(db) as st:
        wa = by_name["青川区司法局"]
        season.return_version(st, wa, season.state(st, wa).versions[0].id, note, actor="admin")
        returned = season.reminder_text(
            YEAR, season.state(st, wa), dt.date(2026, 1, 20), "L", today=dt.date(2026, 1, 5)
        )
        assert "（请补充文字部分“总体情况”，并由单位负责人审核后重新上传），尚未重新报送。" in returned, (
            returned
        )
        bad = make_workbook(tmp_path / "bad.xlsx", wa.name, codes[2], k=70, valid=False).read_bytes()
        season.receive(st, wa, bad, "bad.xlsx", year=YEAR)
        faulty = season.reminder_text(
            YEAR, season.state(st, wa), dt.date(2026, 1, 20), "L", today=dt.date(2026, 1, 5)
        )
        assert "（协调人退回说明：请补充文字部分“总体情况”，并由单位负责人审核后重新上传）。请于" in faulty, (
            faulty
        )
        assert season.state(st, wa).returned[season.state(st, wa).last_returned.id][0] == note


def test_archive_list_says_a_faulty_season_agency_waits_for_an_upload_not_a_choice(tmp_path):
    """Trial 5, 5: 教育委员会's passing upload was sent back, then it uploaded another agency's
    report (filed nowhere, an error): every page says 有错误 — it waits for a correct upload —,
    while ``xxgk archive list`` said 未定 … 请确认以哪个为准：在 xxgk serve 的该单位页面上指定, as if
    the coordinator had two versions to choose between."""
    from tests.conftest import run_cli
    from tests.test_season import NAMES, _statuses, new_season, pool

    _roster, _codes, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        cz, _sf, _mz = store.web_agencies(YEAR)
        uid = season.receive(store, cz, files[0, "valid1"], "财政.xlsx", year=YEAR)
        season.return_version(store, cz, store.web_upload(uid).version_id, "请核对")
        season.receive(store, cz, files[1, "valid1"], "司法局的表.xlsx", year=YEAR)  # another agency's
        assert _statuses(store)[NAMES[0]] == "有错误"
        assert season.state(store, cz).current is None
    listed = run_cli("archive", "list", "--db", tmp_path / "xxgk.db", "--year", YEAR)
    assert listed.returncode == 0, listed.stderr
    (line,) = [ln for ln in listed.stdout.splitlines() if NAMES[0] in ln]
    assert "请确认以哪个为准" not in line, line
    assert "网页上为“有错误”" in line and "待单位改正后重新上传" in line, line


def test_an_agency_listed_again_is_logged_as_back_with_what_it_kept(tmp_path):
    """Trial 5, 6: a roster that left 青川区司法局 out and the next that lists it again: its 退回
    note and link are kept (as they should be), but the 操作记录 said 名单：新增单位 · 列入名单, as
    for an agency never seen; it says it is listed again and that its link, uploads and the
    coordinator's 退回/choice still hold."""
    db, _codes, by_name = _setup_city(tmp_path)
    keys = Keys.for_db(db)
    full = read_roster(tmp_path / "r.csv").entries
    wa = by_name["青川区司法局"]
    with WebStore(db) as st:
        season.return_version(st, wa, season.state(st, wa).versions[0].id, "请核对表三", actor="admin")
        regions.register(st, YEAR, [e for e in full if e.name != wa.name], keys.fresh_token)
        regions.register(st, YEAR, full, keys.fresh_token)
        assert season.state(st, wa).status == season.RETURNED  # the 退回 stands
        notes = [e.note for e in st.web_events(YEAR, wa.id) if e.action == "roster-add"]
    assert notes and notes[0].startswith("重新列入名单") and "仍有效" in notes[0], notes


def city_with_donghu_account(tmp_path: Path, submitted: list[str]) -> tuple[Path, dict, dict]:
    """The city of tests.test_regions with an account for 东湖区's coordinator (donghu) and the
    districts named having submitted (上报) their summaries."""
    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        root = st.web_account(login=regions.ROOT_LOGIN)
        regions.create_account(
            st, t, root, "donghu", hash_password(DH_PASSWORD), t.node_at("东湖区").region.id, YEAR
        )
        for name in submitted:
            _submit(st, name)
    return db, codes, by_name


def test_a_roster_that_splits_a_district_says_what_became_of_its_submission_and_account(tmp_path):
    """Trial 5, 9: a roster whose 上级 splits 示例市/东湖区 into 东湖新区 and 西湖区 (区划调整): the start
    said only "6 个单位"; 东湖区's 上报 silently stopped counting and its coordinator's account was
    refused at login with 本账号所属的地区不在本年度的名单中. The start says both, and where its
    agencies went, so the city can make accounts for the new districts. (A district only renamed,
    its agencies unchanged, is the same district: tests/test_serve_season29.py.)"""
    db, _codes, _by = city_with_donghu_account(tmp_path, ["东湖区"])
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    text = text.replace("示例市/东湖区", "示例市/东湖新区", 1).replace("示例市/东湖区", "示例市/西湖区")
    (tmp_path / "new.csv").write_text(text, encoding="utf-8")
    with WebStore(db) as st:
        t0 = regions.tree(st, YEAR)
        regions.register(st, YEAR, read_roster(tmp_path / "new.csv").entries, Keys.for_db(db).fresh_token)
        said = regions.gone_messages(st, YEAR, t0, regions.tree(st, YEAR))
    assert len(said) == 1
    (line,) = said
    assert "地区“东湖区”已不在本名单中" in line and "其单位现属“东湖新区”“西湖区”" in line, line
    assert "上报的汇总不再计入" in line and "账号 donghu 无法登录" in line, line
    page = _client(db, "", PASSWORD).get("/coord/accounts").get_data(as_text=True)
    row = re.search(r'<tr data-login="donghu">(.*?)</tr>', page, re.S).group(1)
    assert "正常" not in row and "地区已不在本年度名单中，无法登录" in row, row
    # and the serve start says it (a fresh archive, the same steps through the command)
    (tmp_path / "two").mkdir()
    db2, _c, _b = _setup_city(tmp_path / "two")
    with WebStore(db2) as st:
        _submit(st, "东湖区")
    srv = start_server(db2, roster=tmp_path / "new.csv")
    try:
        out = "".join(srv.stderr)
        assert "名单：地区“东湖区”已不在本名单中（其单位现属“东湖新区”“西湖区”）" in out, out
    finally:
        srv.stop()


def test_an_unfiled_upload_is_told_by_the_roster_of_now(tmp_path):
    """Trial 5, 8: an upload through 青川区司法局's link of 青川区民政局's report is filed nowhere
    (DUPLICATE-SUBMISSION, "名单中的另一单位"); a roster without 民政局 left that message standing
    although 民政局 was no longer on it. At the roster change it is judged again (still not filed:
    a body not on the roster, UNEXPECTED-AGENCY); a roster that lists 民政局 again names it again.
    The upload row itself is never modified."""
    db, codes, by_name = _setup_city(tmp_path)
    keys = Keys.for_db(db)
    full = read_roster(tmp_path / "r.csv").entries
    sf = by_name["青川区司法局"]
    data = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[1], k=90).read_bytes()
    with WebStore(db) as st:
        uid = season.receive(st, sf, data, "民政局的表.xlsx", year=YEAR)
        stored = st.db.execute("SELECT findings FROM web_uploads WHERE id = ?", (uid,)).fetchone()[0]

        def shown() -> list[tuple[str, str]]:
            u = season.state(st, sf).latest
            assert u is not None and u.id == uid and u.version_id is None
            return [(d["code"], d["message"]) for d in u.findings]

        assert [c for c, _m in shown()] == ["DUPLICATE-SUBMISSION"]
        regions.register(st, YEAR, [e for e in full if e.name != "青川区民政局"], keys.fresh_token)
        assert season.refile(st, YEAR) == []  # not 司法局's report either
        ((code, message),) = shown()
        assert code == "UNEXPECTED-AGENCY" and "名单中的另一单位" not in message, message
        assert season.state(st, sf).status == season.PASSED  # its own counted version stands
        regions.register(st, YEAR, full, keys.fresh_token)
        season.refile(st, YEAR)
        ((code, message),) = shown()
        assert code == "DUPLICATE-SUBMISSION" and "青川区民政局" in message
        assert st.db.execute("SELECT findings FROM web_uploads WHERE id = ?", (uid,)).fetchone()[0] == stored


def test_a_roster_row_left_out_for_a_shared_code_or_name_says_so(tmp_path):
    """Trial 5, 11: a roster with 青川区交通局 and 青川区交通运输局 on one code started with
    "名单第3行…与第2行的统一社会信用代码相同" and "2 个单位": nothing said the second row got no link
    and is in no list. Each left-out row says 此行未读入, as the roster's other refusals do."""
    p = tmp_path / "r.csv"
    p.write_text(
        "机关名称,统一社会信用代码,上级\n"
        "青川区交通局,11110999MB0000011U,示例市青川区\n"
        "青川区交通运输局,11110999MB0000011U,示例市青川区\n"
        "青川区民政局,,示例市青川区\n"
        "青川区民政局,,示例市青川区\n",
        encoding="utf-8",
    )
    r = read_roster(p)
    assert [e.name for e in r.entries] == ["青川区交通局", "青川区民政局"]
    said = [f.message for f in r.findings]
    assert len(said) == 2 and all("此行未读入" in m for m in said), said


def test_the_city_summary_page_counts_districts_as_districts(tmp_path):
    """Trial 5, 12: the city's summary page said "计入汇总 2 个单位" and "2025 年度（计入汇总的 2 个
    单位）" over two district summaries that count four agencies (five with the city's own one:
    "3 个单位"), while its dashboard says 共 5 个单位 · 通过 5. It names what it counts: the city's own
    agencies and the districts' summaries, and how many agencies that is in all."""
    db, _codes, _by = _setup_city(tmp_path)
    admin = _client(db, "", PASSWORD)
    page = admin.get("/coord/summary").get_data(as_text=True)
    assert "计入汇总 1 个单位和 2 个地区的汇总（共 5 个单位）" in page, re.findall(r"计入汇总[^<]*", page)
    assert "计入汇总的 1 个单位和 2 个地区的汇总，共 5 个单位" in page
    with WebStore(db, create=False) as st:
        qc = regions.tree(st, YEAR).node_at("青川区")
    district = admin.get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)
    assert "计入汇总 2 个单位" in district and "个地区的汇总" not in district


def test_an_out_of_date_district_row_keeps_its_columns_readable_in_chromium(chromium, tmp_path):
    """Trial 5, 13: on the city's summary, a district whose 上报 is out of date had its changes in a
    red pill several lines long: the row squeezed its neighbours — 东湖区 broke as 东湖 / 区, 不完整
    as 不完 / 整. In Debian's Chromium at 1280 px: the district names and the 完整 badges stay on one
    line, and the changes are there in full."""
    from tests.test_serve import _need

    sync_api = _need("playwright.sync_api")
    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
        _submit(st, "东湖区")
        for k, name in enumerate(("青川区民政局", "青川区司法局")):  # two changes with long names
            i = [a for a, _p in AGENCIES].index(name)
            data = make_workbook(tmp_path / f"n{k}.xlsx", name, codes[i], k=40 + k).read_bytes()
            season.receive(st, by_name[name], data, f"很长的文件名称改正版第{k}次.xlsx", year=YEAR)
        regions.register(
            st, YEAR, read_roster(_renamed_roster(tmp_path, codes)).entries, Keys.for_db(db).fresh_token
        )
    srv = start_server(db)
    shots = Path(__file__).resolve().parent.parent / "test-artifacts" / "trial5"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(f"{srv.url}/login")
                page.fill("#password", PASSWORD)
                page.click("#login")
                page.goto(f"{srv.url}/coord/summary")
                page.wait_for_selector("#sub-regions")
                page.screenshot(path=str(shots / "city-summary-stale.png"), full_page=True)
                for sel in ("#sub-regions td:first-child a", "#sub-regions td:last-child .status"):
                    lines = page.locator(sel).evaluate_all(  # its height in lines of its own font
                        "els => els.map(e => e.getBoundingClientRect().height"
                        " / parseFloat(getComputedStyle(e).fontSize))"
                    )
                    assert lines and all(n < 2.2 for n in lines), (sel, lines)
                stale = page.inner_text('#sub-regions tr[data-region="青川区"] .stale')
                assert "青川区民政局 更名为青川区民政事务局；" in stale and "待青川区重新上报" in stale, stale
                # 青川区's own summary on a phone: the boxed 上报后有变动 painted over the line above it
                page.set_viewport_size({"width": 390, "height": 800})
                page.click('#sub-regions tr[data-region="青川区"] td:first-child a')
                page.wait_for_selector("#stale")
                page.screenshot(path=str(shots / "district-summary-stale-phone.png"), full_page=True)
                above = page.locator("#download-submitted").bounding_box()
                box = page.locator("#stale").bounding_box()
                assert above and box and box["y"] >= above["y"] + above["height"], (above, box)
                # 主要数字 on a phone: each heading on one line (上年结转 stood one character a
                # line), the table scrolling sideways inside its box, not the page
                lines = page.locator("#figures tr:first-child th").evaluate_all(
                    "els => els.slice(1).map(e => { const r = document.createRange();"
                    " r.selectNodeContents(e); return r.getClientRects().length; })"
                )  # the line boxes of each heading's text
                assert lines and all(n == 1 for n in lines), lines
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
            finally:
                browser.close()
    finally:
        srv.stop()


def test_the_citys_view_of_a_districts_dashboard_does_not_ask_the_city_to_submit(tmp_path):
    """Trial 5, 16: with 上报 the district's own act (2), the city's view of 青川区's dashboard still
    said "请查看汇总后重新上报" and "查看汇总并上报" — to the one account that cannot. It says the
    district is to 上报 again; the district's own view keeps asking it."""
    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        qc = t.node_at("青川区")
        regions.create_account(
            st,
            t,
            st.web_account(login=regions.ROOT_LOGIN),
            "qingchuan",
            hash_password(QC_PASSWORD),
            qc.region.id,
            YEAR,
        )
        _submit(st, "青川区")
        data = make_workbook(tmp_path / "n.xlsx", "青川区民政局", codes[1], k=55).read_bytes()
        season.receive(st, by_name["青川区民政局"], data, "n.xlsx", year=YEAR)
    city = _client(db, "", PASSWORD).get(f"/coord?region={qc.region.id}").get_data(as_text=True)
    line = re.search(r'<p id="submit-line">(.*?)</p>', city, re.S).group(1)
    assert (
        "待青川区重新上报" in line and "请查看汇总后重新上报" not in line and "查看汇总并上报" not in line
    ), line
    own = _client(db, "qingchuan", QC_PASSWORD).get("/coord").get_data(as_text=True)
    line = re.search(r'<p id="submit-line">(.*?)</p>', own, re.S).group(1)
    assert "请查看汇总后重新上报" in line and "查看汇总并上报" in line, line


def test_the_citys_links_say_which_district_each_agency_is_in(tmp_path):
    """Trial 5, 17: the city's 报送链接 page and CSV listed every agency below it with no 地区, so
    the links could not be handed out district by district (the dashboard has the column). A
    coordinator who sees more than one region gets 地区; a district's own list is as it was."""
    import csv
    import io

    db, _codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        regions.create_account(
            st, t, st.web_account(login=regions.ROOT_LOGIN), "qingchuan", hash_password(QC_PASSWORD),
            t.node_at("青川区").region.id, YEAR,
        )  # fmt: skip
    admin = _client(db, "", PASSWORD)
    rows = list(
        csv.reader(io.StringIO(admin.get("/coord/links.csv").get_data(as_text=True).lstrip("\ufeff")))
    )
    assert rows[0] == ["机关名称", "统一社会信用代码", "地区", "报送链接"], rows[0]
    assert {r[0]: r[2] for r in rows[1:]} == {
        "示例市财政局": "示例市", "青川区民政局": "青川区", "青川区司法局": "青川区",
        "东湖区民政局": "东湖区", "东湖区司法局": "东湖区",
    }  # fmt: skip
    assert "<th>地区</th>" in admin.get("/coord/links").get_data(as_text=True)
    own = _client(db, "qingchuan", QC_PASSWORD).get("/coord/links.csv").get_data(as_text=True)
    assert own.lstrip("\ufeff").splitlines()[0] == "机关名称,统一社会信用代码,报送链接"


def test_a_bulk_zip_waits_on_disk_and_a_newer_one_replaces_it(tmp_path, monkeypatch):
    """A bulk zip was built in memory and kept there (job.result bytes) for as long as its inputs
    did not change, per account, kind and region: a province's 批注版 and Word zips (~1 GB each)
    held by every coordinator who fetched them, and copied again while sent. It now waits in the
    server's own temporary folder, and the zip of changed inputs takes the old one's place."""
    import tempfile

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    db, codes, by_name = _setup_city(tmp_path)
    admin = _client(db, "", PASSWORD)

    def kept() -> list[Path]:
        return sorted(tmp.glob("xxgk-serve-*/*.zip"))

    first, _ = _zip_of(admin, "/coord/bulk/annotated.zip")
    assert len(kept()) == 1 and len([n for n in first if n.endswith(".xlsx")]) == 5
    zipped = kept()[0].read_bytes()
    again = admin.get("/coord/bulk/annotated.zip")  # the same inputs: the same file, not built again
    with again:
        assert again.data == zipped and len(kept()) == 1
    name, _p = AGENCIES[0]
    with WebStore(db) as st:  # an agency corrects its report: the zip of now replaces the old one
        data = make_workbook(tmp_path / "new.xlsx", name, codes[0], k=99).read_bytes()
        season.receive(st, by_name[name], data, "更正.xlsx", year=YEAR)
    second, _ = _zip_of(admin, "/coord/bulk/annotated.zip")
    assert len(kept()) == 1 and kept()[0].read_bytes() != zipped
    assert len([n for n in second if n.endswith(".xlsx")]) == 5


def test_the_counted_originals_merge_on_the_command_line_to_the_same_summary(tmp_path):
    """Trial 5, 15: the web gave no way to take the season's files to the command line (the bulk
    批注版 are skipped by xxgk merge, by design; originals came one by one). 下载计入汇总的原件
    holds what the region's summary counts — each agency's counted version as uploaded, each
    sub-region's summary as counted (上报 or current) — with a 名单.csv and a 说明.txt naming what
    is left out; `xxgk merge` of it with that roster gives the web summary's figures."""
    import io
    import zipfile

    from toolkit.merge import merge
    from toolkit.spec import spec_for_year

    db, _codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]
        cur = season.state(st, wa).current
        season.return_version(st, wa, cur.id, "请改正")  # 已退回: not counted, not in the zip
        _submit(st, "青川区")  # 青川区 上报s; 东湖区 does not: its current summary counts
    admin = _client(db, "", PASSWORD)
    for place in ("青川区", None):
        with WebStore(db, create=False) as st:
            t = regions.tree(st, YEAR)
            node = t.node_at(place) if place else t.root
            web = regions.region_summary(st, YEAR, t, node, spec=spec_for_year(YEAR))
        page = admin.get(f"/coord/summary?region={node.region.id}").get_data(as_text=True)
        href = re.search(r'id="bulk-originals" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        names, _ = _zip_of(admin, href)
        r = admin.get(href)
        with r, zipfile.ZipFile(io.BytesIO(r.data)) as z:
            out = tmp_path / f"zip-{place or 'city'}"
            z.extractall(out)
        note = (out / "说明.txt").read_text(encoding="utf-8-sig")
        if place == "青川区":
            assert sorted(names) == ["名单.csv", "说明.txt", "青川区司法局.xlsx", "青川区民政局.xlsx"]
        else:
            assert sorted(names) == sorted(
                ["名单.csv", "说明.txt", "示例市财政局.xlsx", "青川区_汇总表.xlsx", "东湖区_汇总表.xlsx"]
            )
            assert "东湖区司法局" not in note  # below 东湖区: its summary says so, not the city's zip
        cli = merge([out], roster=out / "名单.csv", year=YEAR)
        assert cli.submission.values == web.submission.values, place
        assert cli.submission.agency == node.region.name
        assert "xxgk merge" in note and "名单.csv" in note
    with WebStore(db, create=False) as st:  # 东湖区's own: the returned agency is named as left out
        t = regions.tree(st, YEAR)
        dh = t.node_at("东湖区")
    names, _ = _zip_of(admin, f"/coord/bulk/originals.zip?region={dh.region.id}")
    r = admin.get(f"/coord/bulk/originals.zip?region={dh.region.id}")
    with r, zipfile.ZipFile(io.BytesIO(r.data)) as z:
        note = z.read("说明.txt").decode("utf-8-sig")
    assert sorted(names) == ["东湖区民政局.xlsx", "名单.csv", "说明.txt"]
    assert "东湖区司法局：协调人已退回" in note and "待重新报送" in note  # with its reason, when it has one


def test_a_forgotten_district_password_is_reset_by_the_level_above_and_an_account_changes_its_own(tmp_path):
    """Trial 5, left: a district coordinator who forgot the password had to be replaced by a new
    account under another name (the guide said so; --set-password resets admin's only). The level
    above now sets a new password on the 账号 page (the old sessions end, the account, its region
    and its 操作记录 stay), and every account changes its own with the old one."""
    db, _codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        root = st.web_account(login=regions.ROOT_LOGIN)
        regions.create_account(
            st, t, root, "qingchuan", hash_password(QC_PASSWORD), t.node_at("青川区").region.id, YEAR
        )
        regions.create_account(
            st, t, root, "donghu", hash_password(DH_PASSWORD), t.node_at("东湖区").region.id, YEAR
        )
        qc_id = st.web_account(login="qingchuan").id
        dh_id = st.web_account(login="donghu").id
    district = _client(db, "qingchuan", QC_PASSWORD)  # a session opened with the old password
    admin = _client(db, "", PASSWORD)
    page = admin.get("/coord/accounts").get_data(as_text=True)
    new = "青川区-新密码-2025"
    r = admin.post(
        "/coord/accounts",
        data={"csrf": csrf_of(page), "account": str(qc_id), "action": "password", "password": new},
    )
    assert r.status_code == 303
    page = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert "已为账号“qingchuan”重设密码" in page
    assert district.get("/coord").status_code == 403  # the old session ended with the old password
    again = _client(db, "qingchuan", new)  # the same account, its region kept
    assert "青川区" in again.get("/coord").get_data(as_text=True)
    log = admin.get("/coord/log").get_data(as_text=True)
    assert "重设密码" in log and "qingchuan" in log and new not in log
    # a district cannot reset a neighbour's or its level above's password, nor a short one
    mine = again.get("/coord/accounts").get_data(as_text=True)
    for aid, pw in ((dh_id, "东湖区-别人的-2025"), (root_id := admin_id(db), "抢来的密码-2025")):
        r = again.post(
            "/coord/accounts",
            data={"csrf": csrf_of(mine), "account": str(aid), "action": "password", "password": pw},
        )
        assert "没有这个账号，或不是本级以下的账号" in again.get(r.headers["Location"]).get_data(as_text=True)
    assert root_id != qc_id
    _client(db, "donghu", DH_PASSWORD)  # unchanged
    # an account's own: the old password first, the new one twice; this session stays logged in
    form = again.get("/coord/password").get_data(as_text=True)
    for data, why in (
        ({"old": "错的", "new": "新的密码-123456", "again": "新的密码-123456"}, "当前密码不正确"),
        ({"old": new, "new": "短", "again": "短"}, "新密码至少 8 个字符"),
        ({"old": new, "new": "新的密码-123456", "again": "新的密码-654321"}, "两次输入的新密码不一致"),
    ):
        r = again.post("/coord/password", data={"csrf": csrf_of(form), **data})
        assert why in again.get(r.headers["Location"]).get_data(as_text=True)
    r = again.post(
        "/coord/password",
        data={"csrf": csrf_of(form), "old": new, "new": "新的密码-123456", "again": "新的密码-123456"},
    )
    assert "密码已修改" in again.get(r.headers["Location"]).get_data(as_text=True)
    assert again.get("/coord").status_code == 200  # this session goes on
    _client(db, "qingchuan", "新的密码-123456")
    assert "修改本账号密码" in admin.get("/coord/log").get_data(as_text=True)


def admin_id(db: Path) -> int:
    with WebStore(db, create=False) as st:
        return st.web_account(login=regions.ROOT_LOGIN).id
