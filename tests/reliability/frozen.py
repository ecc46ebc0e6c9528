"""A redis-server of a test's own that the test can freeze (SIGSTOP) and thaw (SIGCONT).

Tests that stop Redis must never stop the session's shared server, so each
module that needs one starts its own with :func:`own_redis`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from tests.conftest import _start_redis

__all__ = ["OwnRedis", "own_redis"]


@dataclass
class OwnRedis:
    """A running redis-server: its process and URL."""

    proc: subprocess.Popen[bytes]
    url: str

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """Redis stopped by SIGSTOP inside the block (it accepts connections, answers nothing)."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self.proc.pid, signal.SIGCONT)


@contextlib.contextmanager
def own_redis(workdir: str) -> Iterator[OwnRedis]:
    """Start a redis-server in ``workdir``; always thawed and stopped at the end."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is not installed (see tests/conftest.py)"
    proc, port, _ = _start_redis(binary, workdir)
    try:
        yield OwnRedis(proc, f"redis://127.0.0.1:{port}/0")
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
