"""Helpers for the kvstore tests (no fixtures here; those live in tests/conftest.py).

:class:`Engine` looks under a ``KVStore`` the way an operator would, with the
engine's own tools rather than through kvstore: ``redis-cli`` commands on a
Redis, plain SQL on a SQLite file.
"""

from __future__ import annotations

import time

import redis

import kvstore


def server_ms(client: redis.Redis) -> int:
    """The Redis server's own clock, in milliseconds."""
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


class Engine:
    """The engine of ``kv``, seen from outside kvstore; full keys (``<plugin id>:…``)."""

    def __init__(self, kv: kvstore.KVStore) -> None:
        self.client: redis.Redis = kv.backend.client

    def get(self, full_key: str) -> bytes | None:
        """The raw value (GET)."""
        return self.client.get(full_key)

    def pttl(self, full_key: str) -> int:
        """Milliseconds left to live; -1 without expiry, -2 when absent (PTTL)."""
        return int(self.client.pttl(full_key))

    def exists(self, full_key: str) -> bool:
        """Whether the key is there."""
        return bool(self.client.exists(full_key))

    def llen(self, full_key: str) -> int:
        """The length of a list (a queue)."""
        return int(self.client.llen(full_key))

    def keys(self) -> list[str]:
        """Every live key of every plugin, sorted."""
        return sorted(k.decode() for k in self.client.scan_iter(match="*"))

    def size(self) -> int:
        """How many keys there are, of every plugin."""
        return int(self.client.dbsize())

    def flush(self) -> None:
        """Remove everything (FLUSHDB)."""
        self.client.flushdb()

    def expire_soon(self, full_key: str) -> None:
        """Make ``full_key`` expire, and return once the engine's clock is past that moment.

        Waits on the server's clock (the one Redis judges expiry by), not a fixed
        sleep; bounded so a stuck clock fails the test instead of hanging it.
        """
        assert self.client.pexpire(full_key, 2)
        due = server_ms(self.client) + 3
        deadline = time.monotonic() + 5
        while server_ms(self.client) <= due:
            assert time.monotonic() < deadline, "the Redis clock did not advance"


def expire_soon(kv: kvstore.KVStore, full_key: str) -> None:
    """Make ``full_key`` of ``kv``'s engine expire now (see :meth:`Engine.expire_soon`)."""
    Engine(kv).expire_soon(full_key)
