"""The form spec: ``workbook_templates/<id>.yaml`` loaded into frozen, typed objects.

The YAML describes the national format once; this module checks it, expands it and computes the
one layout (sheet, row, column of every label and value cell) that the template writer lays out
and the reader reads back. Nothing about a table's shape is written in Python: the layout engine
below is generic (paths of header labels merged like a pivot table's headers).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CellSpec",
    "CheckSpec",
    "FieldSpec",
    "FormSpec",
    "LabelCell",
    "RuleSpec",
    "SpecError",
    "TableSpec",
    "TypeSpec",
    "available_formats",
    "comparison_map",
    "detect_format",
    "load_spec",
    "spec_for_year",
]

Kind = Literal["input", "total", "cover", "text"]


class SpecError(ValueError):
    """A form spec file is malformed; the message says where and what."""


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    kind: Literal["int", "decimal"]
    unit: str
    label: str
    signed: bool = False  # a change (本年增/减) may be negative; counts and amounts may not


@dataclass(frozen=True, slots=True)
class CellSpec:
    """One addressable cell of the form, by its stable key."""

    key: str
    sheet: str  # the sheet's Chinese name, as the workbook shows it
    row: int  # 0-based
    col: int  # 0-based
    kind: Kind
    label: str  # human label: "表三 一、本年新收… / 自然人"
    type: TypeSpec | None = None  # None for cover and text cells
    parts: tuple[str, ...] = ()  # for totals: the keys it adds up
    rule: str | None = None  # for totals: the rule code that checks it
    table: str | None = None
    row_key: str | None = None
    col_key: str | None = None
    span: int = 1  # columns the value cell covers (merged across: 表二's one-column blocks)

    @property
    def a1(self) -> str:
        return cell_name(self.row, self.col)

    @property
    def ref(self) -> str:
        """As Excel shows it in messages: ``表三!J12``."""
        return f"{self.sheet}!{self.a1}"


@dataclass(frozen=True, slots=True)
class LabelCell:
    """A piece of fixed text the form carries (title, caption, header), possibly merged."""

    sheet: str
    row: int
    col: int
    last_row: int
    last_col: int
    text: str
    role: Literal["title", "caption", "corner", "col", "row", "field", "note"]

    @property
    def merged(self) -> bool:
        return (self.last_row, self.last_col) != (self.row, self.col)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    key: str
    label: str
    required: bool = False
    format: str | None = None
    hint: str = ""
    type: TypeSpec | None = None


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    severity: Literal["error", "warning"]
    kind: Literal["compare", "total", "builtin"]
    title: str
    check_label: str = ""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """One expanded instance of a data-driven rule: ``sum(lhs) op sum(rhs)``."""

    code: str
    severity: Literal["error", "warning"]
    label: str
    lhs: tuple[str, ...]
    op: Literal["==", "<=", ">="]
    rhs: tuple[str, ...]  # keys; empty means the constant below
    const: int = 0
    cell: str = ""  # key of the cell a finding points to
    when_zero: str | None = None


@dataclass(frozen=True, slots=True)
class TableSpec:
    id: str
    sheet: str
    title: str
    width: int  # columns used on the sheet
    keys: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # identity hash: specs are cached singletons
class FormSpec:
    id: str
    version: int
    name: str
    basis: str
    sha256: str
    sheets: dict[str, str]  # role -> Chinese sheet name
    types: dict[str, TypeSpec]
    cells: dict[str, CellSpec]  # every key, in form order
    labels: tuple[LabelCell, ...]
    tables: tuple[TableSpec, ...]
    cover: tuple[FieldSpec, ...]
    fees: tuple[FieldSpec, ...]
    texts: tuple[FieldSpec, ...]
    rules: dict[str, RuleSpec]
    checks: tuple[CheckSpec, ...]  # expanded compare rules, in YAML order
    guide_title: str
    guide_lines: tuple[str, ...]
    # the report years this format is for (inclusive; None = open) and the texts that identify it
    first_year: int | None = None
    last_year: int | None = None
    markers: tuple[str, ...] = ()
    # comparisons with other formats: other format id -> {key of this format: keys of the other
    # format that add up to it}; keys that both formats have mean the same (see the format docs)
    comparison: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # earlier template versions whose workbooks are still read, each in its own layout
    # (``load_spec(id, version=n)``); the current version is ``version``
    older_versions: tuple[int, ...] = ()

    def covers_year(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )

    # -- views -------------------------------------------------------------------------------
    @cached_property
    def numeric_keys(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.cells.items() if c.kind in ("input", "total"))

    @cached_property
    def input_keys(self) -> tuple[str, ...]:
        return tuple(k for k, c in self.cells.items() if c.kind == "input")

    @cached_property
    def total_keys(self) -> tuple[str, ...]:
        """Totals in an order where every total comes after the totals it adds up."""
        return _topo_totals(self.cells)

    def sheet(self, role: str) -> str:
        return self.sheets[role]

    def labels_on(self, sheet: str) -> tuple[LabelCell, ...]:
        return self._labels_by_sheet.get(sheet, ())

    @cached_property
    def _labels_by_sheet(self) -> dict[str, tuple[LabelCell, ...]]:
        out: dict[str, list[LabelCell]] = {}
        for lab in self.labels:
            out.setdefault(lab.sheet, []).append(lab)
        return {k: tuple(v) for k, v in out.items()}


# -- addresses -----------------------------------------------------------------------------------
def col_name(col: int) -> str:
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


@lru_cache(maxsize=8192)  # form cells repeat; detail sheets must not fill a cache
def cell_name(row: int, col: int) -> str:
    return f"{col_name(col)}{row + 1}"


# -- loading -------------------------------------------------------------------------------------
_PACKAGE = "toolkit.workbook_templates"


def _formats_dir() -> Any:
    """Where the shipped YAML files are: the source checkout's ``workbook_templates/`` next to this
    package when it is there (so a checkout or worktree reads its own files, whatever editable
    install is on the path), else the installed package data."""
    here = Path(__file__).resolve().parent
    for d in (here / "workbook_templates", here.parent / "workbook_templates"):
        if (d / "gov-2021.yaml").is_file():
            return d
    return resources.files(_PACKAGE)


def available_formats() -> list[str]:
    files = _formats_dir()
    return sorted(p.name.removesuffix(".yaml") for p in files.iterdir() if p.name.endswith(".yaml"))


@cache
def _shipped() -> tuple[str, ...]:
    return tuple(available_formats())


def spec_for_year(year: int | None) -> FormSpec:
    """The shipped format whose ``years`` cover ``year`` (gov-2019 for 2019–2020, gov-2021 from
    2021); the default format when no year is given or none covers it."""
    if year is not None:
        for fid in _shipped():
            spec = load_spec(fid)
            if spec.covers_year(year):
                return spec
    return load_spec()


def detect_format(text: str) -> FormSpec | None:
    """The shipped format whose ``detect`` texts occur most often in ``text`` (a published report
    or the labels of a workbook); None when none occurs."""
    best, hits = None, 0
    for fid in _shipped():
        spec = load_spec(fid)
        n = sum(1 for m in spec.markers if m in text)
        if n > hits:
            best, hits = spec, n
    return best


def comparison_map(a: FormSpec, b: FormSpec) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """What can be compared between a report in format ``a`` and one in format ``b``:
    comparison key -> (keys of ``a`` to add up, keys of ``b`` to add up). Keys both formats have
    mean the same; a stated ``comparison`` mapping in either YAML adds sums (2019 （六）其他处理 =
    the three 2021 sub-items). Every other key is not comparable."""
    if a is b or a.id == b.id:
        return {k: ((k,), (k,)) for k in a.numeric_keys}
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    b_keys = set(b.numeric_keys)
    for k in a.numeric_keys:
        if k in b_keys:
            out[k] = ((k,), (k,))
    for k, parts in a.comparison.get(b.id, {}).items():
        if all(p in b.cells for p in parts):
            out[k] = ((k,), parts)
    for k, parts in b.comparison.get(a.id, {}).items():
        if all(p in a.cells for p in parts):
            out[k] = (parts, (k,))
    return out


def load_spec(format_id: str = "gov-2021", version: int | None = None) -> FormSpec:
    """Load a shipped format by id (``gov-2021``) or a YAML file by path; the same object for the
    same id however it is asked for (``load_spec()`` is ``load_spec("gov-2021")``). ``version``:
    the layout of an earlier template version (one of ``older_versions``), to read workbooks it
    wrote."""
    return _load_spec(format_id, version)


@cache
def _load_spec(format_id: str, version: int | None = None) -> FormSpec:
    if format_id.endswith((".yaml", ".yml")):
        path = Path(format_id)
        text = path.read_bytes()
        where = str(path)
    else:
        res = _formats_dir() / f"{format_id}.yaml"
        if not res.is_file():
            raise SpecError(f"未知的报告格式 {format_id!r}；可用：{', '.join(available_formats())}")
        text = res.read_bytes()
        where = f"{format_id}.yaml"
    return _cached_parse(text, where, version)


# -- the parsed spec, cached -----------------------------------------------------------------------
# Every command needs the spec: parsing the YAML costs the import of PyYAML and ~5 ms of building,
# a third of what ``xxgk validate one.xlsx`` adds to the interpreter's start. The built FormSpec is
# pickled once into the user's cache directory under a name that is the hash of everything it is
# made of (the YAML's bytes, this module's source, the Python version): a changed YAML or toolkit
# gets a new file, never a stale spec. The cache is the user's own (like its bytecode); a file
# that does not load or is not the spec of these bytes is rebuilt. Any failure to read or write the
# cache only means parsing; ``XXGK_CACHE_DIR=`` (empty) switches it off.
_CACHE_FORMAT = 1


def _cache_dir() -> Path | None:
    given = os.environ.get("XXGK_CACHE_DIR")
    if given is not None:
        return Path(given) if given else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xxgk-toolkit"


def _cache_key(text: bytes, version: int | None = None) -> str:
    import sys

    h = hashlib.sha256(text)
    h.update(f"\0layout-version:{version}".encode())
    h.update(b"\0" + Path(__file__).read_bytes())
    h.update(f"\0{sys.version_info[:2]}\0{_CACHE_FORMAT}".encode())
    return h.hexdigest()[:40]


def _cached_parse(text: bytes, where: str, version: int | None = None) -> FormSpec:
    import pickle

    try:
        d = _cache_dir()
        path = d / "spec" / f"{_cache_key(text, version)}.pickle" if d is not None else None
    except OSError:
        path = None
    if path is not None:
        try:
            spec = pickle.loads(path.read_bytes())
            if isinstance(spec, FormSpec) and spec.sha256 == hashlib.sha256(text).hexdigest():
                return spec
        except Exception:  # missing, unreadable, truncated, from another version: parse
            pass
    spec = parse_spec(text, where, version)
    if path is not None:
        _write_cache(path, pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
    return spec


def _write_cache(path: Path, data: bytes) -> None:
    """Atomically (a reader sees the whole file or none); a failure is silent."""
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def parse_spec(text: bytes, where: str = "<spec>", version: int | None = None) -> FormSpec:
    import yaml  # only when a spec is parsed, not on every start (see the cache above)

    try:
        # libyaml's loader (in PyYAML's wheels) parses the shipped format 15x faster: every
        # command loads it at start; the pure-Python loader is the fallback (same result)
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise SpecError(f"{where}: not valid YAML: {exc}") from None
    return _Builder(raw, where, hashlib.sha256(text).hexdigest(), version).build()


class _Builder:
    def __init__(self, raw: Any, where: str, sha: str, version: int | None = None) -> None:
        self.raw = raw
        self.layout_version = version  # None: the current version
        self.where = where
        self.sha = sha
        self.cells: dict[str, CellSpec] = {}
        self.labels: list[LabelCell] = []

    # small checked accessors; every error names the path inside the YAML
    def fail(self, path: str, msg: str) -> SpecError:
        return SpecError(f"{self.where}: {path}: {msg}")

    def get(self, obj: Any, name: str, path: str, typ: type | tuple[type, ...] = str) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(path, "expected a mapping")
        if name not in obj:
            raise self.fail(f"{path}.{name}", "missing")
        val = obj[name]
        if not isinstance(val, typ):
            want = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
            raise self.fail(f"{path}.{name}", f"expected {want}, got {type(val).__name__}")
        return val

    def add_cell(self, cell: CellSpec, path: str) -> None:
        if cell.key in self.cells:
            raise self.fail(path, f"duplicate key {cell.key!r}")
        if not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)*", cell.key):
            raise self.fail(path, f"bad key {cell.key!r} (lower-case words joined by dots)")
        self.cells[cell.key] = cell

    def build(self) -> FormSpec:
        raw = self.raw
        if not isinstance(raw, dict):
            raise self.fail("<top>", "expected a mapping")
        fid = self.get(raw, "id", "<top>")
        version = self.get(raw, "version", "<top>", int)
        older = raw.get("older_versions", []) or []
        if not isinstance(older, list) or not all(isinstance(v, int) and 0 < v < version for v in older):
            raise self.fail("older_versions", "expected a list of earlier version numbers")
        if self.layout_version is None or self.layout_version == version:
            self.layout_version = version
        elif self.layout_version not in older:
            raise self.fail("version", f"no layout for template version {self.layout_version}")
        else:
            version = self.layout_version
        sheets = self.get(raw, "sheets", "<top>", dict)
        for role in ("guide", "cover", "checks", "meta"):
            if role not in sheets:
                raise self.fail(f"sheets.{role}", "missing")
        if len(set(sheets.values())) != len(sheets):
            raise self.fail("sheets", "two roles share a sheet name")
        self.sheets = {str(k): str(v) for k, v in sheets.items()}
        self.types = self._types()

        cover = self._fields(self.get(raw, "cover", "<top>", dict), "cover", typed=False)
        fees: tuple[FieldSpec, ...] = ()
        if "fields" in raw:  # structured figures outside the tables (2021: 信息处理费); optional
            fees = self._fields(self.get(raw, "fields", "<top>", dict), "fields", typed=True, items="items")
        texts_raw = self.get(raw, "texts", "<top>", dict)
        texts = self._texts(texts_raw)
        tables = tuple(
            self._table(t, f"tables[{i}]") for i, t in enumerate(self.get(raw, "tables", "<top>", list))
        )
        self._check_totals()
        order = {name: i for i, name in enumerate(self.sheets.values())}
        self.cells = dict(
            sorted(self.cells.items(), key=lambda kv: (order[kv[1].sheet], kv[1].row, kv[1].col))
        )
        rules, checks = self._rules()
        guide = self.get(raw, "guide", "<top>", dict)
        return FormSpec(
            id=fid,
            version=version,
            name=self.get(raw, "name", "<top>"),
            basis=self.get(raw, "basis", "<top>"),
            sha256=self.sha,
            sheets=self.sheets,
            types=self.types,
            cells=self.cells,
            labels=tuple(self.labels),
            tables=tables,
            cover=cover,
            fees=fees,
            texts=texts,
            rules=rules,
            checks=checks,
            guide_title=self.get(guide, "title", "guide"),
            guide_lines=tuple(self.get(guide, "lines", "guide", list)),
            **self._identity(),
            comparison=self._comparison(),
            older_versions=tuple(older) if version == self.get(raw, "version", "<top>", int) else (),
        )

    def _identity(self) -> dict[str, Any]:
        """``years: {first, last}`` and ``detect: [texts]``, both optional."""
        years = self.raw.get("years") or {}
        if not isinstance(years, dict):
            raise self.fail("years", "expected a mapping {first, last}")
        out: dict[str, Any] = {}
        for end in ("first", "last"):
            v = years.get(end)
            if v is not None and not isinstance(v, int):
                raise self.fail(f"years.{end}", "expected a year")
            out[f"{end}_year"] = v
        markers = self.raw.get("detect", [])
        if not isinstance(markers, list) or not all(isinstance(m, str) and m for m in markers):
            raise self.fail("detect", "expected a list of texts")
        out["markers"] = tuple(markers)
        return out

    def _comparison(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """``comparison: [{with, key, sum_of, for_each?}]``: a key of this format equals the sum
        of keys of another format (checked against that format when compared, not here)."""
        out: dict[str, dict[str, tuple[str, ...]]] = {}
        for i, m in enumerate(self.raw.get("comparison", []) or []):
            mp = f"comparison[{i}]"
            other = self.get(m, "with", mp)
            pattern = self.get(m, "key", mp)
            parts = self.get(m, "sum_of", mp, list)
            for sub in self._for_each(m.get("for_each"), mp):
                key = pattern.format(**sub)
                if key not in self.cells:
                    raise self.fail(mp, f"unknown key {key!r}")
                out.setdefault(other, {})[key] = tuple(str(p).format(**sub) for p in parts)
        return out

    def _for_each(self, fe: Any, rp: str) -> list[dict[str, str]]:
        """The substitutions of ``for_each: {table, axis: columns}``: {col, col_label} per column."""
        if not fe:
            return [{}]
        table = self.get(fe, "table", f"{rp}.for_each")
        cells = [c for c in self.cells.values() if c.table == table]
        if not cells:
            raise self.fail(f"{rp}.for_each.table", f"unknown table {table!r}")
        seen: dict[str, str] = {}
        for c in cells:
            if c.col_key is not None and c.col_key not in seen:
                header = [
                    lab.text
                    for lab in self.labels
                    if lab.sheet == c.sheet and lab.role == "col" and lab.col <= c.col <= lab.last_col
                ]
                seen[c.col_key] = header[-1] if header else c.col_key
        return [{"col": k, "col_label": v} for k, v in seen.items()]

    def _types(self) -> dict[str, TypeSpec]:
        out = {}
        for name, t in self.get(self.raw, "types", "<top>", dict).items():
            kind = self.get(t, "kind", f"types.{name}")
            if kind not in ("int", "decimal"):
                raise self.fail(f"types.{name}.kind", "must be int or decimal")
            signed = t.get("signed", False)
            if not isinstance(signed, bool):
                raise self.fail(f"types.{name}.signed", "must be true or false")
            out[name] = TypeSpec(name, kind, self.get(t, "unit", f"types.{name}"), t.get("label", ""), signed)
        if "int" not in out:
            raise self.fail("types", "an 'int' type is required (the default)")
        return out

    def _type(self, name: Any, path: str) -> TypeSpec:
        if name not in self.types:
            raise self.fail(path, f"unknown type {name!r}; known: {', '.join(self.types)}")
        return self.types[name]

    def _sheet(self, role: Any, path: str) -> str:
        if role not in self.sheets:
            raise self.fail(path, f"unknown sheet role {role!r}")
        return self.sheets[role]

    def _fields(self, obj: dict, path: str, *, typed: bool, items: str = "fields") -> tuple:
        sheet = self._sheet(self.get(obj, "sheet", path), f"{path}.sheet")
        # form layout: title row 0, (note row 1), header row, then one field a row:
        # label in column A, value in column B, unit/hint in column C.
        title = obj.get("title", "")
        self.labels.append(LabelCell(sheet, 0, 0, 0, 2, title, "title"))
        first = 3 if obj.get("note") else 2
        if obj.get("note"):
            self.labels.append(LabelCell(sheet, 1, 0, 1, 2, obj["note"], "note"))
        out = []
        for i, f in enumerate(self.get(obj, items, path, list)):
            fp = f"{path}.{items}[{i}]"
            key = self.get(f, "key", fp)
            label = self.get(f, "label", fp)
            typ = self._type(f.get("type", "int"), f"{fp}.type") if typed else None
            row = first + i
            self.labels.append(LabelCell(sheet, row, 0, row, 0, label, "field"))
            kind: Kind = "input" if typed else "cover"
            self.add_cell(CellSpec(key, sheet, row, 1, kind, label, typ), fp)
            out.append(
                FieldSpec(key, label, bool(f.get("required")), f.get("format"), f.get("hint", ""), typ)
            )
        return tuple(out)

    def _texts(self, obj: dict) -> tuple[FieldSpec, ...]:
        sheet = self._sheet(self.get(obj, "sheet", "texts"), "texts.sheet")
        self.labels.append(LabelCell(sheet, 0, 0, 0, 1, obj.get("title", ""), "title"))
        out = []
        for i, f in enumerate(self.get(obj, "items", "texts", list)):
            fp = f"texts.items[{i}]"
            key, heading = self.get(f, "key", fp), self.get(f, "heading", fp)
            row = 2 + i
            self.labels.append(LabelCell(sheet, row, 0, row, 0, heading, "field"))
            self.add_cell(CellSpec(key, sheet, row, 1, "text", heading), fp)
            out.append(FieldSpec(key, heading))
        return tuple(out)

    # -- tables: the generic header layout ------------------------------------------------------
    def _table(self, t: dict, path: str) -> TableSpec:
        tid = self.get(t, "id", path)
        sheet = self._sheet(self.get(t, "sheet", path), f"{path}.sheet")
        title = self.get(t, "title", path)
        pattern = self.get(t, "key", path)
        blocks = self.get(t, "blocks", path, list)
        since = t.get("joined_since")
        if since is not None and not isinstance(since, int):
            raise self.fail(f"{path}.joined_since", "expected a template version")
        # joined (the official 表二): the blocks follow without a blank row as one table, a block
        # narrower than the table widens its last column (header and values merged across)
        joined = since is not None and self.layout_version >= since
        full = 0
        for bi, b in enumerate(blocks):
            bp = f"{path}.blocks[{bi}]"
            cols = self.get(b, "columns", bp, list)
            rows = self.get(b, "rows", bp, list)
            rd = max((len(self.get(r, "path", f"{bp}.rows", list)) for r in rows), default=0)
            full = max(full, rd + len(cols))
        row0 = 2  # title in row 1, a blank row, then the blocks
        width = 0
        keys: list[str] = []
        for bi, b in enumerate(blocks):
            bp = f"{path}.blocks[{bi}]"
            cols = self.get(b, "columns", bp, list)
            rows = self.get(b, "rows", bp, list)
            if not cols or not rows:
                raise self.fail(bp, "a block needs columns and rows")
            rdepth = max(len(self.get(r, "path", f"{bp}.rows", list)) for r in rows)
            cdepth = max(len(self.get(c, "path", f"{bp}.columns", list)) for c in cols)
            bw = rdepth + len(cols)
            width = max(width, bw)
            extra = full - bw if joined else 0  # columns the block's last column spans besides its own
            r = row0
            if b.get("caption"):
                self.labels.append(LabelCell(sheet, r, 0, r, bw - 1 + extra, b["caption"], "caption"))
                r += 1
            if rdepth and cdepth:
                self.labels.append(
                    LabelCell(sheet, r, 0, r + cdepth - 1, rdepth - 1, b.get("corner", ""), "corner")
                )
            n0 = len(self.labels)
            self._headers(sheet, [c["path"] for c in cols], r, rdepth, cdepth, axis="col")
            if extra:
                for i in range(n0, len(self.labels)):
                    lab = self.labels[i]
                    if lab.last_col == bw - 1:
                        self.labels[i] = LabelCell(
                            lab.sheet,
                            lab.row,
                            lab.col,
                            lab.last_row,
                            lab.last_col + extra,
                            lab.text,
                            lab.role,
                        )
            data0 = r + cdepth
            self._headers(sheet, [rw["path"] for rw in rows], data0, 0, rdepth, axis="row")
            for i, rw in enumerate(rows):
                for j, c in enumerate(cols):
                    key = pattern.format(table=tid, row=rw.get("key"), col=c["key"])
                    typ = self._type(c.get("type", rw.get("type", "int")), f"{bp}.columns[{j}]")
                    rlab = "".join(rw["path"][-1:])
                    clab = c["path"][-1]
                    label = f"{sheet} {rlab}／{clab}" if rlab else f"{sheet} {'·'.join(c['path'])}"
                    cell = CellSpec(
                        key,
                        sheet,
                        data0 + i,
                        rdepth + j,
                        "input",
                        label,
                        typ,
                        table=tid,
                        row_key=rw.get("key"),
                        col_key=c["key"],
                        span=1 + extra if j == len(cols) - 1 else 1,
                    )
                    self.add_cell(cell, f"{bp}.rows[{i}]")
                    keys.append(key)
            self._mark_totals(pattern, tid, rows, cols, bp)
            row0 = data0 + len(rows) + (0 if joined else 1)
        self.labels.append(LabelCell(sheet, 0, 0, 0, max(width - 1, 0), title, "title"))
        width = full if joined else width
        return TableSpec(tid, sheet, title, width, tuple(keys))

    def _headers(
        self, sheet: str, paths: list[list[str]], start: int, offset: int, depth: int, axis: str
    ) -> None:
        """Lay out header labels along one axis; ``start`` is the first row (col axis: first
        header row; row axis: first data row), ``offset`` the first column."""
        n = len(paths)
        for level in range(depth):
            i = 0
            while i < n:
                p = paths[i]
                if level >= len(p):
                    i += 1
                    continue
                j = i
                while j + 1 < n and len(paths[j + 1]) > level and paths[j + 1][: level + 1] == p[: level + 1]:
                    j += 1
                last_level = depth - 1 if level == len(p) - 1 else level
                if axis == "col":
                    lab = LabelCell(
                        sheet,
                        start + level,
                        offset + i,
                        start + last_level,
                        offset + j,
                        str(p[level]),
                        "col",
                    )
                else:
                    lab = LabelCell(
                        sheet,
                        start + i,
                        offset + level,
                        start + j,
                        offset + last_level,
                        str(p[level]),
                        "row",
                    )
                self.labels.append(lab)
                i = j + 1

    def _mark_totals(self, pattern: str, tid: str, rows: list, cols: list, bp: str) -> None:
        def key(r: dict, c: dict) -> str:
            return pattern.format(table=tid, row=r.get("key"), col=c["key"])

        def mark(lines: list, others: list, what: str, key_of: Any) -> None:
            by_key = {line.get("key"): line for line in lines}
            for line in lines:
                if "total" not in line:
                    continue
                tot = self.get(line, "total", bp, dict)
                names = self.get(tot, "sum", f"{bp}.total", list)
                for n in names:
                    if n not in by_key:
                        raise self.fail(f"{bp}.{what}s.{line['key']}.total", f"unknown {what} {n!r}")
                for o in others:
                    parts = tuple(key_of(by_key[n], o) for n in names)
                    self._set_total(key_of(line, o), parts, tot.get("rule"), bp)

        # row totals first so that a column total (which wins at the corner) overrides them
        mark(rows, cols, "row", key)
        mark(cols, rows, "column", lambda c, r: key(r, c))

    def _set_total(self, k: str, parts: tuple[str, ...], rule: str | None, bp: str) -> None:
        if not rule:
            raise self.fail(bp, f"total {k!r} names no rule")
        c = self.cells[k]
        self.cells[k] = CellSpec(
            c.key,
            c.sheet,
            c.row,
            c.col,
            "total",
            c.label,
            c.type,
            parts,
            rule,
            c.table,
            c.row_key,
            c.col_key,
            c.span,
        )

    def _check_totals(self) -> None:
        _topo_totals(self.cells)  # raises on a cycle

    # -- rules -------------------------------------------------------------------------------
    def _rules(self) -> tuple[dict[str, RuleSpec], tuple[CheckSpec, ...]]:
        rules: dict[str, RuleSpec] = {}
        checks: list[CheckSpec] = []
        for i, r in enumerate(self.get(self.raw, "rules", "<top>", list)):
            rp = f"rules[{i}]"
            code = self.get(r, "code", rp)
            sev = self.get(r, "severity", rp)
            kind = self.get(r, "kind", rp)
            if sev not in ("error", "warning"):
                raise self.fail(f"{rp}.severity", "must be error or warning")
            if kind not in ("compare", "total", "builtin"):
                raise self.fail(f"{rp}.kind", "must be compare, total or builtin")
            if code in rules and rules[code].kind != kind:
                raise self.fail(rp, f"code {code} used with two kinds")
            rules.setdefault(
                code, RuleSpec(code, sev, kind, self.get(r, "title", rp), r.get("check_label", ""))
            )
            if kind == "compare":
                checks.extend(self._expand_compare(r, rp))
        for k, c in self.cells.items():
            if c.kind == "total" and (c.rule not in rules or rules[c.rule].kind != "total"):
                raise self.fail(f"cell {k}", f"total names rule {c.rule!r}, not a 'total' rule")
        return rules, tuple(checks)

    def _expand_compare(self, r: dict, rp: str) -> list[CheckSpec]:
        op = self.get(r, "op", rp)
        if op not in ("==", "<=", ">="):
            raise self.fail(f"{rp}.op", "must be ==, <= or >=")
        lhs = self.get(r, "lhs", rp, list)
        rhs = self.get(r, "rhs", rp, list)
        subs = self._for_each(r.get("for_each"), rp)
        out = []
        for s in subs:

            def fill(x: Any, s: dict = s) -> Any:
                return x.format(**s) if isinstance(x, str) else x

            lk = tuple(fill(x) for x in lhs)
            rk = tuple(fill(x) for x in rhs if isinstance(x, str))
            const = sum(x for x in rhs if isinstance(x, int | float) and not isinstance(x, bool))
            when = fill(r.get("when_zero")) if r.get("when_zero") else None
            cell = fill(self.get(r, "cell", rp))
            for k in (*lk, *rk, cell, *([when] if when else [])):
                if k not in self.cells:
                    raise self.fail(rp, f"unknown key {k!r}")
            label = fill(r.get("check_label", r.get("title", "")))
            out.append(CheckSpec(r["code"], r["severity"], label, lk, op, rk, int(const), cell, when))
        return out


def _topo_totals(cells: dict[str, CellSpec]) -> tuple[str, ...]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(k: str, trail: tuple[str, ...]) -> None:
        if state.get(k) == 2:
            return
        if state.get(k) == 1:
            raise SpecError(f"totals form a cycle: {' -> '.join((*trail, k))}")
        state[k] = 1
        for p in cells[k].parts:
            if p not in cells:
                raise SpecError(f"total {k!r} adds unknown key {p!r}")
            if cells[p].kind == "total":
                visit(p, (*trail, k))
        state[k] = 2
        order.append(k)

    for k, c in cells.items():
        if c.kind == "total":
            visit(k, ())
    return tuple(order)
