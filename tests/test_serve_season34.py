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


def test_a_version_that_is_another_agencys_report_cannot_be_made_current(tmp_path):
    """Leftover 2: a version filed as 财政局's (a cover with an unrelated name and 财政局's code: its
    own, with an error) is another agency's report once a roster exchanges the codes of 财政局 and
    教育委员会 (the cover's code is 教育委员会's now, its name neither's). It kept its 设为当前版本
    button and stood as 财政局's current version (有错误). It is listed as 另一单位的报告, without the
    button; choosing it anyway is refused, with why; the clerk is told no report of its own came."""
    first = tmp_path / "r1.csv"
    codes = write_roster(first, NAMES)
    swapped = _roster(tmp_path / "r2.csv", [(NAMES[0], codes[1]), (NAMES[1], codes[0]), (NAMES[2], codes[2])])
    db = tmp_path / "x.db"
    srv = start_server(db, roster=first)
    try:
        data = make_workbook(tmp_path / "un.xlsx", "某某科技有限公司", codes[0]).read_bytes()
        assert "COVER-MISMATCH" in _upload(srv, links(db)[NAMES[0]], data, "某某公司的表.xlsx")
    finally:
        srv.stop()
    srv = start_server(db, roster=swapped)
    try:
        s = _session(srv, "", PASSWORD)
        aid = _agency_id(s, srv.url, NAMES[0])
        page = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
        row = _table(page, "versions")
        assert "另一单位的报告" in _plain(row), _plain(row)
        assert "设为当前版本" not in row, _plain(row)
        assert "✔" not in row, _plain(row)  # not its current version either
        vid = re.search(r'name="version" value="(\d+)"', row).group(1)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = s.post(f"{srv.url}/coord/agency/{aid}/choose", data={"csrf": csrf, "version": vid}, timeout=60)
        assert r.status_code == 400 and "不能设为本单位的当前版本" in _plain(r.text), (
            r.status_code,
            r.text[-600:],
        )
        page = _plain(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text)
        assert "✔" not in page and "指定版本" not in page, page[-1500:]
        clerk = _plain(requests.get(f"{srv.url}/a/{links(db)[NAMES[0]]}", timeout=60).text)
        assert "尚未报送本单位的报告" in clerk, clerk[:1500]
    finally:
        srv.stop()


def _badge(html: str, where: str) -> str:
    """The status badge after ``where`` (当前状态：, 状态：)."""
    m = re.search(re.escape(where) + r'\s*<span class="status (\w+)">([^<]*)</span>', html)
    assert m, html[:1500]
    return f"{m.group(1)}:{m.group(2)}"


def test_the_clerks_badge_says_another_agencys_report_as_the_dashboard_does(tmp_path):
    """Leftover 3: 财政局's clerk uploaded 民政局's report. The page's banner said 尚未报送本单位的报告
    but its badge said 当前状态：有错误 — an error to look for in a file that is not its own. The
    badge says 另一单位的报告, as the dashboard's row and the coordinator's page of the agency do
    (still among 有错误 in the dashboard's four counts), and so does the summary's 未计入汇总 row (the
    fresh-clone trial); its own report then makes it 通过."""
    roster = tmp_path / "r.csv"
    codes = write_roster(roster, NAMES)
    db = tmp_path / "x.db"
    srv = start_server(db, roster=roster)
    try:
        token = links(db)[NAMES[0]]
        other = make_workbook(tmp_path / "mz.xlsx", NAMES[2], codes[2]).read_bytes()
        page = _upload(srv, token, other, "民政局的表.xlsx")
        assert _badge(page, "当前状态：") == "bad:另一单位的报告"
        s = _session(srv, "", PASSWORD)
        dash = s.get(f"{srv.url}/coord", timeout=60).text
        row = re.search(rf'<tr data-agency="{NAMES[0]}">(.*?)</tr>', dash, re.S).group(1)
        assert re.search(r'<td class="st">\s*<span class="status bad">另一单位的报告</span>', row), row
        assert "有错误 1" in _plain(dash), _plain(dash)[:1500]
        aid = _agency_id(s, srv.url, NAMES[0])
        assert (
            _badge(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text, "状态：") == "bad:另一单位的报告"
        )
        # the summary's 未计入汇总 row too (the fresh-clone trial: 有错误，未计入汇总（改正后重新报送）)
        from tests.test_serve_season31 import _summary_page

        summary = _plain(_summary_page(s, f"{srv.url}/coord/summary"))
        row = summary[summary.index("未计入汇总的单位") :]
        row = row[row.index(NAMES[0]) : row.index(NAMES[1])]
        assert "另一单位的报告" in row and "改正后重新报送" not in row, row
        own = make_workbook(tmp_path / "cz.xlsx", NAMES[0], codes[0]).read_bytes()
        assert _badge(_upload(srv, token, own, "财政局.xlsx"), "当前状态：") == "ok:通过"
    finally:
        srv.stop()


def test_the_upload_of_a_returned_version_says_returned_with_the_note(tmp_path):
    """Leftover 4: the coordinator sent 财政局's only version back (退回: 第三部分数字请核对). The
    version line said 已退回 but the 上传记录 row of its upload still said its check's verdict on the
    coordinator's page (通过 0 错 / 0 提示 for a file that passed; 有错误 1 错 here), and 已退回 without
    the reason on the clerk's. Both rows say 已退回 with the note (the clerk's without the error
    count after it, read as part of the note: the fresh-clone trial); the next upload's row says its
    own verdict."""
    from tests.test_serve_season31 import _return_version

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, NAMES)
    db = tmp_path / "x.db"
    srv = start_server(db, roster=roster)
    try:
        token = links(db)[NAMES[0]]
        data = make_workbook(tmp_path / "a.xlsx", NAMES[0], codes[0], valid=False).read_bytes()
        _upload(srv, token, data, "第一稿.xlsx")
        s = _session(srv, "", PASSWORD)
        aid = _agency_id(s, srv.url, NAMES[0])
        assert _return_version(s, srv.url, aid, "第三部分数字请核对").status_code == 200

        def rows(html: str) -> dict[str, str]:
            body = _table(html, "history")
            return {
                re.search(r"[\w（）]+\.xlsx", _plain(r)).group(0): _plain(r)
                for r in re.findall(r"<tr.*?</tr>", body, re.S)
            }

        coord = rows(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text)
        assert "已退回 （第1版）： 第三部分数字请核对" in coord["第一稿.xlsx"], coord
        assert "通过" not in coord["第一稿.xlsx"] and "1 错" not in coord["第一稿.xlsx"], coord
        clerk = rows(requests.get(f"{srv.url}/a/{token}", timeout=60).text)
        assert "已退回 ： 第三部分数字请核对" in clerk["第一稿.xlsx"], clerk
        assert "个错误" not in clerk["第一稿.xlsx"], clerk  # read as part of the note
        data = make_workbook(tmp_path / "b.xlsx", NAMES[0], codes[0], k=1).read_bytes()
        clerk = rows(_upload(srv, token, data, "第二稿.xlsx"))
        assert "通过" in clerk["第二稿.xlsx"] and "已退回" in clerk["第一稿.xlsx"], clerk
        coord = rows(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text)
        assert "通过" in coord["第二稿.xlsx"] and "已退回" not in coord["第二稿.xlsx"], coord
        assert "第三部分数字请核对" in coord["第一稿.xlsx"], coord
    finally:
        srv.stop()


def _footer(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return wb["问题清单"].oddFooter.center.text


def test_serves_marked_copy_names_the_agency_and_year_in_its_footer_as_the_cli_does(tmp_path):
    """Leftover 5: the 批注版 a clerk (and the coordinator's 批注版 zip) got from serve had the
    uploaded file's name in its 问题清单's footer, where `xxgk validate --annotate` of the same
    file names the agency and the year of its cover. Both name them, one way."""
    import subprocess
    import sys

    from tests.test_serve_season31 import ROOT, _zip_of

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, NAMES)
    bad = make_workbook(tmp_path / "cz.xlsx", NAMES[0], codes[0], valid=False)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "validate",
            str(bad),
            "--year",
            str(YEAR),
            "--annotate",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert cli.returncode == 1, cli.stdout + cli.stderr
    want = _footer((tmp_path / "out" / "cz_批注.xlsx").read_bytes())
    assert NAMES[0] in want and f"{YEAR}年度" in want, want
    db = tmp_path / "x.db"
    srv = start_server(db, roster=roster)
    try:
        token = links(db)[NAMES[0]]
        page = _upload(srv, token, bad.read_bytes(), "财政局的草稿.xlsx")
        href = re.search(r'id="download-annotated" href="([^"]+)"', page).group(1)
        r = requests.get(f"{srv.url}{href}", timeout=120)
        assert r.status_code == 200, r.text[-300:]
        assert _footer(r.content) == want
        s = _session(srv, "", PASSWORD)
        with _zip_of(s, f"{srv.url}/coord/bulk/annotated.zip") as z:
            (name,) = [n for n in z.namelist() if n.startswith(NAMES[0])]
            assert _footer(z.read(name)) == want
    finally:
        srv.stop()


def _split_as_an_older_serve_did(tmp_path: Path) -> tuple[Path, list[str], dict[str, int]]:
    """An archive as a serve before season33 left it after a roster exchanged the codes of 财政局
    and 教育委员会 and the next one exchanged them back, built by hand: each agency got a second
    link (and a second archive agency, without a code) under its name while the first was off the
    roster, uploads went through both, and the swap back put the first on the roster again and the
    second off it. 教育委员会 sent the very same file through both links (one version each). Returns
    the archive, the codes, and the number of uploads and versions in it."""
    import sqlite3

    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore, token_hash
    from toolkit.web.security import Keys

    first = tmp_path / "r1.csv"
    codes = write_roster(first, NAMES)
    db = tmp_path / "x.db"
    keys = Keys.for_db(db)
    files = {
        n: make_workbook(tmp_path / f"{i}.xlsx", n, codes[i]).read_bytes() for i, n in enumerate(NAMES[:2])
    }
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(first).entries, keys.fresh_token)
        cz, jw = st.web_agencies(YEAR)[:2]
        season.receive(st, cz, files[NAMES[0]], "财政局第一份.xlsx", year=YEAR)
        season.receive(st, jw, files[NAMES[1]], "教委第一份.xlsx", year=YEAR)
        # the swap as the older serve made it: a second link for each, the first off the roster
        with st.transaction():
            for wa, code in ((cz, codes[1]), (jw, codes[0])):
                st.db.execute(
                    "INSERT INTO web_agencies (year, token, name, norm_name, code, parent, line, created_at,"
                    " region_id) SELECT year, ?, name, norm_name, ?, parent, line, created_at, region_id"
                    " FROM web_agencies WHERE id = ?",
                    (token_hash(f"second-{wa.id}"), code, wa.id),
                )
                st.db.execute("UPDATE web_agencies SET removed_at = created_at WHERE id = ?", (wa.id,))
        by_name = {a.name: a for a in st.web_agencies(YEAR) if a.name in NAMES[:2]}
        cz2, jw2 = by_name[NAMES[0]], by_name[NAMES[1]]
        assert cz2.id != cz.id and jw2.id != jw.id
        data = make_workbook(tmp_path / "cz2.xlsx", NAMES[0], codes[1], k=2).read_bytes()
        season.receive(st, cz2, data, "财政局第二份.xlsx", year=YEAR)
        season.receive(st, jw2, files[NAMES[1]], "教委第一份又传.xlsx", year=YEAR)
        # the swap back: the first links on the roster again, the second ones off it
        with st.transaction():
            st.db.execute("UPDATE web_agencies SET removed_at = NULL WHERE id IN (?, ?)", (cz.id, jw.id))
            st.db.execute(
                "UPDATE web_agencies SET removed_at = created_at WHERE id IN (?, ?)", (cz2.id, jw2.id)
            )
    con = sqlite3.connect(db)
    counts = {
        t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("web_uploads", "versions", "agencies")
    }
    con.close()
    assert counts["agencies"] == len(NAMES) + 2  # the two second archive agencies
    return db, codes, counts


def test_an_archive_an_older_serve_split_is_joined_again_when_opened(tmp_path):
    """Leftover 6: an archive an older serve split by a code swap (and the swap back) showed each
    agency with the uploads of one link only — 财政局's 第二份 was nowhere on its pages, its version
    in a second archive agency of the same name. Opened, every agency is one link again with every
    upload and version (the same file sent through both links one version), each repair logged
    once in the 操作记录; opened again, nothing more changes."""
    import sqlite3

    from tests.test_serve_season32 import _log_rows

    db, codes, counts = _split_as_an_older_serve_did(tmp_path)
    for round_ in range(2):
        srv = start_server(db, roster=tmp_path / "r1.csv")
        try:
            said = "".join(srv.stderr)
            assert ("两条报送记录已合并" in said) == (round_ == 0), said
            s = _session(srv, "", PASSWORD)
            aid = _agency_id(s, srv.url, NAMES[0])
            page = s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text
            history = _plain(_table(page, "history"))
            assert "财政局第一份.xlsx" in history and "财政局第二份.xlsx" in history, history
            assert "第2版" in _plain(_table(page, "versions")), _plain(page)[:2000]
            clerk = _plain(requests.get(f"{srv.url}/a/{links(db)[NAMES[0]]}", timeout=60).text)
            assert "财政局第二份.xlsx" in clerk, clerk[:2000]
            jw = s.get(f"{srv.url}/coord/agency/{_agency_id(s, srv.url, NAMES[1])}", timeout=60).text
            assert "教委第一份又传.xlsx" in _plain(_table(jw, "history"))
            assert "第2版" not in _plain(_table(jw, "versions"))  # the same file: one version
            mends = [r for r in _log_rows(s, srv.url) if r[4] == "合并重复记录" and r[1] == "档案库整理"]
            assert sorted(r[3] for r in mends) == sorted(NAMES[:2]), mends
            # the joined agency goes on: an upload through its link is its 第3版
            data = make_workbook(
                tmp_path / f"cz{round_}.xlsx", NAMES[0], codes[0], k=10 + round_
            ).read_bytes()
            assert "通过" in _plain(_upload(srv, links(db)[NAMES[0]], data, f"财政局第{3 + round_}份.xlsx"))
        finally:
            srv.stop()
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT COUNT(*) FROM web_uploads").fetchone()[0] == counts["web_uploads"] + 2
        # every version kept but the second copy of 教育委员会's one file
        assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == counts["versions"] - 1 + 2
        assert con.execute("SELECT COUNT(*) FROM agencies").fetchone()[0] == len(NAMES)
        assert con.execute("SELECT COUNT(*) FROM web_agencies").fetchone()[0] == len(NAMES)
        assert con.execute("SELECT COUNT(*) FROM web_uploads WHERE version_id IS NULL").fetchone()[0] == 0
    finally:
        con.close()


def test_two_agencies_of_one_name_told_apart_by_their_codes_are_never_joined(tmp_path):
    """Leftover 6's other side: two links of one name and year, each with its own code and its
    archive agency with that code (two agencies of one name an earlier serve registered apart, one
    now off the roster; built by hand), are no split of one agency: opening the archive joins
    nothing and each keeps its own uploads."""
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore, token_hash
    from toolkit.web.security import Keys

    codes = write_roster(tmp_path / "r0.csv", [*NAMES, "青川区档案局"])
    roster = _roster(tmp_path / "r1.csv", [(n, c) for n, c in zip(NAMES, codes, strict=False)])
    db = tmp_path / "x.db"
    keys = Keys.for_db(db)
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(roster).entries, keys.fresh_token)
        mz = next(a for a in st.web_agencies(YEAR) if a.name == NAMES[2])
        with st.transaction():
            st.db.execute(
                "INSERT INTO web_agencies (year, token, name, norm_name, code, parent, line, created_at,"
                " region_id) SELECT year, ?, name, norm_name, ?, parent, line, created_at, region_id"
                " FROM web_agencies WHERE id = ?",
                (token_hash("the-other"), codes[3], mz.id),
            )
        other = next(a for a in st.web_agencies(YEAR) if a.name == NAMES[2] and a.id != mz.id)
        for a, code, k in ((mz, codes[2], 1), (other, codes[3], 2)):
            data = make_workbook(tmp_path / f"{k}.xlsx", NAMES[2], code, k=k).read_bytes()
            season.receive(st, a, data, f"民政局{k}.xlsx", year=YEAR)
        with st.transaction():
            st.db.execute("UPDATE web_agencies SET removed_at = created_at WHERE id = ?", (other.id,))
        assert (
            st.db.execute(
                "SELECT COUNT(*) FROM agencies WHERE name = ? AND code <> ''", (NAMES[2],)
            ).fetchone()[0]
            == 2
        )
    for _round in range(2):
        srv = start_server(db, roster=roster)
        try:
            assert "两条报送记录已合并" not in "".join(srv.stderr)
            s = _session(srv, "", PASSWORD)
            aid = _agency_id(s, srv.url, NAMES[2])
            history = _plain(_table(s.get(f"{srv.url}/coord/agency/{aid}", timeout=60).text, "history"))
            assert "民政局1.xlsx" in history and "民政局2.xlsx" not in history, history
        finally:
            srv.stop()


def test_a_choice_of_a_file_both_split_links_had_survives_the_join(tmp_path):
    """Leftover 6, the older serve's split as it stood during the swap (the second link on the
    roster, the first off it): 教育委员会 sent its one file through both links and the coordinator
    chose it on the second. Joined, the agency keeps the archive agency with the code (its
    version of that file), and the choice, made of the second link's copy, stands for it."""
    from toolkit import regions, season
    from toolkit.roster import read_roster
    from toolkit.store import WebStore, token_hash
    from toolkit.web.security import Keys

    first = tmp_path / "r1.csv"
    codes = write_roster(first, NAMES)
    swapped = _roster(tmp_path / "r2.csv", [(NAMES[0], codes[1]), (NAMES[1], codes[0]), (NAMES[2], codes[2])])
    db = tmp_path / "x.db"
    keys = Keys.for_db(db)
    data = make_workbook(tmp_path / "jw.xlsx", NAMES[1], codes[1]).read_bytes()
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(first).entries, keys.fresh_token)
        jw = next(a for a in st.web_agencies(YEAR) if a.name == NAMES[1])
        season.receive(st, jw, data, "教委.xlsx", year=YEAR)
        with st.transaction():
            for name, code in ((NAMES[0], codes[1]), (NAMES[1], codes[0])):
                wid = next(a.id for a in st.web_agencies(YEAR) if a.name == name)
                st.db.execute(
                    "INSERT INTO web_agencies (year, token, name, norm_name, code, parent, line, created_at,"
                    " region_id) SELECT year, ?, name, norm_name, ?, parent, line, created_at, region_id"
                    " FROM web_agencies WHERE id = ?",
                    (token_hash(f"second-{wid}"), code, wid),
                )
                st.db.execute("UPDATE web_agencies SET removed_at = created_at WHERE id = ?", (wid,))
        jw2 = next(a for a in st.web_agencies(YEAR) if a.name == NAMES[1])
        assert jw2.id != jw.id
        season.receive(st, jw2, data, "教委又传.xlsx", year=YEAR)
        v2 = season.state(st, jw2).versions[0].id
        season.choose(st, jw2, v2)
        v1 = season.state(st, st.web_agency(id=jw.id)).versions[0].id
    srv = start_server(db, roster=swapped)
    try:
        assert "两条报送记录已合并" in "".join(srv.stderr)
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/agency/{_agency_id(s, srv.url, NAMES[1])}", timeout=60).text
        rows = _plain(_table(page, "versions"))
        assert "第2版" not in rows and "✔ 协调人指定" in rows, rows
    finally:
        srv.stop()
    with WebStore(db, create=False) as st:
        (v,) = season.state(st, st.web_agency(id=jw2.id)).versions
        assert v.id == v1 and v.code == codes[1], v  # the archive agency with the code, its version
