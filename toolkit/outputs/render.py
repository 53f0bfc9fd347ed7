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
from typing import Any

from toolkit.findings import Finding
from toolkit.model import Number, Submission, unknown_keys
from toolkit.narrative import PREVIOUS_PREFIX, draft_paragraphs, place_drafted, states_fees, states_figures
from toolkit.spec import FormSpec
from toolkit.template import atomic_output
from toolkit.textsafe import docx_text, excel_unescape, html_text, md_text, shown_text

__all__ = [
    "DRAFT_NOTE",
    "GridCell",
    "ReportBundle",
    "fee_sentence",
    "publish_problems",
    "render",
    "render_finished_or_draft",
    "sample_sections",
    "table_grid",
    "text_sheet_missing",
    "texts_sheet",
    "unfilled_sections",
]

INTRO = "依据《中华人民共和国政府信息公开条例》（以下简称《条例》）第五十条规定，编制本报告。"
DRAFT = "草稿"
# on every page of a draft (header of the .docx, banner of the .html, first line of the .md)
DRAFT_NOTE = "草稿：内容尚未完成，不得公开发布"
# a section only a person can write, in a draft: visibly unfinished, in 【】 as editors mark it
# where the words are typed: {book} is 填报表 for an agency's report, 汇总表 for a summary's
PLACEHOLDER = "【待补充】本部分须由本机关填写（可在{book}“文字”表中填写后重新生成）。"
WORK_PLACEHOLDER = (
    "【待补充】工作举措（组织领导、政府信息管理、平台建设、监督保障、教育培训等）须由本机关填写"
    "（可在{book}“文字”表中填写后重新生成）。"
)


def _book(sub: Submission) -> str:
    """The workbook whose 文字 sheet holds the words: a summary's are typed in the summary."""
    return "汇总表" if sub.meta.get("kind") == "summary" else "填报表"


def _titles(headings: list[str]) -> str:
    """Section titles listed: each in quotes, no 顿号 between them (“一、总体情况”“五、存在的主要问题
    及改进情况”): joined with 、 the titles' own 、 made one list of 一、总体情况、五、存在的…)."""
    return "".join(f"“{h}”" for h in headings)


PERSON_SECTIONS = ("overview", "problems")  # the text sections the numbers cannot write


def publish_problems(sub: Submission, meta: dict[str, str] | None = None) -> list[str]:
    """Why this report is not ready to publish (each a Chinese sentence), [] when it is: a summary
    that is itself incomplete (its metadata says so: SUMMARY-INCOMPLETE), text sections still empty."""
    from toolkit.validate import summary_incomplete

    meta = sub.meta if meta is None else meta
    out = []
    if meta and (f := summary_incomplete(meta, sub.source or "")) is not None:
        out.append(f"[{f.code}] {f.message}")
    if missing := unfilled_sections(sub):
        out.append(f"以下部分尚未填写：{_titles(missing)}（在{_book(sub)}“文字”表中填写）")
    if sample := sample_sections(sub):
        out.append(
            f"以下部分仍是{SAMPLE_MARK}：{_titles(sample)}（样例或模板中的文字，须改写为本机关的内容；"
            f"在{_book(sub)}“文字”表中修改）"
        )
    if unknown := unknown_keys(sub):  # a published report's numbers not read: never printed as 0
        out.append(
            f"[VALUE-MISSING] 表中有 {len(unknown)} 个数字未知（读取公开报告时未读出，或依赖未读出的数字），"
            f"不能按0公开；请核对原文填写后重新生成（草稿中标为“{UNKNOWN_CELL}”）"
        )
    return out


UNKNOWN_CELL = "未知"  # a table cell whose number is unknown, as a draft shows it


def _shown_values(sub: Submission) -> dict[str, Number | str]:
    """The table values as printed: every number, and 未知 where it is not known."""
    values: dict[str, Number | str] = dict(sub.all_values())
    for k in unknown_keys(sub):
        values[k] = UNKNOWN_CELL
    return values


def texts_sheet(spec: FormSpec) -> str:
    """The sheet the text sections are typed on (文字)."""
    return next((spec.cells[t.key].sheet for t in spec.texts if t.key in spec.cells), "文字")


def text_sheet_missing(f: Finding, spec: FormSpec) -> bool:
    """``f`` is the reader's TEMPLATE-UNKNOWN for a workbook whose only missing sheet is the
    texts' (文字): its numbers were read, its texts are unwritten (the draft's 【待补充】)."""
    return f.code == "TEMPLATE-UNKNOWN" and f"缺少工作表“{texts_sheet(spec)}”，" in f.message


def _person_sections(spec: FormSpec) -> tuple[str, ...]:
    """The text sections only a person can write: 总体情况 and 存在的主要问题及改进情况, and 其他需要
    报告的事项 in a format without 信息处理费 figures (2019), where no drafted sentence fills it."""
    return PERSON_SECTIONS if FEE_KEY in spec.cells else (*PERSON_SECTIONS, "other_matters")


FEE_KEY = "s6.fee_notices"


def unfilled_sections(sub: Submission) -> list[str]:
    """Headings of the text sections a person must write that are still empty (总体情况 and
    存在的主要问题及改进情况; 2019: also 其他需要报告的事项): a report with one is a draft."""
    heads = {f.key: f.label for f in sub.spec.texts}
    return [
        heads[k]
        for k in _person_sections(sub.spec)
        if k in heads and not excel_unescape(sub.texts.get(k, "") or "").strip()
    ]


SAMPLE_MARK = "示例文字"  # the samples' (and a template's) stand-in text says so: never published


def sample_sections(sub: Submission) -> list[str]:
    """Headings of the text sections still holding stand-in text marked 示例文字 (a sample
    workbook taken as the starting point): a report with one is a draft, as ``xxgk inspect``
    calls a published report that carries the mark (REPORT-DRAFT)."""
    return [
        f.label
        for f in sub.spec.texts
        if SAMPLE_MARK in excel_unescape(sub.texts.get(f.key, "") or "").replace(" ", "")
    ]


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


def _header_units(spec: FormSpec, sheet: str) -> dict[tuple[int, int], str]:
    """（万元） after the header of a money column whose unit the form's label does not print
    (2019 采购总金额, kept in 万元): the report says the unit its figures are in. By the header's
    (row, col); the labels that print their unit (本年收费金额（单位：万元）) get nothing."""
    out: dict[tuple[int, int], str] = {}
    for c in spec.cells.values():
        t = c.type
        if c.sheet != sheet or t is None or t.kind != "decimal" or not t.unit or t.unit in c.label:
            continue
        heads = [
            lab
            for lab in spec.labels_on(sheet)
            if lab.role == "col" and lab.col <= c.col <= lab.last_col and lab.row < c.row
        ]
        nearest = max(heads, key=lambda lab: lab.row, default=None)  # the header right above
        if nearest is not None and c.label.endswith(nearest.text):
            out[(nearest.row, nearest.col)] = f"（{t.unit}）"
    return out


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
    units = _header_units(spec, sheet)
    for lab in labels:
        text = lab.text + units.get((lab.row, lab.col), "")
        g = GridCell(text, lab.last_row - lab.row + 1, lab.last_col - lab.col + 1, header=True)
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


def _sections(
    sub: Submission, previous: Submission | None = None
) -> list[tuple[str, str | None, str | None]]:
    """(heading, text, table sheet) in the official order. 一 opens with the paragraphs the numbers
    write (主动公开, 依申请公开, 复议诉讼: :func:`toolkit.narrative.draft_paragraphs`) unless the
    person's text already states the figures; then the person's text, or 【待补充】 for 工作举措.
    Where the person numbered the section's items (（一）（二）…), each drafted paragraph goes under
    the item about it instead (:func:`toolkit.narrative.place_drafted`).
    六 ends with the fee sentence unless the person's text states the fee figures; where it only
    says whether a fee was collected, the sentence adds the figures without saying that again."""
    spec = sub.spec
    # text read from a workbook may carry Excel's _xHHHH_ escapes (_x000D_): the report shows the text
    # and no bidi override, control or lone surrogate (U+202E made “逆序” print as “序逆”): as pages show
    texts = {f.key: shown_text(excel_unescape(sub.texts.get(f.key, ""))).strip() for f in spec.texts}
    heads = {f.key: f.label for f in spec.texts}
    other = _other_matters(sub)
    book = _book(sub)  # where the words still to write are typed
    drafted = draft_paragraphs(sub, previous, fees_said=states_fees(other))
    overview = texts.get("overview", "")
    # the drafted paragraphs first, or into the clerk's own numbered items (（二）主动公开…)
    lines = place_drafted(
        overview or WORK_PLACEHOLDER.format(book=book), [] if states_figures(overview) else drafted
    )
    if "收费通知" not in other:  # formats without fee figures (2019): text only
        fee = [p.text for p in drafted if p.topic == "fees"]
        other = "\n".join([other, *fee] if other else fee)
    tables = {t.id: t for t in spec.tables}
    return [
        (heads["overview"], "\n".join(lines), None),
        (tables["t2"].title, None, tables["t2"].sheet),
        (tables["t3"].title, None, tables["t3"].sheet),
        (tables["t4"].title, None, tables["t4"].sheet),
        (heads["problems"], texts.get("problems") or PLACEHOLDER.format(book=book), None),
        (
            heads["other_matters"],
            other or (PLACEHOLDER.format(book=book) if "other_matters" in _person_sections(spec) else None),
            None,
        ),
    ]


def trace(sub: Submission, previous: Submission | None = None) -> list[dict]:
    """Each drafted sentence with the cells it states and their values (last year's as
    ``previous:<key>``): what the .json of :func:`render` lists, so every figure can be traced."""
    v = sub.all_values()
    pv = previous.all_values() if previous is not None else {}
    from toolkit.model import number_json

    def value(k: str):
        if k.startswith(PREVIOUS_PREFIX):
            from toolkit.merge import previous_figure

            got = previous_figure(sub.spec, previous, k[len(PREVIOUS_PREFIX) :]) if pv else None
            return number_json(got) if got is not None else None
        return number_json(v.get(k, 0))

    return [
        {
            "section": p.section,
            "topic": p.topic,
            "text": s.text,
            "keys": list(s.keys),
            "values": {k: value(k) for k in s.keys},
            "cells": {k: sub.spec.cells[k].ref for k in s.keys if not k.startswith(PREVIOUS_PREFIX)},
        }
        for p in draft_paragraphs(sub, previous, fees_said=states_fees(_other_matters(sub)))
        for s in p.sentences
    ]


def _other_matters(sub: Submission) -> str:
    return shown_text(excel_unescape(sub.texts.get("other_matters", "") or "")).strip()


def _title(sub: Submission, draft: bool = False) -> tuple[str, str]:
    year = f"{sub.year}年" if sub.year else ""
    mark = f"（{DRAFT}）" if draft else ""
    return shown_text(
        excel_unescape(sub.agency or "")
    ) or "（机关名称）", f"{year}政府信息公开工作年度报告{mark}"


def render(
    sub: Submission,
    path: str | os.PathLike[str],
    *,
    draft: bool = False,
    previous: Submission | None = None,
) -> Path:
    """Write the report; the format follows the suffix (.docx, .html/.htm, .md, .json). ``draft``:
    the report says on every page that it is a draft (title, page header or banner); sections
    still to write say 【待补充】 either way. Whether a report may go out without ``draft`` is the
    caller's rule (:func:`publish_problems`); :func:`render_finished_or_draft` applies it."""
    p = Path(path)
    suffix = p.suffix.lower()
    writer = {".docx": _docx, ".html": _html, ".htm": _html, ".md": _md, ".json": _json}.get(suffix)
    if writer is None:
        raise ValueError(f"不支持的报告格式 {suffix or '（无扩展名）'}：请用 .docx、.html、.md 或 .json")
    with atomic_output(p) as tmp:
        writer(sub, tmp, draft, previous)
    return p


def render_finished_or_draft(
    sub: Submission, path: str | os.PathLike[str], *, previous: Submission | None = None
) -> list[str]:
    """The rule of ``xxgk render`` where nobody can be asked (a batch): a finished report is
    written as it is, an unfinished one as a draft (（草稿） in its title, the 草稿 header on every
    page). Returns why it is a draft (:func:`publish_problems`), [] for a finished report."""
    why = publish_problems(sub)
    render(sub, path, draft=bool(why), previous=previous)
    return why


class ReportBundle:
    """Many units' Word reports in one zip (serve's 下载各单位公开报告), by the rule of
    ``xxgk render``: a finished report as it is (``<单位>_<年>年度报告.docx``), an unfinished one
    as a draft (``<单位>_<年>年度报告（草稿）.docx``, 草稿 in its title and on every page), a unit
    whose report cannot be written (not passed, nothing reported) left out. :meth:`finish` adds
    ``说明.txt``, which lists each draft with what it still lacks and each unit left out and why."""

    NOTE = "说明.txt"

    def __init__(self, zf: Any, year: int | str, workdir: str | os.PathLike[str]) -> None:
        self.zf, self.year, self.workdir = zf, year, Path(workdir)
        self.finished: list[str] = []
        self.drafts: list[tuple[str, list[str]]] = []
        self.left_out: list[tuple[str, str]] = []

    @staticmethod
    def file_name(stem: str, year: int | str, draft: bool) -> str:
        return f"{stem}_{year}年度报告{f'（{DRAFT}）' if draft else ''}.docx"

    def add(self, stem: str, sub: Submission, previous: Submission | None = None) -> str:
        """Render ``sub`` into the zip under ``stem`` (a safe file name); returns the name used."""
        tmp = self.workdir / f"{len(self.finished) + len(self.drafts)}.docx"
        why = render_finished_or_draft(sub, tmp, previous=previous)
        name = self.file_name(stem, self.year, bool(why))
        self.zf.writestr(name, tmp.read_bytes())
        tmp.unlink()
        (self.drafts.append((name, why)) if why else self.finished.append(name))
        return name

    def leave_out(self, unit: str, why: str) -> None:
        self.left_out.append((unit, why))

    def note(self) -> str:
        lines = [
            f"{self.year}年度各单位政府信息公开工作年度报告（Word）",
            "",
            f"可公开发布的报告 {len(self.finished)} 份；草稿 {len(self.drafts)} 份"
            f"（文件名和标题标明“草稿”，每页页眉为“{DRAFT_NOTE}”）；未生成 {len(self.left_out)} 个单位。",
        ]
        if self.drafts:
            lines += ["", "草稿（补齐后重新生成）："]
            lines += [f"- {name}：{'；'.join(why)}" for name, why in self.drafts]
        if self.left_out:
            lines += ["", "未生成报告的单位（只为通过校验的填报表生成报告）："]
            lines += [f"- {unit}：{why}" for unit, why in self.left_out]
        return "\r\n".join(lines) + "\r\n"  # read on Windows (记事本) too

    def finish(self) -> None:
        self.zf.writestr(self.NOTE, "\ufeff" + self.note())


# -- HTML -----------------------------------------------------------------------------------------
_CSS = """body{font-family:"FangSong","仿宋","FangSong_GB2312","STFangsong","Noto Serif CJK SC","Noto Sans CJK SC",serif;max-width:60em;margin:2em auto;line-height:1.8}
h1{font-family:"SimHei","黑体","Noto Sans CJK SC",sans-serif;text-align:center;font-size:1.6em}h1 small{display:block;font-size:.8em}.nb{white-space:nowrap}
h2{font-family:"SimHei","黑体","Noto Sans CJK SC",sans-serif;font-size:1.2em;margin-top:1.4em}
table{border-collapse:collapse;margin:1em 0;width:100%;font-family:"SimSun","宋体","Noto Serif CJK SC",serif;font-size:.85em;line-height:1.4}
td,th{border:1px solid #000;padding:.2em .3em;text-align:center}th{font-weight:normal}td.num{text-align:center}
th.short{white-space:nowrap}col.num{width:4.2em}
p,h1,h2{overflow-wrap:break-word}p{text-indent:2em}p.todo{color:#c00}p.draft{text-indent:0;border:2px solid #c00;color:#c00;text-align:center;font-weight:bold;padding:.3em}
@media print{body{margin:0;max-width:none}p.draft{display:none}table{break-inside:avoid}tr{break-inside:avoid}h2{break-after:avoid}
section.wide{page:wide}section.wide table{line-height:1.25;font-size:calc(.85em*var(--fit,1))}section.wide table.long,section.wide table.long tr{break-inside:auto}section.wide+section.wide{break-before:page}
section.wide td,section.wide th{font-size:.85em;padding:.1em .25em}}
@page{size:A4;margin:1.8cm 1.5cm;@bottom-center{content:"— " counter(page) " —";font-family:"SimSun","宋体","Noto Serif CJK SC",serif;font-size:11pt}}
@page wide{size:A4 landscape;margin:1.2cm 1.5cm}
@media screen{body{padding:0 1em}div.scroll{overflow-x:auto}}"""

# a draft says so at the top of every printed page, in the page's margin (a banner fixed over the
# page area was printed over the first line of each following page); on screen, the banner above
_DRAFT_CSS = (
    f'@page{{@top-center{{content:"{DRAFT_NOTE}";color:#c00;font-weight:bold;font-size:12pt;'
    'font-family:"SimHei","黑体","Noto Sans CJK SC",sans-serif}}'
)


WIDE_COLUMNS = 6  # a table of more columns (表三, 表四) is printed on landscape pages
# A wide table is set denser, step by step, until it fits its landscape page (a province's form
# with rows the national one lacks): in the .docx first its lines closer (exactly 1.2 times the
# size, not the CJK font's own single spacing, about 1.45), then smaller type, down to 6 points;
# one that fits at none is set as at first, over pages, its header printed again on each.
# (type size, line) a step; the first leaves the line spacing as it is (a clerk who enlarges the
# type in Word gets taller lines, never clipped ones).
DOCX_WIDE_STEPS = ((8.0, 1.45), (8.0, 1.2), (7.5, 1.2), (7.0, 1.2), (6.5, 1.2), (6.0, 1.2))
HTML_WIDE_FITS = (1.0, 0.94, 0.88, 0.82, 0.76, 0.7)  # the web page: its type size scaled (to 6 pt)
# The height left for the table on a landscape A4 page below its heading, in points, measured
# (LibreOffice 7.4, Chromium 156: 表三 with rows added until it took a second page) and kept a
# little under: the .docx held 476 and not 487 at 8 points, 476 at 6; the web page's print held
# 466 and not 480 at fit 1, 464 at fit 0.76 (as :func:`_rows_pt` reckons them).
DOCX_WIDE_PT, HTML_WIDE_PT = 460.0, 455.0
HTML_WIDE_SIZE, HTML_LINE = 12 * 0.85 * 0.85, 1.25  # type size at fit 1, line height times the size
HTML_WIDE_CM = 26.7  # the web page's landscape text width (1.5 cm margins)
DOCX_PAD_CM = 0.38  # a Word cell's left and right margins together
# a wide table's cells where its row labels would not all take one line at Word's margins (the
# national 表三 at 8 points lacks 0.9 cm): 0.1 cm each side, set on the table (w:tblCellMar)
DOCX_TIGHT_PAD_CM = 0.2


def _rows_pt(
    grid: list[list[GridCell | None]],
    widths_cm: list[float],
    size: float,
    line: float,
    extra: float,
    pad_cm: float,
) -> float:
    """The height of ``grid`` set at ``size`` points (``line`` × size a line, ``extra`` points a
    row for padding and border) in columns ``widths_cm`` wide, their cells' padding ``pad_cm``:
    each row as many lines as its fullest cell wraps to; a cell spanning rows lengthens their
    last row when they are too few for it."""
    from toolkit.textfit import PAD_PX, line_count

    lines = [1] * len(grid)
    spans = []
    for r, row in enumerate(grid):
        for c, g in enumerate(row):
            if g is None:
                continue
            px = (sum(widths_cm[c : c + g.colspan]) - pad_cm) / 2.54 * 96 + PAD_PX
            n = line_count(g.text, px, size)
            if g.rowspan == 1:
                lines[r] = max(lines[r], n)
            else:
                spans.append((r, g.rowspan, n))
    for r, span, n in spans:
        if (short := n - sum(lines[r : r + span])) > 0:
            lines[r + span - 1] += short
    return sum(n * size * line + extra for n in lines)


def wide_size(grid: list[list[GridCell | None]], kind: str) -> tuple[float, float, list[float], bool]:
    """(type size in points, line height times the size, column widths in cm, whether it fits one
    page) of a wide table in a .docx (``kind`` "docx") or a web page's print ("html"): the first of
    :data:`DOCX_WIDE_STEPS` / :data:`HTML_WIDE_FITS` at which the table fits its landscape page,
    else the first (the table runs over pages, its header repeated)."""
    return wide_layout(grid, kind)[:4]


def _labels_whole_cm(grid: list[list[GridCell | None]], size: float, pad: float) -> float:
    """The width a table needs for every row label on one line and every number column as its
    header needs (:func:`_column_widths`' own reckoning), in cm."""
    from toolkit.textfit import text_pt

    width = _grid_width(grid)
    need = _column_widths(grid, width, 1.0, size, pad=pad, unscaled=True)
    values = {
        c + i for row in grid for c, g in enumerate(row) if g and not g.header for i in range(g.colspan)
    }
    for row in grid:
        for c, g in enumerate(row):
            if g is not None and g.header and g.colspan == 1 and c not in values:
                need[c] = max(need[c], text_pt(g.text, size) * 2.54 / 72 + pad)
    return sum(need)


def _labels_fit(grid: list[list[GridCell | None]], widths: list[float], size: float, pad: float) -> bool:
    """Whether every row label of one column takes one line in ``widths`` (cm)."""
    from toolkit.textfit import text_pt

    values = {
        c + i for row in grid for c, g in enumerate(row) if g and not g.header for i in range(g.colspan)
    }
    return all(
        text_pt(g.text, size) * 2.54 / 72 + pad <= widths[c]
        for row in grid
        for c, g in enumerate(row)
        if g is not None and g.header and g.colspan == 1 and c not in values
    )


def wide_layout(
    grid: list[list[GridCell | None]], kind: str
) -> tuple[float, float, list[float], bool, float]:
    """:func:`wide_size` and the cells' left and right margins together in cm (the .docx sets
    them on the table where they are not Word's: :data:`DOCX_TIGHT_PAD_CM`). A .docx at its first
    size sets every row label on one line where the width allows, at Word's margins or else at
    tight ones, as the web page sets them: its first layout wrapped （二）部分公开… over two lines
    and （六）'s 1./2. over three beside number columns far wider than their numbers."""
    width = _grid_width(grid)
    if kind == "docx":
        steps = list(DOCX_WIDE_STEPS)
        avail, total = DOCX_WIDE_PT, LANDSCAPE_CM
    else:
        steps = [(HTML_WIDE_SIZE * fit, HTML_LINE) for fit in HTML_WIDE_FITS]
        avail, total = HTML_WIDE_PT, HTML_WIDE_CM

    def layout(size: float, dense: bool, first: bool = False) -> tuple[float, float, list[float]]:
        # a row's border, and the web page's cell padding (.1em above and below, .25em each side)
        extra, pad = (1.0, DOCX_PAD_CM) if kind == "docx" else (0.2 * size + 0.75, 0.5 * size * 2.54 / 72)
        old = _column_widths(grid, width, total, size)
        if first and kind == "docx" and not _labels_fit(grid, old, size, pad):
            # every row label on one line, at tight margins if it must (a table whose labels
            # already fit, 表四 with none, keeps the layout it has always had)
            if (
                _labels_whole_cm(grid, size, pad) > total
                and _labels_whole_cm(grid, size, DOCX_TIGHT_PAD_CM) <= total
            ):
                pad = DOCX_TIGHT_PAD_CM
            return extra, pad, _column_widths(grid, width, total, size, labels_whole=True, pad=pad)
        if not dense:  # as the national form has always been laid out
            return extra, pad, old
        # the row labels on one line where the width allows (rows as low as they can be); a little
        # more than the margins for the rest: a header of one line (自然人) broken reads badly
        return extra, pad, _column_widths(grid, width, total, size, labels_whole=True, pad=pad + 0.1)

    for i, (size, line) in enumerate(steps):
        extra, pad, widths = layout(size, dense=i > 0, first=i == 0)
        if _rows_pt(grid, widths, size, line, extra, pad) <= avail:
            return size, line, widths, True, (pad if i == 0 else DOCX_PAD_CM)
    size, line = steps[0]
    return size, line, layout(size, dense=False)[2], False, DOCX_PAD_CM


def _grid_width(grid: list[list[GridCell | None]]) -> int:
    return max(sum(g.colspan for g in row if g) for row in grid)


def _head_rows(grid: list[list[GridCell | None]]) -> int:
    """How many leading rows are the table's one header (every cell a header, no span reaching
    below them); 0 for a table of several headed blocks (表二), whose first header would mislead."""

    def all_header(row: list[GridCell | None]) -> bool:
        return all(g.header for g in row if g is not None)

    n = 0
    while n < len(grid) and all_header(grid[n]):
        n += 1
    if n == 0 or n == len(grid) or any(all_header(row) for row in grid[n:]):
        return 0
    spans = all(i + g.rowspan <= n for i, row in enumerate(grid[:n]) for g in row if g is not None)
    return n if spans else 0


def _title_html(title: str) -> str:
    """The title for the page: its （草稿） kept whole on a line (a phone broke it as “（草” / “稿）”)."""
    mark = f"（{DRAFT}）"
    if not title.endswith(mark):
        return html_text(title)
    return f'{html_text(title.removesuffix(mark))}<span class="nb">{mark}</span>'


def _html(sub: Submission, out: Path, draft: bool = False, previous: Submission | None = None) -> None:
    esc = html_text
    agency, title = _title(sub, draft)
    values = _shown_values(sub)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        # a phone shows the page at its own width (the text wraps to it, set at a size to read),
        # and a table wider than the screen scrolls in its box: the page itself never sideways
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(agency)}{esc(title)}</title><style>{_CSS}{_DRAFT_CSS if draft else ''}</style></head><body>",
        *([f'<p class="draft">{esc(DRAFT_NOTE)}</p>'] if draft else []),
        f"<h1>{esc(agency)}<small>{_title_html(title)}</small></h1>",
        f"<p>{esc(INTRO)}</p>",
    ]
    for heading, text, sheet in _sections(sub, previous):
        grid = table_grid(sub.spec, sheet, values) if sheet is not None else None
        # 表三 and 表四 print on landscape pages of their own, as the .docx has them: at A4
        # portrait a table of large numbers ran past the page's right edge and Chromium cut it off
        wide = grid is not None and _grid_width(grid) > WIDE_COLUMNS
        if wide:  # denser where it must be to fit its landscape page, its columns laid out to match
            size, _line, widths, whole = wide_size(grid, "html")
            fit = round(size / HTML_WIDE_SIZE, 2)
            parts.append(f'<section class="wide" style="--fit:{fit:g}"><h2>{esc(heading)}</h2>')
        else:
            parts.append(f"<h2>{esc(heading)}</h2>")
        if text is not None:
            parts.extend(
                ('<p class="todo">' if line.startswith("【待补充】") else "<p>") + f"{esc(line)}</p>"
                for line in text.splitlines()
                if line.strip()
            )
        if grid is not None:
            # a wide table too long for one page breaks between rows, its header repeated
            parts.append('<div class="scroll">')
            parts.append('<table class="long">' if wide and not whole else "<table>")
            if wide and fit < 1:  # set denser: its columns as wide_size reckoned them
                total = sum(widths)
                parts.append(
                    "<colgroup>"
                    + "".join(f'<col style="width:{w / total * 100:.2f}%">' for w in widths)
                    + "</colgroup>"
                )
            head = _head_rows(grid)
            for i, row in enumerate(grid):
                if head and i == 0:
                    parts.append("<thead>")
                parts.append("<tr>")
                for g in row:
                    if g is None:
                        continue
                    tag = "th" if g.header else "td"
                    span = (f' rowspan="{g.rowspan}"' if g.rowspan > 1 else "") + (
                        f' colspan="{g.colspan}"' if g.colspan > 1 else ""
                    )
                    # a short header (自然人, 商业企业, 法律服务机构) stays on one line
                    short = ' class="short"' if g.header and g.colspan == 1 and len(g.text) <= 6 else ""
                    parts.append(f"<{tag}{span}{short}>{esc(g.text)}</{tag}>")
                parts.append("</tr>")
                if head and i == head - 1:
                    parts.append("</thead>")  # printed again on each page a long table spans
            parts.append("</table></div></section>" if wide else "</table></div>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")


# -- Word -----------------------------------------------------------------------------------------
# official fonts, with the fallbacks LibreOffice has on Linux (Noto CJK): body 仿宋, headings 黑体,
# tables 宋体. Word uses the first; LibreOffice substitutes Noto Serif/Sans CJK for a missing one.
BODY_FONT, HEAD_FONT, TABLE_FONT = "仿宋", "黑体", "宋体"
PORTRAIT_CM = 17.0  # text width on A4 portrait with 2 cm margins
LANDSCAPE_CM = 25.7  # on A4 landscape


def _docx(sub: Submission, out: Path, draft: bool = False, previous: Submission | None = None) -> None:
    from docx import Document
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor
    from docx.text.paragraph import Paragraph

    def fonts(rpr_owner, name: str) -> None:
        rpr_owner.font.name = name
        rfonts = rpr_owner.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            rfonts.set(qn(attr), name)

    doc = Document()
    style = doc.styles["Normal"]
    fonts(style, BODY_FONT)
    # Chinese text: applications pick Simplified Chinese glyphs for a missing font's fallback
    # (python-docx's default document says ja-JP, and LibreOffice then draws Japanese forms)
    for el in doc.styles.element.iter(qn("w:lang")):
        el.set(qn("w:val"), "zh-CN")
        el.set(qn("w:eastAsia"), "zh-CN")
    for el in doc.settings.element.iter(qn("w:themeFontLang")):
        el.set(qn("w:eastAsia"), "zh-CN")
    lang = style.element.get_or_add_rPr().makeelement(
        qn("w:lang"), {qn("w:val"): "zh-CN", qn("w:eastAsia"): "zh-CN"}
    )
    style.element.get_or_add_rPr().append(lang)
    _font_fallbacks(doc)
    style.font.size = Pt(12)
    style.paragraph_format.space_after = Pt(4)
    style.paragraph_format.first_line_indent = Pt(24)

    def layout(section, landscape: bool) -> None:
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        w, h = (Cm(29.7), Cm(21.0)) if landscape else (Cm(21.0), Cm(29.7))
        section.page_width, section.page_height = w, h
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2))
        for side in ("top_margin", "bottom_margin"):  # 表三's 30 rows need the height
            setattr(section, side, Cm(1.5 if landscape else 2.5))

    layout(doc.sections[0], landscape=False)  # the text reads portrait
    agency, title = _title(sub, draft)
    _properties(doc, sub, agency, title)
    _page_numbers(doc.sections[0])  # the sections added below inherit the footer
    if draft:  # every page says it: the sections added below inherit the header
        head = doc.sections[0].header.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        head.paragraph_format.first_line_indent = Pt(0)
        run = head.add_run(DRAFT_NOTE)
        fonts(run, HEAD_FONT)
        run.bold = True
        run.font.size = Pt(12)
        run.font.color.rgb = RGBColor(0xC0, 0, 0)
    for text in (agency, title):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Pt(0)
        run = p.add_run(docx_text(text))
        fonts(run, HEAD_FONT)
        run.bold = True
        run.font.size = Pt(18)
    doc.add_paragraph(INTRO)
    values = _shown_values(sub)
    landscape = False
    for heading, text, sheet in _sections(sub, previous):
        grid = table_grid(sub.spec, sheet, values) if sheet is not None else None
        width = _grid_width(grid) if grid else 0
        wide = width > WIDE_COLUMNS  # 表三 (10 columns) and 表四 (15): a landscape section of their own
        new_section = wide != landscape
        if new_section:
            layout(doc.add_section(WD_SECTION.NEW_PAGE), landscape=wide)
            landscape = wide
        h = doc.add_paragraph()
        h.paragraph_format.first_line_indent = Pt(0)
        # each wide table on a page of its own (表三, then 表四)
        h.paragraph_format.page_break_before = wide and not new_section
        h.paragraph_format.space_before = Pt(14)  # apart from the table above
        h.paragraph_format.space_after = Pt(6)
        h.paragraph_format.keep_with_next = True
        run = h.add_run(heading)
        fonts(run, HEAD_FONT)
        run.font.size = Pt(14)
        if text is not None:
            for line in text.splitlines():
                if not line.strip():
                    continue
                para = doc.add_paragraph()
                run = para.add_run(docx_text(line))
                if line.startswith("【待补充】"):  # still to write: seen at a glance
                    run.font.color.rgb = RGBColor(0xC0, 0, 0)
        if grid is not None:
            table = doc.add_table(rows=len(grid), cols=width)
            table.style = "Table Grid"
            table.autofit = False
            if wide:  # denser where it must be to fit its landscape page
                size, line, widths, _whole, pad = wide_layout(grid, "docx")
                if pad != DOCX_PAD_CM:
                    _cell_margins(table, pad / 2)
            else:
                size, widths = 10.5, _column_widths(grid, width, PORTRAIT_CM, 10.5)
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
                        for run in para.runs:
                            fonts(run, TABLE_FONT)
                            run.font.size = Pt(size)
            # every paragraph of the table set alike: the cells' own, and the empty ones a merge
            # leaves in the cells it covers (python-docx writes them bare: the body's 12 points,
            # its space after and first-line indent). Word lays out a covered cell's paragraph and
            # its paragraph mark, so a bare one held every row beside 三、本年度办理结果 at 12-point
            # height and more, which LibreOffice does not show; the mark takes the table's size too
            dense = wide and line != DOCX_WIDE_STEPS[0][1]  # closer lines: exactly, in Word and LO
            for p in table._tbl.iter(qn("w:p")):
                para = Paragraph(p, table)
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                para.paragraph_format.first_line_indent = Pt(0)
                para.paragraph_format.space_after = Pt(0)
                if dense:
                    para.paragraph_format.line_spacing = Pt(size * line)
                _mark(p, TABLE_FONT, size)
            _cell_widths(table, [Cm(w) for w in widths])
            _paginate(table, _head_rows(grid), together=not wide)
    doc.save(str(out))


def _mark(p: Any, font: str, size: float) -> None:
    """A paragraph's mark (``w:pPr/w:rPr``) in ``font`` at ``size`` points: Word sets the line
    the mark stands on (an empty paragraph's only line) at the mark's size."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)  # last in w:pPr, where the schema has it (before w:sectPr, never here)
    for tag in ("w:rFonts", "w:sz", "w:szCs"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    rfonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(attr), font)
    rpr.insert(0, rfonts)
    half = str(round(size * 2))
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), half)
        rpr.append(el)


def _cell_margins(table, side_cm: float) -> None:
    """The table's cells' left and right margins (``w:tblCellMar``), for every cell of it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    mar = tbl_pr.find(qn("w:tblCellMar"))
    if mar is None:
        mar = OxmlElement("w:tblCellMar")
        tbl_pr.append(mar)
    twips = str(round(side_cm / 2.54 * 1440))
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), twips)
        el.set(qn("w:type"), "dxa")
        mar.append(el)


def _cell_widths(table, widths: list[Any]) -> None:
    """Every cell's own width the sum of its grid columns': python-docx leaves the cells a merge
    covers (vMerge continuations) at the widths the table was made with, which LibreOffice then
    lays the columns out by when a table runs over pages."""
    for tr in table._tbl.tr_lst:
        col = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.width = sum(widths[col : col + span])
            col += span


def _paginate(table, head: int, together: bool) -> None:
    """How a table meets a page break: no row is cut across two pages; the header rows (表三's and
    表四's) are printed again at the top of the next page; a short table (表二, in the portrait
    pages) is kept whole with its heading: every paragraph but the last row's keeps with the next,
    so Word and LibreOffice move it to the next page rather than break it after a block."""
    from docx.oxml import OxmlElement

    rows = table.rows
    for i, row in enumerate(rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i < head:
            tr_pr.append(OxmlElement("w:tblHeader"))
        if together and i < len(rows) - 1:
            for cell in row.cells:  # a merged cell repeats: setting it twice is harmless
                for para in cell.paragraphs:
                    para.paragraph_format.keep_with_next = True


def _properties(doc, sub: Submission, agency: str, title: str) -> None:
    """Document properties that describe this report (python-docx's template says it generated
    the file in 2013): title, the agency as author, now as created and modified."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    cp = doc.core_properties
    cp.title = docx_text(f"{agency}{title}")[:255]
    cp.subject = "政府信息公开工作年度报告"
    cp.author = cp.last_modified_by = docx_text(agency)[:255]
    cp.comments = cp.keywords = cp.category = ""
    cp.created = cp.modified = now
    for el in cp._element.findall(
        "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastPrinted"
    ):
        cp._element.remove(el)  # never printed yet
    cp.revision = 1
    cp.language = "zh-CN"


def _page_numbers(section) -> None:
    """“— 1 —” centred at the foot of every page (the official documents' page number)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Pt(0)
    p.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    p.add_run(" —")
    for r in p.runs:
        r.font.size = Pt(14)


# a font the machine lacks falls back to the named alternative (w:altName in the font table):
# LibreOffice on Linux has Noto CJK, Word on Windows has the official fonts themselves
_ALT_FONTS = {"仿宋": "Noto Serif CJK SC", "宋体": "Noto Serif CJK SC", "黑体": "Noto Sans CJK SC"}


def _font_fallbacks(doc) -> None:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    part = doc.part
    table_part = next((r.target_part for r in part.rels.values() if r.reltype.endswith("/fontTable")), None)
    if table_part is None:
        return
    root = parse_xml(table_part.blob)
    for name, alt in _ALT_FONTS.items():
        family = "swiss" if name == "黑体" else "roman"
        root.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                f'<w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
            )
        )
    from lxml import etree

    table_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _column_widths(
    grid: list[list[GridCell | None]],
    width: int,
    total_cm: float,
    size_pt: float = 10.5,
    *,
    labels_whole: bool = False,
    pad: float = 0.25,
    unscaled: bool = False,
) -> list[float]:
    """Each column as wide as its content needs, as a browser lays out the .html: a number column
    as wide as its one-column header (one line up to six characters), a label column by its longest label
    (wrapped to at most ~12 characters); then scaled to the text width. ``labels_whole``: the
    width to spare goes first to the row-label columns, so that their labels take one line each
    (a landscape table's rows as low as they can be). ``pad``: a cell's left and right margins
    together, in cm."""
    from toolkit.textfit import text_pt

    cm_per_pt = 2.54 / 72
    need = [0.0] * width
    for row in grid:
        for c, g in enumerate(row):
            if g is None or g.colspan != 1:
                continue
            if g.header:
                lines = 1 if len(g.text) <= 6 else max(2, -(-len(g.text) // 12))
                w = text_pt(g.text, size_pt) / lines
            else:
                w = text_pt(g.text, size_pt)
            need[c] = max(need[c], w * cm_per_pt + pad)
    need = [max(n, 1.2) for n in need]
    if unscaled:  # what each column needs, not yet brought to the text width
        return need
    if labels_whole and sum(need) < total_cm:
        values = {
            c + i for row in grid for c, g in enumerate(row) if g and not g.header for i in range(g.colspan)
        }
        # what a label column lacks to hold its labels on one line: first those of one row (each a
        # line of its own), then those beside several rows (三、本年度办理结果), with what is left
        for tall in (False, True):
            want = [0.0] * width
            for row in grid:
                for c, g in enumerate(row):
                    if g is None or not g.header or g.colspan != 1 or c in values or (g.rowspan > 1) != tall:
                        continue
                    want[c] = max(want[c], text_pt(g.text, size_pt) * cm_per_pt + pad - need[c])
            if (wanted := sum(want)) > 0 and (spare := total_cm - sum(need)) > 0:
                k = min(1.0, spare / wanted)
                need = [n + w * k for n, w in zip(need, want, strict=True)]
    scale = total_cm / sum(need)
    return [n * scale for n in need]


# -- JSON: the text, and where each drafted figure comes from -----------------------------------------
def _json(sub: Submission, out: Path, draft: bool = False, previous: Submission | None = None) -> None:
    from toolkit.textsafe import json_text

    agency, title = _title(sub, draft)
    doc = {
        "agency": agency,
        "year": sub.year,
        "title": title,
        "draft": draft,
        "unfilled": unfilled_sections(sub),
        "sections": [{"heading": h, "text": t, "table": sheet} for h, t, sheet in _sections(sub, previous)],
        "sentences": trace(sub, previous),
    }
    out.write_text(json_text(doc, indent=2) + "\n", encoding="utf-8")


# -- Markdown -------------------------------------------------------------------------------------
def _md(sub: Submission, out: Path, draft: bool = False, previous: Submission | None = None) -> None:
    agency, title = _title(sub, draft)
    values = _shown_values(sub)
    lines = [*([f"> **{DRAFT_NOTE}**", ""] if draft else [])]
    lines += [f"# {md_text(agency)}", "", f"## {md_text(title)}", "", INTRO, ""]
    for heading, text, sheet in _sections(sub, previous):
        lines += [f"### {heading}", ""]
        if text is not None:  # a paragraph a line, as in the .docx and the web page: lines next to
            for line in text.splitlines():  # each other are one paragraph in Markdown
                if line.strip():
                    lines += [md_text(line), ""]
        if sheet is not None:
            lines += _md_table(sub.spec, sheet, values)
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
    units = _header_units(spec, sheet)
    for block in blocks:
        cols = sorted({c.col for c in cells if c.row in block})
        first = block[0]

        caption = [lab for lab in labels if lab.role == "caption" and first - 3 <= lab.row < first]
        top = max((lab.row for lab in caption), default=first - 5)  # this block's header is below it

        def heads(col: int, first: int = first, units: dict = units, top: int = top) -> str:
            parts = [
                lab.text + units.get((lab.row, lab.col), "")
                for lab in labels
                if lab.role == "col"
                and lab.col <= col <= lab.last_col
                and lab.last_row < first
                and lab.row > top  # not the header of the block above (表二's （五） over （六）)
            ]
            return "·".join(parts)

        if caption:
            out += [f"**{caption[-1].text}**", ""]
        # the corner cell the form prints over the row labels (表二's 信息内容, 表三's 勾稽 note)
        corner = next(
            (
                lab.text
                for lab in labels
                if lab.role == "corner" and top < lab.row < first and lab.last_row < first
            ),
            "项目",
        )
        out.append(f"| {md_text(corner)} | " + " | ".join(heads(c) for c in cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        by_pos = {(c.row, c.col): c for c in cells}
        for r in block:
            name = (
                " / ".join(
                    lab.text
                    for lab in sorted(labels, key=lambda lab: lab.col)
                    if lab.role == "row" and lab.row <= r <= lab.last_row
                )
                or "件数"
            )  # 表四: one row of numbers under its headers, no row label
            vals = [_fmt(values.get(by_pos[(r, c)].key, 0)) for c in cols]
            out.append(f"| {name} | " + " | ".join(vals) + " |")
        out.append("")
    return out
