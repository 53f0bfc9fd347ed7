"""Published-report PDFs with known numbers, laid out in several ways (the import's fixtures).

``xxgk render`` writes the report as .docx; each :class:`Layout` then changes the page (A4
landscape/portrait, A5), the font and its size, the width of the label columns and the vertical
alignment of the cells, and adds a running head and "- N -" page numbers, so that LibreOffice
wraps the labels over one, two or three lines, puts the numbers on the first, middle or last of
them, and breaks 表三 across pages. All layouts convert in one soffice call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.office import convert
from toolkit.model import Submission
from toolkit.outputs.render import render
from toolkit.spec import load_spec

SPEC = load_spec()


@dataclass(frozen=True)
class Layout:
    name: str
    page_cm: tuple[float, float] = (29.7, 21.0)
    font: str = "宋体"
    size_pt: float = 10
    label_scale: float = 1.0  # label columns' share of the width, relative to the rendered one
    valign: str = "top"  # top / center / bottom: where the numbers stand against a wrapped label
    margins_cm: float = 2.0


LAYOUTS = [
    Layout("landscape"),
    Layout("portrait", page_cm=(21.0, 29.7), label_scale=0.7),
    Layout("portrait-narrow-center", page_cm=(21.0, 29.7), size_pt=9, label_scale=0.45, valign="center"),
    Layout("landscape-big-bottom", font="Noto Sans CJK SC", size_pt=12, label_scale=0.55, valign="bottom"),
    Layout("a5", page_cm=(14.8, 21.0), size_pt=7, label_scale=0.8, valign="center", margins_cm=1.0),
]


def known_values(seed: int) -> dict:
    """Input values with zeros, small and four-digit numbers, and fees with decimals."""
    rnd = random.Random(seed)
    vals: dict = {}
    for k in SPEC.input_keys:
        c = SPEC.cells[k]
        if c.table == "t4":  # 15 columns must fit an A5 page: totals of two digits
            vals[k] = rnd.choice([0, rnd.randint(1, 9), rnd.randint(10, 20)])
        elif c.type and c.type.kind == "decimal":
            vals[k] = Decimal(rnd.randint(0, 99999)) / 100
        else:
            vals[k] = rnd.choice([0, 0, rnd.randint(1, 9), rnd.randint(10, 999), rnd.randint(1000, 2500)])
    # a report whose rules hold (validate finds nothing): each column balances, fees agree
    results = [
        c.key.split(".")[1] for c in SPEC.cells.values() if c.table == "t3" and c.col_key == "business"
    ]
    results = results[2 : results.index("result_total")]
    for col in ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org"):
        done = sum(vals[f"t3.{r}.{col}"] for r in results)
        vals[f"t3.carried_in.{col}"] = min(vals[f"t3.carried_in.{col}"], done)
        vals[f"t3.new_received.{col}"] = done + vals[f"t3.carried_out.{col}"] - vals[f"t3.carried_in.{col}"]
    unpaid = sum(
        vals[f"t3.other_fee_unpaid.{c}"]
        for c in ("natural_person", "business", "research", "public_welfare", "legal_service", "other_org")
    )
    vals["s6.fee_notices"] = unpaid + rnd.randint(1, 9)
    vals["s6.fee_collected"] = min(vals["s6.fee_collected"], vals["s6.fee_notified"])
    return vals


def _apply(docx: Path, lay: Layout, agency: str, year: int) -> None:
    from docx import Document
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT as VA
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, Twips

    doc = Document(str(docx))
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(lay.page_cm[0]), Cm(lay.page_cm[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(lay.margins_cm))
    sec.header.paragraphs[0].text = f"{agency}{year}年政府信息公开工作年度报告"
    foot = sec.footer.paragraphs[0]
    for child in list(foot._p):  # this layout's own page number replaces the one render writes
        if child.tag != qn("w:pPr"):
            foot._p.remove(child)
    foot.add_run("- ")
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    foot._p.append(fld)
    foot.add_run(" -")
    usable = lay.page_cm[0] - 2 * lay.margins_cm
    align = {"top": VA.TOP, "center": VA.CENTER, "bottom": VA.BOTTOM}[lay.valign]
    for table in doc.tables:
        grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
        old = [int(g.get(qn("w:w"))) for g in grid]
        last = table.rows[-1].cells
        numeric = [_is_num(last[c].text) if c < len(last) else False for c in range(len(old))]
        lab_w = [w * lay.label_scale for w, n in zip(old, numeric, strict=True) if not n]
        n_num = sum(numeric)
        size = min(lay.size_pt, 7) if len(old) >= 15 else lay.size_pt  # 表四's 15 columns
        total = usable / 2.54 * 1440  # twips, the unit of w:gridCol
        digits = 3 if len(old) >= 15 else 5
        num_min = (digits * size * 0.6 / 72 * 2.54 + 0.45) / 2.54 * 1440  # the widest number fits
        label_total = max(min(sum(lab_w), total - n_num * num_min), total * 0.15)
        scale = label_total / sum(lab_w) if lab_w else 1
        num_w = (total - label_total) / n_num if n_num else 0
        new = [num_w if n else w * lay.label_scale * scale for w, n in zip(old, numeric, strict=True)]
        for g, w in zip(grid, new, strict=True):
            g.set(qn("w:w"), str(int(w)))
        for row in table.rows:
            seen = set()
            for c, cell in enumerate(row.cells):
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                cell.width = Twips(int(new[c]))
                cell.vertical_alignment = align
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.font.size = Pt(size)
                        run.font.name = lay.font
                        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), lay.font)
    doc.save(str(docx))


def _is_num(s: str) -> bool:
    return s.strip().replace(".", "", 1).isdigit()


def make_pdfs(
    outdir: Path, seeds: list[int], layouts: list[Layout] = LAYOUTS
) -> list[tuple[Path, Layout, Submission]]:
    """One PDF per (seed, layout): the report of ``known_values(seed)``; returns (pdf, layout, submission)."""
    outdir.mkdir(parents=True, exist_ok=True)
    made = []
    for seed in seeds:
        vals = known_values(seed)
        agency, year = f"示例市青川区第{seed}局", 2025
        sub = Submission(
            spec=SPEC,
            cover={"agency": agency, "year": year},
            values=vals,
            texts={
                "overview": f"本机关全年共收到政府信息公开申请{sum(vals[f't3.new_received.{c}'] for c in ('natural_person', 'business', 'research', 'public_welfare', 'legal_service', 'other_org'))}件。"
            },
        )
        for lay in layouts:
            d = outdir / f"r{seed}_{lay.name}.docx"
            render(sub, d)
            _apply(d, lay, agency, year)
            made.append((d, lay, sub))
    pdfs = convert([d for d, _, _ in made], outdir, "pdf", recalc=False)
    return [(p, lay, sub) for p, (_, lay, sub) in zip(pdfs, made, strict=True)]


def expected_numbers(sub: Submission) -> dict:
    """Every numeric key as the report prints it (inputs, and totals recomputed)."""
    return sub.all_values()
