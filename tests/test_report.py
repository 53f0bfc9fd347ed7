"""``xxgk render`` and ``xxgk import``: the publishable report and reports already published."""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tests.conftest import REFERENCE
from tests.fixtures.build import clean_values
from tests.office import chromium_print, convert
from tests.report_texts import make_report
from toolkit.cli import main
from toolkit.importers.report import import_report
from toolkit.model import Submission
from toolkit.outputs.render import render
from toolkit.reader import read_workbook
from toolkit.spec import load_spec
from toolkit.template import make_template

SPEC = load_spec()
SEED = REFERENCE


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _inputs(values: dict) -> dict:
    return {k: values.get(k, 0) for k in SPEC.input_keys}


def test_the_seed_imports_exactly():
    res = import_report(SEED)
    sub = res.submission
    assert (sub.agency, sub.year) == ("北京市密云区融媒体中心", 2023)
    assert res.findings == [] and res.confidence == 1.0
    expected = {k: 0 for k in SPEC.input_keys}
    expected["t2.normative_documents.in_force"] = 16
    assert sub.values == expected  # every number, including all the zeros
    assert set(sub.reported) == set(SPEC.total_keys) and not any(sub.reported.values())
    assert sub.texts["other_matters"].endswith("发出收费通知0件，总金额0元，实际收取的总金额0元。")
    assert sub.texts["overview"].startswith("（一）组织领导")


def test_rows_a_province_adds_are_noted_never_added_in(tmp_path):
    """A published report with rows the national form lacks (表二 行政确认, 表三 （五）6.): each is
    named in a note with its numbers, and every number of the form reads as before."""
    text = SEED.read_text(encoding="utf-8")
    five = text.index("5.要求行政机关确认或重新出具已获取信息")
    end = five + text[five : text.index("（六）其他处理", five)].rindex("\n\n") + 2
    extra3 = "\t\n\t\n\t6.其他不予处理情形\n\t2\n\t0\n\t0\n\t0\n\t0\n\t0\n\t2\n\n"
    text = text[:end] + extra3 + text[end:]
    assert "\t行政强制\n\t0\n" in text
    text = text.replace("\t行政强制\n\t0\n", "\t行政强制\n\t0\n\n\t行政确认\n\t7\n", 1)
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    res, seed = import_report(p), import_report(SEED)
    assert res.submission.values == seed.submission.values and res.findings == []
    extra = [n for n in res.notes if "本格式没有的一行" in n]
    assert len(extra) == 2, res.notes
    assert "表二" in extra[0] and "行政确认" in extra[0] and "7" in extra[0]
    assert "表三" in extra[1] and "其他不予处理情形" in extra[1] and "2 0 0 0 0 0 2" in extra[1]
    assert not [n for n in seed.notes if "本格式没有的一行" in n]  # the plain report: none


def test_seed_import_then_render_reproduces_its_tables(tmp_path):
    assert run("import", SEED, "-o", tmp_path / "miyun.xlsx").exit_code == 0
    assert run("render", tmp_path / "miyun.xlsx", "-o", tmp_path / "report.md").exit_code == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# 北京市密云区融媒体中心\n\n## 2023年政府信息公开工作年度报告")
    assert "| 行政规范性文件 | 0 | 0 | 16 |" in md
    assert "| 规章 | 0 | 0 | 0 |" in md
    assert "| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |" in md
    t3_rows = [ln for ln in md.splitlines() if re.fullmatch(r"\| [^|]+ (\| 0 ){7}\|", ln)]
    assert len(t3_rows) == 25  # all 25 rows of 表三, seven zeros each
    assert "| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |" in md  # the 15 columns of 表四
    assert "发出收费通知0件，总金额0元，实际收取的总金额0元。" in md
    # and the markdown itself imports back to the same numbers
    assert import_report(tmp_path / "report.md").submission.values == import_report(SEED).submission.values


@pytest.mark.parametrize(
    ("layout", "variants"),
    [
        ("flat", ()),
        ("columns", ()),
        ("flat", ("subtotals",)),
        ("columns", ("subtotals", "xiaoji")),
        ("flat", ("xiaoji",)),
    ],
)
def test_layouts_and_local_variants_import_the_same_numbers(tmp_path, layout, variants):
    values = clean_values()
    values.update(
        {"s6.fee_notices": 2, "s6.fee_notified": Decimal("150.5"), "s6.fee_collected": Decimal("100.25")}
    )
    p = tmp_path / "r.txt"
    p.write_text(make_report(values, layout=layout, variants=frozenset(variants)), encoding="utf-8")
    res = import_report(p)
    assert [f.code for f in res.findings] == []
    assert res.submission.values == _inputs(values)
    assert res.confidence == 1.0
    if variants:
        assert res.notes  # the import says which local variant it recognised
    assert not [n for n in res.notes if "本格式没有的一行" in n]  # a known variant is no extra row


def test_single_other_row_of_the_2019_style(tmp_path):
    values = clean_values()
    p = tmp_path / "r.txt"
    p.write_text(make_report(values, variants=frozenset({"single_other"})), encoding="utf-8")
    res = import_report(p)
    assert res.findings == []
    got = res.submission.values
    for col in ("natural_person", "business"):
        assert got[f"t3.other_misc.{col}"] == sum(
            values.get(f"t3.{k}.{col}", 0) for k in ("other_no_correction", "other_fee_unpaid", "other_misc")
        )
        assert got[f"t3.other_no_correction.{col}"] == 0
    assert any("（六）其他处理" in n for n in res.notes)


def test_a_missing_row_is_reported_and_never_shifts_the_next(tmp_path):
    values = clean_values()
    values["t3.rejected_duplicate.natural_person"] = 7
    values["t3.rejected_publication.natural_person"] = 3
    p = tmp_path / "r.txt"
    p.write_text(make_report(values, variants=frozenset({"drop:rejected_duplicate"})), encoding="utf-8")
    res = import_report(p)
    # not read; every other number of its columns' （七）总计 was, so it is derived from them and
    # said so (“未找到” and 由合计推算), never counted as read (toolkit.importers.derive)
    assert [(f.code, f.key) for f in res.findings] == [
        ("IMPORT-DERIVED", "t3.rejected_duplicate.natural_person")
    ]
    assert "未找到" in res.findings[0].message and "由合计推算" in res.findings[0].message
    assert res.submission.values["t3.rejected_duplicate.natural_person"] == 7
    assert res.submission.where["t3.rejected_duplicate.natural_person"] == "由合计推算"
    assert res.submission.values["t3.rejected_publication.natural_person"] == 3  # read at its own label
    assert res.confidence < 1.0
    r = run("import", p, "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["confidence"] < 1 and doc["findings"][0]["code"] == "IMPORT-DERIVED"
    assert doc["derived"] == [
        k for k in res.submission.spec.numeric_keys if k.startswith("t3.rejected_duplicate.")
    ]
    # with the 表三 column totals not printed either, nothing fixes the row: unknown, as before
    p.write_text(
        make_report(values, variants=frozenset({"drop:rejected_duplicate", "drop:result_total"})),
        encoding="utf-8",
    )
    res = import_report(p)
    assert "t3.rejected_duplicate.natural_person" not in res.submission.values and res.derived == []
    assert ("IMPORT-NOT-FOUND", "t3.rejected_duplicate.natural_person") in [
        (f.code, f.key) for f in res.findings
    ]


def test_validate_finds_a_published_arithmetic_error_in_table_4(tmp_path):
    values = clean_values()
    p = tmp_path / "published.txt"
    p.write_text(make_report(values, layout="columns", reported={"t4.review_total": 5}), encoding="utf-8")
    r = run("validate", p, "--format", "json")
    assert r.exit_code == 1
    found = {(f["code"], f["key"]) for f in json.loads(r.stdout)["files"][0]["findings"]}
    assert found == {("T4-TOTAL", "t4.review_total")}


def test_narrative_that_contradicts_the_table(tmp_path):
    values = clean_values()  # 26 new applications in 表三
    p = tmp_path / "r.txt"
    p.write_text(
        make_report(values, overview="2025年，全年共受理政府信息公开申请17件，均按时答复。"), encoding="utf-8"
    )
    res = import_report(p)
    mism = [f for f in res.findings if f.code == "TEXT-TABLE-MISMATCH"]
    assert len(mism) == 1 and "全年共受理政府信息公开申请17件" in mism[0].message
    assert (mism[0].expected, mism[0].actual) == (26, 17)
    p.write_text(make_report(values, overview="全年共受理政府信息公开申请26件。"), encoding="utf-8")
    assert not [f for f in import_report(p).findings if f.code == "TEXT-TABLE-MISMATCH"]


@pytest.mark.parametrize("suffix", [".html", ".docx", ".md"])
def test_render_then_import_round_trip(tmp_path, suffix):
    values = clean_values()
    values.update({"s6.fee_notices": 1, "s6.fee_notified": Decimal("20"), "s6.fee_collected": Decimal("20")})
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=values,
        texts={"overview": "全年共收到政府信息公开申请26件。", "problems": "还需改进。"},
    )
    out = render(sub, tmp_path / f"report{suffix}")
    res = import_report(out)
    assert res.findings == [], [f.message for f in res.findings]
    assert res.submission.values == _inputs(values)
    assert (res.submission.agency, res.submission.year) == ("示例市青川区测试局", 2025)


def test_import_template_export_render_keeps_every_number(tmp_path):
    values = clean_values()
    p = tmp_path / "r.txt"
    p.write_text(make_report(values, layout="columns"), encoding="utf-8")
    assert run("import", p, "-o", tmp_path / "w.xlsx").exit_code == 0
    r = run("export", tmp_path / "w.xlsx")
    (tmp_path / "v.json").write_text(r.stdout, encoding="utf-8")
    assert run("template", "--values", tmp_path / "v.json", "-o", tmp_path / "w2.xlsx").exit_code == 0
    assert run("render", tmp_path / "w2.xlsx", "-o", tmp_path / "final.md").exit_code == 0
    assert import_report(tmp_path / "final.md").submission.values == _inputs(values)
    assert read_workbook(tmp_path / "w2.xlsx").all_values() == Submission(values=values).all_values()


def test_render_refuses_unknown_formats_and_reports_errors(tmp_path):
    make_template(
        tmp_path / "bad.xlsx",
        Submission(cover={"agency": "甲", "year": 2025}, values={"t3.new_received.natural_person": 2}),
    )
    r = run("render", tmp_path / "bad.xlsx", "-o", tmp_path / "r.pdf")
    assert r.exit_code == 2
    r = run("render", tmp_path / "bad.xlsx", "-o", tmp_path / "r.md", "--draft")
    assert r.exit_code == 1 and "T3-BALANCE" in r.output and (tmp_path / "r.md").exists()


def _numbers_in(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def _distinct_numbers(values: dict) -> set[str]:
    sub = Submission(values=values)
    out = set()
    for v in sub.all_values().values():
        if v:
            out.add(str(int(v)) if v == int(v) else str(v))
    return out


def test_docx_in_libreoffice_shows_the_workbooks_numbers(soffice, pdftotext, tmp_path):
    values = clean_values()
    sub = Submission(cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
    render(sub, tmp_path / "report.docx")
    (pdf,) = convert([tmp_path / "report.docx"], tmp_path / "pdf", "pdf", recalc=False)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert _distinct_numbers(values) <= _numbers_in(text)


def test_html_in_headless_chromium_shows_the_workbooks_numbers(chromium, pdftotext, tmp_path):
    values = clean_values()
    sub = Submission(cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
    html = render(sub, tmp_path / "report.html")
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert _distinct_numbers(values) <= _numbers_in(text)


def test_label_typos_and_blank_cells(tmp_path):
    values = clean_values()
    values["t3.unable_needs_creation.natural_person"] = 4
    values["t3.unable_not_held.natural_person"] = 1
    text = make_report(values).replace(
        "2.没有现成信息需要另行制作", "2.没有现成信息需要另行制做"
    )  # 做 for 作
    p = tmp_path / "typo.txt"
    p.write_text(text, encoding="utf-8")
    res = import_report(p)
    assert res.findings == [] and res.submission.values == _inputs(values)
    # an HTML table with empty cells (as some sites publish zeros): read as 0, and said so
    sub = Submission(cover={"agency": "甲局", "year": 2025}, values=values)
    html = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    html = html.replace("<td>0</td>", "<td></td>")
    (tmp_path / "blank.html").write_text(html, encoding="utf-8")
    res = import_report(tmp_path / "blank.html")
    assert [f.code for f in res.findings] == [] and res.submission.values == _inputs(values)
    assert any("空白单元格按0计" in n for n in res.notes)


def test_previous_year_from_a_published_report(tmp_path):
    last = clean_values()
    (tmp_path / "2024.txt").write_text(make_report(last, year=2024), encoding="utf-8")
    this = clean_values()
    this["t3.carried_in.natural_person"] = 1  # last year's 结转 was 3
    this["t3.granted.natural_person"] -= 1
    make_template(
        tmp_path / "2025.xlsx", Submission(cover={"agency": "示例市青川区测试局", "year": 2025}, values=this)
    )
    r = run("validate", tmp_path / "2025.xlsx", "--previous", tmp_path / "2024.txt", "--format", "json")
    found = {(f["code"], f["cell"]) for f in json.loads(r.stdout)["files"][0]["findings"]}
    assert ("PREV-CARRYOVER", "D7") in found


def test_render_a_district_summary(tmp_path):
    from toolkit.merge import merge
    from toolkit.outputs.summary import write_summary

    for i, name in enumerate(("甲局", "乙局")):
        v = clean_values()
        make_template(
            tmp_path / "in" / f"{i}.xlsx", Submission(cover={"agency": name, "year": 2025}, values=v)
        )
    write_summary(merge([tmp_path / "in"], agency="示例市青川区"), tmp_path / "summary.xlsx")
    # no text typed yet: a draft (the numbers are what this test reads back)
    assert run("render", tmp_path / "summary.xlsx", "-o", tmp_path / "summary.md", "--draft").exit_code == 0
    res = import_report(tmp_path / "summary.md")
    assert res.submission.agency == "示例市青川区" and res.submission.year == 2025
    assert res.submission.values == {k: 2 * v for k, v in _inputs(clean_values()).items()}


def test_a_sentence_contradicting_the_table_is_quoted_as_the_person_wrote_it():
    """TEXT-TABLE-MISMATCH quotes the sentence with its own punctuation: the clerk searches the
    report for it (before, the quote was NFKC-normalised: “本年度,全区未收取…” with a half-width
    comma the text never had)."""
    from toolkit.narrative import narrative_findings

    values = clean_values()
    values.update({"s6.fee_notices": 1, "s6.fee_notified": Decimal(100), "s6.fee_collected": Decimal(100)})
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=values,
        texts={"other_matters": "本年度，全区未收取信息处理费（见下表）。其他：无"},
    )
    (f,) = narrative_findings(sub)
    assert f.code == "TEXT-TABLE-MISMATCH"
    assert "正文说“本年度，全区未收取信息处理费（见下表）”" in f.message


def test_a_report_still_in_sample_text_is_not_published(tmp_path):
    """A shipped sample (or a workbook begun from one) whose texts still say 示例文字: render
    refuses it as unfinished (exit 1, nothing written) and --draft writes the draft — as
    ``xxgk inspect`` calls such a published report REPORT-DRAFT. Before, it went out as a finished
    report with “（示例文字）” in 一、五 and 六."""
    from tests.conftest import ROOT

    src = ROOT / "samples" / "青川区教育委员会.xlsx"
    out = tmp_path / "报告.docx"
    r = run("render", src, "-o", out)
    assert r.exit_code == 1 and not out.exists()
    assert "仍是示例文字：“一、总体情况”“五、存在的主要问题及改进情况”“六、其他需要报告的事项”" in r.output
    r = run("render", src, "-o", out, "--draft")
    assert r.exit_code == 0 and "草稿" in r.output
    # the same workbook once its texts are the agency's own: a finished report
    sub = read_workbook(src)
    sub.texts = {k: v.replace("（示例文字）", "") for k, v in sub.texts.items()}
    own = tmp_path / "改写.xlsx"
    make_template(own, sub)
    r = run("render", own, "-o", tmp_path / "定稿.docx")
    assert r.exit_code == 0, r.output


def _pages(pdftotext: str, pdf) -> list[str]:
    out = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [re.sub(r"\s+", "", p) for p in out.stdout.split("\f") if p.strip()]


def test_tables_meet_a_page_break_as_a_clerk_would_print_them(soffice, pdftotext, tmp_path):
    """Printed by LibreOffice: 表二 (a short table on a portrait page) is never broken after one of
    its blocks, whatever the length of 总体情况 above it: it moves whole, with its heading, to the
    next page; 表三 on a page too short for it continues under its header rows printed again.
    Before, 表二 broke after 第二十条第（五）项 and 表三's second page began with bare numbers."""
    from docx import Document
    from docx.shared import Cm

    values = clean_values()
    docs = []
    for n in range(6, 22, 2):  # 总体情况 of n paragraphs: 表二 starts at every height of page 1
        sub = Submission(
            cover={"agency": "示例市青川区测试局", "year": 2025},
            values=values,
            texts={
                "overview": "\n".join(["本机关认真贯彻落实《条例》，各项工作稳步推进。"] * n),
                "problems": "无。",
            },
        )
        docs.append(render(sub, tmp_path / f"t2_{n}.docx"))
    short = render(sub, tmp_path / "short_page.docx")
    doc = Document(str(short))
    for sec in doc.sections:  # a page on which 表三's 30 rows cannot fit
        if sec.page_width > sec.page_height:
            sec.page_height = Cm(12)
    doc.save(str(short))
    pdfs = convert([*docs, short], tmp_path / "pdf", "pdf", recalc=False)
    for pdf in pdfs[:-1]:
        pages = _pages(pdftotext, pdf)
        (page,) = [p for p in pages if "二、主动公开政府信息情况" in p]
        assert "第二十条第（八）项" in page and "行政事业性收费" in page, pdf.name
    pages = _pages(pdftotext, pdfs[-1])
    rows = (
        "二、上年结转政府信息公开申请数量",
        "1.属于国家秘密",
        "6.属于四类过程性信息",
        "2.重复申请",
        "（七）总计",
    )
    t3 = [p for p in pages if any(r in p for r in rows)]
    assert len(t3) >= 2  # the table did break
    for p in t3:
        assert "申请人情况" in p and "法律服务机构" in p, p[:200]


def test_the_web_page_prints_with_page_numbers_as_the_word_report_does(chromium, pdftotext, tmp_path):
    """The .html printed by the browser (no browser header/footer): every page numbered “— N —” at
    its foot, as the .docx is; the numbers do not disturb reading the print back. Before, the web
    page's print had no page numbers."""
    values = clean_values()
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=values,
        texts={"overview": "本机关认真贯彻落实《条例》。", "problems": "无。"},
    )
    html = render(sub, tmp_path / "report.html")
    pdf = tmp_path / "report.pdf"
    chromium_print(chromium, html, pdf)
    pages = _pages(pdftotext, pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert page.endswith(f"—{n}—"), page[-40:]
    res = import_report(pdf)
    assert res.unknown == [] and res.findings == []


def test_a_2019_report_without_other_matters_is_not_published_with_an_empty_section(tmp_path):
    """The 2019 format has no 信息处理费 figures, so nothing fills 六 but the person's text: with
    it empty, render said nothing under “六、其他需要报告的事项” (a bare heading at the end of a
    report ready to publish). Now that section must be written like 一 and 五: refused without
    --draft, 【待补充】 in the draft; once written, published."""
    from toolkit.model import compute_totals

    s19 = load_spec("gov-2019")
    values = {k: 0 for k in s19.input_keys}
    sub = Submission(
        spec=s19,
        cover={"agency": "示例市青川区测试局", "year": 2020},
        values=values,
        texts={"overview": "本局认真贯彻落实《条例》。", "problems": "解读形式单一。", "other_matters": ""},
    )
    assert compute_totals(s19, values)  # a workbook of the 2019 form
    wb = make_template(tmp_path / "2020.xlsx", sub)
    out = tmp_path / "2020.md"
    r = run("render", wb, "-o", out)
    assert r.exit_code == 1 and not out.exists()
    assert "六、其他需要报告的事项" in r.output
    assert run("render", wb, "-o", out, "--draft").exit_code == 0
    six = out.read_text(encoding="utf-8").split("### 六、其他需要报告的事项", 1)[1]
    assert "【待补充】" in six
    sub.texts["other_matters"] = "本年度无其他需要报告的事项。"
    wb = make_template(tmp_path / "2020写好.xlsx", sub)
    r = run("render", wb, "-o", tmp_path / "定稿.md")
    assert r.exit_code == 0, r.output
    assert "本年度无其他需要报告的事项。" in (tmp_path / "定稿.md").read_text(encoding="utf-8")


def test_a_printed_web_draft_says_draft_on_every_page_without_covering_the_text(
    chromium, pdftotext, tmp_path
):
    """The draft .html printed by the browser: every page carries “草稿：内容尚未完成，不得公开发布”
    legibly, and no line of the report is covered by it. Before, the banner (fixed at the top of
    the page area) was printed over the first line of every following page: pdftotext read
    “总金额100元，草实稿际 收内取容的尚总未金完额成…”."""
    values = clean_values()
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=values,
        texts={"overview": "\n".join(["本机关认真贯彻落实《条例》，各项工作稳步推进。"] * 12)},
    )
    html = render(sub, tmp_path / "draft.html", draft=True)
    pdf = tmp_path / "draft.pdf"
    chromium_print(chromium, html, pdf)
    pages = _pages(pdftotext, pdf)
    assert len(pages) >= 3
    whole = "".join(pages)
    raw = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    for page in raw.stdout.split("\f")[: len(pages)]:
        # the banner on a line of its own: nothing of the report printed under or beside it
        (line,) = [ln.strip() for ln in page.splitlines() if "草稿" in ln and "年度报告" not in ln]
        assert line == "草稿：内容尚未完成，不得公开发布", line
    for line in ("依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。",
                 "四、结转下年度继续办理", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):  # fmt: skip
        assert line in whole, line
    assert whole.count("本机关认真贯彻落实《条例》，各项工作稳步推进。") == 12
    res = import_report(pdf)
    assert res.unknown == [] and "草稿" in res.unfinished


def test_a_web_table_of_large_numbers_prints_whole_on_a4(chromium, tmp_path):
    """A summary's tables with numbers of seven and eight digits (the largest a cell may hold):
    the .html printed by Chromium on A4 keeps every column on the paper, 表三 and 表四 on
    landscape pages as the .docx has them, and the print reads back number for number. Before,
    表四 ran past the portrait page's right edge and Chromium cut it off: the import found no
    row of 15 numbers (and a cut 总计 read as a total that does not add up)."""
    import random

    from tests.pdfcheck import faults, load

    rnd = random.Random(3)
    values = {}
    for k in SPEC.input_keys:
        c = SPEC.cells[k]
        if c.table == "t3":
            values[k] = rnd.randint(1_000_000, 8_000_000)
        elif c.table == "t4":
            values[k] = rnd.randint(10_000_000, 190_000_000)
        else:
            values[k] = rnd.randint(1, 999) if c.type and c.type.kind == "int" else Decimal("1234.5")
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=values,
        texts={"overview": "本机关认真贯彻落实《条例》。", "problems": "无。", "other_matters": "无。"},
    )
    html = render(sub, tmp_path / "report.html")
    pdf = chromium_print(chromium, html, tmp_path / "report.pdf")
    res = import_report(pdf)
    assert res.unknown == [] and res.findings == [], (res.unknown, res.findings)
    got = res.submission.all_values()
    assert {k: v for k, v in sub.all_values().items() if got.get(k) != v} == {}
    # the pages that carry 表三 and 表四 are landscape, the text pages portrait
    doc = load(pdf)
    wide = [p for p in doc.pages if "申请人情况" in p.text or "未经复议直接起诉" in p.text]
    assert wide and all(p.width > p.height for p in wide)
    assert all(p.width < p.height for p in doc.pages if "总体情况" in p.text)
    assert faults(doc) == []


def test_the_printed_web_page_keeps_table_three_whole_on_its_landscape_page(chromium, pdftotext, tmp_path):
    """表三 on its landscape page is set as compactly as in the .docx: all its rows, from 一、本年
    新收 to 四、结转下年度继续办理, on one page, 表四 on the next, the text pages portrait. When 表三
    first went landscape at the page's own type size it ran over three pages (two rows on the first,
    四、结转 alone with 表四 on the third)."""
    sub = Submission(
        cover={"agency": "示例市青川区测试局", "year": 2025},
        values=clean_values(),
        texts={"overview": "本机关认真贯彻落实《条例》。", "problems": "无。", "other_matters": "无。"},
    )
    pdf = chromium_print(chromium, render(sub, tmp_path / "r.html"), tmp_path / "r.pdf")
    pages = _pages(pdftotext, pdf)
    (three,) = [p for p in pages if "申请人情况" in p]
    assert "一、本年新收政府信息公开申请数量" in three and "四、结转下年度继续办理" in three
    assert "未经复议直接起诉" not in three  # 表四 on a page of its own, as in the .docx
    assert import_report(pdf).unknown == []
