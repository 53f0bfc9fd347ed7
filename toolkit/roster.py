"""The roster: which agencies a district expects a report from (CSV or xlsx).

A header row names the columns ``name``, ``code``, ``parent``, ``type`` (or 机关名称/单位名称,
统一社会信用代码, 上级, 类型); only ``name`` is required. CSV may be UTF-8 (with or without BOM) or
GBK/GB18030, as Excel and WPS save it in China. Rows with a bad code or a duplicate are reported
as findings, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.cells import decode_text
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.inputs import InputError, check_input
from toolkit.uscc import uscc_problem

__all__ = ["Roster", "RosterEntry", "RosterError", "norm_name", "read_roster"]

_ALIASES = {
    "name": ("name", "机关名称", "单位名称", "名称", "机关", "单位"),
    "code": ("code", "统一社会信用代码", "信用代码", "代码", "uscc"),
    "parent": ("parent", "上级", "上级机关", "所属地区", "上级/所属地区"),
    "type": ("type", "类型", "单位类型", "机关类型"),
    "year": ("year", "报告年度", "年度"),  # optional: the report year the roster is for
}


MAX_ROSTER_BYTES = 64 * 1024 * 1024  # 20,000 agencies take about 2 MB


class RosterError(ValueError):
    """The roster file cannot be used at all (unreadable, no name column)."""


def norm_name(name: str) -> str:
    """Names compared as people mean them: NFKC, no spaces, full-width brackets unified."""
    s = unicodedata.normalize("NFKC", str(name or "")).strip()
    return "".join(s.split())


@dataclass(frozen=True, slots=True)
class RosterEntry:
    name: str
    code: str = ""
    parent: str = ""
    type: str = ""
    line: int = 0  # the row in the roster file (1 = header)


@dataclass
class Roster:
    path: str
    entries: list[RosterEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    year: int | None = None  # from a year column (报告年度), when the roster has one

    def find(self, name: str, code: str) -> RosterEntry | None:
        """Match by code where both have one, else by normalised name."""
        code = (code or "").strip().upper()
        if code:
            for e in self.entries:
                if e.code and e.code == code:
                    return e
        # no code match: a name that is unique in the roster identifies the agency (a mistyped
        # code must not turn a submitted agency into "missing" plus "unexpected")
        n = norm_name(name)
        hits = [e for e in self.entries if norm_name(e.name) == n]
        return hits[0] if len(hits) == 1 else None


def _decode(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise RosterError("名单文件编码无法识别（请另存为 UTF-8 或 GBK 编码的 CSV，或 xlsx）")
    return text


def _rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_path(str(path))
            sheet = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises several types for bad files
            raise RosterError(f"名单文件无法读取：{exc}") from None
        return [["" if v is None else _cell_text(v) for v in row] for row in sheet]
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    try:  # a FIFO or device would block the read; a huge file is no roster
        check_input(path, what="名单文件", max_bytes=MAX_ROSTER_BYTES)
    except InputError as exc:
        raise RosterError(str(exc)) from None
    rows = [[c.strip() for c in r] for r in _rows(path)]
    # the header is the first of the top rows naming a name column (offices put titles above it)
    names = {a.lower() for a in _ALIASES["name"]}
    first = next((r for r in rows if any(r)), [])
    header, header_line = [norm_name(c).lower() for c in first], 0
    for line, row in enumerate(rows[:20], start=1):
        normed = [norm_name(c).lower() for c in row]
        if names & set(normed):
            header, header_line = normed, line
            break
    rows_iter = iter(enumerate(rows, start=1))
    cols: dict[str, int] = {}
    for field_name, aliases in _ALIASES.items():
        for i, h in enumerate(header):
            if h in {a.lower() for a in aliases}:
                cols.setdefault(field_name, i)
    if "name" not in cols:
        raise RosterError(
            f"名单文件 {path.name} 的表头中没有“name”或“机关名称”列（表头为：{'、'.join(header) or '空'}）"
        )
    roster = Roster(str(path))
    seen_code: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    years: dict[int, int] = {}
    for line, row in rows_iter:
        if line <= header_line or not any(row):
            continue

        def get(f: str, row: list[str] = row) -> str:
            i = cols.get(f)
            return row[i].strip() if i is not None and i < len(row) else ""

        name, code = get("name"), get("code").upper()
        where = dict(file=str(path), sheet=None, cell=f"第{line}行")
        if not name:
            roster.findings.append(
                Finding("COVER-MISSING", ERROR, f"名单第{line}行没有机关名称，已跳过", **where)
            )
            continue
        if code:
            problem = uscc_problem(code)
            if problem:
                roster.findings.append(
                    Finding(
                        "CODE-INVALID",
                        ERROR,
                        f"名单第{line}行“{name}”的统一社会信用代码 {code} 不正确：{problem}",
                        key="cover.code",
                        actual=code,
                        **where,
                    )
                )
            if code in seen_code:
                roster.findings.append(
                    Finding(
                        "DUPLICATE-SUBMISSION",
                        ERROR,
                        f"名单第{line}行“{name}”与第{seen_code[code]}行的统一社会信用代码相同（{code}）",
                        key="cover.code",
                        actual=code,
                        **where,
                    )
                )
                continue
            seen_code[code] = line
        n = norm_name(name)
        if n in seen_name and not code:
            roster.findings.append(
                Finding(
                    "DUPLICATE-SUBMISSION",
                    WARNING,
                    f"名单第{line}行“{name}”与第{seen_name[n]}行同名，且没有统一社会信用代码可以区分",
                    **where,
                )
            )
            continue
        seen_name.setdefault(n, line)
        roster.entries.append(RosterEntry(name, code, get("parent"), get("type"), line))
        if (y := get("year").removesuffix("年")).isdigit() and 2000 <= int(y) <= 2100:
            years[int(y)] = years.get(int(y), 0) + 1
    if years:  # the year most rows name
        roster.year = max(years.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return roster
