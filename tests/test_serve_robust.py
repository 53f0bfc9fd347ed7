"""``xxgk serve`` under what a season brings besides uploads: ``xxgk archive add`` writing to the
same archive, odd numbers in URLs and forms, notes with control characters, double clicks, a
busy port — each against the real server process on a free 127.0.0.1 port, or the real archive
and a real ``xxgk`` subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.serve_process import PASSWORD, csrf_of, links, make_workbook, start_server, write_roster
from toolkit.store import WebStore

if os.environ.get("CI", "").lower() == "true":  # under CI a missing requests fails: pip install -e .[test]
    import requests
else:
    requests = pytest.importorskip("requests")

YEAR = 2025


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _xxgk(*args: object, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *map(str, args)],
        cwd=cwd or ROOT,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def _coord(url: str):
    s = requests.Session()
    csrf = csrf_of(s.get(f"{url}/login", timeout=60).text)
    r = s.post(f"{url}/login", data={"csrf": csrf, "password": PASSWORD}, timeout=60)
    assert r.status_code == 200 and "status-table" in r.text
    return s


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- 3: xxgk archive add while the server runs ------------------------------------------------------
def test_a_connection_keeps_its_lock_when_another_opens_and_archive_add_closes(tmp_path):
    """Two connections of one process (two requests of the server) and ``xxgk archive add`` in
    another process: opening and closing the second connection must not drop the first one's
    lock — else archive add, closing, takes itself for the last user of the archive, checkpoints
    and deletes the -wal and -shm under the server, whose later writes then go to a deleted file
    that no other process sees ("disk I/O error" and every request failing in the trial)."""
    db = tmp_path / "xxgk.db"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    make_workbook(inbox / "last.xlsx", "青川区去年局", "", year=YEAR - 1, k=7)
    with WebStore(db):
        pass
    with WebStore(db, create=False) as first:
        first.set_setting("before", "1")
        with WebStore(db, create=False) as second:  # another request: opened and closed
            second.setting("before")
        add = _xxgk("archive", "add", inbox, "--db", db)
        assert add.returncode == 0, add.stdout + add.stderr
        first.set_setting("after", "2")  # the server writes after archive add has finished
        seen = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                " print(c.execute(\"SELECT value FROM web_settings WHERE key = 'after'\").fetchall())",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seen.stdout.strip() == "[('2',)]", seen.stdout + seen.stderr
        assert first.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 1


def test_pages_uploads_and_choices_while_archive_add_writes(tmp_path):
    """The trial's shape: uploads through every link, dashboards and choose while ``xxgk archive
    add`` stores 40 workbooks into the same archive. Every request is answered normally (a write
    waits for the other writer, it never fails at once), the server still answers afterwards,
    and every upload is in the archive."""
    names = [f"青川区第{i + 1}局" for i in range(6)]
    codes = write_roster(tmp_path / "roster.csv", names)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(40):
        this_year = i % 2 == 1
        make_workbook(
            inbox / f"v{i}.xlsx",
            names[i % 6] if this_year else f"青川区去年{i}局",
            codes[i % 6] if this_year else "",
            year=YEAR if this_year else YEAR - 1,
            k=9000 + i,
        )
    uploads = [
        make_workbook(tmp_path / f"u{i}.xlsx", names[i % 6], codes[i % 6], k=i, valid=i % 4 != 3)
        for i in range(24)
    ]
    srv = start_server(tmp_path / "xxgk.db", roster=tmp_path / "roster.csv")
    try:
        tokens = links(srv.db)
        coord = _coord(srv.url)
        _upload(srv.url, tokens[names[0]], make_workbook(tmp_path / "first.xlsx", names[0], codes[0], k=500))
        with WebStore(srv.db, create=False) as st:
            first = next(a.id for a in st.web_agencies(YEAR) if a.name == names[0])
        got: list[tuple[str, int, str]] = []
        lock = threading.Lock()

        def note(kind: str, r) -> None:
            with lock:
                got.append((kind, r.status_code, _text(r.text)[-200:] if r.status_code != 200 else ""))

        def upload(i: int) -> None:
            s = requests.Session()
            tok = tokens[names[i % 6]]
            csrf = csrf_of(s.get(f"{srv.url}/a/{tok}", timeout=300).text)
            r = s.post(
                f"{srv.url}/a/{tok}/upload",
                data={"csrf": csrf},
                files={"file": (uploads[i].name, uploads[i].read_bytes())},
                timeout=600,
            )
            note("upload", r)

        def coordinator() -> None:
            for _ in range(4):
                r = coord.get(f"{srv.url}/coord", timeout=600)
                note("dashboard", r)
                r = coord.post(
                    f"{srv.url}/coord/agency/{first}/choose",
                    data={"csrf": csrf_of(r.text), "version": "rule"},
                    timeout=600,
                )
                note("choose", r)

        add = subprocess.Popen(
            [sys.executable, "-m", "toolkit", "archive", "add", str(inbox), "--db", str(srv.db)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threads = [threading.Thread(target=upload, args=(i,)) for i in range(len(uploads))]
        threads += [threading.Thread(target=coordinator) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert add.wait(600) == 0, add.stderr.read()
        add.stderr.close()
        assert [g for g in got if g[1] != 200] == []
        assert len(got) == len(uploads) + 16
        for _ in range(3):  # and afterwards: no request fails
            assert requests.get(f"{srv.url}/login", timeout=60).status_code == 200
            assert coord.get(f"{srv.url}/coord", timeout=60).status_code == 200
    finally:
        srv.stop()
    with WebStore(srv.db, create=False) as st:
        assert len(st.web_uploads()) == len(uploads) + 1
        assert st.db.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 40 + len(uploads) + 1
        assert st.db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


# -- 6: numbers in URLs and forms ---------------------------------------------------------------------
ODD_NUMBERS = ("²", "١", "٣", "1e3", "-1", "+1", " 1", "0x1", "1.0", "99999999999999999999999", "")


def test_every_number_in_a_url_or_form_takes_ascii_digits_only(tmp_path):
    """Every URL and form field that carries a number (an id, a page, a version, a region, an
    account): a superscript "²" (str.isdigit says yes, int says no: was a 500 with a traceback),
    an Arabic-Indic "١" (int reads it as 1), "1e3", signs, spaces, a number beyond SQLite's INTEGER
    — a Chinese 400/404 page (or the accounts page's own Chinese error), never a 500, never read
    as another number."""
    names = ["青川区甲局", "青川区乙局"]
    write_roster(tmp_path / "roster.csv", names)
    srv = start_server(tmp_path / "xxgk.db", roster=tmp_path / "roster.csv")
    try:
        tok = links(srv.db)[names[0]]
        coord = _coord(srv.url)
        u = srv.url
        for x in ODD_NUMBERS:
            gets = [
                f"{u}/coord?region={x}",
                f"{u}/coord?page={x}",
                f"{u}/coord/summary?region={x}",
                f"{u}/coord/summary.xlsx?region={x}",
                f"{u}/coord/agency/{x}",
                f"{u}/coord/upload/{x}/original",
                f"{u}/a/{tok}?u={x}",
                f"{u}/a/{tok}/u/{x}/annotated.xlsx",
            ]
            for url in gets:
                if x == "" and ("?" in url):  # an empty parameter: the page's default
                    continue
                if x.isdigit() and x.isascii() and "page=" in url:  # a page past the end: the last
                    assert coord.get(url, timeout=60).status_code == 200
                    continue
                r = coord.get(url, timeout=60)
                assert r.status_code in (400, 404), (url, r.status_code)
                assert "出错了" in r.text and "Traceback" not in r.text, url
            csrf = csrf_of(coord.get(f"{u}/coord/agency/1", timeout=60).text)
            posts = [
                (f"{u}/coord/agency/1/choose", {"version": x}),
                (f"{u}/coord/agency/1/return", {"version": x, "note": "请改正"}),
                (f"{u}/coord/accounts", {"action": "disable", "account": x}),
                (f"{u}/coord/region/{x}/submit", {}),
            ]
            for url, form in posts:
                r = coord.post(url, data={"csrf": csrf, **form}, timeout=60)
                assert r.status_code in (400, 404), (url, form, r.status_code)
                assert "出错了" in r.text and "Traceback" not in r.text, url
            r = coord.post(
                f"{u}/coord/accounts",
                data={"csrf": csrf, "login": "qc", "password": "x" * 20, "region": x},
                timeout=60,
            )
            assert r.status_code == 200 and "请选择地区" in r.text, x
        assert coord.get(f"{u}/coord/agency/1", timeout=60).status_code == 200  # the ASCII id works
        assert coord.get(f"{u}/coord?page=1", timeout=60).status_code == 200
    finally:
        srv.stop()
    log = "".join(srv.stderr)
    assert "Traceback" not in log and "Internal" not in log, log[-3000:]


# -- 8: last year's reports filed while the server runs --------------------------------------------------
def test_last_year_filed_while_serving_counts_without_restart(tmp_path):
    """``xxgk archive add`` of last year's report while the server runs: the summary page gets its
    同比 at once (also with no upload since), and the next upload its PREV-* hints — as after a
    restart (the server kept last year's data from its first use until it stopped)."""
    name = "青川区甲局"
    (code,) = write_roster(tmp_path / "roster.csv", [name])
    last = make_workbook(tmp_path / "2024.xlsx", name, code, year=YEAR - 1, k=5)
    srv = start_server(tmp_path / "xxgk.db", roster=tmp_path / "roster.csv")
    try:
        tok = links(srv.db)[name]
        coord = _coord(srv.url)

        def upload(path: Path) -> list[str]:
            s = requests.Session()
            csrf = csrf_of(s.get(f"{srv.url}/a/{tok}", timeout=60).text)
            r = s.post(
                f"{srv.url}/a/{tok}/upload",
                data={"csrf": csrf},
                files={"file": (path.name, path.read_bytes())},
                timeout=120,
            )
            assert r.status_code == 200 and 'id="verdict"' in r.text
            with WebStore(srv.db, create=False) as st:
                return sorted({f["code"] for f in st.web_uploads()[0].findings})

        assert not [c for c in upload(make_workbook(tmp_path / "a.xlsx", name, code, k=6)) if "PREV" in c]
        assert 'id="previous"' not in coord.get(f"{srv.url}/coord/summary", timeout=120).text
        add = _xxgk("archive", "add", last, "--db", srv.db)
        assert add.returncode == 0, add.stdout + add.stderr
        html = coord.get(f"{srv.url}/coord/summary", timeout=120).text
        assert 'id="previous"' in html and "2024 年度" in html
        assert "PREV-IDENTICAL" in upload(make_workbook(tmp_path / "b.xlsx", name, code, k=5))
    finally:
        srv.stop()


def _upload(url: str, tok: str, path: Path):
    s = requests.Session()
    csrf = csrf_of(s.get(f"{url}/a/{tok}", timeout=60).text)
    r = s.post(
        f"{url}/a/{tok}/upload",
        data={"csrf": csrf},
        files={"file": (path.name, path.read_bytes())},
        timeout=120,
    )
    assert r.status_code == 200 and 'id="verdict"' in r.text
    return r


# -- 12, 13, 17, 18, 20: the coordinator's forms and pages ----------------------------------------------
def test_coordinator_forms_deadline_note_double_submit_and_pages(tmp_path):
    """The deadline within the season (13); a 退回 note without control characters or bidi
    overrides in the page, the archive and remind.csv (17); 上报 clicked twice or eight times at
    once records once, and again only when something changed (18); the links page with
    --base-url gives no 127.0.0.1 hint (12); waitress's 413 is the pages' own error page (20)."""
    names = ["示例市财政局", "青川区民政局", "青川区司法局"]
    roster = tmp_path / "roster.csv"
    codes = write_roster(roster, names)
    text = roster.read_text(encoding="utf-8").replace("示例市青川区", "示例市/青川区")
    roster.write_text(
        text.replace(f"{names[0]},{codes[0]},示例市/青川区", f"{names[0]},{codes[0]},示例市"),
        encoding="utf-8",
    )
    srv = start_server(
        tmp_path / "xxgk.db",
        roster=roster,
        extra=("--base-url", "https://xxgk.example.gov.cn", "--max-upload-mb", "1"),
    )
    try:
        u = srv.url
        tok = links(srv.db)[names[1]]
        coord = _coord(u)
        csrf = csrf_of(coord.get(f"{u}/coord", timeout=60).text)

        # 13: the deadline
        for bad in (
            "0001-01-01",
            "9999-12-31",
            f"{YEAR - 1}-12-31",
            f"{YEAR + 3}-01-01",
            "２０２６-01-20",
            "2026-W03-2",
        ):
            r = coord.post(f"{u}/coord/deadline", data={"csrf": csrf, "deadline": bad}, timeout=60)
            assert r.status_code == 400 and "截止日期" in r.text, bad
        with WebStore(srv.db, create=False) as st:
            assert st.setting(f"deadline:{YEAR}") is None
        r = coord.post(
            f"{u}/coord/deadline", data={"csrf": csrf, "deadline": f"{YEAR + 1}-01-20"}, timeout=60
        )
        assert r.status_code == 200 and f'value="{YEAR + 1}-01-20"' in r.text

        # 12: links behind --base-url: no "bound to 127.0.0.1" hint, links on the base URL
        page = coord.get(f"{u}/coord/links", timeout=60).text
        assert 'id="loopback-hint"' not in page and "127.0.0.1" not in page
        assert "https://xxgk.example.gov.cn/a/" in page

        # 17: a 退回 note with NUL, ESC, a bidi override, zero-width and line separators
        _upload(u, tok, make_workbook(tmp_path / "a.xlsx", names[1], codes[1], k=1))
        with WebStore(srv.db, create=False) as st:
            wa = next(a for a in st.web_agencies(YEAR) if a.name == names[1])
            (v,) = st.web_versions(wa)
        note = "请\x00改正\x1b[31m表三\u202e321\u2066甲\u200b乙\u2028丙\t丁\r\n戊"
        r = coord.post(
            f"{u}/coord/agency/{wa.id}/return", data={"csrf": csrf, "version": v.id, "note": note}, timeout=60
        )
        assert r.status_code == 200
        clean = "请改正[31m表三321甲乙丙 丁 戊"
        with WebStore(srv.db, create=False) as st:
            stored = [n for (n,) in st.db.execute("SELECT note FROM web_returns")]
            logged = [e.note for e in st.web_events(YEAR) if e.action == "return"]
        assert stored == [clean] and logged == [clean]
        bad_chars = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")
        agency_page = requests.get(f"{u}/a/{tok}", timeout=60).text
        assert clean in agency_page and not bad_chars.search(agency_page)
        csv_text = coord.get(f"{u}/coord/remind.csv", timeout=60).content.decode("utf-8-sig")
        assert not bad_chars.search(csv_text.replace("\r\n", "").replace("\n", ""))
        # a note stored before notes were cleaned (an older archive): the pages show no control
        # character and no bidi override of it
        shown_bad = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
        with WebStore(srv.db, create=False) as st, st.transaction():
            st.web_set_return(v.id, note)
        for page_url in (f"{u}/a/{tok}", f"{u}/coord/agency/{wa.id}"):
            shown = (requests if "/a/" in page_url else coord).get(page_url, timeout=60).text
            assert "请改正" in shown and not shown_bad.search(shown), page_url
        csv_text = coord.get(f"{u}/coord/remind.csv", timeout=60).content.decode("utf-8-sig")
        assert "\x00" not in csv_text and "\x1b" not in csv_text

        # 18: 上报 of 青川区: twice in a row, then eight at once: one record
        with WebStore(srv.db, create=False) as st:
            (rid,) = st.db.execute("SELECT id FROM web_regions WHERE name = '青川区'").fetchone()

        def submits() -> int:
            with WebStore(srv.db, create=False) as st:
                return sum(1 for e in st.web_events(YEAR) if e.action == "submit")

        # a 上报 is 青川区's own act: its coordinator's account
        page = coord.get(f"{u}/coord/accounts", timeout=60).text
        acc = {"login": "qingchuan", "password": "青川区-密码-2025", "region": str(rid)}
        coord.post(f"{u}/coord/accounts", data={"csrf": csrf_of(page), **acc}, timeout=60)
        qc = requests.Session()
        form = {"csrf": csrf_of(qc.get(f"{u}/login", timeout=60).text), "login": "qingchuan"}
        assert "退出" in qc.post(f"{u}/login", data={**form, "password": acc["password"]}, timeout=60).text
        page = qc.get(f"{u}/coord/summary?region={rid}", timeout=120).text
        form = {"csrf": csrf_of(page)}
        for _ in range(2):
            r = qc.post(f"{u}/coord/region/{rid}/submit", data=form, timeout=120)
            assert r.status_code == 200 and "上报" in r.text
        assert submits() == 1
        codes_seen: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: codes_seen.append(
                    qc.post(f"{u}/coord/region/{rid}/submit", data=form, timeout=300).status_code
                )
            )
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes_seen == [200] * 8 and submits() == 1
        # something changed below (a new upload): the next 上报 is recorded
        _upload(u, tok, make_workbook(tmp_path / "b.xlsx", names[1], codes[1], k=2))
        qc.post(f"{u}/coord/region/{rid}/submit", data=form, timeout=120)
        assert submits() == 2

        # 20: a body far over waitress's limit: the pages' error page, with stylesheet and 返回
        r = requests.post(
            f"{u}/a/{tok}/upload",
            data=b"x" * (3 * 1024 * 1024),
            headers={"Content-Type": "application/octet-stream"},
            timeout=120,
        )
        assert r.status_code == 413 and "文件过大" in r.text
        assert "style.css" in r.text and f'id="back" href="/a/{tok}"' in r.text
    finally:
        srv.stop()


# -- 15, 20: what the coordinator's terminal shows ------------------------------------------------------
_ENGLISH = re.compile(
    r"Traceback|Task queue|WARNING|ERROR|Errno|Address already|File exists|Exception|in app:"
)


def test_console_is_chinese_and_details_go_to_the_log_file(tmp_path):
    """The terminal window a coordinator runs ``xxgk serve`` in: waitress's "Task queue depth",
    SQLite's words and tracebacks go to the log file beside the archive (``xxgk.db.log``); the
    console gets one Chinese line naming the log file. A busy port, a template folder that is a
    device, an empty folder without a roster: a Chinese line, exit 2, nothing left behind."""
    name = "青川区甲局"
    write_roster(tmp_path / "roster.csv", [name])
    srv = start_server(tmp_path / "xxgk.db", roster=tmp_path / "roster.csv", extra=("--threads", "1"))
    try:
        tok = links(srv.db)[name]
        # more requests at once than threads: waitress's queue-depth warnings
        threads = [
            threading.Thread(target=lambda: requests.get(f"{srv.url}/a/{tok}", timeout=300))
            for _ in range(30)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # the archive moved away while serving: a 503 page, a Chinese console line, details in the log
        moved = tmp_path / "moved.db"
        srv.db.rename(moved)
        r = requests.get(f"{srv.url}/a/{tok}", timeout=60)
        moved.rename(srv.db)
        assert r.status_code == 503 and "档案库暂时无法打开" in r.text
        assert requests.get(f"{srv.url}/a/{tok}", timeout=60).status_code == 200
        # the same archive again: refused before the port is tried, naming the running server
        port = srv.url.rsplit(":", 1)[1]
        again = _xxgk("serve", "--db", srv.db, "--port", port, cwd=tmp_path, stdin="")
        assert again.returncode == 2 and "正由另一个 xxgk serve 使用" in again.stderr, again.stderr
        assert f"{srv.url}/" in again.stderr and not _ENGLISH.search(again.stderr)
        # another archive on the same port
        other = ("--db", tmp_path / "other.db", "--roster", tmp_path / "roster.csv", "--set-password")
        busy = _xxgk("serve", *other, "--port", port, cwd=tmp_path, stdin="另一个档案库的密码\n")
        assert busy.returncode == 2 and f"端口 {port} 已被占用" in busy.stderr, busy.stderr
        assert not _ENGLISH.search(busy.stderr) and "in use" not in busy.stderr
    finally:
        srv.stop()
    console = "".join(srv.stderr)
    log = (tmp_path / "xxgk.db.log").read_text(encoding="utf-8")
    assert not _ENGLISH.search(console), console[-2000:]
    assert f"档案库暂时无法打开（GET /a/{tok}）（详情已记入日志 {tmp_path / 'xxgk.db.log'}）" in console
    assert "Task queue depth" in log and "cannot open the archive" in log

    devnull = _xxgk("template", "--roster", tmp_path / "roster.csv", "-o", os.devnull)
    assert devnull.returncode == 2 and "-o 应为文件夹" in devnull.stderr
    assert not _ENGLISH.search(devnull.stderr), devnull.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    r = _xxgk("serve", "--port", "0", cwd=empty, stdin="")
    assert r.returncode == 2 and "--roster" in r.stderr and not _ENGLISH.search(r.stderr), r.stderr
    assert list(empty.iterdir()) == []
    r = _xxgk("serve", "--port", "0", "--year", "2031", "--db", tmp_path / "xxgk.db", stdin="")
    assert r.returncode == 2 and "2031 年度还没有名单" in r.stderr
