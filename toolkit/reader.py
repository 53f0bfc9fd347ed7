"""File -> :class:`Submission`: read a completed workbook back, whatever typed it.

* Sniffs the real file type from its bytes (not its extension): xlsx/xlsm, legacy .xls, WPS .et,
  .ods; CSV, HTML, PDF, Word files and encrypted workbooks get a precise Chinese explanation of
  what to do (``FILE-UNREADABLE``), never a traceback. Zip and XML bombs are refused by size and
  entity checks before anything is decompressed in full.
* Finds every key through the spec's layout and checks the structure first: a missing or renamed
  sheet or a label not where the spec puts it (rows inserted, labels changed) is
  ``TEMPLATE-UNKNOWN`` and no number is read from that sheet (never a wrong number from a
  shifted cell). The hidden ``_meta`` sheet says which format and version wrote the workbook.
* Values are read with python-calamine (the fastest well-kept reader); the formula of each total
  cell comes from a small expat scan of the sheet XML, because the cached result of a formula is
  not to be trusted (a library-written file has none, or 0) and a number typed over a formula is
  exactly what ``FORMULA-OVERWRITTEN`` is for.
* Never modifies, locks or re-saves the input: it is opened read-only, once, by path.
"""

from __future__ import annotations

import re
import unicodedata
import xml.parsers.expat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from toolkit.cells import parse_number
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.formulas import total_formula
from toolkit.model import Submission, compute_totals
from toolkit.spec import FormSpec, cell_name, load_spec

__all__ = ["MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "ReadResult", "read_workbook", "sniff"]

MAX_FILE_BYTES = 50 * 1024 * 1024  # a filled form is ~30 KB; 50 MB is not a form
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # zip bomb guard: total uncompressed size
MAX_RATIO = 200  # zip bomb guard: a member compressed more than this (and > 1 MB) is refused
MAX_XML_BYTES = 40 * 1024 * 1024  # one sheet's XML for the formula scan


@dataclass
class ReadResult:
    """What reading one file gave: the submission (None if unreadable) and reading findings."""

    path: str
    submission: Submission | None
    findings: list[Finding] = field(default_factory=list)
    kind: str = ""  # "xlsx", "xls", "ods", ...


class _Unreadable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- sniffing ----------------------------------------------------------------------------------
def sniff(path: Path) -> str:
    """The real type of a file from its bytes: xlsx, xls, ods, encrypted, or raises _Unreadable."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _Unreadable(f"无法打开文件：{exc.strerror or exc}") from None
    if size == 0:
        raise _Unreadable("文件是空的（0 字节），可能是邮件附件没有下载完整，请重新发送")
    if size > MAX_FILE_BYTES:
        raise _Unreadable(f"文件过大（{size / 1048576:.0f} MB），不是正常的填报表（通常小于 1 MB）")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise _Unreadable(f"无法读取文件：{exc.strerror or exc}") from None
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _sniff_zip(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(path)
    if head.startswith(b"%PDF"):
        raise _Unreadable("这是 PDF 文件，不是 Excel 工作簿；请报送填写好的 xlsx 模板，而不是打印稿")
    if head.startswith(b"{\\rtf"):
        raise _Unreadable("这是 RTF 文档，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    text = _as_text(head)
    if text is not None:
        low = text.lstrip("\ufeff \r\n\t").lower()
        if low.startswith(("<!doctype html", "<html", "<table", "<meta", "<?xml")) or "<table" in low:
            raise _Unreadable(
                "这是网页（HTML/XML）文件，只是扩展名改成了 Excel 的；"
                "请在 Excel 或 WPS 中打开后“另存为” .xlsx 格式再报送"
            )
        if "," in text or "\t" in text or "，" in text:
            raise _Unreadable(
                "这是 CSV/文本文件，不是 Excel 工作簿，表格结构和公式都已丢失；请使用下发的 xlsx 模板填写后报送"
            )
        raise _Unreadable("这是纯文本文件，不是 Excel 工作簿；请使用下发的 xlsx 模板填写后报送")
    raise _Unreadable("无法识别的文件类型（不是 Excel/WPS 工作簿）；请使用下发的 xlsx 模板填写后报送")


def _as_text(head: bytes) -> str | None:
    if b"\x00" in head[:1024]:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            return head.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start > len(head) - 4:  # cut in the middle of a character
                return head[: exc.start].decode(enc, errors="ignore")
    return None


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            if total > MAX_UNZIPPED_BYTES:
                raise _Unreadable(f"文件解压后过大（{total / 1048576:.0f} MB），疑似压缩炸弹，已拒绝读取")
            for i in infos:
                if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                    raise _Unreadable("文件内部数据压缩比异常（疑似压缩炸弹），已拒绝读取")
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                if "xl/workbook.bin" in names:
                    raise _Unreadable(
                        "这是 Excel 二进制工作簿（.xlsb），请在 Excel 中“另存为” .xlsx 格式再报送"
                    )
                return "xlsx"
            if "content.xml" in names and "mimetype" in names:
                mime = zf.read("mimetype")[:100]
                if b"spreadsheet" in mime:
                    return "ods"
                raise _Unreadable("这是 OpenDocument 文本或演示文件，不是电子表格；请报送填写好的 xlsx 模板")
            if "word/document.xml" in names:
                raise _Unreadable("这是 Word 文档，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
            if "ppt/presentation.xml" in names:
                raise _Unreadable("这是 PowerPoint 文件，不是 Excel 工作簿；请报送填写好的 xlsx 模板")
            raise _Unreadable("这是 zip 压缩包，不是 Excel 工作簿；请解压后分别报送其中的 xlsx 文件")
    except zipfile.BadZipFile:
        raise _Unreadable("文件已损坏或不完整（可能是邮件附件没有下载完整），请重新保存后再发送") from None
    except zipfile.LargeZipFile:
        raise _Unreadable("文件过大，不是正常的填报表") from None


def _sniff_ole(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(min(MAX_FILE_BYTES, 4 * 1024 * 1024))
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise _Unreadable(
            "文件设置了打开密码（已加密），无法读取；请在 Excel/WPS 中取消密码"
            "（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新保存并报送"
        )
    if "WordDocument".encode("utf-16-le") in data:
        raise _Unreadable("这是 Word 文档（.doc），不是 Excel 工作簿；请报送填写好的 xlsx 模板")
    return "xls"  # BIFF .xls, and WPS .et which shares the container


# -- XML formula scan --------------------------------------------------------------------------
def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the zip (xl/worksheets/sheetN.xml)."""
    wb = _parse_small(zf, "xl/workbook.xml")
    rels = _parse_small(zf, "xl/_rels/workbook.xml.rels")
    targets = {a.get("Id"): a.get("Target", "") for tag, a in rels if tag == "Relationship"}
    out = {}
    for tag, a in wb:
        if tag == "sheet":
            rid = next((v for k, v in a.items() if k.endswith(":id") or k == "id"), None)
            target = targets.get(rid, "")
            if target.startswith("/"):
                target = target[1:]
            elif not target.startswith("xl/"):
                target = "xl/" + target
            out[a.get("name", "")] = target
    return out


def _new_parser() -> Any:
    p = xml.parsers.expat.ParserCreate()
    p.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_entities(*_a: Any) -> None:
        raise _Unreadable("文件内部含有 XML 实体定义（疑似 XML 炸弹），已拒绝读取")

    p.EntityDeclHandler = no_entities
    p.StartDoctypeDeclHandler = lambda *a: no_entities()
    return p


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _parse_small(zf: zipfile.ZipFile, name: str) -> list[tuple[str, dict[str, str]]]:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return []
    if info.file_size > MAX_XML_BYTES:
        raise _Unreadable("文件内部结构异常（部件过大），已拒绝读取")
    out: list[tuple[str, dict[str, str]]] = []
    p = _new_parser()
    p.StartElementHandler = lambda tag, attrs: out.append((_local(tag), attrs))
    try:
        p.Parse(zf.read(name), True)
    except xml.parsers.expat.ExpatError:
        raise _Unreadable("文件内部 XML 已损坏，请在 Excel/WPS 中重新保存后再报送") from None
    return out


def _formulas(zf: zipfile.ZipFile, part: str, wanted: set[str]) -> dict[str, str]:
    """A1 -> formula text for the wanted cells that carry a formula ("" for a shared one)."""
    try:
        info = zf.getinfo(part)
    except KeyError:
        return {}
    if info.file_size > MAX_XML_BYTES:
        raise _Unreadable("工作表数据过大（可能整列被填充了内容），不是正常的填报表")
    found: dict[str, str] = {}
    state = {"cell": None, "in_f": False}
    buf: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        t = _local(tag)
        if t == "c":
            r = attrs.get("r")
            state["cell"] = r if r in wanted else None
        elif t == "f" and state["cell"] is not None:
            state["in_f"] = True
            buf.clear()

    def end(tag: str) -> None:
        t = _local(tag)
        if t == "f" and state["in_f"]:
            found[state["cell"]] = "".join(buf)
            state["in_f"] = False
        elif t == "c":
            state["cell"] = None

    def chars(data: str) -> None:
        if state["in_f"]:
            buf.append(data)

    p = _new_parser()
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.buffer_text = True
    try:
        with zf.open(part) as fh:
            p.ParseFile(fh)
    except xml.parsers.expat.ExpatError:
        raise _Unreadable("文件内部 XML 已损坏，请在 Excel/WPS 中重新保存后再报送") from None
    return found


def _norm_formula(f: str) -> str:
    return re.sub(r"[\s$=]", "", f).upper().replace("'", "")


def _norm_label(s: Any) -> str:
    s = unicodedata.normalize("NFKC", "" if s is None else str(s))
    return re.sub(r"\s+", "", s)


# -- reading ------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, path: Path, spec: FormSpec) -> None:
        self.path = path
        self.spec = spec
        self.findings: list[Finding] = []
        self.file = str(path)

    def add(
        self,
        code: str,
        message: str,
        *,
        sheet: str | None = None,
        cell: str | None = None,
        key: str | None = None,
        severity: str | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        sev = severity or self.spec.rules[code].severity
        self.findings.append(Finding(code, sev, message, self.file, sheet, cell, key, expected, actual))  # type: ignore[arg-type]

    def read(self) -> ReadResult:
        try:
            kind = sniff(self.path)
            return self._read(kind)
        except _Unreadable as exc:
            self.add("FILE-UNREADABLE", exc.message)
        except MemoryError:
            self.add("FILE-UNREADABLE", "文件过大，读取时内存不足")
        except Exception as exc:  # the promise: a finding, never a traceback
            msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            if "password" in msg.lower() or "encrypt" in msg.lower():
                self.add("FILE-UNREADABLE", "文件设置了密码（已加密），无法读取；请取消密码后重新保存并报送")
            else:
                self.add(
                    "FILE-UNREADABLE",
                    f"文件无法作为 Excel 工作簿读取（{msg}）；请在 Excel/WPS 中打开并另存为 .xlsx 后再报送",
                )
        return ReadResult(self.file, None, self.findings)

    def _read(self, kind: str) -> ReadResult:
        spec = self.spec
        wb = CalamineWorkbook.from_path(str(self.path))
        names = wb.sheet_names
        meta = self._meta(wb, names)
        sub = Submission(spec=spec, source=self.file, meta=meta)
        if meta.get("format") and meta["format"] != spec.id:
            self.add(
                "TEMPLATE-UNKNOWN",
                f"这是“{meta['format']}”格式的填报表，不是“{spec.name}”；请使用本年度下发的模板",
            )
            return ReadResult(self.file, None, self.findings, kind)
        if meta.get("version") and meta["version"] != str(spec.version):
            self.add(
                "TEMPLATE-UNKNOWN",
                f"模板版本为 {meta['version']}，当前为 {spec.version}；请使用最新下发的模板",
            )
            return ReadResult(self.file, None, self.findings, kind)
        wanted = {c.sheet for c in spec.cells.values()}
        missing = [s for s in spec.sheets.values() if s in wanted and s not in names]
        if missing:
            extra = [n for n in names if n not in spec.sheets.values()]
            hint = f"（工作簿中的表为：{'、'.join(names)}）" if names else ""
            what = "是否被改名或删除？" if extra or names else ""
            self.add(
                "TEMPLATE-UNKNOWN",
                f"不是本格式的填报表，或表格结构被改动：缺少工作表“{'”“'.join(missing)}”{what}{hint}",
            )
            if len(missing) == len([s for s in spec.sheets.values() if s in wanted]):
                return ReadResult(self.file, None, self.findings, kind)
        grids: dict[str, list[list[Any]]] = {}
        for sheet in sorted(wanted - set(missing)):
            nrows = 1 + max(c.row for c in spec.cells.values() if c.sheet == sheet)
            grids[sheet] = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False, nrows=nrows)
        wb.close()
        good = {s for s, g in grids.items() if self._structure_ok(s, g)}
        formulas = self._formula_state(kind, good)
        totals: list[tuple[str, Any]] = []
        for key, c in spec.cells.items():
            if c.sheet not in good:
                continue
            raw = _at(grids[c.sheet], c.row, c.col)
            sub.where[key] = c.ref
            if c.kind == "cover":
                sub.cover[key.split(".", 1)[1]] = _cover_text(raw)
            elif c.kind == "text":
                sub.texts[key] = "" if raw is None else str(raw).strip()
            elif c.kind == "input":
                self._input(sub, key, raw)
            else:
                totals.append((key, raw))
        recomputed = compute_totals(spec, sub.values)  # all inputs read: totals in any order
        for key, raw in totals:
            self._total(sub, key, raw, formulas, recomputed[key])
        if any(s not in good for s in grids) or missing:
            sub.meta["incomplete"] = "1"
        return ReadResult(self.file, sub, self.findings, kind)

    def _meta(self, wb: CalamineWorkbook, names: list[str]) -> dict[str, str]:
        name = self.spec.sheets.get("meta", "_meta")
        if name not in names:
            return {}
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=50)
        return {str(r[0]).strip(): _cover_text(r[1]) for r in rows if len(r) >= 2 and r[0] != ""}

    def _structure_ok(self, sheet: str, grid: list[list[Any]]) -> bool:
        diffs = []
        for lab in self.spec.labels_on(sheet):
            if lab.role in ("title", "note") or not lab.text:
                continue  # titles are decoration; people retitle them harmlessly
            got = _at(grid, lab.row, lab.col)
            if _norm_label(got) != _norm_label(lab.text):
                diffs.append((lab, got))
        if not diffs:
            return True
        lab, got = diffs[0]
        shown = "空白" if got in (None, "") else f"“{str(got)[:30]}”"
        more = f"等 {len(diffs)} 处不一致" if len(diffs) > 1 else ""
        rows_hint = "（是否插入或删除了行/列？）" if lab.role in ("row", "col", "field", "caption") else ""
        self.add(
            "TEMPLATE-UNKNOWN",
            f"表格结构被改动：{sheet}!{cell_name(lab.row, lab.col)} 应为“{lab.text}”，实际为{shown}"
            f"{more}{rows_hint}；本表的数字未读取，请使用下发的模板重新填写",
            sheet=sheet,
            cell=cell_name(lab.row, lab.col),
            expected=lab.text,
            actual=None if got in (None, "") else str(got),
        )
        return False

    def _formula_state(self, kind: str, sheets: Iterable[str]) -> dict[str, str] | None:
        if kind != "xlsx":
            return None  # .xls/.ods: formulas not inspected; cached totals checked as reported
        by_sheet: dict[str, set[str]] = {}
        for k in self.spec.total_keys:
            c = self.spec.cells[k]
            by_sheet.setdefault(c.sheet, set()).add(c.a1)
        out: dict[str, str] = {}
        with zipfile.ZipFile(self.path) as zf:
            parts = _sheet_parts(zf)
            for sheet in sheets:
                if sheet in by_sheet and sheet in parts:
                    for a1, f in _formulas(zf, parts[sheet], by_sheet[sheet]).items():
                        out[f"{sheet}!{a1}"] = f
        return out

    def _input(self, sub: Submission, key: str, raw: Any) -> None:
        c = self.spec.cells[key]
        kind = c.type.kind if c.type else "int"
        p = parse_number(raw, kind)
        if p.as_text and p.raw.strip():
            sub.raw[key] = p.raw
        where = dict(sheet=c.sheet, cell=c.a1, key=key)
        name = c.label
        if p.problem == "not_number":
            self.add(
                "VALUE-NOT-NUMBER",
                f"{name}：“{p.raw}”不是数字，应填写{'金额' if kind == 'decimal' else '整数'}（没有的填0）",
                actual=p.raw,
                **where,
            )
            sub.values[key] = 0
            return
        if p.problem == "negative":
            self.add("VALUE-NEGATIVE", f"{name}：{p.raw} 是负数，应为不小于0的数", actual=p.value, **where)
        elif p.problem == "not_integer":
            self.add("VALUE-NOT-INTEGER", f"{name}：{p.raw} 不是整数，件数应为整数", actual=p.value, **where)
        elif p.problem == "placeholder":
            self.add(
                "VALUE-PLACEHOLDER",
                f"{name}：“{p.raw}”按0计；没有的请直接填0",
                actual=p.raw,
                expected=0,
                **where,
            )
        sub.values[key] = p.value if p.value is not None else 0

    def _total(
        self, sub: Submission, key: str, raw: Any, formulas: dict[str, str] | None, expected: Any
    ) -> None:
        c = self.spec.cells[key]
        p = parse_number(raw, "int")
        where = dict(sheet=c.sheet, cell=c.a1, key=key)
        if formulas is None:  # no formula information: the cached value is what was reported
            if p.value is not None and raw not in (None, ""):
                sub.reported[key] = p.value
            return
        f = formulas.get(c.ref)
        if f is not None:
            sub.formula[key] = f
            if f == "" or _norm_formula(f) == _norm_formula(total_formula(self.spec, key)):
                return  # intact (or shared) formula: the toolkit's own sum is the value
            # an edited formula: what it shows is what was reported
            if p.value is not None and raw not in (None, ""):
                sub.reported[key] = p.value
            self.add(
                "FORMULA-OVERWRITTEN",
                f"{c.label}：合计公式被改为“={f}”，应为“{total_formula(self.spec, key)}”",
                expected=total_formula(self.spec, key),
                actual="=" + f,
                **where,
            )
            return
        # no formula: a number (or nothing) typed over the total
        value = p.value if p.value is not None else 0
        sub.reported[key] = value
        same = value == expected
        shown = "空白" if raw in (None, "") else str(p.raw)
        self.add(
            "FORMULA-OVERWRITTEN",
            f"{c.label}：合计单元格的公式被改写为{'' if raw in (None, '') else '数字 '}{shown}"
            + ("（与各项之和相同）" if same else f"，应为各项之和 {expected}")
            + "；请恢复公式或使用下发的模板",
            severity=WARNING if same else ERROR,
            expected=expected,
            actual=value,
            **where,
        )


def _at(grid: list[list[Any]], row: int, col: int) -> Any:
    if row < len(grid) and col < len(grid[row]):
        v = grid[row][col]
        return None if v == "" else v
    return None


def _cover_text(v: Any) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


def read_workbook(path: str | Path, spec: FormSpec | None = None) -> ReadResult:
    """Read one file; never raises for bad content (see ``ReadResult.findings``)."""
    return _Reader(Path(path), spec or load_spec()).read()
