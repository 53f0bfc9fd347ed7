"""A printed page's footer names the agency: a name full of ``&`` (Excel's footer codes, doubled to
print as such) must neither push the footer past Excel's 255 characters — xlsxwriter then refuses
it with a Python warning on the console and the pages print without the agency — nor break it."""

from __future__ import annotations

import html
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


def _footers_xml(xml: str) -> list[str]:
    return [html.unescape(f) for f in re.findall(r"<oddFooter>([^<]*)</oddFooter>", xml)]


def _footers(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return _footers_xml(
            "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        )


def _center(footer: str) -> str:
    """The centre part as printed: codes gone, ``&&`` one ``&``."""
    m = re.search(r"&C(.*?)(?:&R|$)", footer)
    text = m.group(1) if m else ""
    return re.sub(r"&(&)|&\d+|&[A-Z]", lambda k: k.group(1) or "", text)


def test_a_name_of_ampersands_keeps_every_footer_within_excels_limit(tmp_path):
    name = "&" * 140  # the cover holds it; 140 of them doubled are 280 characters
    cover = {"agency": name, "code": BASE + uscc_check_char(BASE), "parent": "示例市青川区", "year": 2025}
    book = make_template(
        tmp_path / "w.xlsx", Submission(spec=load_spec(), cover=cover, values=clean_values())
    )
    r = run_xxgk(["validate", str(book), "--report", str(tmp_path / "问题清单.xlsx")])
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    for made in (book, tmp_path / "问题清单.xlsx"):
        footers = _footers(made)
        assert footers, made
        for f in footers:
            assert len(f) <= 255, (made.name, len(f))
            shown = _center(f)
            # the agency's name is printed (cut, marked …), not dropped for the generic words
            assert shown.startswith("&" * 50) and "…" in shown, (made.name, shown)
    openpyxl.load_workbook(tmp_path / "问题清单.xlsx").close()


def test_a_long_name_with_ampersands_in_the_annotated_copy_footer(tmp_path):
    """The 批注版's 问题清单 (openpyxl) too: its footer at most 255 characters, the name cut with …
    (openpyxl wrote 240 doubled ``&`` and its codes: a footer Excel calls damaged)."""
    name = "&" * 140
    cover = {"agency": name, "code": BASE + uscc_check_char(BASE), "parent": "示例市青川区", "year": 2025}
    v = clean_values()
    v["t3.carried_out.natural_person"] = v.get("t3.carried_out.natural_person", 0) + 1  # an error: annotated
    book = make_template(tmp_path / "w.xlsx", Submission(spec=load_spec(), cover=cover, values=v))
    r = run_xxgk(["validate", str(book), "--annotate", str(tmp_path / "out")])
    assert "Warning" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    (copy,) = (tmp_path / "out").iterdir()
    wb = openpyxl.load_workbook(copy)
    ws = wb["问题清单"]
    center = ws.oddFooter.center.text
    wb.close()
    with zipfile.ZipFile(copy) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        written = [f for n in names for f in _footers_xml(z.read(n).decode())]
    assert written and all(len(f) <= 255 for f in written), [len(f) for f in written]
    assert center.startswith("&&" * 50) and "…" in center, center
