"""``xxgk import`` of published reports in the layouts issue 19 found misread or unread.

Every fixture is made here from known numbers (no copies of real reports): Markdown saved as .txt,
titles with the year first, fee sentences in their common forms, a province's own numbering,
two instances of 表三 side by side, a skewed PDF. The rule checked everywhere: a number read is
the number printed at its label; one not found is unknown, never another label's.
"""

from __future__ import annotations

import re
from pathlib import Path

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


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
