"""Per-agency records outside memory: a national merge must not hold 400,000 of them.

:class:`RecordSpool` is the merge's list of per-file records. It keeps the first ``keep`` records
as plain objects; past that it moves every record, and each further one, to a private temporary
SQLite database (stdlib ``sqlite3``; the file is unlinked as soon as it is open, so nothing is
left behind whatever ends the run, even a kill). A record then lives as three parts: a few index
columns (status, name, file, duplicate identity: what the merge sorts and groups by, in SQL), the
record's other fields (pickled, rewritten when the merge changes them) and its values (pickled
once, never rewritten). A record read back carries a :class:`SpooledValues`: a small read-only
sequence that loads the values on use and compares, hashes and iterates exactly like the tuple it
stands for, so the merge's rules need no change; writers stream many with :func:`with_values`.
Both modes give the same records in the same order: text is compared as code points in both
(SQL compares UTF-32BE blobs, whose byte order is code point order).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from toolkit.oswords import os_reason

if TYPE_CHECKING:  # imported on first use: ``xxgk validate one.xlsx`` never needs them
    import sqlite3

__all__ = [
    "SPOOL_AFTER",
    "SPOOL_BYTES",
    "FileSet",
    "ItemSpool",
    "RecordSpool",
    "SpoolError",
    "SpooledValues",
    "spool_failure",
    "with_values",
]

BATCH = 512
# items a run keeps in memory; past that all go to a temporary database (XXGK_SPOOL_AFTER: tests,
# tuning). A district's or a city's run (up to 10,000 files) is never spilled: every pass over
# spilled records unpickles them again (a merge of 8,000 files: ~0.2 ms a file of main-process CPU)
SPOOL_AFTER = int(os.environ.get("XXGK_SPOOL_AFTER") or 10_000)
# ... nor more than about this many bytes of them in a spool, whatever their count (files with
# hundreds of findings each, very long paths): estimated per item by the spool's ``weigh``
SPOOL_BYTES = 16 * 1024 * 1024


class SpoolError(Exception):
    """The temporary database could not be made or written (no usable temporary folder, a full
    disk): its message is the one Chinese line the command prints (exit 2)."""


def spool_failure(exc: BaseException) -> SpoolError | None:
    """``exc`` as a :class:`SpoolError` when it is SQLite failing inside this module (a full disk
    mid-run: "database or disk is full", an I/O error), else None."""
    import sys

    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.Error):
        return None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == __file__:
            return SpoolError(_message(exc))
        tb = tb.tb_next
    return None


def _message(exc: BaseException) -> str:
    import errno
    import tempfile

    text = str(exc)
    code = exc.errno if isinstance(exc, OSError) else None
    if "full" in text or code == errno.ENOSPC:
        why = "磁盘空间不足"
    elif code in (errno.EACCES, errno.EPERM, errno.EROFS) or "readonly" in text:
        why = "没有写入权限"
    elif code == errno.ENOENT:
        why = "文件夹不存在"
    elif "I/O" in text:  # SQLite's word for a failed write: a size limit, a failing disk
        why = "磁盘写入失败"
    elif "unable to open" in text:
        why = "无法建立临时文件"
    else:  # never SQLite's or the system's English
        why = os_reason(exc) if isinstance(exc, OSError) else "临时数据库出错"
    try:
        where = tempfile.gettempdir()
    except OSError:  # no usable temporary folder at all
        where = os.environ.get("TMPDIR") or "TMPDIR"
    return (
        f"无法在临时文件夹 {where} 暂存逐个文件的记录（{why}）；"
        "请腾出磁盘空间，或设置 TMPDIR 指向可写且空间充足的文件夹后重试"
    )


def _text_key(s: str | None) -> bytes:
    """A sort key SQLite compares (memcmp) exactly as Python compares the str."""
    return (s or "").encode("utf-32-be", "surrogatepass")


class RecordSpool:
    """Records in arrival order, in memory up to ``keep``, then in a temporary database.

    ``index(rec)`` gives (status, name, file, ids, year, findings) of a record: what :meth:`sorted`
    and :meth:`groups` order and group by (ids: one or two identities, None: in no group), and what
    :meth:`updating` and :meth:`where` may select by (findings: how many its report has, column
    ``nf``). ``pack(rec)`` / ``unpack(data)``
    turn a record without its values into something picklable and back. Records read from the
    database are copies: a caller that changes them goes through :meth:`updating` or
    :meth:`save`. Iterate without changing: plain ``for r in spool``."""

    def __init__(
        self,
        keep: int | None,
        index: Callable[[Any], tuple[str, str, str, tuple[str, ...] | None, int | None, int]],
        pack: Callable[[Any], Any],
        unpack: Callable[[Any], Any],
        weigh: Callable[[Any], int] | None = None,
    ) -> None:
        self.keep = SPOOL_AFTER if keep is None else keep
        self._index, self._pack, self._unpack = index, pack, unpack
        self._weigh = weigh  # a record's estimated bytes in memory (see SPOOL_BYTES)
        self._bytes = 0
        self._mem: list[Any] | None = []
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None
        self._lock = threading.RLock()
        self._last: tuple[int, tuple[Any, ...]] | None = None
        self._pending: list[tuple[Any, ...]] = []  # rows appended, written a batch at a time
        self._n = 0
        self.version = 0  # changes with every write: lets callers cache what they computed
        self.closed = False

    # -- state ------------------------------------------------------------------------------------
    @property
    def spilled(self) -> bool:
        """Whether the records are in the database (more than ``keep`` of them)."""
        return self._db is not None

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __repr__(self) -> str:
        return f"RecordSpool({self._n} records{', spilled' if self.spilled else ''})"

    def _open(self) -> sqlite3.Connection:
        db, self._path = _temp_db(
            "CREATE TABLE r (seq INTEGER PRIMARY KEY, status TEXT, name BLOB, file BLOB, ida BLOB,"
            " idb BLOB, year INTEGER, nf INTEGER, rec BLOB NOT NULL, nvals INTEGER, vals BLOB)"
        )
        return db

    def _row(self, seq: int, rec: Any) -> tuple[Any, ...]:
        import pickle  # here, not at the top: `xxgk validate` starts without it

        status, name, file, ids, year, nf = self._index(rec)
        ida, idb = _ids(ids)
        values = rec.values
        if isinstance(values, SpooledValues):
            values = values.load() if values._spool is not self else values
        saved, rec.values = rec.values, None
        try:
            data = pickle.dumps(self._pack(rec), 5)
        finally:
            rec.values = saved
        if isinstance(values, SpooledValues):  # already stored in this row
            n, vals = len(values), None
        elif values is None:
            n, vals = None, None
        else:
            n, vals = len(values), pickle.dumps(tuple(values), 5)
        return (seq, status, _text_key(name), _text_key(file), ida, idb, year, nf, data, n, vals)

    # -- writing ----------------------------------------------------------------------------------
    def append(self, rec: Any) -> None:
        with self._lock:
            self.version += 1
            if self._mem is not None:
                self._mem.append(rec)
                self._n += 1
                if self._weigh is not None:
                    self._bytes += self._weigh(rec)
                if self._n > self.keep or self._bytes > SPOOL_BYTES:
                    self._spill()
                return
            self._n += 1
            self._pending.append(self._row(self._n, rec))
            if len(self._pending) >= BATCH:
                self._flush()

    def _flush(self) -> None:
        """Write the rows appended so far (before anything reads or changes the database)."""
        if self._pending:
            rows, self._pending = self._pending, []
            self._insert(rows)

    def extend(self, recs: Iterable[Any]) -> None:
        for r in recs:
            self.append(r)

    def _spill(self) -> None:
        assert self._mem is not None
        mem, self._mem = self._mem, None
        self._db = self._open()
        for start in range(0, len(mem), BATCH):  # a batch at a time: no second copy of them all
            rows = [self._row(i, r) for i, r in enumerate(mem[start : start + BATCH], start + 1)]
            mem[start : start + BATCH] = [None] * len(rows)  # each record let go once written
            self._insert(rows)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        assert self._db is not None
        _write(self._db, "INSERT INTO r VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)

    def save(self, recs: Iterable[Any]) -> None:
        """Write back records read from the database and changed (in memory: nothing to do)."""
        with self._lock:
            self.version += 1
            if self._db is None:
                return
            self._flush()
            rows = []
            for r in recs:
                seq = r.seq
                assert seq, "a record that did not come from this spool"
                rows.append((*self._row(seq, r)[1:9], seq))
            _write(
                self._db,
                "UPDATE r SET status=?, name=?, file=?, ida=?, idb=?, year=?, nf=?, rec=? WHERE seq=?",
                rows,
            )

    def remove_status(self, status: str) -> None:
        """Drop the records of one status (the merge's skipped summaries)."""
        with self._lock:
            self.version += 1
            if self._mem is not None:
                self._mem = [r for r in self._mem if r.status != status]
                self._n = len(self._mem)
                return
            assert self._db is not None
            self._flush()
            self._db.execute("DELETE FROM r WHERE status = ?", (status,))
            self._n = self._db.execute("SELECT count(*) FROM r").fetchone()[0]

    # -- reading ----------------------------------------------------------------------------------
    def _load(self, row: tuple[Any, ...]) -> Any:
        import pickle  # here, not at the top: `xxgk validate` starts without it

        seq, data, nvals = row
        rec = self._unpack(pickle.loads(data))
        rec.values = None if nvals is None else SpooledValues(self, seq, nvals)
        rec.seq = seq
        return rec

    def _pages(self, where: str = "", args: tuple[Any, ...] = ()) -> Iterator[list[Any]]:
        """Records from the database in order, a page at a time (no cursor stays open between
        pages, so the caller may write in between); ``where``: an SQL condition on the index."""
        last = 0
        cond = f" AND ({where})" if where else ""
        while True:
            with self._lock:
                assert self._db is not None, "the records' database is closed"
                self._flush()
                rows = self._db.execute(
                    f"SELECT seq, rec, nvals FROM r WHERE seq > ?{cond} ORDER BY seq LIMIT {BATCH}",
                    (last, *args),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [self._load(row) for row in rows]

    def __iter__(self) -> Iterator[Any]:
        if self._mem is not None:
            return iter(list(self._mem))
        return (r for page in self._pages() for r in page)

    def updating(
        self, where: Callable[[Any], bool] | None = None, sql: str = "", args: tuple[Any, ...] = ()
    ) -> Iterator[Any]:
        """The records, in order, to be changed by the caller: written back a page at a time
        (also when the caller stops early). Only those for which ``where(rec)`` holds, when
        given; ``sql`` (with ``args``) says the same on the index columns (status, name, file,
        ida, idb, year, nf), so that the database returns only them."""
        if self._mem is not None:
            self.version += 1
            yield from (r for r in list(self._mem) if where is None or where(r))
            return
        for page in self._pages(sql, args):
            try:
                yield from page
            finally:
                self.save(page)

    def where(self, where: Callable[[Any], bool], sql: str, args: tuple[Any, ...] = ()) -> Iterator[Any]:
        """The records for which ``where(rec)`` holds, in order, to read (not to change):
        ``sql`` (with ``args``) says the same on the index columns, so that past ``keep`` the
        database reads back only them (a few records of 400,000: not a pass over all)."""
        if self._mem is not None:
            return (r for r in list(self._mem) if where(r))
        return (r for page in self._pages(sql, args) for r in page)

    def sorted(self, rank: dict[str, int], default: int, by_name: bool) -> Iterator[Any]:
        """Records by the rank of their status (``default`` for others), then (``by_name``) name
        and file, then arrival: what ``sorted(records, key=...)`` gives, in SQL when spilled."""
        if self._mem is not None:

            def key(r: Any) -> tuple[Any, ...]:
                if not by_name:
                    return (rank.get(r.status, default),)
                _status, name, file, *_ = self._index(r)
                return (rank.get(r.status, default), name or "", file or "")

            return iter(sorted(self._mem, key=key))
        case = (
            "CASE status "
            + " ".join(f"WHEN ? THEN {int(v)}" for v in rank.values())
            + f" ELSE {int(default)} END"
        )
        order = f"{case}, name, file, seq" if by_name else f"{case}, seq"
        order_args = tuple(rank)
        return self._sorted_pages(order, order_args)

    def _sorted_pages(self, order: str, args: tuple[Any, ...]) -> Iterator[Any]:
        """SQLite sorts the rows (on disk past its cache); they are read a page at a time."""
        with self._lock:
            assert self._db is not None, "the records' database is closed"
            self._flush()
            cur = self._db.execute(f"SELECT seq, rec, nvals FROM r ORDER BY {order}", args)
        try:
            while True:
                with self._lock:
                    rows = cur.fetchmany(BATCH)
                if not rows:
                    return
                yield from (self._load(row) for row in rows)
        finally:
            cur.close()

    def groups(self) -> list[list[Any]]:
        """Records that share an identity, directly or through others (one record's code and
        name join both: a code mistyped in one of two files of an agency does not split it), for
        groups of more than one record, each in arrival order, the groups in the order of their
        first record; change them, then :meth:`save` them. In SQL when spilled: each record's
        group is the smallest seq it reaches, spread through shared identities until stable."""
        if self._mem is not None:
            parent: dict[str, str] = {}

            def root(x: str) -> str:
                while parent.setdefault(x, x) != x:
                    parent[x] = x = parent[parent[x]]
                return x

            eligible = []
            for r in self._mem:
                ids = self._index(r)[3]
                if not ids:
                    continue
                for i in ids[1:]:
                    parent[root(i)] = root(ids[0])
                eligible.append((r, ids[0]))
            by: dict[str, list[Any]] = {}
            for r, first in eligible:
                by.setdefault(root(first), []).append(r)
            return [g for g in by.values() if len(g) > 1]
        assert self._db is not None
        with self._lock:
            self._flush()
            db = self._db
            db.execute("DROP TABLE IF EXISTS g_e")
            db.execute("DROP TABLE IF EXISTS g_l")
            db.execute("DROP TABLE IF EXISTS g_i")
            db.execute("CREATE TABLE g_e (id BLOB NOT NULL, seq INTEGER NOT NULL)")
            db.execute("INSERT INTO g_e SELECT ida, seq FROM r WHERE ida IS NOT NULL")
            db.execute("INSERT INTO g_e SELECT idb, seq FROM r WHERE idb IS NOT NULL")
            db.execute("CREATE INDEX g_e_id ON g_e (id, seq)")
            db.execute("CREATE INDEX g_e_seq ON g_e (seq, id)")
            db.execute("CREATE TABLE g_l (seq INTEGER PRIMARY KEY, l INTEGER NOT NULL)")
            db.execute("INSERT INTO g_l SELECT DISTINCT seq, seq FROM g_e")
            db.execute("CREATE TABLE g_i (id BLOB PRIMARY KEY, l INTEGER NOT NULL) WITHOUT ROWID")
            while True:
                db.execute("DELETE FROM g_i")
                db.execute(
                    "INSERT INTO g_i SELECT g_e.id, min(g_l.l) FROM g_e JOIN g_l USING (seq) GROUP BY g_e.id"
                )
                least = "(SELECT min(g_i.l) FROM g_e JOIN g_i USING (id) WHERE g_e.seq = g_l.seq)"
                changed = db.execute(f"UPDATE g_l SET l = {least} WHERE {least} < l").rowcount
                if not changed:
                    break
            db.execute("CREATE INDEX g_l_l ON g_l (l)")
            labels = [
                lab for (lab,) in db.execute("SELECT l FROM g_l GROUP BY l HAVING count(*) > 1 ORDER BY l")
            ]
        out = []
        for lab in labels:
            with self._lock:
                rows = self._db.execute(
                    "SELECT r.seq, r.rec, r.nvals FROM g_l JOIN r USING (seq) WHERE g_l.l = ? ORDER BY r.seq",
                    (lab,),
                ).fetchall()
            out.append([self._load(row) for row in rows])
        with self._lock:
            for t in ("g_e", "g_l", "g_i"):
                self._db.execute(f"DROP TABLE {t}")
        return out

    def get(self, rowid: int) -> tuple[Any, ...]:
        import pickle  # here, not at the top: `xxgk validate` starts without it

        last = self._last
        if last is not None and last[0] == rowid:  # r.values[i] for several i of one record
            return last[1]
        with self._lock:
            assert self._db is not None, "the records' database is closed"
            self._flush()
            row = self._db.execute("SELECT vals FROM r WHERE seq = ?", (rowid,)).fetchone()
        values = pickle.loads(row[0])
        self._last = (rowid, values)
        return values

    def fetch(self, rowids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        """Many values in one query."""
        import pickle  # here, not at the top: `xxgk validate` starts without it

        if not rowids:
            return {}
        with self._lock:
            assert self._db is not None, "the records' database is closed"
            self._flush()
            marks = ",".join("?" * len(rowids))
            rows = self._db.execute(
                f"SELECT seq, vals FROM r WHERE seq IN ({marks})", list(rowids)
            ).fetchall()
        return {i: pickle.loads(d) for i, d in rows}

    def close(self) -> None:
        """Drop the database (its file is gone already; on Windows it is removed now)."""
        with self._lock:
            self.closed = True
            self._pending = []
            db, self._db = self._db, None
            _close_db(db, self._path)
            self._path = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown
            self.close()


def _write(db: sqlite3.Connection, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Many rows in one transaction (the connection commits each statement by itself otherwise:
    one commit a row cost ~60 us)."""
    db.execute("BEGIN")
    try:
        db.executemany(sql, rows)
    except BaseException:
        with contextlib.suppress(Exception):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _temp_db(schema: str) -> tuple[sqlite3.Connection, str | None]:
    """A private SQLite database in the temporary folder, for one process. POSIX: its name is
    removed as soon as it is open (the open file lives on), so nothing is left behind however the
    run ends; elsewhere the name is returned, to be removed on close."""
    import sqlite3
    import tempfile

    try:
        fd, path = tempfile.mkstemp(prefix="xxgk-", suffix=".sqlite")
    except OSError as exc:  # no usable temporary folder (gettempdir found none, or it went away)
        raise SpoolError(_message(exc)) from exc
    os.close(fd)
    db = None
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")
        if os.name != "nt":  # open now: the name can go at once
            with contextlib.suppress(OSError):
                os.unlink(path)
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("PRAGMA cache_size=-1024")  # 1 MB of pages in memory (read in order), the rest on disk
        db.execute(schema)
    except sqlite3.Error as exc:
        _close_db(db, path)
        raise SpoolError(_message(exc)) from exc
    finally:
        if os.name != "nt":
            with contextlib.suppress(OSError):
                os.unlink(path)
    return db, (path if os.name == "nt" else None)


def _close_db(db: sqlite3.Connection | None, path: str | None) -> None:
    if db is not None:
        db.close()
    if path:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _in_order(spool: ItemSpool | FileSet, table: str, column: str) -> Iterator[Any]:
    """``column`` of a (seq, column) table in ``seq`` order, a page at a time: the database may
    hold more than memory would."""
    last = 0
    while True:
        assert spool._db is not None, "the spool's database is closed"
        rows = spool._db.execute(
            f"SELECT seq, {column} FROM {table} WHERE seq > ? ORDER BY seq LIMIT {BATCH}", (last,)
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        yield from (v for _seq, v in rows)


class ItemSpool:
    """A list of picklable items in arrival order, appended and then read (iterated any number
    of times): in memory up to ``keep``, then all in a temporary database. Items read from the
    database are copies. ``pack``/``unpack``: what an item is stored as in the database and made
    back from (plain tuples pickle several times faster than dataclasses); identity by default."""

    def __init__(
        self,
        keep: int | None = None,
        pack: Callable[[Any], Any] | None = None,
        unpack: Callable[[Any], Any] | None = None,
        weigh: Callable[[Any], int] | None = None,
    ) -> None:
        self.keep = SPOOL_AFTER if keep is None else keep
        self._pack = pack
        self._unpack = unpack
        self._weigh = weigh  # an item's estimated bytes in memory (see SPOOL_BYTES)
        self._bytes = 0
        self._mem: list[Any] | None = []
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None
        self._pending: list[tuple[int, bytes]] = []
        self._n = 0

    @property
    def spilled(self) -> bool:
        return self._db is not None

    def __len__(self) -> int:
        return self._n

    def append(self, item: Any) -> None:
        import pickle  # here, not at the top: `xxgk validate` starts without it

        self._n += 1
        if self._mem is not None:
            self._mem.append(item)
            if self._weigh is not None:
                self._bytes += self._weigh(item)
            if self._n <= self.keep and self._bytes <= SPOOL_BYTES:
                return
            mem, self._mem = self._mem, None
            self._db, self._path = _temp_db("CREATE TABLE i (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            _write(
                self._db,
                "INSERT INTO i VALUES (?, ?)",
                ((k, pickle.dumps(self._pack(x) if self._pack else x, 5)) for k, x in enumerate(mem, 1)),
            )
            return
        assert self._db is not None, "the items' database is closed"
        self._pending.append((self._n, pickle.dumps(self._pack(item) if self._pack else item, 5)))
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            assert self._db is not None, "the items' database is closed"
            rows, self._pending = self._pending, []
            _write(self._db, "INSERT INTO i VALUES (?, ?)", rows)

    def __iter__(self) -> Iterator[Any]:
        import pickle  # here, not at the top: `xxgk validate` starts without it

        if self._mem is not None:
            yield from list(self._mem)
            return
        self._flush()
        items = map(pickle.loads, _in_order(self, "i", "data"))
        yield from map(self._unpack, items) if self._unpack else items

    def close(self) -> None:
        self._pending = []
        db, self._db = self._db, None
        _close_db(db, self._path)
        self._path = None

    def __enter__(self) -> ItemSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _ids(ids: tuple[str, ...] | None) -> tuple[bytes | None, bytes | None]:
    """A record's one or two identities as the columns ida, idb."""
    if not ids:
        return None, None
    enc = [i.encode("utf-8", "surrogatepass") for i in ids]
    return enc[0], (enc[1] if len(enc) > 1 else None)


class SpooledValues(Sequence):
    """A record's values in the spool: loaded on use, equal to (and hashed like) the tuple."""

    __slots__ = ("_len", "_rowid", "_spool")

    def __init__(self, spool: RecordSpool, rowid: int, length: int) -> None:
        self._spool, self._rowid, self._len = spool, rowid, length

    def load(self) -> tuple[Any, ...]:
        return self._spool.get(self._rowid)

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Any, ...]: ...
    def __getitem__(self, i):
        return self.load()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.load())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpooledValues):
            if other._spool is self._spool and other._rowid == self._rowid:
                return True
            return self.load() == other.load()
        if isinstance(other, tuple):
            return self.load() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.load())

    def __repr__(self) -> str:
        return f"SpooledValues(#{self._rowid}, {self._len} values)"

    def __reduce__(self):  # pickled (sent elsewhere): as the plain tuple
        return (tuple, (self.load(),))


def with_values(
    items: Iterable[Any], want: Callable[[Any], bool] | None = None
) -> Iterator[tuple[Any, tuple[Any, ...] | None]]:
    """(item, its values) for objects with a ``values`` attribute, in order: spooled values are
    fetched in batches (one query per few hundred records), never one by one. ``want``: only the
    items for which it holds get their values (the others None, never fetched) — one pass over
    every record that needs the values of some."""
    batch: list[Any] = []

    def flush() -> Iterator[tuple[Any, tuple[Any, ...] | None]]:
        wanted = [True] * len(batch) if want is None else [want(it) for it in batch]
        by_spool: dict[int, dict[int, tuple[Any, ...]]] = {}
        spools = {
            id(v._spool): v._spool
            for it, w in zip(batch, wanted, strict=True)
            if w and isinstance(v := it.values, SpooledValues)
        }
        for key, spool in spools.items():
            ids = [
                it.values._rowid
                for it, w in zip(batch, wanted, strict=True)
                if w and isinstance(it.values, SpooledValues) and it.values._spool is spool
            ]
            by_spool[key] = spool.fetch(ids)
        for it, w in zip(batch, wanted, strict=True):
            v = it.values
            if not w:
                yield it, None
            elif isinstance(v, SpooledValues):
                yield it, by_spool[id(v._spool)][v._rowid]
            else:
                yield it, v
        batch.clear()

    for it in items:
        batch.append(it)
        if len(batch) >= BATCH:
            yield from flush()
    yield from flush()


def path_order(p: Path) -> bytes:
    """A key that sorts (memcmp) as ``Path`` objects sort: part by part."""
    return b"\0\0\0\0".join(part.encode("utf-32-be", "surrogatepass") for part in p.parts)


class FileSet:
    """The files a run reads, unique by a key (their resolved path), listed sorted by their path
    as text: a dict while few, past ``keep`` a temporary database (a national folder's 400,000
    names are not held). Of several files with one key the one added with the smallest ``rank``
    stays (the first seen, when ranks follow the order of discovery)."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = SPOOL_AFTER if keep is None else keep
        self._bytes = 0  # the names' estimated bytes in memory (see SPOOL_BYTES)
        self._mem: dict[str, tuple[bytes, Path]] | None = {}
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None
        self._n = 0
        self._sorted: list[Path] | None = None
        self._pending: list[tuple[bytes, bytes, bytes, bytes]] = []  # rows added, written in batches

    def add(self, key: str, path: Path, rank: bytes) -> None:
        self._sorted = None
        if self._mem is not None:
            old = self._mem.get(key)
            if old is None or rank < old[0]:
                self._mem[key] = (rank, path)
                if old is None:  # the key, the rank (UTF-32) and the path: ~10 bytes a character
                    self._bytes += 400 + 10 * len(key) + len(rank)
            if len(self._mem) > self.keep or self._bytes > SPOOL_BYTES:
                mem, self._mem = self._mem, None
                self._db, self._path = _temp_db(
                    "CREATE TABLE f (key BLOB PRIMARY KEY, rank BLOB, sortkey BLOB, path BLOB) WITHOUT ROWID"
                )
                self._db.executemany(
                    "INSERT INTO f VALUES (?, ?, ?, ?)", (self._row(k, p, r) for k, (r, p) in mem.items())
                )
            return
        assert self._db is not None
        self._pending.append(self._row(key, path, rank))
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            assert self._db is not None
            rows, self._pending = self._pending, []
            _write(
                self._db,
                "INSERT INTO f VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET rank=excluded.rank,"
                " sortkey=excluded.sortkey, path=excluded.path WHERE excluded.rank < f.rank",
                rows,
            )

    @staticmethod
    def _row(key: str, path: Path, rank: bytes) -> tuple[bytes, bytes, bytes, bytes]:
        return (
            key.encode("utf-8", "surrogateescape"),
            rank,
            str(path).encode("utf-32-be", "surrogatepass"),
            os.fsencode(path),
        )

    @property
    def spilled(self) -> bool:
        return self._db is not None

    def finish(self) -> None:
        """No more files: sort them (in SQL past ``keep``)."""
        if self._mem is not None:
            self._sorted = sorted((p for _r, p in self._mem.values()), key=str)
            self._n = len(self._sorted)
            return
        assert self._db is not None
        self._flush()
        self._db.execute("CREATE TABLE s (seq INTEGER PRIMARY KEY, path BLOB)")
        self._db.execute("INSERT INTO s (path) SELECT path FROM f ORDER BY sortkey")
        self._db.execute("DROP TABLE f")
        self._n = self._db.execute("SELECT count(*) FROM s").fetchone()[0]

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __iter__(self) -> Iterator[Path]:
        if self._sorted is not None:
            yield from list(self._sorted)
            return
        yield from (Path(os.fsdecode(b)) for b in _in_order(self, "s", "path"))

    def close(self) -> None:
        self._pending = []
        db, self._db = self._db, None
        _close_db(db, self._path)
        self._path = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()
