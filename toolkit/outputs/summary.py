"""The district summary workbook: the national form (same writer as the template, cover = the
district) plus 报送情况, 明细, 明细（长表）, 问题清单 and 图表 with native Excel charts.

xlsxwriter keeps every cell in memory (~150 bytes each): 20,000 agencies x 200 keys would take
gigabytes. So the 明细 sheets are written by xlsxwriter with their headers only, and their data
rows are streamed into the sheet XML afterwards while the zip is copied: memory stays flat
whatever the number of agencies (spooled values are fetched in batches). Each streamed sheet
states its extent (<dimension>), so a reader need not scan it to the end to know its size. When
明细（长表） would pass Excel's row limit it is written as a CSV beside the summary, and the sheet
says so. The output is written atomically and deterministically.
"""

from __future__ import annotations

import csv
import functools
import itertools
import os
import re
import shutil
import zipfile
from array import array
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from toolkit.findings import FileReport
from toolkit.formulas import sum_expr
from toolkit.merge import Summary
from toolkit.model import Number, number_json, row_with_totals
from toolkit.outputs.findings_xlsx import (
    filter_rows,
    finding_rows,
    findings_sheet_head,
    paper_note,
    row_height,
)
from toolkit.spec import col_name
from toolkit.spool import with_values
from toolkit.template import FormWriter, atomic_output
from toolkit.textfit import A4, MAX_ROW_PT, PAD_PX, col_px, line_count
from toolkit.textfit import row_height as lines_height
from toolkit.textsafe import XLSX_MAX_CHARS, csv_cell, xlsx_text, xlsx_xml

try:  # ISA-L's deflate (a declared dependency; zlib where a platform has no wheel of it)
    from isal import isal_zlib as _ISAL
except ImportError:  # pragma: no cover - every platform we ship to has a wheel
    _ISAL = None

# widths of 报送情况's columns (printed landscape, one page wide; the long ones wrap); the file's
# SHA-256 stays in the workbook (hidden column) for the record, never on paper
STATUS_WIDTHS = (5, 24, 24, 6, 8, 7, 26, 64, 8, 6, 6, 38)
STATUS_HIDDEN = (7,)
STATUS_WRAP = (1, 6, 11)  # the columns whose text may need more than one line

__all__ = ["write_summary"]

EXCEL_MAX_ROWS = 1_048_576
STATUS, DETAIL, LONG, PROBLEMS = "报送情况", "明细", "明细（长表）", "问题清单"
_COLS: list[str] = []  # column letters by 0-based index, made as far as a sheet needs (_cols)


def _cols(last: int) -> list[str]:
    """_COLS made up to index ``last`` (all 16,384 at import cost every merge 5 ms)."""
    if len(_COLS) <= last:
        _COLS.extend(col_name(c) for c in range(len(_COLS), min(last, 16383) + 1))
    return _COLS


def write_summary(summary: Summary, path: str | os.PathLike[str], *, max_rows: int = EXCEL_MAX_ROWS) -> Path:
    """Write the summary; ``.json`` / ``.csv`` write the detail in that form instead of xlsx.

    ``max_rows``: the rows a sheet may have (Excel's limit); a 明细（长表） longer than that is
    written to ``<summary name>_明细（长表）.csv`` beside the summary instead."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        with atomic_output(p) as tmp, tmp.open("w", encoding="utf-8") as fh:
            for chunk in summary.json_chunks():  # the per-agency lists streamed, never held
                fh.write(chunk)
            fh.write("\n")
        return p
    if suffix == ".csv":
        with atomic_output(p) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            keys = summary.spec.numeric_keys
            # row 1: the headings a clerk reads in Excel/WPS (the 明细 sheet's, one line a column);
            # row 2: the stable keys, for programs (pandas.read_csv(p, header=1))
            w.writerow([*CSV_FIXED, *(f"{g}／{c}" for g, c in detail_groups(summary.spec))])
            w.writerow([*CSV_KEYS_FIXED, *keys])
            totals = row_with_totals(summary.spec)
            for r, values in with_values(summary.records):
                vals = [number_json(v) for v in totals(values)] if values is not None else [""] * len(keys)
                fixed = [r.name, r.code, r.roster_type, r.status, "1" if r.included else "0", r.file or ""]
                w.writerow([*map(csv_cell, fixed), *vals])  # a name never runs as a formula
            allv = summary.submission.all_values()
            w.writerow(
                [
                    csv_cell(f"合计（{summary.submission.agency}）"),
                    csv_cell(summary.submission.code),
                    "",
                    "汇总",
                    "",
                    "",
                    *(number_json(allv[k]) for k in keys),
                ]
            )
        return p
    return _write_xlsx(summary, p, max_rows)


def long_csv_path(path: str | os.PathLike[str]) -> Path:
    """Where 明细（长表） goes when it is too long for a sheet: beside the summary, named after it."""
    p = Path(path)
    return p.with_name(f"{p.stem}_{LONG}.csv")


def _write_xlsx(summary: Summary, path: Path, max_rows: int = EXCEL_MAX_ROWS) -> Path:
    spec = summary.spec
    n_long = _long_count(summary)
    long_csv = long_csv_path(path) if n_long + 1 > max_rows else None
    if long_csv is not None:
        _write_long_csv(summary, long_csv)
    with atomic_output(path) as final_tmp:
        stage = final_tmp.with_name(final_tmp.name + ".stage.xlsx")
        long: _LongRows | None = None
        try:
            w = FormWriter(stage, spec)
            try:
                w.cover_lines = _cover_lines(summary)
                w.write_form(summary.submission, kind="summary")
                status_rows = _status_sheet(w, summary)
                detail_rows = _detail_header(w, summary)
                long_rows = _long_header(w, summary, n_long, long_csv)
                n_problems = summary.finding_count  # counted in the records' one pass
                ws_problems, plain, err = findings_sheet_head(w.wb, PROBLEMS, who=w.footer_who)
                filter_rows(ws_problems, n_problems)
                problem_xfs = plain._get_xf_index(), err._get_xf_index()  # before the styles are written
                _charts(w, summary)
                order = [ws.name for ws in w.wb.worksheets()]
            except BaseException:
                w.abort()
                raise
            w.close()
            # spilled records: 明细（长表） made in 明细's pass over their values (one pass, not two)
            if long_csv is None and summary.records.spilled:
                long = _LongRows(summary, long_rows + 1, stage.parent)
            _splice(
                stage,
                final_tmp,
                {  # sheet: (first row, rows, how many rows, last column)
                    f"xl/worksheets/sheet{order.index(STATUS) + 1}.xml": (
                        status_rows,
                        _fitted(
                            _status_rows(summary), STATUS_WIDTHS, STATUS_WRAP, w.wrap_xf, status_rows + 1
                        ),
                        len(summary.records) + len(summary.skipped),
                        len(STATUS_HEADERS) - 1,
                    ),
                    f"xl/worksheets/sheet{order.index(DETAIL) + 1}.xml": (
                        detail_rows,
                        _detail_rows(summary, long),
                        len(summary.records) + 2,  # + a blank row and the 合计 row
                        len(DETAIL_FIXED) + len(spec.numeric_keys) - 1,
                    ),
                    f"xl/worksheets/sheet{order.index(PROBLEMS) + 1}.xml": (
                        1,
                        _problem_rows(summary, *problem_xfs),
                        n_problems,
                        11,
                    ),
                    f"xl/worksheets/sheet{order.index(LONG) + 1}.xml": (
                        long_rows,
                        long.blocks()
                        if long is not None
                        else _long_rows(summary, long_rows + 1)
                        if long_csv is None
                        else iter(()),
                        0 if long_csv is not None else n_long,
                        len(LONG_HEADERS) - 1,
                    ),
                },
            )
        finally:
            if long is not None:
                long.close()
            if stage.exists():
                stage.unlink()
    return path


# -- 报送情况 ------------------------------------------------------------------------------------
STATUS_HEADERS = (
    "序号",
    "单位名称",
    "统一社会信用代码",
    "类型",
    "报送状态",
    "是否计入汇总",
    "文件",
    "文件 SHA-256",
    "报告年度",
    "错误数",
    "提示数",
    "说明",
)


def _cover_lines(summary: Summary) -> list[str]:
    """What the summary's title page says about what it counts."""
    done = (
        "汇总完整，全部通过。"
        if summary.complete
        else "汇总不完整：有未报送、有错误或未计入汇总的文件（见“报送情况”）。"
    )
    return [
        f"本汇总表汇总 {len(summary.included)} 个单位的政府信息公开工作年度报告。{summary.status_line()}。",
        done,
        "表二至表四及信息处理费为计入汇总的各单位数字之和；各单位的数字见“明细”，校验发现的问题见“问题清单”。",
    ]


def _status_sheet(w: FormWriter, summary: Summary) -> int:
    """Headers by xlsxwriter; the rows (one per file or missing agency) are streamed."""
    ws = w.wb.add_worksheet(STATUS)
    done = "汇总完整，全部通过" if summary.complete else "汇总不完整：有未报送、有错误或未计入汇总的文件"
    title = f"报送情况：{summary.status_line()}。{done}"
    ws.merge_range(0, 0, 0, len(STATUS_HEADERS) - 1, title, w.f_title)
    w.fit(ws, 0, 0, 0, len(STATUS_HEADERS) - 1, title, 14)
    for c, h in enumerate(STATUS_HEADERS):
        ws.write_string(2, c, h, w.f_head)
        if c not in STATUS_HIDDEN:
            w.fit(ws, 2, c, 2, c, h)
    for c, width in enumerate(STATUS_WIDTHS):
        if c in STATUS_HIDDEN:
            w.set_width(ws, c, c, 0)  # takes no room on the page (nor in the print scale)
            ws.set_column(c, c, width, None, {"hidden": True})
        else:
            w.set_width(ws, c, c, width)
    w.fit_rows(ws)
    w.print_setup(ws, landscape=True, repeat_rows=(2, 2))
    last = 2 + max(len(summary.records) + len(summary.skipped), 1)
    ws.autofilter(2, 0, last, len(STATUS_HEADERS) - 1)
    ws.freeze_panes(3, 2)
    # red only for what needs doing; a second identical copy (counted once) is no problem, a file
    # outside the roster or skipped is worth a look (amber)
    amber = w.wb.add_format({"bg_color": "#FFEB9C", "font_color": "#7F6000"})
    rules = (
        ('AND($E4="重复",ISNUMBER(SEARCH("内容相同",$L4)))', None),
        ('OR($E4="有错误",$E4="未报送",$E4="重复")', w.f_red),
        ('OR($E4="名单外",$E4="跳过")', amber),
    )
    for formula, fmt in rules:
        opts: dict[str, Any] = {"type": "formula", "criteria": "=" + formula, "stop_if_true": True}
        if fmt is not None:
            opts["format"] = fmt
        else:
            opts["format"] = w.wb.add_format({})
        ws.conditional_format(3, 4, last, 4, opts)
    return 3


def _status_rows(summary: Summary) -> Iterator[list[Any]]:
    order = {"未报送": 0, "有错误": 1, "已退回": 1, "重复": 2, "名单外": 3, "已报送": 4}
    # by status, name, file (then arrival): sorted in SQL when the records are in the database
    for i, r in enumerate(summary.records.sorted(order, 9, by_name=True), 1):
        note = r.note
        if r.meta.get("complete") == "0":  # completeness travels upward
            note = "；".join(
                x
                for x in (note, f"SUMMARY-INCOMPLETE：此汇总表本身不完整（{r.meta.get('status', '')}）")
                if x
            )
        yield [
            i,
            r.name,
            r.code,
            r.roster_type,
            r.status,
            "是" if r.included else "否",
            os.path.basename(r.file) if r.file else "",  # a file path: its name (Path(..).name, 3x the cost)
            r.sha256,
            r.year,
            r.errors,
            r.warnings,
            paper_note(note),
        ]
    for j, (f, why) in enumerate(summary.skipped, len(summary.records) + 1):  # every file read or listed
        yield [j, "", "", "", "跳过", "否", Path(f).name, "", None, None, None, paper_note(why)]


# -- 明细 (headers by xlsxwriter, rows streamed) ------------------------------------------------------
DETAIL_FIXED = ("单位名称", "统一社会信用代码", "类型", "报送状态", "是否计入汇总")


DETAIL_KEYS_FIXED = ("agency", "code", "type", "status", "included")  # the hidden key row
# ``-o 明细.csv``: the same columns and the file's name, headed in Chinese over the keys
CSV_FIXED = (*DETAIL_FIXED, "文件")
CSV_KEYS_FIXED = (*DETAIL_KEYS_FIXED, "file")
DETAIL_WIDTHS = (32, 20, 6, 8, 7)  # the name column holds “合计（计入汇总的 n 个单位）” whole;
# 是否计入汇总 as 报送情况 prints it, “是否计入 / 汇总” (6 broke it as “是否计 / 入汇总”)
DETAIL_VALUE_WIDTH = 7
# a heading over one column alone (表二's 行政许可 … 行政事业性收费): wide enough for its words, so
# “表二 行政许可” does not break inside 行政许可 nor “（单位：万元）” leave its bracket on a line
DETAIL_SOLE_WIDTH = 11  # “本年处理决定数量” on two lines of four
DETAIL_SOLE_WIDE = 14  # a longer one: “本年收费金额（单位：万元）” on two lines
A4_LONG_PT = A4[1]
DETAIL_SCALE = 70  # % on paper: 21 value columns a landscape page, all of ~35 agencies one page tall
DETAIL_ROWS_PAGE = 40  # rows a page holds under the headings at DETAIL_SCALE (~44, with room)


@functools.lru_cache(maxsize=8)  # per form: ~7 ms of sorting labels, on every summary written
def detail_groups(spec: Any) -> tuple[tuple[str, str], ...]:
    """(group heading, column heading) of each value column of 明细, as the national tables name
    them: “表三 一、本年新收政府信息公开申请数量” over “自然人”… (consecutive equal groups merge)."""
    out = []
    row_labels: dict[str, list[Any]] = {}  # per sheet, its row labels by column (sorted once)
    for k in spec.numeric_keys:
        c = spec.cells[k]
        if "／" in c.label:
            if (labels := row_labels.get(c.sheet)) is None:
                labels = row_labels[c.sheet] = [
                    lab
                    for lab in sorted(spec.labels_on(c.sheet), key=lambda lab: lab.col)
                    if lab.role == "row"
                ]
            row_path = [lab.text for lab in labels if lab.row <= c.row <= lab.last_row]
            sub = c.label.rsplit("／", 1)[1]
            group = " ".join([c.sheet, *row_path]) if row_path else c.label.rsplit("／", 1)[0]
        elif "·" in c.label:
            group, sub = c.label.rsplit("·", 1)
            group = group.replace("·", " ")
        else:
            group, sub = c.sheet, c.label
        out.append((group, sub))
    return tuple(out)


def _detail_value_widths(spans: list[tuple[int, int]], groups: tuple[tuple[str, str], ...]) -> list[float]:
    """The width of each value column of 明细: wider under a heading of its own."""
    return [
        DETAIL_VALUE_WIDTH
        if first != last
        else DETAIL_SOLE_WIDTH
        if len(groups[first][1]) <= 8
        else DETAIL_SOLE_WIDE
        for first, last in spans
        for _ in range(first, last + 1)
    ]


def _detail_column_breaks(
    spans: list[tuple[int, int]], nf: int, groups: tuple[tuple[str, str], ...]
) -> list[int]:
    """Page breaks between headings, never through one (a heading merged across a page edge
    prints past the paper): headings packed onto pages as wide as DETAIL_SCALE allows, beside
    the repeated name column (the first page also holds the code, type and status columns)."""
    usable = (A4_LONG_PT - 0.8 * 72) * 0.94 / (DETAIL_SCALE / 100) / 0.75  # px at 100 %
    room = usable - col_px(DETAIL_WIDTHS[0])
    left = room - sum(col_px(x) for x in DETAIL_WIDTHS[1:])
    widths = _detail_value_widths(spans, groups)
    breaks = []
    for first, last in spans:
        need = sum(col_px(widths[j]) for j in range(first, last + 1))
        if need > left and left < room:  # a new page for this heading (unless the page is empty)
            breaks.append(nf + first)
            left = room
        left -= need
    return breaks


def _detail_header(w: FormWriter, summary: Summary) -> int:
    """Row 1 (hidden): the stable keys, for programs; row 2: the tables' row headings merged over
    their columns; row 3: the column headings (the filter row); data from row 4. Returns 3."""
    spec = summary.spec
    ws = w.wb.add_worksheet(DETAIL)
    keys = spec.numeric_keys
    nf = len(DETAIL_FIXED)
    for c, (h, k) in enumerate(zip(DETAIL_FIXED, DETAIL_KEYS_FIXED, strict=True)):
        ws.write_string(0, c, k)
        ws.write_blank(1, c, None, w.f_head)
        ws.write_string(2, c, h, w.f_head)
        w.fit(ws, 2, c, 2, c, h)
    groups = detail_groups(spec)
    j = 0
    spans = []  # (first, last) value column of each heading
    while j < len(keys):
        e = j
        while e + 1 < len(keys) and groups[e + 1][0] == groups[j][0]:
            e += 1
        spans.append((j, e))
        if e > j:
            ws.merge_range(1, nf + j, 1, nf + e, groups[j][0], w.f_head)
        else:
            ws.write_string(1, nf + j, groups[j][0], w.f_head)
        w.fit(ws, 1, nf + j, 1, nf + e, groups[j][0])
        j = e + 1
    for j, k in enumerate(keys):
        ws.write_string(0, nf + j, k)
        ws.write_string(2, nf + j, groups[j][1], w.f_head)
        w.fit(ws, 2, nf + j, 2, nf + j, groups[j][1])
    ws.set_row(0, None, None, {"hidden": True})
    n = len(summary.records)
    last_col = nf + len(keys) - 1
    ws.autofilter(2, 0, 2 + max(n, 1), last_col)
    ws.freeze_panes(3, 1)
    for c, width in enumerate(DETAIL_WIDTHS):
        w.set_width(ws, c, c, width)
    for j, width in enumerate(_detail_value_widths(spans, groups)):
        w.set_width(ws, nf + j, nf + j, width)
    w.fit_rows(ws)
    ws.set_row(0, None, None, {"hidden": True})  # after fit_rows: the key row never prints
    # wide: landscape, the headings and the agency column on every page, pages across first; all
    # agencies on one page tall while they fit, else evenly cut (never a page of the 合计 row alone)
    w.print_setup(ws, landscape=True, repeat_rows=(1, 2), repeat_cols=(0, 0), last_col=1)
    ws.set_print_scale(DETAIL_SCALE)
    ws.print_across()
    ws.set_v_pagebreaks(_detail_column_breaks(spans, nf, groups))
    rows = n + 2  # the agencies, a blank row and 合计
    if rows > DETAIL_ROWS_PAGE:
        pages = -(-rows // DETAIL_ROWS_PAGE)
        per = -(-rows // pages)
        ws.set_h_pagebreaks([3 + per * i for i in range(1, pages)])
    return 3


def _detail_rows(summary: Summary, long: _LongRows | None = None) -> Iterator[list[Any] | bytes]:
    """明细's rows; with ``long``, 明细（长表）'s rows made in the same pass over the records'
    values (past ~5,000 records each pass reads every record back from the spool)."""
    keys = summary.spec.numeric_keys
    first = 4  # 1-based row of the first agency
    cells, zeros = _count_cells(len(keys))
    totals = row_with_totals(summary.spec)
    for r, values in with_values(summary.records):
        if long is not None and values is not None:
            long.add(r, values)
        if values is not None:
            values = totals(values)
        fixed = [r.name, r.code, r.roster_type, r.status, "是" if r.included else "否"]
        # cells need no r="A1" inside a row (it is optional), and most of a row's ~200 counts are 0:
        # the row is the all-zeros row with its non-zero cells put in (slices and one join in C; a
        # join of 200 cells was half the row's cost). As UTF-8: joined with the agency's name, the
        # row was a 2-byte string (Chinese) to build and then encode, 4-8 KB of it a row.
        if values is not None:
            try:
                array("Q", values)  # every value an int >= 0 (None, a Decimal, a negative: below)
                pieces = [_ref_free_row(fixed)]
                at = 0
                for i in itertools.compress(range(len(values)), values):
                    pieces += (zeros[at : i * _ZERO_CELL], cells[values[i]])  # KeyError past the table
                    at = i * _ZERO_CELL + _ZERO_CELL
                pieces.append(zeros[at:])
                yield b"".join(pieces)
                continue
            except (TypeError, OverflowError, KeyError):
                pass
        if values is not None and all(map(isinstance, values, itertools.repeat(int))):  # in C
            numbers = "</v></c><c><v>".join(map(str, values)).encode("ascii")
            yield _ref_free_row(fixed) + b"<c><v>" + numbers + b"</v></c>"
        else:
            yield [*fixed, *(values if values is not None else [None] * len(keys))]
    n = len(summary.records)
    yield []  # a blank row keeps the 合计 row out of sorting and filtering
    allv = summary.submission.all_values()
    total_row: list[Any] = [f"合计（计入汇总的 {len(summary.included)} 个单位）", "", "", "", ""]
    for j, k in enumerate(keys):
        col = col_name(len(DETAIL_FIXED) + j)
        ind = col_name(4)
        formula = (
            f'SUMIFS({col}{first}:{col}{first + n - 1},{ind}{first}:{ind}{first + n - 1},"是")' if n else "0"
        )
        total_row.append(("=", formula, allv[k]))
    if long is not None:
        long.finish()
    yield total_row


_ZERO_CELL = len(b"<c><v>0</v></c>")


def _ref_free_row(cells: list[Any]) -> bytes:
    return "".join(map(_ref_free, cells)).encode("utf-8")


class _CountCells(dict):
    """A count's cell by its value, for the counts 0–9,999 (made at first sight: a district's
    明细 meets a few hundred of them); any other key is a KeyError, as in a plain dict."""

    def __missing__(self, v: Any) -> bytes:
        if type(v) is not int or not 0 <= v < 10_000:
            raise KeyError(v)
        cell = self[v] = b"<c><v>%d</v></c>" % v
        return cell


_CELLS = _CountCells()


@functools.lru_cache(maxsize=4)
def _count_cells(n: int) -> tuple[dict[int, bytes], bytes]:
    """The cells of the counts 0–9,999 by value, and a row of ``n`` zero cells."""
    return _CELLS, _CELLS[0] * n


LONG_HEADERS = ("单位名称", "统一社会信用代码", "报送状态", "键", "项目", "数值（只列非零）")


def _long_count(summary: Summary) -> int:
    """The rows of 明细（长表）: the merge counts each file's non-zero values as it arrives."""
    return summary.nonzero


def _long_header(w: FormWriter, summary: Summary, n: int, csv_path: Path | None) -> int:
    """One row per agency and non-zero value (zeros change no sum or pivot; they would make the
    table five times longer). Too long for a sheet: a note naming the CSV that holds it."""
    ws = w.wb.add_worksheet(LONG)
    for c, h in enumerate(LONG_HEADERS):
        ws.write_string(0, c, h, w.f_head)
    if csv_path is None:
        ws.autofilter(0, 0, max(n, 1), 5)
    else:
        note = w.wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        ws.write_string(
            1,
            0,
            f"本表共 {n:,} 行，超过 Excel 每张工作表的行数上限，未写在此处；已另存为 CSV 文件"
            f"“{csv_path.name}”（与本汇总表在同一文件夹，列与本表相同，UTF-8 编码，可用 Excel 或 WPS 打开、"
            "导入数据库或数据透视）",
            note,
        )
    ws.freeze_panes(1, 0)
    for c, width in enumerate((30, 20, 10, 34, 50, 12)):
        w.set_width(ws, c, c, width)
    # for filtering and pivot tables on screen, not for paper: printing the workbook prints only
    # this note (the same numbers print in 明细 and in the national tables)
    note = (
        f"“{LONG}”供屏幕筛选和数据透视使用（{n} 行），不打印；各单位数字见“{DETAIL}”，汇总数字见表二至表四。"
    )
    ws.write_string(0, 7, note, w.f_hint)
    w.set_width(ws, 7, 7, 60)
    w.fit(ws, 0, 7, 0, 7, note)
    w.fit(ws, 0, 4, 0, 4, "数值（只列非零）")
    w.fit_rows(ws)
    w.print_setup(ws, one_page=True)
    ws.print_area(0, 7, 0, 7)
    return 1


def _long_items(summary: Summary) -> Iterator[tuple[Any, str, Number]]:
    """(record, key, value) for every non-zero value, in the order of the records."""
    keys = summary.spec.numeric_keys
    for r, values in with_values(summary.records):
        if values is None:
            continue
        for k, v in zip(keys, values, strict=True):
            if v:
                yield r, k, v


LONG_HELD = 1 << 20  # bytes of 明细（长表）'s rows held in memory until its sheet is written (then on disk)


class _LongRows:
    """The rows of 明细（长表）, numbered from ``first`` (1-based), one block of whole rows an
    agency, made as 明细's pass reads each record's values (:meth:`add`) and kept until that
    sheet is written (:meth:`blocks`): in memory up to LONG_HELD (1 MB: the merge's memory stays
    flat), past that in an unnamed temporary file beside the summary being written (gone however
    the run ends)."""

    def __init__(self, summary: Summary, first: int, folder: Path | None = None) -> None:
        keys = summary.spec.numeric_keys
        # rows are assembled from pre-rendered pieces: the agency's cells and each key's cells
        # (as UTF-8: with Chinese names and labels a row is a 2-byte string to build, then encode)
        self._key_xml = [
            (_ref_free(k) + _ref_free(summary.spec.cells[k].label)).encode("utf-8") for k in keys
        ]
        self._n = first
        self._folder = folder
        self._file: Any = None
        self._held: list[bytes] = []
        self._size = self._k = 0
        self.finished = False

    def make(self, r: Any, values: tuple[Number, ...]) -> tuple[bytes, int] | None:
        """A record's rows (numbered on from the last ones made), None for a record of zeros."""
        who = (_ref_free(r.name) + _ref_free(r.code) + _ref_free(r.status)).encode("utf-8")
        block = []
        n = self._n
        # the non-zero ones, filtered in C (strict: a record of another length is a bug)
        for kx, v in itertools.compress(zip(self._key_xml, values, strict=True), values):
            if type(v) is int:
                block.append(b'<row r="%d">%b%b<c><v>%d</v></c></row>' % (n, who, kx, v))
            else:
                block.append(
                    b'<row r="%d">%b%b<c><v>%b</v></c></row>' % (n, who, kx, _num(v).encode("ascii"))
                )
            n += 1
        if not block:
            return None
        k, self._n = n - self._n, n
        return b"".join(block), k

    def add(self, r: Any, values: tuple[Number, ...]) -> None:
        """Make a record's rows and keep them for :meth:`blocks`."""
        made = self.make(r, values)
        if made is not None:
            self._held.append(made[0])
            self._size += len(made[0])
            self._k += made[1]
            if self._size >= 1 << 16:
                self._spill()

    def _spill(self) -> None:
        import struct
        import tempfile

        if self._held:
            if self._file is None:
                self._file = tempfile.SpooledTemporaryFile(max_size=LONG_HELD, dir=self._folder)  # noqa: SIM115 - closed by close()
            data = b"".join(self._held)
            self._file.write(struct.pack("<QQ", len(data), self._k) + data)
            self._held, self._size, self._k = [], 0, 0

    def finish(self) -> None:
        self.finished = True

    def blocks(self) -> Iterator[tuple[bytes, int]]:
        """The blocks, once 明细's pass has made them all (before that: a bug)."""
        import struct

        if not self.finished:
            raise RuntimeError("明细（长表） before 明细's pass over the records")
        if self._file is not None:
            self._file.seek(0)
            while head := self._file.read(16):
                size, k = struct.unpack("<QQ", head)
                yield self._file.read(size), k
        if self._held:
            yield b"".join(self._held), self._k

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _long_rows(summary: Summary, first: int) -> Iterator[tuple[bytes, int]]:
    """明细（长表）'s rows in a pass of their own: for records held in memory (a second pass costs
    nothing there; holding the rows until their sheet would)."""
    maker = _LongRows(summary, first)
    for r, values in with_values(summary.records):
        if values is not None and (made := maker.make(r, values)) is not None:
            yield made


def _write_long_csv(summary: Summary, path: Path) -> None:
    """明细（长表） as CSV (UTF-8 with BOM, so that Excel and WPS open it as UTF-8), atomically."""
    labels = {k: summary.spec.cells[k].label for k in summary.spec.numeric_keys}
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(LONG_HEADERS)
        w.writerows(
            [*map(csv_cell, (r.name, r.code, r.status, k, labels[k])), number_json(v)]  # never a formula
            for r, k, v in _long_items(summary)
        )


class _Row(list):
    """A streamed row with its XML attributes (height) and the style of its cells (``styles``:
    one per cell, where they differ)."""

    attrs = ""
    style = ""
    styles: tuple[str, ...] = ()


# -- 问题清单 (header by xlsxwriter, rows streamed: memory does not grow with the findings) ----------
def _problems(summary: Summary) -> Iterator[FileReport]:
    yield FileReport("（汇总）", summary.findings)
    yield from summary.reports_with_findings()  # a report without findings has no row


def _problem_rows(summary: Summary, plain_xf: int, err_xf: int) -> Iterator[_Row]:
    plain, err = f' s="{plain_xf}"', f' s="{err_xf}"'
    red = (plain,) * 4 + (err,) + (plain,) * 7
    for cells, is_error in finding_rows(_problems(summary)):
        out = _Row(cells)
        out.style = plain
        if is_error:
            out.styles = red
        h = row_height(cells)
        if h:
            out.attrs = f' ht="{h}" customHeight="1"'
        yield out


def _fitted(
    rows: Iterator[list[Any]], widths: tuple[float, ...], wrap: tuple[int, ...], xf: int, first: int
) -> Iterator[tuple[bytes, int]]:
    """Rows (numbered from ``first``, 1-based) whose cells all get the wrapping style and whose
    height holds their wrapped cells' text (as ``row_heights`` finds it for single cells at 10 pt),
    as blocks of whole rows: every cell written, empty ones too (the grid stays whole on paper)."""
    px = {c: col_px(widths[c]) for c in wrap}
    # a text of n characters is at most n em wide (CJK): one line where n em fit, measured otherwise
    one_line = {c: (max(px[c] - PAD_PX, 10) * 0.75 * 0.97) // 10.0 for c in wrap}
    st = f' s="{xf}"'
    n = first
    block: list[str] = []
    for cells in rows:
        need = 0
        for c in wrap:
            if c < len(cells) and (t := cells[c]):
                t = str(t)
                short = len(t) <= one_line[c] and "\n" not in t and "\r" not in t  # CR: a break too
                lines = 1 if short else line_count(t, px[c], 10.0)
                need = max(need, lines_height(lines, 10.0))
        out = [f'<row r="{n}" ht="{min(MAX_ROW_PT, need)}" customHeight="1">' if need else f'<row r="{n}">']
        for c, v in enumerate(cells):
            ref = f"{_COLS[c]}{n}"
            if type(v) is str and v:
                out.append(f'<c r="{ref}"{st} {_inline(v)}</c>')
            elif v is None or v == "":
                out.append(f'<c r="{ref}"{st}/>')
            elif type(v) is int:
                out.append(f'<c r="{ref}"{st}><v>{v}</v></c>')
            else:
                out.append(_cell_xml(ref, v, st))
        out.append("</row>")
        block.append("".join(out))
        n += 1
        if len(block) >= 64:
            yield "".join(block).encode("utf-8"), len(block)
            block.clear()
    if block:
        yield "".join(block).encode("utf-8"), len(block)


def _ref_free(v: Any) -> str:
    """A cell without its r= reference (it follows the previous cell of the row); empty: <c/>."""
    if v is None or v == "":
        return "<c/>"
    if isinstance(v, int | Decimal | float) and not isinstance(v, bool):
        return f"<c><v>{_num(v)}</v></c>"
    return f"<c {_inline(str(v))}</c>"


def _escape(text: str) -> str:
    """&, < and > as XML text needs them (xml.sax.saxutils.escape, without importing urllib,
    http.client and ssl at every merge's start: 20 ms)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell_xml(ref: str, v: Any, style: str = "") -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, tuple):  # ("=", formula, cached)
        return f'<c r="{ref}"{style}><f>{_escape(v[1])}</f><v>{_num(v[2])}</v></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | Decimal | float):
        return f'<c r="{ref}"{style}><v>{_num(v)}</v></c>'
    return f'<c r="{ref}"{style} {_inline(str(v))}</c>'


# what xlsx_xml would change (control characters, markup, "_x" escapes) or xml:space would keep
# (a space at either end): a text without any of these is written as it is
_NOT_PLAIN = re.compile("[\x00-\x1f&<>_\ud800-\udfff\ufffe\uffff]|^\\s|\\s\\Z")


@functools.lru_cache(maxsize=4096)  # names repeat on consecutive rows
def _inline(text: str) -> str:
    """A string cell's XML after the reference: always text (a name starting with "=" stays a
    name). Memoised: keys, labels, statuses and names repeat on every row of the detail."""
    if _NOT_PLAIN.search(text) is None and len(text) <= XLSX_MAX_CHARS:  # nothing to escape or cut
        return f't="inlineStr"><is><t>{text}</t></is>'
    t = xlsx_xml(text)
    space = ' xml:space="preserve"' if t != t.strip() else ""
    return f't="inlineStr"><is><t{space}>{t}</t></is>'


def _num(v: Number | float) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v != v.to_integral_value() else str(int(v))
    return str(v)


_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"\s*/>')


def _dimension(xml: str, start_row: int, count: int, last_col: int) -> str:
    """The sheet head with its <dimension> covering the header (as written) and the ``count``
    rows streamed from ``start_row`` (0-based) over columns A..``last_col``: readers such as
    openpyxl read-only take the size from it instead of scanning the whole sheet."""
    m = _DIMENSION.search(xml)
    rows = start_row + count  # 1-based last row of the streamed rows
    cols = last_col + 1 if count else 0
    _cols(cols)
    if m is None:
        ref = f"A1:{_COLS[max(cols, 1) - 1]}{max(rows, 1)}"
        return xml.replace("<sheetViews", f'<dimension ref="{ref}"/><sheetViews', 1)
    first = f"{m.group(1)}{m.group(2)}"
    head_col = _col_index(m.group(3) or m.group(1)) + 1
    head_row = int(m.group(4) or m.group(2))
    _cols(head_col)
    ref = f"{first}:{_COLS[max(head_col, cols) - 1]}{max(head_row, rows)}"
    return xml[: m.start()] + f'<dimension ref="{ref}"/>' + xml[m.end() :]


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _member(zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """A member of ``zout`` open for writing, deflated by ISA-L at its level 1 where installed.

    A member opened with the source's ZipInfo carries no level: zipfile deflated it at zlib's
    default (6), not at the ``compresslevel=1`` the archive was opened with; that was ~5 % of a
    large merge's CPU. ISA-L's level 1 is ~6x faster than that and ~3.5x faster than zlib's level 1
    on a summary's streamed sheets, its output a little smaller than zlib's level 1 (a third larger
    than level 6). The zip's framing (headers, CRC, sizes) stays zipfile's: only the compressor
    object, made when the member is opened and before any byte is written, is replaced."""
    fout = zout.open(info, "w")
    if _ISAL is not None and info.compress_type == zipfile.ZIP_DEFLATED and hasattr(fout, "_compressor"):
        fout._compressor = _ISAL.compressobj(1, _ISAL.DEFLATED, -15)
    return fout


def _splice(
    src: Path, dst: Path, parts: dict[str, tuple[int, Iterator[list[Any] | str | bytes], int, int]]
) -> None:
    """Copy the zip, streaming rows into the named sheets' <sheetData> after their headers.

    A row is its values (a list, or a styled _Row), or its cells pre-rendered without references
    (a str, or UTF-8 bytes, written as they are); or a tuple (UTF-8 bytes of ``k`` whole <row>
    elements numbered from the row it stands for, ``k``), written as they are.
    Each part: (first row, 0-based; the rows; how many rows they are; their last column). The
    sheet's <dimension> is written for the whole sheet from these before the rows (the zip is
    written as a stream); a row beyond the stated count is a bug and stops the writing."""
    # fast deflate (see _member): the streamed sheets are large and repetitive
    with (
        zipfile.ZipFile(src) as zin,
        zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout,
    ):
        for info in zin.infolist():
            with zin.open(info) as fin, _member(zout, info) as fout:
                if info.filename not in parts:
                    shutil.copyfileobj(fin, fout)
                    continue
                start_row, rows, count, last_col = parts[info.filename]
                _cols(last_col)  # a row wider than its sheet's stated last column is a bug: IndexError
                xml = _dimension(fin.read().decode("utf-8"), start_row, count, last_col)
                head, sep, tail = xml.partition("</sheetData>")
                if not sep:  # a sheet without cells is written as <sheetData/>
                    head, _, tail = xml.partition("<sheetData/>")
                    head += "<sheetData>"
                fout.write(head.encode("utf-8"))
                buf: list[str] = []
                done: list[bytes] = []  # rows given as UTF-8 (after buf's rows, which are written first)
                held = 0  # bytes in done: written at 64 KB
                i = -1
                for row in rows:
                    i += 1
                    if i >= count:
                        raise RuntimeError(f"{info.filename}: more rows than the {count} stated")
                    r = start_row + i
                    n = r + 1
                    if type(row) is tuple:  # whole rows, numbered from this one by their maker
                        xml_rows, k = row
                        if buf:
                            fout.write("".join(buf).encode("utf-8"))
                            buf.clear()
                        done.append(xml_rows)
                        held += len(xml_rows)
                        if held >= 1 << 16:  # by size: a block holds up to 64 rows (256 blocks held 8 MB)
                            fout.write(b"".join(done))
                            done.clear()
                            held = 0
                        i += k - 1
                        if i >= count:
                            raise RuntimeError(f"{info.filename}: more rows than the {count} stated")
                        continue
                    if type(row) is bytes:  # pre-rendered cells without references, as UTF-8
                        if buf:
                            fout.write("".join(buf).encode("utf-8"))
                            buf.clear()
                        xml_row = b'<row r="%d">%b</row>' % (n, row)
                        done.append(xml_row)
                        held += len(xml_row)
                        if held >= 1 << 16:
                            fout.write(b"".join(done))
                            done.clear()
                            held = 0
                        continue
                    if done:
                        fout.write(b"".join(done))
                        done.clear()
                        held = 0
                    if isinstance(row, str):  # pre-rendered cells without references
                        buf.append(f'<row r="{n}">{row}</row>')
                        if len(buf) >= 256:
                            fout.write("".join(buf).encode("utf-8"))
                            buf.clear()
                        continue
                    if isinstance(row, _Row):  # styled, with its height
                        styles = row.styles or itertools.repeat(row.style)
                        cells = "".join(
                            _cell_xml(f"{_COLS[c]}{n}", v, st) or f'<c r="{_COLS[c]}{n}"{st}/>'
                            for (c, v), st in zip(enumerate(row), styles, strict=False)
                        )  # empty cells too: the grid stays whole on paper
                        buf.append(f'<row r="{n}"{row.attrs}>{cells}</row>')
                        if len(buf) >= 256:
                            fout.write("".join(buf).encode("utf-8"))
                            buf.clear()
                        continue
                    cells = "".join(
                        f'<c r="{_COLS[c]}{n}"><v>{v}</v></c>'
                        if type(v) is int
                        else _cell_xml(f"{_COLS[c]}{n}", v)
                        for c, v in enumerate(row)
                    )
                    if cells:
                        buf.append(f'<row r="{r + 1}">{cells}</row>')
                    if len(buf) >= 256:
                        fout.write("".join(buf).encode("utf-8"))
                        buf.clear()
                if i + 1 != count:
                    raise RuntimeError(f"{info.filename}: {i + 1} rows, not the {count} stated")
                fout.write(b"".join(done))
                fout.write(("".join(buf) + "</sheetData>" + tail).encode("utf-8"))


CHART_COL = 4  # charts start in column E: the data tables take A to C, D is a gap
CHART_W = 680  # px
ROW_PX = 20  # the default row height (15 pt)


def _charts(w: FormWriter, summary: Summary) -> None:
    """Native charts on 图表, each beside the small live table it draws, one block per printed
    page: a block starts below the previous block's real extent (its table or its chart,
    whichever is longer) and after a page break, so no chart overlaps another or a table."""
    spec, wb = summary.spec, w.wb
    ws = wb.add_worksheet("图表")
    sheet = "图表"
    for c, width in ((0, 32), (1, 10), (2, 10), (3, 2)):
        w.set_width(ws, c, c, width)
    title = xlsx_text(f"{summary.submission.agency} {summary.submission.year or ''} 年度汇总图表")
    chart_cols = -(-CHART_W // 64)  # default columns (64 px) a chart spans
    ws.merge_range(0, 0, 0, CHART_COL + chart_cols, title, w.f_title)
    w.fit(ws, 0, 0, 0, CHART_COL + chart_cols, title, 14)
    breaks: list[int] = []
    top = 2

    def place(chart: Any, first: int, n_rows: int, height: int) -> int:
        """Anchor ``chart`` at row ``first``; returns the first row free below the block."""
        chart.set_size({"width": CHART_W, "height": height})
        ws.insert_chart(first + 1, CHART_COL, chart)
        return first + max(n_rows, 1 + -(-height // ROW_PX)) + 2

    def head(row: int, *texts: str) -> None:
        for c, t in enumerate(texts):
            ws.write_string(row, c, t, w.f_head)
            w.fit(ws, row, c, row, c, t)

    # 1. applications received, by agency (the 30 largest)
    received = summary.top_received()  # counted with the summary's other figures, in one pass
    head(top, "各单位本年新收政府信息公开申请数量（前30名）", "申请数")
    for i, (n, name) in enumerate(received):
        ws.write_string(top + 1 + i, 0, xlsx_text(name), w.f_wrap)
        w.fit(ws, top + 1 + i, 0, top + 1 + i, 0, name)
        ws.write_number(top + 1 + i, 1, n, w.f_wrap)
    nxt = top + 2 + max(len(received), 1)
    if received:
        ch = wb.add_chart({"type": "bar"})
        ch.add_series(
            {
                "name": "本年新收申请数",
                "categories": [sheet, top + 1, 0, top + len(received), 0],
                "values": [sheet, top + 1, 1, top + len(received), 1],
                "data_labels": {"value": True},
            }
        )
        ch.set_title({"name": "各单位本年新收政府信息公开申请数量"})
        ch.set_y_axis({"reverse": True, "interval_unit": 1})  # every agency's name
        ch.set_x_axis({"major_gridlines": {"visible": False}})  # the bars carry their numbers
        ch.set_legend({"none": True})
        nxt = place(ch, top, len(received) + 1, min(640, max(320, 26 * len(received) + 100)))

    # 2. how applications were handled: the groups of 三、本年度办理结果, live from 表三
    groups = _result_groups(spec)
    top = nxt
    breaks.append(top)
    head(top, "本年度办理结果", "件数")
    allv = summary.submission.all_values()
    for i, (label, keys) in enumerate(groups):
        ws.write_string(top + 1 + i, 0, label, w.f_wrap)
        ws.write_formula(
            top + 1 + i, 1, "=" + sum_expr(spec, tuple(keys), sheet), w.f_wrap, sum(allv[k] for k in keys)
        )
    ch = wb.add_chart({"type": "pie"})
    ch.add_series(
        {
            "name": "办理结果",
            "categories": [sheet, top + 1, 0, top + len(groups), 0],
            "values": [sheet, top + 1, 1, top + len(groups), 1],
            "data_labels": {"percentage": True, "category": True, "leader_lines": True},
        }
    )
    ch.set_title({"name": "政府信息公开申请办理结果"})
    nxt = place(ch, top, len(groups) + 1, 400)

    # 3. year on year
    if summary.previous is not None:
        from toolkit.merge import comparison_note, previous_figure

        items = [
            ("本年新收申请", "t3.new_received.total"),
            ("予以公开", "t3.granted.total"),
            ("部分公开", "t3.partly_granted.total"),
            ("行政复议", "t4.review_total"),
            ("行政诉讼（直接起诉）", "t4.suit_direct_total"),
            ("行政规范性文件制发", "t2.normative_documents.issued"),
        ]
        # only what the two years' formats both state (2019's 表二 has no 制发): never a silent 0
        prev = {k: previous_figure(summary.spec, summary.previous, k) for _, k in items if k in allv}
        apart = [label for label, k in items if k in allv and prev.get(k) is None]
        items = [(label, k) for label, k in items if prev.get(k) is not None]
        y0 = nxt
        breaks.append(y0)
        py = summary.previous.year or "上年"
        head(y0, "主要指标", f"{py}年", f"{summary.submission.year or '本'}年")
        for i, (label, k) in enumerate(items):
            ws.write_string(y0 + 1 + i, 0, label, w.f_wrap)
            ws.write_number(y0 + 1 + i, 1, float(prev.get(k, 0)), w.f_wrap)
            ws.write_number(y0 + 1 + i, 2, float(allv.get(k, 0)), w.f_wrap)
        notes = [comparison_note(summary.previous)]
        if apart:
            fmt_name = summary.previous.spec.name
            notes.append(f"不可比，未列入：{'、'.join(apart)}（{py}年报告为{fmt_name}）")
        for i, note in enumerate(n for n in notes if n):  # what the two columns compare
            row = y0 + 1 + len(items) + i
            ws.merge_range(row, 0, row, 2, note, w.f_wrap)
            w.fit(ws, row, 0, row, 2, note)
        ch = wb.add_chart({"type": "column"})
        for c in (1, 2):
            ch.add_series(
                {
                    "name": [sheet, y0, c],
                    "categories": [sheet, y0 + 1, 0, y0 + len(items), 0],
                    "values": [sheet, y0 + 1, c, y0 + len(items), c],
                    "data_labels": {"value": True},
                }
            )
        ch.set_title({"name": "主要指标同比"})
        ch.set_y_axis({"major_gridlines": {"visible": False}})
        place(ch, y0, len(items) + 1, 360)
    w.fit_rows(ws)
    ws.set_h_pagebreaks(breaks)
    w.print_setup(ws, landscape=True, last_col=CHART_COL + chart_cols)


def _result_groups(spec) -> list[tuple[str, list[str]]]:
    """（一）…（六） of 三、本年度办理结果 with the 总计-column keys of their rows, from the layout."""
    out = []
    t3 = spec.cells["t3.granted.total"].sheet
    for lab in spec.labels_on(t3):
        if lab.role != "row" or lab.col != 1:
            continue
        keys = [
            c.key
            for c in spec.cells.values()
            if c.sheet == t3
            and c.col_key == "total"
            and lab.row <= c.row <= lab.last_row
            and spec.cells[c.key.rsplit(".", 1)[0] + ".natural_person"].kind == "input"
        ]
        if keys:
            name = re.sub(r"（[^）]*情形[^）]*）$", "", lab.text)
            out.append((re.sub(r"^（.）", "", name), keys))
    return out
