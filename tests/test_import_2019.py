"""``xxgk import`` of a report in the 2019 trial format (docs/format-2019.md): the format is told
from the text (the spec's ``detect`` list, else the report year), 表二's five blocks (signed
本年增/减, 采购总金额 in 万元) and 表三's single （六）其他处理 row are read into gov-2019 keys,
driven by the spec; a report read into the other format is a finding, never a crash."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fixtures.build import clean_values
from tests.report_texts import make_report
from toolkit.importers.report import import_report
from toolkit.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "fixtures" / "reference"
STEM = "gov2019_青川区示例局_2020"
S19 = load_spec("gov-2019")
S21 = load_spec("gov-2021")
TRUTH = json.loads((REF / f"{STEM}.json").read_text(encoding="utf-8"), parse_float=Decimal)
PROCUREMENT = "t2.gov_central_procurement.procurement_amount"  # “251000元”: 25.1 万元, said


def cli(*args: str, cwd: Path):
    return run_cli(*args, cwd=cwd, minimal_env=True, timeout=120)


def wrong(res, truth: dict) -> list[tuple[str, object, object]]:
    """Input cells read otherwise than the truth (a zero cell is 0, never unknown)."""
    got = res.submission.values
    return [(k, got.get(k), truth.get(k, 0)) for k in S19.input_keys if got.get(k) != truth.get(k, 0)]


@pytest.mark.parametrize("ext", ["txt", "html"])
def test_hand_made_reports_import_number_for_number(ext):
    p = REF / f"{STEM}.{ext}"
    for spec in (None, S19):  # detected from the text, or asked for: the same reading
        res = import_report(p, spec)
        assert res.submission.spec.id == TRUTH["format"] == "gov-2019"
        assert [(f.code, f.key) for f in res.findings] == [("VALUE-UNIT", PROCUREMENT)]
        assert "换算为 25.1万元" in res.findings[0].message and res.unknown == []
        assert res.found == res.expected == len(S19.numeric_keys)
        assert res.submission.cover["agency"] == TRUTH["cover"]["agency"]
        assert res.submission.cover["year"] == TRUTH["cover"]["year"]
        assert wrong(res, TRUTH["values"]) == []
        assert res.submission.values["t2.admin_licensing.items_change"] == -2  # signed 本年增/减
        assert res.submission.reported["t3.other_processing.total"] == 1  # （六）其他处理: one row
        assert res.identities[0] == res.identities[1] > 0


def test_format_from_the_year_when_no_text_tells(tmp_path):
    """No 表二 (the texts that tell the formats apart are all there): a 2020 report is gov-2019."""
    text = (REF / f"{STEM}.txt").read_text(encoding="utf-8")
    a, b = text.index("二、主动公开"), text.index("三、收到和处理")
    p = tmp_path / "r.txt"
    p.write_text(text[:a] + text[b:], encoding="utf-8")
    res = import_report(p)
    assert res.submission.spec.id == "gov-2019"
    assert {f.key for f in res.findings} == {f"t2.{r}.{cols}" for r, cols in _first_cols(S19).items()}
    assert not any(k.startswith("t3.") or k.startswith("t4.") for k in res.unknown)


def _first_cols(spec) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in spec.cells.values():
        if c.table == "t2":
            out.setdefault(c.row_key, c.col_key)
    return out


def test_spec_mismatch_is_a_finding_never_a_crash(tmp_path):
    # a 2019 report read into gov-2021: 表二 unknown (other columns), 表三's one row into 3.其他
    res = import_report(REF / f"{STEM}.txt", S21)
    assert {f.code for f in res.findings} == {"IMPORT-NOT-FOUND"}
    assert {f.key for f in res.findings} == {f"t2.{r}.{c}" for r, c in _first_cols(S21).items()}
    assert all(k in res.unknown for k in S21.numeric_keys if k.startswith("t2."))
    assert res.submission.values["t3.other_misc.natural_person"] == 1
    # a 2021 report read into gov-2019: 表二 unknown; （六）其他处理 is not one of its rows: unknown,
    # never taken from a sub-item's numbers; every other 表三 number at its label
    values = clean_values()
    p = tmp_path / "r2021.txt"
    p.write_text(make_report(values), encoding="utf-8")
    assert import_report(p).submission.spec.id == "gov-2021"
    res = import_report(p, S19)
    assert {f.code for f in res.findings} == {"IMPORT-NOT-FOUND"}
    assert all(k in res.unknown for k in S19.numeric_keys if k.startswith("t2."))
    truth = {**values}
    got = res.submission.values
    for k in S19.input_keys:
        if k.startswith("t3.") and ".other_processing." not in k:
            assert got[k] == truth.get(k, 0), k
    assert all(k not in got for k in S19.input_keys if ".other_processing." in k)
    assert any("t3.other_processing" in (f.key or "") for f in res.findings)


def test_import_writes_a_gov2019_workbook_that_validate_accepts_and_archive_files(tmp_path):
    src = tmp_path / "r.txt"
    src.write_bytes((REF / f"{STEM}.txt").read_bytes())
    r = cli("import", "r.txt", "-o", "r.xlsx", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["format"] == "gov-2019" and doc["unknown"] == [] and doc["confidence"] == 1.0
    v = cli("validate", "r.xlsx", "--format", "json", cwd=tmp_path)
    assert v.returncode == 0, v.stdout + v.stderr
    f = json.loads(v.stdout)["files"][0]
    assert f["format"] == "gov-2019" and not [x for x in f["findings"] if x["severity"] == "error"]

    v = cli("validate", "r.txt", "--format", "json", cwd=tmp_path)  # the report itself, in one step
    assert v.returncode == 0, v.stdout + v.stderr
    f = json.loads(v.stdout)["files"][0]
    assert f["format"] == "gov-2019" and [(x["code"], x["severity"]) for x in f["findings"]] == [
        ("VALUE-UNIT", "warning")  # 251000元 read as 25.1 万元
    ]

    # the published report is wrong: findings there, and only there
    text = src.read_text(encoding="utf-8").replace(
        "\t一、本年新收政府信息公开申请数量\n\t5\n\t\n\t\n\t\n\t1\n\t\n\t6",
        "\t一、本年新收政府信息公开申请数量\n\t5\n\t\n\t\n\t\n\t1\n\t\n\t9",
    )
    assert text != src.read_text(encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(text, encoding="utf-8")
    out = cli("import", "bad.txt", "-o", "bad.xlsx", cwd=tmp_path)
    assert out.returncode == 0
    # a report that leaves its zeros blank: one counted line for a person, not 158 (JSON keeps each)
    lines = out.stdout.strip().splitlines()
    assert len(lines) <= 8 and sum("空白单元格按0计：共 158 个" in x for x in lines) == 1, lines
    assert sum(n.endswith("空白单元格按0计") for n in doc["notes"]) == 158
    v = cli("validate", "bad.xlsx", "--format", "json", cwd=tmp_path)
    assert v.returncode == 1
    got = {
        (x["code"], x["cell"])
        for x in json.loads(v.stdout)["files"][0]["findings"]
        if x["severity"] == "error"
    }
    assert ("T3-ROW-TOTAL", S19.cells["t3.new_received.total"].a1) in got
    # the printed total is kept as printed (FORMULA-OVERWRITTEN says so at that cell); the balance
    # of the 总计 column fails at 结转; nothing anywhere else
    assert {c for c, _ in got} <= {"T3-ROW-TOTAL", "T3-BALANCE", "FORMULA-OVERWRITTEN"}
    assert {cell for _, cell in got} <= {
        S19.cells[f"t3.{r}.total"].a1 for r in ("new_received", "carried_out")
    }

    v = cli("validate", "bad.txt", "--format", "json", cwd=tmp_path)
    assert v.returncode == 1
    assert ("T3-ROW-TOTAL", S19.cells["t3.new_received.total"].a1) in {
        (x["code"], x["cell"]) for x in json.loads(v.stdout)["files"][0]["findings"]
    }

    db = tmp_path / "x.db"
    a = cli("archive", "add", "r.txt", "--db", str(db), cwd=tmp_path)
    assert a.returncode == 0, a.stdout + a.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT format FROM versions").fetchall() == [("gov-2019",)]


def test_rendered_2019_reports_import_back_from_pdf(tmp_path, soffice, pdftotext):
    """A gov-2019 report rendered by ``xxgk render`` (.docx), laid out so that labels wrap with
    the numbers on their last line, converted to PDF by LibreOffice: every number comes back, also
    from its ``pdftotext -layout`` text; without -layout (columns listed apart) none is wrong."""
    from tests.office import convert
    from tests.pdf_fixtures import LAYOUTS, _apply
    from tests.test_format_2019 import sub_2019
    from toolkit.outputs.render import render

    sub = sub_2019(agency="青川区测试局", **{"t2.other_external_services.items_change": 5})
    made = []
    for lay in [x for x in LAYOUTS if x.name in ("landscape-big-bottom", "a5")]:
        d = tmp_path / f"r_{lay.name}.docx"
        render(sub, d)
        _apply(d, lay, "青川区测试局", 2020)
        made.append(d)
    for pdf in convert(made, tmp_path / "pdf", "pdf", recalc=False):
        res = import_report(pdf)
        assert res.source_kind == "pdf" and res.submission.spec.id == "gov-2019", pdf.name
        assert res.findings == [] and res.unknown == [], pdf.name
        assert wrong(res, sub.values) == [], pdf.name
        truth = sub.all_values()
        for opt in (["-layout"], []):
            txt = tmp_path / f"{pdf.stem}{len(opt)}.txt"
            subprocess.run([pdftotext, *opt, str(pdf), str(txt)], check=True, timeout=60)
            res = import_report(txt)
            got = {**res.submission.values, **res.submission.reported}
            assert {k: v for k, v in got.items() if k in res.submission.where and v != truth[k]} == {}
            if opt:
                assert res.unknown == [] and wrong(res, sub.values) == [], txt.name


def test_a_spec_the_report_does_not_follow_gives_findings(tmp_path):
    """The reader follows the spec's labels, rows and columns: a format whose row label is not in
    the report leaves that row unknown (a finding); other column keys are read at their place."""
    from toolkit.spec import parse_spec

    yaml = (ROOT / "workbook_templates" / "gov-2019.yaml").read_text(encoding="utf-8")
    p = REF / f"{STEM}.txt"
    other_label = parse_spec(yaml.replace("path: [规章]}", "path: [地方政府规章]}").encode())
    res = import_report(p, other_label)
    assert [(f.code, f.key) for f in res.findings] == [
        ("IMPORT-NOT-FOUND", "t2.regulations.new_made"),
        ("VALUE-UNIT", PROCUREMENT),
    ]
    assert sorted(res.unknown) == sorted(
        k for k in other_label.numeric_keys if k.startswith("t2.regulations.")
    )
    renamed = parse_spec(yaml.replace("natural_person", "individual").encode())
    res = import_report(p, renamed)
    assert [f.code for f in res.findings] == ["VALUE-UNIT"]
    assert res.submission.values["t3.other_processing.individual"] == 1


@pytest.mark.parametrize(
    ("cell", "head", "said"),
    [
        ("251000元", "采购总金额", "换算"),  # the unit in the cell: 元 converted, said
        ("25.1万元", "采购总金额", None),
        ("25.1", "采购总金额（万元）", None),  # the unit in the column's header
        ("251000", "采购总金额（单位：元）", "换算"),
    ],
)
def test_2019_procurement_amount_is_read_in_wan_yuan_whatever_unit_the_report_wrote(cell, head, said):
    """采购总金额 has no unit in the 2019 form; reports write 元 or 万元, in the cell or its header.
    Read, it is one unit — 万元, the unit the form's workbook and the rendered report state — so a
    summary never adds 251000 (元) to 25.1 (万元). Before, “251000元” was read as 251000 and
    “25.1” under 采购总金额（万元） as 25.1: two reports of one amount, two numbers."""

    html = (REF / f"{STEM}.html").read_text(encoding="utf-8")
    html = html.replace("<td>251000元</td>", f"<td>{cell}</td>").replace(
        "<td>采购总金额</td>", f"<td>{head}</td>"
    )
    key = "t2.gov_central_procurement.procurement_amount"
    res = import_report_text(html)
    assert res.submission.spec.id == "gov-2019" and res.unknown == []
    assert res.submission.values[key] == Decimal("25.1")
    unit = [f for f in res.findings if f.code == "VALUE-UNIT"]
    if said is None:
        assert unit == [] and res.findings == []
    else:
        (f,) = unit
        assert f.key == key and f.severity == "warning" and said in f.message and "万元" in f.message


def test_2019_procurement_amount_without_a_unit_anywhere_is_unknown_not_guessed():
    """No unit in the cell nor in its header (the 2019 format states none): 元 or 万元 cannot be
    told, so the amount is unknown (never 0, never taken as either), said at its cell."""
    html = (REF / f"{STEM}.html").read_text(encoding="utf-8").replace("<td>251000元</td>", "<td>25.1</td>")
    key = "t2.gov_central_procurement.procurement_amount"
    res = import_report_text(html)
    assert res.unknown == [key] and key not in res.submission.values
    (f,) = [f for f in res.findings if f.key == key]
    assert f.code == "IMPORT-NOT-FOUND" and "未注明单位" in f.message and "“25.1”" in f.message


def import_report_text(html: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.html"
        p.write_text(html, encoding="utf-8")
        return import_report(p)


def test_2019_procurement_amount_says_wan_yuan_in_the_form_and_every_rendered_report(
    soffice, chromium, tmp_path
):
    """The 2019 workbook asks for 采购总金额 in 万元; the rendered report heads its column
    采购总金额（万元） in .docx, .html and .md; each, printed (LibreOffice, Chromium) or as it is,
    reads back as the same 万元 figure without a unit warning."""

    from openpyxl import load_workbook

    from tests.office import chromium_print, convert
    from tests.test_format_2019 import sub_2019
    from toolkit.outputs.render import render
    from toolkit.template import make_template

    key = "t2.gov_central_procurement.procurement_amount"
    sub = sub_2019(2020, "青川区测试局", **{key: Decimal("25.1")})
    sub.texts = {"overview": "本局认真贯彻落实《条例》。", "problems": "无。", "other_matters": "无。"}
    wb = load_workbook(make_template(tmp_path / "2020.xlsx", sub))
    guide = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    assert "采购总金额以万元填写" in guide
    outs = [render(sub, tmp_path / f"r{s}") for s in (".docx", ".html", ".md")]
    assert "采购总金额（万元）" in outs[2].read_text(encoding="utf-8")
    assert "采购总金额（万元）" in outs[1].read_text(encoding="utf-8")
    (lo,) = convert([outs[0]], tmp_path / "pdf", "pdf", recalc=False)
    ch = chromium_print(chromium, outs[1], tmp_path / "r_chromium.pdf")
    for source in (*outs, lo, ch):
        res = import_report(source)
        assert res.submission.values[key] == Decimal("25.1"), source.name
        assert not [f for f in res.findings if f.code == "VALUE-UNIT"], (source.name, res.findings)
