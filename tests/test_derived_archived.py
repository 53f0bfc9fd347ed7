"""A published report whose numbers were partly derived from its table's arithmetic (由合计推算,
IMPORT-DERIVED), archived: the archive kept their values but not that they were derived, so
``xxgk trend`` and ``render --archive`` showed them as read. The archive keeps the mark (a new
cell kind; an archive of before opens unchanged), trend marks them (a mark and a note in the
workbook, ``derived`` in JSON/CSV and the frame), render says last year's figure was derived,
and serve's 同比 does too. Real report texts, the real CLI, the real archive, the real workbook
read back by openpyxl."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.pdf_fixtures import known_values
from tests.report_texts import make_report
from toolkit.cli import main
from toolkit.model import derived_keys
from toolkit.store import Store

ROW = [f"t3.granted.{c}" for c in ("natural_person", "business", "research", "public_welfare")] + [
    f"t3.granted.{c}" for c in ("legal_service", "other_org", "total")
]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _reports(tmp_path: Path) -> tuple[Path, Path, dict]:
    """2023 read whole; 2024 printed without its （一）予以公开 row (derived from （七）总计)."""
    v = known_values(3)
    a = tmp_path / "2023年报告.txt"
    a.write_text(make_report(v, year=2023, agency="示例市青川区测试局"), encoding="utf-8")
    b = tmp_path / "2024年报告.txt"
    b.write_text(
        make_report(v, year=2024, agency="示例市青川区测试局", variants=frozenset({"drop:granted"})),
        encoding="utf-8",
    )
    return a, b, v


def _db(tmp_path: Path) -> tuple[Path, dict]:
    a, b, v = _reports(tmp_path)
    db = tmp_path / "a.db"
    r = run("archive", "add", a, b, "--db", db)
    assert r.exit_code in (0, 1), r.output
    return db, v


def test_the_archive_keeps_which_numbers_were_derived(tmp_path):
    db, v = _db(tmp_path)
    with Store(db, create=False) as s:
        by_year = {x.year: x for x in s.current()}
        sub = s.submission(by_year[2024].id)
        old = s.submission(by_year[2023].id)
    assert derived_keys(sub) == frozenset(ROW)
    assert sub.values["t3.granted.natural_person"] == v["t3.granted.natural_person"]  # the value kept
    assert not derived_keys(old)  # read whole


def test_an_archive_of_before_opens_unchanged_and_has_nothing_derived(tmp_path):
    """An archive written before the mark existed: the same rows without kind 4 (as the last
    release stored an import); it opens, reads and trends as before."""
    db, _v = _db(tmp_path)
    con = sqlite3.connect(db)
    with con:
        con.execute("DELETE FROM cell_values WHERE kind = 4")
    con.close()
    with Store(db, create=False) as s:
        (v,) = [x for x in s.current() if x.year == 2024]
        assert not derived_keys(s.submission(v.id))
    r = run("trend", "--all", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert not any(x["derived"] for x in doc["rows"])


def test_trend_marks_derived_numbers_in_json_csv_and_the_workbook(tmp_path):
    db, v = _db(tmp_path)
    r = run("trend", "--all", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    row = {(x["key"], x["year"]): x for x in doc["rows"]}
    granted = sum(v[k] for k in ROW[:-1])
    assert row[("t3.granted.total", 2024)]["value"] == granted and row[("t3.granted.total", 2024)]["derived"]
    assert not row[("t3.granted.total", 2023)]["derived"]  # read
    assert not row[("t3.new_received.total", 2024)]["derived"]  # read in the same report
    assert not row[("t3.result_total.total", 2024)]["derived"]  # read: the derived row adds up to it
    assert "由表内合计关系推算" in r.stderr  # said on the console too (the 提示 line)
    said = [f for f in doc["flags"] if "推算" in f["flag"]]
    assert [(f["years"], "7 个数字" in f["flag"]) for f in said] == [([2024], True)], said

    r = run("trend", "--all", "--db", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    got = {(x["key"], x["year"]): x["derived"] for x in rows}
    assert got[("t3.granted.total", "2024")] == "True" and got[("t3.granted.total", "2023")] == "False"

    out = tmp_path / "t.xlsx"
    assert run("trend", "--all", "--db", db, "-o", out).exit_code == 0
    from openpyxl import load_workbook

    wb = load_workbook(out)
    ws = wb["趋势"]
    heads = [c.value for c in ws[3]]
    line = next(r for r in ws.iter_rows(min_row=4) if r[1].value == "予以公开")
    c24, c23 = line[heads.index("2024年")], line[heads.index("2023年")]
    assert c24.value == granted and "（推算）" in c24.number_format and c24.font.i  # marked
    assert c23.value == granted and "推算" not in c23.number_format  # read
    change = line[heads.index("2024年比上年")]
    assert change.value == 0 and "（推算）" in change.number_format  # rests on a derived number
    other = next(r for r in ws.iter_rows(min_row=4) if r[1].value == "本年新收申请")
    assert "推算" not in other[heads.index("2024年")].number_format
    notes = " ".join(str(c.value) for c in wb["说明"]["A"])
    assert "标“（推算）”的数字" in notes and "不是从报告中读出的" in notes
    assert any("由表内合计关系推算" in str(c.value) for c in wb["提示"]["B"])


def test_the_frame_has_the_mark(tmp_path):
    from toolkit.trend import trend

    db, _v = _db(tmp_path)
    df = trend(db)
    hit = df[(df.key == "t3.granted.total") & (df.year == 2024)]
    assert list(hit.derived) == [True]
    assert not df[df.year == 2023].derived.any()


def _previous_row(page: str) -> dict[str, str]:
    """serve's 同比（同一批单位） table: last year's cell under each label, as plain text."""
    import re

    table = re.search(r'<table class="figures" id="previous">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    labels = re.findall(r"<th>([^<]*)</th>", rows[0])[1:]
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[2], re.S)]
    return dict(zip(labels, cells, strict=True))


def _season_with_last_year(tmp_path: Path, reports: dict[str, frozenset[str]]):
    """The city of tests.test_regions collecting 2025, and 2024's published reports of some of
    青川区's agencies archived (``reports``: agency -> the 表三 rows its text lacks)."""
    from tests.test_regions import _setup_city

    db, _codes, _by = _setup_city(tmp_path)
    v = known_values(5)
    files = []
    for i, (agency, drop) in enumerate(reports.items()):
        f = tmp_path / f"2024_{i}.txt"
        f.write_text(make_report(v, year=2024, agency=agency, variants=drop), encoding="utf-8")
        files.append(f)
    r = run("archive", "add", *files, "--db", db)
    assert r.exit_code in (0, 1), r.output
    return db, v


def _district_page(db: Path) -> str:
    from tests.test_regions import PASSWORD
    from tests.test_season_trial5 import _client
    from toolkit import regions
    from toolkit.store import WebStore

    with WebStore(db, create=False) as st:
        qc = regions.tree(st, 2025).node_at("青川区")
    return _client(db, "", PASSWORD).get(f"/coord/summary?region={qc.region.id}").get_data(as_text=True)


def test_serves_year_on_year_marks_last_years_derived_figure(tmp_path):
    db, v = _season_with_last_year(tmp_path, {"青川区民政局": frozenset({"drop:result_total"})})
    page = _district_page(db)
    last = _previous_row(page)
    from toolkit.model import compute_totals
    from toolkit.spec import load_spec

    done = compute_totals(load_spec(), v)["t3.result_total.total"]
    assert last["办理完结"] == f"{done}（推算）", last  # derived from its result rows: not read
    assert last["本年新收申请"] == str(compute_totals(load_spec(), v)["t3.new_received.total"])
    assert 'id="same-derived"' in page and "由其表内合计关系推算" in page


def test_serves_year_on_year_says_unknown_never_a_sum_with_0(tmp_path):
    both = frozenset({"drop:granted", "drop:partly_granted"})  # （七）总计 has two unknowns: not derived
    db, v = _season_with_last_year(tmp_path, {"青川区民政局": frozenset(), "青川区司法局": both})
    last = _previous_row(_district_page(db))
    assert last["办理完结"] == "未知", last  # was the sum with 司法局's unknown rows as 0
    from toolkit.model import compute_totals
    from toolkit.spec import load_spec

    assert last["本年新收申请"] == str(2 * compute_totals(load_spec(), v)["t3.new_received.total"])


def test_render_says_last_years_figure_was_derived(tmp_path):
    """render's drafted 依申请公开 sentence states last year's 新收申请 (and 行政复议). Last year's
    archived report derived (not read) the figure: the sentence says so after the number. The
    archived submission is the real one; its derived mark is set on 新收申请's total here, as a
    report read cell by cell gets it (a lone cell of the row not read, its row total read)."""
    from toolkit.narrative import PREVIOUS_DERIVED, draft_paragraphs
    from toolkit.reader import read_workbook

    db, _v = _db(tmp_path)
    with Store(db, create=False) as s:
        (ver,) = [x for x in s.current() if x.year == 2024]
        prev = s.submission(ver.id)
    sub = read_workbook(Path(__file__).resolve().parents[1] / "samples" / "青川区教育委员会.xlsx")
    text = "".join(p.text for p in draft_paragraphs(sub, prev))
    assert "较上年（" in text and PREVIOUS_DERIVED not in text  # 新收申请 was read: said plainly
    prev.meta["derived"] += ",t3.new_received.total"
    text = "".join(p.text for p in draft_paragraphs(sub, prev))
    assert f"{PREVIOUS_DERIVED}）" in text, text
