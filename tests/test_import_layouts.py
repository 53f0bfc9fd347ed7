"""``xxgk import`` of published reports in the layouts issue 19 found misread or unread.

Every fixture is made here from known numbers (no copies of real reports): Markdown saved as .txt,
titles with the year first, fee sentences in their common forms, a province's own numbering,
two instances of 表三 side by side, a skewed PDF. The rule checked everywhere: a number read is
the number printed at its label; one not found is unknown, never another label's.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import two_instances as two
from tests.office import chromium_print
from tests.report_texts import make_report
from tests.test_import_pdf import _truth, _values, assert_every_read_number_right, read_numbers
from toolkit.importers.report import import_report
from toolkit.importers.sources import sniff
from toolkit.model import Submission
from toolkit.outputs.render import render
from toolkit.spec import load_spec

SPEC = load_spec()
_HEAD = re.compile(r"^[一二三四五六]、")
_NUM_TAIL = re.compile(r"^(.*?[^\d\s])((?:\s+\d+(?:\.\d+)?)+)$")


def to_markdown(text: str) -> str:
    """A 'columns' report as a PDF-to-Markdown converter writes it: ``##`` headings, ``**`` bold
    captions, each run of number rows as a pipe table under a header row and its ``|---|`` rule."""
    out: list[str] = []
    in_table = False
    for ln in text.split("\n"):
        m = _NUM_TAIL.match(ln)
        if m and re.search(r"[\u4e00-\u9fff]", m.group(1)):
            nums = m.group(2).split()
            if not in_table:
                out.append("| 项目 | " + " | ".join(f"列{k + 1}" for k in range(len(nums))) + " |")
                out.append("|" + "---|" * (len(nums) + 1))
                in_table = True
            out.append(f"| {m.group(1).strip()} | " + " | ".join(nums) + " |")
            continue
        if re.fullmatch(r"[\d\s.]+", ln.strip() or "x"):  # 表四's numbers on one line
            nums = ln.split()
            out += [
                "| " + " | ".join(f"列{k + 1}" for k in range(len(nums))) + " |",
                "|" + "---|" * len(nums),
            ]
            out.append("| " + " | ".join(nums) + " |")
            in_table = False
            continue
        if in_table:
            out.append("")
            in_table = False
        if _HEAD.match(ln) and len(ln) < 40 and "本年" not in ln and "上年" not in ln:
            out += ["", f"## {ln}", ""]
        elif ln.startswith("第二十条"):
            out.append(f"**{ln}**")
        else:
            out.append(ln)
    return "\n".join(out) + "\n"


# -- 1. Markdown whatever the file is called ----------------------------------------------------
def test_markdown_saved_as_txt_reads_as_markdown(tmp_path):
    values = _values(101)
    md = to_markdown(make_report(values, layout="columns"))
    assert "## 三、收到和处理政府信息公开申请情况" in md and "|---|" in md
    reads = {}
    for name in ("report.md", "report.txt", "report"):
        p = tmp_path / name
        p.write_text(md, encoding="utf-8")
        res = import_report(p)
        assert res.source_kind == "md", name
        assert_every_read_number_right(res, _truth(values))
        reads[name] = read_numbers(res)
    assert reads["report.txt"] == reads["report.md"] == reads["report"] == _truth(values)


def test_rendered_markdown_renamed_txt_reads_every_number(tmp_path):
    values = _values(102)
    sub = Submission(
        spec=SPEC, cover={"agency": "示例市测试局", "year": 2024}, values=values, texts={"overview": "略"}
    )
    render(sub, tmp_path / "r.md")
    (tmp_path / "r.txt").write_bytes((tmp_path / "r.md").read_bytes())
    a, b = import_report(tmp_path / "r.md"), import_report(tmp_path / "r.txt")
    assert b.source_kind == "md" and read_numbers(b) == read_numbers(a) == _truth(values)


def test_plain_text_with_a_stray_pipe_or_hash_stays_text():
    text = "示例局\n# 注：本报告数据截至12月31日\n项目 | 数量\n一、总体情况\n".encode()
    assert sniff(text, ".txt") == "text"
    assert sniff(b"a|b\n---\n", ".txt") == "text"
    assert sniff("| 项目 | 数量 |\n|---|---|\n| 规章 | 3 |\n".encode(), ".txt") == "md"
    # runs of blanks, dashes and pipes the size of the sniffed head are told in linear time
    for junk in (b" " * 65536, b"\t" * 65536, b"\n" * 65536, b"|" + b" " * 65534 + b"-", b"---|" * 16384):
        assert sniff(junk, ".txt") == "text"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# -- 2. titles, publication dates, sections ---------------------------------------------------
TITLES = [  # (title lines as printed, agency, year)
    (["2019年上海市人民政府办公厅政府信息公开工作年度报告"], "上海市人民政府办公厅", 2019),
    (["2020年度示例市人民政府信息公开工作年度报告"], "示例市人民政府", 2020),
    (["示例市青川区财政局", "2023年政府信息公开工作年度报告"], "示例市青川区财政局", 2023),
    (["示例市青川区财政局2023年度政府信息公开工作年度报告"], "示例市青川区财政局", 2023),
    (["示例市财政局关于2022年度政府信息公开工作的年度报告"], "示例市财政局", 2022),
    (["《示例县农业农村局2021年政府信息公开工作年度报告》"], "示例县农业农村局", 2021),
    (["示例市审计局政府信息公开工作年度报告（2024年度）"], "示例市审计局", 2024),
    (["示例市审计局政府信息公开工作2024年度报告"], "示例市审计局", 2024),
    (["2021年示例市黄浦区", "人民政府政府信息公开工作年度报告"], "示例市黄浦区人民政府", 2021),
    (["标题：2024年示例市商务委员会政府信息公开年报"], "示例市商务委员会", 2024),
]


def _with_title(values: dict, title: list[str], year: int, tail: str = "") -> str:
    body = make_report(values, year=year).split("\n", 2)[2]  # drop make_report's own two title lines
    return "\n".join(title) + "\n" + body + tail


def test_titles_in_their_common_forms_give_agency_and_year(tmp_path):
    values = _values(111)
    for k, (title, agency, year) in enumerate(TITLES):
        res = import_report(_write(tmp_path, f"t{k}.txt", _with_title(values, title, year)))
        assert (res.submission.agency, res.submission.year) == (agency, year), title
        assert res.findings == [] and read_numbers(res) == _truth(values), title


def test_a_sentence_or_a_title_without_agency_gives_no_agency():
    from toolkit.importers.titles import title_of

    assert title_of(["2019年度政府信息公开工作年度报告"])[:2] == ("", 2019)
    assert title_of(["本机关认真贯彻落实《条例》。"]) == ("", None, None)


def test_publication_date_where_the_document_states_it_and_sections_present(tmp_path):
    values = _values(112)
    title = ["2023年示例市青川区财政局政府信息公开工作年度报告"]
    cases = [
        ("\n示例市青川区财政局\n2024年1月20日\n", "2024-01-20"),
        ("\n示例市青川区财政局\n二〇二四年一月二十六日\n", "2024-01-26"),
        ("", None),  # no date stated: none guessed
    ]
    for k, (tail, want) in enumerate(cases):
        text = _with_title(values, title, 2023, tail)
        if k == 2:  # the statistics period is no publication date
            text = text.replace(
                "本机关认真", "本报告数据统计期限自2023年1月1日起至2023年12月31日止。本机关认真"
            )
        res = import_report(_write(tmp_path, f"d{k}.txt", text))
        assert res.published == want, tail
        assert res.sections == {f"s{i}": True for i in range(1, 7)}
    page = (
        "<html><body><div>首页 &gt; 政府信息公开 &gt; 年度报告</div>"
        "<div>发布日期：2024-01-29　来源：示例市青川区财政局</div><h1>"
        + title[0]
        + "</h1>"
        + "".join(f"<p>{ln}</p>" for ln in make_report(values, year=2023).split("\n")[2:])
        + "</body></html>"
    )
    res = import_report(_write(tmp_path, "page.html", page))
    assert res.published == "2024-01-29" and res.submission.agency == "示例市青川区财政局"
    # a report without its 五、 section: said in the sections and a note, numbers still read
    text = _with_title(values, title, 2023).replace("五、存在的主要问题及改进情况\n", "")
    res = import_report(_write(tmp_path, "no5.txt", text))
    assert res.sections["s5"] is False and sum(res.sections.values()) == 5
    assert any("五、存在的主要问题及改进情况" in n for n in res.notes)


def test_import_json_has_sections_and_publication_date(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    values = _values(113)
    p = _write(
        tmp_path, "r.txt", _with_title(values, TITLES[0][0], 2019, "\n上海市人民政府办公厅\n2020年1月31日\n")
    )
    r = CliRunner().invoke(main, ["import", str(p), "--format", "json"])
    import json

    doc = json.loads(r.output)
    assert doc["cover"]["agency"] == "上海市人民政府办公厅" and doc["cover"]["year"] == 2019
    assert doc["published"] == "2020-01-31"
    assert doc["sections"] == {f"s{i}": True for i in range(1, 7)}


# -- 3. fee sentences in their common forms -------------------------------------------------
FEES = [  # (sentence in 六、, notices, notified, collected) — None: not stated, not read
    ("本年度无收取信息处理费情况。", 0, 0, 0),
    ("本机关未收取信息处理费。", 0, 0, 0),
    ("2024年本机关没有产生信息处理费。", 0, 0, 0),
    ("本年度未发出收费通知，未收取信息处理费。", 0, 0, 0),
    ("本年度共收取信息处理费共计380元。", None, None, "380"),
    ("本年度收取信息处理费0.038万元。", None, None, "380"),
    ("本年度发出收费通知书3份，收费通知总金额为1,200元，实际收取的总金额为380.50元。", 3, "1200", "380.50"),
    ("发出收费通知 2 件，总金额 0.12 万元，实际收取的总金额 0.1 万元。", 2, "1200", "1000"),
    ("发出收费通知件数为4件，总金额500元，实际收取总金额500元。", 4, "500", "500"),
    ("本机关依法依规开展政府信息公开工作。", None, None, None),
]


def test_fee_sentences_in_their_common_forms(tmp_path):
    from decimal import Decimal

    values = _values(121)
    keys = ("s6.fee_notices", "s6.fee_notified", "s6.fee_collected")
    for k, (sentence, *want) in enumerate(FEES):
        res = import_report(_write(tmp_path, f"f{k}.txt", make_report(values, fee_text=sentence)))
        got = [res.submission.values.get(key) if key in res.submission.where else None for key in keys]
        assert got == [
            None if w is None else (w if key == keys[0] else Decimal(w))
            for w, key in zip(want, keys, strict=True)
        ], sentence
        assert {key for key, w in zip(keys, want, strict=True) if w is None} == {
            key for key in keys if key in res.unknown
        }
        t = {key: v for key, v in _truth(values).items() if not key.startswith("s6.")}
        assert {key: v for key, v in read_numbers(res).items() if not key.startswith("s6.")} == t
        if ("收取" in sentence and "未" in sentence) or "无收取" in sentence or "没有" in sentence:
            assert any("按0计" in n for n in res.notes), sentence


# -- 4. a published total that is not the sum of its printed parts ----------------------------
def test_a_published_total_not_the_sum_of_its_parts_is_said_as_such(tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    values = _values(131)
    truth = _truth(values)
    key = "t3.new_received.total"
    p = _write(tmp_path, "bad.txt", make_report(values, reported={key: truth[key] + 2}))
    res = import_report(p)
    assert res.submission.reported[key] == truth[key] + 2 and res.identities[1] - res.identities[0] == 1
    assert any("公开报告印出的合计" in n and str(truth[key] + 2) in n for n in res.notes)
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(p), "-o", str(tmp_path / "bad.xlsx")]).exit_code == 0
    for target in (p, tmp_path / "bad.xlsx"):
        r = runner.invoke(main, ["validate", str(target), "--format", "json"])
        import json

        found = [f for doc in json.loads(r.output)["files"] for f in doc["findings"]]
        codes = {f["code"] for f in found}
        assert "FORMULA-OVERWRITTEN" not in codes, target
        at = [f for f in found if f["key"] == key]
        assert [f["code"] for f in at] == ["T3-ROW-TOTAL"], target
        assert "公开报告印出的合计为" in at[0]["message"] and "恢复公式" not in at[0]["message"]
    # a total the clerk types over a formula in that workbook is still FORMULA-OVERWRITTEN
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "bad.xlsx")
    c = SPEC.cells["t3.carried_in.total"]
    wb[c.sheet][c.a1] = 5
    wb.save(tmp_path / "typed.xlsx")
    r = runner.invoke(main, ["validate", str(tmp_path / "typed.xlsx"), "--format", "json"])
    found = [f for doc in json.loads(r.output)["files"] for f in doc["findings"]]
    assert {f["code"] for f in found if f["key"] == "t3.carried_in.total"} >= {"FORMULA-OVERWRITTEN"}


# -- 5. template --values follows the format and year the values file names -------------------
def test_template_values_of_an_exported_2019_report_follows_its_format(tmp_path):
    import json

    from click.testing import CliRunner

    from tests.conftest import FIXTURES
    from toolkit.cli import main
    from toolkit.reader import read_workbook

    runner = CliRunner()
    ref = FIXTURES / "reference" / "gov2019_青川区示例局_2020.txt"
    r = runner.invoke(main, ["import", str(ref), "-o", str(tmp_path / "imported.xlsx")])
    assert (tmp_path / "imported.xlsx").exists(), r.output
    r = runner.invoke(main, ["export", str(tmp_path / "imported.xlsx"), "-o", str(tmp_path / "v.json")])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "v.json").read_text(encoding="utf-8"))
    assert doc["format"] == "gov-2019" and doc["cover"]["year"] == 2020
    r = runner.invoke(
        main, ["template", "--values", str(tmp_path / "v.json"), "-o", str(tmp_path / "t.xlsx")]
    )
    assert r.exit_code == 0, r.output
    again = read_workbook(tmp_path / "t.xlsx")
    assert again.spec.id == "gov-2019" and again.year == 2020
    before = read_workbook(tmp_path / "imported.xlsx")
    assert again.all_values() == before.all_values()
    # a values file naming no format follows its year; an explicit --year that contradicts the
    # named format is still refused with the reason
    del doc["format"]
    (tmp_path / "noformat.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(
        main, ["template", "--values", str(tmp_path / "noformat.json"), "-o", str(tmp_path / "n.xlsx")]
    )
    assert r.exit_code == 0, r.output
    assert read_workbook(tmp_path / "n.xlsx").spec.id == "gov-2019"
    r = runner.invoke(
        main,
        ["template", "--values", str(tmp_path / "v.json"), "--year", "2025", "-o", str(tmp_path / "x.xlsx")],
    )
    assert r.exit_code != 0 and "gov-2019" in r.output and not (tmp_path / "x.xlsx").exists()


# -- 6. two instances of a table: split, chosen by --year, never mixed ---------------------------
def _read_t3(res) -> dict:
    got = read_numbers(res)
    return {k: got[k] for k in two.T3_KEYS if k in got}


def _import_layout(tmp_path: Path, layout: str, years, vals, rnd, year):
    from toolkit.importers.report import _Importer

    made = two.make(layout, years, vals, rnd)
    if isinstance(made, list):
        return _Importer(made, "sides.pdf", SPEC, "pdf", year).run()
    suffix, text = made
    return import_report(_write(tmp_path, f"{layout}{suffix}", text), year=year)


def test_no_number_is_ever_placed_at_another_label_over_generated_layouts(tmp_path):
    """Property over generated two-instance documents: every number read is the chosen instance's
    number at that label (all numbers distinct, so any misplacement shows); without --year, or
    with a year the document does not hold, no number of 表三 is read and the choice is said."""
    import random

    rnd = random.Random(1919)
    for case in range(40):
        layout = two.LAYOUTS[case % len(two.LAYOUTS)]
        pool = rnd.sample(range(1, 60000), 2 * len(SPEC.input_keys))
        vals = (two.unique_values(rnd, pool), two.unique_values(rnd, pool))
        y0 = rnd.choice([2021, 2022, 2023])
        years = (y0, y0 + 1) if rnd.random() < 0.7 else (y0 + 1, y0)  # either order
        asked = rnd.choice([None, years[0], years[1], years[0], years[1], 2030])
        res = _import_layout(tmp_path, layout, years, vals, rnd, asked)
        got = _read_t3(res)
        every = {}  # number -> the (instance, key) it belongs to
        for n, v in enumerate(vals):
            for k, x in two.truth(v).items():
                if (
                    k in two.T3_KEYS
                    and k.rsplit(".", 1)[1] != "total"
                    and not k.startswith("t3.result_total")
                ):
                    every.setdefault(x, (n, k))
        if asked not in years:
            assert got == {}, (case, layout)
            msg = " ".join(f.message for f in res.findings if f.code == "IMPORT-NOT-ONE-REPORT")
            assert f"--year {years[0]}" in msg and f"--year {years[1]}" in msg, (case, layout, msg)
            continue
        want = two.truth(vals[years.index(asked)])
        for k, v in got.items():  # a number read is the one printed at its label, in its instance
            assert v == want[k], (case, layout, k, v, every.get(v))
        assert len(got) == len(two.T3_KEYS), (case, layout, sorted(set(two.T3_KEYS) - set(got))[:5])
        assert res.submission.year == asked, (case, layout)
        if layout.startswith("text") and asked != max(years):  # 表三 of the comparison year: the
            others = [k for k in SPEC.numeric_keys if not k.startswith("t3.")]  # tables printed once
            assert not any(k in res.submission.where for k in others), (case, layout)  # are the other year's


# -- real PDFs: two years side by side, skewed -------------------------------------------------
@pytest.fixture(scope="module")
def rendered(tmp_path_factory, soffice):
    """Two reports of known numbers (2023, 2024) rendered and converted by LibreOffice."""
    from tests.pdf_compose import render_pdfs
    from tests.pdf_fixtures import Layout, known_values

    out = tmp_path_factory.mktemp("rendered")
    subs = [
        Submission(
            spec=SPEC,
            cover={"agency": "示例市青川区测试局", "year": year},
            values=known_values(seed),
            texts={"overview": "本机关认真贯彻落实《条例》。"},
        )
        for year, seed in ((2023, 31), (2024, 32))
    ]
    pdfs = render_pdfs(out, subs, Layout("portrait", page_cm=(21.0, 29.7), label_scale=0.7))
    return out, list(zip(pdfs, subs, strict=True))


def test_a_two_year_side_by_side_pdf_is_split_and_read_by_year(rendered, tmp_path):
    from tests.pdf_compose import side_by_side
    from tests.pdf_fixtures import expected_numbers

    _, made = rendered
    (p23, s23), (p24, s24) = made
    pdf = side_by_side(p23, p24, tmp_path / "对比.pdf")
    res = import_report(pdf)
    assert _read_t3(res) == {} and res.found == 0
    msg = next(f.message for f in res.findings if f.code == "IMPORT-NOT-ONE-REPORT")
    assert "--year 2023" in msg and "--year 2024" in msg
    for year, sub in ((2023, s23), (2024, s24)):
        res = import_report(pdf, year=year)
        truth = expected_numbers(sub)
        assert res.submission.year == year
        assert read_numbers(res) == {k: truth[k] for k in SPEC.numeric_keys}, year


# -- 7. skewed PDF text: levelled, or refused; never a total from another row --------------------
def test_a_skewed_pdf_is_levelled_and_every_number_read_at_its_row(rendered, tmp_path):
    from tests.pdf_compose import skewed
    from tests.pdf_fixtures import expected_numbers

    _, made = rendered
    src, sub = made[1]
    truth = expected_numbers(sub)
    for degrees in (2.5, -2.5, 1.0):
        pdf = skewed(src, tmp_path / f"skew{degrees}.pdf", degrees)
        res = import_report(pdf)
        assert read_numbers(res) == {k: truth[k] for k in SPEC.numeric_keys}, degrees
        assert res.findings == [], degrees
        assert any(f"倾斜约 {-degrees:.1f}°" in n or f"倾斜约 {degrees:.1f}°" in n for n in res.notes), (
            res.notes
        )


def test_text_at_two_angles_on_a_page_is_refused_never_read_across_rows(rendered, tmp_path):
    from tests.pdf_compose import two_angles

    _, made = rendered
    pdf = two_angles(made[1][0], tmp_path / "two.pdf", 3.0)
    res = import_report(pdf)
    assert [f.code for f in res.findings] == ["FILE-UNREADABLE"] and res.found == 0
    assert "倾斜" in res.findings[0].message and "未读取" in res.findings[0].message


def test_skew_is_fitted_from_the_character_baselines(rendered, tmp_path):
    import pypdfium2 as pdfium

    from tests.pdf_compose import skewed
    from toolkit.importers.skew import page_angle

    _, made = rendered
    for degrees in (0.0, 2.5, -4.0):
        pdf = skewed(made[0][0], tmp_path / f"a{degrees}.pdf", degrees)
        doc = pdfium.PdfDocument(str(pdf))
        try:
            tp = doc[0].get_textpage()
            angle, agree = page_angle(tp, tp.count_chars())
            tp.close()
        finally:
            doc.close()
        # PdfMatrix.rotate turns clockwise: the text then runs at -degrees
        assert angle is not None and abs(angle + degrees) < 0.05 and agree > 0.9, (degrees, angle, agree)


# -- 8. a province's own numbering of sections and rows -----------------------------------------
_CN = "一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨"


def province_numbering(text: str, style: int) -> str:
    """Sections numbered 1. (style 1), （1） (2) or 第一部分 (3) instead of 一、; 表三's rows 1. /
    （1） / ① instead of 一、/（一）/1、."""
    out = []
    in_t3 = False
    for ln in text.split("\n"):
        m = re.match(r"^([一二三四五六])、(.*)$", ln)
        if m and len(ln) < 40 and m.group(2)[:2] in ("总体", "主动", "收到", "政府", "存在", "其他"):
            n = _CN.index(m.group(1)) + 1
            out.append(
                {1: f"{n}.{m.group(2)}", 2: f"（{n}）{m.group(2)}", 3: f"第{m.group(1)}部分 {m.group(2)}"}[
                    style
                ]
            )
            in_t3 = m.group(2).startswith("收到")
            continue
        if in_t3:
            ln = re.sub(r"^([一二三四])、", lambda m: f"{_CN.index(m.group(1)) + 1}.", ln)
            ln = re.sub(r"^\(([一二三四五六七])\)", lambda m: f"（{_CN.index(m.group(1)) + 1}）", ln)
            ln = re.sub(r"^([1-8])、", lambda m: _CIRCLED[int(m.group(1)) - 1], ln)
        out.append(ln)
    return "\n".join(out)


def test_sections_and_rows_in_a_provinces_own_numbering(tmp_path):
    overview = "本机关认真贯彻落实《条例》。\n1、主动公开方面，及时发布信息。\n2、依申请公开方面，依法答复。"
    for style in (1, 2, 3):
        values = _values(140 + style)
        text = province_numbering(make_report(values, layout="columns", overview=overview), style)
        assert "一、总体情况" not in text and "三、收到" not in text
        res = import_report(_write(tmp_path, f"p{style}.txt", text))
        assert res.sections == {f"s{i}": True for i in range(1, 7)}, style
        assert res.findings == [] and read_numbers(res) == _truth(values), style
        assert any("编号" in n for n in res.notes)
        assert res.submission.texts["overview"].startswith("本机关认真贯彻落实")
    # the same numbering as Markdown saved as .txt
    values = _values(149)
    md = to_markdown(province_numbering(make_report(values, layout="columns"), 1))
    res = import_report(_write(tmp_path, "p.txt", md))
    assert res.source_kind == "md" and read_numbers(res) == _truth(values)


def test_hostile_repetitions_of_the_new_structures_are_findings_never_hangs(tmp_path):
    """Many doubled anchors (side by side), many instances of 表三, long digit runs in fee
    sentences: read in time linear in the input (a finding, never a traceback)."""
    row = "<tr><td>一、本年新收政府信息公开申请数量</td>" + "<td>1</td>" * 7
    html = "<html><body><p>三、收到和处理政府信息公开申请情况</p><table>" + (row * 2 + "</tr>") * 3000
    html += "</table></body></html>"
    res = import_report(_write(tmp_path, "h.html", html), year=2024)
    assert res.found < res.expected and all(f.code for f in res.findings)
    t3 = "\n".join(
        ["2024年度", "一、本年新收政府信息公开申请数量 1 2 3 4 5 6 21"] + ["(一)予以公开 1 1 1 1 1 1 6"] * 10
    )
    text = make_report(_values(151)).replace(
        "三、收到和处理政府信息公开申请情况\n", "三、收到和处理政府信息公开申请情况\n" + (t3 + "\n") * 3000
    )
    res = import_report(_write(tmp_path, "many.txt", text), year=2024)
    assert any(f.code == "IMPORT-NOT-ONE-REPORT" for f in res.findings) or res.found < res.expected
    fee = "收取信息处理费" + "1" * 200_000 + "。发出收费通知" + "9" * 100_000
    res = import_report(_write(tmp_path, "fee.txt", make_report(_values(152), fee_text=fee)))
    assert "s6.fee_collected" in res.unknown


# -- numbers written as sites write them, printed to PDF by Chromium ---------------------------
_FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")


def _cells(html: str, fn) -> str:
    return re.sub(r"<td>([^<]*)</td>", lambda m: f"<td>{fn(m.group(1))}</td>", html)


def _thousands(s: str) -> str:
    return f"{int(s):,}" if s.isdigit() else s


@pytest.mark.parametrize(
    "style",
    [pytest.param(lambda s: s.translate(_FULL), id="fullwidth"), pytest.param(_thousands, id="thousands")],
)
def test_pdf_numbers_in_full_width_digits_or_with_thousands_separators_read_whole(style, chromium, tmp_path):
    """A web page whose cells say ２１０９ or 2,109, printed to PDF by a browser: each cell's number
    is read whole. Before, a full-width digit's ink box ended far short of the next digit's (a word
    break: ２ １ ０ ９ unknown) and a comma's box sat below the digits' band (2,109 read as 2)."""

    values = _values(11)
    sub = Submission(spec=SPEC, cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
    html = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    # landscape and a smaller table font, so that the widest number stays on one line in its cell
    page = _cells(html, style).replace("@page{size:A4;", "@page{size:A4 landscape;")
    page = page.replace("font-size:.85em", "font-size:.6em")
    (tmp_path / "v.html").write_text(page, encoding="utf-8")
    pdf = tmp_path / "v.pdf"
    chromium_print(chromium, tmp_path / "v.html", pdf)
    res = import_report(pdf)
    assert_every_read_number_right(res, _truth(values))
    assert res.unknown == [] and res.confidence == 1.0


def test_pdf_cells_with_their_unit_read_as_numbers(soffice, tmp_path):
    """A Word report whose cells say “12件” (the unit typed in each cell), printed to PDF by
    LibreOffice: every number is read at its label. Before, the PDF's text had a space between
    the digits and 件 (a font change: pdfium supplies the space), the lone 件 stood between the
    numbers as label text, and 199 of 203 numbers were unknown."""
    from docx import Document

    from tests.office import convert

    values = _values(12)
    sub = Submission(spec=SPEC, cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
    path = render(sub, tmp_path / "unit.docx")
    doc = Document(str(path))
    for table in doc.tables:
        for row in table.rows:
            if row.cells[0].text == "行政事业性收费":
                continue  # 万元, not 件 (a 件 there is refused: VALUE-UNIT)
            for cell in row.cells:
                for para in cell.paragraphs:
                    for run in para.runs:
                        if run.text.isdigit():
                            run.text += "件"
    doc.save(str(path))
    (pdf,) = convert([path], tmp_path / "pdf", "pdf", recalc=False)
    res = import_report(pdf)
    assert_every_read_number_right(res, _truth(values))
    assert res.unknown == [], res.unknown[:5]


def test_pdf_full_width_numbers_wrapped_in_centred_cells_are_unknown_never_cut(chromium, tmp_path):
    """The same page at the site's own size (portrait): ２２２８ does not fit its cell, the browser
    wraps full-width digits anywhere (２２２ over ８) and centres the cell's two lines on the row,
    so the pieces stand above and below the row's other numbers. Each such cell is unknown, never
    222 or 8 — before, 17 cells were read cut (and the import blamed the published report: “印出的
    合计为 3，不等于各项之和 2993”)."""

    values = _values(11)
    sub = Submission(spec=SPEC, cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
    html = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    (tmp_path / "v.html").write_text(_cells(html, lambda s: s.translate(_FULL)), encoding="utf-8")
    pdf = tmp_path / "v.pdf"
    chromium_print(chromium, tmp_path / "v.html", pdf)
    res = import_report(pdf)
    assert_every_read_number_right(res, _truth(values))
    assert res.unknown  # the wrapped cells (else this page did not wrap: the test tests nothing)
    assert not any("不等于报告所印各项之和" in n for n in res.notes)


@pytest.mark.parametrize("layout", ["flat", "columns", "html"])
def test_short_names_of_the_first_two_rows_of_table_three(layout, tmp_path):
    """表三 printed with “一、本年新收” and “二、上年结转” (some sites' own shortening) reads like the
    national labels. Before, both rows were “本格式没有的一行” and their 14 numbers unknown."""
    values = _values(13)
    full = ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量")
    short = ("一、本年新收", "二、上年结转")
    if layout == "html":
        sub = Submission(spec=SPEC, cover={"agency": "示例市青川区测试局", "year": 2025}, values=values)
        text = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
        path = tmp_path / "short.html"
    else:
        text = make_report(values, layout=layout)
        path = tmp_path / "short.txt"
    assert all(f in text for f in full)
    for f, s in zip(full, short, strict=True):
        text = text.replace(f, s)
    path.write_text(text, encoding="utf-8")
    res = import_report(path)
    assert_every_read_number_right(res, _truth(values))
    assert res.unknown == []


@pytest.mark.parametrize("layout", ["portrait", "a5"])
def test_word_report_in_full_width_digits_wrapped_in_narrow_cells_is_never_read_cut(
    layout, soffice, tmp_path
):
    """A Word report typed in full-width digits, its 表三 cells too narrow (A4 portrait): LibreOffice
    wraps ７９９７ as ７９９ over ７ in every column of a row at once, beside the rest of a wrapped
    label (“年度办”). Every number read is the printed one; the cut cells are unknown. Before, the
    line of pieces filled the row's seven columns and was read as the next row, and the row's own
    numbers as 799 …; on A5 (cells centred) every cell of a row wrapped, its label level between
    the pieces."""
    from docx import Document

    from tests.office import convert
    from tests.pdf_fixtures import LAYOUTS, _apply, known_values

    values = known_values(7)
    sub = Submission(spec=SPEC, cover={"agency": "示例市青川区第7局", "year": 2025}, values=values)
    path = render(sub, tmp_path / "fw.docx")
    _apply(path, next(lay for lay in LAYOUTS if lay.name == layout), sub.agency, 2025)
    doc = Document(str(path))
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for para in cell.paragraphs:
                    for run in para.runs:
                        if run.text.isdigit():
                            run.text = run.text.translate(_FULL)
    doc.save(str(path))
    (pdf,) = convert([path], tmp_path / "pdf", "pdf", recalc=False)
    res = import_report(pdf)
    assert_every_read_number_right(res, sub.all_values())
    assert res.unknown  # cells did wrap (else the test tests nothing)


_T4_GROUPS = (
    ("行政复议", "review"),
    ("未经复议直接起诉", "suit_direct"),
    ("复议后起诉", "suit_after_review"),
)
_T4_RESULTS = (
    ("结果维持", "upheld"),
    ("结果纠正", "corrected"),
    ("其他结果", "other"),
    ("尚未审结", "pending"),
)


def _t4_vertical(html: str, values: dict, layout: str) -> str:
    """The page's 表四 replaced by the table some offices publish instead: ``rows`` — one row per
    number, the group (行政复议 / 行政诉讼 未经复议直接起诉 / 复议后起诉, merged down) and the result
    beside it; ``columns`` — rows and columns exchanged, a row per result and a column per group."""
    i = html.index("<h2>四、")
    a, b = html.index("<table>", i), html.index("</table>", i) + len("</table>")
    results = (*_T4_RESULTS, ("总计", "total"))
    rows = []
    if layout == "rows":
        rows.append('<tr><th colspan="2">类别</th><th>结果</th><th>数量（件）</th></tr>')
        for g, (group, key) in enumerate(_T4_GROUPS):
            for r, (result, col) in enumerate(results):
                lead = ""
                if r == 0 and g == 0:
                    lead = f'<th colspan="2" rowspan="5">{group}</th>'
                elif r == 0:
                    top = '<th rowspan="10">行政诉讼</th>' if g == 1 else ""
                    lead = f'{top}<th rowspan="5">{group}</th>'
                rows.append(f"<tr>{lead}<td>{result}</td><td>{values[f't4.{key}_{col}']}</td></tr>")
    else:
        rows.append(
            '<tr><th rowspan="2">结果</th><th rowspan="2">行政复议</th><th colspan="2">行政诉讼</th></tr>'
        )
        rows.append("<tr><th>未经复议直接起诉</th><th>复议后起诉</th></tr>")
        for result, col in results:
            cells = "".join(f"<td>{values[f't4.{key}_{col}']}</td>" for _, key in _T4_GROUPS)
            rows.append(f"<tr><th>{result}</th>{cells}</tr>")
    return html[:a] + "<table>" + "\n".join(rows) + "</table>" + html[b:]


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_table_four_laid_out_vertically_reads_every_number(layout, chromium, tmp_path):
    """表四 published down the page (15 rows of group / result / number, or its 15 cells with
    rows and columns exchanged: a row per result, a column per group), as a web page and as
    that page printed by Chromium: every one of its 15 numbers read at its cell. Before, all
    15 were unknown (表四没有找到连续的 15 个数字)."""
    sub = _t4_subject(11)
    want = sub.all_values()
    page = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    html = tmp_path / f"t4_{layout}.html"
    html.write_text(_t4_vertical(page, want, layout), encoding="utf-8")
    pdf = chromium_print(chromium, html, tmp_path / f"t4_{layout}.pdf")
    for source in (html, pdf):
        res = import_report(source)
        got = res.submission.all_values()
        t4 = [k for k in want if k.startswith("t4.")]
        assert {k: got.get(k) for k in t4} == {k: want[k] for k in t4}, (source.name, res.findings)
        assert res.unknown == [] and res.confidence == 1.0, (source.name, res.unknown)
        assert any("表四" in n and "竖排" in n for n in res.notes), res.notes


def _t4_subject(seed: int = 11) -> Submission:
    """A report whose 15 表四 cells each hold a number of their own: a misplacement shows."""
    from tests.pdf_fixtures import known_values

    values = known_values(seed)
    for n, (_, key) in enumerate(_T4_GROUPS):
        for m, (_, col) in enumerate(_T4_RESULTS):
            values[f"t4.{key}_{col}"] = 10 * (n + 1) + m + 1
    return Submission(
        spec=SPEC,
        cover={"agency": "示例市青川区第十一局", "year": 2025},
        values=values,
        texts={"overview": "本机关认真贯彻落实《条例》。", "problems": "无。"},
    )


def test_table_four_down_the_page_in_word_and_its_libreoffice_pdf(soffice, tmp_path):
    """The vertical 表四 page opened in LibreOffice Writer and saved as Word (.docx), and that
    Word file printed to PDF by LibreOffice: every 表四 number read at its cell."""
    from tests.office import convert

    sub = _t4_subject(12)
    want = sub.all_values()
    page = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    html = tmp_path / "竖排.html"
    html.write_text(_t4_vertical(page, want, "rows"), encoding="utf-8")
    (docx,) = convert([html], tmp_path / "docx", "docx:MS Word 2007 XML", recalc=False)
    (pdf,) = convert([docx], tmp_path / "pdf", "pdf", recalc=False)
    t4 = [k for k in want if k.startswith("t4.")]
    for source in (docx, pdf):
        res = import_report(source)
        got = res.submission.all_values()
        assert {k: got.get(k) for k in t4} == {k: want[k] for k in t4}, (source.name, res.findings)
        assert not [k for k in res.unknown if k.startswith("t4.")], source.name


def test_table_four_down_the_page_without_its_groups_is_unknown_and_says_why(tmp_path):
    """15 rows of result and number whose groups (行政复议 / 行政诉讼) are nowhere beside them:
    no number is placed by guess — all 15 unknown, each finding saying why in Chinese."""
    sub = _t4_subject(13)
    want = sub.all_values()
    page = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    vertical = _t4_vertical(page, want, "rows")
    for group in ("行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉"):
        vertical = re.sub(rf"<th[^>]*>{group}</th>", "", vertical)
    html = tmp_path / "无分组.html"
    html.write_text(vertical, encoding="utf-8")
    res = import_report(html)
    t4 = [k for k in want if k.startswith("t4.") and k in SPEC.input_keys]
    assert set(t4) <= set(res.unknown)
    said = [f.message for f in res.findings if f.key in t4]
    assert len(said) == len(t4) and all("竖排" in m and "无法确定" in m for m in said), said


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_table_four_down_the_page_with_its_group_names_wrapped_inside_a_word(
    layout, soffice, pdftotext, tmp_path
):
    """The vertical 表四 with narrow group cells, saved as Word by LibreOffice and printed to PDF:
    the names wrap inside the word (未经复 / 议直接 / 起诉, 复议 / 后起 / 诉), one piece a line,
    the middle piece beside another row's result. Each name is read by joining the pieces of its
    column; before, no line named the group and all 15 numbers were unknown."""
    from tests.office import convert

    sub = _t4_subject(12)
    want = sub.all_values()
    page = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
    narrow = _t4_vertical(page, want, layout)
    for name, px in (("未经复议直接起诉", 52), ("复议后起诉", 40 if layout == "columns" else 52)):
        narrow = narrow.replace(f">{name}</th>", f' width="{px}">{name}</th>')
    html = tmp_path / f"窄格_{layout}.html"
    html.write_text(narrow, encoding="utf-8")
    (docx,) = convert([html], tmp_path / "docx", "docx:MS Word 2007 XML", recalc=False)
    (pdf,) = convert([docx], tmp_path / "pdf", "pdf", recalc=False)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    t4_text = text[text.rindex("四、政府信息公开行政复议") :]
    assert "未经复" in t4_text and "未经复议直接起诉" not in t4_text.replace(" ", "")  # wrapped, as printed
    res = import_report(pdf)
    got = res.submission.all_values()
    t4 = [k for k in want if k.startswith("t4.")]
    assert {k: got.get(k) for k in t4} == {k: want[k] for k in t4}, res.findings
    assert not [k for k in res.unknown if k.startswith("t4.")]
    assert any("表四" in n and "竖排" in n for n in res.notes), res.notes


def test_a_title_wrapped_inside_a_word_on_the_printed_page_is_read(soffice, pdftotext, tmp_path):
    """The rendered web page opened in LibreOffice Writer, saved as Word and printed to PDF: the
    agency and the title share one heading line, which wraps inside the title (…工作 / 年度报告). The
    title was not found (机关名称和年度未读出); the two lines are read as one title now, and a
    sentence of the text that wraps the same way is still no title."""
    from tests.office import convert
    from toolkit.importers.titles import title_of

    sub = _t4_subject(14)
    sub.cover["agency"] = "示例市青川区文化和旅游局"
    html = render(sub, tmp_path / "报告.html")
    (docx,) = convert([html], tmp_path / "docx", "docx:MS Word 2007 XML", recalc=False)
    (pdf,) = convert([docx], tmp_path / "pdf", "pdf", recalc=False)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    first, second = [ln.replace(" ", "") for ln in text.splitlines() if ln.strip()][:2]
    assert "信息公开" in first and "报告" not in first and second.endswith("报告"), (first, second)  # wrapped
    res = import_report(pdf)
    assert (res.submission.agency, res.submission.year) == ("示例市青川区文化和旅游局", 2025), res.findings
    assert not [f for f in res.findings if "标题" in f.message]
    got = res.submission.all_values()
    assert {k: v for k, v in sub.all_values().items() if got.get(k) != v} == {}
    assert title_of(["本机关2025年政府信息公开工作年", "度报告如下。"]) == ("", None, None)
