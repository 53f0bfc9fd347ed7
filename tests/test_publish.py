"""From the inbox to a district report that can be published (issue 18), on a generated 30-agency
inbox, through the real CLI: an unfinished report is refused or visibly a draft; no output
replaces an existing file unasked; the numbers write their own paragraphs; the coordinator's
words survive a re-merge; a corrected resubmission counts by itself."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.inbox import YEAR, make_inbox
from toolkit.cli import main
from toolkit.spec import load_spec

SPEC = load_spec()


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def docx_text(path: Path) -> str:
    """Every paragraph of the document, its headers included, as Word stores them."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for s in doc.sections:
        parts += [p.text for p in s.header.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def type_texts(summary: Path, texts: dict[str, str]) -> None:
    """Type into the summary's 文字 sheet as a coordinator does (openpyxl, as Excel would save)."""
    wb = openpyxl.load_workbook(summary)
    for key, text in texts.items():
        c = SPEC.cells[key]
        wb[c.sheet][c.a1].value = text
    wb.save(summary)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    return make_inbox(tmp_path_factory.mktemp("inbox"))


@pytest.fixture
def merged(inbox, tmp_path):
    out = tmp_path / "汇总.xlsx"
    r = run("merge", inbox.folder, "--roster", inbox.roster, "--previous", inbox.previous, "-o", out)
    assert r.exit_code == 0, r.output
    return out


# -- 1. an unfinished report is not published by accident ------------------------------------------
def test_render_of_an_unfinished_summary_is_refused_and_says_why(merged, tmp_path):
    out = tmp_path / "报告.docx"
    r = run("render", merged, "-o", out)
    assert r.exit_code == 1
    assert "未完成" in r.output and "总体情况" in r.output and "存在的主要问题及改进情况" in r.output
    assert "--draft" in r.output and not out.exists()


def test_render_of_an_incomplete_summary_names_summary_incomplete(inbox, tmp_path):
    partial = tmp_path / "部分"
    partial.mkdir()
    for p in sorted(inbox.folder.iterdir())[:25]:  # 5 agencies have not sent theirs
        (partial / p.name).write_bytes(p.read_bytes())
    summary = tmp_path / "汇总.xlsx"
    assert run("merge", partial, "--roster", inbox.roster, "-o", summary).exit_code == 1
    type_texts(summary, {"overview": "总体情况。", "problems": "存在的问题。"})  # texts are there
    r = run("render", summary, "-o", tmp_path / "r.md")
    assert r.exit_code == 1 and "SUMMARY-INCOMPLETE" in r.output and "未报送" in r.output
    assert not (tmp_path / "r.md").exists()


@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
def test_a_draft_says_so_in_its_title_and_on_every_page(merged, tmp_path, suffix):
    out = tmp_path / f"草稿{suffix}"
    r = run("render", merged, "-o", out, "--draft")
    assert r.exit_code == 0, r.output
    assert "已生成草稿" in r.output
    text = docx_text(out) if suffix == ".docx" else out.read_text(encoding="utf-8")
    assert "政府信息公开工作年度报告（草稿）" in text
    assert "草稿：内容尚未完成，不得公开发布" in text
    assert "【待补充】" in text
    if suffix == ".docx":
        from docx import Document

        doc = Document(str(out))
        # every section (the landscape ones of 表三 and 表四 too) shows the draft header
        assert all("草稿" in "".join(p.text for p in s.header.paragraphs) for s in doc.sections)


def test_a_finished_report_carries_no_draft_mark(merged, tmp_path):
    type_texts(merged, {"overview": "本区坚持以公开为常态。", "problems": "政策解读形式不够丰富。"})
    out = tmp_path / "报告.docx"
    r = run("render", merged, "-o", out)
    assert r.exit_code == 0, r.output
    text = docx_text(out)
    assert "草稿" not in text and "【待补充】" not in text and "本区坚持以公开为常态。" in text


# -- no output replaces an existing file without --force ---------------------------------------------
def test_no_command_replaces_an_existing_file_without_force(merged, inbox, tmp_path):
    one = inbox.files[next(iter(inbox.files))]
    type_texts(merged, {"overview": "总体。", "problems": "问题。"})
    cases = [
        ("render", merged, "-o", "{out}"),
        ("merge", inbox.folder, "--roster", inbox.roster, "-o", "{out}"),
        ("export", one, "-o", "{out}"),
        ("validate", one, "--report", "{out}"),
        ("template", "--year", YEAR, "-o", "{out}"),
    ]
    for i, case in enumerate(cases):
        suffix = {"render": ".md", "export": ".json"}.get(case[0], ".xlsx")
        out = tmp_path / f"已有{i}{suffix}"
        out.write_bytes(b"keep me")
        args = [str(out) if a == "{out}" else a for a in case]
        r = run(*args)
        assert r.exit_code == 2, (case[0], r.output)
        assert "已存在" in r.output and "--force" in r.output, case[0]
        assert out.read_bytes() == b"keep me", case[0]
        r = run(*args, "--force")
        assert r.exit_code in (0, 1), (case[0], r.output)
        assert out.read_bytes() != b"keep me", case[0]


def test_template_roster_never_overwrites_templates_already_there(inbox, tmp_path):
    out = tmp_path / "模板"
    assert run("template", "--roster", inbox.roster, "--year", YEAR, "-o", out).exit_code == 0
    filled = out / f"{next(iter(inbox.files))}.xlsx"
    filled.write_bytes(b"filled in")
    r = run("template", "--roster", inbox.roster, "--year", YEAR, "-o", out)
    assert r.exit_code == 2 and "--force" in r.output and filled.read_bytes() == b"filled in"
    assert run("template", "--roster", inbox.roster, "--year", YEAR, "-o", out, "--force").exit_code == 0
    assert zipfile.is_zipfile(filled)


def test_annotated_copies_of_an_earlier_run_stay(tmp_path, inbox):
    src = tmp_path / "收"
    src.mkdir()
    bad = src / "甲.xlsx"
    bad.write_bytes(next(iter(inbox.files.values())).read_bytes())
    wb = openpyxl.load_workbook(bad)
    c = SPEC.cells["t3.new_received.natural_person"]
    wb[c.sheet][c.a1].value = -1
    wb.save(bad)
    back = tmp_path / "退回"
    run("validate", bad, "--annotate", back)
    first = sorted(back.iterdir())
    assert len(first) == 1
    first[0].write_bytes(b"sent already")
    run("validate", bad, "--annotate", back)
    assert first[0].read_bytes() == b"sent already" and len(list(back.iterdir())) == 2
