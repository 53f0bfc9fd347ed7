"""Whose report a file is, by its cover: ``xxgk serve`` (an upload through the agency's link) and
``xxgk merge`` (the same file in a folder, matched to the roster) give the same agency the same
row — status, counted or not, and the same COVER-MISMATCH findings (toolkit.identity, one rule).

The trial's cases: a 2019-format workbook for 2025 (merge listed the agency 未报送 plus a nameless
有错误 row), the agency's own name with another valid code (merge counted it 按名称匹配), a variant
of its name with its code (the 提示 only on the web)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.serve_process import make_workbook, write_roster
from toolkit import season
from toolkit.merge import merge
from toolkit.roster import read_roster
from toolkit.store import WebStore
from toolkit.uscc import uscc_check_char
from toolkit.web.security import Keys

YEAR = 2025
NAMES = ["青川区财政局", "青川区司法局", "青川区民政局"]
STRANGER_BASE = "11110999MB000009"
STRANGER = STRANGER_BASE + "9" + uscc_check_char(STRANGER_BASE + "9")  # valid, on no roster


def layout_2019(path: Path, name: str, code: str) -> Path:
    from toolkit.model import Submission
    from toolkit.spec import load_spec
    from toolkit.template import make_template

    cover = {"agency": name, "code": code, "parent": "示例市青川区", "year": YEAR, "contact": "张三"}
    return make_template(path, Submission(spec=load_spec("gov-2019"), cover=cover))


def kinds(d: Path, codes: list[str]) -> dict[str, tuple[Path, str, str]]:
    """For 青川区财政局: each kind of cover -> (file, expected status, COVER-MISMATCH severity or "")."""
    n = NAMES[0]
    return {
        "exact": (make_workbook(d / "exact.xlsx", n, codes[0], k=1), season.PASSED, ""),
        "variant": (make_workbook(d / "variant.xlsx", "示例市" + n, codes[0], k=2), season.PASSED, "warning"),
        "abbrev": (make_workbook(d / "abbrev.xlsx", "青川区财政", codes[0], k=3), season.PASSED, "warning"),
        "other_valid_code": (make_workbook(d / "oc.xlsx", n, STRANGER, k=4), season.INVALID, "error"),
        "roster_code_of_other": (make_workbook(d / "rc.xlsx", n, codes[1], k=5), season.INVALID, "error"),
        # a variant of its name with another roster agency's code: its report (not that agency's),
        # the code an error, the name a 提示 (merge gave it to the code's agency, left it 未报送)
        "variant_code_of_other": (
            make_workbook(d / "vrc.xlsx", "示例市" + n, codes[1], k=8),
            season.INVALID,
            "error+warning",
        ),
        "unrelated_name": (
            make_workbook(d / "un.xlsx", "某某科技有限公司", codes[0], k=6),
            season.INVALID,
            "error",
        ),
        "format2019": (layout_2019(d / "f2019.xlsx", n, codes[0]), season.INVALID, ""),
        "invalid": (make_workbook(d / "bad.xlsx", n, codes[0], k=7, valid=False), season.INVALID, ""),
    }


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("identity")
    roster = d / "roster.csv"
    codes = write_roster(roster, NAMES)
    return d, roster, codes, kinds(d, codes)


def _serve_row(d: Path, roster: Path, data: bytes, name: str) -> tuple[str, set[tuple[str, str]], dict]:
    """Upload through 财政局's link: its status, its COVER-MISMATCH findings, the summary's rows."""
    keys = Keys.for_db(d / "xxgk.db")
    with WebStore(d / "xxgk.db") as store:
        store.web_register(YEAR, read_roster(roster).entries, keys.fresh_token)
        wa = store.web_agencies(YEAR)[0]
        assert wa.name == NAMES[0]
        uid = season.receive(store, wa, data, name, year=YEAR)
        found = {
            (f["code"], f["severity"])
            for f in store.web_upload(uid).findings
            if f["code"] == "COVER-MISMATCH"
        }
        st = season.state(store, wa)
        summary = season.summarize(store, YEAR, spec=None)
        rows = {r.roster_name or r.name: (r.status, r.included) for r in summary.records}
    return st.status, found, rows


@pytest.mark.parametrize(
    "kind",
    [
        "exact",
        "variant",
        "abbrev",
        "other_valid_code",
        "roster_code_of_other",
        "variant_code_of_other",
        "unrelated_name",
        "format2019",
        "invalid",
    ],
)
def test_merge_and_serve_give_a_cover_the_same_agency_and_verdict(setup, kind, tmp_path):
    _, roster, _codes, files = setup
    path, status, severity = files[kind]
    got_status, got_found, serve_rows = _serve_row(tmp_path, roster, path.read_bytes(), path.name)
    assert got_status == status, kind
    assert got_found == {("COVER-MISMATCH", sev) for sev in severity.split("+") if sev}, kind

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / path.name).write_bytes(path.read_bytes())
    s = merge([folder], roster=roster, year=YEAR)
    rows = {r.name: r for r in s.records}
    # every row is a roster agency's: never the agency 未报送 beside a nameless row of its file
    assert set(rows) == set(NAMES), kind
    rec = rows[NAMES[0]]
    assert rec.file is not None and Path(rec.file).name == path.name
    assert (season.PASSED if rec.included else season.INVALID) == status, kind
    mism = {(f.code, f.severity) for f in rec.report.findings if f.code == "COVER-MISMATCH"}
    assert mism == got_found, kind
    for other in NAMES[1:]:
        assert rows[other].status == "未报送"
    # the web summary's rows say the same
    assert serve_rows[NAMES[0]][1] == rec.included
    assert {n: st for n, (st, _inc) in serve_rows.items() if n != NAMES[0]} == {
        n: "未报送" for n in NAMES[1:]
    }


def test_merge_command_shows_the_variant_hint_and_refuses_another_code(setup, tmp_path):
    """The command's JSON and workbook: the variant's 提示 counted in 提示数 and listed in 问题清单;
    the own name with another valid code an error, not counted (README: as serve)."""
    import openpyxl

    _, roster, _codes, files = setup
    folder = tmp_path / "in"
    folder.mkdir()
    for kind in ("variant", "format2019"):
        p = files[kind][0]
        (folder / p.name).write_bytes(p.read_bytes())
    p = make_workbook(folder / "民政.xlsx", NAMES[2], STRANGER, k=11)
    out = tmp_path / "s.xlsx"
    r = run_cli("merge", folder, "--roster", roster, "--year", YEAR, "--format", "json", "-o", out)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    got = {a["name"]: (a["status"], a["included"]) for a in doc["agencies"]}
    # two files of 财政局 (the variant passes, the 2019 layout cannot be summed): the passing one counts
    assert got[NAMES[0]] == ("已报送", True)
    assert got[NAMES[1]] == ("未报送", False)
    assert got[NAMES[2]] == ("有错误", False)
    assert len(doc["agencies"]) == 3 + 1  # 财政局's second file is its own row, under its name
    assert all(a["name"] in NAMES for a in doc["agencies"])
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["报送情况"].iter_rows(values_only=True))
    head = next(i for i, row in enumerate(rows) if row and row[0] == "序号")
    cols = rows[head]
    table = [dict(zip(cols, row, strict=False)) for row in rows[head + 1 :] if row and row[0]]
    variant = next(t for t in table if t["文件"] == "variant.xlsx")
    assert variant["提示数"] == 1 and variant["是否计入汇总"] == "是"
    mz = next(t for t in table if t["单位名称"] == NAMES[2])
    assert (
        mz["报送状态"] == "有错误" and mz["是否计入汇总"] == "否" and "按名称匹配" not in (mz["说明"] or "")
    )
    issues = [row for row in wb["问题清单"].iter_rows(values_only=True)]
    mism = {(Path(str(row[0])).name, row[4]) for row in issues if row[5] == "COVER-MISMATCH"}
    assert mism == {("variant.xlsx", "提示"), ("民政.xlsx", "错误")}
    wb.close()


def test_another_roster_agencys_name_with_the_agencys_code_is_an_error_in_a_folder_too(setup, tmp_path):
    """No link in a folder: the file is the report of the agency its cover names (by name), and
    the code of another roster agency on it is the same COVER-MISMATCH error serve gives."""
    _, roster, codes, _ = setup
    folder = tmp_path / "in"
    folder.mkdir()
    make_workbook(folder / "x.xlsx", NAMES[1], codes[0], k=21)
    s = merge([folder], roster=roster, year=YEAR)
    rows = {r.name: r for r in s.records}
    assert set(rows) == set(NAMES)
    assert rows[NAMES[1]].status == "有错误" and not rows[NAMES[1]].included
    (f,) = [f for f in rows[NAMES[1]].report.findings if f.code == "COVER-MISMATCH"]
    assert f.severity == "error" and codes[0] in f.message and NAMES[0] in f.message
    assert rows[NAMES[0]].status == "未报送"


def test_roster_like_is_the_same_spilled_or_in_memory():
    """The candidates a cover may name (name, place-prefix variant either way, code): the same
    from a province's roster kept in a temporary database as from one in memory."""
    from toolkit.roster import Roster, RosterEntry

    es = [
        RosterEntry("青川区民政局", "C1", line=2),
        RosterEntry("示例市青川区财政局", "C2", line=3),
        RosterEntry("民政局", "C3", line=4),
        RosterEntry("青川区司法局", "C4", line=5),
    ]
    mem, spilled = Roster("", list(es)), Roster("", list(es))
    spilled.spill()
    cases = {
        ("示例市青川区民政局", ""): [2, 4],
        ("青川区财政局", "C4"): [3, 5],
        ("", "C3"): [4],
        ("某某", ""): [],
    }
    for (name, code), want in cases.items():
        assert [e.line for e in mem.like(name, code)] == want
        assert [e.line for e in spilled.like(name, code)] == want
    spilled.entries.close()


@pytest.mark.parametrize(
    ("code", "why"),
    [("OWN", "统一社会信用代码相同"), ("", "封面未填统一社会信用代码"), ("OTHER", "名称相近")],
)
def test_the_variant_hint_says_what_the_cover_gives_as_its_code(code, why):
    """A variant of the agency's name is its report with a COVER-MISMATCH 提示: the 提示 says why
    by what the cover holds — the same code, or no code at all (it said 统一社会信用代码相同 for a
    cover without one), or another code (that one an error of its own)."""
    from toolkit.identity import cover_verdict
    from toolkit.roster import RosterEntry

    own = RosterEntry(NAMES[0], "11110999MB0000001T", "示例市青川区", "", 2)
    given = {"OWN": own.code, "OTHER": STRANGER}.get(code, code)
    found, mine = cover_verdict(own, "示例市" + NAMES[0], given, [], "f.xlsx")
    assert mine
    (hint,) = [f for f in found if f.severity == "warning"]
    assert hint.code == "COVER-MISMATCH" and f"（{why}，按本单位计）" in hint.message, hint.message
    others = {"统一社会信用代码相同", "封面未填统一社会信用代码", "名称相近"} - {why}
    assert not any(w in hint.message for w in others), hint.message
