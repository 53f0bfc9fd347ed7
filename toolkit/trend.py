"""Trends across years from the archive: one agency, one district, or all.

``trend(store, agency=..., district=...)`` returns a pandas DataFrame (one row per unit x figure x
year: value, change on the previous year, whether comparable); ``write_trend_xlsx`` writes the
workbook (years as columns, year-on-year change, native Excel line charts, the agencies that
report only zeros or the same numbers twice). Figures are compared across formats only as
``toolkit.spec.comparison_map`` states (the YAML's ``comparison``): a figure a year's format does
not have, or that changed meaning, is *not comparable* and shown as such, never mixed. A number
the import of a published report did not find is *unknown* (未知), never 0: its figures, the
total over units and the changes beside it are unknown too, and no flag is raised on it. A number
it did not read but derived from the table's arithmetic (由合计推算) is shown with its value and
marked as derived (推算), never as read: in the workbook, the JSON/CSV (``derived``) and the frame.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.model import Number, with_dependent_totals
from toolkit.spec import FormSpec, load_spec
from toolkit.store import SOURCES, Store, Version
from toolkit.textsafe import csv_cell, xlsx_text

if TYPE_CHECKING:  # pandas is imported lazily: the CLI must start fast
    import pandas as pd

__all__ = ["MAIN_FIGURES", "NOT_COMPARABLE", "TrendData", "flags", "trend", "trend_data", "write_trend_xlsx"]

NOT_COMPARABLE = "不可比"
UNKNOWN = "未知"  # a number the import of a published report did not find: never 0
DERIVED = "（推算）"  # after a number the import did not read but derived from the table's sums
INCOMPLETE_SUMMARY = "汇总表不完整（有未报送、有错误或未计入汇总的单位），数字不是全区的合计"
TOTAL = "合计"

# the main figures of a trend: (key, label). Keys as in docs/format-2021.md / format-2019.md; a
# key a format lacks is derived through the stated comparison mapping or shown as not comparable.
MAIN_FIGURES: tuple[tuple[str, str], ...] = (
    ("t3.new_received.total", "本年新收申请"),
    ("t3.carried_in.total", "上年结转申请"),
    ("t3.granted.total", "予以公开"),
    ("t3.partly_granted.total", "部分公开"),
    ("t3.other_processing.total", "（六）其他处理"),
    ("t3.result_total.total", "办理结果总计"),
    ("t3.carried_out.total", "结转下年度继续办理"),
    ("t4.review_total", "行政复议"),
    ("t4.suit_direct_total", "行政诉讼（未经复议直接起诉）"),
    ("t4.suit_after_review_total", "行政诉讼（复议后起诉）"),
    ("t2.admin_licensing.decisions", "行政许可处理决定"),
    ("t2.admin_penalty.decisions", "行政处罚处理决定"),
    ("t2.regulations.issued", "规章本年制发（2021年格式）"),
    ("t2.regulations.new_made", "规章本年新制作（2019年格式）"),
    ("s6.fee_collected", "信息处理费实际收取（元）"),
)
CHARTED = ("t3.new_received.total", "t3.result_total.total", "t3.carried_out.total", "t4.review_total")


@functools.lru_cache(maxsize=16)
def _derivations(spec: FormSpec) -> dict[str, tuple[str, ...]]:
    """Figure keys a format lacks but can state as a sum of its own keys (from any shipped
    format's ``comparison`` towards this one)."""
    from toolkit.spec import available_formats

    out: dict[str, tuple[str, ...]] = {}
    for fid in available_formats():
        other = load_spec(fid)
        for k, parts in other.comparison.get(spec.id, {}).items():
            if k not in spec.cells and all(p in spec.cells for p in parts):
                out[k] = parts
    return out


def figure_value(spec: FormSpec, values: dict[str, Number], key: str) -> Number | None:
    """A figure of a report in ``spec``'s format; None when the format has no such figure."""
    if key in spec.cells:
        return values.get(key, 0)
    parts = _derivations(spec).get(key)
    if parts is None:
        return None
    return sum((values.get(p, 0) for p in parts), 0)


def figure_unknown(spec: FormSpec, unknown: frozenset[str], key: str) -> bool:
    """Whether figure ``key`` rests on a number the import did not find (``unknown``: those
    numbers and every total over them)."""
    if not unknown:
        return False
    if key in spec.cells:
        return key in unknown
    return bool(unknown.intersection(_derivations(spec).get(key, ())))


@dataclass
class TrendData:
    """The rows of a trend before they become a frame or a workbook."""

    units: list[tuple[str, str]]  # (name, code) in order; the total (合计) last when there is one
    years: list[int]
    figures: tuple[tuple[str, str], ...]
    cells: dict[tuple[str, str, int], Number | None]  # (unit, key, year) -> value (None: not comparable)
    formats: dict[tuple[str, int], str]  # (unit, year) -> format id
    sources: dict[tuple[str, int], str]
    flags: list[dict[str, Any]]
    unknown: set[tuple[str, str, int]] = field(default_factory=set)  # (unit, key, year): 未知, value None
    derived: set[tuple[str, str, int]] = field(default_factory=set)  # (unit, key, year): 由合计推算


def _pick(versions: Iterable[Version]) -> dict[tuple[int, int], Version]:
    """One version per agency x year: a workbook before a summary before a published report."""
    out: dict[tuple[int, int], Version] = {}
    for v in sorted(versions, key=lambda v: SOURCES.index(v.source), reverse=True):
        out[(v.agency_id, v.year)] = v
    return out


def trend_data(
    store: Store,
    *,
    agency: str | None = None,
    district: str | None = None,
    figures: tuple[tuple[str, str], ...] = MAIN_FIGURES,
) -> TrendData:
    """Figures by unit and year: one agency (name part or code), a district's agencies and their
    total, or (neither given) every agency and the total of all but district summaries."""
    if agency:
        ids = [a.id for a in store.agencies(query=agency)]
        versions = store.current(agency_ids=ids) if ids else []
        open_ = store.undecided(agency_ids=ids) if ids else []
    else:
        versions = store.current(district=district)
        open_ = store.undecided(district=district)
    picked = _pick(versions)
    vals = store.values([v.id for v in picked.values()])
    not_found = store.unknown([v.id for v in picked.values()])
    not_read = store.derived([v.id for v in picked.values()])
    unknown: set[tuple[str, str, int]] = set()
    derived: set[tuple[str, str, int]] = set()
    derived_years: dict[tuple[str, int], int] = {}
    unknown_years: dict[str, set[int]] = {}
    units: dict[int, tuple[str, str]] = {}
    cells: dict[tuple[str, str, int], Number | None] = {}
    formats: dict[tuple[str, int], str] = {}
    sources: dict[tuple[str, int], str] = {}
    years = sorted({y for _, y in picked})
    per_unit: dict[str, dict[int, tuple[FormSpec, dict[str, Number]]]] = {}
    for (aid, year), v in sorted(picked.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        name = (
            v.agency
            if v.agency not in {u[0] for i, u in units.items() if i != aid}
            else f"{v.agency}（{aid}）"
        )
        units.setdefault(aid, (name, v.code or ""))
        unit = units[aid][0]
        spec = load_spec(v.format)
        per_unit.setdefault(unit, {})[year] = (spec, vals[v.id])
        formats[(unit, year)] = v.format
        sources[(unit, year)] = v.source
        unk = with_dependent_totals(spec, (k for k in not_found.get(v.id, ()) if k in spec.cells))
        if unk:
            unknown_years.setdefault(unit, set()).add(year)
        der = frozenset(k for k in not_read.get(v.id, ()) if k in spec.cells)
        if der:
            derived_years[(unit, year)] = len(der)
        for key, _ in figures:
            if figure_unknown(spec, unk, key):
                cells[(unit, key, year)] = None
                unknown.add((unit, key, year))
            else:
                cells[(unit, key, year)] = figure_value(spec, vals[v.id], key)
                if figure_unknown(spec, der, key):  # the figure is (or adds) a number not read
                    derived.add((unit, key, year))
    order = [units[a] for a in sorted(units)]
    counted = [u for u, _ in order if not any(sources.get((u, y)) == "summary" for y in years)]
    if not agency and len(counted) > 1:  # the total of the agencies (summaries are not added again)
        for key, _ in figures:
            for y in years:
                got = [cells.get((u, key, y), 0) for u in counted if (u, y) in formats]
                cells[(TOTAL, key, y)] = (
                    None
                    if not got or any(g is None for g in got)
                    else sum((g for g in got if g is not None), 0)
                )
                if any((u, key, y) in unknown for u in counted):
                    unknown.add((TOTAL, key, y))
                elif any((u, key, y) in derived for u in counted):
                    derived.add((TOTAL, key, y))
        order.append((TOTAL, ""))
        for y in years:
            fs = {formats[(u, y)] for u in counted if (u, y) in formats}
            formats[(TOTAL, y)] = "/".join(sorted(fs))
    notes = flags(per_unit, unknown_years)
    for (unit, year), n in sorted(derived_years.items()):  # said once a year, beside the marks
        notes.append(
            {
                "unit": unit,
                "flag": f"公开报告中有 {n} 个数字未能读出，由表内合计关系推算（表中标“{DERIVED}”），"
                "不是从报告中读出的，请与原文核对",
                "years": [year],
            }
        )
    for (aid, year), v in sorted(picked.items()):  # it passes, but it is not the whole district
        if v.summary_incomplete:
            notes.append({"unit": units[aid][0], "flag": INCOMPLETE_SUMMARY, "years": [year]})
    for u in open_:  # no current version: left out, with how to choose one
        if (u.agency_id, u.year) not in picked:
            flag = f"{u.reason}，未列入{u.advice('；')}"
            notes.append({"unit": u.agency, "flag": flag, "years": [u.year]})
    return TrendData(order, years, figures, cells, formats, sources, notes, unknown, derived)


def flags(
    per_unit: dict[str, dict[int, tuple[FormSpec, dict[str, Number]]]],
    unknown_years: dict[str, set[int]] | None = None,
) -> list[dict[str, Any]]:
    """Agencies whose every figure is 0 in every year they reported (two years or more), and those
    reporting exactly the same numbers two years running (comparable figures, not all 0). A year
    with numbers not found (``unknown_years``) is never said to be 0 or the same as another."""
    out: list[dict[str, Any]] = []
    for unit, by_year in per_unit.items():
        ys = sorted(by_year)
        partial = (unknown_years or {}).get(unit, set())
        if (
            len(ys) >= 2
            and not partial
            and all(not any(v for v in vals.values()) for _, vals in by_year.values())
        ):
            out.append({"unit": unit, "flag": "历年全为0", "years": ys})
            continue
        for a, b in itertools.pairwise(ys):
            if a in partial or b in partial:
                continue
            (sa, va), (sb, vb) = by_year[a], by_year[b]
            if sa is sb:  # one format: the sparse figures are the same dict
                same = bool(va) and va == vb
            else:
                pairs = _pairs(sa, sb).values()
                left = [sum((va.get(k, 0) for k in ka), 0) for ka, _ in pairs]
                same = any(left) and left == [sum((vb.get(k, 0) for k in kb), 0) for _, kb in pairs]
            if same:
                out.append({"unit": unit, "flag": "与上年数字完全相同", "years": [a, b]})
    return out


@functools.lru_cache(maxsize=16)
def _pairs(a: FormSpec, b: FormSpec) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    from toolkit.spec import comparison_map

    return comparison_map(a, b)


def _change(a: Number | None, b: Number | None) -> Number | None:
    return None if a is None or b is None else b - a


def trend(
    store: Store | str | os.PathLike[str],
    *,
    agency: str | None = None,
    district: str | None = None,
) -> pd.DataFrame:
    """The trend as a pandas DataFrame, one row per unit x figure x year: ``value`` (None when the
    year's format has no comparable figure), ``change`` on the previous year (None when either
    side is not comparable or there is no previous year), ``comparable``, ``format``, ``derived``
    (the value rests on a number the import of a published report derived, 由合计推算, not read)."""
    import pandas as pd

    if not isinstance(store, Store):
        with Store(store, create=False) as s:
            return trend(s, agency=agency, district=district)
    d = trend_data(store, agency=agency, district=district)
    df = pd.DataFrame(_rows(d, plain=False), columns=list(_COLUMNS), dtype=object)  # exact: int/Decimal/None
    return df.astype({"year": "int64", "comparable": "bool", "derived": "bool"})


_COLUMNS = ("unit", "code", "key", "figure", "year", "format", "value", "change", "comparable", "derived")
_TEXT_COLUMNS = frozenset(("unit", "code", "key", "figure", "format"))  # from files: csv_cell


def _rows(d: TrendData, *, plain: bool = True) -> list[dict[str, Any]]:
    """``plain``: amounts as JSON-safe numbers (a fractional Decimal as its exact text)."""
    conv = _plain if plain else (lambda v: v)
    rows = []
    for unit, code in d.units:
        for key, label in d.figures:
            prev: Number | None = None
            prev_year = None
            for y in d.years:
                if (unit, y) not in d.formats:
                    continue
                v = d.cells.get((unit, key, y))
                ch = _change(prev, v) if prev_year is not None and prev_year == y - 1 else None
                known = (unit, key, y) not in d.unknown  # unknown: the figure exists, not found
                rows.append(
                    {
                        "unit": unit,
                        "code": code,
                        "key": key,
                        "figure": label,
                        "year": y,
                        "format": d.formats[(unit, y)],
                        "value": conv(v),
                        "change": conv(ch),
                        "comparable": v is not None or not known,
                        "derived": (unit, key, y) in d.derived,
                    }
                )
                prev, prev_year = v, y
    return rows


def _width(text: str) -> int:
    """Display width in Excel column units: a CJK character is two, anything else one."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _plain(v: Number | None) -> int | float | str | None:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else str(v)
    return v


def write_trend_json(d: TrendData) -> dict[str, Any]:
    return {"years": d.years, "rows": _rows(d), "flags": d.flags}


def write_trend_csv(d: TrendData, out: Any) -> None:
    import csv

    w = csv.writer(out, lineterminator="\n")
    w.writerow(_COLUMNS)
    for r in _rows(d):
        r["comparable"] = "是" if r["comparable"] else "否"  # a clerk opens it in Excel: not True/False
        w.writerow(["" if r[c] is None else csv_cell(r[c]) if c in _TEXT_COLUMNS else r[c] for c in _COLUMNS])


def write_trend_xlsx(d: TrendData, path: str | os.PathLike[str], *, title: str = "历年趋势") -> Path:
    """Years as columns for the main figures, then the change on each previous year; not
    comparable cells say so; one native line chart per unit (the total only for many units)."""
    import xlsxwriter

    from toolkit.template import FIXED_CREATED, atomic_output

    path = Path(path)
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        wb.set_properties(
            {"created": FIXED_CREATED, "author": xlsx_text(title, 255), "title": xlsx_text(title, 255)}
        )
        footer = "&C第 &P 页，共 &N 页"
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        f_head = wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True})
        f_num = wb.add_format({**base, "border": 1, "num_format": "#,##0.##"})
        f_chg = wb.add_format({**base, "border": 1, "num_format": "+#,##0.##;-#,##0.##;0"})
        # a number not read but derived (由合计推算): the value, marked beside it, in italics
        mark = f'"{DERIVED}"'
        f_der = wb.add_format({**base, "border": 1, "italic": True, "num_format": f"#,##0.##{mark}"})
        f_der_chg = wb.add_format(
            {**base, "border": 1, "italic": True, "num_format": f"+#,##0.##{mark};-#,##0.##{mark};0{mark}"}
        )
        f_na = wb.add_format(
            {**base, "border": 1, "font_color": "#808080", "bg_color": "#EDEDED", "align": "center"}
        )
        f_text = wb.add_format({**base, "border": 1})
        f_title = wb.add_format({**base, "bold": True, "font_size": 14})
        ws = wb.add_worksheet("趋势")
        data = wb.add_worksheet("图表数据")
        years = d.years
        ws.write_string(0, 0, xlsx_text(title), f_title)
        heads = ["单位", "指标", *[f"{y}年" for y in years], *[f"{y}年比上年" for y in years[1:]]]
        ws.write_row(2, 0, heads, f_head)
        label = {"gov-2021": "2021年格式", "gov-2019": "2019年试行格式"}  # never an internal id on paper
        fmt_row = ["格式", ""] + [
            " / ".join(
                sorted(
                    {
                        label.get(d.formats[(u, y)], d.formats[(u, y)])
                        for u, _ in d.units
                        if (u, y) in d.formats
                    }
                )
            )
            for y in years
        ]
        ws.write_row(1, 0, fmt_row)
        ws.set_row(2, 30)  # room for a head that wraps
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 26)
        wide = 5 if d.derived else 0  # room for （推算） after a number
        ws.set_column(2, 1 + len(years), 11 + wide)
        # “2025年比上年” on one line (in 11 it printed “2025年比上 / 年”)
        ws.set_column(2 + len(years), 1 + 2 * len(years), 14 + wide)
        ws.freeze_panes(3, 2)
        # on paper: A4 landscape one page wide, the title and column heads on every page, and the
        # unit and figure on every page when the years run over (no bare change columns)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, 2)
        ws.repeat_columns(0, 1)
        ws.set_footer(footer)
        data.write_row(0, 0, ["单位", "指标", *[str(y) for y in years]])
        r = 3
        dr = 1
        chart_rows: dict[str, list[tuple[int, str]]] = {}
        for unit, _code in d.units:
            for key, label in d.figures:
                if all(
                    d.cells.get((unit, key, y)) is None and (unit, key, y) not in d.unknown
                    for y in years
                    if (unit, y) in d.formats
                ):
                    continue  # a figure none of this unit's years has
                ws.write_string(r, 0, xlsx_text(unit), f_text)
                ws.write_string(r, 1, label, f_text)
                data.write_string(dr, 0, xlsx_text(unit))
                data.write_string(dr, 1, label)
                for j, y in enumerate(years):
                    if (unit, y) not in d.formats:
                        ws.write_blank(r, 2 + j, None, f_text)
                        continue
                    v = d.cells.get((unit, key, y))
                    if v is None:
                        na = UNKNOWN if (unit, key, y) in d.unknown else NOT_COMPARABLE
                        ws.write_string(r, 2 + j, na, f_na)
                    else:
                        der = (unit, key, y) in d.derived
                        ws.write_number(r, 2 + j, float(v), f_der if der else f_num)
                        data.write_number(dr, 2 + j, float(v))  # blank (a gap in the chart) otherwise
                for j, y in enumerate(years[1:], 1):
                    a, b = d.cells.get((unit, key, years[j - 1])), d.cells.get((unit, key, y))
                    col = 1 + len(years) + j
                    if (unit, y) not in d.formats or (unit, years[j - 1]) not in d.formats:
                        ws.write_blank(r, col, None, f_text)
                    elif a is None or b is None:
                        gone = {(unit, key, years[j - 1]), (unit, key, y)} & d.unknown
                        ws.write_string(r, col, UNKNOWN if gone else NOT_COMPARABLE, f_na)
                    else:
                        der = bool({(unit, key, years[j - 1]), (unit, key, y)} & d.derived)
                        ws.write_number(r, col, float(b - a), f_der_chg if der else f_chg)
                if key in CHARTED:
                    chart_rows.setdefault(unit, []).append((dr, label))
                r += 1
                dr += 1
        data.hide()
        charts = wb.add_worksheet("图表")
        charts.set_paper(9)
        charts.fit_to_pages(1, 0)
        charts.set_footer(footer)
        units = [u for u, _ in d.units]
        shown = [TOTAL] if TOTAL in units and len(units) > 6 else units
        for i, unit in enumerate(u for u in shown if u in chart_rows):
            ch = wb.add_chart({"type": "line"})
            for row, label in chart_rows[unit]:
                ch.add_series(
                    {
                        "name": label,
                        "categories": ["图表数据", 0, 2, 0, 1 + len(years)],
                        "values": ["图表数据", row, 2, row, 1 + len(years)],
                        "marker": {"type": "circle"},
                    }
                )
            # the unit's name cell, never the name itself: xlsxwriter takes a name like
            # "+cmd|' /C calc'!A0" for a formula reference
            ch.set_title({"name": ["图表数据", chart_rows[unit][0][0], 0]})
            ch.show_blanks_as("gap")  # a year without a comparable figure is a gap, not a 0
            ch.set_y_axis({"min": 0})
            ch.set_size({"width": 640, "height": 300})
            charts.insert_chart(1 + i * 16, 1, ch)
        # three charts a page (16 rows each): a break between charts, never through one
        n_charts = sum(1 for u in shown if u in chart_rows)
        charts.set_h_pagebreaks([1 + k * 48 for k in range(1, (n_charts + 2) // 3)])
        fl = wb.add_worksheet("提示")
        fl.write_row(0, 0, ["单位", "情况", "年度"], f_head)
        f_wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        fl.set_column(0, 0, 30, f_wrap)
        fl.set_column(1, 1, 60, f_wrap)  # a long note (the versions to choose from) wraps
        fl.set_column(2, 2, 16, f_wrap)
        fl.repeat_rows(0)
        fl.fit_to_pages(1, 0)
        fl.set_paper(9)
        fl.set_footer(footer)
        for i, f in enumerate(d.flags, 1):
            fl.write_string(i, 0, xlsx_text(f["unit"]))
            fl.write_string(i, 1, f["flag"])
            fl.write_string(i, 2, "、".join(str(y) for y in f["years"]))
            # ~28 characters a line at width 60 (CJK are two units wide): rows as tall as the text
            fl.set_row(i, 14 * (1 + _width(f["flag"]) // 56))
        note = wb.add_worksheet("说明")
        note.set_column(0, 0, 90, wb.add_format({**base, "text_wrap": True, "valign": "top"}))
        note.set_paper(9)
        note.fit_to_pages(1, 0)
        note.set_footer(footer)
        for i, line in enumerate(
            (
                "“不可比”：该年度所用格式没有这一指标，或指标含义已改变（2019年试行格式与2021年格式），不与其他年度相比。",
                "可比的口径：表三、表四各项两种格式相同；2019年格式的“（六）其他处理”等于2021年格式（六）下三项之和；"
                "表二只有行政许可、行政处罚、行政强制的“处理决定数量”可比；其余表二指标和信息处理费不可比。",
                "每个单位每年取当前版本（与汇总的规则相同：内容不同的多个版本中只有一个通过校验时以它为准，"
                "或在档案库中指定的版本；未定当前版本的年度不列入，见“提示”）；填报表优先于汇总表和公开文本。",
                f"合计：各单位之和（不含汇总表）；某年有单位该项“不可比”时，合计也为“{NOT_COMPARABLE}”。",
                f"“{UNKNOWN}”：公开报告中未能读出的数字（不按0计），其合计、同比变化也为“{UNKNOWN}”；"
                "有未知数字的年度不作“历年全为0”“与上年数字完全相同”的判断。",
                f"标“{DERIVED}”的数字（斜体）：公开报告中未能读出、由表内合计关系推算的数字（其余数字都是从报告中读出的，"
                "推算依据见导入时的提示），不是从报告中读出的，请与原文核对；含推算数字的合计和同比变化也标“"
                f"{DERIVED}”。",
            )
        ):
            note.write_string(i, 0, line)
            note.set_row(i, 15 * (1 + len(line) // 45))  # wrapped: ~45 characters a line at width 90
        wb.close()
    return path
