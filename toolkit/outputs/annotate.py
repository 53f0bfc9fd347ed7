"""Annotated copies: the agency's own workbook with offending cells highlighted, a comment (批注)
on each explaining the fix, and a 问题清单 sheet listing everything. The input is never touched:
the copy is written to another folder, atomically.

Only a workbook the reader accepted, and small enough for openpyxl (which holds every cell of every
sheet in memory), is copied; for any other file the agency gets the 问题清单 alone."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.findings import FileReport
from toolkit.outputs.console import SEVERITY_ZH
from toolkit.paths import atomic_output, safe_filename, unique_name
from toolkit.textsafe import xlsx_text

__all__ = ["MAX_ANNOTATE_BYTES", "MAX_ANNOTATE_UNZIPPED", "annotate_copy"]

LIST_SHEET = "问题清单"
# openpyxl keeps every cell as a Python object (~1 KB per cell with styles): only workbooks of the
# size of a form (~30 KB, a few hundred KB of XML) are copied with comments
MAX_ANNOTATE_BYTES = 2 * 1024 * 1024
MAX_ANNOTATE_UNZIPPED = 5 * 1024 * 1024


COMMENT_PX = 360  # a 批注 box's width


def _comment_height(text: str) -> int:
    """A 批注 box tall enough for its whole text at the comments' 9 pt (Excel cuts what does not
    fit the box the file gives: 80 px held four lines of a seven-line T3-BALANCE explanation)."""
    from toolkit.textfit import LINE, line_count

    lines = line_count(text, COMMENT_PX - 8, 9)
    return max(80, round(lines * 9 * LINE / 0.75) + 16)


def _copyable(src: Path, report: FileReport) -> bool:
    """Whether ``src`` may be opened by openpyxl: read by our reader, an xlsx zip, small."""
    if any(f.code == "FILE-UNREADABLE" for f in report.findings):
        return False
    try:
        if src.stat().st_size > MAX_ANNOTATE_BYTES:
            return False
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            return "xl/workbook.xml" in names and sum(i.file_size for i in infos) <= MAX_ANNOTATE_UNZIPPED
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _layout(ws, report: FileReport) -> None:
    """Column widths, wrapped rows tall enough for their text, A4 print set-up and footer."""
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.page import PageMargins

    from toolkit.textfit import FOOTER_LIMIT, footer_words, page_scale, row_heights

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
    # the margins page_scale assumes (openpyxl's default 0.75 inch would push 问题说明 to a page of its own);
    # header and footer as the form's sheets have them: openpyxl's 0.5 left the footer 0.1 inch and
    # LibreOffice printed its 9-point line cut in half
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.25)
    ws.print_title_rows = "1:1"
    who = " ".join(x for x in (report.agency or "", f"{report.year}年度" if report.year else "") if x)
    who = who or os.path.basename(report.file)  # nothing read from it: the page names the file
    who = xlsx_text(who, 120).replace("\n", " ")  # the agency's name from the file: ESC made lxml raise
    # the centre's room: Excel's 255 less the other parts and the codes openpyxl writes (~32)
    center = footer_words(who, FOOTER_LIMIT - 48)
    for part, text in (("left", "&A"), ("center", center), ("right", "第 &P 页，共 &N 页")):
        item = getattr(ws.oddFooter, part)
        item.text, item.size = text, 9


def annotate_copy(
    src: str | os.PathLike[str],
    report: FileReport,
    outdir: str | os.PathLike[str],
    *,
    used: set[str] | None = None,
) -> Path:
    """Write ``<stem>_批注.xlsx`` into ``outdir``; for a file that is not copied (unreadable,
    refused, xls, too large), write just the 问题清单 as ``<stem>_问题清单.xlsx``.

    ``used``: names already written into ``outdir`` in this run (casefolded); the name is made
    unique against it (``<folder>_<stem>_批注.xlsx``, then ``_2`` …) and added to it, so two
    files called 报告.xlsx from two folders give two copies."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    src = Path(src)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    used = set() if used is None else used
    wb = None
    if _copyable(src, report):
        try:
            wb = openpyxl.load_workbook(src, keep_vba=False, rich_text=False)
        except MemoryError:
            wb = None
        except Exception:  # not an xlsx openpyxl can open: the list alone still helps the agency
            wb = None
    kind = "_批注.xlsx" if wb is not None else "_问题清单.xlsx"
    if wb is None:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
    stem = safe_filename(src.stem)
    alt = [safe_filename(f"{src.parent.name}_{src.stem}")] if src.parent.name else []
    target = out / unique_name(stem, kind, used, alternatives=alt)
    red = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
    yellow = PatternFill("solid", start_color="FFFFEB9C", end_color="FFFFEB9C")
    by_cell: dict[tuple[str, str], list] = {}
    for f in report.findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    for (sheet, cell), fs in by_cell.items():
        c = _anchor(wb[sheet], cell)
        text = xlsx_text("\n".join(f"[{SEVERITY_ZH[f.severity]} {f.code}] {f.message}" for f in fs))
        c.comment = Comment(text, "年报校验", width=COMMENT_PX, height=_comment_height(text))
        c.fill = red if any(f.severity == "error" for f in fs) else yellow
    if LIST_SHEET in wb.sheetnames:
        del wb[LIST_SHEET]
    ws = wb.create_sheet(LIST_SHEET, 0)
    ws.append(["级别", "规则代码", "位置", "问题说明（请按说明修改后重新报送）"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for f in report.findings:
        ws.append([SEVERITY_ZH[f.severity], f.code, xlsx_text(f.ref), xlsx_text(f.told)])
    if not report.findings:
        ws.append(["", "", "", "未发现问题"])
    _layout(ws, report)
    # text from the input stays text: openpyxl writes strings starting with "=" as formulas
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    _mark_as_output(wb)
    _properties(wb, report, src)
    wb.active = 0
    for sheet in wb.worksheets:  # 问题清单 alone selected: the agency's 填报说明 too made Excel group them
        sheet.sheet_view.tabSelected = sheet is ws
    with atomic_output(target) as tmp:
        with _openpyxl_save():
            wb.save(tmp)
        if kind == "_批注.xlsx":  # what the copy reads as, so a corrected copy sent back is a report
            from toolkit.reader import read_file
            from toolkit.validate import values_digest

            if (sub := read_file(tmp).submission) is not None:
                _set_meta(wb, "values_sha", values_digest(sub))
                with _openpyxl_save():
                    wb.save(tmp)
    return target


_saving = threading.local()  # .made: the temporary files openpyxl made in this thread's save
_hooked = threading.Lock()


def _watch_openpyxl_temp_files() -> None:
    """openpyxl writes each worksheet to a temporary file of its own (openpyxl.*, in the system's
    temporary folder) and removes it when the sheet is in the zip — or, when the write fails, only
    at the process's exit (its atexit list): a server that met a full disk kept them until it
    stopped. Each file it makes is noted for the thread saving (its list is global, shared by
    serve's threads), so a failed save removes its own and no other thread's."""
    from openpyxl.worksheet import _writer

    with _hooked:
        made = _writer.create_temporary_file
        if getattr(made, "xxgk_noted", False):
            return

        def create_temporary_file(suffix: str = "") -> str:
            name = made(suffix)
            if (mine := getattr(_saving, "made", None)) is not None:
                mine.append(name)
            return name

        create_temporary_file.xxgk_noted = True  # type: ignore[attr-defined]
        _writer.create_temporary_file = create_temporary_file


@contextlib.contextmanager
def _openpyxl_save() -> Iterator[None]:
    """An openpyxl save that fails as any write does: the temporary files it made are removed
    (:func:`_watch_openpyxl_temp_files`), and lxml's error for the system's (a full disk:
    ``SerialisationError('IO_ENOSPC')``, a file-size limit ``IO_EFBIG``) is that OSError, said as
    a full disk like every other write (it was a 500 服务器内部错误 in serve)."""
    from openpyxl.worksheet import _writer

    _watch_openpyxl_temp_files()
    _saving.made = made = []
    try:
        yield
    except BaseException as exc:
        for name in made:
            with contextlib.suppress(OSError):
                os.remove(name)
            with contextlib.suppress(ValueError):
                _writer.ALL_TEMP_FILES.remove(name)
        if (oserr := _system_error(exc)) is not None:
            raise oserr from exc
        raise
    finally:
        _saving.made = None


def _system_error(exc: BaseException) -> OSError | None:
    """lxml's serialisation error naming the system's (``IO_ENOSPC``) as that OSError."""
    name = str(exc).removeprefix("IO_") if type(exc).__name__ == "SerialisationError" else ""
    code = getattr(errno, name, None) if name.startswith("E") else None
    return OSError(code, os.strerror(code)) if isinstance(code, int) else None


def _properties(wb, report: FileReport, src: Path) -> None:
    """The copy's document properties name the agency and what it is (never a library)."""
    year = f"{report.year}年" if report.year else ""
    who = xlsx_text(report.agency or "", limit=120)
    props = wb.properties
    props.title = xlsx_text(f"{who or src.stem}{year}政府信息公开工作年度报告（校验批注）", limit=200)
    props.creator = who or None
    props.lastModifiedBy = who or None
    props.subject = "校验批注：请按“问题清单”修改后重新报送"


def _anchor(ws, cell: str):
    """The cell to carry a comment: the top-left cell of a merged range (the others are
    read-only MergedCells, and Excel shows the range's comment there)."""
    from openpyxl.cell.cell import MergedCell

    c = ws[cell]
    if isinstance(c, MergedCell):
        for rng in ws.merged_cells.ranges:
            if c.coordinate in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return c


def _mark_as_output(wb) -> None:
    """Say in the copy's metadata that it is an annotated copy, not an agency's report: a merge or
    validate over a folder holding it skips it (the 批注 copy of a report would count twice)."""
    from openpyxl.packaging.custom import StringProperty

    _set_meta(wb, "kind", "annotated")
    props = wb.custom_doc_props
    for prop in list(props.props):
        if prop.name == "xxgk.kind":
            props.props.remove(prop)
    props.append(StringProperty(name="xxgk.kind", value="annotated"))


def _set_meta(wb, key: str, value: str) -> None:
    """One key of the copy's (very hidden) ``_meta`` sheet, which the reader reads back."""
    if "_meta" in wb.sheetnames:
        ws = wb["_meta"]
    else:
        ws = wb.create_sheet("_meta")
        ws.sheet_state = "veryHidden"
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            row[1].value = value
            return
    ws.append([key, value])
