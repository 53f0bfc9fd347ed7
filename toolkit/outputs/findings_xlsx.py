"""Every finding of every file as one filterable sheet (``validate --report``, merge 问题清单)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from toolkit.findings import FileReport, json_value
from toolkit.outputs.console import SEVERITY_ZH
from toolkit.template import FIXED_CREATED, atomic_output
from toolkit.textfit import footer, page_scale, row_heights
from toolkit.textsafe import xlsx_text

HEADERS = (
    "文件",
    "机关名称",
    "统一社会信用代码",
    "报告年度",
    "级别",
    "规则代码",
    "工作表",
    "单元格",
    "键",
    "问题说明",
    "应为",
    "实际",
)
WIDTHS = (20, 18, 20, 6, 5, 22, 8, 7, 24, 47, 19, 19)  # wrapped: the rows grow to hold the text;
# 应为/实际 hold an 18-character 统一社会信用代码 on one line (it is what a clerk copies)
# kept for filtering and programs, not printed: the code and year repeat the cover, the key is the
# cell's stable name for programs (工作表 and 单元格 say where it is)
HIDDEN = (2, 3, 8)


# a command-line option in a note (“或使用 --include-invalid”) means nothing on paper: it is said
# without the option, or the clause that names it is left out (the console and the JSON keep it)
_OPTION_WORDING = (
    (re.compile(r"即使(?:使用|用)\s*--[\w-]+\s*也"), ""),
    (re.compile(r"按\s*--[\w-]+\s*"), "按指定"),
)
_OPTION_CLAUSE = re.compile(r"[，；、]?[^，；。（）]*--[\w-]+[^，；。（）]*")


def paper_note(note: str | None) -> str | None:
    """``note`` as it is printed: without command-line options."""
    if not note or "--" not in note:
        return note
    out = note
    for pattern, repl in _OPTION_WORDING:
        out = pattern.sub(repl, out)
    out = _OPTION_CLAUSE.sub("", out)
    out = re.sub(r"（\s*）", "", out)
    return re.sub(r"([，；])\1+", r"\1", out).strip("，； ")


def finding_rows(reports: Iterable[FileReport]) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """One row of cells per finding, in order, and whether it is an error (its 级别 shown red).
    A number beyond 15 digits (10^400 typed in a cell) is given as text, as Excel would lose it."""
    for rep in reports:
        for f in rep.findings:
            row = (
                Path(rep.file).name
                if rep.file
                else "",  # the name the agency gave it (the path is in the JSON)
                rep.agency or "",
                rep.code or "",
                "" if rep.year is None else str(rep.year),
                SEVERITY_ZH[f.severity],
                f.code,
                f.sheet or "",
                f.cell or "",
                f.key or "",
                paper_note(f.told),  # beside its 工作表 column: the sheet said once
                json_value(f.expected),
                json_value(f.actual),
            )
            yield (
                tuple(
                    v
                    if v is None or (isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e15)
                    else xlsx_text(v)
                    for v in row
                ),
                f.severity == "error",
            )


def row_height(cells: tuple[Any, ...]) -> float | None:
    """The height that holds a row's wrapped texts at the sheet's column widths (None: default)."""
    texts = [
        (0, c, 0, c, str(v), 10) for c, v in enumerate(cells) if v is not None and v != "" and c not in HIDDEN
    ]
    return row_heights(_WIDTHS_BY_COL, texts).get(0)


_WIDTHS_BY_COL = dict(enumerate(WIDTHS))


def findings_sheet_head(wb: Workbook, name: str, who: str = "") -> tuple[Worksheet, Format, Format]:
    """The sheet without its rows: header, column widths, frozen header, printed landscape one
    page wide with the header on every page, ``who`` in the footer (the caller sets the filter
    once it knows the rows: :func:`filter_rows`). Returns the sheet and the formats of a plain
    cell and of an error's 级别."""
    ws = wb.add_worksheet(name)
    base = {"text_wrap": True, "valign": "top", "font_size": 10}
    head = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2", "border": 1})
    # left, numbers too: a number in 应为 right-aligned against a text in 实际 read as one (“66 66件”)
    err = wb.add_format({**base, "font_color": "#9C0006", "align": "left"})
    plain = wb.add_format({**base, "align": "left"})
    for c, (h, w) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, w, None, {"hidden": True} if c in HIDDEN else None)
    ws.set_row(0, row_height(HEADERS))
    ws.freeze_panes(1, 0)
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_print_scale(page_scale([w for c, w in enumerate(WIDTHS) if c not in HIDDEN], landscape=True))
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.repeat_rows(0, 0)
    ws.set_footer(footer(who or "校验问题清单"), {"margin": 0.25})
    return ws, plain, err


def write_findings_sheet(wb: Workbook, name: str, reports: Iterable[FileReport], who: str = "") -> int:
    """Add a sheet listing every finding, with autofilter and frozen header; returns the rows.
    (A merge's summary streams the same rows into the sheet instead: memory flat in findings.)"""
    ws, plain, err = findings_sheet_head(wb, name, who)
    n = 0
    for n, (cells, is_error) in enumerate(finding_rows(reports), 1):
        for c, v in enumerate(cells):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(n, c, v, err if c == 4 and is_error else plain)
            else:
                ws.write_number(n, c, v, plain)
        h = row_height(cells)
        if h:
            ws.set_row(n, h)
    filter_rows(ws, n)
    return n


def filter_rows(ws: Worksheet, rows: int) -> None:
    """The autofilter over the header and ``rows`` finding rows."""
    ws.autofilter(0, 0, max(rows, 1), len(HEADERS) - 1)


def write_findings_workbook(
    path: str | os.PathLike[str], reports: Iterable[FileReport], *, year: int | None = None
) -> Path:
    """``reports`` is read once (validate streams them): the agency and year that name the
    document and its footer (when all files are of one agency and year) are noted on the way.
    ``year`` is the run's report year (``--year``, or the one most files carry): it names the
    list whatever other years some files carry (each of them is a YEAR-MISMATCH in the list)."""
    agencies: set[str] = set()
    years: set[int] = set()

    def noted(reps: Iterable[FileReport]) -> Iterator[FileReport]:
        for r in reps:
            if r.agency and len(agencies) < 2:
                agencies.add(r.agency)
            if r.year and len(years) < 2:
                years.add(r.year)
            yield r

    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_custom_property("xxgk.kind", "findings")  # an output: validate/merge skip it
        write_findings_sheet(wb, "问题清单", noted(reports))
        who = next(iter(agencies)) if len(agencies) == 1 else ""
        if year is None and len(years) == 1:
            year = next(iter(years))
        said = f"{year}年度" if year else ""
        wb.set_properties(
            {
                "created": FIXED_CREATED,
                "author": xlsx_text(who, limit=120),
                "title": xlsx_text(f"{who}{said}政府信息公开工作年度报告校验问题清单", limit=200),
            }
        )
        shown = xlsx_text(" ".join(x for x in (who, said) if x), limit=120)
        wb.get_worksheet_by_name("问题清单").set_footer(footer(shown or "校验问题清单"), {"margin": 0.25})
        wb.close()
    return Path(path)
