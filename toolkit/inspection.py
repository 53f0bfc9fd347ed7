"""The yearly inspection of published reports: a folder of them in, one verdict per report out.

What a city or provincial 政务公开办 does each spring with its subordinates' published reports:
each report (PDF, web page, Word file, Excel workbook, text) is imported (:mod:`toolkit.importers.report`) and
checked by the same rules as ``xxgk validate`` (:func:`toolkit.rules.check_submission`: every
identity of the tables, text that contradicts them, fees), and further:

* carry-over and documents in force against the same agency's previous year
  (:func:`toolkit.rules.check_previous`: ``PREV-CARRYOVER``, ``PREV-IN-FORCE``, ``PREV-IDENTICAL``),
  the previous year taken from the same folder, else from the archive when one is given;
* ``REPORT-ALL-ZERO``: every number of the report is 0;
* ``SECTION-MISSING``: one of the six sections is not in the report;
* ``PUBLISHED-LATE``: published after 1月31日 of the following year (条例第四十九条), where the
  page or document states its date.
* ``REPORT-DRAFT``: the report still says 草稿 (its title, a 不得公开发布 banner), 【待补充】 or
  示例文字: what was published is not the finished report;
* ``DUPLICATE-SUBMISSION``: one agency's year in two or more files: copies with the same numbers
  a warning (and any of them is the next year's previous year), different numbers an error.

A report that could not be read with confidence (unreadable, or numbers not found at their
labels) gets the verdict 未能可靠读取: its numbers are neither checked against other years nor
used as another report's previous year; nothing is summed from it.
"""

from __future__ import annotations

import functools
import itertools
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.findings import ERROR, WARNING, Finding
from toolkit.importers.report import REPORT_SUFFIXES, import_report
from toolkit.importers.sources import FORM_WORKBOOK, is_form_workbook
from toolkit.importers.titles import SECTION_HEADINGS
from toolkit.model import Submission
from toolkit.roster import norm_name
from toolkit.rules import check_previous, check_submission

__all__ = ["CONFIDENT", "DEADLINE", "Inspected", "inspect_reports", "report_files"]

CONFIDENT = 1.0  # the share of the form's numbers read at their labels to check a report's figures
DEADLINE = (1, 31)  # 条例第四十九条: the report is published by 1月31日 of the following year
VERDICTS = ("未能可靠读取", "有错误", "有提示", "未发现问题")


@dataclass
class Inspected:
    """One published report as inspected."""

    file: str
    submission: Submission
    kind: str = ""  # pdf, html, docx, md, text
    found: int = 0
    expected: int = 0
    confidence: float = 0.0
    published: str | None = None
    sections: dict[str, bool] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    reliable: bool = False
    previous: str | None = None  # the file (or archive entry) the previous year was taken from

    @property
    def agency(self) -> str:
        return self.submission.agency or ""

    @property
    def year(self) -> int | None:
        return self.submission.year

    @property
    def verdict(self) -> str:
        if not self.reliable:
            return VERDICTS[0]
        if any(f.severity == ERROR for f in self.findings):
            return VERDICTS[1]
        if self.findings:
            return VERDICTS[2]
        return VERDICTS[3]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "agency": self.agency or None,
            "year": self.year,
            "kind": self.kind,
            "found": self.found,
            "expected": self.expected,
            "confidence": self.confidence,
            "published": self.published,
            "sections": self.sections,
            "previous": self.previous,
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
        }


# files a report is published as that the importer cannot read: inspected all the same, so the
# agency's report stands in the results as 未能可靠读取 with the reason (save it as .docx or PDF)
UNREADABLE_REPORTS = frozenset({".doc", ".wps", ".rtf", ".odt", ".xls", ".et", ".ods", ".ofd"})
INSPECTED_SUFFIXES = frozenset(REPORT_SUFFIXES | {".xlsx"} | UNREADABLE_REPORTS)
_IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"})
_ARCHIVES = frozenset({".zip", ".rar", ".7z", ".gz", ".tar", ".tgz", ".bz2", ".xz"})
_PAGE_PARTS = frozenset({".css", ".js", ".json", ".xml", ".svg", ".woff", ".woff2", ".ttf", ".ico", ".map"})
KINDS_READ = ".pdf、.html、.docx、.xlsx、.txt、.md"


def skip_reason(f: Path) -> str | None:
    """Why ``f`` (a file met in a folder) is not inspected, in Chinese; None: it is inspected."""
    name, suffix = f.name, f.suffix.lower()
    if name.startswith("~$"):
        return "Word、Excel 或 WPS 打开文件时留下的临时文件（~$ 开头），不是报告"
    if name.startswith("."):
        return "隐藏文件（. 开头，多为系统或同步软件留下），不是报告"
    if suffix in INSPECTED_SUFFIXES:
        return None
    if suffix in _IMAGES:
        return "图片：本工具不做文字识别（OCR）；若是报告的扫描件，请使用可复制文字的 PDF 或网页版本"
    if suffix in _ARCHIVES:
        return "压缩包：请先解压，再检查其中的报告"
    if suffix in _PAGE_PARTS:
        return "网页的附属文件（样式、脚本、数据等），不是报告"
    if not suffix:
        return f"文件没有扩展名，无法判断是否为报告；若是报告，请按其类型加上扩展名（{KINDS_READ}）"
    return f"不是公开报告的文件类型（{suffix}）：可检查的是 {KINDS_READ}"


def _hidden_folder(root: Path, f: Path) -> Path | None:
    """The outermost hidden folder (.git, .sync) between ``root`` and ``f``; None if there is none."""
    rel = f.relative_to(root).parts[:-1]
    depth = next((i for i, part in enumerate(rel) if part.startswith(".")), None)
    return None if depth is None else root.joinpath(*rel[: depth + 1])


def inspected_root(paths: list[str | os.PathLike[str]]) -> Path | None:
    """The one folder inspected, when a single folder is given: files are named from it."""
    return Path(paths[0]) if len(paths) == 1 and Path(paths[0]).is_dir() else None


def shown_name(f: str | os.PathLike[str], root: Path | None) -> str:
    """A file as the results name it: its path inside the one folder inspected (甲.txt, 2024/乙.pdf),
    else as it was given. Reports and skipped files alike."""
    f = Path(f)
    if root is not None and f.is_relative_to(root) and f != root:
        return str(f.relative_to(root))
    return str(f)


def report_files(paths: list[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """The published reports under ``paths`` (files, or folders walked), sorted; and each file
    met that is not inspected, named with the reason (an image, a 压缩包, Office's ~$ file...).
    A report of a kind that cannot be read (.doc, .wps, .ofd...) is inspected: its verdict is
    未能可靠读取 with the reason, so the agency is not left out of the results unsaid.

    Folders are walked as ``xxgk validate`` walks them (:func:`toolkit.validate._entries`): a
    subfolder that cannot be opened, a pipe, a device or a link to nothing is said, never passed
    over in silence (an agency's report would be missing from the results unsaid); a link to a
    file is followed, and one file met under two names (a link beside its target) is inspected
    once; a link to a folder is not followed (it could lead back into the folder), said so."""
    from toolkit.validate import _entries, _is, _special_reason

    files: list[Path] = []
    skipped: list[str] = []
    seen: dict[str, Path] = {}  # real path -> the name it was first met under
    root = inspected_root(paths)

    def shown(f: Path) -> str:
        return shown_name(f, root)

    def take(f: Path, real: str) -> None:
        if real in seen:
            skipped.append(
                f"{shown(f)}：与 {shown(seen[real])} 是同一个文件（快捷方式或重复给出），只检查一次"
            )
        else:
            seen[real] = f
            files.append(f)

    for p in map(Path, paths):
        if p.is_dir():
            hidden: set[Path] = set()
            found: list[tuple[Path, str]] = []

            def unreadable(d: Path, why: str) -> None:
                skipped.append(f"{shown(d)}{os.sep}：文件夹无法读取（{why}），其中的报告未检查")

            for f, e, real_dir, in_hidden in _entries(p, unreadable):
                if _is(e.is_dir):  # a folder (walked by _entries), or a link to one (not followed)
                    if _is(e.is_symlink) and not in_hidden:
                        skipped.append(
                            f"{shown(f)}：指向文件夹的快捷方式（符号链接），未进入检查，需要时请直接给出该文件夹"
                        )
                    continue
                inside = _hidden_folder(p, f) if in_hidden or f.name.startswith(".") else None
                if inside is not None:  # a hidden folder (.git, .sync): said once, not file by file
                    if inside not in hidden:
                        hidden.add(inside)
                        skipped.append(f"{shown(inside)}{os.sep}：隐藏文件夹（. 开头），其中的文件未检查")
                    continue
                if not _is(e.is_file):  # a pipe, a device, a link to nothing: never read, never silent
                    skipped.append(f"{shown(f)}：{_special_reason(f)}")
                    continue
                why = skip_reason(f)
                if why is None and f.suffix.lower() == ".xlsx" and is_form_workbook(f):
                    why = f"{FORM_WORKBOOK}（检查填报表请用 xxgk validate）"
                if why is None:
                    real = os.path.realpath(f) if _is(e.is_symlink) else os.path.join(real_dir, e.name)
                    found.append((f, real))
                else:
                    skipped.append(f"{shown(f)}：{why}，跳过")
            for f, real in sorted(found):
                take(f, real)
        elif p.is_file():
            take(p, os.path.realpath(p))
        elif p.exists() or p.is_symlink():
            skipped.append(f"{p}：{_special_reason(p)}")
        else:
            skipped.append(f"{p}：不存在")
    return files, skipped


def _one(path: Path, name: str) -> Inspected:
    res = import_report(path)
    sub = res.submission
    sub.source = name
    unreadable = any(f.code == "FILE-UNREADABLE" for f in res.findings)
    refused = any(f.code == "IMPORT-NOT-ONE-REPORT" and f.severity == ERROR for f in res.findings)
    out = Inspected(
        name,
        sub,
        res.source_kind,
        res.found,
        res.expected,
        res.confidence,
        res.published,
        dict(res.sections),
    )
    out.reliable = not unreadable and not refused and res.confidence >= CONFIDENT
    # the import's own findings (numbers not found, a document of two years); TEXT-TABLE-MISMATCH
    # comes again from the rules, as for every source
    out.findings = [_named(f, name) for f in res.findings if f.code != "TEXT-TABLE-MISMATCH"]
    if unreadable:
        out.submission = _kept(sub, values=False)
        return out
    out.findings.extend(check_submission(sub, file=name))
    if res.sections and any(res.sections.values()):
        for key, there in res.sections.items():
            if not there:
                out.findings.append(
                    _finding(
                        sub, "SECTION-MISSING", f"报告缺少“{SECTION_HEADINGS[key]}”部分（未找到其标题）", name
                    )
                )
    if res.published and sub.year:
        when = date.fromisoformat(res.published)
        due = date(sub.year + 1, *DEADLINE)
        if when > due:
            out.findings.append(
                _finding(
                    sub,
                    "PUBLISHED-LATE",
                    f"报告发布日期为 {when.isoformat()}，晚于 {due.year}年{due.month}月{due.day}日"
                    "（《条例》第四十九条：每年1月31日前公布上一年度报告）",
                    name,
                    expected=due.isoformat(),
                    actual=when.isoformat(),
                )
            )
    if res.unfinished:
        marks = "、".join(f"“{m}”" for m in res.unfinished)
        out.findings.append(
            _finding(
                sub,
                "REPORT-DRAFT",
                f"报告中有{marks}字样：公开的可能是未完成的稿件，请核实后发布定稿",
                name,
            )
        )
    if out.reliable and not any(v for v in sub.all_values().values()):
        out.findings.append(
            _finding(
                sub,
                "REPORT-ALL-ZERO",
                "报告中所有数字均为0（表二、表三、表四和收费），请核实是否如实填报",
                name,
            )
        )
    out.submission = _kept(sub, values=out.reliable)
    return out


@functools.lru_cache(maxsize=8)
def _form_keys(spec: Any) -> dict[str, str]:
    return {k: k for k in spec.cells}


def _kept(sub: Submission, *, values: bool) -> Submission:
    """What an inspection keeps of a report once its own checks are made: its cover and meta, and
    its numbers when they are reliable (for copies of it and the next year's comparison), with
    the few texts quoting them; not where each number stood nor the totals as printed (~20 KB of
    the ~30 KB a report held: a national inspect of 40,000 reports keeps them all until the end)."""
    # the keys as the form's own strings: an import builds each (f"t3.{row}.{col}"), 60 bytes
    # apiece, ~11 KB a report
    keys = _form_keys(sub.spec)
    return Submission(
        spec=sub.spec,
        cover=sub.cover,
        values={keys.get(k, k): v for k, v in sub.values.items()} if values else {},
        source=sub.source,
        raw=sub.raw if values else {},
        suspect=sub.suspect if values else {},
        meta=sub.meta,
    )


def _named(f: Finding, name: str) -> Finding:
    return Finding(f.code, f.severity, f.message, name, f.sheet, f.cell, f.key, f.expected, f.actual)


def _finding(sub: Submission, code: str, message: str, file: str, **kw: Any) -> Finding:
    rule = sub.spec.rules.get(code)
    return Finding(code, rule.severity if rule else WARNING, message, file, **kw)


def inspect_reports(
    files: list[Path],
    *,
    root: Path | None = None,
    archive: Any = None,
    progress: Any = None,
) -> list[Inspected]:
    """Every report inspected, then each against its agency's previous year (from the same
    files, else from ``archive``: a :class:`toolkit.store.Store`), in file order."""
    out = []
    for i, f in enumerate(files):
        name = shown_name(f, root)
        out.append(_one(f, name))
        if progress is not None:
            progress(i + 1, len(files))
    by_key: dict[tuple[str, int], list[Inspected]] = {}
    for r in out:
        if r.reliable and r.agency and r.year:
            by_key.setdefault((norm_name(r.agency), r.year), []).append(r)
    for group in by_key.values():
        if len(group) > 1:
            _duplicates(group)
    archived: dict[int, Any] = {}
    for r in out:
        if not r.reliable or not r.agency or not r.year:
            continue
        prev_sub: Submission | None = None
        same = by_key.get((norm_name(r.agency), r.year - 1), [])
        if len(same) == 1 or (same and _identical(same)):  # copies of one report: any of them
            prev_sub, r.previous = same[0].submission, same[0].file
        elif not same and archive is not None:
            if r.year - 1 not in archived:
                archived[r.year - 1] = archive.previous_index(r.year - 1)
            prev_sub = archived[r.year - 1].match(r.submission)
            r.previous = f"档案库 {r.year - 1} 年度" if prev_sub is not None else None
        if prev_sub is not None:
            r.findings.extend(check_previous(r.submission, prev_sub, file=r.file))
    return out


def _identical(group: list[Inspected]) -> bool:
    first = group[0].submission.all_values()
    return all(g.submission.all_values() == first for g in group[1:])


NAMED = 5  # the other copies a DUPLICATE-SUBMISSION names (the rest counted)


def _named_files(files: list[str], n: int) -> str:
    """``files`` (the first few of ``n``) as a message lists them."""
    return "、".join(files) + ("等" if n > len(files) else "")


def _duplicates(group: list[Inspected]) -> None:
    """Several reports of one agency and year (DUPLICATE-SUBMISSION): copies with the same numbers
    (one report saved as PDF and as a page, or twice) a warning; another with different numbers an
    error, since only one of them can be the report that was published.

    The copies are grouped by their numbers once (not each compared with each) and a message names
    at most :data:`NAMED` of the others: a folder holding one report 20,000 times (a crawl of a
    mirror) named 20,000 files in each of 20,000 messages, ~8 GB."""
    rule = group[0].submission.spec.rules.get("DUPLICATE-SUBMISSION")
    classes: dict[tuple[Any, ...], list[int]] = {}
    of = [classes.setdefault(tuple(g.submission.all_values().items()), []) for g in group]
    for i, members in enumerate(of):
        members.append(i)
    # the first few of each class, in file order: the first NAMED files outside any one class are
    # among the first 2 * NAMED + 1 of these (a class has at most NAMED + 1 of them)
    heads = sorted(i for members in classes.values() for i in members[: NAMED + 1])[: 2 * NAMED + 1]
    for i, r in enumerate(group):
        mine = of[i]
        n_differ = len(group) - len(mine)
        if n_differ:
            differ = [group[j].file for j in heads if of[j] is not mine][:NAMED]
            message = (
                f"同一机关同一年度还有 {n_differ} 份数字不同的报告（{_named_files(differ, n_differ)}）："
                "请确认哪一份是公开发布的报告（均不作为下一年度报告的上年对照）"
            )
            severity = rule.severity if rule else ERROR
        else:
            same = [group[j].file for j in mine[: NAMED + 1] if j != i][:NAMED]
            message = (
                f"同一机关同一年度还有 {len(mine) - 1} 份数字完全相同的报告（{_named_files(same, len(mine) - 1)}）："
                "可能是同一份报告的不同格式或重复保存，请确认"
            )
            severity = WARNING
        r.findings.append(Finding("DUPLICATE-SUBMISSION", severity, message, r.file))


# -- the inspection workbook ----------------------------------------------------------------------
_HEAD = [
    ("序号", 6),
    ("文件", 36),
    ("机关", 28),
    ("年度", 7),
    ("类型", 10),
    ("读出数字", 10),
    ("把握", 7),
    ("发布日期", 12),
    ("缺少部分", 22),
    ("上年对照", 26),
    ("错误", 6),
    ("提示", 6),
    ("结论", 13),
    ("主要问题", 60),
]
_KIND_ZH = {"pdf": "PDF", "html": "网页", "docx": "Word", "xlsx": "Excel", "md": "Markdown", "text": "文本"}


MAX_LIST_ROWS = 1_048_575 - 1  # 问题清单's rows below its header, one kept for the line saying the rest


def summary_counts(results: list[Inspected]) -> dict[str, int]:
    return {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}


def write_workbook(results: list[Inspected], path: str | os.PathLike[str], skipped: list[str] = ()) -> Path:
    """检查结论 (one row per report, filterable), 问题清单 (one row per finding) and 说明; written
    atomically, printable (landscape, one page wide, the header repeated on every page)."""
    import xlsxwriter

    from toolkit.paths import atomic_output
    from toolkit.textsafe import xlsx_text

    target = Path(path)
    with atomic_output(target) as tmp:
        # constant_memory: each row goes to disk once the next begins (rows are written in order);
        # held whole, 20,000 unreadable files' 720,000 problem rows took 700 MB
        wb = xlsxwriter.Workbook(
            str(tmp), {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}
        )
        head = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        )
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        pct = wb.add_format({"border": 1, "num_format": "0%", "valign": "top"})
        bad = wb.add_format({"border": 1, "bg_color": "#F8CBAD", "valign": "top", "bold": True})
        warn = wb.add_format({"border": 1, "bg_color": "#FFF2CC", "valign": "top"})
        good = wb.add_format({"border": 1, "bg_color": "#E2EFDA", "valign": "top"})
        grey = wb.add_format({"border": 1, "bg_color": "#D9D9D9", "valign": "top", "bold": True})
        style = {"未能可靠读取": grey, "有错误": bad, "有提示": warn, "未发现问题": good}

        ws = wb.add_worksheet("检查结论")
        for c, (h, w) in enumerate(_HEAD):
            ws.write_string(0, c, h, head)
            ws.set_column(c, c, w)
        for i, r in enumerate(results, 1):
            missing = "、".join(SECTION_HEADINGS[k] for k, v in r.sections.items() if not v)
            errors = sum(1 for f in r.findings if f.severity == ERROR)
            problems = "；".join(f"[{f.code}] {f.message}" for f in r.findings[:3])
            if len(r.findings) > 3:
                problems += f"；等共 {len(r.findings)} 条（见“问题清单”）"
            row = [
                i,
                r.file,
                r.agency or "（未识别机关）",
                r.year if r.year is not None else "",
                _KIND_ZH.get(r.kind, r.kind),
                f"{r.found}/{r.expected}",
                r.confidence,
                r.published or "",
                missing,
                r.previous or "",
                errors,
                len(r.findings) - errors,
                r.verdict,
                problems,
            ]
            _fit_row(ws, i, row, [w for _, w in _HEAD])
            for c, v in enumerate(row):
                if c == 6:
                    ws.write_number(i, c, float(v), pct)
                elif isinstance(v, int):
                    ws.write_number(i, c, v, cell)
                else:
                    ws.write_string(i, c, xlsx_text(v), style[r.verdict] if c == 12 else cell)
        last = max(1, len(results))
        ws.autofilter(0, 0, last, len(_HEAD) - 1)
        ws.freeze_panes(1, 0)
        _print_setup(ws)

        ws = wb.add_worksheet("问题清单")
        cols = [
            ("文件", 36),
            ("机关", 28),
            ("年度", 7),
            ("代码", 20),
            ("级别", 6),
            ("位置", 14),
            ("说明", 80),
        ]
        for c, (h, w) in enumerate(cols):
            ws.write_string(0, c, h, head)
            ws.set_column(c, c, w)
        n = 0
        total = sum(len(r.findings) for r in results)
        for r, f in itertools.islice(((res, f) for res in results for f in res.findings), MAX_LIST_ROWS):
            n += 1
            vals = [
                r.file,
                r.agency,
                r.year if r.year else "",
                f.code,
                "错误" if f.severity == ERROR else "提示",
                f.ref,
                f.told,
            ]
            _fit_row(ws, n, vals, [w for _, w in cols])
            for c, v in enumerate(vals):
                if isinstance(v, int):
                    ws.write_number(n, c, v, cell)
                else:
                    ws.write_string(n, c, xlsx_text(v), cell)
        if total > n:  # past Excel's last row: the rest said, never dropped unsaid
            n += 1
            ws.write_string(
                n,
                0,
                f"其余 {total - n + 1:,} 条问题超出 Excel 的行数上限，未列出；完整清单请用 --format json 输出",
                cell,
            )
        ws.autofilter(0, 0, max(1, n), len(cols) - 1)
        ws.freeze_panes(1, 0)
        _print_setup(ws)

        ws = wb.add_worksheet("说明")
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 90)
        counts = summary_counts(results)
        lines = [
            ("检查的报告", f"{len(results)} 份"),
            *((v, f"{k} 份") for v, k in counts.items()),
            (
                "未能可靠读取",
                "报告无法读取，或有数字未能在其标签处读出：其数字不作核对、不作上年对照，也不计入任何合计",
            ),
            ("有错误", "表内勾稽关系或合计不成立、正文与表格不一致等（见“问题清单”）"),
            ("有提示", "与上年不衔接、与上年完全相同、全部为0、缺少部分、逾期发布等，请核实"),
            ("上年对照", "同一机关上一年度的报告（同一文件夹中，或档案库中）"),
            ("发布日期", "网页标明的发布日期或文末落款日期；未标明的不作判断"),
        ]
        lines += [("跳过的文件", s) for s in skipped]
        for i, (a, b) in enumerate(lines):
            _fit_row(ws, i, (a, b), (24, 90))
            ws.write_string(i, 0, xlsx_text(a), head)
            ws.write_string(i, 1, xlsx_text(b), cell)
        _print_setup(ws)
        wb.close()
    return target


def _fit_row(ws: Any, row: int, values: Any, widths: Any) -> None:
    """The row as tall as its longest wrapped text (11-point, xlsxwriter's default font): no
    application grows a row on opening, so a long message printed one line and was cut. Set
    before the row's cells (constant_memory writes a row once the next begins)."""
    from toolkit.textfit import MAX_ROW_PT, col_px, line_count, row_height

    lines = max(
        (
            line_count(v, col_px(w), 11)
            for v, w in zip(values, widths, strict=False)
            if isinstance(v, str) and v
        ),
        default=1,
    )
    if lines > 1:
        ws.set_row(row, min(MAX_ROW_PT, row_height(lines, 11)))


def _print_setup(ws: Any) -> None:
    from toolkit.textfit import footer

    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(0.4, 0.4, 0.6, 0.6)
    ws.set_footer(footer("政府信息公开工作年度报告检查"), {"margin": 0.25})
