"""``xxgk serve``: the real server process on a free 127.0.0.1 port, driven over HTTP and by
Debian's Chromium (Playwright with ``executable_path``; no browser download)."""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.serve_process import (
    PASSWORD,
    check_stored,
    csrf_of,
    links,
    make_workbook,
    run_load,
    start_server,
    write_roster,
)
from toolkit.reader import read_file
from toolkit.store import WEB_SCHEMA, WebStore


def _need(module: str):
    """requests and playwright come with ``pip install -e .[test]``: under CI a missing one fails."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {module} is not installed (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed", allow_module_level=True)


requests = _need("requests")

YEAR = 2025
AGENCY = "青川区测试局"  # the agency of tests/fixtures/{pass/clean,fail/t3_balance}.xlsx
AGENCY_CODE = "11110999MB0000001T"
SCRIPT_NAME = "<script>alert('x')</script>青川区某局"
IMAGES = ROOT / "docs" / "images"  # XXGK_SCREENSHOTS=1: the README's screenshots are written there


def _roster(tmp: Path) -> Path:
    p = tmp / "roster.csv"
    p.write_text(
        "name,code,parent\n"
        f"{AGENCY},{AGENCY_CODE},示例市青川区\n"
        '"' + SCRIPT_NAME.replace('"', '""') + '",,示例市青川区\n'
        "青川区交通局,,示例市青川区\n",
        encoding="utf-8",
    )
    return p


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    srv = start_server(
        tmp / "xxgk.db", roster=_roster(tmp), extra=("--max-upload-mb", "1", "--max-uploads", "4")
    )
    yield srv
    srv.stop()


def _tokens(db: Path) -> dict[str, str]:
    return links(db, YEAR)


def _counts(db: Path) -> tuple[int, int, int]:
    with WebStore(db, create=False) as st:
        q = st.db.execute
        return (
            q("SELECT COUNT(*) FROM web_uploads").fetchone()[0],
            q("SELECT COUNT(*) FROM files").fetchone()[0],
            q("SELECT COUNT(*) FROM versions").fetchone()[0],
        )


def _agency_session(url: str, token: str):
    s = requests.Session()
    r = s.get(f"{url}/a/{token}", timeout=30)
    assert r.status_code == 200
    return s, csrf_of(r.text)


def _upload(s, url: str, token: str, csrf: str, path: Path, name: str | None = None):
    with path.open("rb") as fh:
        return s.post(
            f"{url}/a/{token}/upload",
            data={"csrf": csrf},
            files={"file": (name or path.name, fh)},
            timeout=60,
        )


def _finished(s, url: str, idle: float = 120.0):
    """GET a page that runs in the background (its progress page reloads itself) until it is
    done: waits as long as the progress moves, fails only after ``idle`` seconds without progress."""
    last, since = None, time.monotonic()
    while True:
        r = s.get(url, timeout=120)
        if r.status_code != 200 or 'id="progress"' not in r.text:
            return r
        now = re.search(r'id="progress">([^<]*)<', r.text).group(1)
        if now != last:
            last, since = now, time.monotonic()
        assert time.monotonic() - since < idle, f"no progress for {idle} s: {now}"
        time.sleep(0.3)


def _coord_session(url: str):
    s = requests.Session()
    csrf = csrf_of(s.get(f"{url}/login", timeout=30).text)
    r = s.post(f"{url}/login", data={"csrf": csrf, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200 and "status-table" in r.text
    return s


def _merge_cli(tmp: Path, files: list[Path], roster: Path) -> Path:
    """``xxgk merge`` on the same files, as a coordinator would run it."""
    d = tmp / "merge-in"
    d.mkdir()
    for f in files:
        shutil.copy(f, d / f.name)
    out = tmp / "cli-summary.xlsx"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit",
            "merge",
            str(d),
            "--roster",
            str(roster),
            "--year",
            str(YEAR),
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode in (0, 1), r.stderr
    return out


def _same_summary(a: Path, b: Path) -> None:
    ra, rb = read_file(a), read_file(b)
    assert ra.submission is not None and rb.submission is not None
    assert ra.submission.values == rb.submission.values
    assert ra.submission.all_values() == rb.submission.all_values()
    assert ra.submission.agency == rb.submission.agency and ra.submission.year == rb.submission.year


# -- the browser, end to end ---------------------------------------------------------------------
def test_browser_end_to_end(chromium, tmp_path):
    sync_api = _need("playwright.sync_api")
    roster = _roster(tmp_path)
    srv = start_server(tmp_path / "xxgk.db", roster=roster, extra=("--summary-background-after", "0"))
    try:
        url, tokens = srv.url, _tokens(srv.db)
        shots = IMAGES if os.environ.get("XXGK_SCREENSHOTS") == "1" else tmp_path / "images"
        shots.mkdir(parents=True, exist_ok=True)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            try:
                view = {"width": 1366, "height": 768}
                coord = browser.new_context(viewport=view, accept_downloads=True).new_page()
                coord.goto(f"{url}/login")
                coord.fill("#password", PASSWORD)
                coord.click("#login")
                row = coord.locator(f'#status-table tr[data-agency="{AGENCY}"] td.st')
                assert row.inner_text().strip() == "未报送"

                agency = browser.new_context(viewport=view, accept_downloads=True).new_page()
                agency.goto(f"{url}/a/{tokens[AGENCY]}")
                assert agency.inner_text("#agency-name") == AGENCY
                with agency.expect_download() as dl:
                    agency.click("#download-template")
                tpl = tmp_path / "template.xlsx"
                dl.value.save_as(tpl)
                got = read_file(tpl).submission
                assert (
                    got is not None and got.agency == AGENCY and got.code == AGENCY_CODE and got.year == YEAR
                )

                # the file input in Chinese in any browser: 选择文件…, 未选择文件, then the name
                assert agency.inner_text("#choose") == "选择文件…" and agency.locator("#nofile").is_visible()
                assert agency.locator("#file").bounding_box()["width"] == 0  # the browser's own button
                # a workbook with an error: the finding at its cell, at once
                agency.set_input_files("#file", str(FIXTURES / "fail" / "t3_balance.xlsx"))
                assert not agency.locator("#nofile").is_visible()
                assert agency.locator("#file").bounding_box()["width"] > 50  # shows t3_balance.xlsx
                agency.click("#upload")
                agency.wait_for_selector("#verdict")
                rows = agency.locator("#findings tbody tr")
                cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
                assert ["错误", "表三!D30", "T3-BALANCE"] in [c[:3] for c in cells], cells
                assert "有错误" in agency.inner_text("#verdict")
                agency.screenshot(path=str(shots / "serve-agency-errors.png"), full_page=False)
                with agency.expect_download() as dl:
                    agency.click("#download-annotated")
                annotated = tmp_path / "annotated.xlsx"
                dl.value.save_as(annotated)
                import openpyxl

                wb = openpyxl.load_workbook(annotated)
                assert (
                    wb["表三"]["D30"].comment is not None and "T3-BALANCE" in wb["表三"]["D30"].comment.text
                )

                # the corrected one: 通过
                agency.set_input_files("#file", str(FIXTURES / "pass" / "clean.xlsx"))
                agency.click("#upload")
                agency.wait_for_selector("#verdict")
                assert agency.inner_text("#verdict").startswith("通过")
                assert agency.locator("#findings").count() == 0
                assert agency.locator("#history tbody tr").count() == 2
                agency.screenshot(path=str(shots / "serve-agency-passed.png"))

                # the coordinator sees the change, and the summary equals xxgk merge
                coord.reload()
                assert row.inner_text().strip() == "通过"
                other = coord.locator('#status-table tr[data-agency="青川区交通局"] td.st')
                assert other.inner_text().strip() == "未报送"
                coord.screenshot(path=str(shots / "serve-coordinator.png"))
                coord.goto(f"{url}/coord/summary")  # in the background: progress, then itself
                # the progress page, or already the summary (its page reloads itself when done: on a
                # fast run that can happen before the check)
                assert coord.locator("#progress").count() + coord.locator("#figures").count() == 1
                coord.wait_for_selector("#figures", timeout=60_000)
                figures = coord.locator("#figures td").all_inner_texts()
                clean = read_file(FIXTURES / "pass" / "clean.xlsx").submission
                assert clean is not None
                assert figures[0] == str(clean.all_values()["t3.new_received.total"])
                coord.screenshot(path=str(shots / "serve-summary.png"))
                with coord.expect_download() as dl:
                    coord.click("#download-summary")
                web_summary = tmp_path / "web-summary.xlsx"
                dl.value.save_as(web_summary)
                coord.goto(f"{url}/coord/links")
                assert coord.locator("#links tbody tr").count() == 3
                coord.screenshot(path=str(shots / "serve-links.png"))
            finally:
                browser.close()
        for name in ("agency-errors", "agency-passed", "coordinator", "summary", "links"):
            assert (shots / f"serve-{name}.png").stat().st_size > 10_000
        _same_summary(web_summary, _merge_cli(tmp_path, [FIXTURES / "pass" / "clean.xlsx"], roster))
    finally:
        srv.stop()


# -- security ------------------------------------------------------------------------------------
def test_wrong_token_and_no_login(server):
    url, tokens = server.url, _tokens(server.db)
    good = tokens[AGENCY]
    for path in (
        "/a/" + "A" * 32,
        "/a/" + good[:-1] + ("A" if good[-1] != "A" else "B"),
        "/a/" + good + "x/template.xlsx",
        "/a/%3Cscript%3E",
    ):
        r = requests.get(url + path, timeout=30)
        assert r.status_code == 404, path
        assert good not in r.text
    for path in (
        "/coord",
        "/coord/summary",
        "/coord/summary.xlsx",
        "/coord/links",
        "/coord/links.csv",
        "/coord/agency/1",
    ):
        r = requests.get(url + path, timeout=30)
        assert r.status_code == 403, path
        assert good not in r.text
    # a wrong password is refused; the right one works
    s = requests.Session()
    csrf = csrf_of(s.get(f"{url}/login", timeout=30).text)
    assert s.post(f"{url}/login", data={"csrf": csrf, "password": "guess1234"}, timeout=30).status_code == 403
    assert s.get(f"{url}/coord", timeout=30).status_code == 403
    # one agency's link never reaches another's uploads
    s, csrf = _agency_session(url, tokens[AGENCY])
    r = _upload(s, url, tokens[AGENCY], csrf, FIXTURES / "fail" / "t3_balance.xlsx")
    uid = int(re.search(r"u=(\d+)", r.url).group(1))
    assert requests.get(f"{url}/a/{tokens[AGENCY]}/u/{uid}/annotated.xlsx", timeout=30).status_code == 200
    assert (
        requests.get(f"{url}/a/{tokens['青川区交通局']}/u/{uid}/annotated.xlsx", timeout=30).status_code
        == 404
    )


def test_forged_forms_are_refused_and_store_nothing(server):
    url, tokens = server.url, _tokens(server.db)
    token = tokens["青川区交通局"]
    before = _counts(server.db)
    data = (FIXTURES / "pass" / "clean.xlsx").read_bytes()
    # no CSRF token, a made-up one, and another browser's (valid, but not this session's)
    other_csrf = _agency_session(url, token)[1]
    for form in ({}, {"csrf": "x" * 43}, {"csrf": other_csrf}):
        r = requests.post(f"{url}/a/{token}/upload", data=form, files={"file": ("a.xlsx", data)}, timeout=30)
        assert r.status_code == 403, form
    s, _csrf = _agency_session(url, token)
    r = s.post(f"{url}/a/{token}/upload", files={"file": ("a.xlsx", data)}, timeout=30)
    assert r.status_code == 403
    r = requests.post(f"{url}/login", data={"password": PASSWORD}, timeout=30)
    assert r.status_code == 403
    coord = _coord_session(url)
    r = coord.post(f"{url}/coord/agency/1/choose", data={"version": "rule"}, timeout=30)
    assert r.status_code == 403
    r = coord.post(f"{url}/logout", timeout=30)
    assert r.status_code == 403 and coord.get(f"{url}/coord", timeout=30).status_code == 200
    assert _counts(server.db) == before


def test_oversized_upload_refused(server):
    url, token = server.url, _tokens(server.db)["青川区交通局"]
    before = _counts(server.db)
    s, csrf = _agency_session(url, token)
    big = b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10)  # over --max-upload-mb 1
    r = s.post(f"{url}/a/{token}/upload", data={"csrf": csrf}, files={"file": ("big.xlsx", big)}, timeout=60)
    assert r.status_code == 413 and "文件过大" in r.text
    assert _counts(server.db) == before


def test_upload_count_limit(server):
    url, token = server.url, _tokens(server.db)[AGENCY]
    s, csrf = _agency_session(url, token)
    codes = [
        _upload(s, url, token, csrf, FIXTURES / "fail" / "t3_balance.xlsx").status_code for _ in range(5)
    ]
    assert codes[-1] == 429 and codes.count(429) >= 1
    with WebStore(server.db, create=False) as st:
        assert st.web_upload_count(st.web_agency(token=token).id) == 4  # never more than --max-uploads


def test_bomb_is_a_finding_and_nothing_is_archived(server):
    url, token = server.url, _tokens(server.db)["青川区交通局"]
    s, csrf = _agency_session(url, token)
    before = _counts(server.db)
    for bomb in ("zip_bomb.xlsx", "xml_bomb.xlsx"):
        r = _upload(s, url, token, csrf, FIXTURES / "fail" / bomb)
        assert r.status_code == 200 and "FILE-UNREADABLE" in r.text, bomb
        assert "有错误" in re.search(r'id="verdict"[^>]*>(.*?)</p>', r.text, re.S).group(1)
    uploads, files, versions = _counts(server.db)
    assert (uploads, files, versions) == (
        before[0] + 2,
        before[1] + 2,
        before[2],
    )  # kept as sent, not archived


def test_markup_in_names_is_escaped(server):
    url, tokens = server.url, _tokens(server.db)
    token = tokens[SCRIPT_NAME]
    s, csrf = _agency_session(url, token)
    r = s.get(f"{url}/a/{token}", timeout=30)
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    evil = '<img src=x onerror="alert(1)">.xlsx'
    r = _upload(s, url, token, csrf, FIXTURES / "fail" / "t3_balance.xlsx", name=evil)
    assert "<img" not in r.text and "&lt;img src=x" in r.text
    # the workbook names another roster agency: 重复, never filed under this link's agency
    assert "DUPLICATE-SUBMISSION" in r.text
    coord = _coord_session(url)
    for page in ("/coord", "/coord/links", "/coord/summary"):
        html = coord.get(url + page, timeout=60).text
        assert "<script>" not in html and "&lt;script&gt;" in html, page
        assert "<img" not in html
    csv = coord.get(f"{url}/coord/links.csv", timeout=30).content.decode("utf-8-sig")
    assert f"{url}/a/{token}" in csv
    assert "Content-Security-Policy" in r.headers and r.headers["Referrer-Policy"] == "no-referrer"


def test_nothing_stored_that_should_not_be(server):
    """The password only as a salted scrypt hash; uploads by hash, never under the sent name."""
    raw = server.db.read_bytes() + (
        server.db.with_name(server.db.name + "-wal").read_bytes()
        if server.db.with_name(server.db.name + "-wal").exists()
        else b""
    )
    assert PASSWORD.encode() not in raw
    with WebStore(server.db, create=False) as st:
        assert st.setting("password") is None  # the password is the root account's now
        stored = st.web_account(login="admin").password
        assert stored.startswith("scrypt$") and len(stored.split("$")) == 6
    assert sorted(p.name for p in server.db.parent.iterdir() if not p.name.startswith("xxgk.db")) == [
        "roster.csv"
    ]


def test_choose_version_and_concurrent_uploads(tmp_path):
    """A small load (the benchmark's shape): 6 clients x 4 uploads, two clients per link, some with
    errors; every submission stored once under its own link, the latest valid one current; then
    the coordinator chooses another version and it stands."""
    names = ["青川区甲局", "青川区乙局", "青川区丙局"]
    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, names)
    from toolkit.store import Store, add_paths

    last_year = make_workbook(tmp_path / "2024.xlsx", names[0], codes[0], year=2024, k=5)
    off_roster = make_workbook(tmp_path / "other.xlsx", "别区某局", "", year=2024, k=6)
    with Store(tmp_path / "xxgk.db") as st:  # last year in the archive: one roster agency, one not
        assert [r.status for r in add_paths(st, [last_year, off_roster])] == ["added", "added"]
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = _tokens(srv.db)
        files = []
        for c in range(6):
            i = c % 3
            files.append(
                [
                    (
                        make_workbook(
                            tmp_path / f"c{c}_{k}.xlsx", names[i], codes[i], k=c * 10 + k, valid=k != 2
                        ),
                        k != 2,
                    )
                    for k in range(4)
                ]
            )
        res = run_load(srv.url, [tokens[n] for n in names], files, clients=6)
        assert not res.failures and len(res.latencies) == 24
        assert check_stored(srv.db, YEAR, res) == []

        coord = _coord_session(srv.url)
        with WebStore(srv.db, create=False) as st:
            wa = st.web_agencies(YEAR)[0]
            vs = st.web_versions(wa)
        older = next(v for v in vs if not v.current and v.valid)
        page = coord.get(f"{srv.url}/coord/agency/{wa.id}", timeout=30).text
        r = coord.post(
            f"{srv.url}/coord/agency/{wa.id}/choose",
            data={"csrf": csrf_of(page), "version": str(older.id)},
            timeout=30,
        )
        assert r.status_code == 200 and "协调人指定" in r.text
        # a newer faulty upload does not replace the coordinator's choice (a passing one would:
        # the agency's own correction, tests/test_season.py and test_serve_season.py)
        s, csrf = _agency_session(srv.url, tokens[names[0]])
        _upload(
            s,
            srv.url,
            tokens[names[0]],
            csrf,
            make_workbook(tmp_path / "late.xlsx", names[0], codes[0], k=999, valid=False),
        )
        with WebStore(srv.db, create=False) as st:
            cur = [v for v in st.web_versions(wa) if v.current]
        assert [v.id for v in cur] == [older.id]

        # the summary page: year-on-year over the same agencies (the one with last year's report
        # in the archive; the agency off the roster left out), both years of exactly that one
        html = coord.get(f"{srv.url}/coord/summary", timeout=60).text
        table = re.search(r'id="previous">(.*?)</table>', html, re.S).group(1)
        now_row, prev_row = re.findall(r"<tr[^>]*><th>\d{4} 年度</th>(.*?)</tr>", table, re.S)
        last = read_file(last_year).submission
        assert re.findall(r"<td>(\d+)</td>", prev_row)[0] == str(last.all_values()["t3.new_received.total"])
        with WebStore(srv.db, create=False) as st:
            chosen = st.submission(older.id)
        assert re.findall(r"<td>(\d+)</td>", now_row)[0] == str(chosen.all_values()["t3.new_received.total"])
        assert "只比较本年已计入汇总、且档案库中有上年报告的 1 个单位（本年计入 3 个）" in html
        # bulk downloads: every agency's annotated copy, every current valid version as a report;
        # these have no texts yet: drafts by the rule of xxgk render (named, headed 草稿), said
        import zipfile

        from docx import Document

        for kind, ext, extra in (
            ("annotated", "_批注.xlsx", []),
            ("reports", "_2025年度报告（草稿）.docx", ["说明.txt"]),
        ):
            r = _finished(coord, f"{srv.url}/coord/bulk/{kind}.zip")
            assert r.status_code == 200
            with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
                assert sorted(zf.namelist()) == sorted([*(n + ext for n in names), *extra]), zf.namelist()
                assert zf.testzip() is None
                if kind == "reports":
                    doc = Document(io.BytesIO(zf.read(names[0] + ext)))
                    note = zf.read("说明.txt").decode("utf-8-sig")
                    assert all("草稿" in "".join(p.text for p in s.header.paragraphs) for s in doc.sections)
                    assert "可公开发布的报告 0 份；草稿 3 份" in note and "尚未填写" in note
        assert requests.get(f"{srv.url}/coord/bulk/reports.zip", timeout=30).status_code == 403
    finally:
        srv.stop()


def test_summary_counts_each_agency_once_under_its_own_name(tmp_path):
    """The summary merges each agency's own report: another agency's report sent through a link
    is that link's 有错误 (DUPLICATE-SUBMISSION), never added again nor counted for the other
    agency; an unreadable upload is its link's 有错误; no temporary file name reaches a page."""
    import openpyxl

    roster = _roster(tmp_path)
    srv = start_server(tmp_path / "xxgk.db", roster=roster, extra=("--summary-background-after", "0"))
    try:
        tokens = _tokens(srv.db)
        clean, broken = FIXTURES / "pass" / "clean.xlsx", FIXTURES / "fail" / "truncated.xlsx"
        for who, path in ((AGENCY, clean), ("青川区交通局", clean), (SCRIPT_NAME, broken)):
            s, csrf = _agency_session(srv.url, tokens[who])
            assert _upload(s, srv.url, tokens[who], csrf, path).status_code == 200
        coord = _coord_session(srv.url)
        status = coord.get(f"{srv.url}/coord", timeout=30).text
        # another agency's report (the clean fixture is 青川区测试局's): its badge says so (season34)
        assert re.search(r'data-agency="青川区交通局">.*?另一单位的报告', status, re.S)
        # a long run shows its progress: a page that reloads itself until the summary is done
        page = coord.get(f"{srv.url}/coord/summary", timeout=30).text
        assert "正在汇总" in page and 'http-equiv="refresh"' in page and 'id="progress"' in page
        for _ in range(300):
            page = coord.get(f"{srv.url}/coord/summary", timeout=30).text
            if 'id="figures"' in page:
                break
            time.sleep(0.1)
        assert 'id="figures"' in page
        r = coord.get(f"{srv.url}/coord/summary.xlsx", timeout=60)
        assert r.status_code == 200
        (tmp_path / "s.xlsx").write_bytes(r.content)
        wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
        rows = [[c for c in row if c is not None] for row in wb["报送情况"].iter_rows(values_only=True)]
        by_name = {r[1]: r for r in rows if len(r) > 3 and isinstance(r[0], int)}
        assert "已报送" in by_name[AGENCY] and "是" in by_name[AGENCY]
        assert "有错误" in by_name[SCRIPT_NAME], by_name[SCRIPT_NAME]
        assert "有错误" in by_name["青川区交通局"] and "是" not in by_name["青川区交通局"]
        assert len(by_name) == 3  # one row per agency: the report sent twice is counted once
        assert "DUPLICATE-SUBMISSION" not in page and not re.search(r"\b\d{5}\.xlsx", page)
        text = " ".join(
            str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
        )
        assert not re.search(r"\b\d{5}[./]", text)
    finally:
        srv.stop()


def test_load_200_uploads_from_20_clients(tmp_path):
    """The issue's bounded load on loopback, in CI: 200 uploads from 20 concurrent clients (two per
    agency link, one in five with an error), each a different file; every submission stored once
    under its own link, as many archive versions as files, the status table right. (Timings are
    for benchmarks/bench_serve.py; here only what must hold.)"""
    import zipfile

    names = [f"青川区负载{i}局" for i in range(10)]
    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, names)
    base = {
        (i, ok): make_workbook(tmp_path / f"base{i}_{ok}.xlsx", n, codes[i], k=i, valid=ok)
        for i, n in enumerate(names)
        for ok in (True, False)
    }
    files = []
    for c in range(20):
        mine = []
        for k in range(10):
            ok = k % 5 != 2
            path = tmp_path / f"c{c:02d}_{k}.xlsx"
            path.write_bytes(base[(c % 10, ok)].read_bytes())
            with zipfile.ZipFile(path, "a") as zf:  # the same workbook, other bytes: another file
                zf.comment = f"client {c} upload {k}".encode()
            mine.append((path, ok))
        files.append(mine)
    srv = start_server(tmp_path / "xxgk.db", roster=roster)
    try:
        tokens = _tokens(srv.db)
        res = run_load(srv.url, [tokens[n] for n in names], files, clients=20)
        assert res.failures == [] and len(res.latencies) == 200
        assert len({sha for _, sha, _ in res.sent}) == 200
        assert check_stored(srv.db, YEAR, res) == []
    finally:
        srv.stop()


# -- the command and the schema ------------------------------------------------------------------
def test_serve_refuses_to_start_without_password_or_roster(tmp_path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "toolkit", "serve", "--db", str(tmp_path / "x.db"), "--port", "0"]
    r = subprocess.run(
        [*run, "--year", "2025"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert r.returncode == 2 and r.stderr.startswith("错误：") and "--roster" in r.stderr
    r = subprocess.run(
        [*run, "--roster", str(_roster(tmp_path))],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert r.returncode == 2 and "--set-password" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [*run, "--set-password"], capture_output=True, text=True, env=env, input="short\n", timeout=60
    )
    assert r.returncode == 2 and "至少" in r.stderr


def test_non_loopback_warns_loudly(capsys):
    from toolkit.web.server import warn_exposed

    warn_exposed("127.0.0.1")
    assert capsys.readouterr().err == ""
    warn_exposed("0.0.0.0")
    err = capsys.readouterr().err
    assert "警告" in err and "0.0.0.0" in err


def test_web_schema_is_documented_and_separate(tmp_path):
    doc = (ROOT / "docs" / "archive-schema.md").read_text(encoding="utf-8")
    assert WEB_SCHEMA.strip() in doc
    with WebStore(tmp_path / "x.db") as st:
        names = {r[0] for r in st.db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'web_%'")}
        assert {"web_settings", "web_agencies", "web_uploads"} <= names
    with pytest.raises(sqlite3.IntegrityError), WebStore(tmp_path / "x.db") as st:
        st.db.execute(
            "INSERT INTO web_agencies (year, token, name, norm_name, created_at) VALUES (1, 't', 'a', 'a', '')"
        )
        st.web_add_upload(1, data=b"x", file_name="x", status="通过", findings=[], version_id=None, seconds=0)
        st.db.execute("UPDATE web_uploads SET status = '有错误'")


def test_static_css_is_served_from_the_package(server):
    r = requests.get(f"{server.url}/static/style.css", timeout=30)
    assert r.status_code == 200 and "text/css" in r.headers["Content-Type"]
    html = requests.get(f"{server.url}/login", timeout=30).text
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from outside


def test_password_hash_and_upload_names():
    from toolkit.web.security import Keys, check_password, display_name, hash_password, valid_token

    h = hash_password("正确的密码 123")
    assert h != hash_password("正确的密码 123")  # salted
    assert check_password("正确的密码 123", h)
    assert not check_password("正确的密码 124", h)
    assert not check_password("正确的密码 123", h[:-2] + ("00" if h[-2:] != "00" else "11"))
    assert not check_password("x", None) and not check_password("x", "md5$abc")
    assert display_name("../../etc/passwd.xlsx") == "passwd.xlsx"
    assert display_name("C:\\Users\\张三\\桌面\\报告.xlsx") == "报告.xlsx"
    assert display_name("a\x00b\r\n.xlsx") == "ab.xlsx"
    assert display_name("") == "未命名文件"
    long = display_name("长" * 500 + ".xlsx")
    assert len(long) <= 120 and long.endswith(".xlsx")
    t = Keys(Path("x.key"), "k" * 64, {}).fresh_token(1, 0)  # 192 bits, URL-safe
    assert valid_token(t) and len(t) >= 32 and not valid_token("short") and not valid_token(t + "/..")


def test_pages_name_the_format_of_the_year(tmp_path):
    """A 2020 intake is in the 2019 trial format: its pages say so (not 〔2021〕30号)."""
    from toolkit.web.app import create_app

    for year, basis in ((2020, "国办公开办函〔2019〕60号"), (2025, "国办公开办函〔2021〕30号")):
        page = create_app(tmp_path / f"{year}.db", year=year).test_client().get("/login")
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and f"{basis}格式" in text and f"{year} 年度报送" in text
