"""Deadlines: every round trip ends by the store's timeout or an enclosing deadline.

A frozen Redis is in tests/reliability/test_frozen_redis.py; these cover the
rules themselves: URL and argument options, nesting, a passed deadline, and a
Redis that keeps dropping connections (retried only while time is left).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import kvstore
from kvstore import BackendNoAnswerError, InvalidArgumentError
from kvstore.backends import split_options

PLUGIN = "com.mattermost.solar-lottery"


def test_the_timeout_comes_from_the_argument_the_url_or_the_default(redis_url):
    assert kvstore.open(redis_url, PLUGIN).timeout == 5.0
    assert kvstore.open(redis_url + "?timeout=2.5", PLUGIN).timeout == 2.5
    assert kvstore.open(redis_url + "?timeout=2.5", PLUGIN, timeout=1).timeout == 1.0
    assert kvstore.open("memory://deadline-test", PLUGIN, timeout=3).timeout == 3.0
    kv = kvstore.open(redis_url + "?timeout=2&socket_keepalive=true", PLUGIN)
    kv.set("k", b"v")  # the other options still reach redis-py
    assert kv.get("k") == b"v"
    kv.delete("k")
    kv.close()


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan", ""])
def test_a_bad_timeout_option_is_refused(redis_url, value):
    with pytest.raises(InvalidArgumentError, match="timeout"):
        kvstore.open(f"{redis_url}?timeout={value}", PLUGIN)
    with pytest.raises(InvalidArgumentError, match="timeout"):
        kvstore.open(redis_url, PLUGIN, timeout=0)


def test_split_options_keeps_unix_urls_and_other_options():
    assert split_options("unix:///tmp/r.sock?db=0&timeout=1") == (
        "unix:///tmp/r.sock?db=0",
        {"timeout": 1.0},
    )
    assert split_options("redis://h:1/0") == ("redis://h:1/0", {})


def test_a_passed_deadline_sends_nothing(redis_url):
    kv = kvstore.open(redis_url, PLUGIN)
    with kv.deadline(time.monotonic() - 1):
        with pytest.raises(BackendNoAnswerError) as err:
            kv.set("never", b"x")
        with pytest.raises(BackendNoAnswerError):
            kv.run(lambda uow: uow.set("never", b"x"))
    assert "nothing was written" in str(err.value)
    assert kv.get("never") is None
    kv.close()


def test_an_enclosing_earlier_deadline_wins(redis_url):
    kv = kvstore.open(redis_url, PLUGIN, timeout=60)
    with kv.deadline(time.monotonic() + 10) as outer:
        with kv.deadline() as inner:  # now + 60 s: later, so the outer one stays
            assert inner == outer
        with kv.deadline(outer - 5) as earlier:
            assert earlier == outer - 5
    kv.close()


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """A TCP server that accepts every connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    listener.close()


def test_dropped_connections_are_retried_only_within_the_deadline(dropping_server):
    kv = kvstore.open(dropping_server, PLUGIN, timeout=0.12)
    start = time.monotonic()
    with pytest.raises(kvstore.BackendError):
        kv.get("k")
    # The pauses between reconnects (0.05 s, 0.1 s, …) stop at the deadline.
    assert time.monotonic() - start < 0.12 + 0.25
    kv.close()


def test_ping_async_answers_within_its_timeout(redis_url, dropping_server):
    async def probe(url: str) -> tuple[bool, float]:
        kv = kvstore.open(url, PLUGIN)
        start = time.monotonic()
        ok = await kv.ping_async(0.3)
        elapsed = time.monotonic() - start
        await kv.close_async()
        kv.close()
        return ok, elapsed

    ok, _ = asyncio.run(probe(redis_url))
    assert ok
    ok, elapsed = asyncio.run(probe(dropping_server))
    assert not ok and elapsed < 0.3 + 0.25
    ok, _ = asyncio.run(probe("memory://deadline-ping"))
    assert ok
