"""Shared helpers of the reliability suite (no fixtures: those come from tests/conftest.py).

``FULL`` switches on the long form: ``LOTTO_RELIABILITY=full ./scripts/test tests/reliability``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

import kvstore

__all__ = ["FULL", "scale", "fresh_plugin", "RedisServer", "check_problems"]

#: The long form of the suite (more writers, longer runs, more fuzz examples).
FULL = os.environ.get("LOTTO_RELIABILITY", "").strip().lower() == "full"


def scale(bounded: int, full: int) -> int:
    """``full`` in the long form, else ``bounded``."""
    return full if FULL else bounded


def fresh_plugin() -> str:
    """A plugin id no other test uses, so tests can share one Redis without flushing it."""
    return f"com.mattermost.solar-lottery.rel-{uuid.uuid4().hex[:10]}"


def check_problems(kv: kvstore.KVStore) -> list[str]:
    """What ``lotto-store check`` reports for the store (empty when it is consistent)."""
    from lotto.maintenance.check import check

    return [str(p) for p in check(kv)]


class RedisServer:
    """A dedicated ``redis-server`` in ``workdir`` with AOF on and fsync on every write.

    ``start()`` (again after ``kill()``) reuses the same port and data directory, so a
    restart reloads the append-only file.
    """

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (sudo apt-get install redis-server)"
        self.binary = binary
        self.workdir = workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and return once it answers PING (loading the AOF first)."""
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while True:
                assert self.proc.poll() is None, "redis-server exited while starting"
                assert time.monotonic() < deadline, "redis-server did not answer in 20 s"
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.02)  # polling interval, bounded by the deadline
        finally:
            client.close()

    def kill(self) -> None:
        """``kill -9`` the server and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    @contextmanager
    def running(self) -> Iterator[RedisServer]:
        """Start the server; kill it on exit."""
        self.start()
        try:
            yield self
        finally:
            self.kill()
