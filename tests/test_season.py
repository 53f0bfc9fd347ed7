"""The season's rules (toolkit.season) without HTTP: identity by link, what counts, 退回, choice,
and the summary agreeing with the dashboard, driven by generated sequences of uploads.

The invariant under test (see toolkit/season.py): for every sequence of uploads through links,
choices and returns, (1) nothing is ever filed under another link's agency and no archive agency is
renamed; (2) each agency's status equals a small reference model of the stated rule; (3) the
summary counts exactly the agencies whose status is 通过, each under its roster name."""

from __future__ import annotations

import functools
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hst

from tests.serve_process import make_workbook, write_roster
from toolkit import season
from toolkit.spec import spec_for_year
from toolkit.store import WebStore
from toolkit.web.security import Keys

YEAR = 2025
NAMES = ["青川区财政局", "青川区司法局", "青川区民政局"]
# what an agency can upload: (kind, filed as its version?, valid?)
KINDS = {
    "valid1": (True, True),
    "valid2": (True, True),
    "invalid": (True, False),  # T3-BALANCE
    "wrongcode": (True, False),  # its own name, another roster agency's code: COVER-MISMATCH
    "other": (False, False),  # another roster agency's report: DUPLICATE-SUBMISSION
    "stranger": (False, False),  # an agency not on the roster
    "junk": (False, False),  # not a workbook
    "lastyear": (False, False),  # another report year
    "unrelated": (True, False),  # an unrelated body's name with its own code: COVER-MISMATCH error
    "variant": (True, True),  # its own name with a place prefix, its own code: a 提示 only
    "format2019": (True, False),  # the 2019 layout for a 2025 report: FORMAT-YEAR, cannot be summed
    "annotated": (True, False),  # the annotated copy of its faulty file, sent back unchanged
}


def summary_status(rec) -> str:
    """An agency's row of the summary (报送情况) in the dashboard's words."""
    if rec.included:
        return season.PASSED
    return {"未报送": season.NOT_SUBMITTED, "已退回": season.RETURNED}.get(rec.status, season.INVALID)


@functools.cache
def pool() -> tuple[Path, list[str], dict[tuple[int, str], bytes]]:
    """The roster and, for each agency, one file of every kind (made once per test run)."""
    d = Path(tempfile.mkdtemp(prefix="xxgk-season-"))
    roster = d / "roster.csv"
    codes = write_roster(roster, NAMES)
    files: dict[tuple[int, str], bytes] = {}
    for i, name in enumerate(NAMES):
        other = (i + 1) % len(NAMES)

        def wb(tag: str, agency: str, code: str, i: int = i, **kw) -> bytes:
            return make_workbook(d / f"{i}_{tag}.xlsx", agency, code, **kw).read_bytes()

        files[i, "valid1"] = wb("v1", name, codes[i], k=i * 100 + 1)
        files[i, "valid2"] = wb("v2", name, codes[i], k=i * 100 + 2)
        files[i, "invalid"] = wb("bad", name, codes[i], k=i * 100 + 3, valid=False)
        files[i, "wrongcode"] = wb("code", name, codes[other], k=i * 100 + 4)
        files[i, "other"] = wb("other", NAMES[other], codes[other], k=i * 100 + 5)
        files[i, "stranger"] = wb("stranger", "别区某局", "", k=i * 100 + 6)
        files[i, "junk"] = b"PK\x03\x04 not really a workbook " + bytes([i])
        files[i, "lastyear"] = wb("ly", name, codes[i], k=i * 100 + 7, year=YEAR - 1)
        files[i, "unrelated"] = wb("unrel", "某某科技有限公司", codes[i], k=i * 100 + 8)
        files[i, "variant"] = wb("var", "示例市" + name, codes[i], k=i * 100 + 9)
        files[i, "format2019"] = layout_2019(d / f"{i}_2019.xlsx", name, codes[i])
        files[i, "annotated"] = annotated(d / f"{i}_bad.xlsx", d / f"{i}_annotated")
    return roster, codes, files


def layout_2019(path: Path, name: str, code: str) -> bytes:
    """A workbook of the 2019 layout (xxgk template --format gov-2019) for a 2025 report."""
    from toolkit.model import Submission
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    cover = {"agency": name, "code": code, "parent": "示例市青川区", "year": YEAR, "contact": "张三"}
    return make_template(path, Submission(spec=load_spec("gov-2019"), cover=cover)).read_bytes()


def annotated(src: Path, out: Path) -> bytes:
    """The annotated copy (批注版) of a faulty workbook, as validate --annotate writes it."""
    from toolkit.outputs.annotate import annotate_copy
    from toolkit.validate import check_file

    copy = annotate_copy(src, check_file(src, year=YEAR).report, out)
    assert copy.name.endswith("_批注.xlsx")
    return copy.read_bytes()


def new_season(d: Path) -> tuple[WebStore, Keys]:
    from toolkit.roster import read_roster

    roster, _, _ = pool()
    keys = Keys.for_db(d / "xxgk.db")
    store = WebStore(d / "xxgk.db")
    store.web_register(YEAR, read_roster(roster).entries, keys.fresh_token)
    return store, keys


class Model:
    """The stated rule, written independently of toolkit.season."""

    def __init__(self) -> None:
        self.versions: list[list[tuple[str, bool]]] = [[] for _ in NAMES]  # (kind, valid), distinct
        # kind -> (uploads made before its 退回, the 退回's order)
        self.returned: list[dict[str, tuple[int, int]]] = [{} for _ in NAMES]
        self.explicit: list[str | None] = [None for _ in NAMES]
        self.latest: list[str | bool | None] = [False for _ in NAMES]  # False: no upload yet
        self.sent: list[dict[str, int]] = [{} for _ in NAMES]  # kind -> number of its newest upload
        self.names: list[dict[str, str]] = [{} for _ in NAMES]  # kind -> name of its newest upload
        self.uploads = 0  # uploads so far, all agencies
        self.returns = 0  # 退回s so far

    def upload(self, i: int, kind: str, name: str) -> None:
        filed, valid = KINDS[kind]
        self.uploads += 1
        if filed and kind not in [k for k, _ in self.versions[i]]:
            self.versions[i].append((kind, valid))
        if filed:
            self.sent[i][kind] = self.uploads
            self.names[i][kind] = name  # the same bytes under a new name: one version, its newest name
        self.latest[i] = kind if filed else None
        if filed and valid and kind not in self.returned[i]:
            self.explicit[i] = None  # the agency's own correction after a choice: back to the rule

    def send_back(self, i: int, kind: str) -> None:
        self.returns += 1
        self.returned[i][kind] = (self.uploads, self.returns)
        if self.explicit[i] == kind:
            self.explicit[i] = None

    def returnable(self, i: int) -> str | None:
        """The version a 退回 may be about: the one that stands (current, else the newest upload's),
        not sent back already; sending back another would un-count the one that stands."""
        cur = self.current(i)
        kind = cur[0] if cur is not None else self.latest[i] or None
        return kind if kind is not None and kind not in self.returned[i] else None

    def choose(self, i: int, kind: str) -> None:
        self.explicit[i] = kind
        self.returned[i].pop(kind, None)

    def current(self, i: int) -> tuple[str, bool] | None:
        vs = self.versions[i]
        if self.explicit[i] is not None and self.explicit[i] not in self.returned[i]:
            return next(v for v in vs if v[0] == self.explicit[i])
        # a 退回 asks for a new file: what was sent before it, chosen or not, stays out
        cut = max((n for n, _ in self.returned[i].values()), default=0)
        # by the newest upload of each (the same bytes again are filed anew: the newest)
        live = [v for v in self.filed(i) if self.sent[i][v[0]] > cut and v[0] not in self.returned[i]]
        valid = [v for v in live if v[1]]
        return valid[-1] if valid else (live[-1] if live else None)

    def filed(self, i: int) -> list[tuple[str, bool]]:
        """The agency's versions in the order of their newest upload (the version table's)."""
        return sorted(self.versions[i], key=lambda v: self.sent[i][v[0]])

    def status(self, i: int) -> str:
        if self.latest[i] is False:
            return season.NOT_SUBMITTED
        cur = self.current(i)
        if cur is not None:
            return season.PASSED if cur[1] else season.INVALID
        if self.returned[i] and self.latest[i] is not None:
            return season.RETURNED
        return season.INVALID

    def name(self, i: int) -> str | None:
        """The counted (or current) file's one name, in every view."""
        cur = self.current(i)
        return self.names[i][cur[0]] if cur is not None else None

    def sent_back(self, i: int) -> str | None:
        """The name of the file sent back last (the summary's row of an agency 已退回)."""
        back = max(self.returned[i], key=lambda k: self.returned[i][k], default=None)
        return self.names[i][back] if back is not None else None


OPS = hst.one_of(
    hst.tuples(hst.just("upload"), hst.integers(0, 2), hst.sampled_from(sorted(KINDS))),
    hst.tuples(hst.just("choose"), hst.integers(0, 2), hst.integers(0, 4)),
    hst.tuples(hst.just("rule"), hst.integers(0, 2), hst.just(0)),
    hst.tuples(hst.just("return"), hst.integers(0, 2), hst.integers(0, 4)),
)


def check_invariant(store: WebStore, model: Model) -> dict[str, str]:
    was = {}
    by_name = {wa.name: wa for wa in store.web_agencies(YEAR)}
    agency_ids = {wa.agency_id for wa in by_name.values()}
    assert len(agency_ids) == len(NAMES)  # one archive agency per link
    for i, name in enumerate(NAMES):
        wa = by_name[name]
        # (1) nothing of this link is filed anywhere else, the archive agency keeps its name
        for u in store.web_uploads(wa.id):
            if u.version_id is not None:
                assert store.version(u.version_id).agency_id == wa.agency_id
        assert {v.agency for v in store.versions(agency_id=wa.agency_id)} <= {name}
        row = store.db.execute("SELECT name FROM agencies WHERE id = ?", (wa.agency_id,)).fetchone()
        assert row[0] == name
        # (2) the status is the rule's
        st = season.state(store, wa)
        assert st.status == model.status(i), (name, st.status, model.__dict__)
        assert st.counted == (st.status == season.PASSED)
        # one name for a file: the version table's, the counted version's (dashboard, pages, summary)
        assert [v.file_name for v in st.versions] == [model.names[i][k] for k, _ in model.filed(i)]
        assert getattr(st.current, "file_name", None) == model.name(i)
        # the archive (archive list, trend, --archive) says the same, by name too
        cur = store.current(year=YEAR, agency_ids=[wa.agency_id])
        assert [(v.id, v.file_name) for v in cur] == ([(st.current.id, model.name(i))] if st.current else [])
        assert [v.file_name for v in store.versions(agency_id=wa.agency_id, year=YEAR) if v.current] == (
            [model.name(i)] if st.current else []
        )
        was[name] = st.status
    bulk = {
        s.agency.name: (s.status, s.current.id if s.current else None) for s in season.states(store, YEAR)
    }
    one = {
        n: (
            season.state(store, by_name[n]).status,
            getattr(season.state(store, by_name[n]).current, "id", None),
        )
        for n in NAMES
    }
    assert bulk == one  # the dashboard's few queries say what the agency's own page says
    return was


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(ops=hst.lists(OPS, min_size=1, max_size=9))
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "invalid")])
@example(ops=[("upload", 0, "annotated"), ("choose", 0, 0), ("upload", 0, "valid1")])
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("choose", 0, 0), ("upload", 0, "valid2")])
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("choose", 0, 0), ("upload", 0, "invalid")])
@example(ops=[("upload", 1, "valid1"), ("upload", 1, "valid2"), ("choose", 1, 0), ("return", 1, 0)])
@example(ops=[("upload", 2, "wrongcode"), ("upload", 2, "valid1"), ("return", 2, 1), ("upload", 2, "junk")])
@example(ops=[("upload", 0, "valid1"), ("return", 0, 0), ("upload", 0, "other"), ("choose", 0, 0)])
@example(
    ops=[("upload", 0, "valid1"), ("return", 0, 0), ("upload", 1, "annotated"), ("upload", 2, "format2019")]
)
@example(
    ops=[("upload", 0, "unrelated"), ("upload", 1, "variant"), ("upload", 2, "invalid"), ("return", 2, 0)]
)
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid1")])  # same bytes, two names: the newest
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("upload", 0, "valid1")])  # A, B, A: A
@example(ops=[("upload", 0, "invalid"), ("upload", 0, "unrelated"), ("upload", 0, "invalid")])
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("choose", 0, 0), ("return", 0, 0)])
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("return", 0, 0)])
@example(ops=[("upload", 0, "valid1"), ("upload", 0, "valid2"), ("return", 0, 1), ("upload", 0, "valid1")])
@example(ops=[("upload", 0, "valid1"), ("return", 0, 0), ("upload", 0, "valid1")])
def test_any_sequence_of_uploads_choices_and_returns_keeps_the_invariant(ops):
    _, _, files = pool()
    with tempfile.TemporaryDirectory(prefix="xxgk-season-") as d:
        store, _keys = new_season(Path(d))
        model = Model()
        with store:
            was: dict[str, str] = {}
            for step, (op, i, arg) in enumerate(ops):
                wa = store.web_agencies(YEAR)[i]
                versions = store.web_versions(wa)
                if op == "upload":  # each upload its own name, the same bytes too
                    season.receive(store, wa, files[i, arg], f"{arg}-{step}.xlsx", year=YEAR)
                    model.upload(i, arg, f"{arg}-{step}.xlsx")
                elif op in ("choose", "return") and versions:
                    v = versions[arg % len(versions)]
                    kind = model.versions[i][arg % len(versions)][0]
                    if op == "choose":
                        season.choose(store, wa, v.id)
                        model.choose(i, kind)
                    elif kind == model.returnable(i) or kind in model.returned[i]:
                        season.return_version(store, wa, v.id, "请补充第五部分")
                        model.send_back(i, kind)
                    else:  # not the version that stands: refused, nothing changes
                        with pytest.raises(season.NotReturnable):
                            season.return_version(store, wa, v.id, "请补充第五部分")
                elif op == "rule" and versions:
                    season.choose(store, wa, None)
                    model.explicit[i] = None
                was = check_invariant(store, model)
            # (3) the summary counts exactly the agencies that passed, under their roster names,
            # and says of every agency what the dashboard says (通过 / 有错误 / 已退回 / 未报送)
            summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
            assert season.counted_names(summary) == {n for n, s in was.items() if s == season.PASSED}
            rows = {r.roster_name: r for r in summary.records if r.roster_name}
            assert set(rows) == set(NAMES)  # one row per roster agency, none under a cover's name
            assert len(summary.records) == len(NAMES) and not summary.skipped
            assert {n: summary_status(r) for n, r in rows.items()} == was
            for k, (name, status) in enumerate(was.items()):
                if status == season.NOT_SUBMITTED:
                    assert rows[name].file is None
                else:
                    assert rows[name].file is not None
                if model.name(k) is not None:  # the summary names the counted file as the pages do
                    assert rows[name].file == f"{name}：{model.name(k)}"
                if status == season.RETURNED:  # and of an agency sent back, the file sent back
                    assert rows[name].file == f"{name}：{model.sent_back(k)}"
                if status == season.RETURNED:  # its file's own errors, none for being sent back
                    assert rows[name].errors == sum(
                        1 for f in rows[name].report.findings if f.severity == "error"
                    )
                    assert not any(
                        f.code == "RETURNED" and f.severity == "error" for f in rows[name].report.findings
                    )
            counts = summary.status_counts()
            assert counts["计入汇总"] == list(was.values()).count(season.PASSED)
            assert counts["有错误"] == list(was.values()).count(season.INVALID)
            assert counts.get("已退回", 0) == list(was.values()).count(season.RETURNED)
            assert counts["未报送"] == list(was.values()).count(season.NOT_SUBMITTED)
            assert summary.complete == all(s == season.PASSED for s in was.values())


def test_another_agencys_report_through_a_link_displaces_nothing(tmp_path):
    """The issue's scenario: 财政局 uploads its valid report; the 司法局 link then uploads a workbook
    carrying 财政局's code and name. 财政局 stays 通过 with its own version, 司法局 is 有错误 with
    DUPLICATE-SUBMISSION, the summary counts 财政局 once and 司法局 not at all."""
    _, codes, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        cz, sf, _mz = store.web_agencies(YEAR)
        season.receive(store, cz, files[0, "valid1"], "财政局.xlsx", year=YEAR)
        uid = season.receive(store, sf, files[0, "valid1"], "财政局.xlsx", year=YEAR)  # same bytes
        season.receive(store, sf, files[2, "other"], "又一个.xlsx", year=YEAR)  # 财政局's name and code
        up = store.web_upload(uid)
        assert up.version_id is None and [f["code"] for f in up.findings] == ["DUPLICATE-SUBMISSION"]
        assert "青川区财政局" in up.findings[0]["message"] and "青川区司法局" in up.findings[0]["message"]
        a, b = season.state(store, cz), season.state(store, sf)
        assert (a.status, b.status) == (season.PASSED, season.INVALID)
        assert [v.file_name for v in a.versions] == ["财政局.xlsx"] and b.versions == []
        assert (
            store.db.execute("SELECT name FROM agencies WHERE id = ?", (cz.agency_id,)).fetchone()[0]
            == cz.name
        )
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        assert season.counted_names(summary) == {"青川区财政局"}
        assert codes[0] == cz.code


def test_a_corrected_code_is_one_more_version_of_the_same_agency(tmp_path):
    """An agency whose first upload carries a wrong credit code (another agency's) is 有错误 with
    COVER-MISMATCH naming both codes; the corrected upload is a second version of the same archive
    agency and counts: never two agencies, never stuck."""
    _, codes, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        uid = season.receive(store, wa, files[0, "wrongcode"], "第一次.xlsx", year=YEAR)
        f = [x for x in store.web_upload(uid).findings if x["code"] == "COVER-MISMATCH"]
        assert f and codes[1] in f[0]["message"] and codes[0] in f[0]["message"]
        assert "青川区司法局" in f[0]["message"]  # whose code it is
        assert season.state(store, wa).status == season.INVALID
        season.receive(store, wa, files[0, "valid1"], "改正后.xlsx", year=YEAR)
        st = season.state(store, wa)
        assert st.status == season.PASSED and [v.file_name for v in st.versions] == [
            "第一次.xlsx",
            "改正后.xlsx",
        ]
        assert {v.agency_id for v in st.versions} == {wa.agency_id}
        assert store.stats()["agencies"] == len(NAMES)  # no agency made by the wrong code
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        assert season.counted_names(summary) == {NAMES[0]}


def test_returned_version_and_notes(tmp_path):
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        season.receive(store, wa, files[0, "valid1"], "v1.xlsx", year=YEAR)
        v = season.state(store, wa).current
        season.return_version(store, wa, v.id, "第五部分  收费情况\n未填写")
        st = season.state(store, wa)
        assert st.status == season.RETURNED and st.returned[v.id][0] == "第五部分 收费情况 未填写"
        assert [e.action for e in season.agency_events(store, wa)] == ["return"]
        season.receive(store, wa, files[0, "valid2"], "v2.xlsx", year=YEAR)
        assert season.state(store, wa).status == season.PASSED
        log = store.web_events(YEAR)
        assert [e.action for e in log] == ["return"] and log[0].actor == season.COORDINATOR


def test_parallel_uploads_never_pass_the_limit(tmp_path):
    """Eight threads, each with its own connection, upload at once against a limit of 3."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    store.close()
    results: list[str] = []
    barrier = threading.Barrier(8)

    def one(k: int) -> None:
        with WebStore(tmp_path / "xxgk.db", create=False) as st:
            st.db.execute("PRAGMA busy_timeout = 60000")
            wa = st.web_agencies(YEAR)[0]
            data = files[0, "valid1"] + bytes([k])  # different bytes, same report
            barrier.wait()
            try:
                season.receive(st, wa, data, f"{k}.xlsx", year=YEAR, max_uploads=3)
                results.append("ok")
            except season.LimitReached:
                results.append("limit")

    threads = [threading.Thread(target=one, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["limit"] * 5 + ["ok"] * 3
    with WebStore(tmp_path / "xxgk.db", create=False) as st:
        assert st.web_upload_count(st.web_agencies(YEAR)[0].id) == 3


def test_a_copy_of_the_database_holds_no_link_and_no_secret(tmp_path):
    """Links are derived from the key file's secret; the archive keeps only their hashes."""
    store, keys = new_season(tmp_path)
    with store:
        tokens = [season.link_of(keys, wa) for wa in store.web_agencies(YEAR)]
        store.set_setting("password", "scrypt$1$1$1$00$00")
    data = (tmp_path / "xxgk.db").read_bytes()
    for wal in tmp_path.glob("xxgk.db-*"):
        data += wal.read_bytes()
    assert all(t and t.encode() not in data for t in tokens)
    assert keys.secret.encode() not in data
    with WebStore(tmp_path / "xxgk.db", create=False) as st:
        assert st.web_agency(token=tokens[0]).name == NAMES[0]
        wa = st.web_agencies(YEAR)[1]
        new = season.regenerate_link(st, keys, wa)
        assert st.web_agency(token=tokens[1]) is None and st.web_agency(token=new).id == wa.id
        season.revoke_link(st, st.web_agency(id=wa.id))
        assert st.web_agency(token=new) is None
        assert [e.action for e in st.web_events(YEAR)] == ["revoke", "regenerate"]


def test_an_old_archive_is_upgraded_and_its_links_keep_working(tmp_path):
    """An archive of the first serve kept the session secret and clear tokens in the database:
    they move to the key file, the links still open."""
    import sqlite3

    from toolkit.store import Store

    db = tmp_path / "old.db"
    Store(db).close()  # the archive's own tables, then the first serve's web tables
    con = sqlite3.connect(db)
    con.executescript(
        """CREATE TABLE web_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO web_settings VALUES ('secret_key', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
        CREATE TABLE web_agencies (id INTEGER PRIMARY KEY, year INTEGER NOT NULL, token TEXT NOT NULL UNIQUE,
          name TEXT NOT NULL, norm_name TEXT NOT NULL, code TEXT NOT NULL DEFAULT '',
          parent TEXT NOT NULL DEFAULT '', type TEXT NOT NULL DEFAULT '', line INTEGER NOT NULL DEFAULT 0,
          created_at TEXT NOT NULL, UNIQUE (year, norm_name, code));
        INSERT INTO web_agencies (year, token, name, norm_name, created_at)
          VALUES (2025, 'OLDtokenOLDtokenOLDtokenOLDtoken', '青川区旧局', '青川区旧局', '');"""
    )
    con.close()
    with WebStore(db) as st:
        keys = Keys.for_db(db)
        season.prepare_keys(st, keys)
        wa = st.web_agency(token="OLDtokenOLDtokenOLDtokenOLDtoken")
        assert wa is not None and season.link_of(keys, wa) == "OLDtokenOLDtokenOLDtokenOLDtoken"
        assert st.setting("secret_key") is None
    assert b"OLDtokenOLDtoken" not in db.read_bytes() or pytest.fail("clear token left in the archive")
    assert Keys.for_db(db).legacy == {str(wa.id): "OLDtokenOLDtokenOLDtokenOLDtoken"}


def test_reminder_text_before_and_after_the_deadline(tmp_path):
    import datetime as dt

    store, _ = new_season(tmp_path)
    with store:
        st = season.state(store, store.web_agencies(YEAR)[0])
    day = dt.date(2026, 1, 20)
    before = season.reminder_text(YEAR, st, day, "http://x/a/t", today=dt.date(2026, 1, 10))
    after = season.reminder_text(YEAR, st, day, "http://x/a/t", today=dt.date(2026, 1, 21))
    assert before == (
        "青川区财政局：贵单位尚未报送2025年度政府信息公开工作年度报告填报表。请于2026年1月20日前"
        "通过以下链接完成报送：http://x/a/t"
    )
    assert "报送截止日期（2026年1月20日）已过，请尽快" in after
    # a withdrawn link (None): the message says so and whom to ask, never a bare "请尽快完成报送"
    gone = season.reminder_text(YEAR, st, None, None)
    assert gone.endswith("贵单位的报送链接已停用，请联系协调人获取新的报送链接，尽快完成报送。"), gone
    gone = season.reminder_text(YEAR, st, day, None, today=dt.date(2026, 1, 21))
    assert "报送截止日期（2026年1月20日）已过。贵单位的报送链接已停用" in gone


def test_a_copy_of_the_database_grants_no_session(tmp_path):
    """A coordinator's session cookie from the real server is worthless against a copy of the
    archive (its key file stays behind): the copy signs with another key."""
    import shutil

    from tests.serve_process import csrf_of
    from toolkit.regions import ensure_root_account
    from toolkit.web.app import create_app
    from toolkit.web.security import hash_password

    store, _ = new_season(tmp_path)
    with store:
        ensure_root_account(store, hash_password("正确的密码-12345"))
    app = create_app(tmp_path / "xxgk.db", year=YEAR)
    c = app.test_client()
    c.post(
        "/login",
        data={"csrf": csrf_of(c.get("/login").get_data(as_text=True)), "password": "正确的密码-12345"},
    )
    assert c.get("/coord").status_code == 200
    cookie = c.get_cookie("xxgk_session").value
    copy = tmp_path / "copy"
    copy.mkdir()
    with WebStore(tmp_path / "xxgk.db", create=False) as st:  # everything in the main file
        st.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(tmp_path / "xxgk.db", copy / "xxgk.db")
    thief = create_app(copy / "xxgk.db", year=YEAR).test_client()
    thief.set_cookie("xxgk_session", cookie)
    assert thief.get("/coord").status_code == 403
    # the copy is complete (its password still opens it): only the session is refused
    login = thief.get("/login").get_data(as_text=True)
    thief.post("/login", data={"csrf": csrf_of(login), "password": "正确的密码-12345"})
    assert thief.get("/coord").status_code == 200


def test_a_corrected_roster_keeps_the_agencys_link(tmp_path):
    """The coordinator fixes a code in the roster and registers it again: the same link, the same
    archive agency, the new code — never a second row for the same agency."""
    from toolkit.roster import RosterEntry

    store, keys = new_season(tmp_path)
    with store:
        before = {a.name: a for a in store.web_agencies(YEAR)}
        wa = before[NAMES[0]]
        fixed = RosterEntry(wa.name, "11110999MB0009999X", wa.parent, wa.type, wa.line)
        assert store.web_register(YEAR, [fixed], keys.fresh_token) == 0
        after = {a.name: a for a in store.web_agencies(YEAR)}
        assert len(after) == len(before) and after[wa.name].id == wa.id
        assert after[wa.name].code == "11110999MB0009999X" and after[wa.name].agency_id == wa.agency_id
        assert store.web_agency(token=season.link_of(keys, wa)).id == wa.id


def test_a_broken_code_in_the_roster_does_not_trap_the_agency(tmp_path):
    """The roster's code fails its check digit: the agency's template leaves the code empty, and
    a cover with the agency's real code passes (a 提示 asks the coordinator to fix the roster)."""
    from toolkit.roster import RosterEntry

    _, codes, files = pool()
    keys = Keys.for_db(tmp_path / "xxgk.db")
    with WebStore(tmp_path / "xxgk.db") as st:
        broken = codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1")
        st.web_register(YEAR, [RosterEntry(NAMES[0], broken, "示例市青川区", "", 2)], keys.fresh_token)
        wa = st.web_agencies(YEAR)[0]
        uid = season.receive(st, wa, files[0, "valid1"], "v.xlsx", year=YEAR)
        found = st.web_upload(uid).findings
        assert season.state(st, wa).status == season.PASSED
        assert [(f["code"], f["severity"]) for f in found if f["code"] == "COVER-MISMATCH"] == [
            ("COVER-MISMATCH", "warning")
        ]
        assert "名单中本单位的统一社会信用代码" in next(
            f["message"] for f in found if f["code"] == "COVER-MISMATCH"
        )


def test_the_reason_for_a_return_stays_in_the_reminder(tmp_path):
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        season.receive(store, wa, files[0, "valid1"], "v1.xlsx", year=YEAR)
        season.receive(store, wa, files[0, "invalid"], "v2.xlsx", year=YEAR)
        first = season.state(store, wa).versions[0]
        season.return_version(store, wa, first.id, "请补充第五部分")
        st = season.state(store, wa)
        assert st.status == season.RETURNED  # the file sent before the 退回 does not come back
        assert "请补充第五部分" in season.reminder_text(YEAR, st, None, None)
        season.receive(store, wa, files[0, "annotated"], "v3.xlsx", year=YEAR)
        st = season.state(store, wa)
        assert st.status == season.INVALID  # its newest file, sent after the one sent back, has errors
        assert "请补充第五部分" in season.reminder_text(YEAR, st, None, None)


# -- who counts: the dashboard, the summary and the command line agree ---------------------------
def _statuses(store: WebStore) -> dict[str, str]:
    return {s.agency.name: s.status for s in season.states(store, YEAR)}


def _summary_statuses(store: WebStore) -> dict[str, str]:
    summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
    return {r.roster_name: summary_status(r) for r in summary.records}


def test_a_new_roster_on_restart_is_the_seasons_roster(tmp_path):
    """The trial's roster change: 民政局 leaves the roster, 审计局 comes in on 民政局's row. The
    dashboard and the summary list exactly the new roster (民政局 out, 审计局 未报送, the summary
    incomplete); 民政局's link stops working and its upload is kept; the old roster again brings
    it back with its upload. No two of the summary's inputs share a roster row."""
    from toolkit import regions
    from toolkit.roster import RosterEntry, read_roster

    roster, codes, files = pool()
    keys = Keys.for_db(tmp_path / "xxgk.db")
    entries = read_roster(roster).entries
    with WebStore(tmp_path / "xxgk.db") as store:
        assert regions.register(store, YEAR, entries, keys.fresh_token).new == 3
        cz, sf, mz = store.web_agencies(YEAR)
        for i, wa in enumerate((cz, sf, mz)):
            season.receive(store, wa, files[i, "valid1"], f"{i}.xlsx", year=YEAR)
        audit = RosterEntry("青川区审计局", "11110999MB0000020R", "示例市青川区", "", mz.line)
        reg = regions.register(store, YEAR, [*entries[:2], audit], keys.fresh_token)
        assert (reg.new, [a.name for a in reg.removed], reg.findings) == (1, [mz.name], [])
        want = {cz.name: season.PASSED, sf.name: season.PASSED, audit.name: season.NOT_SUBMITTED}
        assert _statuses(store) == want
        assert _summary_statuses(store) == want
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        assert not summary.complete and summary.status_counts()["未报送"] == 1
        inputs = season.summary_inputs(store, YEAR)
        assert len({st.agency.line for st, _, _ in inputs}) == len(inputs) == 3
        assert store.web_agency(token=season.link_of(keys, mz)) is None  # off the roster: no link
        assert store.web_uploads(mz.id) and store.versions(agency_id=mz.agency_id)  # kept
        # the agencies on the roster: only they are found as "another roster agency" by a cover
        assert {a.name for a in store.web_agencies_like(YEAR, mz.name, codes[2])} == set()
        reg = regions.register(store, YEAR, entries, keys.fresh_token)
        assert reg.new == 0 and [a.name for a in reg.removed] == [audit.name]
        assert _statuses(store) == _summary_statuses(store) == dict.fromkeys(NAMES, season.PASSED)
        assert store.web_agency(token=season.link_of(keys, mz)).id == mz.id


def test_an_agency_renamed_with_its_code_kept_is_the_same_agency(tmp_path):
    """青川区民政局 becomes 青川区民政和社会事务局 with the same code: a roster finding says so, the
    link, the archive agency and the upload stay, and it counts under its new name; never a second
    entry sharing the code."""
    from toolkit import regions
    from toolkit.roster import RosterEntry, read_roster

    roster, codes, files = pool()
    keys = Keys.for_db(tmp_path / "xxgk.db")
    entries = read_roster(roster).entries
    with WebStore(tmp_path / "xxgk.db") as store:
        regions.register(store, YEAR, entries, keys.fresh_token)
        mz = store.web_agencies(YEAR)[2]
        season.receive(store, mz, files[2, "valid1"], "民政.xlsx", year=YEAR)
        renamed = RosterEntry("青川区民政和社会事务局", codes[2], "示例市青川区", "", entries[2].line)
        reg = regions.register(store, YEAR, [*entries[:2], renamed], keys.fresh_token)
        assert reg.new == 0 and reg.removed == []
        (f,) = reg.findings
        assert (f.code, f.severity) == ("DUPLICATE-SUBMISSION", "warning")
        assert all(w in f.message for w in ("青川区民政局", "青川区民政和社会事务局", codes[2], "更名"))
        agencies = store.web_agencies(YEAR, removed=True)
        assert len(agencies) == 3 and len({a.code for a in agencies}) == 3
        now = store.web_agency(id=mz.id)
        assert (now.name, now.agency_id) == (renamed.name, mz.agency_id)
        assert store.web_agency(token=season.link_of(keys, mz)).id == mz.id
        assert _statuses(store)[renamed.name] == season.PASSED
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        assert season.counted_names(summary) == {renamed.name}


def test_an_agency_renamed_in_the_roster_is_found_and_named_so_in_the_archive(tmp_path):
    """After the roster renames an agency (its code kept), ``xxgk archive list --agency`` finds it
    by its new name and lists its counted upload under that name, as serve's pages name it (it
    said 档案库中没有与“…”匹配的单位 and listed the old name)."""
    from tests.conftest import run_cli
    from toolkit import regions
    from toolkit.roster import RosterEntry, read_roster

    roster, codes, files = pool()
    db = tmp_path / "xxgk.db"
    keys = Keys.for_db(db)
    entries = read_roster(roster).entries
    with WebStore(db) as store:
        regions.register(store, YEAR, entries, keys.fresh_token)
        mz = store.web_agencies(YEAR)[2]
        season.receive(store, mz, files[2, "valid1"], "民政.xlsx", year=YEAR)
        renamed = RosterEntry("青川区民政和社会事务局", codes[2], "示例市青川区", "", entries[2].line)
        regions.register(store, YEAR, [*entries[:2], renamed], keys.fresh_token)
        assert [a.id for a in store.agencies(query="民政和社会事务局")] == [mz.agency_id]
    listed = run_cli("archive", "list", "--db", db, "--agency", "民政和社会事务局")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    assert " 当前 青川区民政和社会事务局 2025 " in line and "民政.xlsx" in line, line


def test_archive_list_says_why_a_season_agency_has_no_current_version_as_serve_does(tmp_path):
    """``xxgk archive list`` on a season agency whose upload was returned says 已退回 as serve
    does (it said 当前版本以网页上协调人的处理为准, as if the coordinator had yet to choose)."""
    from tests.conftest import run_cli

    _roster, _codes, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        cz, sf, _mz = store.web_agencies(YEAR)
        uid = season.receive(store, cz, files[0, "valid1"], "财政.xlsx", year=YEAR)
        season.return_version(store, cz, store.web_upload(uid).version_id, "请核对")
        season.receive(store, sf, files[1, "invalid"], "司法.xlsx", year=YEAR)
        assert _statuses(store) == {NAMES[0]: "已退回", NAMES[1]: "有错误", NAMES[2]: "未报送"}
    listed = run_cli("archive", "list", "--db", tmp_path / "xxgk.db", "--year", YEAR)
    assert listed.returncode == 0, listed.stderr
    lines = {n: ln for ln in listed.stdout.splitlines() for n in NAMES[:2] if n in ln}
    assert "网页上为“已退回”" in lines[NAMES[0]] and "有错误" not in lines[NAMES[0]], listed.stdout
    assert "请确认以哪个为准" not in lines[NAMES[0]], (
        listed.stdout
    )  # nothing to choose: it waits for an upload
    # an agency with only a faulty upload: that version is its current one, listed with its errors
    assert " 当前 " in lines[NAMES[1]] and "1 个错误" in lines[NAMES[1]], listed.stdout


def test_a_new_roster_at_start_is_in_the_log_with_what_it_changed(tmp_path):
    """What a new roster changed about who is counted is in the 操作记录 beside the coordinators'
    actions: an agency renamed (code kept), one removed, one added, and an upload filed because
    the new roster makes it its link's report (its status 有错误 → 通过). Nothing was logged: the
    start's console was the only place that said why the agency now counts."""
    from toolkit import regions
    from toolkit.roster import RosterEntry, read_roster

    roster, codes, _files = pool()
    d = tmp_path / "wb"
    d.mkdir()
    keys = Keys.for_db(tmp_path / "xxgk.db")
    entries = read_roster(roster).entries
    with WebStore(tmp_path / "xxgk.db") as store:
        regions.register(store, YEAR, entries, keys.fresh_token)
        assert store.web_events(YEAR) == []  # the first roster: nothing changed
        _cz, sf, mz = store.web_agencies(YEAR)
        # 民政局's clerk sends a report under the name the roster is about to give it
        season.receive(
            store,
            mz,
            make_workbook(d / "m.xlsx", "青川区社会事务局", "").read_bytes(),
            "民政.xlsx",
            year=YEAR,
        )
        assert _statuses(store)[NAMES[2]] == season.INVALID
        renamed = RosterEntry("青川区社会事务局", codes[2], "示例市青川区", "", entries[2].line)
        added = RosterEntry("青川区审计局", "", "示例市青川区", "", 9)
        regions.register(store, YEAR, [entries[0], renamed, added], keys.fresh_token)
        assert season.refile(store, YEAR) == [("青川区社会事务局", "民政.xlsx")]
        assert _statuses(store)["青川区社会事务局"] == season.PASSED
        logged = {(e.action, e.web_agency_id): (e.actor, e.note) for e in store.web_events(YEAR)}
        audit = next(a for a in store.web_agencies(YEAR) if a.name == "青川区审计局")
        assert set(logged) == {
            ("rename", mz.id),
            ("roster-remove", sf.id),
            ("roster-add", audit.id),
            ("refile", mz.id),
        }, logged
        assert all(actor == season.ROSTER_ACTOR for actor, _n in logged.values())
        assert NAMES[2] in logged["rename", mz.id][1] and NAMES[1] in logged["roster-remove", sf.id][1]
        assert "民政.xlsx" in logged["refile", mz.id][1]
        regions.register(store, YEAR, [entries[0], renamed, added], keys.fresh_token)
        assert len(store.web_events(YEAR)) == 4  # the same roster again: nothing more


def test_a_cover_naming_an_unrelated_body_with_the_agencys_code_is_an_error(tmp_path):
    """The guide's FAQ 3: a cover that is not this agency's is an error and not counted, its code
    notwithstanding (the trial's 某某科技有限公司, and markup before the name); a variant of its own
    name (a place prefix more or less) stays a 提示 and counts. ``xxgk merge`` says the same."""
    from tests.conftest import run_cli

    roster, codes, files = pool()
    store, _ = new_season(tmp_path)
    d = tmp_path / "wb"
    d.mkdir()
    xss = make_workbook(d / "xss.xlsx", "<script>alert(1)</script>" + NAMES[1], codes[1]).read_bytes()
    with store:
        cz, sf, mz = store.web_agencies(YEAR)
        uid = season.receive(store, cz, files[0, "unrelated"], "u.xlsx", year=YEAR)
        (f,) = [x for x in store.web_upload(uid).findings if x["code"] == "COVER-MISMATCH"]
        assert f["severity"] == "error" and "某某科技有限公司" in f["message"] and NAMES[0] in f["message"]
        season.receive(store, sf, xss, "x.xlsx", year=YEAR)
        season.receive(store, mz, files[2, "variant"], "v.xlsx", year=YEAR)
        want = {NAMES[0]: season.INVALID, NAMES[1]: season.INVALID, NAMES[2]: season.PASSED}
        assert _statuses(store) == _summary_statuses(store) == want
    # the command line on the same files and roster
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "u.xlsx").write_bytes(files[0, "unrelated"])
    (folder / "x.xlsx").write_bytes(xss)
    (folder / "v.xlsx").write_bytes(files[2, "variant"])
    r = run_cli(
        "merge", folder, "--roster", roster, "--year", YEAR, "--format", "json", "-o", tmp_path / "s.xlsx"
    )
    assert r.returncode == 1, r.stderr
    import json

    doc = json.loads(r.stdout)
    got = {a["name"]: (a["status"], a["included"]) for a in doc["agencies"]}
    assert got == {NAMES[0]: ("有错误", False), NAMES[1]: ("有错误", False), NAMES[2]: ("已报送", True)}
    bad = {Path(f["file"]).name: f["severity"] for f in doc["findings"] if f["code"] == "COVER-MISMATCH"}
    assert bad == {"u.xlsx": "error", "x.xlsx": "error", "v.xlsx": "warning"}  # the variant's 提示 too


def test_a_cover_naming_another_roster_agency_by_a_variant_without_a_code(tmp_path):
    """README: a cover naming another roster agency is DUPLICATE-SUBMISSION (filed nowhere) — also
    when it writes that agency's name with a place prefix and gives no code."""
    store, _ = new_season(tmp_path)
    d = tmp_path / "wb"
    d.mkdir()
    data = make_workbook(d / "p.xlsx", "示例市" + NAMES[1], "").read_bytes()
    with store:
        cz = store.web_agencies(YEAR)[0]
        uid = season.receive(store, cz, data, "p.xlsx", year=YEAR)
        up = store.web_upload(uid)
        assert up.version_id is None
        assert [x["code"] for x in up.findings if x["severity"] == "error"] == ["DUPLICATE-SUBMISSION"]
        assert NAMES[1] in up.findings[-1]["message"]


def test_a_2019_layout_for_2025_is_an_error_everywhere(tmp_path):
    """The trial's 公安分局: the 2019 layout with a 2025 cover is 有错误 on its page, on the
    dashboard, in 催报 and in the summary; what the agency reads names no command or option."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        uid = season.receive(store, wa, files[0, "format2019"], "公安.xlsx", year=YEAR)
        up = store.web_upload(uid)
        assert up.status == season.INVALID
        (f,) = [x for x in up.findings if x["code"] == "FORMAT-YEAR"]
        assert f["severity"] == "error" and "2025 年度的填报表" in f["message"]
        assert not any(w in x["message"] for x in up.findings for w in ("xxgk", "--", "gov-20"))
        st = season.state(store, wa)
        assert st.status == season.INVALID and not st.counted
        assert "校验有错误" in season.reminder_text(YEAR, st, None, None)
        assert _summary_statuses(store)[wa.name] == season.INVALID


def test_the_annotated_copy_sent_back_unchanged_is_what_the_dashboard_says(tmp_path):
    """The trial's 河西镇: the 批注版 uploaded back unchanged is 有错误 (its errors) on the dashboard,
    and the same in the summary: its file, 有错误 — not 未报送 with the file 跳过."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[1]
        season.receive(store, wa, files[1, "annotated"], "河西镇_批注.xlsx", year=YEAR)
        assert _statuses(store)[wa.name] == season.INVALID
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        (rec,) = [r for r in summary.records if r.roster_name == wa.name]
        assert (rec.status, rec.file, rec.errors > 0) == ("有错误", f"{wa.name}：河西镇_批注.xlsx", True)
        assert not summary.skipped and "--include-invalid" not in rec.note
        assert not any(f.expected == wa.name for f in summary.findings if f.code == "MISSING-SUBMISSION")


def test_a_returned_version_is_returned_in_the_summary(tmp_path):
    """The trial's 发改委: its passing version sent back. Dashboard 通过 2 / 已退回 1; the summary
    the same words and counts: 已退回, no error of its own, the summary incomplete."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        was = store.web_agencies(YEAR)
        for i, wa in enumerate(was):
            season.receive(store, wa, files[i, "valid1"], f"{i}.xlsx", year=YEAR)
        season.return_version(store, was[0], season.state(store, was[0]).current.id, "请补充说明")
        assert _statuses(store) == {
            NAMES[0]: season.RETURNED,
            NAMES[1]: season.PASSED,
            NAMES[2]: season.PASSED,
        }
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        (rec,) = [r for r in summary.records if r.roster_name == NAMES[0]]
        assert (rec.status, rec.errors, rec.included) == ("已退回", 0, False)
        c = summary.status_counts()
        assert (c["计入汇总"], c["有错误"], c["已退回"]) == (2, 0, 1)
        assert "已退回 1" in summary.status_line() and not summary.complete


@pytest.mark.parametrize(
    ("cover", "roster", "variant"),
    [
        ("青川区教育委员会", "青川区教育委员会", True),
        (" 青川区 教育委员会 ", "青川区教育委员会", True),  # spaces, as norm_name reads names
        ("示例市青川区教育委员会", "青川区教育委员会", True),  # a place prefix more
        ("教育委员会", "青川区教育委员会", True),  # a place prefix less
        ("青川区人民政府办公室（青川区外事办公室）", "青川区人民政府办公室", True),  # its other name
        ("青川区发改委", "青川区发展和改革委员会", True),  # an abbreviation, either way round
        ("青川区发展和改革委员会", "青川区发改委", True),
        ("民政局", "示例市民政局", True),
        ("青川区民政局", "示例市民政局", False),  # two bodies that share a tail
        ("某某科技有限公司", "青川区教育委员会", False),  # the trial's unrelated body
        ("<script>alert(1)</script>青川区教育委员会", "青川区教育委员会", False),  # markup
        ("某某科技有限公司（青川区教育委员会）", "青川区教育委员会", False),
        ("青川区财政局", "青川区司法局", False),
        ("示例市民政局", "青川区民政局", False),  # the city's bureau is not the district's
        ("", "青川区民政局", False),
    ],
)
def test_what_a_variant_of_a_name_is(cover, roster, variant):
    from toolkit.roster import name_variant

    assert name_variant(cover, roster) is variant


# -- one verdict against the roster of now (trial 2: N1, N2, N4) ----------------------------------
def _merge_cli(tmp_path: Path, files: dict[str, bytes], roster: Path) -> dict[str, tuple[str, bool]]:
    import json

    from tests.conftest import run_cli

    folder = tmp_path / f"in{len(list(tmp_path.glob('in*')))}"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    r = run_cli(
        "merge",
        folder,
        "--roster",
        roster,
        "--year",
        YEAR,
        "--format",
        "json",
        "-o",
        tmp_path / f"{folder.name}.xlsx",
    )
    assert r.returncode in (0, 1), r.stderr
    return {a["name"]: (a["status"], a["included"]) for a in json.loads(r.stdout)["agencies"]}


def test_a_corrected_code_or_a_rename_in_the_roster_judges_the_uploads_again(tmp_path):
    """Trial 2, N2: the roster had 财政局's code wrong, its upload (with the right code) was a
    COVER-MISMATCH error; the corrected roster makes it pass at once — status, the upload's
    findings, 催报 and the summary, as ``xxgk merge --roster`` says on the same file — with no
    new upload. Then a rename the cover does not follow makes the same file an error everywhere."""
    from toolkit import regions
    from toolkit.roster import RosterEntry, read_roster

    roster, codes, files = pool()
    other_code = write_roster(tmp_path / "other.csv", [f"某县某局{i}" for i in range(6)])[5]
    assert other_code not in codes
    entries = read_roster(roster).entries
    wrong = [RosterEntry(NAMES[0], other_code, entries[0].parent, "", entries[0].line), *entries[1:]]
    keys = Keys.for_db(tmp_path / "xxgk.db")
    with WebStore(tmp_path / "xxgk.db") as store:
        regions.register(store, YEAR, wrong, keys.fresh_token)
        cz = store.web_agencies(YEAR)[0]
        uid = season.receive(store, cz, files[0, "valid1"], "财政.xlsx", year=YEAR)
        st = season.state(store, cz)
        assert st.status == season.INVALID
        assert "COVER-MISMATCH" in [d["code"] for d in st.judged(store.web_upload(uid)).findings]
        assert _statuses(store)[NAMES[0]] == _summary_statuses(store)[NAMES[0]] == season.INVALID

        before = {x.agency.id: x.status for x in season.states(store, YEAR)}
        regions.register(store, YEAR, entries, keys.fresh_token)  # the code corrected
        assert season.settle_all(store, YEAR, before) == [(NAMES[0], season.INVALID, season.PASSED)]
        cz = store.web_agency(id=cz.id)
        st = season.state(store, cz)
        assert st.status == season.PASSED and st.uploads == 1  # no new upload needed
        up = st.judged(store.web_upload(uid))
        assert up.status == season.PASSED and "COVER-MISMATCH" not in [d["code"] for d in up.findings]
        assert st.latest.status == season.PASSED and not st.superseded
        assert _statuses(store)[NAMES[0]] == _summary_statuses(store)[NAMES[0]] == season.PASSED
        assert season.state(store, cz).current.id == store.web_upload(uid).version_id
        # the archive (archive list, trend) says the same after the start's settle_all
        assert [v.id for v in store.current(year=YEAR, agency_ids=[cz.agency_id])] == [
            store.web_upload(uid).version_id
        ]
        assert NAMES[0] in season.counted_names(season.summarize(store, YEAR, spec=spec_for_year(YEAR)))
    assert _merge_cli(tmp_path, {"财政.xlsx": files[0, "valid1"]}, roster)[NAMES[0]] == ("已报送", True)

    # renamed, same code; the cover still carries the old name, which is no variant of the new one
    new_name = "青川区国库支付中心"
    from toolkit.roster import name_variant

    assert not name_variant(NAMES[0], new_name)
    renamed = [RosterEntry(new_name, codes[0], entries[0].parent, "", entries[0].line), *entries[1:]]
    with WebStore(tmp_path / "xxgk.db") as store:
        regions.register(store, YEAR, renamed, keys.fresh_token)
        cz = store.web_agency(id=cz.id)
        assert cz.name == new_name
        st = season.state(store, cz)
        assert st.status == season.INVALID
        (f,) = [d for d in st.judged(store.web_upload(uid)).findings if d["code"] == "COVER-MISMATCH"]
        assert f["severity"] == "error" and new_name in f["message"]
        assert _statuses(store)[new_name] == _summary_statuses(store)[new_name] == season.INVALID
        assert "校验有错误" in season.reminder_text(YEAR, st, None, "http://x/a/t")
    new_roster = tmp_path / "renamed.csv"
    text = roster.read_text(encoding="utf-8-sig").replace(NAMES[0], new_name)
    new_roster.write_text(text, encoding="utf-8")
    assert _merge_cli(tmp_path, {"财政.xlsx": files[0, "valid1"]}, new_roster)[new_name][1] is False


def test_archive_add_and_choose_by_hand_leave_the_season_as_it_is(tmp_path):
    """Trial 2, N1: ``xxgk archive add`` (a real process) of files of the season's agencies on the
    season's archive changes no status: they are listed for the coordinator, not counted; ``xxgk
    archive choose`` of a season agency's version is refused and says where to choose; the
    coordinator's choice in serve is logged and every view names that file."""
    from tests.conftest import run_cli

    _, _, files = pool()
    db = tmp_path / "xxgk.db"
    store, _keys = new_season(tmp_path)
    with store:
        cz = store.web_agencies(YEAR)[0]
        season.receive(store, cz, files[0, "valid1"], "链接上传.xlsx", year=YEAR)
        before = _statuses(store)
    folder = tmp_path / "add"
    folder.mkdir()
    (folder / "财政另一份.xlsx").write_bytes(files[0, "valid2"])  # passes too: the archive's rule is stuck
    (folder / "司法.xlsx").write_bytes(files[1, "valid1"])  # never sent through 司法局's link
    r = run_cli("archive", "add", folder, "--db", db)
    assert r.returncode in (0, 1), r.stderr
    assert "xxgk serve" in r.stdout
    with WebStore(db) as store:
        assert _statuses(store) == _summary_statuses(store) == before
        assert before == {
            NAMES[0]: season.PASSED,
            NAMES[1]: season.NOT_SUBMITTED,
            NAMES[2]: season.NOT_SUBMITTED,
        }
        st = season.state(store, cz)
        assert st.current.file_name == "链接上传.xlsx" and not st.chosen
        extra = next(v for v in st.versions if v.file_name == "财政另一份.xlsx")
        assert extra.id not in st.linked and extra.valid and not extra.current
        # the archive says what the season says
        assert [v.file_name for v in store.current(year=YEAR, agency_ids=[cz.agency_id])] == ["链接上传.xlsx"]
    r = run_cli("archive", "choose", extra.id, "--db", db)
    assert r.returncode != 0 and "xxgk serve" in r.stderr and "Traceback" not in r.stderr
    with WebStore(db) as store:
        assert season.state(store, cz).current.file_name == "链接上传.xlsx"
        season.choose(store, cz, extra.id, actor="张协调")
        st = season.state(store, cz)
        assert (st.status, st.current.id, st.chosen) == (season.PASSED, extra.id, True)
        assert [(e.action, e.version_id, e.actor) for e in season.agency_events(store, cz)] == [
            ("choose", extra.id, "张协调")
        ]
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        (rec,) = [r for r in summary.records if r.roster_name == NAMES[0]]
        assert rec.included and rec.file.endswith("财政另一份.xlsx")
        assert season.states(store, YEAR)[0].current.id == extra.id


def test_a_passing_upload_after_the_coordinators_choice_replaces_it(tmp_path):
    """Trial 2, N4: the coordinator's choice stands against a faulty later upload (the page may
    say '改正后重新上传' truthfully), and a passing upload sent after it is the agency's own
    correction: it counts, in the status, 催报 and the summary alike."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        season.receive(store, wa, files[0, "invalid"], "错.xlsx", year=YEAR)
        season.receive(store, wa, files[0, "valid1"], "对.xlsx", year=YEAR)
        bad = season.state(store, wa).versions[0]
        season.choose(store, wa, bad.id)  # the coordinator designates the faulty one
        st = season.state(store, wa)
        assert (st.status, st.chosen, st.current.id) == (season.INVALID, True, bad.id)
        # a choice made before choices were kept in web_settings: read back from the log (the
        # uploads after it told by their time, to the second: so chosen again below)
        store.set_setting(f"choice:{wa.id}", None)
        st = season.state(store, wa)
        assert (st.status, st.chosen, st.current.id) == (season.INVALID, True, bad.id)
        season.choose(store, wa, bad.id)
        season.receive(store, wa, files[0, "annotated"], "批注.xlsx", year=YEAR)  # still faulty
        assert season.state(store, wa).current.id == bad.id
        season.receive(store, wa, files[0, "valid2"], "改正.xlsx", year=YEAR)
        st = season.state(store, wa)
        assert (st.status, st.chosen, st.current.file_name) == (season.PASSED, False, "改正.xlsx")
        assert not st.superseded
        assert _statuses(store)[NAMES[0]] == _summary_statuses(store)[NAMES[0]] == season.PASSED
        due = [s.agency.name for s in season.states(store, YEAR) if s.status != season.PASSED]
        assert NAMES[0] not in due


def test_the_clerks_page_names_the_version_the_coordinator_chose(tmp_path):
    """The clerk's page lists the coordinator's choice with the file chosen: after the clerk's own
    later upload replaced it, "指定计入汇总的版本" beside a different counted file said nothing of
    which file the choice was."""
    from toolkit.web.app import create_app

    _, _, files = pool()
    store, keys = new_season(tmp_path)
    with store:
        wa = store.web_agencies(YEAR)[0]
        season.receive(store, wa, files[0, "valid1"], "甲.xlsx", year=YEAR)
        season.receive(store, wa, files[0, "valid2"], "乙.xlsx", year=YEAR)
        season.choose(store, wa, season.state(store, wa).versions[0].id)
        season.receive(store, wa, files[0, "valid2"], "乙再传.xlsx", year=YEAR)  # the clerk's own
        assert season.state(store, wa).current.file_name == "乙再传.xlsx"
        token = season.link_of(keys, wa)
    page = create_app(tmp_path / "xxgk.db", year=YEAR).test_client().get(f"/a/{token}").get_data(as_text=True)
    assert "计入汇总的版本：乙再传.xlsx" in page
    assert "指定计入汇总的版本（甲.xlsx）" in page, page


def test_the_rosters_look_up_in_memory_judges_as_the_databases(tmp_path):
    """The dashboard of a large region judges covers against the roster held in memory
    (:class:`season.RosterNow`), one agency's page against the database's indexed look-up
    (:meth:`WebStore.web_agencies_like`): the verdicts are the same for every kind of cover."""
    _, codes, _ = pool()
    store, _ = new_season(tmp_path)
    with store:
        agencies = store.web_agencies(YEAR)
        now = season.RosterNow(agencies)
        names = [*NAMES, *("示例市" + n for n in NAMES), *(n.removeprefix("青川区") for n in NAMES)]
        names += ["某某科技有限公司", "", "局", "青川区", "<b>" + NAMES[1]]
        for wa in agencies:
            for name in names:
                for code in [*codes, "", "11110999MB0009999X"]:
                    cover = season.Cover(name, code)
                    mem = season.cover_findings(wa, cover, now.like(wa, name, code), "f.xlsx")
                    db = season.cover_findings(wa, cover, store.web_agencies_like(YEAR, name, code), "f.xlsx")
                    assert mem == db, (wa.name, name, code)


def test_returning_the_chosen_version_makes_the_agency_returned_everywhere(tmp_path):
    """Trial 3, defect 1: the coordinator chooses an older version, then sends it back. The
    version it passed over does not come back by itself (退回 asks for a new file): the agency is
    已退回 on the dashboard, its page, 催报 and the summary, until it uploads again. The same when
    the city sends back the version the district chose."""
    _, _, files = pool()
    store, _ = new_season(tmp_path)
    with store:
        fg, sf = store.web_agencies(YEAR)[:2]
        for i, wa in enumerate((fg, sf)):
            season.receive(store, wa, files[i, "valid1"], "样表.xlsx", year=YEAR)
            season.receive(store, wa, files[i, "valid2"], "照抄上年.xlsx", year=YEAR)
        older = season.state(store, fg).versions[0]
        season.choose(store, fg, older.id)
        season.return_version(store, fg, older.id, "退回指定版本")
        district_older = season.state(store, sf).versions[0]
        season.choose(store, sf, district_older.id, actor="青川区协调人")
        season.return_version(store, sf, district_older.id, "市级退回", actor="示例市协调人")
        for wa, note in ((fg, "退回指定版本"), (sf, "市级退回")):
            st = season.state(store, wa)
            assert (st.status, st.current) == (season.RETURNED, None)
            assert (
                next(s for s in season.states(store, YEAR) if s.agency.id == wa.id).status == season.RETURNED
            )
            text = season.reminder_text(YEAR, st, None, "http://x/a/t")
            assert "已被退回" in text and note in text  # 催报 asks for it
            sid = store.web_submission_id(wa.agency_id, YEAR)
            cur = store.db.execute("SELECT current_version FROM submissions WHERE id = ?", (sid,)).fetchone()
            assert cur[0] is None  # archive list and trend count nothing either
        assert _statuses(store) == _summary_statuses(store)
        assert _summary_statuses(store)[NAMES[0]] == _summary_statuses(store)[NAMES[1]] == season.RETURNED
        # a 退回 recorded before its upload mark was kept: told by its time, the same verdict
        marks = store.db.execute("SELECT key, value FROM web_settings WHERE key LIKE 'return:%'").fetchall()
        assert len(marks) == 2
        store.db.execute("DELETE FROM web_settings WHERE key LIKE 'return:%'")
        assert _statuses(store)[NAMES[0]] == _statuses(store)[NAMES[1]] == season.RETURNED
        assert season.state(store, fg).status == season.RETURNED
        store.db.executemany("INSERT INTO web_settings (key, value) VALUES (?, ?)", marks)
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        assert not season.counted_names(summary) & {NAMES[0], NAMES[1]}
        rows = {r.roster_name: r for r in summary.records}
        assert rows[NAMES[0]].file == f"{NAMES[0]}：样表.xlsx"  # the file sent back, not the one passed over
        assert rows[NAMES[0]].status == "已退回"
        # a new upload (even of the file passed over) is what the 退回 asked for: it counts
        season.receive(store, fg, files[0, "valid2"], "重新上传.xlsx", year=YEAR)
        st = season.state(store, fg)
        assert (st.status, st.current.file_name) == (season.PASSED, "重新上传.xlsx")
        # the version sent back, uploaded again unchanged, stays sent back
        season.receive(store, sf, files[1, "valid1"], "原样再传.xlsx", year=YEAR)
        assert season.state(store, sf).status == season.RETURNED


def test_the_same_file_uploaded_under_two_names_has_one_name_everywhere(tmp_path):
    """Trial 3, defect 4: the same bytes sent twice are one version, named by its newest upload
    in the version table, the counted version (dashboard, pages) and the summary; a file the
    archive had (``xxgk archive add``) sent through the link is named as the link sent it."""
    from tests.conftest import run_cli

    _, _, files = pool()
    db = tmp_path / "xxgk.db"
    store, _ = new_season(tmp_path)
    with store:
        fg = store.web_agencies(YEAR)[0]
        season.receive(store, fg, files[0, "valid1"], "第一次.xlsx", year=YEAR)
        season.receive(store, fg, files[0, "valid1"], "第二次同一文件.xlsx", year=YEAR)
        st = season.state(store, fg)
        assert [v.file_name for v in st.versions] == ["第二次同一文件.xlsx"]
        assert st.current.file_name == "第二次同一文件.xlsx"
        bulk = next(s for s in season.states(store, YEAR) if s.agency.id == fg.id)
        assert bulk.current.file_name == "第二次同一文件.xlsx"
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        (rec,) = [r for r in summary.records if r.roster_name == NAMES[0]]
        assert rec.file == f"{NAMES[0]}：第二次同一文件.xlsx"
    folder = tmp_path / "add"
    folder.mkdir()
    (folder / "司法局档案.xlsx").write_bytes(files[1, "valid1"])
    r = run_cli("archive", "add", folder, "--db", db)
    assert r.returncode in (0, 1), r.stderr
    with WebStore(db) as store:
        sf = store.web_agencies(YEAR)[1]
        added = season.state(store, sf).versions
        assert [v.file_name for v in added] == ["司法局档案.xlsx"]  # not through the link: as archived
        season.receive(store, sf, files[1, "valid1"], "司法正式.xlsx", year=YEAR)
        st = season.state(store, sf)
        assert [v.id for v in st.versions] == [added[0].id]
        assert (st.status, st.current.file_name) == (season.PASSED, "司法正式.xlsx")
        assert [v.file_name for v in st.versions] == ["司法正式.xlsx"]
        summary = season.summarize(store, YEAR, spec=spec_for_year(YEAR))
        (rec,) = [r for r in summary.records if r.roster_name == NAMES[1]]
        assert rec.file == f"{NAMES[1]}：司法正式.xlsx"
