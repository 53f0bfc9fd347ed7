"""The seventh fresh-clone trial round (/work/briefs/season31-report.md): the known leftovers of
the collection season and each defect the trial found, as tests that failed before their fix —
real workbooks, the real server over HTTP, the real archive."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import fetched
from tests.serve_process import PASSWORD, make_workbook, start_server
from tests.test_serve import _need

requests = _need("requests")

YEAR = 2025
ROOT = Path(__file__).resolve().parent.parent


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
    with zipfile.ZipFile(io.BytesIO(fetched(admin, "/coord/bulk/originals.zip"))) as z:
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


def _session(srv, login: str, password: str):
    """A coordinator logged in over real HTTP."""
    from tests.serve_process import csrf_of

    s = requests.Session()
    page = s.get(f"{srv.url}/login", timeout=60).text
    r = s.post(
        f"{srv.url}/login",
        data={"csrf": csrf_of(page), "login": login, "password": password},
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code in (302, 303), r.text[-400:]
    return s


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_versions_are_numbered_per_agency_not_by_archive_id(tmp_path):
    """Leftover b: the coordinator's agency page numbered versions by their archive-wide id — an
    agency's only version showed "5", its 操作记录 "#5", the 操作记录 page "5". Each agency's versions
    are 第1版, 第2版 … (its own, this year), on its page, in its events and on the 操作记录 page; the
    ids stay in the forms and URLs only."""
    from tests.test_regions import _setup_city
    from toolkit import season
    from toolkit.store import WebStore

    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        wa = by_name["东湖区司法局"]  # the fifth agency: its only version is the archive's 5th
        vid = season.state(st, wa).current.id
        assert vid > 1
    srv = start_server(db)
    try:
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/agency/{wa.id}", timeout=60).text
        row = re.search(r'<table class="list" id="versions">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[0].strip() == "第1版", cells[:2]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = s.post(
            f"{srv.url}/coord/agency/{wa.id}/return",
            data={"csrf": csrf, "version": str(vid), "note": "请核对数字"},
            timeout=60,
        )
        assert r.status_code == 200, r.text[-300:]
        data = make_workbook(tmp_path / "fix.xlsx", wa.name, codes[4], k=41).read_bytes()
        with WebStore(db) as st:
            season.receive(st, st.web_agency(id=wa.id), data, "更正.xlsx", year=YEAR)
        page = _plain(s.get(f"{srv.url}/coord/agency/{wa.id}", timeout=60).text)
        assert "退回 第1版：请核对数字" in page, page[-800:]
        assert f"#{vid}" not in page and "第2版" in page, page[-800:]
        log = s.get(f"{srv.url}/coord/log", timeout=60).text
        row = next(x for x in re.findall(r"<tr>(.*?)</tr>", log, re.S) if "请核对数字" in x)
        assert "第1版" in row and f"<td>{vid}</td>" not in row, row
    finally:
        srv.stop()


def _zip_of(s, url: str) -> zipfile.ZipFile:
    """A bulk zip fetched over HTTP, through its progress page."""
    for _ in range(600):
        r = s.get(url, timeout=120)
        assert r.status_code == 200, r.text[-300:]
        if r.headers.get("Content-Type", "").startswith("application/zip"):
            return zipfile.ZipFile(io.BytesIO(r.content))
        import time

        time.sleep(0.2)
    raise AssertionError("the zip never came")


def test_the_bulk_zips_name_another_agencys_report_as_that(tmp_path):
    """Leftover c: 青川区司法局 uploaded 青川区民政局's workbook (its only upload). The 批注版 zip held
    its marked copy as 青川区司法局_批注版.xlsx — as if it were 司法局's own report with errors — and
    the Word zip's 说明 said 青川区司法局：有错误. Both say it is another agency's report."""
    from tests.serve_process import links, write_roster

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局", "青川区司法局", "青川区教育局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        own = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[0]).read_bytes()
        bad = make_workbook(tmp_path / "jy.xlsx", "青川区教育局", codes[2], valid=False).read_bytes()
        for name, data, file in (
            ("青川区民政局", own, "民政局.xlsx"),
            ("青川区司法局", own, "民政局的表.xlsx"),  # another agency's report
            ("青川区教育局", bad, "教育局.xlsx"),  # its own, with an error
        ):
            c = requests.Session()
            page = c.get(f"{srv.url}/a/{tokens[name]}", timeout=60).text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            r = c.post(
                f"{srv.url}/a/{tokens[name]}/upload",
                data={"csrf": csrf},
                files={"file": (file, data)},
                timeout=120,
            )
            assert r.status_code == 200, r.text[-300:]
        s = _session(srv, "", PASSWORD)
        with _zip_of(s, f"{srv.url}/coord/bulk/annotated.zip") as z:
            names = z.namelist()
        sf = [n for n in names if n.startswith("青川区司法局")]
        assert len(sf) == 1 and "另一单位的报告" in sf[0], names
        jy = [n for n in names if n.startswith("青川区教育局")]
        assert len(jy) == 1 and "另一单位" not in jy[0], names
        with _zip_of(s, f"{srv.url}/coord/bulk/reports.zip") as z:
            note = z.read("说明.txt").decode("utf-8-sig")
        said = {x.split("：")[0].lstrip("- "): x for x in note.splitlines() if x.startswith("- 青川区")}
        assert "另一单位的报告" in said["青川区司法局"] and "有错误" not in said["青川区司法局"], note
        assert "有错误" in said["青川区教育局"], note
    finally:
        srv.stop()


def test_a_root_renamed_by_the_roster_is_the_same_city_said_at_start_and_in_the_log(tmp_path):
    """Leftover d: a roster whose 上级 renames the root (示例市 → 示例新市, its districts and agencies
    unchanged) was not handled: the pages kept saying 示例市 and nothing was said. It is the root
    renamed, as a district's 区划调整: the serve start and the 操作记录 say it, the coordinator's
    account (admin) keeps working, the pages and the summary carry the new name, the districts'
    上报 still count (汇总完整), and a second start says nothing again."""
    from tests.test_season_trial5 import city_with_donghu_account

    db, _codes, _by = city_with_donghu_account(tmp_path, ["东湖区", "青川区"])
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    renamed = tmp_path / "new.csv"
    renamed.write_text(
        text.replace(",示例市/", ",示例新市/")
        .replace(",示例市\n", ",示例新市\n")
        .replace(",示例市\r\n", ",示例新市\r\n"),
        encoding="utf-8",
    )
    assert "示例市/" not in renamed.read_text(encoding="utf-8")
    srv = start_server(db, roster=renamed)
    try:
        said = "".join(srv.stderr)
        assert "最上级地区“示例市”更名为“示例新市”" in said and "协调人账号 admin 沿用" in said, said
        s = _session(srv, "", PASSWORD)
        dash = s.get(f"{srv.url}/coord", timeout=60).text
        h1 = _plain(re.search(r"<h1[^>]*>(.*?)</h1>", dash, re.S).group(1))
        assert "示例新市" in h1, h1
        page = s.get(f"{srv.url}/coord/summary", timeout=60).text
        while "正在汇总" in page:
            page = s.get(f"{srv.url}/coord/summary", timeout=60).text
        assert "示例新市" in _plain(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1))
        assert "下级地区 2 个（已上报 2）" in _plain(page) and "汇总完整" in page, _plain(page)[:1500]
        log = _plain(s.get(f"{srv.url}/coord/log", timeout=60).text)
        assert "名单：地区更名" in log and "示例新市" in log, log[:1500]
    finally:
        srv.stop()
    srv = start_server(db, roster=renamed)
    try:
        assert "更名为" not in "".join(srv.stderr)
    finally:
        srv.stop()


# -- what the trial found ---------------------------------------------------------------------------
def _upload(srv, token: str, data: bytes, name: str) -> str:
    c = requests.Session()
    page = c.get(f"{srv.url}/a/{token}", timeout=60).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = c.post(f"{srv.url}/a/{token}/upload", data={"csrf": csrf}, files={"file": (name, data)}, timeout=120)
    assert r.status_code == 200, r.text[-300:]
    return r.text


def _summary_page(s, url: str) -> str:
    page = s.get(url, timeout=120).text
    while "正在汇总" in page:
        page = s.get(url, timeout=120).text
    return page


def test_a_return_note_reaches_the_summary_and_the_clerk_is_told_which_file(tmp_path):
    """Trial 1 and 2: the district coordinator sent 教育局's version back with a note (第二部分…请核对).
    The region's summary said only 协调人已退回，待重新报送 — on the page's 未计入汇总 table and in the
    summary workbook's 问题清单, what the city reads: the reason was lost one level up. And the
    clerk's 协调人的处理 said 退回：… without the file sent back. Both carry it now."""
    from openpyxl import load_workbook

    from tests.serve_process import links, write_roster

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局", "青川区教育局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        for i, name in enumerate(("青川区民政局", "青川区教育局")):
            data = make_workbook(tmp_path / f"{i}.xlsx", name, codes[i], k=i).read_bytes()
            _upload(srv, tokens[name], data, f"{name}（LibreOffice另存）.xlsx")
        s = _session(srv, "", PASSWORD)
        dash = s.get(f"{srv.url}/coord", timeout=60).text
        aid = re.search(r'href="/coord/agency/(\d+)"[^>]*>青川区教育局<', dash).group(1)
        note = "第二部分行政许可数量与去年差异较大，请核对后重新上传"
        assert _return_version(s, srv.url, aid, note).status_code == 200
        summary = _plain(_summary_page(s, f"{srv.url}/coord/summary"))
        left = summary[summary.index("未计入汇总的单位") :]
        assert note in left, left[:400]
        xlsx = s.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
        (tmp_path / "s.xlsx").write_bytes(xlsx.content)
        wb = load_workbook(tmp_path / "s.xlsx", read_only=True)
        rows = [" ".join(str(c) for c in r if c) for r in wb["问题清单"].iter_rows(values_only=True)]
        wb.close()
        assert any("RETURNED" in x and note in x for x in rows), rows
        with _zip_of(s, f"{srv.url}/coord/bulk/originals.zip") as z:  # what xxgk merge re-sums
            said = z.read("说明.txt").decode("utf-8-sig")
        assert f"青川区教育局：协调人已退回（{note}" in said, said
        clerk = _plain(requests.get(f"{srv.url}/a/{tokens['青川区教育局']}", timeout=60).text)
        said = clerk[clerk.index("协调人的处理") :].replace(" ", "")
        assert "退回（青川区教育局（LibreOffice另存）.xlsx）：第二部分" in said, said[:300]
    finally:
        srv.stop()


def test_a_clerk_who_sent_another_agencys_report_is_not_told_to_correct_it(tmp_path):
    """Trial 3: 教育局 uploaded 东湖区民政局's workbook. Its page said 尚未通过：请按校验结果修改后重新上传 and
    有错误 … 请按下表修改后重新上传 — there is nothing of its own to correct: it has to send its own
    report. The page says the file is another agency's report and asks for its own."""
    from tests.serve_process import links, write_roster

    roster = tmp_path / "r.csv"
    codes = write_roster(roster, ["青川区民政局", "青川区教育局"])
    srv = start_server(tmp_path / "x.db", roster=roster)
    try:
        tokens = links(srv.db)
        other = make_workbook(tmp_path / "mz.xlsx", "青川区民政局", codes[0]).read_bytes()
        page = _plain(_upload(srv, tokens["青川区教育局"], other, "民政局的表.xlsx"))
        standing = page[: page.index("① 下载本单位的填报表")]
        assert "不是本单位的报告" in standing and "修改后重新上传" not in standing, standing
        verdict = page[page.index("③ 校验结果") : page.index("上传记录")]
        assert "请按下表修改" not in verdict and "请上传本单位的报告" in verdict, verdict
    finally:
        srv.stop()


def test_an_unchanged_submission_does_not_ask_to_be_submitted_again(tmp_path):
    """Trial 4: right after 上报, with nothing changed, the district's summary offered 重新上报当前汇总 as
    its main button — a coordinator wonders what they missed. It says 上报后没有变动 and the button is
    a plain secondary one; after a change it asks again as before."""
    from tests.test_regions import QC_PASSWORD, _setup_city, _submit
    from toolkit import regions
    from toolkit.store import WebStore
    from toolkit.web.security import hash_password

    db, _codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        t = regions.tree(st, YEAR)
        root = st.web_account(login=regions.ROOT_LOGIN)
        regions.create_account(
            st, t, root, "qingchuan", hash_password(QC_PASSWORD), t.node_at("青川区").region.id, YEAR
        )
        _submit(st, "青川区")
    srv = start_server(db)
    try:
        s = _session(srv, "qingchuan", QC_PASSWORD)
        page = _summary_page(s, f"{srv.url}/coord/summary")
        button = re.search(r'<button[^>]*id="submit-up"[^>]*>([^<]*)<', page)
        assert "上报后没有变动" in _plain(page) and 'class="secondary' in button.group(0), button.group(0)
    finally:
        srv.stop()


def test_the_account_page_lists_regions_in_the_rosters_order(tmp_path):
    """Trial 5: the 账号 page's 地区 list put 东湖区 before 青川区 (sorted by code points) while every
    other page follows the roster (青川区 first)."""
    from tests.test_regions import _setup_city

    db, _codes, _by = _setup_city(tmp_path)
    srv = start_server(db)
    try:
        s = _session(srv, "", PASSWORD)
        page = s.get(f"{srv.url}/coord/accounts", timeout=60).text
        select = re.search(r'<select name="region".*?</select>', page, re.S).group(0)
        names = [_plain(x).strip() for x in re.findall(r"<option[^>]*>(.*?)</option>", select)]
        assert names == ["青川区", "东湖区"], names
        from tests.test_regions import DH_PASSWORD, QC_PASSWORD

        for region, login, pw in (("东湖区", "donghu", DH_PASSWORD), ("青川区", "qingchuan", QC_PASSWORD)):
            rid = re.search(rf'<option value="(\d+)">{region}</option>', select).group(1)
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            r = s.post(
                f"{srv.url}/coord/accounts",
                data={"csrf": csrf, "region": rid, "login": login, "password": pw},
                timeout=60,
            )
            assert r.status_code == 200, r.text[-300:]
            page = r.text
        table = re.search(r'<table class="list" id="accounts">.*?</table>', page, re.S).group(0)
        assert table.index("qingchuan") < table.index("donghu")  # the rows too
    finally:
        srv.stop()


def test_the_city_says_a_district_is_incomplete_because_it_changed_since_its_submission(tmp_path):
    """Trial 6: 青川区 上报 a complete summary, then an agency uploaded again. The city's 下级地区 table
    said 不完整 under 已报送 4（计入汇总 4…），未报送 0 — nothing incomplete in the words beside it. The
    cell says why: 上报后有变动 (and what the 上报 said)."""
    from tests.test_regions import _setup_city, _submit
    from toolkit import season
    from toolkit.store import WebStore

    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
        wa = by_name["青川区民政局"]
        data = make_workbook(tmp_path / "again.xlsx", wa.name, codes[1], k=91).read_bytes()
        season.receive(st, st.web_agency(id=wa.id), data, "补充.xlsx", year=YEAR)
    srv = start_server(db)
    try:
        s = _session(srv, "", PASSWORD)
        page = _summary_page(s, f"{srv.url}/coord/summary")
        row = re.search(r'<tr data-region="青川区">(.*?)</tr>', page, re.S).group(1)
        cell = _plain(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1])
        assert "不完整" in cell and "上报后有变动" in cell, cell
    finally:
        srv.stop()


def _return_version(s, url: str, aid: str, note: str):
    """退回 the agency's version that stands (the one its page offers to send back) with ``note``."""
    page = s.get(f"{url}/coord/agency/{aid}", timeout=60).text
    return s.post(
        f"{url}/coord/agency/{aid}/return",
        data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1),
            "version": re.search(r'class="return">.*?name="version" value="(\d+)"', page, re.S).group(1),
            "note": note,
        },
        timeout=60,
    )
