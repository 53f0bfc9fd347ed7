"""FormSpec (+ cover, values) -> .xlsx with xlsxwriter: the one writer of the national form.

It writes the blank template an agency fills in, a template prefilled from values, and the
district summary (``merge`` adds its own sheets through :class:`FormWriter`). Every total is a live
formula whose cached result is the toolkit's own computation (LibreOffice and WPS show cached
results as opened); the 校验 sheet has one live check per rule instance; offending cells turn red by
conditional formatting; inputs are unlocked and validated, everything else locked and protected.
The same arguments always give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from toolkit import __version__
from toolkit.formulas import (
    BAD,
    OK,
    _runs,
    cell_ref,
    check_formula,
    check_result,
    input_rects,
    sum_expr,
    text_cell_condition,
    text_check_formula,
    total_formula,
    value_check_formula,
)
from toolkit.model import Number, Submission, compute_totals, unknown_keys
from toolkit.paths import atomic_output, safe_filename, unique_name
from toolkit.spec import CellSpec, CheckSpec, FormSpec, cell_name, load_spec
from toolkit.textfit import MAX_ROW_PT, col_px, footer, line_count, page_scale, row_height, row_heights
from toolkit.textsafe import xlsx_text

__all__ = ["FormWriter", "XlsxWriteError", "all_checks", "atomic_output", "make_template"]

TITLE_PAGE = "汇总封面"  # the first sheet of a summary: its printed cover
FIXED_CREATED = dt.datetime(2021, 1, 1)  # fixed document date: identical inputs, identical bytes


class XlsxWriteError(RuntimeError):
    """xlsxwriter refused something (it warns and returns -1 rather than raising)."""


def _ok(ret: Any) -> None:
    if isinstance(ret, int) and ret < 0:
        raise XlsxWriteError(f"xlsxwriter returned {ret}")


def _label_text(spec: FormSpec, cell: CellSpec, role: str) -> str:
    """The header text over (role="col") or beside (role="row") a data cell."""
    best = None
    for lab in spec.labels_on(cell.sheet):
        if lab.role != role:
            continue
        above = role == "col" and lab.col <= cell.col <= lab.last_col and lab.row < cell.row
        beside = role == "row" and lab.row <= cell.row <= lab.last_row and lab.col < cell.col
        if above and (best is None or lab.row > best.row):
            best = lab
        if beside and (best is None or lab.col > best.col):
            best = lab
    return best.text if best else ""


def _col_path(spec: FormSpec, cell: CellSpec) -> tuple[str, ...]:
    return _col_paths(spec)[(cell.sheet, cell.col, cell.row)]


@functools.lru_cache(maxsize=8)
def _col_paths(spec: FormSpec) -> dict[tuple[str, int, int], tuple[str, ...]]:
    """Each data cell's column header path (top to bottom), by (sheet, column, row): the labels
    of a sheet looked at once per cell, not once per pair of cells (~20 ms of every start)."""
    out: dict[tuple[str, int, int], tuple[str, ...]] = {}
    for c in spec.cells.values():
        key = (c.sheet, c.col, c.row)
        if key not in out:
            labs = [
                lab
                for lab in spec.labels_on(c.sheet)
                if lab.role == "col" and lab.col <= c.col <= lab.last_col and lab.row < c.row
            ]
            out[key] = tuple(lab.text for lab in sorted(labs, key=lambda lab: lab.row))
    return out


@functools.lru_cache(maxsize=8)
def _table_col_paths(spec: FormSpec) -> dict[str | None, list[tuple[int, tuple[str, ...]]]]:
    """Per table: (column, header path) of every cell, for telling its columns apart."""
    out: dict[str | None, list[tuple[int, tuple[str, ...]]]] = {}
    for c in spec.cells.values():
        out.setdefault(c.table, []).append((c.col, _col_path(spec, c)))
    return out


def _col_name(spec: FormSpec, cell: CellSpec) -> str:
    """The shortest end of a column's header path that no other column of its table shares:
    表三 "自然人"; 表四 "复议后起诉·总计" (its leaves repeat across the three groups)."""
    path = _col_path(spec, cell)
    others = {p for col, p in _table_col_paths(spec)[cell.table] if col != cell.col}
    for n in range(1, len(path) + 1):
        if not any(o[-n:] == path[-n:] for o in others):
            return "·".join(path[-n:])
    return "·".join(path)


@functools.lru_cache(maxsize=8)
def _input_sheets(spec: FormSpec) -> tuple[str, ...]:
    """Sheets with input cells, in workbook order."""
    return tuple(sh for sh in spec.sheets.values() if input_rects(spec, sh))


@functools.lru_cache(maxsize=8)
def all_checks(spec: FormSpec) -> tuple[CheckSpec, ...]:
    """The data-driven compare checks plus one check per total cell, in sheet order."""
    extra = []
    for k in spec.total_keys:
        c = spec.cells[k]
        rule = spec.rules[c.rule or ""]
        label = rule.check_label.format(col_label=_col_name(spec, c), row_label=_label_text(spec, c, "row"))
        extra.append(CheckSpec(rule.code, rule.severity, label or c.label, (k,), "==", c.parts, 0, k))
    order = {t.id: i for i, t in enumerate(spec.tables)}

    def pos(chk: CheckSpec) -> tuple:
        c = spec.cells[chk.cell]
        return (order.get(c.table or "", 99), c.rule or "", c.col, c.row)

    return (*sorted(extra, key=pos), *spec.checks)


class _Prep:
    """Stands in for a worksheet when calling xlsxwriter's formula preparation on its own."""

    def __init__(self, future: bool) -> None:
        self.use_future_functions = future


@functools.lru_cache(maxsize=4096)
def _prepared(formula: str, future: bool, expand: bool) -> str:
    if (names := _rewritten()[1 if future or expand else 0]) is not None:
        # what xlsxwriter does first: array braces and the leading "=" off
        f = formula[1:] if formula.startswith("{") else formula
        f = f[1:] if f.startswith("=") else f
        f = f[:-1] if f.endswith("}") else f
        if "_xlfn." in f or names.search(f[::-1]) is None:  # none of its substitutions applies
            return f
    return Worksheet._prepare_formula(_Prep(future), formula, expand)


@functools.cache
def _rewritten() -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One pattern for every function name xlsxwriter rewrites in a formula, taken from its own
    source: with future functions off (~30 regex substitutions: the dynamic-array functions) and
    with them expanded (~170: conditional formats and validations ask for that): a formula
    neither matches comes out of xlsxwriter's substitutions unchanged (~1,000 formulas of a
    summary, ~60 of them through the ~170). None (xlsxwriter's own path) where its source does
    not read as expected. The source is sliced by the code's own line numbers: no tokenizing.

    Each pattern is a word boundary, a name and "(" (XLOOKUP), so the patterns are reversed and searched in
    the reversed formula: all then start with "(", which the regex engine finds by scanning,
    instead of trying ~170 names at every position (a 200-character formula: 0.56 ms -> 5 us; a
    summary's first write spent ~15 ms on it). A word boundary is one in either direction."""
    import linecache

    code = Worksheet._prepare_formula.__code__
    lines = linecache.getlines(code.co_filename)
    last = max((line for _s, _e, line in code.co_lines() if line is not None), default=0)
    src = "".join(lines[code.co_firstlineno - 1 : last])
    if not src.lstrip().startswith("def _prepare_formula("):
        return None, None  # pragma: no cover - a build without sources
    head, sep, tail = src.partition("if not self.use_future_functions and not expand_future_functions:")
    sub = r're\.sub\(\s*r"([^"]+)",\s*"[^"]*",\s*formula\s*\)'
    first, rest = re.findall(sub, head), re.findall(sub, tail)
    if not sep or not first or len(first) != head.count("re.sub(") or len(rest) != tail.count("re.sub("):
        return None, None  # pragma: no cover - another xlsxwriter: its own path, always
    reversed_ = [_reversed(p) for p in first + rest]
    if None in reversed_:
        return None, None  # pragma: no cover - another xlsxwriter: its own path, always
    return re.compile("|".join(reversed_[: len(first)])), re.compile("|".join(reversed_))  # type: ignore[arg-type]


def _reversed(pattern: str) -> str | None:
    """``pattern`` matching the reversed text, for a plain sequence of single-character items
    (letters, digits, ".", an escaped character, a word boundary, a non-space); None for anything else (a class, a
    group, a repetition, an anchor), which reversing item by item would not keep."""
    items = re.findall(r"\\.|.", pattern, re.S)
    if any(len(t) == 1 and t in "[](){}*+?|^$\\" for t in items) or any(
        len(t) == 2 and t[1].isalnum() and t not in (r"\b", r"\S") for t in items
    ):
        return None
    return "".join(reversed(items))


class _Worksheet(Worksheet):
    """xlsxwriter's worksheet with formula preparation memoised: it runs ~30 regex substitutions
    per formula, and every form carries the same formulas (the subclass hook is public API:
    ``Workbook.add_worksheet(name, worksheet_class=...)``)."""

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        return _prepared(formula, self.use_future_functions, expand_future_functions)


_SUMMARY_META = ("complete", "counted", "units", "status", "members_partial")


class FormWriter:
    """Writes the national form into a new workbook; callers may add sheets before ``close``."""

    def __init__(self, path: str | os.PathLike[str], spec: FormSpec | None = None) -> None:
        self.spec = spec or load_spec()
        self.path = Path(path)
        self._atomic = atomic_output(self.path)
        self._tmp = self._atomic.__enter__()
        self.wb: Workbook = xlsxwriter.Workbook(
            str(self._tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "in_memory": True,
            },
        )
        self.set_properties(self.spec.name)
        self.wb.set_calc_mode("auto")
        f = self.wb.add_format
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        self.f_title = f({**base, "bold": True, "font_size": 14, "align": "center", "text_wrap": True})
        self.f_note = f({**base, "text_wrap": True, "font_color": "#595959"})
        self.f_head = f(
            {
                **base,
                "bold": True,
                "border": 1,
                "align": "center",
                "text_wrap": True,
                "bg_color": "#F2F2F2",
            }
        )
        self.f_rowlab = f({**base, "border": 1, "align": "left", "text_wrap": True, "bg_color": "#F2F2F2"})
        self.f_int = f({**base, "border": 1, "align": "center", "locked": False, "num_format": "0"})
        self.f_dec = f({**base, "border": 1, "align": "center", "locked": False, "num_format": "0.00####"})
        self.f_total = f(
            {
                **base,
                "border": 1,
                "align": "center",
                "bold": True,
                "bg_color": "#D9D9D9",
                "num_format": "0",
            }
        )
        self.f_text_in = f(
            {
                **base,
                "border": 1,
                "locked": False,
                "text_wrap": True,
                "valign": "top",
                "num_format": "@",
            }
        )
        self.f_hint = f({**base, "font_color": "#808080", "text_wrap": True})
        self.f_red = f({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.f_ok = f({**base, "border": 1, "align": "center"})
        self.f_plain = f(base)
        # the style of cells streamed into the sheet XML after xlsxwriter (summary.py): wrapped
        self.f_wrap = f({**base, "text_wrap": True, "valign": "top", "border": 1})
        self.wrap_xf: int = self.f_wrap._get_xf_index()
        self.sheets: dict[str, Worksheet] = {}
        # layout bookkeeping per worksheet: column widths, wrapped texts, minimum row heights
        self._widths: dict[str, dict[int, float]] = {}
        self._wrapped: dict[str, list[tuple[int, int, int, int, str, float]]] = {}
        self._min_rows: dict[str, dict[int, float]] = {}
        self.footer_who = ""  # agency and year on every printed page

    # -- public ---------------------------------------------------------------------------------
    def set_properties(self, title: str, author: str = "", company: str = "") -> None:
        """The document's properties as a person sees them (文件 > 属性): its title, the agency
        that made it (never the library), the form's basis; the date fixed (identical inputs,
        identical bytes)."""
        props = {"created": FIXED_CREATED, "title": title, "comments": self.spec.basis, "author": author}
        if company:
            props["company"] = company
        _ok(self.wb.set_properties(props))

    def write_form(self, sub: Submission, *, kind: str = "template", contact: str | None = None) -> None:
        """``contact``: whom agencies ask (the coordinating office), printed in 填报说明."""
        spec = self.spec
        totals = compute_totals(spec, sub.values)
        # what each cell shows: inputs, reported-over totals, else recomputed totals in order
        shown: dict[str, Number] = {k: sub.values.get(k, 0) for k in spec.input_keys}
        overwritten: set[str] = set()
        self.overwritten = overwritten
        # an imported report's numbers not found: empty, highlighted cells with a comment (never 0);
        # totals over them keep their formula (the reported number goes into the comment)
        self.unknown = unknown_keys(sub)
        # numbers not read but fixed by the table's arithmetic (toolkit.importers.derive): said so
        self.derived = frozenset(filter(None, (sub.meta.get("derived") or "").split(",")))
        self.reported = sub.reported
        self.published = bool(sub.meta.get("imported"))  # numbers read from a published report
        self.totals = totals
        for k in spec.total_keys:
            rep = sub.reported.get(k)
            if rep is not None and rep != totals[k] and k not in self.unknown:
                shown[k] = rep
                overwritten.add(k)
            else:
                shown[k] = sum((shown[p] for p in spec.cells[k].parts), 0)
        year = f"{sub.year}年度" if sub.year else ""
        # printed in the page footer: no XML-invalid characters, within Excel's 255 (with its codes)
        self.footer_who = xlsx_text(" ".join(x for x in (sub.agency, year) if x), limit=120)
        self.kind = kind
        what = "政府信息公开工作年度报告" + ("汇总表" if kind == "summary" else "")
        self.set_properties(
            xlsx_text(
                "".join(x for x in (sub.agency, f"{sub.year}年" if sub.year else "", what) if x), limit=200
            ),
            author=xlsx_text(sub.agency or "", limit=120),
            company=xlsx_text(str(sub.cover.get("parent") or ""), limit=120),
        )
        if kind == "summary":  # the district's report opens with its own title page
            self._title_page(sub)
        for role in spec.sheets:
            name = spec.sheets[role]
            ws = self.wb.add_worksheet(name, worksheet_class=_Worksheet)
            self.sheets[role] = ws
        self._guide(contact)
        self._cover(sub)
        for table in spec.tables:
            self._table(table.id, shown, overwritten)
        if "fees" in spec.sheets:
            self._fees(shown)
        self._texts(sub)
        self._checks(shown)
        self._meta(sub, kind)
        self._protect()
        for role, ws in self.sheets.items():
            if role != "meta":
                self.fit_rows(ws)

    # -- layout: widths, row heights for wrapped text, print set-up ---------------------------
    def set_width(self, ws: Worksheet, first: int, last: int, width: float, fmt: Any = None) -> None:
        """``set_column`` that remembers the widths the row heights are computed from."""
        _ok(ws.set_column(first, last, width, fmt))
        for c in range(first, last + 1):
            self._widths.setdefault(ws.name, {})[c] = width

    def fit(self, ws: Worksheet, r0: int, c0: int, r1: int, c1: int, text: str, size: float = 10) -> None:
        """Note wrapped text over rows r0..r1 and columns c0..c1: its rows grow to hold it."""
        self._wrapped.setdefault(ws.name, []).append((r0, c0, r1, c1, text, size))

    def min_row(self, ws: Worksheet, row: int, height: float) -> None:
        self._min_rows.setdefault(ws.name, {})[row] = height

    def fit_rows(self, ws: Worksheet) -> None:
        """Set every row holding noted text tall enough for it (merged ranges share the growth)."""
        heights = row_heights(
            self._widths.get(ws.name, {}), self._wrapped.get(ws.name, []), self._min_rows.get(ws.name)
        )
        for r, h in sorted(heights.items()):
            _ok(ws.set_row(r, h))

    def print_setup(
        self,
        ws: Worksheet,
        *,
        landscape: bool = False,
        one_page: bool = False,
        last_col: int | None = None,
        repeat_rows: tuple[int, int] | None = None,
        repeat_cols: tuple[int, int] | None = None,
    ) -> None:
        """A4 in the given orientation, one page wide (``one_page``: one page in all), title rows
        repeated on every page, and a footer with the sheet, agency and year, page number."""
        ws.set_paper(9)
        ws.set_landscape() if landscape else ws.set_portrait()
        if one_page:
            ws.fit_to_pages(1, 1)
        else:
            widths = self._widths.get(ws.name, {})
            last = max(widths, default=0) if last_col is None else last_col
            ws.set_print_scale(page_scale([widths.get(c, 8.43) for c in range(last + 1)], landscape))
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if repeat_rows:
            ws.repeat_rows(*repeat_rows)
        if repeat_cols:
            ws.repeat_columns(*repeat_cols)
        ws.set_footer(footer(self.footer_who), {"margin": 0.25})

    def close(self) -> Path:
        """Finish the workbook and move it into place (atomically)."""
        try:
            self.wb.close()
        except BaseException:
            self._atomic.__exit__(*sys.exc_info())
            raise
        self._atomic.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Give up: nothing is left at the target path (an earlier file there stays as it was)."""
        with contextlib.suppress(Exception):
            self.wb.close()
        with contextlib.suppress(Exception):
            self._atomic.__exit__(RuntimeError, RuntimeError("aborted"), None)

    # -- sheets ---------------------------------------------------------------------------------
    def _ws(self, role: str) -> Worksheet:
        return self.sheets[role]

    def _labels(self, sheet_name: str, ws: Worksheet) -> None:
        for lab in self.spec.labels_on(sheet_name):
            fmt = {
                "title": self.f_title,
                "note": self.f_note,
                "caption": self.f_head,
                "corner": self.f_head,
                "col": self.f_head,
                "row": self.f_rowlab,
                "field": self.f_rowlab,
            }[lab.role]
            if lab.merged:
                _ok(ws.merge_range(lab.row, lab.col, lab.last_row, lab.last_col, "", fmt))
            _ok(ws.write_string(lab.row, lab.col, lab.text, fmt))
            size = 14 if lab.role == "title" else 10
            self.fit(ws, lab.row, lab.col, lab.last_row, lab.last_col, lab.text, size)

    def _title_page(self, sub: Submission) -> None:
        """汇总封面: the government's name, the year, the title, whom to ask and the date, as the
        cover of a printed report (lines to fill in by hand where the summary does not know them),
        then ``self.cover_lines`` (what the summary counts)."""
        ws = self.wb.add_worksheet(TITLE_PAGE, worksheet_class=_Worksheet)
        self.sheets["title_page"] = ws
        self.set_width(ws, 0, 0, 14)
        self.set_width(ws, 1, 1, 58)
        f = self.wb.add_format
        big = f(
            {
                "font_name": "宋体",
                "font_size": 22,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
            }
        )
        mid = f(
            {"font_name": "宋体", "font_size": 16, "align": "center", "valign": "vcenter", "text_wrap": True}
        )
        lab = f({"font_name": "宋体", "font_size": 12, "align": "right", "valign": "bottom"})
        line = f({"font_name": "宋体", "font_size": 12, "valign": "bottom", "bottom": 1, "text_wrap": True})
        note = f(
            {
                "font_name": "宋体",
                "font_size": 10,
                "valign": "top",
                "text_wrap": True,
                "font_color": "#404040",
            }
        )
        who = xlsx_text(sub.agency or "", limit=120)
        year = f"{sub.year}年" if sub.year else "    年"
        rows: list[tuple[int, str, Any, float, float]] = [
            (4, who, mid, 16, 30),
            (6, f"{year}政府信息公开工作年度报告", big, 22, 40),
            (7, "汇总表", big, 22, 40),
        ]
        for r, text, fmt, size, h in rows:
            _ok(ws.merge_range(r, 0, r, 1, text, fmt))
            self.fit(ws, r, 0, r, 1, text, size)
            self.min_row(ws, r, h)
        cover = sub.cover
        date = str(cover.get("date") or "") or f"{sub.year + 1 if sub.year else '    '}年    月    日"
        fields = (
            ("汇总单位", who),
            ("联系人", str(cover.get("contact") or "")),
            ("联系电话", str(cover.get("phone") or "")),
            ("编制日期", date),
        )
        # what the coordinator types into 封面 shows here too (formulas; the date line until then)
        source = ("cover.agency", "cover.contact", "cover.phone", "cover.date")
        for i, ((label, value), key) in enumerate(zip(fields, source, strict=True)):
            r = 12 + 2 * i
            _ok(ws.write_string(r, 0, f"{label}：", lab))
            c = self.spec.cells.get(key)
            if c is None:
                _ok(ws.write_string(r, 1, xlsx_text(value, limit=200), line))
            else:
                ref = f"'{c.sheet}'!{c.a1}"
                blank = date if key == "cover.date" else ""
                formula = f'=IF({ref}="","{blank}",{ref})' if '"' not in blank else f"={ref}"
                _ok(ws.write_formula(r, 1, formula, line, xlsx_text(value, limit=200)))
            self.min_row(ws, r, 24)
        r = 12 + 2 * len(fields) + 2
        for text in getattr(self, "cover_lines", ()):
            _ok(ws.merge_range(r, 0, r, 1, "", note))
            _ok(ws.write_string(r, 0, xlsx_text(text), note))
            self.fit(ws, r, 0, r, 1, text)
            r += 1
        self.print_setup(ws, one_page=True)
        ws.print_area(0, 0, max(r, 30), 1)
        ws.center_horizontally()
        ws.hide_gridlines(2)
        ws.activate()
        ws.set_first_sheet()

    def _guide(self, contact: str | None) -> None:
        ws = self._ws("guide")
        if self.kind == "summary":
            # the agencies' instructions: kept (the summary is a form too, read upward) but not
            # printed at the front of the district's report
            ws.hide()
        self.set_width(ws, 0, 0, 90)
        _ok(ws.write_string(0, 0, self.spec.guide_title, self.f_title))
        self.fit(ws, 0, 0, 0, 0, self.spec.guide_title, 14)
        lines = [
            *self.spec.guide_lines,
            f"十、填报中有疑问，请联系：{contact}"
            if contact
            else "十、填报中有疑问，请联系下发本表的政府信息公开工作机构。",
        ]
        for i, line in enumerate(lines):
            _ok(ws.write_string(2 + i, 0, line, self.f_note))
            self.fit(ws, 2 + i, 0, 2 + i, 0, line)
        r = 3 + len(lines)
        made = (
            f"格式：{self.spec.name}（{self.spec.basis}），模板版本 "
            f"{self.spec.version}，由政府信息公开工作年度报告工具（xxgk）{__version__} 版生成。"
        )
        _ok(ws.write_string(r, 0, made, self.f_hint))
        self.fit(ws, r, 0, r, 0, made)
        if self.kind != "summary":
            ws.activate()

    def _cover(self, sub: Submission) -> None:
        spec, ws = self.spec, self._ws("cover")
        name = spec.sheets["cover"]
        self.set_width(ws, 0, 0, 18)
        self.set_width(ws, 1, 1, 40)
        self.set_width(ws, 2, 2, 36)
        self._labels(name, ws)
        year = sub.year
        for f in spec.cover:
            c = spec.cells[f.key]
            short = f.key.split(".", 1)[1]
            val = sub.cover.get(short)
            if short == "year" and val not in (None, ""):
                try:
                    _ok(ws.write_number(c.row, c.col, int(val), self.f_int))
                except (TypeError, ValueError):
                    _ok(ws.write_string(c.row, c.col, xlsx_text(val), self.f_text_in))
                _ok(
                    ws.data_validation(
                        c.row,
                        c.col,
                        c.row,
                        c.col,
                        {
                            "validate": "integer",
                            "criteria": "between",
                            "minimum": 2000,
                            "maximum": 2100,
                            "error_title": "报告年度",
                            "error_message": f"请填写四位数的报告年度{f'，如{year}' if year else ''}。",
                        },
                    )
                )
            else:
                _ok(ws.write_string(c.row, c.col, "" if val is None else xlsx_text(val), self.f_text_in))
            hint = cover_hint(short, f.hint, sub) if self.kind != "summary" else ""
            if f.required and hint:
                hint = "（必填）" + hint
            if hint:
                _ok(ws.write_string(c.row, 2, hint, self.f_hint))
                self.fit(ws, c.row, 2, c.row, 2, hint)
            if val not in (None, "") and short != "year":
                self.fit(ws, c.row, c.col, c.row, c.col, str(val))

    def _table(self, tid: str, shown: dict[str, Number], overwritten: set[str]) -> None:
        spec = self.spec
        table = next(t for t in spec.tables if t.id == tid)
        role = next(r for r, n in spec.sheets.items() if n == table.sheet)
        ws = self._ws(role)
        self._labels(table.sheet, ws)
        cells = [spec.cells[k] for k in table.keys]
        first_data_col = min(c.col for c in cells)
        # widths: label columns from the longest single-column label; data columns narrow
        for col in range(table.width):
            if col < first_data_col:
                texts = [
                    lab.text
                    for lab in spec.labels_on(table.sheet)
                    if lab.role in ("row",) and lab.col == col == lab.last_col
                ]
                longest = max((len(t) for t in texts), default=6)
                # a narrow table (表二) has room for its labels on one line (a CJK character is
                # two width units); the wide ones wrap theirs
                per_char = 2.1 if table.width <= 6 else 1.1
                self.set_width(ws, col, col, min(36, max(10, longest * per_char)))
            elif table.width > 6:
                # wide enough for its own heading on one line (社会公益组织, 法律服务机构: a
                # 10-wide column printed “社会公益组 / 织”)
                heads = [
                    lab.text
                    for lab in spec.labels_on(table.sheet)
                    if lab.role == "col" and lab.col == col == lab.last_col
                ]
                self.set_width(ws, col, col, max(10, min(14, 2 * max(map(len, heads), default=0))))
            else:
                self.set_width(ws, col, col, 16)
        for c in cells:
            self._value_cell(ws, c, shown, c.key in overwritten)
        self._validation(ws, [c for c in cells if c.kind == "input"])
        self._text_cf(ws, table.sheet)
        # conditional formatting: each check colours its cells on this sheet red when it fails
        for chk in all_checks(spec):
            self._cf(ws, table.sheet, chk)
        last_row = max(c.row for c in cells)
        # one page: the national tables are read as a whole
        self.print_setup(ws, landscape=table.width > 6, one_page=True)
        ws.print_area(0, 0, last_row, table.width - 1)
        ws.center_horizontally()

    def _value_cell(self, ws: Worksheet, c: CellSpec, shown: dict[str, Number], over: bool) -> None:
        v = shown.get(c.key, 0)
        if c.span > 1:  # 表二's one-column blocks: the value spans the table's width, as printed
            fmt = self.f_dec if c.type and c.type.kind == "decimal" else self.f_int
            _ok(ws.merge_range(c.row, c.col, c.row, c.col + c.span - 1, "", fmt))
        if c.kind == "total":
            if over:  # the source reported a number here: keep exactly what was reported
                _ok(ws.write_number(c.row, c.col, _num(v), self.f_total))
                if self.published:
                    _ok(
                        ws.write_comment(
                            c.row,
                            c.col,
                            f"公开报告印出的合计为 {v}，不等于报告所印各项之和 {self.totals[c.key]}（按原文保留）",
                        )
                    )
            else:
                _ok(ws.write_formula(c.row, c.col, total_formula(self.spec, c.key), self.f_total, _num(v)))
        else:
            fmt = self.f_dec if c.type and c.type.kind == "decimal" else self.f_int
            if c.key in self.unknown:
                self._unknown_cell(ws, c, fmt)
                return
            # money as Decimal: xlsxwriter formats it with %.16G, so every digit is kept (a float
            # would write 9.0714 as 9.071400000000001); values beyond 15 digits are refused earlier
            exact = Decimal(format(v, "f")) if isinstance(v, Decimal) and v.is_finite() else _num(v)
            _ok(ws.write_number(c.row, c.col, exact, fmt))
        if c.key in self.derived:
            dv = self.reported.get(c.key) if c.kind == "total" else None
            _ok(
                ws.write_comment(
                    c.row,
                    c.col,
                    f"公开报告中未能读出此数字，由合计推算为 {v if dv is None else dv}"
                    "（不是从报告中读出的），请与原文核对",
                )
            )
        elif c.key in self.unknown and self.reported.get(c.key) is not None:
            _ok(
                ws.write_comment(
                    c.row, c.col, f"公开报告中此合计为 {self.reported[c.key]}；其中有未读出的数字，无法核对"
                )
            )

    def _unknown_cell(self, ws: Worksheet, c: CellSpec, fmt: Any) -> None:
        """A number the import did not find: left empty (unknown, not 0), yellow, with a comment."""
        if not hasattr(self, "_f_unknown"):
            self._f_unknown = {}
        if id(fmt) not in self._f_unknown:
            f = self.wb.add_format({"font_name": "宋体", "font_size": 10, "valign": "vcenter", "border": 1})
            f.set_align("center")
            f.set_locked(False)
            f.set_bg_color("#FFEB9C")
            f.set_num_format("0.00####" if fmt is self.f_dec else "0")
            self._f_unknown[id(fmt)] = f
        _ok(ws.write_blank(c.row, c.col, None, self._f_unknown[id(fmt)]))
        _ok(ws.write_comment(c.row, c.col, "未能从公开报告中读出此数字（未知，不按0计）；请核对原文后填写"))

    def _validation(self, ws: Worksheet, inputs: list[CellSpec]) -> None:
        """One rule per type and unit on the sheet, over all its runs of input cells at once."""
        groups: dict[tuple[str, str], list[CellSpec]] = {}
        for c in sorted(inputs, key=lambda c: (c.row, c.col)):
            t = c.type
            groups.setdefault(
                (t.kind if t else "int", t.unit if t else "件", bool(t and t.signed)), []
            ).append(c)
        for (kind, unit, signed), cells in groups.items():
            dec = kind == "decimal"
            unit = unit or "以报告原文为准"  # a format that states no unit (2019 采购总金额)
            runs = _runs(cells)
            ranges = " ".join(
                cell_name(a.row, a.col) if a is b else f"{cell_name(a.row, a.col)}:{cell_name(b.row, b.col)}"
                for a, b in runs
            )
            first, last = runs[0]
            _ok(
                ws.data_validation(
                    first.row,
                    first.col,
                    last.row,
                    last.col,
                    {
                        "validate": "decimal" if dec else "integer",
                        "criteria": ">=",
                        "value": -999999999 if signed else 0,
                        "error_title": "输入有误",
                        "error_message": (
                            f"请填写整数（单位：{unit}），减少的填负数，没有变化的填0。"
                            if signed
                            else f"请填写不小于0的数字（单位：{unit}），可含小数。"
                            if dec
                            else f"请填写不小于0的整数（单位：{unit}），没有的填0。"
                        ),
                        "input_title": "金额" if dec else "件数",
                        "input_message": f"单位：{unit}",
                        "multi_range": ranges,
                    },
                )
            )

    def _text_cf(self, ws: Worksheet, sheet: str) -> None:
        """Input cells holding text that SUM ignores turn red as the agency types."""
        rects = input_rects(self.spec, sheet)
        if not rects:
            return
        ranges = " ".join(
            cell_name(r0, c0) if (r0, c0) == (r1, c1) else f"{cell_name(r0, c0)}:{cell_name(r1, c1)}"
            for r0, c0, r1, c1 in rects
        )
        r0, c0, r1, c1 = rects[0]
        _ok(
            ws.conditional_format(
                r0,
                c0,
                r1,
                c1,
                {
                    "type": "formula",
                    "criteria": "=" + text_cell_condition(cell_name(r0, c0)),
                    "format": self.f_red,
                    "multi_range": ranges,
                },
            )
        )

    def _cf(self, ws: Worksheet, sheet: str, chk: CheckSpec) -> None:
        spec = self.spec
        keys = [k for k in (*chk.lhs, *chk.rhs) if spec.cells[k].sheet == sheet]
        if not keys:
            return
        lhs = sum_expr(spec, chk.lhs, sheet) if chk.lhs else "0"
        rhs = sum_expr(spec, chk.rhs, sheet) if chk.rhs else str(chk.const)
        bad = {
            "==": f"ROUND({lhs}-{rhs},6)<>0",
            "<=": f"ROUND({lhs}-{rhs},6)>0",
            ">=": f"ROUND({lhs}-{rhs},6)<0",
        }[chk.op]
        if chk.when_zero:
            bad = f"AND({cell_ref(spec, chk.when_zero, sheet)}=0,{bad})"
        # absolute references: the formula is evaluated relative to the range's first cell
        bad_abs = _absolutise(bad)
        cells = [spec.cells[k] for k in keys]
        ranges = " ".join(cell_name(c.row, c.col) for c in cells)
        first = cells[0]
        _ok(
            ws.conditional_format(
                first.row,
                first.col,
                first.row,
                first.col,
                {
                    "type": "formula",
                    "criteria": "=" + bad_abs,
                    "format": self.f_red,
                    "multi_range": ranges,
                },
            )
        )

    def _fees(self, shown: dict[str, Number]) -> None:
        spec, ws = self.spec, self._ws("fees")
        name = spec.sheets["fees"]
        self.set_width(ws, 0, 0, 28)
        self.set_width(ws, 1, 1, 18)
        self.set_width(ws, 2, 2, 10)
        self._labels(name, ws)
        for f in spec.fees:
            c = spec.cells[f.key]
            self._value_cell(ws, c, shown, False)
            _ok(ws.write_string(c.row, 2, f.type.unit if f.type else "", self.f_plain))
        self._validation(ws, [spec.cells[f.key] for f in spec.fees])
        self._text_cf(ws, name)
        for chk in all_checks(spec):
            self._cf(ws, name, chk)

    def _texts(self, sub: Submission) -> None:
        spec, ws = self.spec, self._ws("texts")
        name = spec.sheets["texts"]
        self.set_width(ws, 0, 0, 20)
        self.set_width(ws, 1, 1, 72)
        self._labels(name, ws)
        notes = []
        for f in spec.texts:
            c = spec.cells[f.key]
            text = xlsx_text(sub.texts.get(f.key, ""))
            _ok(ws.write_string(c.row, c.col, text, self.f_text_in))
            self.min_row(ws, c.row, 120)  # room to type; a long text grows its row
            self.fit(ws, c.row, c.col, c.row, c.col, text)
            if row_height(line_count(text, col_px(72), 10), 10) > MAX_ROW_PT:
                notes.append(
                    f"注：“{f.label}”共 {len(text)} 字，超过一个单元格能显示和打印的高度（约一千字），"
                    "表中和打印件只显示前一部分；文字已完整保存在单元格中（选中单元格可在编辑栏查看），"
                    "生成报告正文时全文使用。"
                )
        last = max((spec.cells[f.key].row for f in spec.texts), default=1)
        for i, note in enumerate(notes):  # a long text is not lost without a word on paper
            r = last + 2 + i
            _ok(ws.merge_range(r, 0, r, 1, note, self.f_note))
            self.fit(ws, r, 0, r, 1, note)

    def _checks(self, shown: dict[str, Number]) -> None:
        spec, ws = self.spec, self._ws("checks")
        name = spec.sheets["checks"]
        self.set_width(ws, 0, 0, 22)  # rule codes (VALUE-TEXT-NUMBER) on one line
        self.set_width(ws, 1, 1, 48)
        self.set_width(ws, 2, 2, 22)  # “✗ 差 …” and “✗ n 个单元格为…”: wrapped, rows tall enough
        self.set_width(ws, 3, 3, 6)
        f_res = self.wb.add_format(
            {
                "font_name": "宋体",
                "font_size": 10,
                "valign": "vcenter",
                "border": 1,
                "align": "center",
                "text_wrap": True,
            }
        )
        title = "校验结果（✓ 通过，✗ 不通过并显示差额）"
        _ok(ws.merge_range(0, 0, 0, 3, title, self.f_title))
        self.fit(ws, 0, 0, 0, 3, title, 14)
        checks = all_checks(spec)
        texts = [
            (code, label.format(sheet=sh), f)
            for sh in _input_sheets(spec)
            for code, label, f in (
                (
                    "VALUE-TEXT-NUMBER",
                    "{sheet}：填报单元格中没有文本（文本不计入合计）",
                    text_check_formula(spec, sh, name),
                ),
                (
                    "VALUE-NEGATIVE",
                    "{sheet}：没有负数、带小数的件数或超出上限的数",
                    value_check_formula(spec, sh, name),
                ),
            )
            if f
        ]
        first, last = 3, 3 + len(checks) + len(texts) - 1
        results = [check_result(chk, shown) for chk in checks]
        n_bad = sum(1 for r in results if r.startswith(BAD))
        summary = (
            f'=IF(COUNTIF(C{first + 1}:C{last + 1},"{BAD}*")=0,"全部通过",'
            f'"有 "&COUNTIF(C{first + 1}:C{last + 1},"{BAD}*")&" 项不通过")'
        )
        _ok(ws.write_string(1, 0, "总体", self.f_head))
        _ok(ws.write_formula(1, 1, summary, self.f_ok, "全部通过" if n_bad == 0 else f"有 {n_bad} 项不通过"))
        for col, head in enumerate(("规则代码", "检查内容", "结果", "级别")):
            _ok(ws.write_string(2, col, head, self.f_head))
        for i, (chk, res) in enumerate(zip(checks, results, strict=True)):
            r = first + i
            _ok(ws.write_string(r, 0, chk.code, self.f_ok))
            _ok(ws.write_string(r, 1, chk.label, self.f_rowlab))
            self.fit(ws, r, 1, r, 1, chk.label)
            _ok(ws.write_formula(r, 2, check_formula(spec, chk, name), f_res, res))
            self.fit(ws, r, 2, r, 2, res if res != OK else f"{BAD} 差 -9999999")
            _ok(ws.write_string(r, 3, "错误" if chk.severity == "error" else "提示", self.f_ok))
        for i, (code, label, formula) in enumerate(texts):  # what a cell holds, not arithmetic
            r = first + len(checks) + i
            _ok(ws.write_string(r, 0, code, self.f_ok))
            _ok(ws.write_string(r, 1, label, self.f_rowlab))
            self.fit(ws, r, 1, r, 1, label)
            _ok(ws.write_formula(r, 2, formula, f_res, OK))
            # room for the longest message the formula can show (a row does not grow by itself)
            self.fit(ws, r, 2, r, 2, f"{BAD} 9999 个单元格为负数、小数或超出上限")
            _ok(ws.write_string(r, 3, "错误", self.f_ok))
        _ok(
            ws.conditional_format(
                first,
                2,
                last,
                2,
                {"type": "text", "criteria": "begins with", "value": BAD, "format": self.f_red},
            )
        )
        ws.freeze_panes(3, 0)
        self.print_setup(ws, repeat_rows=(2, 2))

    def _meta(self, sub: Submission, kind: str) -> None:  # read back by reader.py (20 rows)
        spec, ws = self.spec, self._ws("meta")
        rows = [
            ("format", spec.id),
            ("version", str(spec.version)),
            ("year", "" if sub.year is None else str(sub.year)),
            ("spec_sha256", spec.sha256),
            ("generator", f"xxgk-toolkit {__version__}"),
            ("kind", kind),
        ]
        props = list(rows)
        if kind == "summary":  # complete or not, its counts, the units it counts (merge.py)
            rows += [(k, v) for k, v in sub.meta.items() if k in _SUMMARY_META or k.startswith("members")]
        for i, (k, v) in enumerate(rows):
            _ok(ws.write_string(i, 0, k))
            _ok(ws.write_string(i, 1, v))
        ws.very_hidden()
        for k, v in props:
            _ok(self.wb.set_custom_property(f"xxgk.{k}", v))
        extra = []
        if sub.meta.get("unknown"):  # imported numbers not found: VALUE-MISSING while still empty
            extra.append(("unknown", sub.meta["unknown"]))
        if self.published and self.overwritten:  # a published total that is not the sum of its
            extra.append(("published_totals", ",".join(sorted(self.overwritten))))  # printed parts
        for i, (k, v) in enumerate(extra):
            _ok(ws.write_string(len(rows) + i, 0, k))
            _ok(ws.write_string(len(rows) + i, 1, v))

    def _protect(self) -> None:
        for role, ws in self.sheets.items():
            if role in ("guide", "cover", "fees"):
                self.print_setup(ws, one_page=True)
            elif role == "texts":  # long texts run over pages at full size, never shrunk to one
                self.print_setup(ws)
            if role in ("guide", "meta"):
                ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
                continue
            ws.protect(
                "",
                {
                    "select_locked_cells": True,
                    "select_unlocked_cells": True,
                    "format_columns": True,
                    "format_rows": True,
                },
            )


_DISTRICT = re.compile(r"^(.+?[区县旗])|^(.+?市)")


def cover_hint(field: str, hint: str, sub: Submission) -> str:
    """The cover's hint for ``field``, its examples taken from the year and district the template
    is made for (never a stale year or another district's name)."""
    year = sub.year
    where = str(sub.cover.get("parent") or "")
    if not where:
        m = _DISTRICT.match(str(sub.cover.get("agency") or ""))
        where = (m.group(1) or m.group(2)) if m else ""
    if field == "agency":
        return f"填写机关全称，如“{where}财政局”" if where else "填写机关全称，与公章一致"
    if field == "parent":
        return f"如“{where}”" if where else "填写所属地区或上级机关全称"
    if field == "year":
        return f"四位年份，如{year}" if year else "四位年份"
    if field == "date":
        return f"年-月-日，如{year + 1}-01-15" if year else "年-月-日"
    return hint


def _absolutise(formula: str) -> str:
    """Make plain A1 references in a formula absolute ($A$1), leaving sheet names alone."""
    return re.sub(r"(?<![$A-Z'])([A-Z]{1,3})(\d+)(?![\d(])", r"$\1$\2", formula)


def _num(v: Number) -> int | float:
    return float(v) if isinstance(v, Decimal) else v


# -- the library entry points ---------------------------------------------------------------------
def make_template(
    path: str | os.PathLike[str],
    submission: Submission | None = None,
    *,
    spec: FormSpec | None = None,
    kind: str = "template",
    extra: Callable[[FormWriter], None] | None = None,
    contact: str | None = None,
) -> Path:
    """Write the fill-in workbook for ``submission`` (blank when None) to ``path``, atomically.
    ``contact``: whom to ask (the coordinating office), printed in 填报说明."""
    spec = spec or (submission.spec if submission else load_spec())
    sub = submission or Submission(spec=spec)
    w = FormWriter(path, spec)
    try:
        w.write_form(sub, kind=kind, contact=contact)
        if extra:
            extra(w)
    except BaseException:
        w.abort()
        raise
    return w.close()


def make_roster_templates(
    roster_path: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    year: int | None = None,
    parent: str | None = None,
    spec: FormSpec | None = None,
    contact: str | None = None,
    replace: bool = True,
) -> tuple[list[Path], list[Any]]:
    """One prefilled workbook per roster agency in ``outdir``; returns (files, roster findings).
    ``replace=False``: if any of them exists already (perhaps filled in), raise FileExistsError
    (a Chinese message naming them) before writing any."""
    from toolkit.roster import read_roster

    spec = spec or load_spec()
    roster = read_roster(roster_path)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    # names unique by construction (case-insensitively, as on Windows/macOS), never the name of
    # a file already there that is an input (the roster itself)
    used: set[str] = set()
    roster_real = os.path.realpath(roster_path)
    if os.path.dirname(roster_real) == os.path.realpath(out):
        used.add(os.path.basename(roster_real).casefold())
    names = []
    for e in roster.entries:
        stem = safe_filename(e.name)
        alt = [f"{stem}_{e.code[-6:]}"] if e.code else []
        names.append(unique_name(stem, ".xlsx", used, alternatives=alt))
    if not replace and (there := [n for n in names if (out / n).exists()]):
        more = f" 等 {len(there)} 个" if len(there) > 3 else ""
        raise FileExistsError(
            f"文件夹 {os.path.join(out, '')} 中已有同名的模板（{'、'.join(there[:3])}{more}，可能已经填好），一个也未生成；"
            "确需覆盖请加 --force，或换一个文件夹"
        )
    files = []
    for e, name in zip(roster.entries, names, strict=True):
        cover: dict[str, Any] = {"agency": e.name, "code": e.code, "parent": e.parent or parent or ""}
        if year is not None:
            cover["year"] = year
        files.append(make_template(out / name, Submission(spec=spec, cover=cover), contact=contact))
    return files, roster.findings
