"""The national 表三 in the rendered .docx: every row label on one line. Its first layout wrapped
（二）部分公开（区分处理的，只计这一情形，不计其他情形） over two lines and （六）'s 1. and 2. over
three, beside number columns far wider than their numbers (report33's review). The .docx is
printed by LibreOffice, read back with pdftotext -layout, and each label must be whole on one
line of the page, with the applicant headers still on one line each (tests/test_print.py) and
the table on its one landscape page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.office import convert
from toolkit.outputs.render import render
from toolkit.reader import read_workbook
from toolkit.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def _labels() -> list[str]:
    """Every row label of the national 表三 (group and item labels), as the form prints them."""
    spec = load_spec()
    out = []
    for lab in spec.labels_on("表三"):
        if lab.role == "row" and lab.text not in out:
            out.append(lab.text)
    return out


def _printed_lines(soffice, pdftotext, tmp_path) -> tuple[list[str], int]:
    sub = read_workbook(ROOT / "samples" / "青川区教育委员会.xlsx")
    out = render(sub, tmp_path / "r.docx", draft=True)
    (pdf,) = convert([out], tmp_path / "lo", to="pdf", recalc=False)
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    (page,) = [p for p in pages if "三、收到和处理政府信息公开申请情况" in p]
    return [re.sub(r"\s+", "", ln) for ln in page.splitlines()], len([p for p in pages if p.strip()])


def test_every_label_of_the_national_table_three_is_on_one_line(soffice, pdftotext, tmp_path):
    lines, pages = _printed_lines(soffice, pdftotext, tmp_path)
    labels = _labels()
    assert len(labels) >= 28 and "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in labels
    split = [lab for lab in labels if not any(re.sub(r"\s+", "", lab) in ln for ln in lines)]
    assert not split, split  # a label wrapped is in no one line whole
    assert any("（七）总计" in ln for ln in lines) and any("四、结转下年度继续办理" in ln for ln in lines)
    assert pages == 4  # 表三 still on a page of its own, as before
    assert any("商业企业科研机构社会公益组织法律服务机构其他" in ln for ln in lines)  # headers whole
