"""A city on one server: the region tree, accounts bound to nodes, permissions across neighbouring
nodes for every coordinator URL, the audit log, and the summary upward equal to ``xxgk merge`` of
the districts' summaries plus the city's own agencies (tested without HTTP, over HTTP and in
Debian's Chromium)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.serve_process import CODE_PREFIX, PASSWORD, csrf_of, links, make_workbook, start_server
from tests.test_serve import _need, _upload
from toolkit import regions, season
from toolkit.reader import read_file
from toolkit.roster import RosterEntry
from toolkit.store import WebStore
from toolkit.uscc import uscc_check_char
from toolkit.web.security import Keys, hash_password

requests = _need("requests")

YEAR = 2025
CITY = "示例市"
AGENCIES = [  # (name, parent)
    ("示例市财政局", "示例市"),
    ("青川区民政局", "示例市/青川区"),
    ("青川区司法局", "示例市/青川区"),
    ("东湖区民政局", "示例市/东湖区"),
    ("东湖区司法局", "示例市/东湖区"),
]
QC_PASSWORD, DH_PASSWORD = "青川区-密码-2025", "东湖区-密码-2025"


def _roster(path: Path) -> list[str]:
    codes = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "code", "parent"])
        for i, (n, parent) in enumerate(AGENCIES, 1):
            base = f"{CODE_PREFIX}{i:07d}"
            codes.append(base + uscc_check_char(base))
            w.writerow([n, codes[-1], parent])
    return codes


def test_region_paths():
    root, paths = regions.region_paths(["示例省/示例市/青川区", "示例省 ／ 示例市", "示例省＞东湖市＞西区"])
    assert root == "示例省" and paths == [("示例市", "青川区"), ("示例市",), ("东湖市", "西区")]
    root, paths = regions.region_paths(["示例市青川区", "示例市青川区"])
    assert root == "示例市青川区" and paths == [(), ()]  # a district's own roster: one node
    tree = {"青川区": "示例市", "东湖区": "示例市", "示例市": "示例省"}
    root, paths = regions.region_paths(["青川区", "东湖区", "示例市"], tree)
    assert root == "示例省" and paths == [("示例市", "青川区"), ("示例市", "东湖区"), ("示例市",)]
    root, paths = regions.region_paths(["甲区", "乙区"])
    assert root == "全部单位" and paths == [("甲区",), ("乙区",)]


def test_tree_accounts_and_rollup(tmp_path):
    _roster(tmp_path / "r.csv")
    from toolkit.roster import read_roster

    keys = Keys.for_db(tmp_path / "x.db")
    with WebStore(tmp_path / "x.db") as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, keys.fresh_token)
        root = regions.ensure_root_account(st, hash_password("根账号密码-12345"))
        t = regions.tree(st, YEAR)
        assert t.root.region.name == CITY and [c.region.name for c in t.root.children] == ["青川区", "东湖区"]
        qc = t.node_at("青川区")
        assert [a.name for a in qc.agencies] == ["青川区民政局", "青川区司法局"]
        assert [a.name for a in t.root.agencies] == ["示例市财政局"]
        aid = regions.create_account(st, t, root, "qingchuan", hash_password(QC_PASSWORD), qc.region.id, YEAR)
        qc_acc = st.web_account(id=aid)
        dh = t.node_at("东湖区")
        with pytest.raises(regions.AccountError):  # not below its own node
            regions.create_account(st, t, qc_acc, "donghu", hash_password(DH_PASSWORD), dh.region.id, YEAR)
        with pytest.raises(regions.AccountError):
            regions.create_account(st, t, qc_acc, "qc2", hash_password(QC_PASSWORD), qc.region.id, YEAR)
        with pytest.raises(regions.AccountError):
            regions.disable_account(st, t, qc_acc, root.id, YEAR)
        regions.disable_account(st, t, root, aid, YEAR)
        assert st.web_account(id=aid).disabled_at is not None
        assert regions.scope(t, qc_acc) == {qc.region.id}
        assert regions.scope(t, root) == set(t.nodes)
        roll = regions.rollup(t, season.states(st, YEAR))
        assert (
            roll[t.root.region.id][season.NOT_SUBMITTED] == 5
            and roll[qc.region.id][season.NOT_SUBMITTED] == 2
        )
        assert [e.action for e in st.web_events(YEAR)] == ["account-disable", "account-create"]
        assert all(e.actor == "admin" for e in st.web_events(YEAR))


# -- over HTTP ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def city(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("city")
    codes = _roster(tmp / "roster.csv")
    srv = start_server(
        tmp / "xxgk.db", roster=tmp / "roster.csv", extra=("--summary-background-after", "100")
    )
    srv.tmp, srv.codes = tmp, codes  # type: ignore[attr-defined]
    try:
        admin = _login(srv.url, "", PASSWORD)
        for login, place, pw in (("qingchuan", "青川区", QC_PASSWORD), ("donghu", "东湖区", DH_PASSWORD)):
            page = admin.get(f"{srv.url}/coord/accounts", timeout=30).text
            rid = re.search(rf'<option value="(\d+)">{place}</option>', page).group(1)
            r = admin.post(
                f"{srv.url}/coord/accounts",
                data={"csrf": csrf_of(page), "login": login, "password": pw, "region": rid},
                timeout=30,
            )
            assert f'data-login="{login}"' in r.text, r.text[-800:]
        # every agency uploads: 东湖区司法局 with an error (东湖区 incomplete)
        tokens = links(srv.db)
        files = {}
        for i, (name, _p) in enumerate(AGENCIES):
            p = make_workbook(tmp / f"{name}.xlsx", name, codes[i], k=i, valid=name != "东湖区司法局")
            files[name] = p
            s = requests.Session()
            csrf = csrf_of(s.get(f"{srv.url}/a/{tokens[name]}", timeout=30).text)
            assert _upload(s, srv.url, tokens[name], csrf, p).status_code == 200
        srv.files = files  # type: ignore[attr-defined]
        yield srv
    finally:
        srv.stop()


def _login(url: str, login: str, password: str):
    s = requests.Session()
    csrf = csrf_of(s.get(f"{url}/login", timeout=30).text)
    r = s.post(f"{url}/login", data={"csrf": csrf, "login": login, "password": password}, timeout=30)
    assert r.status_code == 200 and "退出" in r.text, r.text[-500:]
    return s


def _ids(srv) -> dict[str, int]:
    with WebStore(srv.db, create=False) as st:
        out = {a.name: a.id for a in st.web_agencies(YEAR)}
        out.update({f"region:{r.name}": r.id for r in st.web_regions(YEAR)})
        out.update({f"upload:{st.web_agency(id=u.web_agency_id).name}": u.id for u in st.web_uploads()})
        out.update(
            {f"version:{st.web_agency(id=u.web_agency_id).name}": u.version_id for u in st.web_uploads()}
        )
        out.update({f"account:{a.login}": a.id for a in st.web_accounts()})
    return out


def test_a_district_sees_only_its_own(city):
    qc = _login(city.url, "qingchuan", QC_PASSWORD)
    page = qc.get(f"{city.url}/coord", timeout=30).text
    assert "青川区民政局" in page and "东湖区" not in page and "示例市财政局" not in page
    for path in ("/coord/links", "/coord/remind", "/coord/log"):
        html = qc.get(city.url + path, timeout=30).text
        assert "东湖区" not in html and "示例市财政局" not in html, path
    links_csv = qc.get(f"{city.url}/coord/links.csv", timeout=30).content.decode("utf-8-sig")
    assert "青川区民政局" in links_csv and "东湖区" not in links_csv
    remind_csv = qc.get(f"{city.url}/coord/remind.csv", timeout=30).content.decode("utf-8-sig")
    assert "东湖区" not in remind_csv and "示例市财政局" not in remind_csv
    import io
    import zipfile

    from tests.test_serve import _finished

    r = _finished(qc, f"{city.url}/coord/bulk/annotated.zip")
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
    assert names and all(n.startswith("青川区") for n in names), names


@pytest.mark.parametrize(
    "method, path, form",
    [
        ("GET", "/coord/agency/{东湖区民政局}", None),
        ("GET", "/coord/upload/{upload:东湖区民政局}/original", None),
        ("GET", "/coord/upload/{upload:东湖区民政局}/annotated", None),
        ("GET", "/coord?region={region:东湖区}", None),
        ("GET", "/coord?region={region:示例市}", None),
        ("GET", "/coord/summary?region={region:东湖区}", None),
        ("GET", "/coord/summary.xlsx?region={region:东湖区}", None),
        ("POST", "/coord/agency/{东湖区民政局}/choose", {"version": "{version:东湖区民政局}"}),
        ("POST", "/coord/agency/{东湖区民政局}/choose", {"version": "rule"}),
        ("POST", "/coord/agency/{东湖区民政局}/return", {"version": "{version:东湖区民政局}", "note": "x"}),
        ("POST", "/coord/agency/{东湖区民政局}/link", {"action": "revoke"}),
        ("POST", "/coord/agency/{东湖区民政局}/link", {"action": "regenerate"}),
        ("POST", "/coord/agency/{示例市财政局}/return", {"version": "{version:示例市财政局}", "note": "x"}),
        ("POST", "/coord/region/{region:东湖区}/submit", {}),
        ("POST", "/coord/region/{region:示例市}/submit", {}),
        ("POST", "/coord/deadline", {"deadline": "2026-01-20"}),
        ("POST", "/coord/accounts", {"action": "disable", "account": "{account:donghu}"}),
        ("POST", "/coord/accounts", {"login": "x9", "password": "12345678x", "region": "{region:东湖区}"}),
    ],
)
def test_a_district_cannot_touch_a_neighbour(city, method, path, form):
    """青川区's account against every coordinator URL of 东湖区 (and of the city above): refused,
    and nothing changed (the audit log and the neighbour's state are as before)."""
    qc = _login(city.url, "qingchuan", QC_PASSWORD)
    ids = {k: str(v) for k, v in _ids(city).items()}
    with WebStore(city.db, create=False) as st:
        before = (len(st.web_events(YEAR)), [(s.agency.name, s.status) for s in season.states(st, YEAR)])
        before_accounts = [(a.login, a.disabled_at) for a in st.web_accounts()]

    def fill(text: str) -> str:
        return re.sub(r"\{([^{}]+)\}", lambda m: ids[m.group(1)], text)

    url = city.url + fill(path)
    if method == "GET":
        r = qc.get(url, timeout=60)
        assert r.status_code in (403, 404), (path, r.status_code)
    else:
        page = qc.get(f"{city.url}/coord", timeout=30).text
        data = {k: fill(v) for k, v in form.items()} | {"csrf": csrf_of(page)}
        r = qc.post(url, data=data, timeout=60)
        refused = r.status_code in (400, 403, 404) or "只能为本级以下" in r.text or "不是本级以下" in r.text
        assert refused, (path, r.status_code)
    with WebStore(city.db, create=False) as st:
        after = (len(st.web_events(YEAR)), [(s.agency.name, s.status) for s in season.states(st, YEAR)])
        assert after == before and [(a.login, a.disabled_at) for a in st.web_accounts()] == before_accounts


def test_the_city_summary_is_the_upward_merge(city, tmp_path):
    """青川区 submits (complete); 东湖区 does not (its 司法局 has an error): the city's summary is
    ``xxgk merge`` of the two district summaries plus 示例市财政局, 东湖区 incomplete at the city."""
    from tests.conftest import run_cli

    qc = _login(city.url, "qingchuan", QC_PASSWORD)
    ids = _ids(city)
    page = qc.get(f"{city.url}/coord/summary?region={ids['region:青川区']}", timeout=60).text
    assert "汇总完整" in page
    r = qc.post(
        f"{city.url}/coord/region/{ids['region:青川区']}/submit", data={"csrf": csrf_of(page)}, timeout=60
    )
    assert r.status_code == 200 and "由 qingchuan（青川区） 上报" in r.text
    admin = _login(city.url, "", PASSWORD)
    dash = admin.get(f"{city.url}/coord", timeout=30).text
    qc_row = re.search(r'data-region="青川区">(.*?)</tr>', dash, re.S).group(1)
    dh_row = re.search(r'data-region="东湖区">(.*?)</tr>', dash, re.S).group(1)
    assert "已上报" in qc_row and "未上报" in dh_row
    assert re.findall(r'class="n">(\d+)<', dh_row) == ["1", "1", "0", "0"]  # 通过 有错误 已退回 未报送
    r = admin.get(f"{city.url}/coord/summary.xlsx", timeout=120)
    assert r.status_code == 200
    web = tmp_path / "city-web.xlsx"
    web.write_bytes(r.content)
    html = admin.get(f"{city.url}/coord/summary", timeout=120).text
    assert "汇总不完整" in html and "东湖区" in html
    dh = re.search(r'<tr data-region="东湖区">(.*?)</tr>', html, re.S).group(1)
    qc_sum = re.search(r'<tr data-region="青川区">(.*?)</tr>', html, re.S).group(1)
    assert "未上报" in dh and "不完整" in dh and "已上报" in qc_sum and "不完整" not in qc_sum

    # the same with the command line: each district merged, then the city upward
    files = city.files
    d = tmp_path / "cli"
    for place in ("青川区", "东湖区"):
        (d / place).mkdir(parents=True)
        roster = d / f"{place}.csv"
        with roster.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["name", "code"])
            for i, (n, p) in enumerate(AGENCIES):
                if p.endswith(place):
                    w.writerow([n, city.codes[i]])
                    (d / place / files[n].name).write_bytes(files[n].read_bytes())
        res = run_cli(
            "merge", d / place, "--roster", roster, "--year", YEAR, "--agency", place,
            "-o", d / "up" / f"{place}汇总.xlsx",
        )  # fmt: skip
        assert res.returncode in (0, 1), res.stderr
    (d / "up" / files["示例市财政局"].name).write_bytes(files["示例市财政局"].read_bytes())
    up_roster = d / "city.csv"
    up_roster.write_text(f"name,code\n青川区,\n东湖区,\n示例市财政局,{city.codes[0]}\n", encoding="utf-8")
    res = run_cli(
        "merge", d / "up", "--roster", up_roster, "--year", YEAR, "--agency", CITY, "-o", d / "city.xlsx"
    )
    assert res.returncode in (0, 1), res.stderr
    a, b = read_file(web).submission, read_file(d / "city.xlsx").submission
    assert a is not None and b is not None
    assert a.all_values() == b.all_values() and a.agency == b.agency == CITY
    assert a.meta.get("complete") == b.meta.get("complete") and str(a.meta.get("complete")).lower() in (
        "0",
        "false",
        "否",
    )


def test_every_changing_action_is_in_the_log_the_level_above_reads(city):
    qc = _login(city.url, "qingchuan", QC_PASSWORD)
    ids = {k: str(v) for k, v in _ids(city).items()}
    page = qc.get(f"{city.url}/coord", timeout=30).text
    csrf = csrf_of(page)
    agency = ids["青川区司法局"]
    base = f"{city.url}/coord/agency/{agency}"
    qc.post(
        f"{base}/return",
        data={"csrf": csrf, "version": ids["version:青川区司法局"], "note": "请核对表三"},
        timeout=30,
    )
    qc.post(f"{base}/choose", data={"csrf": csrf, "version": ids["version:青川区司法局"]}, timeout=30)
    qc.post(f"{base}/choose", data={"csrf": csrf, "version": "rule"}, timeout=30)
    qc.post(f"{base}/link", data={"csrf": csrf, "action": "regenerate"}, timeout=30)
    qc.post(f"{base}/link", data={"csrf": csrf, "action": "revoke"}, timeout=30)
    admin = _login(city.url, "", PASSWORD)
    acsrf = csrf_of(admin.get(f"{city.url}/coord", timeout=30).text)
    admin.post(f"{city.url}/coord/deadline", data={"csrf": acsrf, "deadline": "2026-01-20"}, timeout=30)
    admin.post(
        f"{city.url}/coord/accounts",
        data={"csrf": acsrf, "action": "disable", "account": ids["account:donghu"]},
        timeout=30,
    )
    admin.post(
        f"{city.url}/coord/accounts",
        data={"csrf": acsrf, "action": "enable", "account": ids["account:donghu"]},
        timeout=30,
    )
    log = admin.get(f"{city.url}/coord/log", timeout=30).text
    rows = re.findall(
        r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>\s*<td>([^<]*)</td>", log
    )
    seen = {(who.split("（")[0], what) for who, _place, _agency, what in rows}  # qingchuan（青川区）
    for who, what in [
        ("qingchuan", "退回"), ("qingchuan", "指定版本"), ("qingchuan", "恢复按规则"),
        ("qingchuan", "生成新链接"), ("qingchuan", "停用链接"), ("admin", "设置截止日期"),
        ("admin", "停用账号"), ("admin", "恢复账号"), ("admin", "建立账号"),
    ]:  # fmt: skip
        assert (who, what) in seen, (who, what, sorted(seen))
    own = qc.get(f"{city.url}/coord/log", timeout=30).text
    assert "qingchuan" in own and "设置截止日期" not in own and "停用账号" not in own


def test_two_districts_and_the_city_in_the_browser(chromium, city):
    sync_api = _need("playwright.sync_api")
    shots = ROOT / "test-artifacts" / "regions"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            seen = {}
            for login, pw in (("qingchuan", QC_PASSWORD), ("donghu", DH_PASSWORD), ("", PASSWORD)):
                page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
                page.goto(f"{city.url}/login")
                page.fill("#login-name", login)
                page.fill("#password", pw)
                page.click("#login")
                page.wait_for_selector("#status-table")
                names = page.locator("#status-table tbody tr").evaluate_all(
                    "rows => rows.map(r => r.dataset.agency)"
                )
                seen[login or "admin"] = (page.inner_text("#region-name"), sorted(names))
                if not login:
                    assert page.locator("#regions tbody tr").count() == 2
                    page.click("#toggle-all")
                    page.wait_for_selector("#status-table")
                    everyone = page.locator("#status-table tbody tr").count()
                    assert everyone == len(AGENCIES)
                page.screenshot(path=str(shots / f"{login or 'city'}.png"), full_page=True)
            assert seen["qingchuan"] == ("青川区", ["青川区司法局", "青川区民政局"])
            assert seen["donghu"] == ("东湖区", ["东湖区司法局", "东湖区民政局"])
            assert seen["admin"] == (CITY, ["示例市财政局"])
        finally:
            browser.close()


def test_a_root_only_roster_is_the_district_of_before(tmp_path):
    """A district's own roster (every agency under one 上级): one node, no region table, the
    single password logs in as before."""
    from toolkit.roster import read_roster

    (tmp_path / "r.csv").write_text(
        "name,parent\n青川区甲局,示例市青川区\n青川区乙局,示例市青川区\n", encoding="utf-8"
    )
    with WebStore(tmp_path / "x.db") as st:
        regions.register(
            st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(tmp_path / "x.db").fresh_token
        )
        t = regions.tree(st, YEAR)
        assert len(t.nodes) == 1 and t.root.region.name == "示例市青川区" and len(t.root.agencies) == 2
    assert RosterEntry("x").parent == ""


def test_the_shared_snapshot_equals_a_fresh_one_after_every_change(tmp_path):
    """The dashboard's state, refreshed only for the agencies that changed, always equals the
    state computed afresh (statuses and the counts of every region)."""
    from toolkit.roster import read_roster
    from toolkit.web.app import create_app

    codes = _roster(tmp_path / "r.csv")
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(db).fresh_token)
        regions.ensure_root_account(st, hash_password(PASSWORD))
    ctx = create_app(db, year=YEAR).extensions["xxgk"]
    files = [
        make_workbook(tmp_path / f"{i}.xlsx", n, codes[i], k=i, valid=i % 2 == 0).read_bytes()
        for i, (n, _p) in enumerate(AGENCIES)
    ]
    with WebStore(db, create=False) as st:
        ctx.snapshot(st)
        was = st.web_agencies(YEAR)
        steps = [("upload", 1), ("upload", 2), ("return", 1), ("upload", 0), ("choose", 2), ("upload", 3)]
        for op, i in steps:
            wa = was[i]
            if op == "upload":
                season.receive(st, wa, files[i], f"{i}.xlsx", year=YEAR)
            elif op == "return":
                season.return_version(st, wa, season.state(st, wa).versions[0].id, "请改正")
            else:
                season.choose(st, wa, season.state(st, wa).versions[0].id)
            _t, by_id, roll = ctx.snapshot(st)
            fresh = season.states(st, YEAR)
            assert {s.agency.id: s.status for s in fresh} == {k: v.status for k, v in by_id.items()}
            assert regions.rollup(regions.tree(st, YEAR), fresh) == roll, (op, i)


def test_a_long_list_is_paged_after_filtering_and_sorting(tmp_path):
    """A province lists thousands of agencies: 200 a page, numbered on, filters and sorting first."""
    from toolkit.roster import read_roster
    from toolkit.web.app import create_app

    rows = "".join(f"示例市某区第{i:03d}局,示例市/某区\n" for i in range(450))
    (tmp_path / "r.csv").write_text("name,parent\n" + rows, encoding="utf-8")
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(db).fresh_token)
        regions.ensure_root_account(st, hash_password(PASSWORD))
    c = create_app(db, year=YEAR).test_client()
    c.post("/login", data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": PASSWORD})
    first = c.get("/coord?sort=name&desc=1").get_data(as_text=True)  # the city lists everyone below
    names = re.findall(r'data-agency="([^"]+)"', first)
    assert len(names) == 200 and names[0] == "示例市某区第449局" and "第 1 / 3 页" in first
    last = c.get("/coord?sort=name&desc=1&page=3").get_data(as_text=True)
    names = re.findall(r'data-agency="([^"]+)"', last)
    assert len(names) == 50 and names[-1] == "示例市某区第000局" and ">401<" in last
    assert c.get("/coord?page=99999999999999999999").status_code == 200  # any page asked: the last


def test_serve_places_a_plain_roster_by_a_tree_file(tmp_path):
    """`xxgk serve --regions tree.csv`: a roster whose 上级 holds plain names is placed in the
    tree the file describes; a tree file without its heads is one Chinese line, exit 2."""
    from tests.serve_process import start_server

    (tmp_path / "tree.csv").write_text(
        "地区,上级地区\n青川区,示例市\n东湖区,示例市\n示例市,示例省\n", encoding="utf-8"
    )
    (tmp_path / "r.csv").write_text(
        "name,parent\n青川区甲局,青川区\n东湖区乙局,东湖区\n示例市丙局,示例市\n", encoding="utf-8"
    )
    srv = start_server(
        tmp_path / "x.db", roster=tmp_path / "r.csv", extra=("--regions", str(tmp_path / "tree.csv"))
    )
    srv.stop()
    with WebStore(tmp_path / "x.db", create=False) as st:
        t = regions.tree(st, YEAR)
        assert t.root.region.name == "示例省"
        assert {n.region.path: sorted(a.name for a in n.agencies) for n in t.nodes.values()} == {
            "": [],
            "示例市": ["示例市丙局"],
            "示例市/东湖区": ["东湖区乙局"],
            "示例市/青川区": ["青川区甲局"],
        }
    (tmp_path / "bad.csv").write_text("名称\n青川区\n", encoding="utf-8")
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-m", "toolkit", "serve", "--db", str(tmp_path / "y.db"), "--roster", str(tmp_path / "r.csv"),
         "--regions", str(tmp_path / "bad.csv"), "--year", str(YEAR), "--port", "0"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert (
        p.returncode == 2
        and p.stderr.strip() == "错误：地区树文件 " + str(tmp_path / "bad.csv") + "：表头应为：地区,上级地区"
    )


def test_a_district_without_uploads_that_has_not_submitted_is_not_reported_at_the_city(tmp_path):
    """The trial's 东湖区: nothing uploaded below it and no 上报 — its dashboard row says 未上报,
    0 通过, so the city's summary lists it 未报送 (not 已报送, 计入汇总 with an empty summary) and is
    incomplete; a district that has uploads but has not submitted is counted by its current
    summary, said so."""
    from toolkit.roster import read_roster
    from toolkit.spec import spec_for_year

    codes = _roster(tmp_path / "r.csv")
    keys = Keys.for_db(tmp_path / "x.db")
    with WebStore(tmp_path / "x.db") as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, keys.fresh_token)
        by_name = {a.name: a for a in st.web_agencies(YEAR)}
        for i, name in ((0, "示例市财政局"), (1, "青川区民政局"), (2, "青川区司法局")):
            data = make_workbook(tmp_path / f"{i}.xlsx", name, codes[i], k=i).read_bytes()
            season.receive(st, by_name[name], data, f"{i}.xlsx", year=YEAR)
        t = regions.tree(st, YEAR)
        roll = regions.rollup(t, season.states(st, YEAR))
        dh = t.node_at("东湖区")
        assert roll[dh.region.id][season.PASSED] == 0 and roll[dh.region.id][season.NOT_SUBMITTED] == 2
        summary = regions.region_summary(st, YEAR, t, t.root, spec=spec_for_year(YEAR))
        rows = {r.roster_name: r for r in summary.records}
        assert (rows["东湖区"].status, rows["东湖区"].included, rows["东湖区"].file) == (
            "未报送",
            False,
            None,
        )
        assert "未上报" in rows["东湖区"].note
        assert rows["青川区"].included and "未上报" in rows["青川区"].note
        assert rows["示例市财政局"].included
        assert not summary.complete and summary.status_counts()["未报送"] == 1
        assert len(summary.included) == 2


# -- hostile roster values and tree files (trial defect 16) ------------------------------------------
HOSTILE = ROOT / "tests" / "fixtures" / "roster"


def test_hostile_roster_values_are_roster_findings_and_never_tree_nodes(tmp_path):
    """The trial's roster (markup, ESC/BEL in a name, a 3,000-character name, 上级 with markup
    and “..”): each is a ROSTER-VALUE error naming file, line and column, the row left out; what
    is read places no agency under “<b”, “b” or “..”, and nothing read holds a control character."""
    from toolkit.roster import read_roster

    r = read_roster(HOSTILE / "hostile_roster.csv")
    got = sorted((f.cell, f.message.split("列")[0]) for f in r.findings if f.code == "ROSTER-VALUE")
    assert got == [
        ("第2行", "名单 hostile_roster.csv 第2行第1"),
        ("第2行", "名单 hostile_roster.csv 第2行第3"),
        ("第4行", "名单 hostile_roster.csv 第4行第1"),
        ("第5行", "名单 hostile_roster.csv 第5行第1"),
        ("第5行", "名单 hostile_roster.csv 第5行第3"),
    ], r.findings
    said = {f.cell: " ".join(x.message for x in r.findings if x.cell == f.cell) for f in r.findings}
    # markup in a name is read as written and said (pages escape it); anything else leaves the row out
    (hint,) = [f for f in r.findings if f.severity == "warning"]
    assert hint.cell == "第2行" and "第2行第1列（机关名称）含有“<”或“>”（像网页标记），请核对" in hint.message
    assert all(f.message.endswith("此行未读入") for f in r.findings if f is not hint)
    assert "U+001B" in said["第4行"] and "U+0007" in said["第4行"]
    assert "第2行第3列（上级）含有“<”（像网页标记），不像地区名称；此行未读入" in said["第2行"]
    assert {e.line for e in r.entries}.isdisjoint({2, 4, 5}) and len(r.entries) == 8
    for e in r.entries:
        assert e.name.isprintable() and "<" not in e.name + e.parent and len(e.name) <= 100
    _root, paths = regions.region_paths([e.parent for e in r.entries])
    places = {p for path in paths for p in path}
    assert places <= {"示例市", "青川区", "东湖区", "西山区"}, places

    # the same kinds in an xlsx roster (XML cannot hold ESC: U+202E, which turns text around)
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["机关名称", "统一社会信用代码", "上级"])
    ws.append(["甲乙\u202e局", "", "示例市/青川区"])
    ws.append(["乙局", "", "示例市/<b>青川区</b>"])
    ws.append(["丙局", "", "示例市/../青川区"])
    ws.append(["丁局", "", "示例市/青川区"])
    ws.append(["<i>戊局</i>", "", "示例市/青川区"])
    wb.save(tmp_path / "名单.xlsx")
    r = read_roster(tmp_path / "名单.xlsx")
    assert [e.name for e in r.entries] == ["丁局", "<i>戊局</i>"]
    assert [(f.severity, f.message.split("）")[0]) for f in r.findings] == [
        ("error", "名单 名单.xlsx 第2行第1列（机关名称"),
        ("error", "名单 名单.xlsx 第3行第3列（上级"),
        ("error", "名单 名单.xlsx 第4行第3列（上级"),
        ("warning", "名单 名单.xlsx 第6行第1列（机关名称"),
    ]


def test_tree_file_cycles_and_odd_places_are_refused_with_their_lines(tmp_path):
    def refused(text: str, encoding: str = "utf-8") -> str:
        f = tmp_path / "tree.csv"
        f.write_bytes(text.encode(encoding))
        with pytest.raises(ValueError) as exc:
            regions.read_tree_file(f)
        return str(exc.value)

    cycle = (HOSTILE / "regions_cycle.csv").read_text(encoding="utf-8")
    assert refused(cycle) == (
        "地区上下级成环：示例市 → 青川区 → 示例市（第2行、第3行）；每个地区只能有一条通向最上级的路径"
    )
    assert "成环：甲 → 乙 → 丙 → 甲" in refused("地区,上级地区\n甲,乙\n乙,丙\n丙,甲\n丁,甲\n")
    assert refused("地区,上级地区\n甲,甲\n") == "第2行：“甲”的上级地区是它自己"
    assert "与第2行的“丙”不同" in refused("地区,上级地区\n甲,丙\n乙,丙\n甲,丁\n")
    assert refused("地区,上级地区\n..,示例市\n").startswith("第2行第1列（地区）“..”地区“..”不是地区名称")
    assert "第2行第2列（上级地区）" in refused("地区,上级地区\n青川区,<b>示例市</b>\n")
    assert "U+001B" in refused("地区,上级地区\n青\x1b川区,示例市\n")
    assert "不含“/”" in refused("地区,上级地区\n示例市/青川区,示例省\n")
    assert "成环" in refused("地区,上级地区\n甲,乙\n乙,甲\n", "utf-16")  # UTF-16 read too
    (tmp_path / "ok.csv").write_text(
        "地区,上级地区\n青川区,示例市\n示例市,示例省\n示例市,示例省\n", encoding="utf-8"
    )
    assert regions.read_tree_file(tmp_path / "ok.csv") == {"青川区": "示例市", "示例市": "示例省"}


def test_serve_with_a_cyclic_tree_file_does_not_start_and_changes_nothing(tmp_path):
    import subprocess
    import sys

    (tmp_path / "r.csv").write_text("name,parent\n青川区甲局,青川区\n", encoding="utf-8")
    tree = tmp_path / "tree.csv"
    tree.write_bytes((HOSTILE / "regions_cycle.csv").read_bytes())
    p = subprocess.run(
        [sys.executable, "-m", "toolkit", "serve", "--db", str(tmp_path / "y.db"), "--roster", str(tmp_path / "r.csv"),
         "--regions", str(tree), "--year", str(YEAR), "--port", "0"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert p.returncode == 2 and "地区上下级成环：示例市 → 青川区 → 示例市（第2行、第3行）" in p.stderr, (
        p.stderr
    )
    assert "Traceback" not in p.stderr and sorted(x.name for x in tmp_path.iterdir()) == ["r.csv", "tree.csv"]


def test_the_log_is_paged_as_the_dashboard_and_a_deadline_comes_after_the_report_year(tmp_path):
    """The audit log beyond its first 200 records is reachable a page at a time; a page number
    that is not ASCII digits ("²") is a 400, never quietly page 1; a page past the end, however
    large (20 digits: trial 3), is the last, as on the dashboard. A deadline inside the report year itself (2025-06-01 for 2025) is refused."""
    from toolkit.roster import read_roster
    from toolkit.web.app import create_app

    (tmp_path / "r.csv").write_text("name,parent\n青川区民政局,示例市/青川区\n", encoding="utf-8")
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(db).fresh_token)
        regions.ensure_root_account(st, hash_password(PASSWORD))
        root = regions.tree(st, YEAR).root
        with st.transaction():
            for i in range(450):
                st.web_log(YEAR, "deadline", "admin", note=f"记录{i:03d}号", region_id=root.region.id)
    c = create_app(db, year=YEAR).test_client()
    c.post("/login", data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": PASSWORD})
    first = c.get("/coord/log").get_data(as_text=True)
    notes = re.findall(r"记录(\d{3})号", first)
    assert (
        len(notes) == 200
        and notes[0] == "449"
        and 'id="log-older"' in first
        and 'id="log-newer"' not in first
    )
    last = c.get("/coord/log?page=3").get_data(as_text=True)
    notes = re.findall(r"记录(\d{3})号", last)
    assert (
        len(notes) == 50 and notes[-1] == "000" and 'id="log-older"' not in last and 'id="log-newer"' in last
    )
    for huge in ("99999999999999999", "99999999999999999999", "9" * 100):  # a page past the end: the last
        r = c.get(f"/coord/log?page={huge}")
        assert r.status_code == 200 and re.findall(r"记录(\d{3})号", r.get_data(as_text=True)) == notes, huge
    for bad in ("²", "٣", "0", "-1", "1e3", "", "9" * 101):
        r = c.get(f"/coord/log?page={bad}")
        assert r.status_code == 400 and "页码" in r.get_data(as_text=True), bad
    csrf = csrf_of(c.get("/coord").get_data(as_text=True))
    for bad in (f"{YEAR}-06-01", f"{YEAR}-12-31", f"{YEAR}-01-01"):
        r = c.post("/coord/deadline", data={"csrf": csrf, "deadline": bad})
        assert r.status_code == 400 and f"{YEAR + 1}年1月1日" in r.get_data(as_text=True), bad
    assert c.post("/coord/deadline", data={"csrf": csrf, "deadline": f"{YEAR + 1}-01-01"}).status_code == 303
    with WebStore(db, create=False) as st:
        assert st.setting(f"deadline:{YEAR}") == f"{YEAR + 1}-01-01"


def _licensing(summary, name: str) -> int:
    """A record's 行政许可 count (make_workbook's k shows in it: 1000 + k per agency)."""
    keys = summary.spec.numeric_keys
    rec = next(r for r in summary.records if r.roster_name == name)
    return rec.values[keys.index("t2.admin_licensing.decisions")]


def test_a_submission_out_of_date_is_seen_at_the_city_and_a_roster_move_asks_for_a_new_one(tmp_path):
    """The trial's 上报 snapshot (seq19, seq4, seq16): after 青川区's 上报, a new upload below it, the
    city's own 退回 and a roster move each make the city see the 上报 is out of date — its
    summary is never 汇总完整 over it, its 报送情况 note names the change and asks 青川区 to 上报
    again; the snapshot stays what is counted (its figures, as submitted) while 青川区's agencies are
    the same; after the move, the snapshot's units are no longer 青川区's: its current summary is
    counted (nothing twice, no DOUBLE-COUNTED, no inbox advice), still out of date until 上报."""
    from toolkit.roster import read_roster
    from toolkit.spec import spec_for_year

    spec = spec_for_year(YEAR)
    codes = _roster(tmp_path / "r.csv")
    keys = Keys.for_db(tmp_path / "x.db")
    with WebStore(tmp_path / "x.db") as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, keys.fresh_token)
        admin = regions.ensure_root_account(st, hash_password(PASSWORD))
        by_name = {a.name: a for a in st.web_agencies(YEAR)}

        def upload(i: int, k: int) -> None:
            name = AGENCIES[i][0]
            data = make_workbook(tmp_path / f"{i}_{k}.xlsx", name, codes[i], k=k).read_bytes()
            season.receive(st, by_name[name], data, f"{i}_{k}.xlsx", year=YEAR)

        for i in range(len(AGENCIES)):
            upload(i, i)

        def city():
            t = regions.tree(st, YEAR)
            by_id = {s.agency.id: s for s in season.states(st, YEAR)}
            return t, by_id, regions.region_summary(st, YEAR, t, t.root, spec=spec, states_by_id=by_id)

        def submit_qc():
            t, by_id, _ = city()
            qc = t.node_at("青川区")
            s = regions.region_summary(st, YEAR, t, qc, spec=spec, states_by_id=by_id)
            regions.submit(st, YEAR, qc, s, admin, regions.submit_state(st, YEAR, t, qc, by_id))

        def qc_row(summary):
            return next(r for r in summary.records if r.roster_name == "青川区")

        submit_qc()
        t, by_id, s = city()
        assert not regions.changes_since_submit(st, YEAR, t, t.node_at("青川区"), by_id)
        assert s.complete and "重新上报" not in (qc_row(s).note or "")
        assert not any(f.code == "SUMMARY-INCOMPLETE" for f in qc_row(s).report.findings)
        assert _licensing(s, "青川区") == 1000 + 1 + 1000 + 2

        # seq4: a correction uploaded below 青川区 after its 上报
        upload(1, 11)
        t, by_id, s = city()
        ch = regions.changes_since_submit(st, YEAR, t, t.node_at("青川区"), by_id)
        assert ch and ch.changed == ["青川区民政局 有新的上传，现为通过"] and not ch.moved
        rec = qc_row(s)
        assert rec.included and _licensing(s, "青川区") == 1000 + 1 + 1000 + 2  # the snapshot, as submitted
        assert not s.complete
        assert [f.severity for f in rec.report.findings if f.code == "SUMMARY-INCOMPLETE"] == ["warning"]
        assert "青川区民政局 有新的上传" in rec.note and "请青川区重新上报" in rec.note
        submit_qc()  # 上报 again: up to date, complete
        t, by_id, s = city()
        assert not regions.changes_since_submit(st, YEAR, t, t.node_at("青川区"), by_id)
        assert s.complete and _licensing(s, "青川区") == 1000 + 11 + 1000 + 2

        # seq19: the city sends back one of 青川区's agencies: never 汇总完整，全部通过 over it
        wa = by_name["青川区司法局"]
        season.return_version(
            st, wa, season.state(st, wa).versions[0].id, "市里退回：数字有误", actor="admin"
        )
        t, by_id, s = city()
        assert not s.complete
        assert "青川区司法局 由通过变为已退回" in qc_row(s).note and "请青川区重新上报" in qc_row(s).note
        submit_qc()
        t, by_id, s = city()
        assert not s.complete  # up to date now, but 青川区's own summary is incomplete (已退回)
        assert "重新上报" not in (qc_row(s).note or "")
        upload(2, 12)
        submit_qc()
        t, by_id, s = city()
        assert s.complete

        # seq16: 青川区司法局 moves to 东湖区 (a roster registered again)
        moved = (tmp_path / "r.csv").read_text(encoding="utf-8")
        moved = moved.replace(
            f"青川区司法局,{codes[2]},示例市/青川区", f"青川区司法局,{codes[2]},示例市/东湖区"
        )
        (tmp_path / "moved.csv").write_text(moved, encoding="utf-8")
        regions.register(st, YEAR, read_roster(tmp_path / "moved.csv").entries, keys.fresh_token)
        t, by_id, s = city()
        ch = regions.changes_since_submit(st, YEAR, t, t.node_at("青川区"), by_id)
        assert ch and ch.moved == ["青川区司法局 已不在本地区"]
        assert not any(f.code == "DOUBLE-COUNTED" for f in s.findings)
        assert all(r.included for r in s.records)
        rec = qc_row(s)
        assert "上报后名单有变动" in rec.note and "请青川区重新上报" in rec.note
        assert not s.complete
        # every agency counted once: 青川区 now its 民政局 only, 东湖区 with 司法局
        assert _licensing(s, "青川区") == 1000 + 11
        assert _licensing(s, "东湖区") == 1000 + 3 + 1000 + 4 + 1000 + 12
        submit_qc()
        t, by_id, s = city()
        assert s.complete and "重新上报" not in (qc_row(s).note or "")


def test_the_city_downloads_the_snapshot_it_counts_and_sees_it_is_out_of_date(tmp_path):
    """The page is the point: the city's dashboard and summary say 上报后有变动 and link the 上报
    workbook byte for byte (not the district's current summary); a neighbour cannot fetch it."""
    from toolkit.roster import read_roster
    from toolkit.web.app import create_app

    codes = _roster(tmp_path / "r.csv")
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(db).fresh_token)
        root = regions.ensure_root_account(st, hash_password(PASSWORD))
        t = regions.tree(st, YEAR)
        qc, dh = t.node_at("青川区"), t.node_at("东湖区")
        regions.create_account(st, t, root, "donghu", hash_password(DH_PASSWORD), dh.region.id, YEAR)
        regions.create_account(st, t, root, "qingchuan", hash_password(QC_PASSWORD), qc.region.id, YEAR)
        by_name = {a.name: a for a in st.web_agencies(YEAR)}
        for i, (name, _p) in enumerate(AGENCIES):
            data = make_workbook(tmp_path / f"{i}.xlsx", name, codes[i], k=i).read_bytes()
            season.receive(st, by_name[name], data, f"{i}.xlsx", year=YEAR)
    c = create_app(db, year=YEAR).test_client()
    c.post("/login", data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": PASSWORD})
    q = create_app(db, year=YEAR).test_client()  # a 上报 is 青川区's own act
    form = {"csrf": csrf_of(q.get("/login").get_data(as_text=True)), "login": "qingchuan"}
    q.post("/login", data={**form, "password": QC_PASSWORD})
    csrf = csrf_of(q.get("/coord").get_data(as_text=True))
    assert q.post(f"/coord/region/{qc.region.id}/submit", data={"csrf": csrf}).status_code == 303
    snap = c.get(f"/coord/region/{qc.region.id}/submitted.xlsx")
    assert snap.status_code == 200
    with WebStore(db, create=False) as st:
        sub = st.web_submits(YEAR)[qc.region.id]
        assert snap.data == st.file_bytes(sub.file_sha256)
        data = make_workbook(tmp_path / "new.xlsx", "青川区民政局", codes[1], k=77).read_bytes()
        season.receive(st, by_name["青川区民政局"], data, "new.xlsx", year=YEAR)
    dash = c.get("/coord").get_data(as_text=True)
    assert "上报后有变动，待重新上报" in dash and f"/coord/region/{qc.region.id}/submitted.xlsx" in dash
    page = c.get("/coord/summary").get_data(as_text=True)
    assert "青川区民政局 有新的上传" in page and "待青川区重新上报" in page and "汇总不完整" in page
    assert c.get(f"/coord/region/{qc.region.id}/submitted.xlsx").data == snap.data  # still the 上报
    remind = c.get("/coord/remind").get_data(
        as_text=True
    )  # the city asks for a new 上报 (and 东湖区's first)
    asked = dict(re.findall(r'<tr data-region="([^"]+)">.*?<textarea[^>]*>([^<]*)</textarea>', remind, re.S))
    assert "重新上报" in asked["青川区"] and "青川区民政局 有新的上传" in asked["青川区"]
    assert "尚未上报" in asked["东湖区"]
    current = c.get(f"/coord/summary.xlsx?region={qc.region.id}").data
    assert current != snap.data
    assert c.get(f"/coord/region/{dh.region.id}/submitted.xlsx").status_code == 404  # not submitted
    d = create_app(db, year=YEAR).test_client()
    d.post(
        "/login",
        data={
            "csrf": csrf_of(d.get("/login").get_data(as_text=True)),
            "login": "donghu",
            "password": DH_PASSWORD,
        },
    )
    assert d.get("/coord").status_code == 200  # logged in as 东湖区
    assert d.get(f"/coord/region/{qc.region.id}/submitted.xlsx").status_code == 404  # a neighbour's


def test_double_counted_advice_fits_where_the_summaries_come_from(tmp_path):
    """Two district summaries sharing an agency: in a folder, take one out of the inbox; on the
    server (each bound to its region) there is no inbox — the district is asked to 上报 again."""
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary
    from toolkit.roster import Roster

    codes = _roster(tmp_path / "r.csv")
    files = [make_workbook(tmp_path / f"a{i}.xlsx", AGENCIES[i][0], codes[i], k=i) for i in (1, 2, 3)]
    one = write_summary(merge(files[:2], year=YEAR, agency="青川区"), tmp_path / "in" / "青川区.xlsx")
    two = write_summary(merge(files[1:], year=YEAR, agency="东湖区"), tmp_path / "in" / "东湖区.xlsx")
    entries = [RosterEntry("青川区", "", CITY, "地区", 2), RosterEntry("东湖区", "", CITY, "地区", 3)]
    for served in (False, True):
        assign = {str(one): (entries[0], []), str(two): (entries[1], [])} if served else None
        s = merge([tmp_path / "in"], roster=Roster("", entries), year=YEAR, assign=assign)
        (f,) = [f for f in s.findings if f.code == "DOUBLE-COUNTED"]
        if served:
            assert "重新上报" in f.message and "收件文件夹" not in f.message
        else:
            assert "收件文件夹" in f.message


def _setup_city(tmp_path: Path) -> tuple[Path, list[str], dict]:
    """The roster registered, the coordinator's password set, every agency uploaded (valid)."""
    from toolkit.roster import read_roster

    codes = _roster(tmp_path / "r.csv")
    db = tmp_path / "x.db"
    with WebStore(db) as st:
        regions.register(st, YEAR, read_roster(tmp_path / "r.csv").entries, Keys.for_db(db).fresh_token)
        regions.ensure_root_account(st, hash_password(PASSWORD))
        by_name = {a.name: a for a in st.web_agencies(YEAR)}
        for i, (name, _p) in enumerate(AGENCIES):
            data = make_workbook(tmp_path / f"{i}.xlsx", name, codes[i], k=i).read_bytes()
            season.receive(st, by_name[name], data, f"{i}.xlsx", year=YEAR)
    return db, codes, by_name


def _submit(st: WebStore, place: str) -> None:
    from toolkit.spec import spec_for_year

    t = regions.tree(st, YEAR)
    by_id = {s.agency.id: s for s in season.states(st, YEAR)}
    node = t.node_at(place)
    s = regions.region_summary(st, YEAR, t, node, spec=spec_for_year(YEAR), states_by_id=by_id)
    admin = st.web_account(login=regions.ROOT_LOGIN)
    regions.submit(st, YEAR, node, s, admin, regions.submit_state(st, YEAR, t, node, by_id))


def _changes(st: WebStore, place: str) -> regions.Changes | None:
    t = regions.tree(st, YEAR)
    by_id = {s.agency.id: s for s in season.states(st, YEAR)}
    return regions.changes_since_submit(st, YEAR, t, t.node_at(place), by_id)


def test_only_a_change_of_what_is_counted_puts_a_submission_out_of_date(tmp_path):
    """Trial 3 (new7, new1): a faulty upload beside the counted version, and the same bytes
    uploaded again after a 退回, change nothing counted: no reason to 上报 again. A passing
    correction, a 退回 and a coordinator's choice do, each named as what it is."""
    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        mz, sf = by_name["青川区民政局"], by_name["青川区司法局"]
        _submit(st, "青川区")
        bad = make_workbook(tmp_path / "bad.xlsx", mz.name, codes[1], k=50, valid=False).read_bytes()
        season.receive(st, mz, bad, "bad.xlsx", year=YEAR)
        assert season.state(st, mz).status == season.PASSED  # the earlier version still counts
        assert not _changes(st, "青川区")
        # the city sends 司法局's only version back: 已退回, the 上报 out of date by its status
        sf_state = season.state(st, sf)
        season.return_version(st, sf, sf_state.versions[0].id, "数字有误", actor="admin")
        assert _changes(st, "青川区").changed == ["青川区司法局 由通过变为已退回"]
        _submit(st, "青川区")
        assert not _changes(st, "青川区")
        same = (tmp_path / "2.xlsx").read_bytes()  # the same bytes again: still 已退回
        season.receive(st, sf, same, "again.xlsx", year=YEAR)
        assert season.state(st, sf).status == season.RETURNED
        assert not _changes(st, "青川区")
        # a correction that passes: counted, named as a new upload
        good = make_workbook(tmp_path / "good.xlsx", sf.name, codes[2], k=60).read_bytes()
        season.receive(st, sf, good, "good.xlsx", year=YEAR)
        assert _changes(st, "青川区").changed == ["青川区司法局 有新的上传，现为通过"]
        _submit(st, "青川区")
        # 民政局 corrects (counted), then the coordinator chooses its first version back: the
        # counted version changes; a faulty upload after it changes nothing more (new7)
        good = make_workbook(tmp_path / "mz2.xlsx", mz.name, codes[1], k=70).read_bytes()
        season.receive(st, mz, good, "mz2.xlsx", year=YEAR)
        _submit(st, "青川区")
        first = min((v for v in season.state(st, mz).versions if v.errors == 0), key=lambda v: v.id)
        first_bytes = st.file_bytes(first.file_sha256)
        assert first.file_sha256 != season.state(st, mz).current.file_sha256
        season.choose(st, mz, first.id, actor="admin")
        assert _changes(st, "青川区").changed == ["青川区民政局 计入的版本有变"]
        bad2 = make_workbook(tmp_path / "bad2.xlsx", mz.name, codes[1], k=80, valid=False).read_bytes()
        season.receive(st, mz, bad2, "bad2.xlsx", year=YEAR)
        assert season.state(st, mz).current.id == first.id
        assert _changes(st, "青川区").changed == ["青川区民政局 计入的版本有变"]
        # 上报 again, then the choice taken back (the rule: the correction counts again): the
        # change is the version; the correction's bytes uploaded once more are its newest filing,
        # counted as a new upload
        _submit(st, "青川区")
        season.choose(st, mz, None, actor="admin")
        assert season.state(st, mz).current.file_sha256 != first.file_sha256
        assert _changes(st, "青川区").changed == ["青川区民政局 计入的版本有变"]
        season.receive(st, mz, good, "mz2_again.xlsx", year=YEAR)
        assert _changes(st, "青川区").changed == ["青川区民政局 有新的上传，现为通过"]
        # after a 上报 counting B, A (an earlier version) uploaded again: A counts, a new upload
        _submit(st, "青川区")
        season.receive(st, mz, first_bytes, "mz_first_again.xlsx", year=YEAR)
        assert season.state(st, mz).current.id == first.id
        assert _changes(st, "青川区").changed == ["青川区民政局 有新的上传，现为通过"]


def test_remind_csv_holds_the_districts_the_remind_page_asks(tmp_path):
    """Trial 3 (n3x): the 催报 page asks 青川区 to 上报 again and 东湖区 to 上报; the exported
    催报名单 holds those rows too (the full list), though every agency has passed."""
    from toolkit.web.app import create_app

    db, codes, by_name = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
        data = make_workbook(tmp_path / "new.xlsx", "青川区民政局", codes[1], k=77).read_bytes()
        season.receive(st, by_name["青川区民政局"], data, "new.xlsx", year=YEAR)
    c = create_app(db, year=YEAR).test_client()
    c.post("/login", data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": PASSWORD})
    page = c.get("/coord/remind").get_data(as_text=True)
    asked = dict(re.findall(r'<tr data-region="([^"]+)">.*?<textarea[^>]*>([^<]*)</textarea>', page, re.S))
    assert sorted(asked) == ["东湖区", "青川区"] and 'id="remind-csv"' in page
    for q in ("", "?all=1"):
        r = c.get(f"/coord/remind.csv{q}")
        rows = list(csv.reader(r.get_data(as_text=True).lstrip("\ufeff").splitlines()))
        got = {row[0]: row for row in rows[1:]}
        assert sorted(got) == ["东湖区", "青川区"], rows
        assert got["青川区"][1] == "上报后有变动" and got["青川区"][5] == asked["青川区"]
        assert got["东湖区"][1] == "未上报" and got["东湖区"][5] == asked["东湖区"]


def test_submitted_xlsx_of_a_district_not_yet_submitted_says_so(tmp_path):
    """Trial 3: the 上报 workbook of a district that has not 上报'd: a 404 page that says 尚未上报,
    not the general 找不到此页面."""
    from toolkit.web.app import create_app

    db, _codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        dh = regions.tree(st, YEAR).node_at("东湖区")
    c = create_app(db, year=YEAR).test_client()
    c.post("/login", data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": PASSWORD})
    r = c.get(f"/coord/region/{dh.region.id}/submitted.xlsx")
    body = r.get_data(as_text=True)
    assert r.status_code == 404 and "东湖区尚未上报汇总" in body and "找不到此页面" not in body
    assert "找不到此页面" in c.get("/coord/region/999999/submitted.xlsx").get_data(as_text=True)


def test_a_roster_move_says_everywhere_the_submission_is_no_longer_counted(tmp_path):
    """Trial 3 (new4, new4b): both districts 上报, then a restart with a roster that moves
    青川区司法局 to 东湖区. The serve start names both districts' 上报 as out of date by the move;
    each district's dashboard and summary page and the city's 催报 say what the city summary
    does: the 上报 no longer counted, the current summary is (never "仍按上报时")."""
    db, codes, _by = _setup_city(tmp_path)
    with WebStore(db) as st:
        _submit(st, "青川区")
        _submit(st, "东湖区")
    moved = (tmp_path / "r.csv").read_text(encoding="utf-8")
    moved = moved.replace(f"青川区司法局,{codes[2]},示例市/青川区", f"青川区司法局,{codes[2]},示例市/东湖区")
    (tmp_path / "moved.csv").write_text(moved, encoding="utf-8")
    srv = start_server(db, roster=tmp_path / "moved.csv")
    try:
        said = "".join(srv.stderr)
        for place, what in (("青川区", "青川区司法局 已不在本地区"), ("东湖区", "青川区司法局 新列入本地区")):
            assert f"名单：{place}上报后名单有变动（{what}）" in said, said
            assert f"上级汇总不再计入，按其当前的汇总计入；请{place}查看汇总后重新上报" in said
        s = _login(srv.url, "", PASSWORD)
        with WebStore(db, create=False) as st:
            t = regions.tree(st, YEAR)
            ids = {p: t.node_at(p).region.id for p in ("青川区", "东湖区")}
        for place, rid in ids.items():
            for url in (f"/coord?region={rid}", f"/coord/summary?region={rid}"):
                page = s.get(srv.url + url, timeout=60).text
                stale = re.search(r'id="stale">([^<]*)<', page)
                assert stale and "上级汇总不再计入上报的汇总，按本地区当前的汇总计入" in stale.group(1), (
                    place,
                    url,
                )
                assert "仍" not in stale.group(1)
        city = s.get(f"{srv.url}/coord/summary", timeout=60).text
        assert city.count("上报后名单有变动，上报的汇总不再计入") == 2
        remind = s.get(f"{srv.url}/coord/remind", timeout=60).text
        asked = dict(
            re.findall(r'<tr data-region="([^"]+)">.*?<textarea[^>]*>([^<]*)</textarea>', remind, re.S)
        )
        for place in ids:
            assert "上级汇总不再计入上报的汇总" in asked[place] and "仍按上报时" not in asked[place]
    finally:
        srv.stop()
    again = start_server(db, roster=tmp_path / "moved.csv")  # the same roster: no new move to tell
    try:
        assert "上报后名单有变动" not in "".join(again.stderr)
    finally:
        again.stop()
