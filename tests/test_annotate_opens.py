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
