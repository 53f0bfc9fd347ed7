"""Per-agency values outside memory: a national merge must not hold 400,000 tuples.

:class:`ValueSpool` keeps the first ``keep`` value tuples as they are and writes every further one
to a private temporary SQLite database (on disk, deleted when closed; stdlib ``sqlite3``). What
the merge holds for such a file is a :class:`SpooledValues`: a small read-only sequence that
loads its values on use and compares, hashes and iterates exactly like the tuple it stands for,
so the merge's rules (duplicates by content, sums, statuses) need no change. The writers stream
many at once with :meth:`ValueSpool.fetch` in batches.
"""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

__all__ = ["SpooledValues", "ValueSpool", "with_values"]

BATCH = 512


class ValueSpool:
    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.kept = 0  # tuples returned as they are (held by the caller)
        self.spooled = 0  # tuples written to the database
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._last: tuple[int, tuple[Any, ...]] | None = None

    def put(self, values: tuple[Any, ...]) -> tuple[Any, ...] | SpooledValues:
        """The values to keep in a record: the tuple itself while few, else a spooled stand-in."""
        if self.kept < self.keep:
            self.kept += 1
            return values
        with self._lock:
            db = self._open()
            cur = db.execute("INSERT INTO v (data) VALUES (?)", (pickle.dumps(values, 5),))
            self.spooled += 1
            rowid = cur.lastrowid
        assert rowid is not None
        return SpooledValues(self, rowid, len(values))

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "": a private temporary on-disk database, deleted by SQLite when it is closed
            db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("PRAGMA cache_size=-4096")  # 4 MB of pages in memory, the rest on disk
            db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            self._db = db
        return self._db

    def get(self, rowid: int) -> tuple[Any, ...]:
        last = self._last
        if last is not None and last[0] == rowid:  # r.values[i] for several i of one record
            return last[1]
        with self._lock:
            assert self._db is not None
            row = self._db.execute("SELECT data FROM v WHERE id = ?", (rowid,)).fetchone()
        values = pickle.loads(row[0])
        self._last = (rowid, values)
        return values

    def fetch(self, rowids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        """Many values in one query."""
        if not rowids:
            return {}
        with self._lock:
            assert self._db is not None
            marks = ",".join("?" * len(rowids))
            rows = self._db.execute(f"SELECT id, data FROM v WHERE id IN ({marks})", list(rowids)).fetchall()
        return {i: pickle.loads(d) for i, d in rows}

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __del__(self) -> None:  # the database file goes with the last record that uses it
        with contextlib.suppress(Exception):  # at interpreter shutdown
            self.close()


class SpooledValues(Sequence):
    """A record's values in the spool: loaded on use, equal to (and hashed like) the tuple."""

    __slots__ = ("_len", "_rowid", "_spool")

    def __init__(self, spool: ValueSpool, rowid: int, length: int) -> None:
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


def with_values(items: Iterable[Any]) -> Iterator[tuple[Any, tuple[Any, ...] | None]]:
    """(item, its values) for objects with a ``values`` attribute, in order: spooled values are
    fetched in batches (one query per few hundred records), never one by one."""
    batch: list[Any] = []

    def flush() -> Iterator[tuple[Any, tuple[Any, ...] | None]]:
        by_spool: dict[int, dict[int, tuple[Any, ...]]] = {}
        spools = {id(v._spool): v._spool for it in batch if isinstance(v := it.values, SpooledValues)}
        for key, spool in spools.items():
            ids = [
                it.values._rowid
                for it in batch
                if isinstance(it.values, SpooledValues) and it.values._spool is spool
            ]
            by_spool[key] = spool.fetch(ids)
        for it in batch:
            v = it.values
            if isinstance(v, SpooledValues):
                yield it, by_spool[id(v._spool)][v._rowid]
            else:
                yield it, v
        batch.clear()

    for it in items:
        batch.append(it)
        if len(batch) >= BATCH:
            yield from flush()
    yield from flush()
