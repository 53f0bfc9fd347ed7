"""The 2019 trial format (gov-2019) as data: template, read back (also after LibreOffice), validate,
merge, render; format detection by ``_meta``, the FORMAT-YEAR note for a report in the other
year's layout, and the stated mapping for comparisons with gov-2021."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import run_cli
from tests.office import recalc_and_save
from toolkit.merge import merge
from toolkit.model import Submission
from toolkit.outputs.render import render
from toolkit.reader import read_file
from toolkit.rules import check_submission
from toolkit.spec import comparison_map, detect_format, load_spec, spec_for_year
from toolkit.template import make_template

ROOT = Path(__file__).resolve().parent.parent
S19 = load_spec("gov-2019")
S21 = load_spec("gov-2021")


def values_2019(n: int = 3) -> dict:
    """A consistent 2019 report: every applicant column balances; signed changes; an amount."""
    v: dict = {
        "t2.regulations.new_made": 1,
        "t2.normative_documents.total_published": 12,
        "t2.admin_licensing.items_prev_year": 40,
        "t2.admin_licensing.items_change": -3,  # 本年增/减: a decrease
        "t2.admin_licensing.decisions": 250,
        "t2.admin_fees.items_change": 2,
        "t2.gov_central_procurement.procurement_projects": 4,
        "t2.gov_central_procurement.procurement_amount": Decimal("251000.5"),
        "t4.review_upheld": 1,
    }
    for col in ("natural_person", "business"):
        v[f"t3.new_received.{col}"] = n
        v[f"t3.carried_in.{col}"] = 1
        v[f"t3.granted.{col}"] = n - 1
        v[f"t3.other_processing.{col}"] = 1
        v[f"t3.carried_out.{col}"] = 1
    return v


def sub_2019(year: int = 2020, agency: str = "青川区测试局", **kw) -> Submission:
    return Submission(
        spec=S19,
        cover={"agency": agency, "year": year, "parent": "示例市青川区"},
        values={**values_2019(), **kw},
    )


def cli(*args: str, cwd: Path):
    return run_cli(*args, cwd=cwd, minimal_env=True, timeout=120)


def test_spec_shape():
    t2 = [lab.text for lab in S19.labels_on("表二") if lab.role == "caption"]
    assert t2 == [f"第二十条第（{n}）项" for n in ("一", "五", "六", "八", "九")]
    rows = {c.row_key for c in S19.cells.values() if c.table == "t3"}
    assert len(rows) == 23 and "other_processing" in rows and "other_misc" not in rows
    assert S19.cells["t2.admin_licensing.items_change"].type.signed
    assert not S19.cells["t2.admin_licensing.decisions"].type.signed
    assert S19.fees == () and "fees" not in S19.sheets and not any(k.startswith("s6.") for k in S19.cells)
    assert "S6-FEES" not in S19.rules and "T3-BALANCE" in S19.rules
    # the same keys as 2021 where the meaning is the same
    assert set(k for k in S19.cells if k.startswith("t4.")) == set(
        k for k in S21.cells if k.startswith("t4.")
    )
    assert spec_for_year(2019) is S19 and spec_for_year(2020) is S19 and spec_for_year(2021) is S21


def test_comparison_map_is_stated_not_guessed():
    m = comparison_map(S19, S21)
    t2 = sorted(k for k in m if k.startswith("t2."))
    assert t2 == ["t2.admin_coercion.decisions", "t2.admin_licensing.decisions", "t2.admin_penalty.decisions"]
    assert m["t3.other_processing.total"] == (
        ("t3.other_processing.total",),
        ("t3.other_no_correction.total", "t3.other_fee_unpaid.total", "t3.other_misc.total"),
    )
    assert all(k in m for k in S19.numeric_keys if k.startswith(("t3.", "t4.")))
    assert not any(k.startswith("s6.") for k in m)
    # the reverse direction states the same pairs the other way round
    r = comparison_map(S21, S19)
    assert r["t3.other_processing.total"] == tuple(reversed(m["t3.other_processing.total"]))


def test_detect_format_from_text():
    assert detect_format("第二十条第（九）项 政府集中采购 采购项目数量 采购总金额") is S19
    assert detect_format("本年制发件数 本年废止件数 现行有效件数") is S21
    assert detect_format("与格式无关的文字") is None


def test_roundtrip_libreoffice_validate_render(tmp_path, soffice):
    src = tmp_path / "src"
    src.mkdir()
    good = make_template(src / "good.xlsx", sub_2019())
    bad_vals = values_2019()
    bad_vals["t3.carried_out.natural_person"] = 3  # balance off by 2
    bad_vals["t2.admin_licensing.decisions"] = -1  # a count may not be negative
    bad = make_template(
        src / "bad.xlsx", Submission(spec=S19, cover={"agency": "乙局", "year": 2020}, values=bad_vals)
    )
    wb = openpyxl.load_workbook(good, read_only=True)
    assert "信息处理费" not in wb.sheetnames
    meta = {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}
    assert meta["format"] == "gov-2019"
    wb.close()
    lo = recalc_and_save([good, bad], tmp_path / "lo")  # one soffice call for both
    # the workbook's own 校验 sheet, as LibreOffice computes it, agrees: a negative 本年增/减 is fine
    verdicts = [openpyxl.load_workbook(p, data_only=True)["校验"]["B2"].value for p in lo]
    assert verdicts[0] == "全部通过" and verdicts[1].startswith("有 "), verdicts
    for path in (good, *lo[:1]):
        r = read_file(path)
        assert r.submission is not None and r.submission.spec is S19, r.findings
        assert not [f for f in r.findings if f.severity == "error"], r.findings
        got = r.submission.all_values()
        assert got["t2.admin_licensing.items_change"] == -3
        assert got["t2.gov_central_procurement.procurement_amount"] == Decimal("251000.5")
        assert got["t3.result_total.total"] == 6 and got["t3.other_processing.total"] == 2
        assert check_submission(r.submission) == []
    out = cli("validate", "src/bad.xlsx", "lo/bad.xlsx", "--format", "json", "--year", "2020", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    for f in json.loads(out.stdout)["files"]:
        assert f["format"] == "gov-2019"
        got = {(x["code"], x["cell"]) for x in f["findings"]}
        bal = S19.cells["t3.carried_out.natural_person"].a1
        assert ("T3-BALANCE", bal) in got
        assert ("VALUE-NEGATIVE", S19.cells["t2.admin_licensing.decisions"].a1) in got
        assert not any(
            c == "VALUE-NEGATIVE" and cell == S19.cells["t2.admin_licensing.items_change"].a1
            for c, cell in got
        )
    # the publishable report: table 二's five blocks, the single （六） row, no fee figures
    html = render(read_file(good).submission, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "第二十条第（九）项" in html and "本年增/减" in html and "-3" in html
    assert "（六）其他处理" in html and "逾期不补正" not in html and "收费通知" not in html
    docx = render(read_file(good).submission, tmp_path / "r.docx")
    assert docx.stat().st_size > 0


def test_template_cli_and_format_year_note(tmp_path):
    r = cli(
        "template", "--format", "gov-2019", "--year", "2020", "--agency", "甲局", "-o", "a.xlsx", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    r = cli("template", "--year", "2019", "--agency", "乙局", "-o", "b.xlsx", cwd=tmp_path)  # by year
    assert r.returncode == 0, r.stderr
    # a 2020 report in the 2021 layout, and a 2021 report in the 2019 layout: read as what they are
    make_template(tmp_path / "c.xlsx", Submission(spec=S21, cover={"agency": "丙局", "year": 2020}))
    make_template(tmp_path / "d.xlsx", Submission(spec=S19, cover={"agency": "丁局", "year": 2021}))
    files = {}
    for name, year in (("a.xlsx", 2020), ("b.xlsx", 2019), ("c.xlsx", 2020), ("d.xlsx", 2021)):
        out = cli("validate", name, "--year", str(year), "--format", "json", cwd=tmp_path)
        # a workbook in the other year's layout cannot be counted in its year's summary: an error
        assert out.returncode == (1 if name in ("c.xlsx", "d.xlsx") else 0), out.stdout + out.stderr
        files.update({Path(f["file"]).name: f for f in json.loads(out.stdout)["files"]})
    assert {n: f["format"] for n, f in files.items()} == {
        "a.xlsx": "gov-2019",
        "b.xlsx": "gov-2019",
        "c.xlsx": "gov-2021",
        "d.xlsx": "gov-2019",
    }
    # fresh templates, in either format: all zero, no texts — a hint that they look unfilled
    for f in files.values():
        assert [x["severity"] for x in f["findings"] if x["code"] == "REPORT-UNFILLED"] == ["warning"]
        f["findings"] = [x for x in f["findings"] if x["code"] != "REPORT-UNFILLED"]
    for n in ("a.xlsx", "b.xlsx"):
        assert files[n]["findings"] == []
    for n, want in (("c.xlsx", ("gov-2019", "gov-2021")), ("d.xlsx", ("gov-2021", "gov-2019"))):
        (f,) = files[n]["findings"]
        assert (f["code"], f["cell"], f["severity"]) == ("FORMAT-YEAR", "B6", "error")
        assert (f["expected"], f["actual"]) == want
        # said as a clerk reads it: the layouts by their names, what to do, no command line
        assert "汇总不能计入" in f["message"] and "下载" in f["message"]
        assert not any(w in f["message"] for w in ("xxgk", "--", "gov-20"))


def test_merge_2019_in_one_format(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    make_template(d / "a.xlsx", sub_2019(agency="甲局"))
    make_template(d / "b.xlsx", sub_2019(agency="乙局"))
    make_template(d / "c.xlsx", Submission(spec=S21, cover={"agency": "丙局", "year": 2020}))
    s = merge([d], year=2020, spec=spec_for_year(2020), agency="示例市青川区")
    assert s.spec is S19 and len(s.included) == 2
    v = s.submission.all_values()
    assert v["t2.admin_licensing.items_change"] == -6
    assert v["t2.gov_central_procurement.procurement_amount"] == Decimal("502001")
    assert v["t3.other_processing.total"] == 4
    # the 2021-layout file is not summed into a 2019 summary: it is named, never mixed
    (rep,) = [r for r in s.reports if r.file.endswith("c.xlsx")]
    assert [f.code for f in rep.findings] == ["TEMPLATE-UNKNOWN"]
    out = tmp_path / "summary.xlsx"
    r = cli("merge", "in", "--year", "2020", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 1 and out.exists()  # exit 1: one file left out
    back = read_file(out)
    assert back.submission.spec is S19 and back.submission.all_values()["t3.other_processing.total"] == 4
    # no --year: the year and the format the files carry (not the 2021 format, refusing them all)
    (tmp_path / "roster.csv").write_text("name\n甲局\n乙局\n", encoding="utf-8")
    (d / "c.xlsx").unlink()
    plain = cli("merge", "in", "--roster", "roster.csv", "-o", "plain.xlsx", cwd=tmp_path)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    got = read_file(tmp_path / "plain.xlsx").submission
    assert got.spec is S19 and got.year == 2020 and got.all_values()["t3.other_processing.total"] == 4
    assert merge([d]).spec is S19  # the Python API likewise


@pytest.mark.parametrize("year", [2019, 2020])
def test_values_json_roundtrip(tmp_path, year):
    sub = sub_2019(year=year)
    make_template(tmp_path / "x.xlsx", sub)
    doc = read_file(tmp_path / "x.xlsx").submission.to_values_json()
    assert doc["format"] == "gov-2019"
    (tmp_path / "x.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = cli("template", "--format", "gov-2019", "--values", "x.json", "-o", "y.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert read_file(tmp_path / "y.xlsx").submission.all_values() == sub.all_values()


REF = ROOT / "tests" / "fixtures" / "reference"


@pytest.mark.parametrize("suffix", ["txt", "html"])
def test_published_2019_reports_are_told_apart(suffix):
    """Hand-made published reports in the 2019 layout (flattened text, an HTML page) are detected
    as gov-2019 by the format's own detection texts; the 2021 reference report as gov-2021. The
    .json next to them holds the figures they state (for the importer)."""
    text = (REF / f"gov2019_青川区示例局_2020.{suffix}").read_text(encoding="utf-8")
    assert detect_format(text) is S19
    assert detect_format((REF / "000_f97a9d76fb144919.txt").read_text(encoding="utf-8")) is S21


def test_published_2019_figures_are_consistent(tmp_path):
    from toolkit.values import load_values

    sub = load_values(REF / "gov2019_青川区示例局_2020.json", S19)
    assert check_submission(sub) == []
    v = sub.all_values()
    assert v["t3.result_total.total"] == 7 and v["t2.admin_licensing.items_change"] == -2
    # the figures printed in the text are these (every table cell of the text, in order)
    text = (REF / "gov2019_青川区示例局_2020.txt").read_text(encoding="utf-8")
    assert "\t-2\n" in text and "\t251000元\n" in text and "（六）其他处理\n\t1\n" in text
    make_template(tmp_path / "r.xlsx", sub)
    assert read_file(tmp_path / "r.xlsx").submission.all_values() == v
