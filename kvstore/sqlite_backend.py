"""The SQLite engine: a :class:`kvstore.backend.Backend` on one file, for one host.

``sqlite://PATH`` (``kvstore.backends``) keeps everything Redis would in one
SQLite file from the standard library, under the same full keys, so a dump of
one restores into the other unchanged. Three tables::

    kv(key TEXT PRIMARY KEY, value BLOB, expires INTEGER)  strings; expires in Unix ms or NULL
    list(key TEXT, pos INTEGER, value BLOB)                lists (the queues, their lanes), by pos
    hash(key TEXT, field BLOB, value BLOB)                 hashes (a queue's attempts)

An expired row is absent to every read, write and listing, as in Redis; write
transactions also delete the rows that have expired, so commit markers and
locks do not pile up.

Transactions: the file is in WAL mode, so readers never wait for writers and
every read of several keys (MGET, a script that only reads) sees one moment.
Every operation that writes — a plain SET as much as a unit's commit — is one
``BEGIN IMMEDIATE`` transaction running the script's Python steps
(``kvstore.scripts.Script.local``) against these tables: writers queue for the
file's write lock, so several processes (two ``lotto`` commands, ``lotto
serve``, ``lotto-store dump``) can share a file without lost updates. A
writer waits for the lock at most until the operation's deadline
(``busy_timeout``), then fails with ``BackendNoAnswerError`` — rolled back,
nothing written — never with "database is locked". ``kill -9`` at any point
leaves the old or the new state (SQLite's journal), and a transaction that
returned has committed (``synchronous=NORMAL``: it survives the process
crashing; a power cut may lose the last moments, never consistency).

Each thread (and each process, after a fork) has its own connection; the file
and its tables are created on first use (the file readable by its owner only).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import backends
from .deadline import scope_for
from .errors import BackendError, BackendNoAnswerError, InvalidArgumentError
from .scripts import Script

__all__ = ["SQLiteBackend", "connect", "SCHEMA_VERSION"]

#: ``PRAGMA user_version`` of a file with this module's tables.
SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv ("
    " key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL, expires INTEGER) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires) WHERE expires IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS list ("
    " key TEXT NOT NULL, pos INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, pos))"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS hash ("
    " key TEXT NOT NULL, field BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, field))"
    " WITHOUT ROWID",
)
_LIVE = "(expires IS NULL OR expires > ?)"
# SQLite allows 32766 bound values a statement; MGETs are cut well below that.
_MGET_BATCH = 10_000

T = TypeVar("T")


def connect(url: str, *, timeout: float) -> SQLiteBackend:
    """A backend for the ``sqlite://PATH`` ``url``, creating the file on first use.

    InvalidArgumentError when the file's directory does not exist; BackendError
    when the file cannot be opened or is not a SQLite database.
    """
    path = backends.sqlite_path(url)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise InvalidArgumentError(
            f"cannot open the SQLite store {path}: the directory {folder} does not exist",
            url=url,
        )
    return SQLiteBackend(path, url=url, timeout=timeout)


class _Tables:
    """The :class:`kvstore.scripts.Data` commands over the tables, in one transaction."""

    def __init__(self, conn: sqlite3.Connection, now_ms: int) -> None:
        self._db = conn
        self._now = now_ms

    def get(self, key: str) -> bytes | None:
        row = self._db.execute(
            f"SELECT value FROM kv WHERE key = ? AND {_LIVE}", (key, self._now)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def mget(self, keys: Sequence[str]) -> list[bytes | None]:
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), _MGET_BATCH):
            batch = list(keys[start : start + _MGET_BATCH])
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, value FROM kv WHERE key IN ({marks}) AND {_LIVE}",
                (*batch, self._now),
            )
            found.update((key, bytes(value)) for key, value in rows)
        return [found.get(key) for key in keys]

    def set(self, key: str, value: bytes, px: int = 0) -> None:
        expires = self._now + px if px > 0 else None
        self._db.execute(
            "INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)",
            (key, value, expires),
        )

    def exists(self, key: str) -> bool:
        if self.get(key) is not None or self.llen(key) > 0:
            return True
        return self._db.execute("SELECT 1 FROM hash WHERE key = ?", (key,)).fetchone() is not None

    def delete(self, key: str) -> int:
        existed = self.exists(key)
        for table in ("kv", "list", "hash"):
            self._db.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
        return int(existed)

    def pexpire(self, key: str, ms: int) -> bool:
        cursor = self._db.execute(
            f"UPDATE kv SET expires = ? WHERE key = ? AND {_LIVE}", (self._now + ms, key, self._now)
        )
        return cursor.rowcount > 0

    def rpush(self, key: str, value: bytes) -> int:
        self._db.execute(
            "INSERT INTO list (key, pos, value) "
            "VALUES (?, (SELECT COALESCE(MAX(pos), 0) + 1 FROM list WHERE key = ?), ?)",
            (key, key, value),
        )
        return self.llen(key)

    def lindex(self, key: str, index: int) -> bytes | None:
        row = self._db.execute(
            "SELECT value FROM list WHERE key = ? ORDER BY pos LIMIT 1 OFFSET ?", (key, index)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def lpop(self, key: str) -> bytes | None:
        row = self._db.execute(
            "SELECT pos, value FROM list WHERE key = ? ORDER BY pos LIMIT 1", (key,)
        ).fetchone()
        if row is None:
            return None
        self._db.execute("DELETE FROM list WHERE key = ? AND pos = ?", (key, row[0]))
        return bytes(row[1])

    def lrange(self, key: str, start: int, stop: int) -> list[bytes]:
        limit = -1 if stop < 0 else max(0, stop - start + 1)
        rows = self._db.execute(
            "SELECT value FROM list WHERE key = ? ORDER BY pos LIMIT ? OFFSET ?",
            (key, limit, start),
        )
        return [bytes(value) for (value,) in rows]

    def llen(self, key: str) -> int:
        return int(
            self._db.execute("SELECT COUNT(*) FROM list WHERE key = ?", (key,)).fetchone()[0]
        )

    def lpos(self, key: str, value: bytes) -> int | None:
        row = self._db.execute(
            "SELECT pos FROM list WHERE key = ? AND value = ? ORDER BY pos LIMIT 1", (key, value)
        ).fetchone()
        if row is None:
            return None
        before = self._db.execute(
            "SELECT COUNT(*) FROM list WHERE key = ? AND pos < ?", (key, row[0])
        ).fetchone()
        return int(before[0])

    def lrem(self, key: str, value: bytes) -> int:
        cursor = self._db.execute(
            "DELETE FROM list WHERE key = ? AND pos = "
            "(SELECT pos FROM list WHERE key = ? AND value = ? ORDER BY pos LIMIT 1)",
            (key, key, value),
        )
        return cursor.rowcount

    def ltrim(self, key: str, start: int, stop: int) -> None:
        if stop != -1:
            raise ValueError("only LTRIM key start -1 is supported")
        self._db.execute(
            "DELETE FROM list WHERE key = ? AND pos IN "
            "(SELECT pos FROM list WHERE key = ? ORDER BY pos LIMIT ?)",
            (key, key, start),
        )

    def hget(self, key: str, field: bytes) -> bytes | None:
        row = self._db.execute(
            "SELECT value FROM hash WHERE key = ? AND field = ?", (key, field)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def hset(self, key: str, field: bytes, value: bytes) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO hash (key, field, value) VALUES (?, ?, ?)", (key, field, value)
        )

    def hdel(self, key: str, field: bytes) -> int:
        cursor = self._db.execute("DELETE FROM hash WHERE key = ? AND field = ?", (key, field))
        return cursor.rowcount

    def scan(self, prefix: str) -> list[str]:
        # A range on the primary key: the prefix up to the next string after every
        # string that starts with it.
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = self._db.execute(
            f"SELECT key FROM kv WHERE key >= ? AND key < ? AND {_LIVE} "
            "UNION SELECT DISTINCT key FROM list WHERE key >= ? AND key < ? "
            "UNION SELECT DISTINCT key FROM hash WHERE key >= ? AND key < ?",
            (prefix, end, self._now, prefix, end, prefix, end),
        )
        return [key for (key,) in rows]

    def purge(self) -> None:
        """Delete the rows that have expired (the partial index finds them)."""
        self._db.execute("DELETE FROM kv WHERE expires <= ?", (self._now,))


class SQLiteBackend:
    """The tables of one SQLite file (thread-safe: one connection per thread)."""

    engine = "SQLite"
    #: Nothing crosses a network: a commit compares the bytes it read.
    digest_reads = False

    def __init__(self, path: str, *, url: str, timeout: float) -> None:
        self._path = path
        self._url = url
        self._timeout = timeout
        self._local = threading.local()
        self._guard = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._round_trips = 0
        self._closed = False
        self._pid = os.getpid()
        self._run("open", None, self._create, count=False)

    @property
    def url(self) -> str:
        """The URL as given."""
        return self._url

    @property
    def path(self) -> str:
        """The database file (absolute)."""
        return self._path

    @property
    def round_trips(self) -> int:
        """Operations run so far (all threads), each one transaction."""
        return self._round_trips

    # -- transactions ----------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if os.getpid() != self._pid:
            # A forked child must not touch its parent's connections (SQLite's rule):
            # it leaves them alone and opens its own.
            with self._guard:
                self._pid, self._connections = os.getpid(), []
            self._local = threading.local()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise BackendError(
                f"the SQLite store {self._path} was closed",
                operation="connect",
                key=None,
                url=self._url,
                engine="SQLite",
            )
        if not os.path.exists(self._path):
            # Records are people's schedules: the file (and SQLite's -wal and -shm
            # files, which copy its mode) is for its owner only.
            os.close(os.open(self._path, os.O_CREAT | os.O_WRONLY, 0o600))
        conn = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous = NORMAL")
        with self._guard:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _create(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        # WAL is a property of the file: set once, outside a transaction.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _run(
        self,
        op: str,
        subject: str | None,
        fn: Callable[[sqlite3.Connection], T],
        *,
        count: bool = True,
    ) -> T:
        """``fn(connection)`` by the deadline in force, SQLite errors as kvstore errors."""
        if count:
            with self._guard:
                self._round_trips += 1
        scope = scope_for(self._timeout)
        left = scope.deadline - time.monotonic()
        context: dict[str, Any] = {
            "operation": op,
            "key": subject,
            "url": self._url,
            "engine": "SQLite",
        }
        if left <= 0:
            raise BackendNoAnswerError(
                f"no time was left for {op} on the SQLite store {self._path}; nothing was written",
                timeout=scope.seconds,
                **context,
            )
        try:
            conn = self._connection()
            conn.execute(f"PRAGMA busy_timeout = {max(1, int(left * 1000))}")
            return fn(conn)
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise BackendNoAnswerError(
                    f"the SQLite store {self._path} stayed busy with other writers for "
                    f"{scope.seconds:g} s, so {op} did not run; nothing was written",
                    timeout=scope.seconds,
                    **context,
                ) from exc
            raise self._failed(op, exc, context) from exc
        except sqlite3.Error as exc:
            raise self._failed(op, exc, context) from exc
        except OSError as exc:
            raise self._failed(op, exc, context) from exc

    def _failed(self, op: str, exc: Exception, context: dict[str, Any]) -> BackendError:
        return BackendError(f"SQLite failed during {op} on {self._path}: {exc}", **context)

    def _transaction(
        self, op: str, subject: str | None, write: bool, fn: Callable[[_Tables], T]
    ) -> T:
        def run(conn: sqlite3.Connection) -> T:
            # IMMEDIATE takes the write lock first (waiting up to busy_timeout), so a
            # transaction never fails half-way on a lock; a deferred one only reads.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                tables = _Tables(conn, _now_ms())
                result = fn(tables)
                if write:
                    tables.purge()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._run(op, subject, run)

    # -- the Backend protocol ------------------------------------------------

    def get(self, key: str, *, op: str = "get", subject: str | None = None) -> bytes | None:
        """GET (one statement: no transaction needed)."""
        return self._run(op, subject, lambda conn: _Tables(conn, _now_ms()).get(key))

    def mget(
        self, keys: Sequence[str], *, op: str = "get_many", subject: str | None = None
    ) -> list[bytes | None]:
        """MGET in one read transaction (one moment)."""
        return self._transaction(op, subject, False, lambda t: t.mget(keys))

    def set(
        self,
        key: str,
        value: bytes,
        *,
        px: int = 0,
        nx: bool = False,
        op: str = "set",
        subject: str | None = None,
    ) -> bool:
        """SET [PX] [NX]."""

        def write(t: _Tables) -> bool:
            if nx and t.exists(key):
                return False
            t.set(key, value, px)
            return True

        return self._transaction(op, subject, True, write)

    def delete(self, keys: Sequence[str], *, op: str = "delete", subject: str | None = None) -> int:
        """DEL."""
        return self._transaction(op, subject, True, lambda t: sum(t.delete(k) for k in keys))

    def scan(self, prefix: str, *, op: str = "scan") -> list[str]:
        """Every live key starting with ``prefix`` (one indexed range read)."""
        return self._transaction(op, None, False, lambda t: t.scan(prefix))

    def rpush(self, key: str, value: bytes, *, op: str, subject: str | None = None) -> int:
        """RPUSH."""
        return self._transaction(op, subject, True, lambda t: t.rpush(key, value))

    def llen(self, key: str, *, op: str, subject: str | None = None) -> int:
        """LLEN."""
        return self._transaction(op, subject, False, lambda t: t.llen(key))

    def lrange(
        self, key: str, start: int, stop: int, *, op: str, subject: str | None = None
    ) -> list[bytes]:
        """LRANGE."""
        return self._transaction(op, subject, False, lambda t: t.lrange(key, start, stop))

    def eval(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[bytes | int | str],
        *,
        op: str,
        subject: str | None = None,
    ) -> Any:
        """``script.local`` in one transaction (IMMEDIATE unless the script only reads)."""
        raw = [_as_arg(a) for a in args]
        return self._transaction(
            op, subject, script.writes, lambda t: script.local(t, list(keys), raw)
        )

    def ping(self) -> bool:
        """Whether the file answers a read; never raises."""
        try:
            self._run("ping", None, lambda conn: conn.execute("SELECT 1").fetchone())
        except BackendError:
            return False
        return True

    async def ping_async(self, timeout: float) -> bool:
        """:meth:`ping` in a worker thread, bounded by ``timeout``."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.ping), timeout)
        except TimeoutError:
            return False

    async def close_async(self) -> None:
        """Nothing to release: :meth:`ping_async` uses the thread's connection."""

    def close(self) -> None:
        """Close every thread's connection; the backend must not be used afterwards."""
        with self._guard:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


def _now_ms() -> int:
    # Wall-clock milliseconds: the one clock every process sharing the file agrees on.
    return time.time_ns() // 1_000_000


def _as_arg(value: bytes | int | str) -> bytes:
    """An argument as a script sees it (Redis's view: ints as their decimal digits)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return str(int(value)).encode()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc)
    return "locked" in text or "busy" in text
