"""``/healthz`` after a Redis restart answers 200 as soon as Redis does (issue 19 item 7).

Before, the probe's kept connection was dead after a restart, so the first probe
on every replica answered a false 503 at once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.shim.conftest import free_port, wait_for


class _Redis:
    """A redis-server on a fixed port that can be restarted on that same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed (see tests/conftest.py)"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        try:
            wait_for(answers, timeout=20)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[_Redis]:
    server = _Redis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_first_probe_after_a_redis_restart_is_200(fake_mm, start_shim, own_redis):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    shim = start_shim(fake_mm, own_redis.url, "--autopilot-interval", "0")
    with httpx.Client(base_url=shim.url, timeout=10) as http:
        assert http.get("/healthz").status_code == 200  # the probe's connection is open
        own_redis.stop()
        own_redis.start()  # same port, answering PING again
        first = http.get("/healthz")
        assert first.status_code == 200, first.text
    reply = shim.slash("rotation new ICE", boss).json()["text"]
    assert "Command failed" not in reply, reply


def test_a_probe_while_redis_is_down_is_503_and_then_200_again(fake_mm, start_shim, own_redis):
    shim = start_shim(fake_mm, own_redis.url, "--autopilot-interval", "0")
    with httpx.Client(base_url=shim.url, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        own_redis.stop()
        down = http.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "store unreachable"
        assert "127.0.0.1" not in down.text and str(own_redis.port) not in down.text
        own_redis.start()
        assert http.get("/healthz").status_code == 200
