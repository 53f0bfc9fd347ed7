"""A published report read in part, archived: its numbers not found stay unknown, never 0.

``xxgk import`` leaves a number it cannot find at its label unknown; the archive stored such a
report's figures sparsely (a key not stored is 0), so ``xxgk trend`` showed the unknown 予以公开 as
0 and said the year was "与上年数字完全相同", ``render --archive`` compared this year with a 0 that
was never printed, and last year's unknown 结转 made a PREV-CARRYOVER. Real files, real CLI.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import REFERENCE
from toolkit.cli import main
from toolkit.model import unknown_keys
from toolkit.reader import read_workbook
from toolkit.rules import check_previous
from toolkit.store import Store
from toolkit.template import make_template

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _report(path: Path, year: int, *drop: str) -> Path:
    """The reference report for ``year``; ``drop``: 表三 row labels whose rows are cut out."""
    lines = REFERENCE.read_text(encoding="utf-8").split("\n")
    for label in drop:
        i = next(k for k, ln in enumerate(lines) if ln.strip() == label)
        del lines[i : i + 8]  # the label and its seven cells
    path.write_text("\n".join(lines).replace("2023年", f"{year}年"), encoding="utf-8")
    return path


# two result rows cut: each column's （七）总计 has two unknowns, so neither row is derived from it
# (toolkit.importers.derive); one row alone would be, and said as 由合计推算
BOTH = ("（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）")


def _archive(tmp_path: Path, *reports: Path) -> Path:
    db = tmp_path / "a.db"
    r = run("archive", "add", *reports, "--db", db)
    assert r.exit_code in (0, 1), r.output
    return db


def test_the_archive_keeps_a_reports_numbers_not_found_unknown(tmp_path):
    db = _archive(tmp_path, _report(tmp_path / "2024.txt", 2024, *BOTH))
    with Store(db, create=False) as s:
        (v,) = s.current()
        sub = s.submission(v.id)
    assert "t3.granted.total" in unknown_keys(sub)
    assert "t3.result_total.total" in unknown_keys(sub)  # a total over an unknown number
    assert "t3.new_received.total" not in unknown_keys(sub)


def test_trend_says_unknown_never_0_and_flags_no_copy(tmp_path):
    db = _archive(
        tmp_path,
        _report(tmp_path / "2023.txt", 2023),
        _report(tmp_path / "2024.txt", 2024, *BOTH),
    )
    r = run("trend", "--all", "--db", db, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output[r.output.index("{") :])
    row = {(x["key"], x["year"]): x for x in doc["rows"]}
    assert row[("t3.granted.total", 2024)]["value"] is None
    assert row[("t3.granted.total", 2024)]["comparable"] is True  # the figure exists: not found
    assert row[("t3.granted.total", 2024)]["change"] is None
    assert row[("t3.result_total.total", 2024)]["value"] is None
    assert row[("t3.new_received.total", 2024)]["value"] == 0  # read: a real 0
    assert not any("完全相同" in f["flag"] for f in doc["flags"]), doc["flags"]

    out = tmp_path / "t.xlsx"
    assert run("trend", "--all", "--db", db, "-o", out).exit_code == 0
    with zipfile.ZipFile(out) as z:
        strings = z.read("xl/sharedStrings.xml").decode("utf-8")
    assert ">未知<" in strings  # what the sheet shows in the unknown cell


def test_render_with_the_archive_never_compares_with_an_unknown(tmp_path):
    db = _archive(tmp_path, _report(tmp_path / "2024.txt", 2024, "一、本年新收政府信息公开申请数量"))
    sub = read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx")
    sub.cover["agency"] = "北京市密云区融媒体中心"
    sub.cover["code"] = ""
    src = tmp_path / "2025.xlsx"
    make_template(src, sub)
    out = tmp_path / "r.md"
    r = run("render", src, "-o", out, "--archive", db, "--draft")
    assert r.exit_code in (0, 1), r.output
    assert "已从档案库读取 2024 年度数据 1 份" in r.output  # last year was found ...
    text = out.read_text(encoding="utf-8")
    assert "共收到政府信息公开申请15件" in text
    assert "较上年（0件）" not in text and "与上年（0件）" not in text  # ... and its unknown not taken for 0


def test_last_years_unknown_carry_over_is_no_prev_carryover(tmp_path):
    db = _archive(tmp_path, _report(tmp_path / "2023.txt", 2023, "四、结转下年度继续办理"))
    with Store(db, create=False) as s:
        (v,) = s.current()
        prev = s.submission(v.id)
    from toolkit.importers.report import import_report

    cur = import_report(_report(tmp_path / "2024.txt", 2024)).submission
    cur.values["t3.carried_in.natural_person"] = 3  # last year's 结转 is unknown: nothing to compare
    found = {f.code for f in check_previous(cur, prev)}
    assert "PREV-CARRYOVER" not in found and "PREV-IDENTICAL" not in found


def test_render_refuses_unknown_numbers_and_a_draft_says_unknown(tmp_path):
    """A workbook made by `import -o` from a report read in part: its unknown cells were printed
    as 0 in a report ready to publish (only a warning). Now it is unfinished (exit 1, nothing
    written); the draft's tables say 未知 and no drafted sentence states an unknown number."""
    src = _report(tmp_path / "r.txt", 2023, "一、本年新收政府信息公开申请数量")
    wb = tmp_path / "r.xlsx"
    assert run("import", src, "-o", wb).exit_code == 1
    out = tmp_path / "r.md"
    r = run("render", wb, "-o", out)
    assert r.exit_code == 1 and not out.exists(), r.output
    assert "[VALUE-MISSING]" in r.output and "不能按0公开" in r.output
    for suffix in (".md", ".html", ".docx"):
        out = tmp_path / f"d{suffix}"
        r = run("render", wb, "-o", out, "--draft")
        assert out.exists(), r.output
        if suffix == ".docx":
            import docx

            cells = [c.text for t in docx.Document(str(out)).tables for row in t.rows for c in row.cells]
            assert "未知" in cells
        else:
            assert "未知" in out.read_text(encoding="utf-8")


def test_no_drafted_sentence_states_an_unknown_number(tmp_path):
    from toolkit.importers.report import import_report
    from toolkit.narrative import draft_paragraphs

    sub = import_report(_report(tmp_path / "r.txt", 2023, "一、本年新收政府信息公开申请数量")).submission
    unknown = unknown_keys(sub)
    assert "t3.new_received.total" in unknown
    paragraphs = draft_paragraphs(sub)
    assert paragraphs  # 主动公开, 复议诉讼, fees: known, still written
    for p in paragraphs:
        for s in p.sentences:
            assert not unknown.intersection(s.keys), s.text
    assert not any("共收到政府信息公开申请" in p.text for p in paragraphs)
