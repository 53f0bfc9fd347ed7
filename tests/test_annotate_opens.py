"""The annotated copy opens where the agency should start: on its 问题清单, with that sheet alone
selected. The copy inserted 问题清单 first and made it the active tab, but the agency's own
workbook kept its 填报说明 marked selected (tabSelected): Excel then opens the copy with two
sheets grouped (“[组]” in the title bar), where what one types goes into every grouped sheet."""

from __future__ import annotations

import re
import zipfile

import pytest

from tests.conftest import ROOT, run_cli

SAMPLES = ("青川区公安分局", "青川区住房和城乡建设委员会")


def _sheets(path) -> tuple[int, list[tuple[str, bool]]]:
    """(activeTab, [(sheet name, tabSelected)] in tab order), read from the file's XML."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
        target = {
            m.group(1): m.group(2)
            for m in re.finditer(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels)
        }
        target |= {
            m.group(2): m.group(1)
            for m in re.finditer(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)
        }
        active = re.search(r'activeTab="(\d+)"', wb)
        out = []
        for m in re.finditer(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', wb):
            part = target[m.group(2)].lstrip("/")
            part = part if part.startswith("xl/") else f"xl/{part}"
            xml = z.read(part).decode()
            view = re.search(r"<sheetView [^>]*>", xml)
            out.append((m.group(1), bool(view and re.search(r'tabSelected="(1|true)"', view.group(0)))))
    return (int(active.group(1)) if active else 0), out


@pytest.mark.parametrize("name", SAMPLES)
def test_the_copy_opens_on_its_problem_list_alone(name, tmp_path):
    r = run_cli("validate", ROOT / "samples" / f"{name}.xlsx", "--year", 2025, "--annotate", tmp_path)
    assert r.returncode == 1, r.stderr
    active, sheets = _sheets(tmp_path / f"{name}_批注.xlsx")
    assert sheets[active][0] == "问题清单"
    assert [s for s, selected in sheets if selected] == ["问题清单"], sheets


def _boxes(path) -> list[tuple[int, int]]:
    """(width, height) in pixels of every comment box, from the copy's VML drawing."""
    with zipfile.ZipFile(path) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    return [(int(w), int(h)) for w, h in re.findall(r"width:(\d+)px;height:(\d+)px", vml)]


def _texts(path) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    return [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]


def test_each_comment_box_holds_its_whole_explanation(tmp_path):
    """Excel shows a 批注 in a box of the size the file gives and cuts what does not fit: a
    T3-BALANCE explanation (~170 characters) was put in a 360 × 80 px box that holds about four
    lines. Counted here at the comments' 9 pt (a Chinese character 12 px wide, another 7 px; 15 px a
    line, 10 px of padding): every box is tall enough for its text."""
    name = "青川区公安分局"  # T3-BALANCE: the longest message of the samples
    r = run_cli("validate", ROOT / "samples" / f"{name}.xlsx", "--year", 2025, "--annotate", tmp_path)
    assert r.returncode == 1, r.stderr
    copy = tmp_path / f"{name}_批注.xlsx"
    boxes, texts = _boxes(copy), _texts(copy)
    assert len(boxes) == len(texts) >= 1
    short = []
    for (w, h), text in zip(boxes, texts, strict=True):
        lines = 0
        for para in text.split("\n"):
            px = sum(12 if ord(ch) > 0x2000 else 7 for ch in para)
            lines += max(1, -(-px // (w - 10)))
        if h < lines * 15 + 10:
            short.append((w, h, lines, text[:30]))
    assert short == []


def test_comments_are_signed_in_chinese(tmp_path):
    """A 批注's author is what Excel and WPS print above it ("xxgk 校验:"): a word the clerk reads."""
    import openpyxl

    name = "青川区公安分局"
    assert run_cli("validate", ROOT / "samples" / f"{name}.xlsx", "--annotate", tmp_path).returncode == 1
    wb = openpyxl.load_workbook(tmp_path / f"{name}_批注.xlsx")
    authors = {c.comment.author for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment}
    assert authors == {"年报校验"}
