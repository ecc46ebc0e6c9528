"""Helpers for the kvstore tests (no fixtures here; those live in tests/conftest.py)."""

from __future__ import annotations

import time

import redis


def server_ms(client: redis.Redis) -> int:
    """The Redis server's own clock, in milliseconds."""
    seconds, micros = client.time()
    return seconds * 1000 + micros // 1000


def expire_soon(client: redis.Redis, full_key: str) -> None:
    """Make ``full_key`` expire, and return once the server's clock is past that moment.

    Waits on the server's clock (the one Redis judges expiry by), not a fixed
    sleep; bounded so a stuck clock fails the test instead of hanging it.
    """
    assert client.pexpire(full_key, 2)
    due = server_ms(client) + 3
    deadline = time.monotonic() + 5
    while server_ms(client) <= due:
        assert time.monotonic() < deadline, "the Redis clock did not advance"
