"""The publishable report read as a Chinese reader reads it: no fact said twice in one section.

A person's text (the 文字 sheet) and the paragraphs the numbers write sit side by side; where the
person already says a thing (本年度没有收取信息处理费), the drafted sentence must not say it again
(the shipped sample printed it twice in 六). Checked on every shipped sample, rendered as the
command renders it.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli import main
from toolkit.narrative import _FIGURES, _NONE_COLLECTED, _sentences, states_fees
from toolkit.reader import read_workbook
from toolkit.spec import load_spec
from toolkit.template import make_template

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.xlsx"))
SPEC = load_spec()
HEADS = ("一、总体情况", "二、", "三、", "四、", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")


def _render_md(src: Path, out: Path) -> str:
    r = CliRunner().invoke(main, ["render", str(src), "-o", str(out), "--draft"])
    assert r.exit_code in (0, 1), r.output
    return out.read_text(encoding="utf-8")


def _section(md: str, head: str) -> str:
    """The text of one section of the Markdown report (to the next ### heading)."""
    m = re.search(r"^### " + re.escape(head) + r".*?$(.*?)(?=^### |\Z)", md, re.M | re.S)
    assert m, head
    return m.group(1)


def _statements(text: str) -> dict[str, int]:
    """How many sentences state each figure the narrative knows; a sentence saying no fee was
    collected counts as ``no-fee``."""
    out: dict[str, int] = {}
    for s in _sentences({"overview": text}):
        keys = {key for pat, key, _ in _FIGURES if pat.search(s)}
        if _NONE_COLLECTED.search(s):
            keys.add("no-fee")
        for k in keys:
            out[k] = out.get(k, 0) + 1
    return out


def test_no_section_of_a_sample_report_states_a_figure_twice(tmp_path):
    rendered = 0
    for i, src in enumerate(SAMPLES):
        out = tmp_path / f"{i}.md"
        r = CliRunner().invoke(main, ["render", str(src), "-o", str(out), "--draft"])
        if not out.exists():  # a sample that is broken on purpose (a CSV renamed .xlsx)
            assert r.exit_code != 0, r.output
            continue
        rendered += 1
        md = out.read_text(encoding="utf-8")
        for head in (HEADS[0], HEADS[5]):
            said = _statements(_section(md, head))
            twice = {k: n for k, n in said.items() if n > 1}
            assert not twice, f"{src.name} {head}: said more than once {twice}\n{_section(md, head)}"
    assert rendered >= 10  # the check runs on the shipped samples, not on nothing


def _with_other_matters(tmp_path: Path, text: str, collected: int = 0) -> Path:
    sub = read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx")
    sub.texts["other_matters"] = text
    if collected:
        sub.values["s6.fee_notices"] = 1
        sub.values["s6.fee_notified"] = collected
        sub.values["s6.fee_collected"] = collected
    out = tmp_path / "in.xlsx"
    make_template(out, sub)
    return out


def test_a_persons_no_fee_sentence_is_not_followed_by_three_zeros(tmp_path):
    """ "本年度未收取信息处理费。" says all there is when no notice was sent: the drafted sentence
    (0件, 0元, 0元) would only say it again, so it is left out (the trial's 六 read redundantly)."""
    for i, own in enumerate(("本年度没有收取信息处理费。", "本年度未收取信息处理费。")):
        (tmp_path / str(i)).mkdir()
        src = _with_other_matters(tmp_path / str(i), own)
        six = _section(_render_md(src, tmp_path / str(i) / "r.md"), HEADS[5])
        assert own in six
        assert "信息处理费" not in six.replace(own, "") and "收费通知" not in six, six


def test_a_persons_no_fee_sentence_is_followed_by_the_notices_sent(tmp_path):
    """Notices sent but nothing paid: the figures say what the person's sentence does not."""
    sub = read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx")
    sub.texts["other_matters"] = "本年度未收取信息处理费。"
    sub.values.update({"s6.fee_notices": 2, "s6.fee_notified": 300, "s6.fee_collected": 0})
    make_template(tmp_path / "in.xlsx", sub)
    six = _section(_render_md(tmp_path / "in.xlsx", tmp_path / "r.md"), HEADS[5])
    assert "本年度未收取信息处理费。" in six
    assert "本年度发出收费通知2件，总金额300元，实际收取的总金额0元。" in six
    assert "未收取政府信息公开信息处理费" not in six


def test_without_the_persons_fee_sentence_the_drafted_one_says_it(tmp_path):
    src = _with_other_matters(tmp_path, "无其他需要报告的事项。")
    six = _section(_render_md(src, tmp_path / "r.md"), HEADS[5])
    assert "本年度未收取政府信息公开信息处理费，发出收费通知0件，总金额0元，实际收取的总金额0元。" in six


def test_a_persons_fee_amount_is_not_said_again_as_a_lead(tmp_path):
    src = _with_other_matters(tmp_path, "本年度实际收取信息处理费200元。", collected=200)
    six = _section(_render_md(src, tmp_path / "r.md"), HEADS[5])
    assert "本年度发出收费通知1件，总金额200元，实际收取的总金额200元。" in six
    assert "信息处理费情况：" not in six


def test_states_fees_reads_the_common_forms():
    assert states_fees("本年度没有收取信息处理费。")
    assert states_fees("工作过程中未收取任何信息处理费")
    assert states_fees("全年实际收取信息处理费0.02万元")
    assert not states_fees("无其他需要报告的事项。")
    assert not states_fees("")


def test_each_drafted_paragraph_opens_with_its_topic_in_both_formats(tmp_path):
    """主动公开方面 / 依申请公开方面 / 本年度…: a paragraph never opens mid-topic (the 2019 format,
    without 表二's 2021 rows, began "主动公开行政许可决定…")."""
    from tests.test_format_2019 import sub_2019
    from toolkit.narrative import draft_paragraphs

    for sub in (read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx"), sub_2019(2020, "青川区甲局")):
        for p in draft_paragraphs(sub):
            if p.section == "overview":
                assert p.text.startswith(("主动公开方面，", "依申请公开方面，", "本年度")), (
                    sub.spec.id,
                    p.text,
                )


def _leading(text: str, start: str) -> int:
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(start))
    return len(line) - len(line.lstrip())


def test_printed_paragraphs_are_indented_two_characters_as_in_the_docx(
    tmp_path, chromium, soffice, pdftotext
):
    """A Chinese report's paragraphs open with a two-character indent (the .docx had it, the web
    page did not); headings do not. Checked on paper: Chromium's print of the .html and
    LibreOffice's of the .docx, read back with pdftotext -layout."""
    import subprocess

    src = ROOT / "samples" / "青川区教育委员会.xlsx"
    for suffix in (".html", ".docx"):
        out = tmp_path / f"r{suffix}"
        # --draft: a sample's texts are 示例文字 (the draft's banner is no paragraph of the report)
        r = CliRunner().invoke(main, ["render", str(src), "-o", str(out), "--draft"])
        assert r.exit_code == 0, r.output
        pdf = tmp_path / f"r{suffix}.pdf"
        if suffix == ".html":
            cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
            cmd += [f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={pdf}", out.as_uri()]
        else:
            cmd = [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "lo"), str(out)]
        subprocess.run(cmd, capture_output=True, timeout=180, check=True)
        if suffix == ".docx":
            pdf = tmp_path / "lo" / "r.pdf"
        text = subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        head = _leading(text, "一、总体情况")
        for start in ("依据《中华人民共和国政府信息公开条例》", "主动公开方面", "依申请公开方面", "政策解读"):
            assert _leading(text, start) > head, (suffix, start)


def test_a_change_from_a_negative_last_year_gives_no_percentage():
    """Last year's figure printed as -5 (a report's error, VALUE-NEGATIVE): 'increased 8, grew
    -160.0%' reads as nonsense; the change is said without a percentage."""
    from toolkit.narrative import _change

    assert _change(3, -5) == "，较上年（-5件）增加8件"
    assert _change(3, 0) == "，较上年（0件）增加3件"
    assert _change(3, 2) == "，较上年（2件）增加1件，增长50.0%"


REF_REPORT = ROOT / "tests" / "fixtures" / "reference" / "000_f97a9d76fb144919.txt"


def _reference_with_overview(overview: str):
    """The reference (北京市密云区融媒体中心 2023, published) as imported, its 总体情况 replaced."""
    from toolkit.importers.report import import_report

    sub = import_report(REF_REPORT).submission
    sub.texts = {**sub.texts, "overview": overview}
    return sub


def _overview_lines(sub, tmp_path, suffix: str = ".md") -> list[str]:
    from toolkit.outputs.render import render

    out = render(sub, tmp_path / f"r{suffix}")
    md = out.read_text(encoding="utf-8")
    return [ln.strip() for ln in _section(md, "一、总体情况").splitlines() if ln.strip()]


def test_drafted_figures_go_into_the_clerks_own_numbered_item(tmp_path):
    """The reference report's 总体情况 is the clerk's （一）组织领导 …（五）监督保障, the figures told
    inside （二）主动公开和依申请公开. With that item's figure sentence left out, render used to
    put its drafted 主动公开方面/依申请公开方面/复议诉讼 paragraphs above （一）, before the clerk's
    own first item. They belong to the item that is about them: right under （二）'s heading, each
    once; （一） stays the section's first line and the clerk's words are all there, in order."""
    from toolkit.importers.report import import_report

    said = import_report(REF_REPORT).submission.texts["overview"]
    figure = "年内本单位政府信息公开申请0件。"
    assert figure in said
    sub = _reference_with_overview(said.replace(figure, ""))
    lines = _overview_lines(sub, tmp_path)
    items = [i for i, ln in enumerate(lines) if re.match(r"（[一二三四五]）", ln)]
    assert [lines[i] for i in items] == [
        "（一）组织领导",
        "（二）主动公开和依申请公开",
        "（三）平台建设",
        "（四）教育培训",
        "（五）监督保障",
    ]
    assert items[0] == 0, lines[:3]  # nothing drafted stands above the clerk's （一）
    two = lines[items[1] + 1 : items[2]]
    assert [ln[:7] for ln in two[:3]] == ["主动公开方面，", "依申请公开方面", "本年度未发生因"], two
    assert two[3].startswith("2023年，区融媒体中心主动公开工作方面")  # then the clerk's own text
    joined = "\n".join(lines)
    for start in ("主动公开方面，", "依申请公开方面，", "本年度未发生因政府信息公开引起"):
        assert joined.count(start) == 1, start
    assert [ln for ln in lines if ln in said.replace(figure, "").splitlines()] == [
        ln for ln in said.replace(figure, "").splitlines() if ln.strip()
    ]


def test_drafted_figures_without_an_item_of_their_own_come_last_under_the_next_number(tmp_path):
    """Numbered items none of which is about 主动公开/依申请公开 (组织领导, 平台建设): the drafted
    paragraphs are the section's next item, after the clerk's last, never above （一）; the web
    page and the Word report place them alike. A section without numbered items keeps them first."""
    sub = _reference_with_overview("（一）组织领导\n成立领导小组。\n（二）平台建设\n升级网站。")
    for suffix in (".md", ".html"):
        lines = _overview_lines(sub, tmp_path, suffix) if suffix == ".md" else None
        if lines is None:
            from toolkit.outputs.render import render

            html = render(sub, tmp_path / "r.html").read_text(encoding="utf-8")
            body = re.sub(r"<[^>]+>", "\n", html.split("<h2>一、总体情况</h2>", 1)[1].split("<h2>", 1)[0])
            lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        assert lines[:4] == ["（一）组织领导", "成立领导小组。", "（二）平台建设", "升级网站。"], lines
        assert lines[4] == "（三）主动公开、依申请公开和行政复议、行政诉讼情况", lines
        assert [ln[:7] for ln in lines[5:]] == ["主动公开方面，", "依申请公开方面", "本年度未发生因"]
    plain = _reference_with_overview("本机关认真贯彻落实《条例》。")
    lines = _overview_lines(plain, tmp_path)
    assert lines[0].startswith("主动公开方面，") and lines[-1] == "本机关认真贯彻落实《条例》。"
