"""Numbers a file writes where the toolkit expects a small whole number (a row, a style, a
template version, a summary's member list, a roster's year), written as ``²`` (``str.isdigit``
says yes, ``int`` raises) or as 5,000 digits (past Python's conversion limit): each is said in
Chinese or passed over, never a traceback nor Python's English words in a finding."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import openpyxl

from tests.fixtures.build import clean_values
from tests.hostile.proc import run_xxgk
from toolkit.model import Submission
from toolkit.spec import load_spec
from toolkit.template import make_template
from toolkit.uscc import uscc_check_char

BASE = "11110999MB0000001"
LONG = "9" * 5000
ENGLISH = ("Traceback", "invalid literal", "Exceeds the limit", "Error")


def _book(path: Path, name: str = "甲局") -> Path:
    cover = {"agency": name, "code": BASE + uscc_check_char(BASE), "parent": "示例市青川区", "year": 2025}
    return make_template(path, Submission(spec=load_spec(), cover=cover, values=clean_values()))


def _with_meta(src: Path, dst: Path, change: dict[str, str], add: dict[str, str] | None = None) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb["_meta"]
    n = 0
    for a, b in ws.iter_rows(max_col=2):
        n += 1
        if a.value in change:
            b.value = change[a.value]
    for k, v in (add or {}).items():
        n += 1
        ws.cell(n, 1, k)
        ws.cell(n, 2, v)
    wb.save(dst)
    return dst


def _clean(r) -> None:
    out = r.stdout + r.stderr
    assert not any(w in out for w in ENGLISH), out[-3000:]


def test_a_template_version_of_odd_digits_is_said_in_chinese(tmp_path):
    book = _book(tmp_path / "w.xlsx")
    d = tmp_path / "in"
    d.mkdir()
    _with_meta(book, d / "上标.xlsx", {"version": "²"})
    _with_meta(book, d / "长.xlsx", {"version": LONG})
    r = run_xxgk(["validate", str(d)])
    _clean(r)
    assert r.returncode == 1
    assert "模板版本为 ²，当前为" in r.stdout
    assert "模板版本为 " + "9" * 30 + "…，当前为" in r.stdout
    assert LONG not in r.stdout


def test_a_style_number_written_as_a_superscript_reads_as_general(tmp_path):
    book = _book(tmp_path / "w.xlsx")
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/styles.xml"] = re.sub(
        rb'numFmtId="(\d+)"', 'numFmtId="²"'.encode(), parts["xl/styles.xml"], count=3
    )
    odd = tmp_path / "样式.xlsx"
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    r = run_xxgk(["validate", str(odd)])
    _clean(r)
    assert r.returncode == 0, r.stdout


def test_a_forged_summary_member_list_does_not_stop_the_merge(tmp_path):
    """A district summary whose _meta holds ``members.²`` and ``members.<5,000 digits>`` rows (a
    hand-edited or forged summary): the city's merge is made, no traceback."""
    d = tmp_path / "in"
    d.mkdir()
    r = run_xxgk(["merge", str(_book(d / "w.xlsx")), "-o", str(tmp_path / "区.xlsx"), "--year", "2025"])
    assert r.returncode == 0, r.stdout + r.stderr
    up = tmp_path / "市"
    up.mkdir()
    code = BASE + uscc_check_char(BASE)
    _with_meta(
        tmp_path / "区.xlsx",
        up / "区汇总.xlsx",
        {},
        {"members.²": f"{code}\t甲局", f"members.{LONG}": f"{code}\t甲局"},
    )
    r = run_xxgk(["merge", str(up), "-o", str(tmp_path / "市.xlsx"), "--year", "2025"])
    _clean(r)
    assert r.returncode in (0, 1)
    assert (tmp_path / "市.xlsx").exists()


def test_a_roster_year_of_odd_digits_is_no_year(tmp_path):
    roster = tmp_path / "名单.csv"
    roster.write_text(f"name,code,year\n甲局,,²\n乙局,,{LONG}\n", encoding="utf-8")
    r = run_xxgk(
        ["merge", str(_book(tmp_path / "w.xlsx")), "--roster", str(roster), "-o", str(tmp_path / "s.xlsx")]
    )
    _clean(r)
    assert r.returncode in (0, 1)


def test_a_values_file_with_a_superscript_year_makes_no_traceback(tmp_path):
    for i, year in enumerate(("²", LONG)):
        values = tmp_path / f"v{i}.json"
        values.write_text(json.dumps({"cover": {"agency": "甲局", "year": year}}), encoding="utf-8")
        r = run_xxgk(["template", "--values", str(values), "-o", str(tmp_path / f"t{i}.xlsx")])
        _clean(r)
