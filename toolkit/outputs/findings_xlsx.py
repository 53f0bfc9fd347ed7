"""Every finding of every file as one filterable sheet (``validate --report``, merge 问题清单)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import xlsxwriter
from xlsxwriter.workbook import Workbook

from toolkit.findings import FileReport, json_value
from toolkit.outputs.console import SEVERITY_ZH
from toolkit.template import FIXED_CREATED, atomic_output

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
WIDTHS = (30, 24, 20, 8, 6, 20, 10, 8, 30, 80, 10, 10)


def write_findings_sheet(wb: Workbook, name: str, reports: Iterable[FileReport]) -> int:
    """Add a sheet listing every finding, with autofilter and frozen header; returns the rows."""
    ws = wb.add_worksheet(name)
    head = wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
    err = wb.add_format({"font_color": "#9C0006"})
    for c, (h, w) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, w)
    r = 0
    for rep in reports:
        for f in rep.findings:
            r += 1
            row = (
                rep.file,
                rep.agency or "",
                rep.code or "",
                "" if rep.year is None else str(rep.year),
                SEVERITY_ZH[f.severity],
                f.code,
                f.sheet or "",
                f.cell or "",
                f.key or "",
                f.message,
                json_value(f.expected),
                json_value(f.actual),
            )
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, int | float) and not isinstance(v, bool):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v), err if c == 4 and f.severity == "error" else None)
    ws.autofilter(0, 0, max(r, 1), len(HEADERS) - 1)
    ws.freeze_panes(1, 0)
    return r


def write_findings_workbook(path: str | os.PathLike[str], reports: list[FileReport]) -> Path:
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties({"created": FIXED_CREATED, "author": "xxgk-toolkit", "title": "校验问题清单"})
        wb.set_custom_property("xxgk.kind", "findings")  # an output: validate/merge skip it
        write_findings_sheet(wb, "问题清单", reports)
        wb.close()
    return Path(path)
