"""``xxgk serve`` through a season, in Debian's Chromium and over HTTP: identity by link (another
agency's report and a corrected credit code), the real upload limit, 退回 with a note the agency
reads, 催报, phone-width pages, and the security a careful reviewer expects (per-client login
throttling, withdrawn links, parallel uploads, slow clients, huge ids, a concurrent archive add).

Screenshots are kept under ``test-artifacts/serve/`` (not committed) for a person to look at."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT
from tests.serve_process import PASSWORD, csrf_of, links, make_workbook, start_server, write_roster
from tests.test_serve import _coord_session, _need, _upload

requests = _need("requests")

YEAR = 2025
NAMES = ["青川区财政局", "青川区司法局", "青川区民政局"]
ARTIFACTS = ROOT / "test-artifacts" / "serve"


def _padded(src: Path, dest: Path, size: int) -> Path:
    """The workbook with an incompressible image part (a scanned seal) making it ``size`` bytes."""
    pad = size - src.stat().st_size - 200
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            zo.writestr(info, zi.read(info))
        zo.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + os.urandom(max(pad, 0)), zipfile.ZIP_STORED)
    return dest


@pytest.fixture
def season_files(tmp_path):
    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    f = {
        "cz": make_workbook(tmp_path / "财政局.xlsx", NAMES[0], codes[0], k=1),
        # 司法局's link, 财政局's workbook re-sent (a clerk reusing another's file)
        "cz_again": make_workbook(tmp_path / "财政局的表.xlsx", NAMES[0], codes[0], k=2),
        "mz_wrong": make_workbook(tmp_path / "民政局_代码错.xlsx", NAMES[2], codes[1], k=3),
        "mz": make_workbook(tmp_path / "民政局.xlsx", NAMES[2], codes[2], k=4),
    }
    sf = make_workbook(tmp_path / "司法局_base.xlsx", NAMES[1], codes[1], k=5)
    f["sf_seal"] = _padded(sf, tmp_path / "司法局_带公章.xlsx", 350 * 1024)
    f["sf_49"] = _padded(sf, tmp_path / "司法局_4.9MB.xlsx", int(4.9 * 1024 * 1024))
    f["sf_51"] = _padded(sf, tmp_path / "司法局_5.1MB.xlsx", int(5.1 * 1024 * 1024))
    return roster, codes, f


def _status(page, name: str) -> str:
    return page.locator(f'#status-table tr[data-agency="{name}"] td.st').inner_text().strip()


def test_a_season_in_the_browser(chromium, tmp_path, season_files):
    sync_api = _need("playwright.sync_api")
    roster, codes, f = season_files
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        url, tokens = srv.url, links(srv.db)
        assert f["sf_seal"].stat().st_size > 340 * 1024 and f["sf_51"].stat().st_size > 5 * 1024 * 1024
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                view = {"width": 1366, "height": 768}

                def agency_page(i: int):
                    page = browser.new_context(viewport=view, accept_downloads=True).new_page()
                    page.goto(f"{url}/a/{tokens[NAMES[i]]}")
                    return page

                def upload(page, path: Path) -> None:
                    page.set_input_files("#file", str(path))
                    page.click("#upload")
                    page.wait_for_selector("#verdict, #error")

                coord = browser.new_context(viewport=view, accept_downloads=True).new_page()
                coord.goto(f"{url}/login")
                coord.fill("#password", PASSWORD)
                coord.click("#login")

                # 1. 财政局 sends its report; 司法局's link then sends 财政局's workbook
                cz, sf, mz = agency_page(0), agency_page(1), agency_page(2)
                upload(cz, f["cz"])
                assert cz.inner_text("#verdict").startswith("通过")
                upload(sf, f["cz_again"])
                assert "DUPLICATE-SUBMISSION" in sf.inner_text("#findings")
                assert "不是本单位（青川区司法局）的报告" in sf.inner_text("#findings")
                coord.goto(f"{url}/coord")
                # another agency's report: the badge says so (season34), not 有错误
                assert (_status(coord, NAMES[0]), _status(coord, NAMES[1])) == ("通过", "另一单位的报告")
                cz.reload()
                assert "计入汇总的版本：财政局.xlsx" in cz.inner_text("#counted")

                # 2. 民政局 with another agency's code, then corrected: one agency, counted
                upload(mz, f["mz_wrong"])
                assert "COVER-MISMATCH" in mz.inner_text("#findings") and codes[1] in mz.inner_text(
                    "#findings"
                )
                upload(mz, f["mz"])
                assert mz.inner_text("#verdict").startswith("通过")
                coord.reload()
                assert _status(coord, NAMES[2]) == "通过"

                # 3. the real limit: 0.35 MB with a seal image and 4.9 MB accepted, 5.1 MB refused
                upload(sf, f["sf_seal"])
                assert sf.inner_text("#verdict").startswith("通过")
                upload(sf, f["sf_49"])
                assert sf.inner_text("#verdict").startswith("通过")
                sf.set_input_files("#file", str(f["sf_51"]))
                sf.click("#upload")
                sf.wait_for_selector("#error")
                assert "文件过大" in sf.inner_text("#error") and "5 MB" in sf.inner_text("#error")
                sf.screenshot(path=str(ARTIFACTS / "too-large.png"))
                sf.click("#back")
                assert sf.inner_text("#agency-name") == NAMES[1]

                # 4. 退回 with a note: the agency reads it, the dashboard and 催报 list it
                coord.goto(f"{url}/coord")
                coord.click(f'#status-table tr[data-agency="{NAMES[2]}"] a')
                coord.fill("form.return input[name=note] >> nth=-1", "第五部分收费情况请补充说明")
                coord.click("form.return button >> nth=-1")
                mz.reload()
                assert "已退回" in mz.inner_text(".sub")
                assert "第五部分收费情况请补充说明" in mz.inner_text("#events")
                coord.goto(f"{url}/coord")
                assert _status(coord, NAMES[2]) == "已退回"
                coord.fill("#deadline", "2026-01-20")
                coord.click("form.deadline button")
                coord.goto(f"{url}/coord?status=已退回")
                assert coord.locator("#status-table tbody tr").count() == 1
                coord.goto(f"{url}/coord/remind")
                text = coord.locator("#remind textarea").first.input_value()
                assert text.startswith(NAMES[2]) and "2026年1月20日" in text and tokens[NAMES[2]] in text
                assert "第五部分收费情况请补充说明" in text  # why it was sent back
                # each text is shown whole (its link at the end was below a 3-line box's fold)
                hidden = coord.eval_on_selector_all(
                    "#remind textarea", "els => els.filter(e => e.scrollHeight > e.clientHeight + 1).length"
                )
                assert hidden == 0, hidden
                coord.screenshot(path=str(ARTIFACTS / "remind.png"), full_page=True)
                with coord.expect_download() as dl:
                    coord.click("#remind-csv")
                csv_text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
                assert NAMES[2] in csv_text and NAMES[0] not in csv_text

                # 5. dashboard, agency pages and the downloaded summary agree
                coord.goto(f"{url}/coord")
                shown = {n: _status(coord, n) for n in NAMES}
                assert shown == {NAMES[0]: "通过", NAMES[1]: "通过", NAMES[2]: "已退回"}
                coord.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
                coord.goto(f"{url}/coord/summary")
                coord.wait_for_selector("#figures", timeout=120_000)
                with coord.expect_download() as dl:
                    coord.click("#download-summary")
                summary = tmp_path / "summary.xlsx"
                dl.value.save_as(summary)

                # 6. a phone: the findings keep a readable width, nothing wider than the screen
                phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
                phone.goto(f"{url}/a/{tokens[NAMES[1]]}?u=2")
                phone.goto(f"{url}/a/{tokens[NAMES[1]]}")
                phone_upload = f["cz_again"]
                phone.set_input_files("#file", str(phone_upload))
                phone.click("#upload")
                phone.wait_for_selector("#findings")
                msg = phone.locator("#findings tbody tr td").nth(3).bounding_box()
                assert msg["width"] > 300, msg  # not four characters a line
                width = phone.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, width
                phone.screenshot(path=str(ARTIFACTS / "phone-agency.png"), full_page=True)
                phone.goto(f"{url}/login")
                phone.fill("#password", PASSWORD)
                phone.click("#login")
                phone.screenshot(path=str(ARTIFACTS / "phone-dashboard.png"), full_page=True)
                assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            finally:
                browser.close()
        import openpyxl

        wb = openpyxl.load_workbook(summary)
        rows = [[c for c in row if c is not None] for row in wb["报送情况"].iter_rows(values_only=True)]
        by_name = {r[1]: r for r in rows if len(r) > 3 and isinstance(r[0], int)}
        assert set(by_name) == set(NAMES)
        assert "是" in by_name[NAMES[0]] and "是" in by_name[NAMES[1]] and "是" not in by_name[NAMES[2]]
        for png in ("too-large", "remind", "dashboard", "phone-agency", "phone-dashboard"):
            assert (ARTIFACTS / f"{png}.png").stat().st_size > 5_000
    finally:
        srv.stop()


# -- over HTTP -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("season")
    roster = tmp / "roster.csv"
    codes = write_roster(roster, NAMES)
    srv = start_server(tmp / "xxgk.db", roster=roster, extra=("--max-uploads", "4"))
    srv.codes = codes  # type: ignore[attr-defined]
    srv.tmp = tmp  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def _from(source: str, url: str):
    """An HTTP connection to the server from another loopback address (another client)."""
    u = urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60, source_address=(source, 0))


def _login_from(source: str, url: str, password: str) -> int:
    con = _from(source, url)
    con.request("GET", "/login")
    r = con.getresponse()
    html = r.read().decode()
    cookie = r.getheader("Set-Cookie").split(";")[0]
    from urllib.parse import urlencode

    body = urlencode({"csrf": csrf_of(html), "password": password})
    con.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    status = con.getresponse().status
    con.close()
    return status


def test_wrong_passwords_from_one_client_do_not_lock_out_another(served):
    for _ in range(10):
        assert _login_from("127.0.0.2", served.url, "wrong-password") == 403
    assert _login_from("127.0.0.2", served.url, "wrong-password") == 429
    assert _login_from("127.0.0.2", served.url, PASSWORD) == 429  # that client waits
    assert _login_from("127.0.0.1", served.url, PASSWORD) == 303  # the coordinator's does not


def test_revoked_and_regenerated_links(served):
    coord = _coord_session(served.url)
    wa_id = _agency_id(served, NAMES[1])
    old = links(served.db)[NAMES[1]]
    assert requests.get(f"{served.url}/a/{old}", timeout=30).status_code == 200
    page = coord.get(f"{served.url}/coord/agency/{wa_id}", timeout=30).text
    r = coord.post(
        f"{served.url}/coord/agency/{wa_id}/link",
        data={"csrf": csrf_of(page), "action": "revoke"},
        timeout=30,
    )
    assert r.status_code == 200 and "链接已停用" in r.text
    assert requests.get(f"{served.url}/a/{old}", timeout=30).status_code == 404
    r = coord.post(
        f"{served.url}/coord/agency/{wa_id}/link",
        data={"csrf": csrf_of(r.text), "action": "regenerate"},
        timeout=30,
    )
    new = links(served.db)[NAMES[1]]
    assert new != old and f"/a/{new}" in r.text
    assert requests.get(f"{served.url}/a/{new}", timeout=30).status_code == 200
    assert requests.get(f"{served.url}/a/{old}", timeout=30).status_code == 404
    log = coord.get(f"{served.url}/coord/log", timeout=30).text
    assert "停用链接" in log and "生成新链接" in log


def _agency_id(served, name: str) -> int:
    from toolkit.store import WebStore

    with WebStore(served.db, create=False) as st:
        return next(a.id for a in st.web_agencies(YEAR) if a.name == name)


def test_parallel_uploads_never_exceed_the_limit(served):
    token = links(served.db)[NAMES[2]]
    base = make_workbook(served.tmp / "p.xlsx", NAMES[2], served.codes[2], k=77).read_bytes()

    def one(k: int) -> int:
        s = requests.Session()
        csrf = csrf_of(s.get(f"{served.url}/a/{token}", timeout=60).text)
        r = s.post(
            f"{served.url}/a/{token}/upload",
            data={"csrf": csrf},
            files={"file": (f"{k}.xlsx", base + bytes([k]))},
            timeout=120,
        )
        return r.status_code

    with ThreadPoolExecutor(10) as ex:
        codes = sorted(ex.map(one, range(10)))
    assert codes.count(200) == 4 and codes.count(429) == 6, codes
    from toolkit.store import WebStore

    with WebStore(served.db, create=False) as st:
        assert st.web_upload_count(_agency_id(served, NAMES[2])) == 4


@pytest.mark.parametrize(
    "path",
    [
        "/coord/agency/99999999999999999999999",
        "/coord/upload/99999999999999999999999/original",
        "/a/{token}?u=99999999999999999999999",
        "/a/{token}/u/99999999999999999999999/annotated.xlsx",
    ],
)
def test_huge_ids_are_not_a_server_error(served, path):
    coord = _coord_session(served.url)
    r = coord.get(served.url + path.format(token=links(served.db)[NAMES[0]]), timeout=30)
    assert r.status_code in (200, 404), r.status_code


def test_a_body_far_over_the_limit_is_refused_in_chinese_before_it_is_read(served):
    """200 MB announced: waitress answers at once (nothing is read), with our Chinese page."""
    u = urlparse(served.url)
    with socket.create_connection((u.hostname, u.port), timeout=60) as s:
        token = links(served.db)[NAMES[0]]
        s.sendall(
            (
                f"POST /a/{token}/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"</html>" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and "文件过大".encode() in body
    assert b"generated by" not in body and b"Request Entity Too Large\r\n" not in body


def test_slow_clients_do_not_starve_the_server(served):
    """300 connections that send a header line every second and never finish: a normal request
    still gets its page (with the old connection limit of 200 it waited for their timeouts)."""
    u = urlparse(served.url)
    socks: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(300):
            s = socket.create_connection((u.hostname, u.port), timeout=30)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)

        def drip() -> None:
            while not stop.wait(1.0):
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.sendall(b"X-Slow: 1\r\n")

        t = threading.Thread(target=drip, daemon=True)
        t.start()
        t0 = time.monotonic()
        r = requests.get(f"{served.url}/login", timeout=60)
        took = time.monotonic() - t0
        assert r.status_code == 200
        # bounded: far below the 20 s an idle connection is kept (it was 30 s and more)
        assert took < 10, took
    finally:
        stop.set()
        for s in socks:
            s.close()


def test_lan_start_line_and_base_url(tmp_path):
    """--host 0.0.0.0: the start line names an address a browser opens (127.0.0.1), the links page
    builds links from --base-url (never from the request's Host), no 'bound to this machine' hint."""
    roster = tmp_path / "roster.csv"
    write_roster(roster, NAMES[:1])
    srv = start_server(
        tmp_path / "xxgk.db",
        roster=roster,
        extra=("--host", "0.0.0.0", "--base-url", "http://192.0.2.10:8000"),
    )
    try:
        for _ in range(300):  # the lines after the start line arrive through the drain thread
            started = "".join(srv.stderr)
            if "报送链接以此为前缀" in started:
                break
            time.sleep(0.1)
        assert "0.0.0.0:" not in started.split("已启动")[1].splitlines()[0]
        assert "http://192.0.2.10:8000" in started
        coord = _coord_session(srv.url)
        cookie = "; ".join(f"{c.name}={c.value}" for c in coord.cookies)  # requests matches cookies by Host
        page = requests.get(
            f"{srv.url}/coord/links", headers={"Host": "evil.example:80", "Cookie": cookie}, timeout=30
        ).text
        token = links(srv.db)[NAMES[0]]
        assert f"http://192.0.2.10:8000/a/{token}" in page and "evil.example" not in page
        assert 'id="loopback-hint"' not in page
    finally:
        srv.stop()


def test_an_archive_add_during_uploads_loses_nothing(tmp_path):
    """`xxgk archive add` of 150 workbooks runs while 12 uploads arrive: every upload is stored
    (writers wait for each other), the add succeeds, the database is intact."""
    import sqlite3

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(150):
        make_workbook(inbox / f"{i:03d}.xlsx", f"青川区归档{i}局", "", year=YEAR - 1, k=i)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = links(srv.db)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        add = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "archive", "add", "--db", str(srv.db), str(inbox)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sent = []
        for k in range(12):
            i = k % 3
            p = make_workbook(tmp_path / f"u{k}.xlsx", NAMES[i], codes[i], k=1000 + k)
            s = requests.Session()
            csrf = csrf_of(s.get(f"{srv.url}/a/{tokens[NAMES[i]]}", timeout=120).text)
            r = _upload(s, srv.url, tokens[NAMES[i]], csrf, p)
            assert r.status_code == 200, r.text[:300]
            sent.append(p.name)
        _out, err = add.communicate(timeout=600)
        assert add.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    finally:
        srv.stop()
    con = sqlite3.connect(srv.db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    names = {r[0] for r in con.execute("SELECT file_name FROM web_uploads")}
    assert set(sent) <= names
    assert con.execute("SELECT COUNT(*) FROM submissions WHERE year = ?", (YEAR - 1,)).fetchone()[0] == 150
    con.close()


def test_help_shows_the_first_start_with_set_password():
    from click.testing import CliRunner

    from toolkit.cli import main

    out = CliRunner().invoke(main, ["serve", "--help"]).output
    assert re.search(r"xxgk serve --roster \S+ --year \d{4} --set-password", out)
    assert "--base-url" in out


def test_a_regenerated_link_is_shown_at_once(served):
    """The dashboard's shared snapshot never shows a stale link after a new one is made."""
    coord = _coord_session(served.url)
    wa_id = _agency_id(served, NAMES[0])
    coord.get(f"{served.url}/coord/links", timeout=30)  # the snapshot is built
    page = coord.get(f"{served.url}/coord/agency/{wa_id}", timeout=30).text
    coord.post(
        f"{served.url}/coord/agency/{wa_id}/link",
        data={"csrf": csrf_of(page), "action": "regenerate"},
        timeout=30,
    )
    new = links(served.db)[NAMES[0]]
    assert f"/a/{new}" in coord.get(f"{served.url}/coord/links", timeout=30).text
    assert f"/a/{new}" in coord.get(f"{served.url}/coord/links.csv", timeout=30).content.decode("utf-8-sig")


def test_a_roster_changed_on_restart_the_dashboard_and_the_summary_agree(tmp_path):
    """The trial's roster change: a season on roster A (财政局, 司法局, 民政局; all three upload),
    restarted on roster B (民政局 dropped, 司法局 renamed 司法行政局 with its code, 审计局 added on
    民政局's row). The start says so; the dashboard, the summary page and the summary workbook
    all list exactly B's three agencies: 审计局 未报送 and the summary incomplete, 司法行政局
    counted with the upload it sent under its old name, 民政局 nowhere and its link gone."""
    import csv
    import io

    from toolkit.reader import read_file

    roster_a = tmp_path / "a.csv"
    codes = write_roster(roster_a, NAMES)
    files = [make_workbook(tmp_path / f"{i}.xlsx", n, codes[i], k=i) for i, n in enumerate(NAMES)]
    srv = start_server(tmp_path / "xxgk.db", roster=roster_a)
    try:
        s = requests.Session()
        for name, path in zip(NAMES, files, strict=True):
            token = links(srv.db)[name]
            csrf = csrf_of(s.get(f"{srv.url}/a/{token}", timeout=30).text)
            assert "通过" in _upload(s, srv.url, token, csrf, path).text
        old_mz = links(srv.db)[NAMES[2]]
    finally:
        srv.stop()
    roster_b = tmp_path / "b.csv"
    with roster_b.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["机关名称", "统一社会信用代码", "上级"])
        w.writerows([
            [NAMES[0], codes[0], "示例市青川区"],
            ["青川区司法行政局", codes[1], "示例市青川区"],
            ["青川区审计局", "11110999MB0000020R", "示例市青川区"],
        ])  # fmt: skip
    srv = start_server(tmp_path / "xxgk.db", roster=roster_b)
    try:
        said = "".join(srv.stderr)
        assert "按同一单位更名处理" in said and "青川区司法行政局" in said
        assert "不在本名单中（青川区民政局）" in said
        want = {NAMES[0], "青川区司法行政局", "青川区审计局"}
        coord = _coord_session(srv.url)
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        assert set(re.findall(r'data-agency="([^"]+)"', dash)) == want
        assert "共 3 个单位" in dash
        page = coord.get(f"{srv.url}/coord/summary", timeout=120).text
        assert "汇总不完整" in page and NAMES[2] not in page
        left = re.search(r'id="left-out">(.*?)</table>', page, re.S).group(1)
        assert re.findall(r"<tr><td>([^<]+)</td>", left) == ["青川区审计局"]
        xlsx = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
        (tmp_path / "s.xlsx").write_bytes(xlsx.content)
        back = read_file(tmp_path / "s.xlsx").submission
        assert back is not None and back.meta.get("counted") in ("2", 2)
        rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
        assert [r[0] for r in rows[1:]] == ["青川区审计局"]
        assert requests.get(f"{srv.url}/a/{old_mz}", timeout=30).status_code == 404
    finally:
        srv.stop()


def test_archive_add_by_hand_and_the_coordinators_choice_agree_in_every_view(tmp_path):
    """Trial 2, N1 and N4 over HTTP: while serving, ``xxgk archive add`` (a real process) files a
    second passing 财政局 workbook and a 司法局 one that never came through a link: no status
    changes (dashboard, agency page, 催报, summary); ``xxgk archive choose`` is refused; the
    coordinator's choice in serve is what every page names, logged; a faulty upload after it
    leaves it standing (and the page says so), a passing one replaces it."""
    import csv
    import io
    import sqlite3

    from toolkit.reader import read_file

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    cz = make_workbook(tmp_path / "财政局.xlsx", NAMES[0], codes[0], k=1)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox / "财政局另一份.xlsx", NAMES[0], codes[0], k=7)
    make_workbook(inbox / "司法局.xlsx", NAMES[1], codes[1], k=8)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "toolkit", *args, "--db", str(srv.db)]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)

    def views(coord) -> tuple[dict[str, str], list[str], int]:
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        status = {
            n: re.sub(r"<[^>]+>", "", m).strip()
            for n, m in re.findall(r'data-agency="([^"]+)".*?<td class="st">(.*?)</td>', dash, re.S)
        }
        rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
        xlsx = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
        (tmp_path / "s.xlsx").write_bytes(xlsx.content)
        counted = int(read_file(tmp_path / "s.xlsx").submission.meta.get("counted"))
        return status, sorted(r[0] for r in rows[1:]), counted

    try:
        tokens = links(srv.db)
        clerk = requests.Session()
        page = clerk.get(f"{srv.url}/a/{tokens[NAMES[0]]}", timeout=30).text
        assert "通过" in _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(page), cz).text
        coord = _coord_session(srv.url)
        before = views(coord)
        assert before == ({NAMES[0]: "通过", NAMES[1]: "未报送", NAMES[2]: "未报送"}, sorted(NAMES[1:]), 1)
        r = cli("archive", "add", str(inbox))
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        assert views(coord) == before  # nothing changed by files that did not come through a link
        mine = clerk.get(f"{srv.url}/a/{tokens[NAMES[0]]}", timeout=30).text
        assert "计入汇总的版本：财政局.xlsx" in mine and "尚未通过" not in mine
        con = sqlite3.connect(srv.db)
        (vid,) = con.execute("SELECT id FROM versions WHERE file_name = '财政局另一份.xlsx'").fetchone()
        (wid,) = con.execute("SELECT id FROM web_agencies WHERE name = ?", (NAMES[0],)).fetchone()
        con.close()
        r = cli("archive", "choose", str(vid))
        assert r.returncode != 0 and "xxgk serve" in r.stderr and "Traceback" not in r.stderr
        assert views(coord) == before
        # the coordinator's choice, in serve: every view names that file, the log says who
        page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
        assert "档案库中存入（未经报送链接，指定后才计入）" in page
        r = coord.post(
            f"{srv.url}/coord/agency/{wid}/choose", data={"csrf": csrf_of(page), "version": vid}, timeout=30
        )
        assert r.status_code == 200 and "计入汇总的版本：财政局另一份.xlsx" in r.text
        assert "指定版本 第2版" in r.text  # 操作记录: the agency's own version number
        assert views(coord)[0] == before[0] and views(coord)[2] == 1
        mine = clerk.get(f"{srv.url}/a/{tokens[NAMES[0]]}", timeout=30).text
        assert "计入汇总的版本：财政局另一份.xlsx（协调人从档案库中指定的文件" in mine
        assert "未被采用：协调人指定了上面这个版本" in mine
        # a faulty upload leaves the choice standing; the page says what to do, truthfully
        bad = make_workbook(tmp_path / "财政局_错.xlsx", NAMES[0], codes[0], k=9, valid=False)
        r = _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(mine), bad)
        assert (
            "计入汇总的版本：财政局另一份.xlsx" in r.text
            and "有错误，汇总仍按上面这个无错误的版本计" in r.text
        )
        assert views(coord)[0][NAMES[0]] == "通过"
        # a passing upload after the choice is the agency's own correction: it counts everywhere
        good = make_workbook(tmp_path / "财政局_改正.xlsx", NAMES[0], codes[0], k=10)
        r = _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(r.text), good)
        assert "计入汇总的版本：财政局_改正.xlsx" in r.text and "superseded" not in r.text
        status, due, counted = views(coord)
        assert status[NAMES[0]] == "通过" and NAMES[0] not in due and counted == 1
        page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
        assert "计入汇总的版本：财政局_改正.xlsx" in page
    finally:
        srv.stop()


def test_a_roster_corrected_on_restart_says_whose_status_changed(tmp_path):
    """Trial 2, N2a: 财政局's code was wrong in the roster, its upload a COVER-MISMATCH error; the
    restart on the corrected roster says that 财政局 is now 通过, and the dashboard, 催报 and the
    agency's page say so without a new upload."""
    import csv
    import io

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    wrong = tmp_path / "wrong.csv"
    other = write_roster(tmp_path / "other.csv", [f"某县某局{i}" for i in range(6)])[5]
    wrong.write_text(roster.read_text(encoding="utf-8-sig").replace(codes[0], other), encoding="utf-8")
    cz = make_workbook(tmp_path / "财政局.xlsx", NAMES[0], codes[0], k=1)
    srv = start_server(tmp_path / "xxgk.db", roster=wrong)
    try:
        token = links(srv.db)[NAMES[0]]
        s = requests.Session()
        r = _upload(s, srv.url, token, csrf_of(s.get(f"{srv.url}/a/{token}", timeout=30).text), cz)
        assert "COVER-MISMATCH" in r.text and "尚未通过" in r.text
    finally:
        srv.stop()
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        said = "".join(srv.stderr)
        assert f"“{NAMES[0]}”由“有错误”变为“通过”" in said, said
        page = requests.get(f"{srv.url}/a/{token}", timeout=30).text
        assert "计入汇总的版本：财政局.xlsx" in page and "COVER-MISMATCH" not in page
        coord = _coord_session(srv.url)
        rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
        assert NAMES[0] not in [r[0] for r in rows[1:]]
    finally:
        srv.stop()


def test_one_name_per_file_and_a_returned_choice_in_every_view(tmp_path):
    """Trial 3, defects 4 and 1 over HTTP: the same bytes uploaded as 第一次.xlsx, then as
    第二次同一文件.xlsx are one version named 第二次同一文件.xlsx on the coordinator's page (heading and
    version table), the dashboard, the agency's page (heading and the upload marked 计入汇总) and the
    summary xlsx. Then a second file is sent, the coordinator chooses the first and sends it back:
    the agency is 已退回 on the dashboard, its page and 催报 (the file passed over does not count)."""
    import csv
    import io
    import sqlite3

    import openpyxl

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    cz = make_workbook(tmp_path / "财政局.xlsx", NAMES[0], codes[0], k=1)
    other = make_workbook(tmp_path / "另一份.xlsx", NAMES[0], codes[0], k=2)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = links(srv.db)
        clerk = requests.Session()
        url = f"{srv.url}/a/{tokens[NAMES[0]]}"
        _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(clerk.get(url, timeout=30).text), cz, "第一次.xlsx")
        page = clerk.get(url, timeout=30).text
        _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(page), cz, "第二次同一文件.xlsx")
        con = sqlite3.connect(srv.db)
        (wid,) = con.execute("SELECT id FROM web_agencies WHERE name = ?", (NAMES[0],)).fetchone()
        con.close()
        coord = _coord_session(srv.url)
        page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
        assert "计入汇总的版本：第二次同一文件.xlsx" in page
        table = page[page.index('id="versions"') :]
        table = table[: table.index("</table>")]  # not the upload log: each upload keeps its own name
        assert "第二次同一文件.xlsx" in table and "第一次.xlsx" not in table
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        assert "第二次同一文件.xlsx" in dash and "第一次.xlsx" not in dash
        mine = clerk.get(url, timeout=30).text
        assert "计入汇总的版本：第二次同一文件.xlsx" in mine
        marked = re.findall(r"<td>([^<]*?) <span class=\"status ok\">计入汇总</span>", mine)
        assert marked == ["第二次同一文件.xlsx"]  # the upload marked 计入汇总 is the one named so
        xlsx = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
        (tmp_path / "s.xlsx").write_bytes(xlsx.content)
        wb = openpyxl.load_workbook(tmp_path / "s.xlsx", read_only=True)
        names = {
            str(c)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for c in row
            if isinstance(c, str) and ".xlsx" in c
        }
        wb.close()
        assert any("第二次同一文件.xlsx" in n for n in names) and not any("第一次.xlsx" in n for n in names)
        # a second file; the coordinator chooses the first, then sends it back
        _upload(clerk, srv.url, tokens[NAMES[0]], csrf_of(mine), other, "另一份.xlsx")
        page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
        first = min(int(v) for v in re.findall(r'name="version" value="(\d+)"', page))
        r = coord.post(
            f"{srv.url}/coord/agency/{wid}/choose", data={"csrf": csrf_of(page), "version": first}, timeout=30
        )
        assert r.status_code == 200
        r = coord.post(
            f"{srv.url}/coord/agency/{wid}/return",
            data={"csrf": csrf_of(r.text), "version": first, "note": "退回指定版本"},
            timeout=30,
        )
        assert r.status_code == 200
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        row = re.search(rf'data-agency="{NAMES[0]}".*?<td class="st">(.*?)</td>', dash, re.S)
        assert re.sub(r"<[^>]+>", "", row.group(1)).strip() == "已退回"
        rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
        assert NAMES[0] in {r[0] for r in rows[1:]}
        mine = clerk.get(url, timeout=30).text
        assert "退回指定版本" in mine and "协调人已退回本单位报送的文件" in mine
        assert re.search(r"当前状态：\s*<span[^>]*>已退回</span>", mine)
    finally:
        srv.stop()


def _views(srv, coord, tmp_path: Path, wid: int) -> dict[str, object]:
    """What every view says of one agency (财政局): its page's counted file, the coordinator's
    heading and the dashboard's file, 催报, the summary's figure and file, ``xxgk archive list``."""
    import csv
    import io

    import openpyxl

    from tests.conftest import run_cli
    from toolkit.reader import read_file

    token = links(srv.db)[NAMES[0]]
    mine = requests.get(f"{srv.url}/a/{token}", timeout=30).text
    page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
    dash = coord.get(f"{srv.url}/coord", timeout=30).text
    row = re.search(rf'data-agency="{NAMES[0]}".*?</tr>', dash, re.S).group(0)
    rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
    xlsx = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
    (tmp_path / "s.xlsx").write_bytes(xlsx.content)
    summary = read_file(tmp_path / "s.xlsx").submission
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx", read_only=True)
    files = {
        c for r in wb["报送情况"].iter_rows(values_only=True) for c in r if isinstance(c, str) and "：" in c
    }
    wb.close()
    listed = run_cli("archive", "list", "--db", srv.db)
    assert listed.returncode == 0, listed.stderr
    current = [ln for ln in listed.stdout.splitlines() if "当前" in ln and NAMES[0] in ln]
    return {
        "page": re.search(r'id="counted">计入汇总的版本：([^（<]+)', mine).group(1),
        "coord": re.search(r"<h2>计入汇总的版本：([^<]+)</h2>", page).group(1),
        "dashboard": re.findall(r"[^<>\s]+\.xlsx", row),
        "remind": NAMES[0] in [r[0] for r in rows[1:]],
        "decisions": summary.values.get("t2.admin_licensing.decisions"),
        "summary": sorted(f for f in files if f.startswith(NAMES[0])),
        "archive": [ln.split()[-2] for ln in current],
    }


def test_the_same_file_uploaded_again_is_the_newest_filing_in_every_view(tmp_path):
    """A clerk uploads A, then B, then A again (the same bytes): the latest upload counts — A,
    under the name and time of its re-upload — on the agency's page, the coordinator's page,
    the dashboard, 催报, the summary (its figures and its 报送情况) and ``xxgk archive list``.
    (Versions were ordered by their first filing: B went on counting.)"""
    import sqlite3

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    a = make_workbook(tmp_path / "A.xlsx", NAMES[0], codes[0], k=1)
    b = make_workbook(tmp_path / "B.xlsx", NAMES[0], codes[0], k=2)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        token = links(srv.db)[NAMES[0]]
        clerk = requests.Session()
        url = f"{srv.url}/a/{token}"
        for path, name in ((a, "A.xlsx"), (b, "B.xlsx")):
            r = _upload(clerk, srv.url, token, csrf_of(clerk.get(url, timeout=30).text), path, name)
            assert f"计入汇总的版本：{name}" in r.text
        con = sqlite3.connect(srv.db)
        (wid,) = con.execute("SELECT id FROM web_agencies WHERE name = ?", (NAMES[0],)).fetchone()
        con.close()
        coord = _coord_session(srv.url)
        assert _views(srv, coord, tmp_path, wid)["decisions"] == 1002
        time.sleep(1.1)  # the re-upload's own time, to the second, differs from the first's
        r = _upload(clerk, srv.url, token, csrf_of(clerk.get(url, timeout=30).text), a, "A再次.xlsx")
        assert "计入汇总的版本：A再次.xlsx" in r.text and 'id="superseded"' not in r.text
        got = _views(srv, coord, tmp_path, wid)
        assert got == {
            "page": "A再次.xlsx",
            "coord": "A再次.xlsx",
            "dashboard": ["A再次.xlsx"],
            "remind": False,
            "decisions": 1001,
            "summary": [f"{NAMES[0]}：A再次.xlsx"],
            "archive": ["A再次.xlsx"],
        }, got
        # the version table lists A last, with the time of its re-upload (the upload log's newest)
        page = coord.get(f"{srv.url}/coord/agency/{wid}", timeout=30).text
        table = page[page.index('id="versions"') : page.index("</table>", page.index('id="versions"'))]
        names = re.findall(r"<td>第\d+版</td><td>([^<]+?)(?:<br>|</td>)", table)
        assert names == ["B.xlsx", "A再次.xlsx"], names
        times = re.findall(r"</td><td>(\d{4}-[^<]+)</td>", table)
        log = page[page.index('id="history"') :]
        # its row also says it is the same content as A's first upload (season32): after the name
        newest = re.search(r"<td>(\d{4}-[^<]+)</td><td>A再次.xlsx(?:<br>|</td>)", log).group(1)
        assert "与第1版内容相同（“A.xlsx”" in log
        assert times[-1] == newest and times[0] != newest, (times, newest)
        mine = clerk.get(url, timeout=30).text
        assert f"计入汇总的版本：A再次.xlsx（{newest[:16]} 上传）" in mine
    finally:
        srv.stop()


def test_archive_list_says_what_serve_counts_without_waiting_for_serve(tmp_path):
    """``xxgk archive list`` (and ``--all``) names the version serve counts for a season agency
    at once, by the season's rule read now — not the current version stored by serve's last
    action on it. Here the stored one is what an earlier release stored for uploads A, B, A
    again (B: versions ordered by first filing); serve is not started again, no action taken."""
    import sqlite3

    from tests.conftest import run_cli

    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, NAMES)
    a = make_workbook(tmp_path / "A.xlsx", NAMES[0], codes[0], k=1)
    b = make_workbook(tmp_path / "B.xlsx", NAMES[0], codes[0], k=2)
    c = make_workbook(tmp_path / "C.xlsx", NAMES[1], codes[1], k=3)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = links(srv.db)
        clerk = requests.Session()
        for name, path, shown in ((0, a, "A.xlsx"), (0, b, "B.xlsx"), (0, a, "A再次.xlsx"), (1, c, "C.xlsx")):
            url = f"{srv.url}/a/{tokens[NAMES[name]]}"
            _upload(
                clerk, srv.url, tokens[NAMES[name]], csrf_of(clerk.get(url, timeout=30).text), path, shown
            )
    finally:
        srv.stop()
    con = sqlite3.connect(tmp_path / "xxgk.db")
    with con:  # what the earlier release left stored: B current for 财政局, nothing for 司法局
        (b_id,) = con.execute("SELECT id FROM versions WHERE file_name = 'B.xlsx'").fetchone()
        (c_id,) = con.execute("SELECT id FROM versions WHERE file_name = 'C.xlsx'").fetchone()
        con.execute("UPDATE submissions SET current_version = ? WHERE current_version IS NOT NULL", (b_id,))
        con.execute(
            "UPDATE submissions SET current_version = NULL WHERE id = (SELECT submission_id FROM versions"
            " WHERE id = ?)",
            (c_id,),
        )
    con.close()
    listed = run_cli("archive", "list", "--db", tmp_path / "xxgk.db")
    assert listed.returncode == 0, listed.stderr
    current = sorted(ln.split()[-2] for ln in listed.stdout.splitlines() if " 当前 " in ln)
    assert current == ["A再次.xlsx", "C.xlsx"], listed.stdout
    assert "未定" not in listed.stdout
    every = run_cli("archive", "list", "--db", tmp_path / "xxgk.db", "--all").stdout
    marked = {ln.split()[-2]: " 当前 " in ln for ln in every.splitlines() if ".xlsx" in ln}
    assert marked == {"B.xlsx": False, "A再次.xlsx": True, "C.xlsx": True}, every


def test_an_upload_never_filed_is_filed_after_the_roster_names_its_cover(tmp_path):
    """An upload whose cover named another agency then on the roster (DUPLICATE-SUBMISSION), or
    a body not on it (UNEXPECTED-AGENCY), was not filed. The roster is corrected on restart (the
    agency renamed, its code kept): each is its link's upload now, filed and judged as any upload
    would be — the one naming 司法局 by its code an error (COVER-MISMATCH), the newer one with a
    variant of the new name and no code 通过 with a 提示 and counted — and the start says so."""
    import csv
    import io
    import sqlite3

    from tests.conftest import run_cli
    from toolkit.reader import read_file

    names = [NAMES[0], NAMES[1], "青川区社会事务局"]
    roster_a = tmp_path / "a.csv"
    codes = write_roster(roster_a, names)
    wrong = make_workbook(tmp_path / "民政_代码错.xlsx", "青川区民政局", codes[1], k=1)
    variant = make_workbook(tmp_path / "民政_无代码.xlsx", "示例市青川区民政局", "", k=2)
    srv = start_server(tmp_path / "xxgk.db", roster=roster_a)
    try:
        token = links(srv.db)[names[2]]
        clerk = requests.Session()
        url = f"{srv.url}/a/{token}"
        r = _upload(clerk, srv.url, token, csrf_of(clerk.get(url, timeout=30).text), wrong)
        assert "DUPLICATE-SUBMISSION" in r.text
        r = _upload(clerk, srv.url, token, csrf_of(r.text), variant)
        assert "UNEXPECTED-AGENCY" in r.text
    finally:
        srv.stop()
    con = sqlite3.connect(tmp_path / "xxgk.db")
    assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 0  # neither filed
    con.close()
    roster_b = tmp_path / "b.csv"
    roster_b.write_text(
        roster_a.read_text(encoding="utf-8").replace(names[2], "青川区民政局"), encoding="utf-8"
    )
    srv = start_server(tmp_path / "xxgk.db", roster=roster_b)
    try:
        said = "".join(srv.stderr)
        assert "“青川区民政局”此前未归档的上传文件“民政_代码错.xlsx”" in said, said
        assert "“青川区民政局”此前未归档的上传文件“民政_无代码.xlsx”" in said, said
        assert "“青川区民政局”由“有错误”变为“通过”" in said, said
        url = f"{srv.url}/a/{token}"  # the same link
        page = requests.get(url, timeout=30).text
        assert "计入汇总的版本：民政_无代码.xlsx" in page
        assert "COVER-MISMATCH" in page and "UNEXPECTED-AGENCY" not in page
        older = requests.get(url + "?u=1", timeout=30).text
        assert "COVER-MISMATCH" in older and "DUPLICATE-SUBMISSION" not in older and "有错误" in older
        coord = _coord_session(srv.url)
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        row = re.search(r'data-agency="青川区民政局".*?<td class="st">(.*?)</td>', dash, re.S)
        assert re.sub(r"<[^>]+>", "", row.group(1)).strip() == "通过"
        rows = list(csv.reader(io.StringIO(coord.get(f"{srv.url}/coord/remind.csv", timeout=30).text)))
        assert "青川区民政局" not in [r[0] for r in rows[1:]]
        xlsx = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=120)
        (tmp_path / "s.xlsx").write_bytes(xlsx.content)
        back = read_file(tmp_path / "s.xlsx").submission
        assert back.meta.get("counted") in ("1", 1)
        assert back.values.get("t2.admin_licensing.decisions") == 1002
        listed = run_cli("archive", "list", "--db", srv.db, "--all")
        assert "民政_代码错.xlsx" in listed.stdout
        assert [ln.split()[-2] for ln in listed.stdout.splitlines() if " 当前 " in ln] == ["民政_无代码.xlsx"]
    finally:
        srv.stop()
    # the next start has nothing more to file
    srv = start_server(tmp_path / "xxgk.db", roster=roster_b)
    try:
        assert "此前未归档" not in "".join(srv.stderr)
    finally:
        srv.stop()


def test_merge_attributes_a_variant_of_an_agencys_name_without_a_code_as_serve_does(tmp_path):
    """A cover with a variant of the agency's own name (a place prefix more; a trailing bracketed
    other name) and no code: serve (through the agency's link) counts it with a COVER-MISMATCH
    提示; ``xxgk merge`` on a folder of the same files attributes each to the same agency, counts
    it and gives the same 提示 — where it said 不在名单内 and left the agency 未报送."""
    import json

    from tests.conftest import run_cli

    roster = tmp_path / "roster.csv"
    write_roster(roster, NAMES)
    folder = tmp_path / "in"
    folder.mkdir()
    files = {
        NAMES[0]: make_workbook(folder / "财政.xlsx", "示例市" + NAMES[0], "", k=1),
        NAMES[1]: make_workbook(folder / "司法.xlsx", NAMES[1] + "（青川区法制办公室）", "", k=2),
    }
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = links(srv.db)
        clerk = requests.Session()
        for name, path in files.items():
            url = f"{srv.url}/a/{tokens[name]}"
            r = _upload(clerk, srv.url, tokens[name], csrf_of(clerk.get(url, timeout=30).text), path)
            assert f"计入汇总的版本：{path.name}" in r.text and "COVER-MISMATCH" in r.text
        coord = _coord_session(srv.url)
        dash = coord.get(f"{srv.url}/coord", timeout=30).text
        served = {
            n: re.sub(r"<[^>]+>", "", m).strip()
            for n, m in re.findall(r'data-agency="([^"]+)".*?<td class="st">(.*?)</td>', dash, re.S)
        }
    finally:
        srv.stop()
    assert served == {NAMES[0]: "通过", NAMES[1]: "通过", NAMES[2]: "未报送"}
    r = run_cli(
        "merge", folder, "--roster", roster, "--year", YEAR, "--format", "json", "-o", tmp_path / "s.xlsx"
    )
    assert r.returncode == 1, r.stderr  # 民政局 未报送
    doc = json.loads(r.stdout)
    got = {a["name"]: (a["status"], a["included"]) for a in doc["agencies"]}
    assert got == {NAMES[0]: ("已报送", True), NAMES[1]: ("已报送", True), NAMES[2]: ("未报送", False)}, got
    hints = sorted(
        (Path(f["file"]).name, f["severity"]) for f in doc["findings"] if f["code"] == "COVER-MISMATCH"
    )
    assert hints == [("司法.xlsx", "warning"), ("财政.xlsx", "warning")]
    assert not [f for f in doc["findings"] if f["code"] == "UNEXPECTED-AGENCY"]
