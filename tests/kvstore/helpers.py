"""Helpers for the kvstore tests (no fixtures here; those live in tests/conftest.py).

:class:`Engine` looks under a ``KVStore`` the way an operator would, with the
engine's own tools rather than through kvstore: ``redis-cli`` commands on a
Redis, plain SQL on a SQLite file (``Engine(kv)`` picks the right one).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time

import redis

import kvstore


def server_ms(client: redis.Redis) -> int:
    """The Redis server's own clock, in milliseconds."""
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


class Engine:
    """The engine of ``kv``, seen from outside kvstore; full keys (``<plugin id>:…``)."""

    def __new__(cls, kv: kvstore.KVStore) -> Engine:
        if cls is Engine:
            cls = _SQLite if kv.backend.engine == "SQLite" else _Redis
        return super().__new__(cls)

    def get(self, full_key: str) -> bytes | None:
        """The raw value (GET)."""
        raise NotImplementedError

    def set(self, full_key: str, value: bytes) -> None:
        """Write a raw value (SET), as an operator or an older version would."""
        raise NotImplementedError

    def pttl(self, full_key: str) -> int:
        """Milliseconds left to live; -1 without expiry, -2 when absent (PTTL)."""
        raise NotImplementedError

    def exists(self, full_key: str) -> bool:
        """Whether the key is there."""
        raise NotImplementedError

    def llen(self, full_key: str) -> int:
        """The length of a list (a queue)."""
        raise NotImplementedError

    def keys(self) -> list[str]:
        """Every live key of every plugin, sorted."""
        raise NotImplementedError

    def size(self) -> int:
        """How many keys there are, of every plugin."""
        return len(self.keys())

    def flush(self) -> None:
        """Remove everything (FLUSHDB)."""
        raise NotImplementedError

    def expire_soon(self, full_key: str) -> None:
        """Make ``full_key`` expire, and return once the engine's clock is past that moment.

        Waits on the clock the engine judges expiry by, not a fixed sleep; bounded
        so a stuck clock fails the test instead of hanging it.
        """
        raise NotImplementedError


class _Redis(Engine):
    """redis-cli's view."""

    def __init__(self, kv: kvstore.KVStore) -> None:
        self.client: redis.Redis = kv.backend.client  # type: ignore[attr-defined]

    def get(self, full_key: str) -> bytes | None:
        return self.client.get(full_key)

    def set(self, full_key: str, value: bytes) -> None:
        self.client.set(full_key, value)

    def pttl(self, full_key: str) -> int:
        return int(self.client.pttl(full_key))

    def exists(self, full_key: str) -> bool:
        return bool(self.client.exists(full_key))

    def llen(self, full_key: str) -> int:
        return int(self.client.llen(full_key))

    def keys(self) -> list[str]:
        return sorted(k.decode() for k in self.client.scan_iter(match="*"))

    def size(self) -> int:
        return int(self.client.dbsize())

    def flush(self) -> None:
        self.client.flushdb()

    def expire_soon(self, full_key: str) -> None:
        assert self.client.pexpire(full_key, 2)
        due = server_ms(self.client) + 3
        deadline = time.monotonic() + 5
        while server_ms(self.client) <= due:
            assert time.monotonic() < deadline, "the Redis clock did not advance"


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class _SQLite(Engine):
    """The SQLite file read with plain SQL (what ``sqlite3 lotto.db`` shows)."""

    def __init__(self, kv: kvstore.KVStore) -> None:
        self.path: str = kv.backend.path  # type: ignore[attr-defined]

    def _query(self, sql: str, *params: object) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=10)) as db:
            with db:
                return db.execute(sql, params).fetchall()

    def get(self, full_key: str) -> bytes | None:
        rows = self._query(
            "SELECT value FROM kv WHERE key = ? AND (expires IS NULL OR expires > ?)",
            full_key,
            _wall_ms(),
        )
        return bytes(rows[0][0]) if rows else None

    def set(self, full_key: str, value: bytes) -> None:
        self._query(
            "INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, NULL)", full_key, value
        )

    def pttl(self, full_key: str) -> int:
        rows = self._query("SELECT expires FROM kv WHERE key = ?", full_key)
        now = _wall_ms()
        if not rows or (rows[0][0] is not None and rows[0][0] <= now):
            return -2
        return -1 if rows[0][0] is None else rows[0][0] - now

    def exists(self, full_key: str) -> bool:
        return self.get(full_key) is not None or self.llen(full_key) > 0

    def llen(self, full_key: str) -> int:
        return self._query("SELECT COUNT(*) FROM list WHERE key = ?", full_key)[0][0]

    def keys(self) -> list[str]:
        rows = self._query(
            "SELECT key FROM kv WHERE expires IS NULL OR expires > ? "
            "UNION SELECT DISTINCT key FROM list UNION SELECT DISTINCT key FROM hash",
            _wall_ms(),
        )
        return sorted(key for (key,) in rows)

    def flush(self) -> None:
        for table in ("kv", "list", "hash"):
            self._query(f"DELETE FROM {table}")

    def expire_soon(self, full_key: str) -> None:
        due = _wall_ms() + 2
        self._query("UPDATE kv SET expires = ? WHERE key = ?", due, full_key)
        deadline = time.monotonic() + 5
        while _wall_ms() <= due:
            assert time.monotonic() < deadline, "the clock did not advance"


def expire_soon(kv: kvstore.KVStore, full_key: str) -> None:
    """Make ``full_key`` of ``kv``'s engine expire now (see :meth:`Engine.expire_soon`)."""
    Engine(kv).expire_soon(full_key)
