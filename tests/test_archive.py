"""The archive (toolkit.store, ``xxgk archive``): idempotent adds, versions and the current-version
rule, agencies by code then name, source files kept byte for byte, a SIGKILL in the middle of an
add, and PREV-* findings from ``--archive`` equal to those from ``--previous FOLDER``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_format_2019 import sub_2019
from toolkit.model import Submission
from toolkit.store import Store, add_paths
from toolkit.template import make_template

ROOT = Path(__file__).resolve().parent.parent
CODE_A = "11110228MB0000001U"


run = run_cli


def workbook(path: Path, agency: str, year: int, code: str = "", n: int = 3, carried_out: int = 0) -> Path:
    v = {
        "t3.new_received.natural_person": n,
        "t3.granted.natural_person": n - carried_out,
        "t3.carried_out.natural_person": carried_out,
    }
    cover = {"agency": agency, "year": year, "parent": "示例市青川区", **({"code": code} if code else {})}
    return make_template(path, Submission(cover=cover, values=v))


def dump(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def test_add_is_idempotent_and_keeps_the_file(tmp_path):
    a = workbook(tmp_path / "a.xlsx", "青川区财政局", 2024, CODE_A)
    db = tmp_path / "x.db"
    with Store(db) as s:
        (r,) = add_paths(s, [a])
        assert (r.status, r.current, r.source) == ("added", True, "workbook")
    before = dump(db)
    copy = tmp_path / "同一文件另存.xlsx"
    copy.write_bytes(a.read_bytes())
    with Store(db) as s:
        assert [r.status for r in add_paths(s, [a, copy])] == ["unchanged", "unchanged"]
        assert s.file_bytes(r.sha256) == a.read_bytes()
        with pytest.raises(sqlite3.DatabaseError):  # archived files are never modified or lost
            s.db.execute("UPDATE files SET content = x'00'")
        with pytest.raises(sqlite3.DatabaseError):
            s.db.execute("DELETE FROM files")
        sub = s.submission(r.version_id)
        assert sub.all_values()["t3.new_received.total"] == 3 and sub.code == CODE_A
    assert dump(db) == before
    out = run("archive", "file", r.sha256[:16], "--db", str(db), "-o", "back.xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "back.xlsx").read_bytes() == a.read_bytes()


def test_versions_current_rule_and_explicit_choice(tmp_path):
    """Two different versions that both pass: neither is current (as merge counts neither) and
    archive add names the commands that choose; a choice stands when newer files arrive; --rule
    goes back to the rule, which again leaves the choice open."""
    db = tmp_path / "x.db"
    v1 = workbook(tmp_path / "v1.xlsx", "青川区财政局", 2024, CODE_A, n=3)
    v2 = workbook(tmp_path / "v2.xlsx", "青川区财政局", 2024, CODE_A, n=5)
    bad = tmp_path / "v3.xlsx"  # a later version with an error: never current by the rule
    make_template(
        bad,
        Submission(
            cover={"agency": "青川区财政局", "year": 2024, "code": CODE_A},
            values={"t3.new_received.natural_person": 9},  # unbalanced: T3-BALANCE
        ),
    )
    v4 = workbook(tmp_path / "v4.xlsx", "青川区财政局", 2024, CODE_A, n=7)
    with Store(db) as s:
        r1, r2, r3 = add_paths(s, [v1, v2, bad])
        assert [r.status for r in (r1, r2, r3)] == ["added"] * 3
        assert (r1.current, r2.current, r3.current) == (True, False, False)
        assert (r1.undecided, r2.undecided, r3.undecided) == (False, True, True)
        hint = (
            f"xxgk archive choose {r1.version_id} --db {db} 或 xxgk archive choose {r2.version_id} --db {db}"
        )
        assert "2 个内容不同的版本，均通过校验，未定当前版本" in r2.note and hint in r2.note
        assert "3 个内容不同的版本，其中 2 个通过校验" in r3.note
        assert s.current(year=2024) == []
        (u,) = s.undecided(year=2024)
        assert u.version_ids == (r1.version_id, r2.version_id, r3.version_id)
        assert len(s.versions(year=2024)) == 3 and len(s.agencies()) == 1
        errs = s.findings(r3.version_id)
        assert ("T3-BALANCE", "D30") in {(f.code, f.cell) for f in errs}
    out = run("archive", "list", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.startswith("[—] 未定 青川区财政局 2024 填报表  3 个内容不同的版本，其中 2 个通过校验")
    assert f"xxgk archive choose {r3.version_id} --db {db}" in out.stdout
    out = run("archive", "choose", str(r1.version_id), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    with Store(db) as s:
        (r4,) = add_paths(s, [v4])  # an explicit choice stands when a newer file arrives
        assert r4.status == "added" and not r4.current and not r4.undecided and "已指定其他版本" in r4.note
        assert s.current(year=2024)[0].id == r1.version_id and s.undecided() == []
        assert s.choose(rule_for=s.version(r4.version_id).submission_id) is None  # back to the rule
        assert s.current(year=2024) == [] and len(s.undecided()) == 1
    out = run("archive", "choose", str(r4.version_id), "--rule", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0 and "按规则，4 个内容不同的版本，其中 3 个通过校验，未定当前版本" in out.stdout
    out = run("archive", "list", "--db", str(db), "--agency", "财政局", "--all", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.count("青川区财政局 2024") == 5
    assert "] 当前" not in out.stdout and "[—] 未定" in out.stdout.splitlines()[-1]
    # an agency-year left open is left out of trends and of last year's figures, and said so
    js = run("trend", "--agency", "财政局", "--db", str(db), "--format", "json", cwd=tmp_path)
    assert js.returncode == 2 and "档案库中没有与“财政局”匹配的可列入趋势的报告" in js.stderr
    assert "未定当前版本" in js.stderr and f"xxgk archive choose {r4.version_id}" in js.stderr
    v5 = workbook(tmp_path / "v5.xlsx", "青川区财政局", 2025, CODE_A, n=3)
    with Store(db) as s:
        add_paths(s, [v5])
    js = run("trend", "--agency", "财政局", "--db", str(db), "--format", "json", cwd=tmp_path)
    (flag,) = json.loads(js.stdout)["flags"]
    assert (
        flag["years"] == [2024]
        and "4 个内容不同的版本，其中 3 个通过校验，未定当前版本，未列入" in flag["flag"]
    )
    out = run("validate", str(v5), "--year", "2025", "--archive", str(db), cwd=tmp_path)
    assert out.returncode == 0 and "已从档案库读取 2024 年度数据 0 份" in out.stderr
    assert "提示：青川区财政局 2024 年度的报告有 4 个内容不同的版本" in out.stderr
    assert f"xxgk archive choose {r4.version_id} --db {db}" in out.stderr


def _resaved(src: Path, dst: Path) -> Path:
    """The same report with other bytes: opened and saved again by another program (openpyxl)."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    wb.properties.creator = "另存"
    wb.save(dst)
    assert dst.read_bytes() != src.read_bytes()
    return dst


@pytest.mark.parametrize(
    "case",
    ["same content", "corrected resubmission", "both pass", "neither passes", "three, one passes"],
)
def test_archive_current_is_what_merge_counts(tmp_path, case):
    """The one rule (toolkit.counting) on the same files: the file merge counts is the version the
    archive makes current, and where merge asks for --prefer the archive leaves none current and
    names ``xxgk archive choose``; running the command it names settles it."""
    from toolkit.merge import merge

    d = tmp_path / "收到的文件"
    d.mkdir()

    def bad(name: str, n: int) -> Path:
        return make_template(
            d / name,
            Submission(
                cover={"agency": "青川区财政局", "year": 2025, "code": CODE_A},
                values={"t3.new_received.natural_person": n},  # unbalanced: T3-BALANCE
            ),
        )

    a = workbook(d / "a.xlsx", "青川区财政局", 2025, CODE_A, n=3)
    if case == "same content":
        _resaved(a, d / "b.xlsx")
    elif case == "corrected resubmission":
        a.unlink()
        bad("a.xlsx", 4)
        workbook(d / "b.xlsx", "青川区财政局", 2025, CODE_A, n=4)
    elif case == "both pass":
        workbook(d / "b.xlsx", "青川区财政局", 2025, CODE_A, n=5)
    elif case == "neither passes":
        a.unlink()
        bad("a.xlsx", 4)
        bad("b.xlsx", 5)
    else:
        bad("b.xlsx", 6)
        bad("c.xlsx", 7)
    counted = [Path(r.file).name for r in merge([d], year=2025).records if r.included]
    db = tmp_path / "x.db"
    with Store(db) as s:
        results = add_paths(s, [d])
        current = [Path(v.file_name).name for v in s.current(year=2025)]
        open_ = s.undecided(year=2025)
    expected = {
        "same content": ["b.xlsx"],  # merge: the first readable .xlsx; archive: the later copy
        "corrected resubmission": ["b.xlsx"],
        "both pass": [],
        "neither passes": [],
        "three, one passes": ["a.xlsx"],
    }[case]
    if case == "same content":
        assert len(counted) == 1 and current == expected  # one of the two identical reports counts
    else:
        assert counted == current == expected
    if expected:
        assert open_ == [] and not any(r.undecided for r in results)
        return
    (u,) = open_
    assert results[-1].undecided and u.hint in results[-1].note
    why = "均通过校验" if case == "both pass" else "均有错误"
    assert f"2 个内容不同的版本，{why}，未定当前版本" == u.reason
    # the archive says what merge says, and the command it names chooses
    out = run("archive", "add", str(d), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0 and "未定当前版本：青川区财政局 2025 填报表" in out.stdout
    first = u.hint.split(" 或 ")[0].split()
    assert first[:3] == ["xxgk", "archive", "choose"]
    out = run(*first[1:], cwd=tmp_path)
    assert out.returncode == 0 and f"当前版本为 [{u.version_ids[0]}]" in out.stdout
    with Store(db) as s:
        assert [v.id for v in s.current(year=2025)] == [u.version_ids[0]] and s.undecided() == []
        chosen = s.version(u.version_ids[0]).file_name
    # the same choice through merge's --prefer: that file stands for the agency, the other is
    # its duplicate (counted when it passes; a faulty one stays 有错误, as in the archive)
    got = {Path(r.file).name: r for r in merge([d], year=2025, prefer=[d / chosen]).records if r.file}
    assert got[chosen].status != "重复" and got[chosen].included == (case == "both pass")
    assert all(r.status == "重复" for n, r in got.items() if n != chosen)


def test_agency_matched_by_code_then_name(tmp_path):
    files = [
        workbook(tmp_path / "a.xlsx", "青川区财政局", 2023),  # name only
        workbook(tmp_path / "b.xlsx", "青川区 财政局", 2024, CODE_A),  # same name (spaces), now a code
        workbook(tmp_path / "c.xlsx", "青川区财政局（新名称）", 2025, CODE_A),  # renamed, same code
        workbook(tmp_path / "d.xlsx", "青川区财政局", 2025, "11110228MB0000002Y"),  # same name, other code
    ]
    with Store(tmp_path / "x.db") as s:
        rs = add_paths(s, files)
        assert [r.status for r in rs] == ["added"] * 4, [r.note for r in rs]
        ags = s.agencies()
        assert len(ags) == 2
        first = next(a for a in ags if a.code == CODE_A)
        assert first.name == "青川区财政局（新名称）"
        assert [v.year for v in s.current(agency_ids=[first.id])] == [2023, 2024, 2025]


def test_kill_during_add_keeps_the_files_stored_so_far_whole(tmp_path):
    """Each file is its own transaction: a SIGKILL after 20 files leaves those 20 stored whole
    (the file, its version, its figures), nothing half-stored, and the next add stores the rest."""
    db = tmp_path / "x.db"
    first = workbook(tmp_path / "first.xlsx", "青川区财政局", 2024, CODE_A)
    run("archive", "add", str(first), "--db", str(db), cwd=tmp_path)
    many = tmp_path / "many"
    many.mkdir()
    for i in range(40):
        workbook(many / f"{i:02d}.xlsx", f"青川区测试局{i:02d}", 2024, n=i + 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "archive", "add", str(many), "--db", str(db)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = 0
    for line in p.stdout:  # one line per file, after its commit
        seen += line.startswith("[")
        if seen == 20:
            p.send_signal(signal.SIGKILL)
            break
    p.wait(timeout=60)
    p.stdout.close()
    assert p.returncode == -signal.SIGKILL and seen == 20
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = con.execute("SELECT COUNT(*) FROM versions").fetchone()[0]
    assert 21 <= stored <= 41
    whole = con.execute(
        "SELECT COUNT(*) FROM versions v JOIN files f ON f.sha256 = v.file_sha256"
        " JOIN submissions s ON s.current_version = v.id"
        " WHERE EXISTS (SELECT 1 FROM cell_values c WHERE c.version_id = v.id)"
    ).fetchone()[0]
    assert whole == stored  # every version stored has its file, its figures, and is current
    assert con.execute("SELECT COUNT(*) FROM files").fetchone()[0] == stored
    con.close()
    out = run("archive", "add", str(many), "--db", str(db), "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    statuses = [f["status"] for f in doc["files"]]
    assert statuses.count("unchanged") == stored - 1 and statuses.count("added") == 41 - stored
    assert doc["archive"]["versions"] == 41


def _prev_findings(out: str) -> list[tuple]:
    doc = json.loads(out)
    return sorted(
        (Path(f["file"]).name, x["code"], x["cell"], json.dumps(x["expected"]), json.dumps(x["actual"]))
        for f in doc["files"]
        for x in f["findings"]
        if x["code"].startswith("PREV-")
    )


def test_prev_findings_from_archive_equal_those_from_folder(tmp_path):
    db = tmp_path / "x.db"
    samples, previous = ROOT / "samples", ROOT / "samples-previous"
    out = run("archive", "add", str(previous), str(samples), "--db", str(db), cwd=tmp_path)
    assert out.returncode == 1  # the samples hold files that cannot be filed (on purpose)
    a = run(
        "validate", str(samples), "--year", "2025", "--archive", str(db), "--format", "json", cwd=tmp_path
    )
    b = run(
        "validate",
        str(samples),
        "--year",
        "2025",
        "--previous",
        str(previous),
        "--format",
        "json",
        cwd=tmp_path,
    )
    fa, fb = _prev_findings(a.stdout), _prev_findings(b.stdout)
    assert fa == fb and len(fa) >= 3
    assert {c for _, c, *_ in fa} >= {"PREV-CARRYOVER", "PREV-IN-FORCE", "PREV-IDENTICAL"}
    assert a.returncode == b.returncode == 1
    # merge: the same year-on-year figures from either
    ma = run("merge", str(samples), "--year", "2025", "--archive", str(db), "-o", "a.json", cwd=tmp_path)
    mb = run(
        "merge", str(samples), "--year", "2025", "--previous", str(previous), "-o", "b.json", cwd=tmp_path
    )
    assert ma.returncode == mb.returncode == 1
    ja, jb = (json.loads((tmp_path / n).read_text(encoding="utf-8")) for n in ("a.json", "b.json"))
    assert ja == jb
    usage = run("validate", str(samples), "--archive", str(db), cwd=tmp_path)
    assert usage.returncode == 2 and "--year" in usage.stderr


def test_last_year_in_the_2019_format_from_the_archive(tmp_path):
    """A 2020 report (2019 format) in the archive is last year's figures for a 2021 workbook:
    carry-over compares the keys both formats share."""
    make_template(tmp_path / "2020.xlsx", sub_2019(year=2020, agency="青川区测试局"))  # carried_out 1+1
    workbook(tmp_path / "2021.xlsx", "青川区测试局", 2021, n=3)  # carried_in 0: does not match
    db = tmp_path / "x.db"
    assert run("archive", "add", "2020.xlsx", "--db", str(db), cwd=tmp_path).returncode == 0
    out = run(
        "validate", "2021.xlsx", "--year", "2021", "--archive", str(db), "--format", "json", cwd=tmp_path
    )
    got = {(x["code"], x["cell"]) for f in json.loads(out.stdout)["files"] for x in f["findings"]}
    assert ("PREV-CARRYOVER", "D7") in got and ("PREV-CARRYOVER", "E7") in got
    assert not any(c == "PREV-IN-FORCE" for c, _ in got)  # no stock of documents in force in 2019


def _yoy(xlsx: Path) -> tuple[dict, list[str], set[tuple[str, str]]]:
    """The summary's year-on-year table (label -> [last year, this year]), its notes, and the
    (code, cell) of its findings."""
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    rows = [[c for c in r if c is not None] for r in wb["图表"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == "主要指标")
    table = {r[0]: r[1:] for r in rows[start + 1 :] if len(r) == 3}
    notes = [r[0] for r in rows[start + 1 :] if len(r) == 1]
    found = {(r[5], r[7]) for r in wb["问题清单"].iter_rows(min_row=2, values_only=True)}
    return table, notes, found


def test_merge_with_last_year_in_the_2019_format_from_a_folder_or_the_archive(tmp_path):
    """merge --previous reads each of last year's files in its own format (a 2020 report is in the
    2019 format), as --archive does: the same PREV-* findings, the same year-on-year table, and
    what the 2019 format does not state (行政规范性文件制发) named as not comparable, never a 0."""
    (tmp_path / "2020").mkdir()
    (tmp_path / "2021").mkdir()
    make_template(tmp_path / "2020" / "a.xlsx", sub_2019(year=2020, agency="青川区测试局"))  # carried_out 1+1
    workbook(tmp_path / "2021" / "a.xlsx", "青川区测试局", 2021, n=3)  # carried_in 0: does not match
    db = tmp_path / "x.db"
    assert run("archive", "add", "2020", "--db", str(db), cwd=tmp_path).returncode == 0
    a = run("merge", "2021", "--year", "2021", "--previous", "2020", "-o", "a.xlsx", cwd=tmp_path)
    b = run("merge", "2021", "--year", "2021", "--archive", str(db), "-o", "b.xlsx", cwd=tmp_path)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    ya, yb = _yoy(tmp_path / "a.xlsx"), _yoy(tmp_path / "b.xlsx")
    assert ya == yb
    table, notes, found = ya
    assert ("PREV-CARRYOVER", "D7") in found and ("PREV-CARRYOVER", "E7") in found
    assert table["本年新收申请"] == [6, 3] and table["行政复议"] == [1, 0]
    assert "行政规范性文件制发" not in table
    # what the two columns compare, then what they cannot
    assert len(notes) == 2 and "同比口径：本年计入汇总的 1 个单位" in notes[0]
    assert "不可比" in notes[1] and "行政规范性文件制发" in notes[1]


def test_district_from_the_roster_where_covers_leave_it_empty(tmp_path):
    """上级/所属地区 is optional on the cover: ``archive add --roster`` files agencies under the
    roster's district, so ``trend --district`` finds them; without it the refusal says why."""
    for year in (2024, 2025):
        cover = {"agency": "青川区财政局", "year": year, "code": CODE_A}
        make_template(tmp_path / f"{year}.xlsx", Submission(cover=cover, values={"t4.review_upheld": 1}))
    (tmp_path / "名单.csv").write_text(
        f"name,code,parent\n青川区财政局,{CODE_A},示例市青川区\n", encoding="utf-8"
    )
    bare = run("archive", "add", "2024.xlsx", "2025.xlsx", "--db", "a.db", cwd=tmp_path)
    assert bare.returncode == 0, bare.stderr
    no = run("trend", "--district", "示例市青川区", "--db", "a.db", "--format", "csv", cwd=tmp_path)
    assert no.returncode == 2 and "--roster" in no.stderr and len(no.stderr.strip().splitlines()) == 1
    add = ["archive", "add", "2024.xlsx", "2025.xlsx", "--roster", "名单.csv", "--db", "b.db"]
    assert run(*add, cwd=tmp_path).returncode == 0
    yes = run("trend", "--district", "示例市青川区", "--db", "b.db", "--format", "csv", cwd=tmp_path)
    assert yes.returncode == 0, yes.stderr
    assert "青川区财政局,11110228MB0000001U,t4.review_total,行政复议,2025,gov-2021,1,0,是" in yes.stdout


def test_trend_across_formats_and_flags(tmp_path):
    """A 2020 report (2019 format) and a 2021 report of the same agency: comparable figures side by
    side, the rest shown as not comparable; all-zero and copied agencies listed."""
    import zipfile

    import openpyxl
    import pandas as pd

    from toolkit.trend import NOT_COMPARABLE, trend

    d = tmp_path / "in"
    d.mkdir()
    make_template(d / "2020.xlsx", sub_2019(year=2020, agency="青川区测试局"))  # （六）其他处理 2
    v21 = {
        "t3.new_received.natural_person": 6,
        "t3.carried_in.natural_person": 2,
        "t3.granted.natural_person": 4,
        "t3.other_no_correction.natural_person": 1,
        "t3.other_misc.natural_person": 3,
        "t2.regulations.issued": 2,
        "t2.admin_licensing.decisions": 300,
    }
    cover = {"agency": "青川区测试局", "year": 2021, "parent": "示例市青川区"}
    make_template(d / "2021.xlsx", Submission(cover=cover, values=v21))
    for y in (2020, 2021):  # zeros every year; the same numbers two years running
        make_template(
            d / f"zero{y}.xlsx",
            Submission(cover={"agency": "青川区零局", "year": y, "parent": "示例市青川区"}),
        )
    same = {"t3.new_received.natural_person": 1, "t3.granted.natural_person": 1}
    for y in (2021, 2022):
        make_template(
            d / f"same{y}.xlsx",
            Submission(cover={"agency": "青川区照抄局", "year": y, "parent": "示例市青川区"}, values=same),
        )
    db = tmp_path / "x.db"
    assert run("archive", "add", "in", "--db", str(db), cwd=tmp_path).returncode == 0
    df = trend(db, agency="测试局")
    assert isinstance(df, pd.DataFrame)
    row = df.set_index(["key", "year"])
    assert row.loc[("t3.other_processing.total", 2020), "value"] == 2
    assert row.loc[("t3.other_processing.total", 2021), "value"] == 4  # 1 + 0 + 3, as stated
    assert row.loc[("t3.other_processing.total", 2021), "change"] == 2
    assert type(row.loc[("t3.other_processing.total", 2021), "value"]) is int  # exact, never float
    assert row.loc[("t2.admin_licensing.decisions", 2021), "change"] == 50
    for key, year in (
        ("t2.regulations.issued", 2020),
        ("t2.regulations.new_made", 2021),
        ("s6.fee_collected", 2020),
    ):
        assert not row.loc[(key, year), "comparable"] and pd.isna(row.loc[(key, year), "value"])
    assert pd.isna(row.loc[("t2.regulations.issued", 2021), "change"])
    assert list(row.loc[("t3.new_received.total", 2021), ["format"]]) == ["gov-2021"]

    out = run("trend", "--district", "示例市青川区", "--db", str(db), "-o", "t.xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "青川区零局 历年全为0" in out.stderr and "青川区照抄局 与上年数字完全相同" in out.stderr
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    ws = wb["趋势"]
    head = [c.value for c in ws[3]]
    col = {h: i for i, h in enumerate(head)}
    rows = {(r[0].value, r[1].value): [c.value for c in r] for r in ws.iter_rows(min_row=4)}
    issued = rows[("青川区测试局", "规章本年制发（2021年格式）")]
    assert issued[col["2020年"]] == NOT_COMPARABLE and issued[col["2021年"]] == 2
    assert issued[col["2021年比上年"]] == NOT_COMPARABLE
    other = rows[("青川区测试局", "（六）其他处理")]
    assert (other[col["2020年"]], other[col["2021年"]], other[col["2021年比上年"]]) == (2, 4, 2)
    assert sorted(r[0].value for r in wb["提示"].iter_rows(min_row=2)) == ["青川区照抄局", "青川区零局"]
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts and b"<c:lineChart>" in z.read(charts[0])
    js = run("trend", "--agency", "测试局", "--db", str(db), "--format", "json", cwd=tmp_path)
    doc = json.loads(js.stdout)
    assert doc["years"] == [2020, 2021]
    cs = run("trend", "--all", "--db", str(db), "--format", "csv", cwd=tmp_path)
    assert cs.returncode == 0 and cs.stdout.startswith("unit,code,key,figure,year")
    assert run("trend", "--db", str(db), "-o", "x.xlsx", cwd=tmp_path).returncode == 2


def test_summaries_and_reports_are_sources_of_their_own(tmp_path):
    """A district summary is filed under the district (source 'summary'), a published report under
    its agency (source 'report'), next to that agency's workbook of the same year."""
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary

    d = tmp_path / "in"
    d.mkdir()
    workbook(d / "a.xlsx", "青川区甲局", 2024, n=3)
    workbook(d / "b.xlsx", "青川区乙局", 2024, n=4)
    write_summary(merge([d], year=2024, agency="示例市青川区"), tmp_path / "summary.xlsx")
    # files are read in path order: the copy keeps the order the same wherever the clone lives
    ref = tmp_path / "z_report.txt"
    ref.write_bytes((ROOT / "tests" / "fixtures" / "reference" / "000_f97a9d76fb144919.txt").read_bytes())
    with Store(tmp_path / "x.db") as s:
        rs = add_paths(s, [d, tmp_path / "summary.xlsx", ref])
        assert [(r.agency, r.source) for r in rs] == [
            ("青川区甲局", "workbook"),
            ("青川区乙局", "workbook"),
            ("示例市青川区", "summary"),
            ("北京市密云区融媒体中心", "report"),
        ]
        (summary,) = s.current(source="summary")
        assert s.submission(summary.id).all_values()["t3.new_received.total"] == 7
        (rep,) = s.current(source="report")
        assert rep.year == 2023 and s.submission(rep.id).all_values()["t2.normative_documents.in_force"] == 16


def test_an_incomplete_summary_is_said_incomplete(tmp_path):
    """A district summary merged while a roster agency was missing passes its checks, but the
    archive never calls it 通过 alone: archive list and trend say it is incomplete."""
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary
    from toolkit.trend import INCOMPLETE_SUMMARY

    d = tmp_path / "in"
    d.mkdir()
    workbook(d / "a.xlsx", "青川区甲局", 2024, n=3)
    workbook(d / "b.xlsx", "青川区乙局", 2024, n=4)
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "name,code,parent,type\n青川区甲局,,示例市北河区,部门\n青川区乙局,,示例市北河区,部门\n"
        "青川区丙局,,示例市北河区,部门\n",
        encoding="utf-8",
    )
    whole = merge([d], year=2024, agency="示例市青川区")
    part = merge([d], year=2024, agency="示例市北河区", roster=roster)  # 丙局 never sent its report
    assert whole.complete and not part.complete
    write_summary(whole, tmp_path / "青川区汇总.xlsx")
    write_summary(part, tmp_path / "北河区汇总.xlsx")
    db = tmp_path / "x.db"
    with Store(db) as s:
        rs = add_paths(s, [tmp_path / "青川区汇总.xlsx", tmp_path / "北河区汇总.xlsx"])
        assert [(r.source, r.status) for r in rs] == [("summary", "added")] * 2
        got = {v.agency: (v.valid, v.summary_incomplete) for v in s.current(source="summary")}
        assert got == {"示例市青川区": (True, False), "示例市北河区": (True, True)}
        (bh,) = [r for r in rs if r.agency == "示例市北河区"]
        assert "SUMMARY-INCOMPLETE" in {f.code for f in s.findings(bh.version_id)}
    out = run(
        "archive", "add", str(tmp_path / "北河区汇总.xlsx"), "--db", str(tmp_path / "y.db"), cwd=tmp_path
    )
    assert "示例市北河区 2024 汇总表（汇总不完整：有未报送、有错误或未计入汇总的单位）" in out.stdout
    out = run("archive", "list", "--db", str(db), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (qc,) = [ln for ln in out.stdout.splitlines() if "示例市青川区" in ln]
    (bh,) = [ln for ln in out.stdout.splitlines() if "示例市北河区" in ln]
    assert "  通过  " in qc and "不完整" not in qc
    assert "汇总不完整（有未报送、有错误或未计入汇总的单位）" in bh and "通过" not in bh
    js = run("trend", "--all", "--db", str(db), "--format", "json", cwd=tmp_path)
    flags = json.loads(js.stdout)["flags"]
    assert {"unit": "示例市北河区", "flag": INCOMPLETE_SUMMARY, "years": [2024]} in flags
    assert not any(f["unit"] == "示例市青川区" for f in flags)
    assert f"提示：示例市北河区 {INCOMPLETE_SUMMARY}（2024）" in js.stderr


def test_not_an_archive_is_one_line_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("不是数据库" * 200, encoding="utf-8")
    for args in (
        ["archive", "list", "--db", "notes.txt"],
        ["archive", "add", "notes.txt", "--db", "notes.txt"],
        ["trend", "--all", "--db", "missing.db", "--format", "csv"],
        ["archive", "choose", "99", "--db", "missing.db"],
        ["trend", "--all", "--db", "notes.txt", "-o", "notes.txt"],  # never over the archive
    ):
        r = run(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith("错误：") and "Traceback" not in r.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "不是数据库" * 200
    assert not (tmp_path / "missing.db").exists()


def test_schema_is_documented_as_it_is():
    from toolkit.store import SCHEMA

    doc = (ROOT / "docs" / "archive-schema.md").read_text(encoding="utf-8")
    assert SCHEMA.strip() in doc


def test_a_writer_waits_for_another_and_says_so(tmp_path):
    """While another process holds the write lock, archive add says it waits (one line on
    stderr), then stores everything once the lock is free: no "database is locked"."""
    db = tmp_path / "x.db"
    run(
        "archive",
        "add",
        str(workbook(tmp_path / "first.xlsx", "青川区财政局", 2024, CODE_A)),
        "--db",
        str(db),
    )
    second = workbook(tmp_path / "second.xlsx", "青川区教育局", 2024)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long transaction of another writer
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "archive", "add", str(second), "--db", str(db)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_line = p.stderr.readline()  # blocks until the waiting process says so
    assert "正由另一进程写入" in first_line, first_line
    holder.execute("COMMIT")
    holder.close()
    out, err = p.communicate()
    assert p.returncode == 0, out + err
    assert "Traceback" not in err and "locked" not in err
    with Store(db, create=False) as s:
        assert s.stats()["versions"] == 2


def test_two_adds_at_once_both_store_everything(tmp_path):
    db = tmp_path / "x.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = []
    for part in ("a", "b"):
        folder = tmp_path / part
        folder.mkdir()
        for i in range(12):
            workbook(folder / f"{i:02d}.xlsx", f"青川区{part}局{i:02d}", 2024, n=i + 1)
    run("archive", "list", "--db", str(db), cwd=tmp_path)  # not an archive yet: nothing made
    assert not db.exists()
    run("archive", "add", str(workbook(tmp_path / "first.xlsx", "青川区财政局", 2024)), "--db", str(db))
    for part in ("a", "b"):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "toolkit", "archive", "add", part, "--db", str(db)],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, out + err
        assert "Traceback" not in err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM versions").fetchone()[0] == 25
    con.close()


def test_a_figure_beyond_sqlite_integers_is_kept_exactly(tmp_path):
    from decimal import Decimal

    db = tmp_path / "x.db"
    big = 99_999_999_999_999_999_999_999
    sub = Submission(
        cover={"agency": "青川区财政局", "year": 2024}, values={"t3.new_received.natural_person": big}
    )
    with Store(db) as s:
        res = s.add_submission(sub, data=b"x", file_name="x.xlsx", source="workbook")
        assert res.status == "added"
        back = s.submission(res.version_id)
    assert back.values["t3.new_received.natural_person"] == Decimal(big)


def test_a_foreign_sqlite_file_is_left_byte_for_byte(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    before = other.read_bytes()
    from toolkit.store import StoreError

    with pytest.raises(StoreError, match="其他程序"):
        Store(other)
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, -shm, -journal
    with Store(tmp_path / "new.db") as s:  # ours: marked as such in the header
        assert s.db.execute("PRAGMA application_id").fetchone()[0] == 0x5858474B


def test_a_mistyped_code_does_not_split_an_agency(tmp_path):
    """The same agency's 2024 report with its code and its 2025 report with a code that fails its
    check digit (a typing slip): one archive agency, its two years side by side."""
    from tests.serve_process import make_workbook, write_roster
    from toolkit.store import Store, add_paths

    (code,) = write_roster(tmp_path / "r.csv", ["青川区北山镇人民政府"])
    slip = code[:-1] + ("0" if code[-1] != "0" else "1")
    a = make_workbook(tmp_path / "2024.xlsx", "青川区北山镇人民政府", code, year=2024, k=1)
    b = make_workbook(tmp_path / "2025.xlsx", "青川区北山镇人民政府", slip, year=2025, k=2)
    with Store(tmp_path / "a.db") as st:
        add_paths(st, [a, b])
        agencies = st.agencies(query="北山镇")
        assert len(agencies) == 1 and agencies[0].code == code
        assert sorted(v.year for v in st.current(agency_ids=[agencies[0].id])) == [2024, 2025]
