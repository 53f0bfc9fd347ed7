"""Submission -> the publishable report (.docx / .html / .md).

Six sections in the official order and headings; the text sections from the workbook's 文字 sheet
(or a clear placeholder); tables 二/三/四 in the official layout, built from the same spec layout
the template writer uses (merged header cells become rowspan/colspan in HTML and merged cells in
Word; Markdown, which cannot merge, gets the labels joined); the section 六 fee sentence written
from the numbers. Numbers are the toolkit's recomputed totals, never a cached result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from toolkit.model import Number, Submission
from toolkit.spec import FormSpec
from toolkit.template import atomic_output
from toolkit.textsafe import docx_text, excel_unescape, html_text, md_text

__all__ = ["GridCell", "fee_sentence", "render", "table_grid"]

INTRO = "依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。"
PLACEHOLDER = "（本部分内容未填写：请在填报表“文字”表中填写，或在此处补充。）"


@dataclass
class GridCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


def _fmt(v: Number) -> str:
    if isinstance(v, Decimal):
        return str(int(v)) if v == v.to_integral_value() else format(v.normalize(), "f")
    return str(v)


def table_grid(spec: FormSpec, sheet: str, values: dict[str, Number]) -> list[list[GridCell | None]]:
    """The table on ``sheet`` as a grid: a GridCell at each merge's top-left, None where covered.
    Rows narrower than the table (the short blocks of 表二) stretch their last cell to the width."""
    labels = [lab for lab in spec.labels_on(sheet) if lab.role not in ("title", "note")]
    cells = [c for c in spec.cells.values() if c.sheet == sheet]
    top = min([lab.row for lab in labels] + [c.row for c in cells])
    bottom = max([lab.last_row for lab in labels] + [c.row for c in cells])
    width = max([lab.last_col for lab in labels] + [c.col for c in cells]) + 1
    rows: dict[int, list[GridCell | None]] = {}
    placed: dict[tuple[int, int], GridCell] = {}
    covered: set[tuple[int, int]] = set()
    for lab in labels:
        g = GridCell(lab.text, lab.last_row - lab.row + 1, lab.last_col - lab.col + 1, header=True)
        placed[(lab.row, lab.col)] = g
        covered |= {
            (r, c) for r in range(lab.row, lab.last_row + 1) for c in range(lab.col, lab.last_col + 1)
        }
    for c in cells:
        placed[(c.row, c.col)] = GridCell(_fmt(values.get(c.key, 0)))
        covered.add((c.row, c.col))
    for r in range(top, bottom + 1):
        if not any((r, c) in covered for c in range(width)):
            continue  # the blank rows between 表二's blocks
        row: list[GridCell | None] = [placed.get((r, c)) for c in range(width)]
        last = max(c for c in range(width) if (r, c) in covered)
        if last < width - 1:  # a short block (表二): its row's last cell takes the rest of the width
            owner = next((row[c] for c in range(last, -1, -1) if row[c] is not None), None)
            if owner is not None and owner.rowspan == 1:
                owner.colspan += width - 1 - last
        rows[r] = row
    return list(rows.values())


def fee_sentence(values: dict[str, Number]) -> str:
    return (
        f"发出收费通知{_fmt(values.get('s6.fee_notices', 0))}件，总金额{_fmt(values.get('s6.fee_notified', 0))}元，"
        f"实际收取的总金额{_fmt(values.get('s6.fee_collected', 0))}元。"
    )


def _sections(sub: Submission) -> list[tuple[str, str | None, str | None]]:
    """(heading, text, table sheet) in the official order."""
    spec = sub.spec
    # text read from a workbook may carry Excel's _xHHHH_ escapes (_x000D_): the report shows the text
    texts = {f.key: excel_unescape(sub.texts.get(f.key, "")).strip() for f in spec.texts}
    heads = {f.key: f.label for f in spec.texts}
    values = sub.all_values()
    other = texts.get("other_matters", "")
    if "收费通知" not in other:
        other = (other + "\n" if other else "") + "本年度政府信息公开信息处理费情况：" + fee_sentence(values)
    tables = {t.id: t for t in spec.tables}
    return [
        (heads["overview"], texts.get("overview") or PLACEHOLDER, None),
        (tables["t2"].title, None, tables["t2"].sheet),
        (tables["t3"].title, None, tables["t3"].sheet),
        (tables["t4"].title, None, tables["t4"].sheet),
        (heads["problems"], texts.get("problems") or PLACEHOLDER, None),
        (heads["other_matters"], other, None),
    ]


def _title(sub: Submission) -> tuple[str, str]:
    year = f"{sub.year}年" if sub.year else ""
    return excel_unescape(sub.agency or "") or "（机关名称）", f"{year}政府信息公开工作年度报告"


def render(sub: Submission, path: str | os.PathLike[str]) -> Path:
    """Write the report; the format follows the suffix (.docx, .html/.htm, .md)."""
    p = Path(path)
    suffix = p.suffix.lower()
    writer = {".docx": _docx, ".html": _html, ".htm": _html, ".md": _md}.get(suffix)
    if writer is None:
        raise ValueError(f"不支持的报告格式 {suffix or '（无扩展名）'}：请用 .docx、.html 或 .md")
    with atomic_output(p) as tmp:
        writer(sub, tmp)
    return p


# -- HTML -----------------------------------------------------------------------------------------
_CSS = """body{font-family:"SimSun","Songti SC","Noto Serif CJK SC",serif;max-width:60em;margin:2em auto;line-height:1.8}
h1{text-align:center;font-size:1.6em}h1 small{display:block;font-size:.8em}h2{font-size:1.2em}
table{border-collapse:collapse;margin:1em 0;width:100%}td,th{border:1px solid #000;padding:.2em .4em;text-align:center}
th{font-weight:normal}td.num{text-align:center}"""


def _html(sub: Submission, out: Path) -> None:
    esc = html_text
    agency, title = _title(sub)
    values = sub.all_values()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(agency)}{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(agency)}<small>{esc(title)}</small></h1>",
        f"<p>{esc(INTRO)}</p>",
    ]
    for heading, text, sheet in _sections(sub):
        parts.append(f"<h2>{esc(heading)}</h2>")
        if text is not None:
            parts.extend(f"<p>{esc(line)}</p>" for line in text.splitlines() if line.strip())
        if sheet is not None:
            parts.append("<table>")
            for row in table_grid(sub.spec, sheet, values):
                parts.append("<tr>")
                for g in row:
                    if g is None:
                        continue
                    tag = "th" if g.header else "td"
                    span = (f' rowspan="{g.rowspan}"' if g.rowspan > 1 else "") + (
                        f' colspan="{g.colspan}"' if g.colspan > 1 else ""
                    )
                    parts.append(f"<{tag}{span}>{esc(g.text)}</{tag}>")
                parts.append("</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")


# -- Word -----------------------------------------------------------------------------------------
def _docx(sub: Submission, out: Path) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE  # 表三 and the 15 columns of 表四 need the width
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)  # A4, as reports are printed
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    doc.core_properties.author = "xxgk-toolkit"
    agency, title = _title(sub)
    for text in (agency, title):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(docx_text(text))
        run.bold = True
        run.font.size = Pt(16)
    doc.add_paragraph(INTRO)
    values = sub.all_values()
    for heading, text, sheet in _sections(sub):
        h = doc.add_paragraph()
        h.add_run(heading).bold = True
        if text is not None:
            for line in text.splitlines():
                if line.strip():
                    doc.add_paragraph(docx_text(line))
        if sheet is not None:
            grid = table_grid(sub.spec, sheet, values)
            width = max(sum(g.colspan for g in row if g) for row in grid)
            table = doc.add_table(rows=len(grid), cols=width)
            table.style = "Table Grid"
            table.autofit = False
            widths = _column_widths(grid, width, 25.7)
            for c, col in enumerate(table.columns):  # the grid columns LibreOffice and Word lay out by
                col.width = Cm(widths[c])
            for r, row in enumerate(grid):
                for c, g in enumerate(row):
                    if g is None:
                        continue
                    cell = table.cell(r, c)
                    if g.rowspan > 1 or g.colspan > 1:
                        cell = cell.merge(table.cell(r + g.rowspan - 1, c + g.colspan - 1))
                    cell.text = g.text
                    cell.width = Cm(sum(widths[c : c + g.colspan]))
                    for para in cell.paragraphs:
                        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                        for run in para.runs:
                            run.font.size = Pt(8 if width > 8 else 10)
    doc.save(str(out))


def _column_widths(grid: list[list[GridCell | None]], width: int, total_cm: float) -> list[float]:
    """Columns holding numbers narrow; label columns share the rest by the length of their text."""
    numeric = [
        any(g is not None and not g.header and i == c for row in grid for i, g in enumerate(row))
        for c in range(width)
    ]
    label_len = [
        max(
            (
                len(g.text)
                for row in grid
                for i, g in enumerate(row)
                if g is not None and g.header and i == c and g.colspan == 1
            ),
            default=4,
        )
        for c in range(width)
    ]
    num_cm = min(2.2, total_cm / width)
    rest = total_cm - num_cm * sum(numeric)
    weights = [0 if numeric[c] else max(label_len[c], 4) for c in range(width)]
    if sum(weights) == 0 or rest <= 0:
        return [total_cm / width] * width
    return [num_cm if numeric[c] else rest * weights[c] / sum(weights) for c in range(width)]


# -- Markdown -------------------------------------------------------------------------------------
def _md(sub: Submission, out: Path) -> None:
    agency, title = _title(sub)
    values = sub.all_values()
    lines = [f"# {md_text(agency)}", "", f"## {md_text(title)}", "", INTRO, ""]
    for heading, text, sheet in _sections(sub):
        lines += [f"### {heading}", ""]
        if text is not None:
            lines += [md_text(line) for line in text.splitlines() if line.strip()] + [""]
        if sheet is not None:
            lines += [*_md_table(sub.spec, sheet, values), ""]
    out.write_text("\n".join(lines), encoding="utf-8")


def _md_table(spec: FormSpec, sheet: str, values: dict[str, Number]) -> list[str]:
    """Markdown cannot merge cells: one row per data row, its labels joined with " / ", one column
    per data column, headed by its column labels joined with "·"."""
    cells = [c for c in spec.cells.values() if c.sheet == sheet]
    labels = spec.labels_on(sheet)
    out: list[str] = []
    rows = sorted({c.row for c in cells})
    blocks: list[list[int]] = []
    for r in rows:  # consecutive rows form a block (表二 has four)
        if blocks and r == blocks[-1][-1] + 1:
            blocks[-1].append(r)
        else:
            blocks.append([r])
    for block in blocks:
        cols = sorted({c.col for c in cells if c.row in block})
        first = block[0]

        def heads(col: int, first: int = first) -> str:
            parts = [
                lab.text
                for lab in labels
                if lab.role == "col"
                and lab.col <= col <= lab.last_col
                and lab.last_row < first
                and lab.row >= first - 4
            ]
            return "·".join(parts)

        caption = [
            lab.text for lab in labels if lab.role == "caption" and lab.row < first and lab.row >= first - 3
        ]
        if caption:
            out += [f"**{caption[-1]}**", ""]
        out.append("| 项目 | " + " | ".join(heads(c) for c in cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        by_pos = {(c.row, c.col): c for c in cells}
        for r in block:
            name = " / ".join(
                lab.text
                for lab in sorted(labels, key=lambda lab: lab.col)
                if lab.role == "row" and lab.row <= r <= lab.last_row
            )
            vals = [_fmt(values.get(by_pos[(r, c)].key, 0)) for c in cols]
            out.append(f"| {name} | " + " | ".join(vals) + " |")
        out.append("")
    return out
