"""The roster: which agencies a district expects a report from (CSV or xlsx).

A header row names the columns ``name``, ``code``, ``parent``, ``type`` (or 机关名称/单位名称,
统一社会信用代码, 上级, 类型); only ``name`` is required. CSV may be UTF-8 (with or without BOM) or
GBK/GB18030, as Excel and WPS save it in China. Rows with a bad code or a duplicate are reported
as findings, never silently dropped.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.cells import decode_text
from toolkit.findings import ERROR, WARNING, Finding
from toolkit.inputs import InputError, check_input
from toolkit.oswords import os_reason
from toolkit.uscc import uscc_problem

__all__ = [
    "PARENT_SPLIT",
    "Roster",
    "RosterEntry",
    "RosterError",
    "markup_hint",
    "name_variant",
    "norm_name",
    "parent_path",
    "place_tails",
    "read_roster",
    "value_problem",
]

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


# Past this many agencies the roster is kept in a temporary database, not in memory (a province's
# 40,000 took 0.5 KB each in the merge's main process, and again in every worker it forked)
SPILL_AFTER = int(os.environ.get("XXGK_ROSTER_SPILL_AFTER") or 5000)


@dataclass
class Roster:
    path: str
    entries: list[RosterEntry] | _SpilledEntries = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    year: int | None = None  # from a year column (报告年度), when the roster has one

    def spill(self) -> None:
        """Move the entries (and the look-ups by code and name) to a temporary database: the
        same answers from ``find``/``similar``/``entries``, in the same order."""
        if isinstance(self.entries, list):
            self.entries = _SpilledEntries(self.entries)
            self.__dict__.pop("_idx", None)

    def _index(
        self,
    ) -> tuple[dict[str, RosterEntry], dict[str, list[RosterEntry]], dict[str, list[RosterEntry]]]:
        """By code, by normalised name, and by name without its place prefix (built once, and
        again only if the entries changed): every look-up is a dict access, so matching n files
        costs O(n), not O(n x roster)."""
        idx = self.__dict__.get("_idx")
        if idx is None or idx[0] != len(self.entries):
            by_code: dict[str, RosterEntry] = {}
            by_name: dict[str, list[RosterEntry]] = {}
            by_tail: dict[str, list[RosterEntry]] = {}
            for e in self.entries:
                if e.code:
                    by_code.setdefault(e.code, e)
                n = norm_name(e.name)
                by_name.setdefault(n, []).append(e)
                for t in place_tails(n):
                    by_tail.setdefault(t, []).append(e)
            idx = (len(self.entries), by_code, by_name, by_tail)
            self.__dict__["_idx"] = idx
        return idx[1], idx[2], idx[3]

    def find(self, name: str, code: str) -> RosterEntry | None:
        """Match by code where both have one, else by normalised name."""
        if isinstance(self.entries, _SpilledEntries):
            return self.entries.find(name, code)
        by_code, by_name, _ = self._index()
        code = (code or "").strip().upper()
        if code and code in by_code:
            return by_code[code]
        # no code match: a name that is unique in the roster identifies the agency (a mistyped
        # code must not turn a submitted agency into "missing" plus "unexpected")
        hits = by_name.get(norm_name(name), [])
        return hits[0] if len(hits) == 1 else None

    def like(self, name: str, code: str, limit: int = 50) -> list[RosterEntry]:
        """The entries a cover naming ``name`` with ``code`` may mean: its name (normalised), a
        place-prefix variant of it either way (:func:`place_tails`), or its code — indexed
        look-ups, at most ``limit`` (in roster order)."""
        if isinstance(self.entries, _SpilledEntries):
            return self.entries.like(name, code, limit)
        by_code, by_name, by_tail = self._index()
        n, code = norm_name(name), (code or "").strip().upper()
        found: dict[int, RosterEntry] = {}
        if n:
            for t in (n, *place_tails(n)):
                for e in by_name.get(t, []):
                    found[e.line] = e
            for e in by_tail.get(n, []):
                found[e.line] = e
        if code and code in by_code:
            found[by_code[code].line] = by_code[code]
        return sorted(found.values(), key=lambda e: e.line)[:limit]

    def similar(self, name: str) -> RosterEntry | None:
        """The roster entry whose name ``name`` is a place-prefix variant of (the kind of
        :func:`name_variant` an index finds: the same once a place prefix 省/市/区/县 … is removed
        from either side); None unless exactly one."""
        if isinstance(self.entries, _SpilledEntries):
            return self.entries.similar(name)
        _, by_name, by_tail = self._index()
        n = norm_name(name)
        found: dict[int, RosterEntry] = {}
        for t in place_tails(n):  # the file's name carries a prefix the roster's lacks
            for e in by_name.get(t, []):
                found[e.line] = e
        for e in by_tail.get(n, []):  # the roster's name carries a prefix the file's lacks
            found[e.line] = e
        return next(iter(found.values())) if len(found) == 1 else None


class _SpilledEntries(Sequence):
    """A roster's entries in a private temporary database (toolkit.spool's): iterated in order a
    page at a time, looked up by code, normalised name and name without its place prefix."""

    def __init__(self, entries: list[RosterEntry]) -> None:
        from toolkit.spool import _temp_db

        self._db, self._path = _temp_db(
            "CREATE TABLE e (seq INTEGER PRIMARY KEY, name TEXT, code TEXT, parent TEXT, type TEXT,"
            " line INTEGER, norm TEXT)"
        )
        self._n = len(entries)
        self._lock = threading.Lock()  # one connection, any thread (xxgk serve)
        db = self._db
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO e VALUES (?,?,?,?,?,?,?)",
            ((i, e.name, e.code, e.parent, e.type, e.line, norm_name(e.name)) for i, e in enumerate(entries)),
        )
        db.execute("CREATE TABLE t (tail TEXT, seq INTEGER)")
        db.executemany(
            "INSERT INTO t VALUES (?, ?)",
            ((t, i) for i, e in enumerate(entries) for t in place_tails(norm_name(e.name))),
        )
        db.execute("CREATE INDEX e_code ON e (code, seq)")
        db.execute("CREATE INDEX e_norm ON e (norm, seq)")
        db.execute("CREATE INDEX t_tail ON t (tail, seq)")
        db.execute("COMMIT")

    _COLS = "name, code, parent, type, line"

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[RosterEntry]:
        last = -1
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT seq, {self._COLS} FROM e WHERE seq > ? ORDER BY seq LIMIT 1000", (last,)
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (RosterEntry(*r[1:]) for r in rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLS} FROM e WHERE seq = ?", (i,)).fetchone()
        if row is None:
            raise IndexError(i)
        return RosterEntry(*row)

    def _where(self, cond: str, args: tuple[Any, ...], limit: int) -> list[RosterEntry]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLS} FROM e WHERE {cond} ORDER BY seq LIMIT {limit}", args
            ).fetchall()
        return [RosterEntry(*r) for r in rows]

    def find(self, name: str, code: str) -> RosterEntry | None:
        code = (code or "").strip().upper()
        if code and (hit := self._where("code = ?", (code,), 1)):
            return hit[0]
        hits = self._where("norm = ?", (norm_name(name),), 2)
        return hits[0] if len(hits) == 1 else None

    def like(self, name: str, code: str, limit: int = 50) -> list[RosterEntry]:
        n, code = norm_name(name), (code or "").strip().upper()
        names = [n, *place_tails(n)] if n else []
        parts, args = [], []
        if names:
            parts.append(f"SELECT seq FROM e WHERE norm IN ({','.join('?' * len(names))})")
            parts.append("SELECT seq FROM t WHERE tail = ?")
            args += [*names, n]
        if code:
            parts.append("SELECT seq FROM e WHERE code = ?")
            args.append(code)
        if not parts:
            return []
        return self._where(f"seq IN ({' UNION '.join(parts)})", tuple(args), limit)

    def similar(self, name: str) -> RosterEntry | None:
        n = norm_name(name)
        tails = place_tails(n)
        marks = ",".join("?" * len(tails))
        query = (
            f"SELECT DISTINCT line, {self._COLS} FROM e WHERE seq IN ("
            + (f"SELECT seq FROM e WHERE norm IN ({marks}) UNION " if tails else "")
            + "SELECT seq FROM t WHERE tail = ?) LIMIT 3"
        )
        with self._lock:
            rows = self._db.execute(query, (*tails, n)).fetchall()
        lines = {r[0] for r in rows}
        return RosterEntry(*rows[0][1:]) if len(lines) == 1 else None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Sequence)
            and len(other) == self._n
            and all(a == b for a, b in zip(self, other, strict=True))
        )

    def __reduce__(self):  # pickled (sent elsewhere): as the plain list
        return (list, (list(self),))

    def close(self) -> None:
        from toolkit.spool import _close_db

        db, self._db = self._db, None
        _close_db(db, self._path)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_PLACE_END = "省市区县州盟旗"


def place_tails(name: str) -> list[str]:
    """``name`` without each of its leading place names: "示例省示例市青川区民政局" gives
    "示例市青川区民政局", "青川区民政局" (never the bare last part: a tail keeps at least two
    characters after the place it follows)."""
    out = []
    for i, ch in enumerate(name[:24]):
        if ch in _PLACE_END and len(name) - i - 1 >= 2:
            out.append(name[i + 1 :])
    return out


_ALSO_CALLED = re.compile(r"\([^()]{1,40}\)$")  # a trailing （另一名称）, brackets unified by NFKC
_HANZI = re.compile(r"[\u4e00-\u9fff]+")


def name_variant(name: str, roster_name: str) -> bool:
    """Whether ``name`` (a cover's) is the roster's ``roster_name`` as people write it: the same
    once normalised (:func:`norm_name`); once a leading place name is taken off one of them
    ("示例市青川区民政局" ~ "青川区民政局" ~ "民政局"; :func:`place_tails`); once a trailing bracketed
    other name is left off ("青川区人民政府办公室（青川区外事办公室）" ~ "青川区人民政府办公室"); or,
    both in Chinese characters only, one the other's abbreviation — its characters in the same
    order ("青川区发改委" ~ "青川区发展和改革委员会").

    The one definition of a name *variant*: ``xxgk merge`` and ``xxgk serve`` accept a cover by it
    (a variant of the agency's own name is a 提示; any other name with its code, an error), and
    ``Roster.similar`` looks up its place-prefix kind. Another body's name, or markup or Latin
    letters around the name, are not variants."""
    a, b = norm_name(name), norm_name(roster_name)
    if not a or not b:
        return False

    base_a = {a, _ALSO_CALLED.sub("", a) or a}
    base_b = {b, _ALSO_CALLED.sub("", b) or b}
    tails_a = {t for x in base_a for t in place_tails(x)}
    tails_b = {t for y in base_b for t in place_tails(y)}
    # a name against the other's names and tails, never a tail against a tail ("民政局" is the
    # tail of both 青川区民政局 and 示例市民政局); an abbreviation is of a whole name, not of a tail
    for x, y in [
        *((x, y) for x in base_a for y in base_b | tails_b),
        *((x, y) for x in tails_a for y in base_b),
    ]:
        if x == y:
            return True
        short, long = (x, y) if len(x) <= len(y) else (y, x)
        whole = short in base_a or short in base_b
        if whole and _HANZI.fullmatch(short) and _HANZI.fullmatch(long) and _in_order(short, long):
            return True
    return False


def _in_order(short: str, long: str) -> bool:
    """Every character of ``short`` in ``long``, in the same order (an abbreviation)."""
    it = iter(long)
    return all(ch in it for ch in short)


def _decode(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise RosterError("名单文件编码无法识别（请另存为 UTF-8 或 GBK 编码的 CSV，或 xlsx）")
    return text


# Bounds: a roster is a list of a district's agencies (a few hundred, 20,000 for a province); it
# is read within these limits whatever the file holds, and refused (RosterError) beyond them.
MAX_ROSTER_BYTES = 20 * 1024 * 1024
MAX_ROSTER_ROWS = 100_000
MAX_ROSTER_COLS = 64  # columns further right are ignored (the roster needs four)
MAX_ROSTER_CELLS = 1_000_000  # cells with content (xlsx), or the used range calamine builds (xls/ods)


def _rows(path: Path) -> list[list[str]]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RosterError(f"名单文件无法读取：{os_reason(exc)}") from None
    if size > MAX_ROSTER_BYTES:
        raise RosterError(
            f"名单文件过大（{size / 1048576:.0f} MB，上限 {MAX_ROSTER_BYTES // 1048576} MB），请只保留名单本身"
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if (
        head.startswith(b"PK")
        or head.startswith(b"\xd0\xcf\x11\xe0")
        or path.suffix.lower()
        in (
            ".xlsx",
            ".xlsm",
            ".xls",
            ".ods",
        )
    ):
        return _sheet_rows(path)
    text = _decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            if len(rows) >= MAX_ROSTER_ROWS:
                raise RosterError(f"名单超过 {MAX_ROSTER_ROWS:,} 行，请检查是否选错了文件")
            rows.append(row[:MAX_ROSTER_COLS])
    except csv.Error as exc:
        why = "某一格的内容过长" if "field limit" in str(exc) else f"格式有误：{exc}"
        raise RosterError(
            f"名单文件第 {reader.line_num} 行无法读取（{why}），请检查后另存为 CSV 或 xlsx"
        ) from None
    return rows


def _sheet_rows(path: Path) -> list[list[str]]:
    """The first sheet of an xlsx (streamed, bounded) or xls/ods (python-calamine, after the
    used range is measured) as rows of text."""
    from toolkit import reader as rd

    try:
        data = path.read_bytes()
        _kind, zf = rd._sniff_bytes(data)
        if zf is not None:
            try:
                return _xlsx_rows(zf, data)
            finally:
                zf.close()
        rd.check_calamine_bounds(path, limit=MAX_ROSTER_CELLS)
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        try:
            sheet = wb.get_sheet_by_index(0).to_python(skip_empty_area=False, nrows=MAX_ROSTER_ROWS + 1)
        finally:
            wb.close()
    except RosterError:
        raise
    except rd._Unreadable as exc:
        raise RosterError(f"名单文件无法读取：{exc.message}") from None
    except MemoryError:
        raise RosterError("名单文件无法读取：内存不足（文件过大）") from None
    except Exception as exc:  # calamine/zip raise several types for bad files
        raise RosterError(f"名单文件无法读取：{str(exc)[:200] or type(exc).__name__}") from None
    if len(sheet) > MAX_ROSTER_ROWS:
        raise RosterError(f"名单超过 {MAX_ROSTER_ROWS:,} 行，请检查是否选错了文件")
    return [["" if v is None else _cell_text(v) for v in row[:MAX_ROSTER_COLS]] for row in sheet]


def _xlsx_rows(zf: object, data: bytes) -> list[list[str]]:
    """The first sheet's cells, streamed with expat: memory grows with the cells kept (at most
    MAX_ROSTER_ROWS x MAX_ROSTER_COLS), never with the used range a file claims."""
    from toolkit import reader as rd

    assert isinstance(zf, rd.ZipLike)  # zipfile.ZipFile, or the reader's own central directory
    parts = list(rd._sheet_parts(zf).values())
    if not parts or parts[0] not in zf.NameToInfo:
        raise RosterError("名单文件中没有工作表")
    strings = rd._shared_strings(zf, data)
    rows: dict[int, dict[int, str]] = {}
    kept = 0

    def cell(row: int, col: int, t: str, raw: str) -> None:
        nonlocal kept
        if row >= MAX_ROSTER_ROWS:
            raise RosterError(f"名单超过 {MAX_ROSTER_ROWS:,} 行，请检查是否选错了文件")
        if col < MAX_ROSTER_COLS and raw.strip():
            val: object = raw
            if t == "n":
                with contextlib.suppress(ValueError):
                    val = float(raw)
            kept += 1
            if kept > MAX_ROSTER_CELLS:
                raise RosterError(f"名单中有内容的单元格超过 {MAX_ROSTER_CELLS:,} 个，请只保留名单本身")
            rows.setdefault(row, {})[col] = _cell_text(val)

    rd.stream_cells(zf, parts[0], strings, cell)
    if not rows:
        return []
    width = 1 + max(max(r) for r in rows.values())
    return [
        [rows.get(i, {}).get(c, "") for c in range(width)] if i in rows else [] for i in range(1 + max(rows))
    ]


def _shown(header: str) -> str:
    """A header cell as a message may quote it (short, visible characters only)."""
    text = "".join(ch for ch in header if unicodedata.category(ch)[0] != "C")
    return text[:20]


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


# What a roster cell may hold. A name, a code, a place: never control or invisible characters
# (ESC colours a terminal, U+202E turns text around), never markup, never a paragraph.
MAX_NAME_CHARS = 100  # the longest real agency names are about 40 characters
MAX_PARENT_CHARS = 200  # 省/市/区/街道: a few places of up to 20 characters each
MAX_TYPE_CHARS = 50
PARENT_SPLIT = re.compile(r"\s*[/／>＞]\s*")  # 上级 as a path: 示例省/示例市/青川区 (also ／ > ＞)
_FIELD_LABEL = {"name": "机关名称", "parent": "上级", "type": "类型"}


def parent_path(parent: str) -> tuple[str, ...]:
    """The places of a 上级 value, top first (empty parts of ``a//b`` or a leading ``/`` dropped)."""
    return tuple(x for x in PARENT_SPLIT.split(parent.strip()) if x) if parent and parent.strip() else ()


def _invisible(text: str) -> list[str]:
    return sorted(
        {f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")}
    )


def value_problem(field_name: str, value: str) -> str | None:
    """Why a roster value cannot stand for what its column means (Chinese), or None. The same
    rules for a --regions file's places (field ``parent``)."""
    limit = {"name": MAX_NAME_CHARS, "parent": MAX_PARENT_CHARS}.get(field_name, MAX_TYPE_CHARS)
    if len(value) > limit:
        return f"长度为 {len(value):,} 个字符，超过上限 {limit}，不像{_FIELD_LABEL.get(field_name, '名称')}"
    if bad := _invisible(value):
        return f"含有不可见的控制字符（{'、'.join(bad[:5])}），请删除后重新保存"
    if field_name == "parent":  # > and ＞ separate places there; < never belongs
        if "<" in value or "＜" in value:
            return "含有“<”（像网页标记），不像地区名称"
        for part in parent_path(value):
            if part in (".", "..") or not any(ch.isalnum() for ch in part):
                return f"地区“{part}”不是地区名称（上级按 / 分级，每一级应为地区名称）"
        return None
    return None


def markup_hint(value: str) -> str | None:
    """A name or 类型 holding < or > (markup pasted from a web page, or worse): read as written,
    and said (a ROSTER-VALUE warning); pages and files escape it like any text."""
    if "<" in value or ">" in value:
        return "含有“<”或“>”（像网页标记），请核对；页面和文件中按原文字显示，不会当作网页标记"
    return None


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
    raw_header = rows[header_line - 1] if header_line else first
    first_header = [_shown(c) for c in raw_header] + [""] * len(_ALIASES)
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
        bad = [
            (f, why) for f in ("name", "parent", "type") if f in cols and (why := value_problem(f, get(f)))
        ]
        hints = [(f, why) for f in ("name", "type") if f in cols and (why := markup_hint(get(f)))]
        found = [(f, why, ERROR) for f, why in bad] + [(f, why, WARNING) for f, why in hints]
        for f, why, severity in sorted(found, key=lambda x: cols[x[0]]):
            col = cols[f]
            roster.findings.append(
                Finding(
                    "ROSTER-VALUE",
                    severity,
                    f"名单 {path.name} 第{line}行第{col + 1}列（{first_header[col] or _FIELD_LABEL[f]}）"
                    f"{why}" + ("；此行未读入" if severity == ERROR else ""),
                    **where,
                )
            )
        if bad:  # the row is left out: a name or place that cannot be shown, matched or placed
            continue
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
                        f"名单第{line}行“{name}”与第{seen_code[code]}行的统一社会信用代码相同（{code}）；"
                        "此行未读入，请改正名单",
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
                    f"名单第{line}行“{name}”与第{seen_name[n]}行同名，且没有统一社会信用代码可以区分；"
                    "此行未读入，请改正名单",
                    **where,
                )
            )
            continue
        seen_name.setdefault(n, line)
        roster.entries.append(RosterEntry(name, code, get("parent"), get("type"), line))
        # ASCII digits, 4 of them: a year "²" passed isdigit() and int() raised (a traceback)
        if (
            len(y := get("year").removesuffix("年")) == 4
            and y.isascii()
            and y.isdigit()
            and 2000 <= int(y) <= 2100
        ):
            years[int(y)] = years.get(int(y), 0) + 1
    if years:  # the year most rows name
        roster.year = max(years.items(), key=lambda kv: (kv[1], kv[0]))[0]
    if len(roster.entries) > SPILL_AFTER:
        roster.spill()
    return roster
