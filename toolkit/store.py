"""The archive: every agency's report for every year, in one SQLite file (``xxgk.db``).

This is the only module that speaks SQL. Everything else (``xxgk archive``, ``xxgk trend``,
``--archive`` on validate/merge, the web workbench later) goes through :class:`Store`, so a larger
deployment can put a server database behind the same methods. The schema is plain SQL, written
out in ``docs/archive-schema.md`` and readable by any SQLite tool (sqlite3, datasette, pandas).

Model: an *agency* (matched by 统一社会信用代码, else by name) has one *submission* per report
year and source (a filled workbook, a district summary, a published report); each different file
for it is a *version*, one of which is *current*: the one that counts by the rule ``xxgk merge``
counts files by (:mod:`toolkit.counting`: the same content once, else the one version that passes
validation; two different versions that both pass, or none, make no version current until someone
chooses), unless someone chose one explicitly (``choose``), which then stands until chosen
otherwise. Source files are kept byte for byte, by content hash, and are never updated or deleted
(the database refuses it). Values are stored sparsely: a key that is not stored is 0.

Writes are transactions (``BEGIN IMMEDIATE`` … ``COMMIT``) in WAL mode: a process killed in the
middle leaves the database as it was before the transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.findings import ERROR, Finding
from toolkit.model import Number, Submission, compute_totals
from toolkit.oswords import os_reason
from toolkit.roster import Roster, norm_name
from toolkit.spec import load_spec

if TYPE_CHECKING:
    from toolkit.validate import PreviousIndex

__all__ = [
    "DEFAULT_DB",
    "SOURCES",
    "AddResult",
    "Agency",
    "Store",
    "StoreError",
    "Undecided",
    "Version",
    "add_paths",
]

DEFAULT_DB = "xxgk.db"
SCHEMA_VERSION = 1
SOURCES = ("workbook", "summary", "report")  # also the preference order for last year's figures
_KIND_INPUT, _KIND_TOTAL, _KIND_REPORTED = 0, 1, 2
_KIND_UNKNOWN = 3  # a number an import did not find (value 0, never read as one): unknown
# a number an import did not read but derived from the table's arithmetic (由合计推算; its value is
# the kind-0/1/2 row beside it, this one a mark with value 0): an archive of before has none, and
# a release of before reading this one leaves the mark aside (it reads kinds 0-3 by name)
_KIND_DERIVED = 4

SCHEMA = """
CREATE TABLE IF NOT EXISTS agencies (
    id          INTEGER PRIMARY KEY,
    code        TEXT UNIQUE,              -- 统一社会信用代码 (upper case); NULL when never given
    name        TEXT NOT NULL,            -- as in the file added last
    norm_name   TEXT NOT NULL,            -- NFKC, no spaces: what names are matched by
    parent      TEXT NOT NULL DEFAULT ''  -- 上级/所属地区 from the file added last (the district)
);
CREATE INDEX IF NOT EXISTS agencies_norm_name ON agencies(norm_name);
CREATE INDEX IF NOT EXISTS agencies_parent ON agencies(parent);

CREATE TABLE IF NOT EXISTS files (       -- rowid order: new files are appended, not scattered
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,     -- hex SHA-256 of content
    size        INTEGER NOT NULL,
    name        TEXT NOT NULL,            -- file name when first added
    content     BLOB NOT NULL,            -- the source file, byte for byte
    added_at    TEXT NOT NULL             -- ISO 8601, UTC
);
CREATE TRIGGER IF NOT EXISTS files_no_update BEFORE UPDATE ON files
    BEGIN SELECT RAISE(ABORT, 'archived files are never modified'); END;
CREATE TRIGGER IF NOT EXISTS files_no_delete BEFORE DELETE ON files
    BEGIN SELECT RAISE(ABORT, 'archived files are never deleted'); END;

CREATE TABLE IF NOT EXISTS submissions (  -- one row per agency x year x source
    id              INTEGER PRIMARY KEY,
    agency_id       INTEGER NOT NULL REFERENCES agencies(id),
    year            INTEGER NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('workbook', 'summary', 'report')),
    current_version INTEGER REFERENCES versions(id),
    chosen_by       TEXT NOT NULL DEFAULT 'rule' CHECK (chosen_by IN ('rule', 'explicit')),
    UNIQUE (agency_id, year, source)
);
CREATE INDEX IF NOT EXISTS submissions_year ON submissions(year, agency_id);

CREATE TABLE IF NOT EXISTS versions (     -- one row per different file of a submission
    id            INTEGER PRIMARY KEY,    -- increasing: later added, higher id
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    file_sha256   TEXT NOT NULL REFERENCES files(sha256),
    file_name     TEXT NOT NULL,
    format        TEXT NOT NULL,          -- gov-2019 / gov-2021
    valid         INTEGER NOT NULL,       -- 1: no error findings
    errors        INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    incomplete    INTEGER NOT NULL DEFAULT 0,  -- 1: a sheet could not be read
    cover         TEXT NOT NULL,          -- JSON: agency, code, parent, year, contact, ...
    texts         TEXT NOT NULL DEFAULT '{}',  -- JSON: the report's text sections
    added_at      TEXT NOT NULL,
    UNIQUE (submission_id, file_sha256)
);
CREATE INDEX IF NOT EXISTS versions_file ON versions(file_sha256);

CREATE TABLE IF NOT EXISTS cell_keys (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE             -- stable cell key, e.g. t3.new_received.total
);

CREATE TABLE IF NOT EXISTS cell_values (  -- sparse: a key not stored is 0
    version_id INTEGER NOT NULL REFERENCES versions(id),
    key_id     INTEGER NOT NULL REFERENCES cell_keys(id),
    kind       INTEGER NOT NULL,          -- 0 input, 1 total (recomputed), 2 total as reported,
                                          -- 3 not found (unknown), 4 derived (由合计推算): marks, value 0
    value      NOT NULL,                  -- INTEGER; TEXT holding an exact decimal for amounts
    PRIMARY KEY (version_id, key_id, kind)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS findings (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    seq        INTEGER NOT NULL,
    code       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    sheet      TEXT,
    cell       TEXT,
    key        TEXT,
    message    TEXT NOT NULL,
    expected   TEXT,                      -- JSON
    actual     TEXT,                      -- JSON
    PRIMARY KEY (version_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS findings_code ON findings(code);

CREATE VIEW IF NOT EXISTS current_values AS  -- the current version's figures, by name
    SELECT a.id AS agency_id, a.name AS agency, a.code, a.parent, s.year, s.source,
           v.id AS version_id, v.format, k.key, cv.value
    FROM submissions s
    JOIN agencies a ON a.id = s.agency_id
    JOIN versions v ON v.id = s.current_version
    JOIN cell_values cv ON cv.version_id = v.id AND cv.kind IN (0, 1)
    JOIN cell_keys k ON k.id = cv.key_id;
"""


class StoreError(Exception):
    """The archive cannot be used (not an archive, a newer schema, unknown version)."""


APPLICATION_ID = 0x5858474B  # "XXGK" in the SQLite header (PRAGMA application_id): our file
OUR_TABLES = frozenset(
    ("agencies", "files", "submissions", "versions", "cell_keys", "cell_values", "findings")
)
BUSY_MS = 5_000  # a statement waits this long for a lock before the longer, announced wait
WAIT_SECONDS = 600  # a write waits this long for another process's transaction (one file each)
CHECK_STEPS = 50_000  # quick_check: progress-handler calls (x 1000 VM steps) before it stops
_MAGIC = b"SQLite format 3\x00"
_checked: dict[tuple, bool] = {}  # files already checked in this process (path, device, inode)
# files recognised as archives in this process (path, device, inode): their header, read once,
# before this process had any connection to them (see _read_head)
_recognized: dict[tuple, bytes] = {}
_recognizing = threading.RLock()


def _uri(path: Path, **params: str) -> str:
    q = "&".join(f"{k}={v}" for k, v in params.items())
    return path.resolve().as_uri() + ("?" + q if q else "")


def _locked(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _damaged(path: Path, why: str = "") -> StoreError:
    return StoreError(
        f"档案库 {path} 已损坏（SQLite 完整性检查未通过{'：' + why if why else ''}），未作任何修改；"
        "请用备份恢复，或用 sqlite3 的 .recover 导出可读的数据"
    )


def _db_problem(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "malformed" in text or "corrupt" in text or isinstance(exc, sqlite3.DataError):
        return str(_damaged(path, text))
    if "not a database" in text or "encrypted" in text:
        return f"{path} 不是档案库（SQLite 数据库）：{text}"
    if "readonly" in text or "read-only" in text:
        return f"档案库 {path} 是只读的（没有写入权限），只能查看，不能存入或修改"
    if _locked(exc):
        return f"档案库 {path} 被另一进程占用，请稍后重试"
    if "disk is full" in text or "disk I/O error" in text:  # SQLite's words, never shown
        why = "所在磁盘空间已满" if "full" in text else "写入失败（磁盘空间已满或磁盘出错）"
        return (
            f"档案库 {path} {why}：未完成的操作没有留下任何改动，此前存入的内容保持不变；"
            "请清理磁盘后重新运行（已存入的文件再次存入不变）"
        )
    return f"无法使用档案库 {path}：{text}"


def _readonly(db: sqlite3.Connection) -> bool:
    return bool(getattr(db, "_xxgk_ro", False))


class _Conn(sqlite3.Connection):
    _xxgk_ro = False


def _open_checked(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` after recognising the file, before anything can write to it:
    not SQLite, another program's database (its application_id, or tables and none of ours), or
    damaged (``PRAGMA quick_check``) are refused. The checks only read: the recognition through an
    ``immutable`` read-only connection (no journal, no -wal/-shm files)."""
    key = _file_key(path)
    with _recognizing:  # no other thread of this process connects while the header is read
        known = key is not None and key in _recognized
        head = _recognized[key] if known else _read_head(path)
        db = _connect_recognized(path, head, known)
        if key is not None and head:
            _recognized[key] = head
    return db


def _remember(path: Path) -> None:
    """``path`` is an archive this process opened (or made): later connections skip reading its
    header with a file handle of their own (see :func:`_read_head`)."""
    key = _file_key(path)
    if key is not None:
        with _recognizing:
            _recognized.setdefault(key, b"")


def _file_key(path: Path) -> tuple | None:
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_dev, st.st_ino)
    except OSError:
        return None


def _read_head(path: Path) -> bytes:
    """The file's first 100 bytes, read with a file handle of its own. Only for a file this
    process has no SQLite connection to: closing any handle of a file drops every POSIX lock the
    process holds on it, and a connection that lost its WAL-mode lock lets another process (xxgk
    archive add, closing) delete the -wal and -shm under it ("disk I/O error", lost writes)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(100)
    except FileNotFoundError:
        return b""
    except IsADirectoryError:
        raise StoreError(f"{path} 是文件夹，不是档案库") from None
    except OSError as exc:
        raise StoreError(f"无法读取档案库 {path}（{os_reason(exc)}）") from None


def _connect_recognized(path: Path, head: bytes, known: bool) -> sqlite3.Connection:
    """``known``: this process recognised the file before (``head`` is what it read then, or
    empty for an archive it made)."""
    if known:
        head = head or b"\0" * 18 + b"\2" + b"\0" * 81
    elif head and (len(head) < 100 or not head.startswith(_MAGIC)):
        raise StoreError(f"{path} 不是档案库（SQLite 数据库）")
    foreign = StoreError(
        f"{path} 是其他程序的 SQLite 数据库，不是 xxgk 档案库；未作任何修改（请用 --db 指定档案库文件）"
    )
    exists = bool(head)
    if exists and not known:
        app_id = int.from_bytes(head[68:72], "big")
        user_version = int.from_bytes(head[60:64], "big")
        if app_id not in (0, APPLICATION_ID):
            raise foreign
        if app_id == 0:  # an archive made before the application_id, an empty file, or another's
            try:
                con = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True)
                try:
                    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                finally:
                    con.close()
            except sqlite3.DatabaseError as exc:
                raise StoreError(_db_problem(path, exc)) from None
            if (names or user_version) and not names >= OUR_TABLES:
                raise foreign
    folder = path.parent if str(path.parent) else Path(".")
    writable = os.access(folder, os.W_OK) and (not exists or os.access(path, os.W_OK))
    try:
        if writable:
            db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_MS / 1000, factory=_Conn)
        else:
            if not exists:
                raise StoreError(f"无法建立档案库 {path}：没有写入权限")
            wal = Path(str(path) + "-wal")
            quiet = head[18] == 2 and (not wal.exists() or wal.stat().st_size == 0)
            params = {"mode": "ro", **({"immutable": "1"} if quiet else {})}
            db = sqlite3.connect(
                _uri(path, **params), uri=True, isolation_level=None, timeout=BUSY_MS / 1000, factory=_Conn
            )
            db._xxgk_ro = True
    except sqlite3.DatabaseError as exc:
        raise StoreError(_db_problem(path, exc)) from None
    if exists:
        try:
            _quick_check(db, path)
        except BaseException:
            db.close()
            raise
    return db


def _quick_check(db: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` (b-tree structure, record formats) once per file in a process (a
    server opening the archive for every request checks it once; what it then writes is SQLite's
    own), bounded: a very large archive is checked as far as ``CHECK_STEPS`` reach."""
    try:
        st = path.stat()
        key: tuple | None = (str(path.resolve()), st.st_dev, st.st_ino)
    except OSError:
        key = None
    if key is not None and key in _checked:
        return
    steps = [0]

    def progress() -> int:
        steps[0] += 1
        return int(steps[0] > CHECK_STEPS)  # non-zero: stop (the check is then left unfinished)

    db.set_progress_handler(progress, 1000)
    try:
        rows = db.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise StoreError(_db_problem(path, exc)) from None
        rows = [("ok",)]  # beyond the bound: SQLite still refuses any damaged page it reads
    except sqlite3.DatabaseError as exc:
        raise StoreError(_db_problem(path, exc)) from None
    finally:
        db.set_progress_handler(None, 0)
    if rows != [("ok",)]:
        why = " ".join(" ".join(str(r[0]).replace("*** in database main ***", "").split()) for r in rows[:2])
        raise _damaged(path, why[:300])
    if key is not None:
        _checked[key] = True


@dataclass(frozen=True, slots=True)
class Agency:
    id: int
    name: str
    code: str | None
    parent: str


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    submission_id: int
    agency_id: int
    agency: str
    code: str | None
    parent: str
    year: int
    source: str
    format: str
    file_sha256: str
    file_name: str
    valid: bool
    errors: int
    warnings: int
    added_at: str
    current: bool
    chosen_by: str
    # a district summary the toolkit wrote while agencies were missing, faulty or left out
    # (its SUMMARY-INCOMPLETE finding, as validate and merge give it): it passes its checks, but
    # it is not the whole district
    summary_incomplete: bool = False


MAX_CHOICES_SAID = 4  # versions whose choose command is spelled out; beyond, the newest two


@dataclass(frozen=True, slots=True)
class Undecided:
    """An agency-year-source with no current version: several different versions, of which the
    rule cannot pick one (:data:`toolkit.counting.UNDECIDED`), or none left after the season's
    退回. ``reason``: what is the matter, in Chinese; ``hint``: the exact commands to choose one."""

    submission_id: int
    agency_id: int
    agency: str
    year: int
    source: str
    version_ids: tuple[int, ...]
    reason: str
    hint: str

    def advice(self, sep: str) -> str:
        """``sep`` and what to do ("请确认以哪个为准：…"); "" where there is nothing to choose (a
        season agency whose upload was sent back waits for a new one)."""
        return f"{sep}请确认以哪个为准：{self.hint}" if self.hint else ""


@dataclass
class AddResult:
    """What ``add`` did with one file: ``added`` (a new version), ``unchanged`` (this file is
    already in the archive), or ``rejected`` (no agency or year to file it under)."""

    path: str
    status: str
    sha256: str = ""
    agency: str = ""
    year: int | None = None
    source: str = ""
    version_id: int | None = None
    current: bool = False
    note: str = ""
    findings: list[Finding] = field(default_factory=list)
    undecided: bool = False  # its agency-year now has different versions and none current


def _usable_code(code: str | None) -> str:
    from toolkit.uscc import is_valid_uscc

    code = (code or "").strip()
    return code if code and is_valid_uscc(code) else ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _dump(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        v = int(v) if v == v.to_integral_value() else str(v)
    return json.dumps(v, ensure_ascii=False, default=str)


def _load(s: str | None) -> Any:
    return None if s is None else json.loads(s)


_INT64 = 1 << 63


def _db_value(v: Number) -> int | str:
    if isinstance(v, int):
        return v if -_INT64 <= v < _INT64 else str(v)  # beyond SQLite's INTEGER: exact text
    return int(v) if v == v.to_integral_value() else str(v)


class Store:
    """An archive database. ``Store(path)`` opens (and creates) it; use as a context manager.

    Before anything is written (or the journal mode changed), the file is recognised: another
    program's SQLite file, a file that is not SQLite, and a damaged file (``PRAGMA quick_check``)
    are refused with :class:`StoreError` and left byte for byte as they were. A file that cannot be
    written is opened for reading (``readonly``); a write then says so in one line.
    ``on_wait(message)``: called once when a write waits for another process's transaction."""

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        create: bool = True,
        on_wait: Callable[[str], None] | None = None,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.on_wait = on_wait
        self.wait_seconds = wait_seconds
        if not create and not self.path.is_file():
            raise StoreError(f"找不到档案库：{self.path}")
        self.db = _open_checked(self.path)
        self.readonly = _readonly(self.db)
        try:
            if not self.readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")  # WAL: consistent after a crash
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA cache_size = -65536")  # 64 MB of page cache: large archives
            ver = self.db.execute("PRAGMA user_version").fetchone()[0]
            if ver > SCHEMA_VERSION:
                raise StoreError(f"{self.path} 由更新版本的工具建立（结构版本 {ver}），请升级 xxgk-toolkit")
            if ver == 0:  # a new file: the whole schema in one transaction
                if self.readonly:
                    raise StoreError(f"{self.path} 是空的数据库，且没有写入权限，无法建立档案库")
                self._begin()
                for stmt in _statements(SCHEMA):
                    self.db.execute(stmt)
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self.db.execute("COMMIT")
            self._key_ids: dict[str, int] = dict(
                (k, i) for i, k in self.db.execute("SELECT id, key FROM cell_keys")
            )
            _remember(self.path)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(_db_problem(self.path, exc)) from None
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``: waits (up to ``WAIT_SECONDS``) while another process writes,
        saying so once through ``on_wait``; a read-only archive is said in one line."""
        if self.readonly:
            raise StoreError(f"档案库 {self.path} 是只读的（没有写入权限），只能查看，不能存入或修改")
        try:
            self.db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
        if self.on_wait is not None:
            self.on_wait(f"档案库 {self.path} 正由另一进程写入，等待其完成……")
        self.db.execute(f"PRAGMA busy_timeout = {int(self.wait_seconds * 1000)}")
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not _locked(exc):
                raise
            raise StoreError(
                f"档案库 {self.path} 被另一进程占用超过 {self.wait_seconds:g} 秒，未写入；请稍后重试"
            ) from None
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (also when the process is killed)."""
        if self.db.in_transaction:  # nested: part of the outer transaction
            yield
            return
        self._begin()
        try:
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._key_ids = dict((k, i) for i, k in self.db.execute("SELECT id, key FROM cell_keys"))
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._key_ids = dict((k, i) for i, k in self.db.execute("SELECT id, key FROM cell_keys"))
            if "readonly" in str(exc):
                raise StoreError(f"档案库 {self.path} 是只读的（没有写入权限），未写入") from None
            raise

    # -- agencies --------------------------------------------------------------------------------
    def match_agency(self, name: str, code: str = "") -> Agency | None:
        """By code first, then by name (an agency with another valid code is a different agency;
        a code that fails its check digit identifies nothing: a mistyped code, matched by name)."""
        code = _usable_code(code)
        row = None
        if code:
            row = self.db.execute(
                "SELECT id, name, code, parent FROM agencies WHERE code = ?", (code.upper(),)
            ).fetchone()
        if row is None and name:
            rows = self.db.execute(
                "SELECT id, name, code, parent FROM agencies WHERE norm_name = ? ORDER BY id",
                (norm_name(name),),
            ).fetchall()
            rows = [r for r in rows if not code or r[2] is None]
            row = rows[0] if rows else None
        return Agency(*row) if row else None

    def _agency_for(self, name: str, code: str, parent: str) -> int:
        code = _usable_code(code)  # a mistyped code is never stored as the agency's
        a = self.match_agency(name, code)
        if a is None:
            cur = self.db.execute(
                "INSERT INTO agencies (code, name, norm_name, parent) VALUES (?, ?, ?, ?)",
                (code.upper() or None, name, norm_name(name), parent or ""),
            )
            return int(cur.lastrowid or 0)
        if (code and not a.code) or (parent and parent != a.parent) or name != a.name:
            self.db.execute(
                "UPDATE agencies SET code = COALESCE(code, ?), name = ?, norm_name = ?, "
                "parent = CASE WHEN ? <> '' THEN ? ELSE parent END WHERE id = ?",
                (code.upper() or None, name, norm_name(name), parent, parent, a.id),
            )
        return a.id

    def agencies(self, *, district: str | None = None, query: str | None = None) -> list[Agency]:
        """All agencies, those of one district (上级/所属地区), or those matching ``query``: the
        code, else the exact name, else every name containing it."""
        cols = "SELECT id, name, code, parent FROM agencies"
        if query:
            q = self.db.execute
            rows = q(cols + " WHERE code = ?", (query.strip().upper(),)).fetchall()
            rows = rows or q(cols + " WHERE norm_name = ?", (norm_name(query),)).fetchall()
            part = norm_name(query)  # instr, not LIKE: no wildcards, no pattern-length limit
            rows = rows or (q(cols + " WHERE instr(norm_name, ?) > 0", (part,)).fetchall() if part else [])
            return [Agency(*r) for r in rows if district is None or r[3] == district]
        if district is not None:
            return [Agency(*r) for r in self.db.execute(cols + " WHERE parent = ? ORDER BY id", (district,))]
        return [Agency(*r) for r in self.db.execute(cols + " ORDER BY id")]

    def districts(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute("SELECT DISTINCT parent FROM agencies WHERE parent <> '' ORDER BY 1")
        ]

    # -- files -----------------------------------------------------------------------------------
    def put_file(self, data: bytes, name: str, sha: str | None = None) -> str:
        sha = sha or hashlib.sha256(data).hexdigest()
        self.db.execute(
            "INSERT OR IGNORE INTO files (sha256, size, name, content, added_at) VALUES (?, ?, ?, ?, ?)",
            (sha, len(data), name, data, _now()),
        )
        return sha

    def file_bytes(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT content FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def has_file(self, sha256: str) -> bool:
        return (
            self.db.execute("SELECT 1 FROM versions WHERE file_sha256 = ? LIMIT 1", (sha256,)).fetchone()
            is not None
        )

    # -- submissions and versions --------------------------------------------------------------
    def _key_id(self, key: str) -> int:
        kid = self._key_ids.get(key)
        if kid is None:
            self.db.execute("INSERT OR IGNORE INTO cell_keys (key) VALUES (?)", (key,))
            kid = self.db.execute("SELECT id FROM cell_keys WHERE key = ?", (key,)).fetchone()[0]
            self._key_ids[key] = kid
        return kid

    def add_submission(
        self,
        sub: Submission,
        *,
        data: bytes,
        file_name: str,
        source: str,
        findings: Iterable[Finding] = (),
        parent: str | None = None,
        agency_id: int | None = None,
    ) -> AddResult:
        """File one submission (its source file's bytes, its findings) under its agency and year.
        The same file again changes nothing; a different file is a new version. ``parent``: the
        agency's district where the cover names none (from a roster). ``agency_id``: file under
        this archive agency whatever the cover says (an upload through an agency's own link);
        the agency is not renamed."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        sha = hashlib.sha256(data).hexdigest()
        res = AddResult(file_name, "unchanged", sha, sub.agency, sub.year, source)
        findings = list(findings)
        res.findings = findings
        if (not sub.agency and agency_id is None) or sub.year is None:
            res.status = "rejected"
            res.note = "没有机关名称或报告年度，无法归档" if not sub.agency else "没有报告年度，无法归档"
            return res
        with self.transaction():
            same = "SELECT v.id, v.submission_id FROM versions v WHERE v.file_sha256 = ?"
            if agency_id is None:
                row = self.db.execute(same + " ORDER BY v.id LIMIT 1", (sha,)).fetchone()
            else:  # the same bytes filed under another agency are not this agency's version
                row = self.db.execute(
                    same + " AND v.submission_id IN (SELECT id FROM submissions WHERE agency_id = ?"
                    " AND year = ? AND source = ?) ORDER BY v.id LIMIT 1",
                    (sha, agency_id, sub.year, source),
                ).fetchone()
            if row is not None:
                res.version_id = row[0]
                res.current = (
                    self.db.execute(
                        "SELECT 1 FROM submissions WHERE current_version = ?", (row[0],)
                    ).fetchone()
                    is not None
                )
                res.note = "此文件已在档案库中"
                return res
            if agency_id is None:
                agency_id = self._agency_for(
                    sub.agency, sub.code, str(sub.cover.get("parent") or parent or "").strip()
                )
            self.db.execute(
                "INSERT OR IGNORE INTO submissions (agency_id, year, source) VALUES (?, ?, ?)",
                (agency_id, sub.year, source),
            )
            sid, chosen_by = self.db.execute(
                "SELECT id, chosen_by FROM submissions WHERE agency_id = ? AND year = ? AND source = ?",
                (agency_id, sub.year, source),
            ).fetchone()
            self.put_file(data, file_name, sha)
            errors = sum(1 for f in findings if f.severity == ERROR)
            texts = {k: v for k, v in sub.texts.items() if v}
            cur = self.db.execute(
                "INSERT INTO versions (submission_id, file_sha256, file_name, format, valid, errors, warnings,"
                " incomplete, cover, texts, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid,
                    sha,
                    file_name,
                    sub.spec.id,
                    int(errors == 0),
                    errors,
                    len(findings) - errors,
                    int(bool(sub.meta.get("incomplete"))),
                    json.dumps(sub.cover, ensure_ascii=False, default=str),
                    json.dumps(texts, ensure_ascii=False),
                    _now(),
                ),
            )
            vid = int(cur.lastrowid or 0)
            self._put_values(vid, sub)
            self.db.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        vid,
                        i,
                        f.code,
                        f.severity,
                        f.sheet,
                        f.cell,
                        f.key,
                        f.message,
                        _dump(f.expected),
                        _dump(f.actual),
                    )
                    for i, f in enumerate(findings)
                ],
            )
            served = self.served(agency_id, sub.year, source)
            how = self._apply_rule(sid) if chosen_by == "rule" and not served else ""
            cur_v = self.db.execute(
                "SELECT current_version FROM submissions WHERE id = ?", (sid,)
            ).fetchone()[0]
            ids = [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM versions WHERE submission_id = ? ORDER BY id", (sid,)
                )
            ]
            n = len(ids)
            if how == "undecided":
                from toolkit.counting import undecided_reason

                passing = self.db.execute(
                    "SELECT COUNT(*) FROM versions WHERE submission_id = ? AND valid = 1", (sid,)
                ).fetchone()[0]
                res.note = (
                    f"第 {n} 个版本；{n} 个内容不同的版本，{undecided_reason(n, passing)}，未定当前版本，"
                    f"请确认以哪个为准：{self.choose_hint(ids)}"
                )
        res.status, res.version_id, res.current = "added", vid, cur_v == vid
        res.undecided = how == "undecided"
        if served:
            res.note = (
                f"第 {n} 个版本；该单位正在 xxgk serve 中收集 {sub.year} 年度报告，计入汇总的版本以 serve 为准"
                "（不经报送链接存入的文件，须协调人在该单位的页面上指定才计入）"
            )
        if n > 1 and not res.note:
            res.note = f"第 {n} 个版本" + (
                "，已设为当前版本"
                if res.current
                else "，未设为当前版本（"
                + ("已指定其他版本" if chosen_by == "explicit" else f"有错误，当前为通过校验的版本 [{cur_v}]")
                + "）"
            )
        return res

    def _put_values(self, vid: int, sub: Submission) -> None:
        cells = sub.spec.cells
        totals = compute_totals(sub.spec, sub.values)
        kid = self._key_id
        rows = [
            (vid, kid(k), _KIND_INPUT, _db_value(v))
            for k, v in sub.values.items()
            if v and k in cells and cells[k].kind == "input"
        ]
        rows += [(vid, kid(k), _KIND_TOTAL, _db_value(t)) for k, t in totals.items() if t]
        rows += [
            (vid, kid(k), _KIND_REPORTED, _db_value(rep))
            for k, rep in sub.reported.items()
            if rep is not None and k in totals and (rep or totals[k])
        ]
        unknown = (sub.meta.get("unknown") or "").split(",")  # an import's numbers not found
        rows += [(vid, kid(k), _KIND_UNKNOWN, 0) for k in dict.fromkeys(unknown) if k in cells]
        derived = (sub.meta.get("derived") or "").split(",")  # not read: fixed by the table's sums
        rows += [(vid, kid(k), _KIND_DERIVED, 0) for k in dict.fromkeys(derived) if k in cells]
        self.db.executemany("INSERT INTO cell_values VALUES (?, ?, ?, ?)", rows)

    def _contents(self, sid: int) -> list[tuple[int, bool, tuple]]:
        """(version id, valid, content) of a submission's versions, oldest first. The content is
        what ``xxgk merge`` compares files by: the cover's agency, code and year and every input
        figure (a key not stored is 0), whatever program wrote the file."""
        rows = self.db.execute(
            "SELECT id, valid, cover FROM versions WHERE submission_id = ? ORDER BY id", (sid,)
        ).fetchall()
        figures: dict[int, set[tuple[int, Number]]] = {}
        if len(rows) > 1:
            for vid, kid, v in self.db.execute(
                "SELECT cv.version_id, cv.key_id, cv.value FROM cell_values cv JOIN versions v"
                " ON v.id = cv.version_id WHERE v.submission_id = ? AND cv.kind = ?",
                (sid, _KIND_INPUT),
            ):
                figures.setdefault(vid, set()).add((kid, Decimal(v) if isinstance(v, str) else v))
        out = []
        for vid, valid, cover in rows:
            c = json.loads(cover)
            who = (
                norm_name(str(c.get("agency") or "")),
                str(c.get("code") or "").strip().upper(),
                c.get("year"),
            )
            out.append((vid, bool(valid), (*who, frozenset(figures.get(vid, ())))))
        return out

    def _apply_rule(self, sid: int) -> str:
        """The rule ``xxgk merge`` counts one agency's files by (:func:`toolkit.counting.judge`):
        of the versions with the content that counts, the latest is current; none is when the
        rule cannot decide (two different versions that both pass, or none passing). Returns how
        it was decided (:mod:`toolkit.counting`)."""
        from toolkit.counting import judge

        versions = self._contents(sid)
        verdict = judge((content, valid, False) for _vid, valid, content in versions)
        current = max((vid for vid, _v, content in versions if content == verdict.content), default=None)
        self.db.execute(
            "UPDATE submissions SET current_version = ?, chosen_by = 'rule' WHERE id = ?",
            (current if verdict.content is not None else None, sid),
        )
        return verdict.how

    def choose_hint(self, version_ids: Iterable[int]) -> str:
        """The commands that choose one of ``version_ids`` (``--db`` when not the default)."""
        import shlex

        db = "" if str(self.path) == DEFAULT_DB else f" --db {shlex.quote(str(self.path))}"
        ids = list(version_ids)
        if len(ids) > MAX_CHOICES_SAID:  # 200 uploads of one agency: not 200 commands on each line
            newest = " 或 ".join(f"xxgk archive choose {i}{db}" for i in ids[-2:])
            return f"{newest}（最新的两个；全部 {len(ids)} 个版本的编号见 xxgk archive list --all{db}）"
        return " 或 ".join(f"xxgk archive choose {i}{db}" for i in ids)

    def undecided(
        self,
        *,
        year: int | None = None,
        agency_ids: Iterable[int] | None = None,
        district: str | None = None,
        source: str | None = None,
    ) -> list[Undecided]:
        """The agency-years (and sources) that have versions but no current one, by agency then
        year, each with why and how to choose (:class:`Undecided`)."""
        from toolkit.counting import UNDECIDED, judge, undecided_reason

        where, args = ["s.current_version IS NULL"], []
        for col, v in (("s.year", year), ("s.source", source), ("a.parent", district)):
            if v is not None:
                where.append(f"{col} = ?")
                args.append(v)
        if agency_ids is not None:
            ids = list(agency_ids)
            where.append(f"a.id IN ({','.join('?' * len(ids)) or 'NULL'})")
            args += ids
        rows = self.db.execute(
            "SELECT s.id, a.id, a.name, s.year, s.source FROM submissions s JOIN agencies a"
            f" ON a.id = s.agency_id WHERE {' AND '.join(where)} ORDER BY a.id, s.year, s.source",
            args,
        ).fetchall()
        only = ids if agency_ids is not None else None
        states = self._season_states(year, only) if source in (None, "workbook") else {}
        season = {sid: vs for sid, (_st, vs) in states.items()}
        if season:  # serve's agency-years by the season's verdict now, not the stored one
            rows = [r for r in rows if r[0] not in season or not any(v.current for v in season[r[0]])]
            none = [sid for sid, vs in season.items() if not any(v.current for v in vs)]
            have = {r[0] for r in rows}
            where[0] = f"s.id IN ({','.join('?' * len(none)) or 'NULL'})"
            rows += [
                r
                for r in self.db.execute(
                    "SELECT s.id, a.id, a.name, s.year, s.source FROM submissions s JOIN agencies a"
                    f" ON a.id = s.agency_id WHERE {' AND '.join(where)}",
                    [*none, *args],
                )
                if r[0] not in have
            ]
            rows.sort(key=lambda r: (r[1], r[3], r[4]))
        out = []
        for sid, aid, name, y, src in rows:
            versions = self._contents(sid)
            if not versions:
                continue
            ids = tuple(vid for vid, _v, _c in versions)
            if self.served(aid, y, src):
                why = "该单位正在 xxgk serve 中收集，当前版本以网页上协调人的处理为准"
                if sid in states and states[sid][0] == "已退回":  # the page's word, not "choose one"
                    why = (
                        "该单位正在 xxgk serve 中收集，网页上为“已退回”（协调人退回，待单位重新上传），未计入"
                    )
                elif sid in states and states[sid][0] == "有错误":  # no version to choose: a new upload
                    why = "该单位正在 xxgk serve 中收集，网页上为“有错误”（待单位改正后重新上传），未计入"
                waits = sid in states and states[sid][0] in ("已退回", "有错误")
                hint = "" if waits else "在 xxgk serve 的该单位页面上指定"
                out.append(Undecided(sid, aid, name, y, src, ids, why, hint))
                continue
            verdict = judge((content, valid, False) for _vid, valid, content in versions)
            if verdict.how == UNDECIDED:
                passing = sum(1 for _vid, valid, _c in versions if valid)
                reason = f"{len(versions)} 个内容不同的版本，{undecided_reason(len(versions), passing)}，未定当前版本"
            else:
                reason = "没有当前版本（已退回或已撤销指定）"
            out.append(Undecided(sid, aid, name, y, src, ids, reason, self.choose_hint(ids)))
        return out

    def served(self, agency_id: int, year: int | None, source: str) -> bool:
        """Whether ``xxgk serve`` collects this agency's workbook of this year through a link: then
        the season (:mod:`toolkit.season`) decides its current version, not the archive's rule."""
        if source != "workbook":
            return False
        try:
            row = self.db.execute(
                "SELECT 1 FROM web_agencies WHERE agency_id = ? AND year = ? AND removed_at IS NULL",
                (agency_id, year),
            ).fetchone()
        except sqlite3.OperationalError:  # no serve tables (or those of an older serve)
            return False
        return row is not None

    def _season(
        self, year: int | None = None, agency_ids: Iterable[int] | None = None
    ) -> dict[int, list[Version]]:
        return {sid: vs for sid, (_status, vs) in self._season_states(year, agency_ids).items()}

    def _season_states(
        self, year: int | None = None, agency_ids: Iterable[int] | None = None
    ) -> dict[int, tuple[str, list[Version]]]:
        """The agency-years ``xxgk serve`` collects (:meth:`served`; of ``year``, else of every
        season in the archive), by submission id: their versions as the season has them now
        (:func:`toolkit.season.states`: the current one by its rule, each named and timed by its
        newest filing through the link). Read at each call, so ``archive list``, ``trend`` and
        ``--archive`` say what serve says at once, whatever was stored before (an archive of an
        earlier release). Empty for an archive without a season."""
        try:
            sql = (
                "SELECT year, COUNT(*), COUNT(agency_id) FROM web_agencies WHERE removed_at IS NULL"
                + (" AND year = ?" if year is not None else "")
                + " GROUP BY year"
            )
            years = self.db.execute(sql, () if year is None else (year,)).fetchall()
        except sqlite3.OperationalError:  # no serve tables (or those of an older serve)
            return {}
        # a season whose links predate their archive agency: serve binds them at its start (a
        # write): until then the stored verdict stands
        years = [y for y, n, bound in years if n == bound]
        if not years:
            return {}
        from toolkit import season

        web = self if isinstance(self, WebStore) else WebStore.sharing(self)
        only = None if agency_ids is None else set(agency_ids)
        out: dict[int, tuple[str, list[Version]]] = {}
        try:
            for y in years:
                links = None  # all of the year's, unless asked about a few archive agencies
                if only is not None:
                    links = [wa for wa in web.web_agencies(y) if wa.agency_id in only]
                    if not links:
                        continue
                for st in season.states(web, y, links):
                    if st.versions:
                        out[st.versions[0].submission_id] = (st.status, list(st.versions))
        except sqlite3.OperationalError:  # serve tables of an older serve: what was stored stands
            return {}
        return out

    def choose(self, version_id: int | None = None, *, rule_for: int | None = None) -> Version | None:
        """Make ``version_id`` the current version of its submission (it stands until chosen
        otherwise), or with ``rule_for=submission_id`` go back to the rule (:meth:`_apply_rule`);
        returns the current version, None when the rule leaves none current. Refused for an
        agency-year that ``xxgk serve`` collects (:meth:`served`): its coordinator chooses there,
        in the season's log, so that no page says otherwise."""
        row = self.db.execute(
            "SELECT s.agency_id, s.year, s.source FROM submissions s WHERE s.id = (SELECT submission_id"
            " FROM versions WHERE id = ?) OR s.id = ?",
            (version_id, rule_for),
        ).fetchone()
        if row is not None and self.served(*row):
            raise StoreError(
                f"该单位的 {row[1]} 年度报告正在 xxgk serve 中收集：计入汇总的版本请由协调人在网页上"
                "该单位的页面中指定（记入操作记录，各页面和汇总表一致），此命令不改变它"
            )
        with self.transaction():
            if rule_for is not None:
                sid = rule_for
                if not self.db.execute("SELECT 1 FROM submissions WHERE id = ?", (sid,)).fetchone():
                    raise StoreError(f"档案库中没有编号为 {sid} 的报送")
                self._apply_rule(sid)
            else:
                row = self.db.execute(
                    "SELECT submission_id FROM versions WHERE id = ?", (version_id,)
                ).fetchone()
                if row is None:
                    raise StoreError(f"档案库中没有编号为 {version_id} 的版本")
                sid = row[0]
                self.db.execute(
                    "UPDATE submissions SET current_version = ?, chosen_by = 'explicit' WHERE id = ?",
                    (version_id, sid),
                )
            vid = self.db.execute("SELECT current_version FROM submissions WHERE id = ?", (sid,)).fetchone()[
                0
            ]
        return None if vid is None else self.version(vid)

    _VERSION_SQL = """
        SELECT v.id, v.submission_id, a.id, a.name, a.code, a.parent, s.year, s.source, v.format,
               v.file_sha256, v.file_name, v.valid, v.errors, v.warnings, v.added_at,
               s.current_version IS v.id, s.chosen_by,
               EXISTS (SELECT 1 FROM findings f WHERE f.version_id = v.id AND f.code = 'SUMMARY-INCOMPLETE')
        FROM versions v JOIN submissions s ON s.id = v.submission_id JOIN agencies a ON a.id = s.agency_id
    """

    def version(self, version_id: int) -> Version:
        row = self.db.execute(self._VERSION_SQL + " WHERE v.id = ?", (version_id,)).fetchone()
        if row is None:
            raise StoreError(f"档案库中没有编号为 {version_id} 的版本")
        return self._version(row)

    @staticmethod
    def _version(row: tuple) -> Version:
        r = list(row)
        r[11] = bool(r[11])
        r[15] = bool(r[15])
        r[17] = bool(r[17])
        return Version(*r)

    def versions(
        self, *, agency_id: int | None = None, year: int | None = None, source: str | None = None
    ) -> list[Version]:
        """Every version (current or not), oldest first; of an agency-year ``xxgk serve``
        collects, as the season has it (:meth:`_season`)."""
        where, args = [], []
        for col, v in (("a.id", agency_id), ("s.year", year), ("s.source", source)):
            if v is not None:
                where.append(f"{col} = ?")
                args.append(v)
        sql = self._VERSION_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY v.id"
        out = [self._version(r) for r in self.db.execute(sql, args)]
        season = (
            self._season(year, None if agency_id is None else [agency_id])
            if source in (None, "workbook")
            else {}
        )
        if season:
            by_id = {v.id: v for vs in season.values() for v in vs}
            out = [by_id.get(v.id, v) for v in out]
        return out

    def current(
        self,
        *,
        year: int | None = None,
        agency_ids: Iterable[int] | None = None,
        district: str | None = None,
        source: str | None = None,
    ) -> list[Version]:
        """The current version of every matching agency x year x source, by agency then year."""
        where, args = ["s.current_version = v.id"], []
        if year is not None:
            where.append("s.year = ?")
            args.append(year)
        if source is not None:
            where.append("s.source = ?")
            args.append(source)
        if district is not None:
            where.append("a.parent = ?")
            args.append(district)
        if agency_ids is not None:
            ids = list(agency_ids)
            where.append(f"a.id IN ({','.join('?' * len(ids))})")
            args += ids
        sql = self._VERSION_SQL + " WHERE " + " AND ".join(where) + " ORDER BY a.id, s.year, s.source"
        out = [self._version(r) for r in self.db.execute(sql, args)]
        season = (
            self._season(year, None if agency_ids is None else ids) if source in (None, "workbook") else {}
        )
        if not season:
            return out
        # an agency-year serve collects: its current version is the season's, read now (never
        # what an earlier action or an earlier release of the toolkit left stored)
        ids = None if agency_ids is None else set(ids)
        out = [v for v in out if v.submission_id not in season]
        out += [
            v
            for vs in season.values()
            for v in vs
            if v.current
            and (ids is None or v.agency_id in ids)
            and (district is None or v.parent == district)
        ]
        return sorted(out, key=lambda v: (v.agency_id, v.year, v.source))

    def years(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT year FROM submissions ORDER BY 1")]

    # -- reading back ----------------------------------------------------------------------------
    def values(
        self, version_ids: Iterable[int], keys: Iterable[str] | None = None
    ) -> dict[int, dict[str, Number]]:
        """Inputs and recomputed totals of versions (sparse: a missing key is 0)."""
        ids = list(version_ids)
        out: dict[int, dict[str, Number]] = {i: {} for i in ids}
        if not ids:
            return out
        key_filter, kargs = "", []
        if keys is not None:
            kids = [self._key_ids[k] for k in keys if k in self._key_ids]
            if not kids:
                return out
            key_filter = f" AND cv.key_id IN ({','.join('?' * len(kids))})"
            kargs = kids
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            sql = (
                "SELECT cv.version_id, k.key, cv.value FROM cell_values cv JOIN cell_keys k ON k.id = cv.key_id"
                f" WHERE cv.version_id IN ({','.join('?' * len(part))}) AND cv.kind IN (0, 1){key_filter}"
            )
            for vid, k, v in self.db.execute(sql, [*part, *kargs]):
                out[vid][k] = Decimal(v) if isinstance(v, str) else v
        return out

    def unknown(self, version_ids: Iterable[int]) -> dict[int, list[str]]:
        """The numbers each version's import did not find (unknown, never 0), by version id."""
        return self._marked(version_ids, _KIND_UNKNOWN)

    def derived(self, version_ids: Iterable[int]) -> dict[int, list[str]]:
        """The numbers each version's import did not read but derived from the table's arithmetic
        (由合计推算: their values are among the version's, marked so), by version id."""
        return self._marked(version_ids, _KIND_DERIVED)

    def _marked(self, version_ids: Iterable[int], kind: int) -> dict[int, list[str]]:
        ids, out = list(version_ids), {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            sql = (
                "SELECT cv.version_id, k.key FROM cell_values cv JOIN cell_keys k ON k.id = cv.key_id"
                f" WHERE cv.version_id IN ({','.join('?' * len(part))}) AND cv.kind = {kind}"
            )
            for vid, k in self.db.execute(sql, part):
                out.setdefault(vid, []).append(k)
        return out

    def submission(self, version_id: int) -> Submission:
        """A version as a :class:`Submission` (its spec, cover, inputs, totals as reported, texts)."""
        got = self.submissions([version_id])
        if not got:
            raise StoreError(f"档案库中没有编号为 {version_id} 的版本")
        return got[0]

    def submissions(self, version_ids: Iterable[int]) -> list[Submission]:
        """Many versions as Submissions, in the order given (unknown ids are left out); a few
        queries per 500 versions, not one per version."""
        ids = list(version_ids)
        subs: dict[int, Submission] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for vid, fmt, cover, texts, incomplete, name in self.db.execute(
                f"SELECT id, format, cover, texts, incomplete, file_name FROM versions WHERE id IN ({marks})",
                part,
            ):
                sub = Submission(
                    spec=load_spec(fmt), cover=json.loads(cover), texts=json.loads(texts), source=name
                )
                if incomplete:
                    sub.meta["incomplete"] = "1"
                subs[vid] = sub
            sql = (
                "SELECT cv.version_id, k.key, cv.kind, cv.value FROM cell_values cv JOIN cell_keys k ON k.id = cv.key_id"
                f" WHERE cv.version_id IN ({marks}) AND cv.kind IN (0, 2, 3, 4)"
            )
            for vid, k, kind, v in self.db.execute(sql, part):
                sub = subs[vid]
                c = sub.spec.cells.get(k)
                if c is None:
                    continue
                if kind in (_KIND_UNKNOWN, _KIND_DERIVED):  # unknown, never 0; derived, not read
                    mark = "unknown" if kind == _KIND_UNKNOWN else "derived"
                    sub.meta[mark] = ",".join(filter(None, (sub.meta.get(mark), k)))
                    continue
                num: Number = Decimal(v) if isinstance(v, str) or (c.type and c.type.kind == "decimal") else v
                (sub.values if kind == _KIND_INPUT else sub.reported)[k] = num
        return [subs[i] for i in ids if i in subs]

    def findings(self, version_id: int) -> list[Finding]:
        name = self.db.execute("SELECT file_name FROM versions WHERE id = ?", (version_id,)).fetchone()
        return [
            Finding(code, sev, msg, name[0] if name else None, sheet, cell, key, _load(exp), _load(act))
            for code, sev, sheet, cell, key, msg, exp, act in self.db.execute(
                "SELECT code, severity, sheet, cell, key, message, expected, actual FROM findings"
                " WHERE version_id = ? ORDER BY seq",
                (version_id,),
            )
        ]

    def previous_index(self, year: int) -> PreviousIndex:
        """Last year's figures for ``validate``/``merge``: the current version of every agency's
        ``year`` report (a workbook before a summary before a published report)."""
        from toolkit.validate import PreviousIndex

        vs = sorted(self.current(year=year), key=lambda v: (SOURCES.index(v.source), v.agency_id))
        return PreviousIndex(self.submissions(v.id for v in vs))

    def stats(self) -> dict[str, int]:
        q = self.db.execute
        return {
            "agencies": q("SELECT COUNT(*) FROM agencies").fetchone()[0],
            "submissions": q("SELECT COUNT(*) FROM submissions").fetchone()[0],
            "versions": q("SELECT COUNT(*) FROM versions").fetchone()[0],
            "files": q("SELECT COUNT(*) FROM files").fetchone()[0],
        }


# -- adding files through the readers ------------------------------------------------------------
def _read_any(path: Path) -> tuple[Submission | None, list[Finding], str]:
    """A file through the toolkit's readers: (submission, findings incl. the rules', source)."""
    from toolkit.importers.report import REPORT_SUFFIXES, import_report
    from toolkit.reader import format_year_finding, read_file
    from toolkit.rules import check_submission
    from toolkit.validate import summary_incomplete

    if path.suffix.lower() in REPORT_SUFFIXES:
        res = import_report(path)
        sub = res.submission
        findings = list(res.findings)
        if any(f.code == "FILE-UNREADABLE" for f in findings):
            return None, findings, "report"
        findings += check_submission(sub, file=str(path))
        if (fy := format_year_finding(sub, str(path), report=True)) is not None:  # a 提示 for a report
            findings.append(fy)
        return sub, findings, "report"
    r = read_file(path)
    findings = list(r.findings)
    if r.submission is None:
        return None, findings, "workbook"
    sub = r.submission
    findings += check_submission(sub, file=str(path))
    if (f := summary_incomplete(sub.meta, str(path))) is not None:  # as validate and merge say it
        findings.append(f)
    return sub, findings, "summary" if sub.meta.get("kind") == "summary" else "workbook"


def add_paths(
    store: Store,
    paths: Iterable[str | os.PathLike[str]],
    on_result: Callable[[int, int, AddResult], None] | None = None,
    roster: Roster | None = None,
) -> list[AddResult]:
    """``xxgk archive add``: read every file (workbooks, summaries, published reports) and file it,
    each file in a transaction of its own: a file that cannot be stored is ``rejected`` with the
    reason and the others are stored; killed half-way, the files stored so far stay whole and the
    one being stored is not there at all. ``on_result(i, n, result)`` is called after each file
    (after its commit). ``roster``: an agency whose cover leaves 上级/所属地区 empty gets its
    roster entry's parent, so that ``trend --district`` finds it."""
    from toolkit.importers.report import REPORT_SUFFIXES
    from toolkit.validate import UNREADABLE_FOLDER, _walk, scan_paths

    paths = [str(p) for p in paths]
    got = scan_paths(paths)
    files = list(got.files)
    for p in paths:  # folders: published reports too, not only workbooks
        if Path(p).is_dir():
            files += sorted(
                f
                for f in _walk(Path(p))  # a folder it cannot read is in got.skipped
                if f.is_file()
                and f.suffix.lower() in REPORT_SUFFIXES - {".md"}  # a folder's README is no report
                and not f.name.startswith((".", "~$"))
            )
    out = [AddResult(p, "rejected", note=p) for p in got.missing]
    named = {str(Path(p)) for p in paths}  # a pipe or a device named itself: said, as a missing file is
    out += [
        AddResult(f, "rejected", note=why)
        for f, why in got.skipped
        if why.startswith(UNREADABLE_FOLDER) or f in named
    ]
    for i, f in enumerate(files, 1):
        out.append(_add_one(store, f, roster))
        if on_result:
            on_result(i, len(files), out[-1])
    return out


def _add_one(store: Store, f: Path, roster: Roster | None = None) -> AddResult:
    try:
        data = f.read_bytes()
    except OSError as exc:
        return AddResult(str(f), "rejected", note=f"无法读取：{os_reason(exc)}")
    sha = hashlib.sha256(data).hexdigest()
    if store.has_file(sha):  # the same file again: nothing to read, nothing changes
        return AddResult(str(f), "unchanged", sha, note="此文件已在档案库中")
    sub, findings, source = _read_any(f)
    if sub is None:
        note = findings[0].message if findings else "无法读取"
        return AddResult(str(f), "rejected", sha, note=note, findings=findings)
    entry = roster.find(sub.agency, sub.code) if roster is not None else None
    parent = entry.parent if entry is not None else None
    try:
        res = store.add_submission(
            sub, data=data, file_name=f.name, source=source, findings=findings, parent=parent
        )
    except sqlite3.DatabaseError as exc:  # the archive itself: stop (nothing of this file stored)
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.InterfaceError | sqlite3.ProgrammingError):
            return _unstorable(f, sha, sub, source, findings, exc)
        raise StoreError(_db_problem(store.path, exc)) from None
    except (ValueError, OverflowError, TypeError, UnicodeError) as exc:  # this file's content
        return _unstorable(f, sha, sub, source, findings, exc)
    res.path = str(f)
    return res


def _unstorable(
    f: Path, sha: str, sub: Submission, source: str, findings: list[Finding], exc: BaseException
) -> AddResult:
    return AddResult(
        str(f),
        "rejected",
        sha,
        str(sub.agency or ""),
        sub.year if isinstance(sub.year, int) else None,
        source,
        note=f"无法存入档案库（文件内容无法保存：{type(exc).__name__}: {str(exc)[:200]}），其他文件不受影响",
        findings=findings,
    )


# -- the web workbench (``xxgk serve``): its own tables, beside the archive's --------------------
WEB_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_settings (  -- the server's own settings
    key   TEXT PRIMARY KEY,                -- 'password' (scrypt hash), 'deadline:YEAR' (截止日期)
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_agencies (  -- one link per roster agency and report year
    id         INTEGER PRIMARY KEY,
    year       INTEGER NOT NULL,
    token      TEXT NOT NULL UNIQUE,       -- SHA-256 of the agency's link token (never the token)
    name       TEXT NOT NULL,              -- as in the roster
    norm_name  TEXT NOT NULL,
    code       TEXT NOT NULL DEFAULT '',
    parent     TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL DEFAULT '',
    line       INTEGER NOT NULL DEFAULT 0, -- row in the roster file
    created_at TEXT NOT NULL,
    gen        INTEGER NOT NULL DEFAULT 0, -- link generation: a regenerated link is gen + 1
    revoked_at TEXT,                       -- set: the link is withdrawn (404)
    agency_id  INTEGER REFERENCES agencies(id),  -- the archive agency its uploads are filed under
    region_id  INTEGER REFERENCES web_regions(id),  -- where it sits in the region tree
    removed_at TEXT,                       -- set: no longer on the year's roster (uploads kept)
    UNIQUE (year, norm_name, code)
);
CREATE INDEX IF NOT EXISTS web_agencies_code ON web_agencies(year, code);
CREATE TABLE IF NOT EXISTS web_uploads (   -- every upload that passed the size limit, never changed
    id            INTEGER PRIMARY KEY,
    web_agency_id INTEGER NOT NULL REFERENCES web_agencies(id),
    file_sha256   TEXT NOT NULL REFERENCES files(sha256),  -- the bytes, kept by hash
    file_name     TEXT NOT NULL,           -- the name the browser sent (shown, never used as a path)
    size          INTEGER NOT NULL,
    status        TEXT NOT NULL,           -- 通过 / 有错误 (the upload's own verdict)
    errors        INTEGER NOT NULL,
    warnings      INTEGER NOT NULL,
    findings      TEXT NOT NULL,           -- JSON: the findings shown to the agency
    version_id    INTEGER REFERENCES versions(id),  -- the archive version it became, if any
    uploaded_at   TEXT NOT NULL,
    seconds       REAL NOT NULL DEFAULT 0  -- upload-to-verdict time on the server
);
CREATE INDEX IF NOT EXISTS web_uploads_agency ON web_uploads(web_agency_id, id);
CREATE TRIGGER IF NOT EXISTS web_uploads_no_update BEFORE UPDATE ON web_uploads
    BEGIN SELECT RAISE(ABORT, 'uploads are never modified'); END;
CREATE TABLE IF NOT EXISTS web_returns (   -- versions the coordinator sent back (退回), with the note
    version_id  INTEGER PRIMARY KEY REFERENCES versions(id),
    note        TEXT NOT NULL,
    returned_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_events (    -- who changed what, when (audit log; never changed)
    id            INTEGER PRIMARY KEY,
    year          INTEGER NOT NULL,
    web_agency_id INTEGER REFERENCES web_agencies(id),
    action        TEXT NOT NULL,           -- choose / rule / return / revoke / regenerate / deadline /
                                           -- submit / account-create / account-disable
    version_id    INTEGER,
    note          TEXT NOT NULL DEFAULT '',
    actor         TEXT NOT NULL,           -- the coordinator account's login
    at            TEXT NOT NULL,
    region_id     INTEGER REFERENCES web_regions(id),  -- the region it concerns
    region_name   TEXT,                    -- its name then, and the actor's region's: a 区划调整
    actor_place   TEXT,                    -- renames the region later, not what the log said
    agency_name   TEXT                     -- the agency's name then (a 单位更名 since renames it)
);
CREATE TABLE IF NOT EXISTS web_regions (   -- the region tree of a year: 省 > 市 > 区/县 … (any depth)
    id        INTEGER PRIMARY KEY,
    year      INTEGER NOT NULL,
    name      TEXT NOT NULL,
    path      TEXT NOT NULL,               -- below the root, '/'-joined ('' is the root)
    parent_id INTEGER REFERENCES web_regions(id),
    UNIQUE (year, path)
);
CREATE TABLE IF NOT EXISTS web_accounts (  -- named coordinator accounts, each bound to a region
    id          INTEGER PRIMARY KEY,
    login       TEXT NOT NULL UNIQUE,
    password    TEXT NOT NULL,             -- scrypt$n$r$p$salt$hash
    region_path TEXT NOT NULL,             -- as web_regions.path (the same node every year)
    created_by  INTEGER REFERENCES web_accounts(id),
    created_at  TEXT NOT NULL,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS web_submits (   -- a region's summary submitted upward (its bytes in files)
    id           INTEGER PRIMARY KEY,
    region_id    INTEGER NOT NULL REFERENCES web_regions(id),
    file_sha256  TEXT NOT NULL REFERENCES files(sha256),
    complete     INTEGER NOT NULL,
    account      TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS web_events_agency ON web_events(web_agency_id, id);
CREATE TRIGGER IF NOT EXISTS web_events_no_update BEFORE UPDATE ON web_events
    BEGIN SELECT RAISE(ABORT, 'events are never modified'); END;
"""


@dataclass(frozen=True, slots=True)
class WebAgency:
    id: int
    year: int
    token_hash: str  # SHA-256 of the link token; the token itself is derived (toolkit.web.security)
    name: str
    code: str
    parent: str
    type: str
    line: int
    gen: int = 0
    revoked_at: str | None = None
    agency_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True, slots=True)
class WebRegion:
    id: int
    year: int
    name: str
    path: str
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class WebAccount:
    id: int
    login: str
    password: str
    region_path: str
    created_by: int | None
    created_at: str
    disabled_at: str | None


@dataclass(frozen=True, slots=True)
class WebSubmit:
    id: int
    region_id: int
    file_sha256: str
    complete: bool
    account: str
    submitted_at: str


@dataclass(frozen=True, slots=True)
class WebUpload:
    id: int
    web_agency_id: int
    file_sha256: str
    file_name: str
    size: int
    status: str
    errors: int
    warnings: int
    findings: list[dict[str, Any]]
    version_id: int | None
    uploaded_at: str
    seconds: float


@dataclass(frozen=True, slots=True)
class WebEvent:
    id: int
    year: int
    web_agency_id: int | None
    action: str
    version_id: int | None
    note: str
    actor: str
    at: str
    region_id: int | None = None
    region_name: str | None = None  # the region's name when it was logged (None: logged before kept)
    actor_place: str | None = None  # the actor account's region's name then
    agency_name: str | None = None  # the agency's name then (None: logged before kept, or no agency)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebStore(Store):
    """The archive plus the tables of ``xxgk serve`` (links per roster agency, uploads, settings,
    returns, the audit log). The uploads' bytes go into the archive's ``files`` (by hash); uploads
    of a link become archive versions of the link's own archive agency (never by the cover).
    The season's rules over these tables are in :mod:`toolkit.season`."""

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        create: bool = True,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        super().__init__(path, create=create, wait_seconds=wait_seconds)
        try:
            self._web_schema()
        except BaseException:  # never a connection left open behind a failed open (a server's request)
            self.db.close()
            raise

    @classmethod
    def sharing(cls, store: Store) -> WebStore:
        """The serve tables of an archive opened as a plain :class:`Store` (its connection, for
        reading them: no schema is made or changed)."""
        web = cls.__new__(cls)
        web.__dict__.update(store.__dict__)
        return web

    def _web_schema(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "web_agencies" in have and not self.readonly:
            there = {r[1] for r in self.db.execute("PRAGMA table_info(web_agencies)")}
            if "removed_at" not in there and "web_submits" in have:  # a serve of before roster changes
                with self.transaction():
                    self.db.execute("ALTER TABLE web_agencies ADD COLUMN removed_at TEXT")
        if "web_events" in have and "web_submits" in have and not self.readonly:
            there = {r[1] for r in self.db.execute("PRAGMA table_info(web_events)")}
            if "actor_place" not in there:  # a serve of before the log kept the names of its time
                with self.transaction():
                    self.db.execute("ALTER TABLE web_events ADD COLUMN region_name TEXT")
                    self.db.execute("ALTER TABLE web_events ADD COLUMN actor_place TEXT")
            if "agency_name" not in there:  # ... and the agency's (season32's serve kept the regions')
                with self.transaction():
                    self.db.execute("ALTER TABLE web_events ADD COLUMN agency_name TEXT")
        if "web_submits" not in have:
            with self.transaction():
                new_cols = {
                    "web_agencies": (
                        ("gen", "INTEGER NOT NULL DEFAULT 0"),
                        ("revoked_at", "TEXT"),
                        ("agency_id", "INTEGER REFERENCES agencies(id)"),
                        ("region_id", "INTEGER REFERENCES web_regions(id)"),
                        ("removed_at", "TEXT"),
                    ),
                    "web_events": (
                        ("region_id", "INTEGER REFERENCES web_regions(id)"),
                        ("region_name", "TEXT"),
                        ("actor_place", "TEXT"),
                        ("agency_name", "TEXT"),
                    ),
                }
                for table, cols in new_cols.items():  # an archive of an earlier serve: add what is new
                    if table not in have:
                        continue
                    there = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                    for col, decl in cols:
                        if col not in there:
                            self.db.execute(f"ALTER TABLE {table} ADD COLUMN {col} {decl}")
                for stmt in _statements(WEB_SCHEMA):
                    self.db.execute(stmt)

    # settings
    def setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM web_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        with self.transaction():
            if value is None:
                self.db.execute("DELETE FROM web_settings WHERE key = ?", (key,))
                return
            self.db.execute(
                "INSERT INTO web_settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # links
    _WA = (
        "SELECT id, year, token, name, code, parent, type, line, gen, revoked_at, agency_id, region_id"
        " FROM web_agencies"
    )

    def web_register(self, year: int, entries: Iterable[Any], token_for: Callable[[int, int], str]) -> int:
        """Give every roster entry (name, code, parent, type, line) of ``year`` a link and an
        archive agency of its own; entries already registered keep theirs. ``token_for(id, gen)``
        makes the link token (only its hash is stored). Returns how many were new."""
        new = 0
        entries = list(entries)
        # the code each name has in this roster: only an agency this roster lists with a code holds
        # it against another taking it; one whose code the roster moves (two codes exchanged, a
        # chain of corrections) or that it leaves out does not
        listed = {norm_name(e.name): e.code for e in entries}
        with self.transaction():
            taken = {
                r[0] for r in self.db.execute("SELECT agency_id FROM web_agencies WHERE year = ?", (year,))
            }
            for e in entries:
                # a corrected roster (another code, parent, type or row for the same name) updates
                # the agency's link, never makes a second one beside it
                same = self.db.execute(
                    "SELECT id, code FROM web_agencies WHERE year = ? AND norm_name = ?",
                    (year, norm_name(e.name)),
                ).fetchall()
                if len(same) == 1 and same[0][1] != e.code:
                    holders = self.db.execute(
                        "SELECT norm_name FROM web_agencies WHERE year = ? AND code = ? AND code <> '' AND id <> ?",
                        (year, e.code, same[0][0]),
                    ).fetchall()
                    if all(listed.get(n) != e.code for (n,) in holders):
                        self.db.execute(
                            "UPDATE web_agencies SET code = ?, parent = ?, type = ?, line = ? WHERE id = ?",
                            (e.code, e.parent, e.type, e.line, same[0][0]),
                        )
                        continue
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO web_agencies (year, token, name, norm_name, code, parent, type,"
                    " line, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        year,
                        "pending:" + os.urandom(16).hex(),
                        e.name,
                        norm_name(e.name),
                        e.code,
                        e.parent,
                        e.type,
                        e.line,
                        _now(),
                    ),
                )
                if not cur.rowcount:  # registered before: the roster's row, parent and type now
                    self.db.execute(
                        "UPDATE web_agencies SET parent = ?, type = ?, line = ?"
                        " WHERE year = ? AND norm_name = ? AND code = ?",
                        (e.parent, e.type, e.line, year, norm_name(e.name), e.code),
                    )
                    continue
                new += 1
                wid = int(cur.lastrowid or 0)
                aid = self._link_agency(e.name, e.code, e.parent, taken)
                taken.add(aid)
                self.db.execute(
                    "UPDATE web_agencies SET token = ?, agency_id = ? WHERE id = ?",
                    (token_hash(token_for(wid, 0)), aid, wid),
                )
        return new

    def _link_agency(self, name: str, code: str, parent: str, taken: set[int]) -> int:
        """The archive agency of a roster entry: the one with its code (else its name) unless
        another link of the year has it already, else a new one. Never renamed by an upload."""
        a = self.match_agency(name, code)
        if a is not None and a.id not in taken:
            return self._agency_for(name, code, parent)
        code = code.upper()
        held = code and self.db.execute("SELECT 1 FROM agencies WHERE code = ?", (code,)).fetchone()
        cur = self.db.execute(
            "INSERT INTO agencies (code, name, norm_name, parent) VALUES (?, ?, ?, ?)",
            (None if held or not code else code, name, norm_name(name), parent or ""),
        )
        return int(cur.lastrowid or 0)

    def web_link_agency(self, wa: WebAgency) -> int:
        """The archive agency of a link (created for links made before links had one)."""
        if wa.agency_id is not None:
            return wa.agency_id
        with self.transaction():
            row = self.db.execute("SELECT agency_id FROM web_agencies WHERE id = ?", (wa.id,)).fetchone()
            if row and row[0] is not None:
                return int(row[0])
            taken = {
                r[0]
                for r in self.db.execute(
                    "SELECT agency_id FROM web_agencies WHERE year = ? AND agency_id IS NOT NULL", (wa.year,)
                )
            }
            aid = self._link_agency(wa.name, wa.code, wa.parent, taken)
            self.db.execute("UPDATE web_agencies SET agency_id = ? WHERE id = ?", (aid, wa.id))
            return aid

    def web_split_links(self) -> list[tuple[int, list[int]]]:
        """Agencies an older serve split into several links of one year (two codes exchanged by a
        roster, or a chain of corrections: a second link under the same name, with an archive
        agency made without a code because the code was another's then; the first one off the
        roster): (the link kept, the others), the kept one being the one on the roster (else the
        newest). Two agencies of one name that the roster tells apart by their codes (each its
        archive agency with its code) are no split. One name, one link a year is the rule since
        (:meth:`web_register`)."""
        rows = self.db.execute(
            "SELECT a.year, a.norm_name, a.id, a.removed_at IS NULL,"
            " COALESCE((SELECT g.code FROM agencies g WHERE g.id = a.agency_id), '') <> ''"
            " FROM web_agencies a WHERE EXISTS (SELECT 1 FROM web_agencies b WHERE b.year = a.year"
            " AND b.norm_name = a.norm_name AND b.id <> a.id) ORDER BY a.year, a.norm_name, a.id"
        ).fetchall()
        groups: dict[tuple[int, str], list[tuple[int, bool, bool]]] = {}
        for year, name, wid, live, coded in rows:
            groups.setdefault((year, name), []).append((wid, bool(live), bool(coded)))
        out = []
        for links in groups.values():
            live = [w for w, on, _c in links if on]
            if len(live) > 1 or sum(c for _w, _on, c in links) > 1:  # agencies told apart: no split
                continue
            keep = live[0] if live else links[-1][0]
            out.append((keep, [w for w, _on, _c in links if w != keep]))
        return out

    def web_merge_link(self, keep: int, dup: int) -> tuple[int, int]:
        """Join link ``dup`` into link ``keep`` of the same agency and year (inside the caller's
        transaction): its uploads and log entries become ``keep``'s (the rows otherwise as they were:
        the never-modify triggers are lifted for these statements only, inside the transaction), its
        archive versions of that year the agency's one archive agency's (a file both had stays one
        version, everything that named the other pointing at it), then the link and the archive
        agency left empty are removed. Returns (uploads, versions) of ``dup`` now ``keep``'s."""
        (year, aid_dup), (aid_keep,) = (
            self.db.execute("SELECT year, agency_id FROM web_agencies WHERE id = ?", (dup,)).fetchone(),
            self.db.execute("SELECT agency_id FROM web_agencies WHERE id = ?", (keep,)).fetchone(),
        )

        def coded(aid: int | None) -> bool:
            row = self.db.execute("SELECT code FROM agencies WHERE id = ?", (aid,)).fetchone()
            return row is not None and bool(row[0])

        theirs = [
            r[0]
            for r in self.db.execute(
                "SELECT v.id FROM versions v JOIN submissions s ON s.id = v.submission_id"
                " WHERE s.agency_id = ? AND s.year = ?",
                (aid_dup, year),
            )
        ]
        # the archive agency kept: the one with the code (the agency's first, with its other years:
        # trend goes on), the other being the one the split made without a code
        if aid_keep is None or (not coded(aid_keep) and coded(aid_dup)):
            aid_keep, aid_dup = aid_dup, aid_keep
            self.db.execute("UPDATE web_agencies SET agency_id = ? WHERE id = ?", (aid_keep, keep))
        triggers = [t for t in _statements(WEB_SCHEMA) if t.lstrip().startswith("CREATE TRIGGER")]
        self.db.execute("DROP TRIGGER IF EXISTS web_uploads_no_update")
        self.db.execute("DROP TRIGGER IF EXISTS web_events_no_update")
        uploads = self.db.execute(
            "UPDATE web_uploads SET web_agency_id = ? WHERE web_agency_id = ?", (keep, dup)
        ).rowcount
        self.db.execute("UPDATE web_events SET web_agency_id = ? WHERE web_agency_id = ?", (keep, dup))
        self.db.execute("DELETE FROM web_settings WHERE key = ?", (f"choice:{dup}",))
        if aid_dup is not None and aid_dup != aid_keep:
            for sid_dup, source in self.db.execute(
                "SELECT id, source FROM submissions WHERE agency_id = ? AND year = ?", (aid_dup, year)
            ).fetchall():
                row = self.db.execute(
                    "SELECT id FROM submissions WHERE agency_id = ? AND year = ? AND source = ?",
                    (aid_keep, year, source),
                ).fetchone()
                if row is None:
                    self.db.execute("UPDATE submissions SET agency_id = ? WHERE id = ?", (aid_keep, sid_dup))
                    continue
                self.db.execute("UPDATE submissions SET current_version = NULL WHERE id = ?", (sid_dup,))
                for vid, sha in self.db.execute(
                    "SELECT id, file_sha256 FROM versions WHERE submission_id = ?", (sid_dup,)
                ).fetchall():
                    same = self.db.execute(
                        "SELECT id FROM versions WHERE submission_id = ? AND file_sha256 = ?", (row[0], sha)
                    ).fetchone()
                    if same is None:
                        self.db.execute("UPDATE versions SET submission_id = ? WHERE id = ?", (row[0], vid))
                    else:
                        self._same_version(vid, same[0])
                self.db.execute("DELETE FROM submissions WHERE id = ?", (sid_dup,))
        for t in triggers:
            self.db.execute(t)
        self.db.execute("DELETE FROM web_agencies WHERE id = ?", (dup,))
        if (
            aid_dup is not None
            and aid_dup != aid_keep
            and self.db.execute("SELECT 1 FROM submissions WHERE agency_id = ?", (aid_dup,)).fetchone()
            is None
            and self.db.execute("SELECT 1 FROM web_agencies WHERE agency_id = ?", (aid_dup,)).fetchone()
            is None
        ):
            self.db.execute("DELETE FROM agencies WHERE id = ?", (aid_dup,))
        kept = sum(  # the other link's versions, each one now of this agency (a file both had: once)
            1 for vid in theirs if self.db.execute("SELECT 1 FROM versions WHERE id = ?", (vid,)).fetchone()
        )
        return uploads, kept

    def _same_version(self, vid: int, same: int) -> None:
        """Version ``vid`` is the same file as ``same`` (of the agency's other link, now one):
        everything that named it names ``same``, then it goes (its values and findings are
        ``same``'s too). Triggers lifted by the caller."""
        self.db.execute("UPDATE web_uploads SET version_id = ? WHERE version_id = ?", (same, vid))
        self.db.execute("UPDATE web_events SET version_id = ? WHERE version_id = ?", (same, vid))
        self.db.execute("UPDATE OR IGNORE web_returns SET version_id = ? WHERE version_id = ?", (same, vid))
        self.db.execute("DELETE FROM web_returns WHERE version_id = ?", (vid,))
        self.db.execute(
            "UPDATE web_settings SET value = ? WHERE key LIKE 'filed:%' AND value = ?", (str(same), str(vid))
        )
        self.db.execute(
            "UPDATE OR IGNORE web_settings SET key = ? WHERE key = ?", (f"return:{same}", f"return:{vid}")
        )
        self.db.execute("DELETE FROM web_settings WHERE key = ?", (f"return:{vid}",))
        for key, raw in self.db.execute(  # the coordinator's choice of it: of ``same`` now
            "SELECT key, value FROM web_settings WHERE key LIKE 'choice:%'"
        ).fetchall():
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            if isinstance(d, dict) and d.get("version") == vid:
                self.db.execute(
                    "UPDATE web_settings SET value = ? WHERE key = ?",
                    (json.dumps({**d, "version": same}), key),
                )
        self.db.execute("UPDATE submissions SET current_version = NULL WHERE current_version = ?", (vid,))
        self.db.execute("DELETE FROM findings WHERE version_id = ?", (vid,))
        self.db.execute("DELETE FROM cell_values WHERE version_id = ?", (vid,))
        self.db.execute("DELETE FROM versions WHERE id = ?", (vid,))

    def web_set_link(self, web_agency_id: int, token: str | None, gen: int) -> None:
        """A new link (``token``) of generation ``gen``, or the link withdrawn (``token`` None)."""
        if token is None:
            self.db.execute(
                "UPDATE web_agencies SET revoked_at = ?, token = ? WHERE id = ?",
                (_now(), "revoked:" + os.urandom(16).hex(), web_agency_id),
            )
        else:
            self.db.execute(
                "UPDATE web_agencies SET token = ?, gen = ?, revoked_at = NULL WHERE id = ?",
                (token_hash(token), gen, web_agency_id),
            )

    def web_agencies(self, year: int, *, removed: bool = False) -> list[WebAgency]:
        """The year's roster agencies (``removed``: also those a later roster left out)."""
        live = "" if removed else " AND removed_at IS NULL"
        return [
            WebAgency(*r)
            for r in self.db.execute(self._WA + f" WHERE year = ?{live} ORDER BY line, id", (year,))
        ]

    def web_set_roster(self, year: int, ids: Iterable[int]) -> list[WebAgency]:
        """The year's roster is these links (call inside a transaction): the others are marked
        removed (their uploads and versions kept, their links stop working), these are on it
        again. Returns the agencies newly removed."""
        keep = set(ids)
        gone = [a for a in self.web_agencies(year) if a.id not in keep]
        now = _now()
        self.db.executemany(
            "UPDATE web_agencies SET removed_at = ? WHERE id = ?", [(now, a.id) for a in gone]
        )
        self.db.executemany(
            "UPDATE web_agencies SET removed_at = NULL WHERE id = ? AND removed_at IS NOT NULL",
            [(i,) for i in keep],
        )
        return gone

    def web_rename(self, web_agency_id: int, name: str) -> None:
        """The roster renamed the agency (same code): its link, archive agency and uploads stay;
        the archive agency takes the new name too, so that ``archive list --agency``, ``trend`` and
        ``--archive`` find and name it as every page of serve does."""
        self.db.execute(
            "UPDATE web_agencies SET name = ?, norm_name = ? WHERE id = ?",
            (name, norm_name(name), web_agency_id),
        )
        self.db.execute(
            "UPDATE agencies SET name = ?, norm_name = ?"
            " WHERE id = (SELECT agency_id FROM web_agencies WHERE id = ?)",
            (name, norm_name(name), web_agency_id),
        )

    def web_agency(self, *, token: str | None = None, id: int | None = None) -> WebAgency | None:
        """By link token (a withdrawn link finds nothing) or by id."""
        if token is not None:
            row = self.db.execute(
                self._WA + " WHERE token = ? AND revoked_at IS NULL AND removed_at IS NULL",
                (token_hash(token),),
            ).fetchone()
        elif id is not None and 0 < id < 2**63:
            row = self.db.execute(self._WA + " WHERE id = ?", (id,)).fetchone()
        else:
            row = None
        return WebAgency(*row) if row else None

    def web_agencies_like(self, year: int, name: str, code: str) -> list[WebAgency]:
        """The year's agencies with this name (normalised), a name it is a variant of
        (:func:`toolkit.roster.name_variant`: the roster's with a place prefix more or less) or this
        code: indexed look-ups, and one suffix match, not a decoding of every link's row per upload."""
        from toolkit.roster import place_tails

        n = norm_name(name)
        tails = [n, *place_tails(n)]
        live = " AND removed_at IS NULL"
        rows = list(
            self.db.execute(
                self._WA + f" WHERE year = ? AND norm_name IN ({','.join('?' * len(tails))}){live}",
                (year, *tails),
            )
        )
        # the roster's name carries a place prefix the cover's lacks; a cover's name far longer
        # than any roster name (<= 100 characters) ends none, and as a LIKE pattern over 50,000
        # bytes it is an SQLite error ("pattern too complex"): the upload was lost as "busy"
        if 2 <= len(n) <= 1000:
            like = n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows += self.db.execute(
                self._WA
                + " WHERE year = ? AND norm_name LIKE ? ESCAPE '\\' AND norm_name <> ?"
                + live
                + " LIMIT 50",
                (year, "%" + like, n),
            )
        if code:
            rows += self.db.execute(self._WA + " WHERE year = ? AND code = ?" + live, (year, code.upper()))
        return list({r[0]: WebAgency(*r) for r in rows}.values())

    def web_years(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT year FROM web_agencies ORDER BY 1")]

    # uploads
    # an upload's version: the one it was filed as, else the one it was filed as later
    # (:meth:`web_file_later`: uploads are never modified)
    _FILED = (
        "COALESCE(version_id, (SELECT CAST(f.value AS INTEGER) FROM web_settings f"
        " WHERE f.key = 'filed:' || web_uploads.id))"
    )
    # an unfiled upload's findings as judged against the roster of now (:meth:`web_judged_again`)
    _FINDINGS = (
        "COALESCE((SELECT c.value FROM web_settings c WHERE c.key = 'judged:' || web_uploads.id), findings)"
    )
    _WU = (
        "SELECT id, web_agency_id, file_sha256, file_name, size, status, errors, warnings,"
        f" {_FINDINGS}, {_FILED}, uploaded_at, seconds FROM web_uploads"
    )

    @staticmethod
    def _upload(row: tuple) -> WebUpload:
        r = list(row)
        r[8] = json.loads(r[8])
        return WebUpload(*r)

    def web_add_upload(
        self,
        web_agency_id: int,
        *,
        data: bytes,
        file_name: str,
        status: str,
        findings: list[Finding],
        version_id: int | None,
        seconds: float,
    ) -> int:
        """Record one upload (its bytes by hash); call inside the transaction that filed it."""
        with self.transaction():
            sha = self.put_file(data, file_name)
            errors = sum(1 for f in findings if f.severity == ERROR)
            cur = self.db.execute(
                "INSERT INTO web_uploads (web_agency_id, file_sha256, file_name, size, status, errors,"
                " warnings, findings, version_id, uploaded_at, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    web_agency_id,
                    sha,
                    file_name,
                    len(data),
                    status,
                    errors,
                    len(findings) - errors,
                    json.dumps([f.to_dict() for f in findings], ensure_ascii=False, default=str),
                    version_id,
                    _now(),
                    seconds,
                ),
            )
            return int(cur.lastrowid or 0)

    def web_file_later(self, upload_id: int, version_id: int) -> None:
        """An upload not filed when it came in (its cover named another agency, by the roster of
        then) is filed now as ``version_id`` (inside the caller's transaction; the upload row
        itself is never modified)."""
        self.set_setting(f"filed:{upload_id}", str(version_id))

    def web_judged_again(self, upload_id: int, findings: list[Finding]) -> None:
        """An upload still not filed after a roster change, its cover judged against the new roster:
        the findings the pages show from now on (inside the caller's transaction; the upload row
        itself is never modified)."""
        self.set_setting(
            f"judged:{upload_id}", json.dumps([f.to_dict() for f in findings], ensure_ascii=False)
        )

    def web_unfiled(self, year: int) -> list[WebUpload]:
        """The uploads of the year's links on the roster that were never filed, oldest first."""
        sql = (
            self._WU + " WHERE " + self._FILED + " IS NULL AND web_agency_id IN"
            " (SELECT id FROM web_agencies WHERE year = ? AND removed_at IS NULL) ORDER BY id"
        )
        return [self._upload(r) for r in self.db.execute(sql, (year,))]

    def web_uploads(self, web_agency_id: int | None = None) -> list[WebUpload]:
        """Uploads, newest first (of one link, or all)."""
        if web_agency_id is None:
            rows = self.db.execute(self._WU + " ORDER BY id DESC")
        else:
            rows = self.db.execute(self._WU + " WHERE web_agency_id = ? ORDER BY id DESC", (web_agency_id,))
        return [self._upload(r) for r in rows]

    def web_upload(self, upload_id: int) -> WebUpload | None:
        if not 0 < upload_id < 2**63:
            return None
        row = self.db.execute(self._WU + " WHERE id = ?", (upload_id,)).fetchone()
        return self._upload(row) if row else None

    def web_upload_count(self, web_agency_id: int) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM web_uploads WHERE web_agency_id = ?", (web_agency_id,)
        ).fetchone()[0]

    def web_upload_counts(self, year: int) -> dict[int, int]:
        return dict(
            self.db.execute(
                "SELECT w.web_agency_id, COUNT(*) FROM web_uploads w JOIN web_agencies a"
                " ON a.id = w.web_agency_id WHERE a.year = ? GROUP BY w.web_agency_id",
                (year,),
            ).fetchall()
        )

    def web_latest(self, year: int) -> dict[int, WebUpload]:
        """The newest upload of every link of ``year``."""
        sql = (
            self._WU + " WHERE web_uploads.id IN (SELECT MAX(w.id) FROM web_uploads w JOIN web_agencies a"
            " ON a.id = w.web_agency_id WHERE a.year = ? GROUP BY w.web_agency_id)"
        )
        return {u.web_agency_id: u for u in (self._upload(r) for r in self.db.execute(sql, (year,)))}

    def web_submission_id(self, agency_id: int, year: int) -> int | None:
        row = self.db.execute(
            "SELECT id FROM submissions WHERE agency_id = ? AND year = ? AND source = 'workbook'",
            (agency_id, year),
        ).fetchone()
        return int(row[0]) if row else None

    def web_versions(self, wa: WebAgency) -> list[Version]:
        """The archive versions of the link's agency and year (oldest first)."""
        aid = wa.agency_id if wa.agency_id is not None else self.web_link_agency(wa)
        sid = self.web_submission_id(aid, wa.year)
        if sid is None:
            return []
        sql = self._VERSION_SQL + " WHERE v.submission_id = ? ORDER BY v.id"
        return [self._version(r) for r in self.db.execute(sql, (sid,))]

    def web_year_versions(self, year: int) -> dict[int, list[Version]]:
        """Every archive version of the year's linked agencies (of their workbook submission),
        by archive agency, oldest first: one query for a whole province."""
        sql = (
            self._VERSION_SQL + " WHERE s.year = ? AND s.source = 'workbook' AND a.id IN"
            " (SELECT agency_id FROM web_agencies WHERE year = ?) ORDER BY v.id"
        )
        out: dict[int, list[Version]] = {}
        for r in self.db.execute(sql, (year, year)):
            v = self._version(r)
            out.setdefault(v.agency_id, []).append(v)
        return out

    def web_year_returns(self, year: int) -> dict[int, tuple[str, str]]:
        rows = self.db.execute(
            "SELECT r.version_id, r.note, r.returned_at FROM web_returns r JOIN versions v ON v.id = r.version_id"
            " JOIN submissions s ON s.id = v.submission_id WHERE s.year = ?",
            (year,),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def set_current(self, submission_id: int, version_id: int | None, chosen_by: str) -> None:
        self.db.execute(
            "UPDATE submissions SET current_version = ?, chosen_by = ? WHERE id = ?",
            (version_id, chosen_by, submission_id),
        )

    def chosen_by(self, submission_id: int) -> str:
        row = self.db.execute("SELECT chosen_by FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return str(row[0]) if row else "rule"

    # returns and the audit log
    def web_returns(self, version_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        ids = list(version_ids)
        if not ids:
            return {}
        rows = self.db.execute(
            f"SELECT version_id, note, returned_at FROM web_returns WHERE version_id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def web_set_return(self, version_id: int, note: str | None) -> None:
        if note is None:
            self.db.execute("DELETE FROM web_returns WHERE version_id = ?", (version_id,))
        else:
            self.db.execute(
                "INSERT INTO web_returns (version_id, note, returned_at) VALUES (?, ?, ?)"
                " ON CONFLICT (version_id) DO UPDATE SET note = excluded.note, returned_at = excluded.returned_at",
                (version_id, note, _now()),
            )

    def web_log(
        self,
        year: int,
        action: str,
        actor: str,
        *,
        web_agency_id: int | None = None,
        version_id: int | None = None,
        note: str = "",
        region_id: int | None = None,
    ) -> None:
        agency = None
        if web_agency_id is not None:
            agency = self.db.execute(
                "SELECT region_id, name FROM web_agencies WHERE id = ?", (web_agency_id,)
            ).fetchone()
            if region_id is None:
                region_id = agency[0] if agency else None
        # the names of now, kept with the entry: a later 区划调整 renames the region, not the log
        row = self.db.execute("SELECT name FROM web_regions WHERE id = ?", (region_id,)).fetchone()
        place = self.db.execute(
            "SELECT r.name FROM web_accounts a JOIN web_regions r ON r.year = ? AND r.path = a.region_path"
            " WHERE a.login = ?",
            (year, actor),
        ).fetchone()
        self.db.execute(
            "INSERT INTO web_events (year, web_agency_id, action, version_id, note, actor, at, region_id,"
            " region_name, actor_place, agency_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                year,
                web_agency_id,
                action,
                version_id,
                note,
                actor,
                _now(),
                region_id,
                row and row[0],
                place and place[0],
                agency and agency[1],  # a 单位更名 later renames the agency, not the log
            ),
        )

    def _events_named(self) -> str:
        """The columns of the names of its time the log keeps (an archive opened read-only from a
        serve of before may not have them: NULL, its entries named from the log's renames)."""
        if (named := getattr(self, "_named_events", None)) is None:
            cols = {r[1] for r in self.db.execute("PRAGMA table_info(web_events)")}
            named = self._named_events = ", ".join(
                c if c in cols else "NULL" for c in ("region_name", "actor_place", "agency_name")
            )
        return named

    def web_events(
        self,
        year: int,
        web_agency_id: int | None = None,
        limit: int = 500,
        regions: Iterable[int] | None = None,
    ) -> list[WebEvent]:
        sql = (
            "SELECT id, year, web_agency_id, action, version_id, note, actor, at, region_id, "
            + self._events_named()
            + " FROM web_events WHERE year = ?"
        )
        args: list[Any] = [year]
        if web_agency_id is not None:
            sql += " AND web_agency_id = ?"
            args.append(web_agency_id)
        if regions is not None:
            ids = list(regions)
            sql += f" AND region_id IN ({','.join('?' * len(ids)) or 'NULL'})"
            args += ids
        return [WebEvent(*r) for r in self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit])]

    # the region tree, accounts, submissions upward
    _WR = "SELECT id, year, name, path, parent_id FROM web_regions"

    def web_region_for(self, year: int, path: tuple[str, ...], root_name: str) -> int:
        """The region at ``path`` below the year's root (made with its ancestors if new)."""
        row = self.db.execute("SELECT id FROM web_regions WHERE year = ? AND path = ''", (year,)).fetchone()
        if row is None:
            cur = self.db.execute(
                "INSERT INTO web_regions (year, name, path, parent_id) VALUES (?, ?, '', NULL)",
                (year, root_name),
            )
            row = (cur.lastrowid,)
        parent = int(row[0])
        for n in range(1, len(path) + 1):
            p = "/".join(path[:n])
            got = self.db.execute(
                "SELECT id FROM web_regions WHERE year = ? AND path = ?", (year, p)
            ).fetchone()
            if got is None:
                cur = self.db.execute(
                    "INSERT INTO web_regions (year, name, path, parent_id) VALUES (?, ?, ?, ?)",
                    (year, path[n - 1], p, parent),
                )
                got = (cur.lastrowid,)
            parent = int(got[0])
        return parent

    def web_rename_region(self, year: int, old_path: str, new_path: str) -> list[str]:
        """区划调整: the year's region at ``old_path`` is the one at ``new_path`` now (its places
        below it move along): the same rows (its 上报 and 操作记录 stay its own), and the accounts
        bound to it or below it follow. Returns the logins of those accounts."""
        name = new_path.rsplit("/", 1)[-1]
        below = old_path + "/"
        for rid, path in self.db.execute(
            "SELECT id, path FROM web_regions WHERE year = ? AND (path = ? OR substr(path, 1, ?) = ?)",
            (year, old_path, len(below), below),
        ).fetchall():
            moved = new_path + path[len(old_path) :]
            self.db.execute(
                "UPDATE web_regions SET path = ?, name = ? WHERE id = ?",
                (moved, name if path == old_path else moved.rsplit("/", 1)[-1], rid),
            )
        logins = []
        for aid, login, path in self.db.execute(
            "SELECT id, login, region_path FROM web_accounts WHERE region_path = ? OR substr(region_path, 1, ?) = ?",
            (old_path, len(below), below),
        ).fetchall():
            self.db.execute(
                "UPDATE web_accounts SET region_path = ? WHERE id = ?",
                (new_path + path[len(old_path) :], aid),
            )
            logins.append(login)
        return logins

    def web_rename_root(self, year: int, name: str) -> None:
        """The year's root region (path ``''``) is called ``name`` now: the same row, its accounts
        (bound to ``''``) and everything below it unchanged."""
        self.db.execute("UPDATE web_regions SET name = ? WHERE year = ? AND path = ''", (name, year))

    def web_regions(self, year: int) -> list[WebRegion]:
        return [WebRegion(*r) for r in self.db.execute(self._WR + " WHERE year = ? ORDER BY path", (year,))]

    def web_region(self, region_id: int) -> WebRegion | None:
        if not 0 < region_id < 2**63:
            return None
        row = self.db.execute(self._WR + " WHERE id = ?", (region_id,)).fetchone()
        return WebRegion(*row) if row else None

    def web_set_agency_region(self, web_agency_id: int, region_id: int) -> None:
        self.db.execute("UPDATE web_agencies SET region_id = ? WHERE id = ?", (region_id, web_agency_id))

    _WACC = "SELECT id, login, password, region_path, created_by, created_at, disabled_at FROM web_accounts"

    def web_accounts(self) -> list[WebAccount]:
        return [WebAccount(*r) for r in self.db.execute(self._WACC + " ORDER BY region_path, login")]

    def web_account(self, *, login: str | None = None, id: int | None = None) -> WebAccount | None:
        if login is not None:
            row = self.db.execute(self._WACC + " WHERE login = ?", (login,)).fetchone()
        elif id is not None and 0 < id < 2**63:
            row = self.db.execute(self._WACC + " WHERE id = ?", (id,)).fetchone()
        else:
            row = None
        return WebAccount(*row) if row else None

    def web_add_account(self, login: str, password: str, region_path: str, created_by: int | None) -> int:
        cur = self.db.execute(
            "INSERT INTO web_accounts (login, password, region_path, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
            (login, password, region_path, created_by, _now()),
        )
        return int(cur.lastrowid or 0)

    def web_set_account(
        self, account_id: int, *, password: str | None = None, disabled: bool | None = None
    ) -> None:
        if password is not None:
            self.db.execute("UPDATE web_accounts SET password = ? WHERE id = ?", (password, account_id))
        if disabled is not None:
            self.db.execute(
                "UPDATE web_accounts SET disabled_at = ? WHERE id = ?",
                (_now() if disabled else None, account_id),
            )

    def web_add_submit(self, region_id: int, data: bytes, name: str, complete: bool, account: str) -> int:
        sha = self.put_file(data, name)
        cur = self.db.execute(
            "INSERT INTO web_submits (region_id, file_sha256, complete, account, submitted_at) VALUES (?, ?, ?, ?, ?)",
            (region_id, sha, int(complete), account, _now()),
        )
        return int(cur.lastrowid or 0)

    def web_submits(self, year: int) -> dict[int, WebSubmit]:
        """The newest submission upward of every region of ``year``."""
        rows = self.db.execute(
            "SELECT s.id, s.region_id, s.file_sha256, s.complete, s.account, s.submitted_at FROM web_submits s"
            " WHERE s.id IN (SELECT MAX(x.id) FROM web_submits x JOIN web_regions r ON r.id = x.region_id"
            " WHERE r.year = ? GROUP BY x.region_id)",
            (year,),
        )
        return {r[1]: WebSubmit(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows}


def _statements(script: str) -> list[str]:
    out, buf = [], []
    for line in script.strip().splitlines():
        buf.append(line)
        if sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf))
            buf = []
    return out
