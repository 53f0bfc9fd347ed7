"""Annotated copies: the agency's own workbook with offending cells highlighted, a comment (批注)
on each explaining the fix, and a 问题清单 sheet listing everything. The input is never touched:
the copy is written to another folder, atomically."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.findings import FileReport
from toolkit.outputs.console import SEVERITY_ZH
from toolkit.template import atomic_output

__all__ = ["annotate_copy"]

LIST_SHEET = "问题清单"


def _layout(ws, report: FileReport) -> None:
    """Column widths, wrapped rows tall enough for their text, A4 print set-up and footer."""
    from openpyxl.styles import Alignment

    from toolkit.textfit import page_scale, row_heights

    widths = (6, 22, 14, 64)
    for col, w in zip("ABCD", widths, strict=True):
        ws.column_dimensions[col].width = w
    texts = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.value not in (None, ""):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                texts.append((cell.row, cell.column - 1, cell.row, cell.column - 1, str(cell.value), 11))
    for r, h in row_heights(dict(enumerate(widths)), texts).items():
        ws.row_dimensions[r].height = h
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.scale = page_scale(widths, landscape=False)
    ws.print_title_rows = "1:1"
    who = " ".join(x for x in (report.agency or "", f"{report.year}年度" if report.year else "") if x)
    for part, text in (("left", "&A"), ("center", who.replace("&", "&&")), ("right", "第 &P 页，共 &N 页")):
        item = getattr(ws.oddFooter, part)
        item.text, item.size = text, 9


def annotate_copy(src: str | os.PathLike[str], report: FileReport, outdir: str | os.PathLike[str]) -> Path:
    """Write ``<stem>_批注.xlsx`` into ``outdir``; for a file openpyxl cannot open (xls, broken),
    write just the 问题清单 as ``<stem>_问题清单.xlsx``."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    src = Path(src)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        wb = openpyxl.load_workbook(src, keep_vba=False, rich_text=False)
        target = out / f"{src.stem}_批注.xlsx"
    except Exception:  # not an xlsx openpyxl can open: the list alone still helps the agency
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        target = out / f"{src.stem}_问题清单.xlsx"
    red = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    yellow = PatternFill("solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
    by_cell: dict[tuple[str, str], list] = {}
    for f in report.findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, cell), fs in by_cell.items():
        c = wb[sheet][cell]
        text = "\n".join(f"[{SEVERITY_ZH[f.severity]} {f.code}] {f.message}" for f in fs)
        c.comment = Comment(text, "xxgk 校验", width=360, height=max(80, 40 * len(fs)))
        c.fill = red if any(f.severity == "error" for f in fs) else yellow
    if LIST_SHEET in wb.sheetnames:
        del wb[LIST_SHEET]
    ws = wb.create_sheet(LIST_SHEET, 0)
    ws.append(["级别", "规则代码", "位置", "问题说明（请按说明修改后重新报送）"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for f in report.findings:
        ws.append([SEVERITY_ZH[f.severity], f.code, f.ref, f.message])
    if not report.findings:
        ws.append(["", "", "", "未发现问题"])
    _layout(ws, report)
    # text from the input stays text: openpyxl writes strings starting with "=" as formulas
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    _mark_as_output(wb)
    wb.active = 0
    with atomic_output(target) as tmp:
        wb.save(tmp)
    return target


def _mark_as_output(wb) -> None:
    """Say in the copy's metadata that it is an annotated copy, not an agency's report: a merge or
    validate over a folder holding it skips it (the 批注 copy of a report would count twice)."""
    from openpyxl.packaging.custom import StringProperty

    if "_meta" in wb.sheetnames:
        ws = wb["_meta"]
    else:
        ws = wb.create_sheet("_meta")
        ws.sheet_state = "veryHidden"
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == "kind":
            row[1].value = "annotated"
            break
    else:
        ws.append(["kind", "annotated"])
    props = wb.custom_doc_props
    for prop in list(props.props):
        if prop.name == "xxgk.kind":
            props.props.remove(prop)
    props.append(StringProperty(name="xxgk.kind", value="annotated"))
