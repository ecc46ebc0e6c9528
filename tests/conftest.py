"""Fixtures shared by every test package.

Storage fixtures (use these rather than opening stores yourself):

- ``redis_url`` (session): ``redis://127.0.0.1:PORT/0`` of a real ``redis-server``
  this test session starts on a free loopback port, with a temporary ``--dir``,
  no persistence, stopped when the session ends. If ``redis-server`` is not
  installed the tests that need it fail with install instructions (never skip).
- ``redis_unix_url`` (session): the same server through its unix socket (``unix://…``).
- ``store_url``: parametrised over ``memory``, ``redis`` and ``sqlite``, so a
  test using it (or ``kv``) runs three times. Each test gets an empty store: a
  fresh ``memory://<unique name>``, the real server after ``FLUSHDB``, or a new
  ``sqlite://`` file in the test's temporary directory. Open it with any
  plugin id; several opens of the URL in one test (or its subprocesses) share
  data.
- ``plugin_id``: ``com.mattermost.solar-lottery`` (the id in ``plugin.json``).
- ``kv``: ``kvstore.open(store_url, plugin_id)``, closed after the test.
- ``kv_memory``: like ``kv`` but on ``memory://`` only (for tests that need no
  real Redis, e.g. command-layer use cases); runs once.
- Every test runs with ``XDG_DATA_HOME`` in a temporary directory of the
  session, so the ``lotto`` program's default store is never the real one.
- Every test renders strictly (``lotto.commands.names.STRICT``): a reply showing a
  user its result did not declare (``result.user_ids()``) fails the test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import kvstore
from kvstore.backends import discard_memory

PLUGIN_ID = "com.mattermost.solar-lottery"

_INSTALL_HELP = (
    "redis-server is not installed, but the test suite runs the KV contract on a real Redis. "
    "Install it with `sudo apt-get install redis-server` (Debian/Ubuntu), or run ./scripts/test "
    "as root, which installs it for you."
)
_STARTUP_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(binary: str, workdir: str) -> tuple[subprocess.Popen[bytes], int, str]:
    """Start redis-server and return (process, port, socket path) once it answers PING."""
    socket_path = os.path.join(workdir, "redis.sock")
    last_output = ""
    # The free port can be taken by someone else before redis binds it; a few
    # fresh ports make that race harmless.
    for _ in range(3):
        port = _free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
                "--unixsocket",
                socket_path,
                "--unixsocketperm",
                "700",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + _STARTUP_SECONDS
        try:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                try:
                    if client.ping():
                        return proc, port, socket_path
                except redis.ConnectionError:
                    time.sleep(0.02)  # polling interval, bounded by the deadline
        finally:
            client.close()
        if proc.poll() is None:
            proc.kill()
        out, _ = proc.communicate(timeout=10)
        last_output = out.decode(errors="replace")
    raise RuntimeError(f"redis-server did not start; its output:\n{last_output}")


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    binary = shutil.which("redis-server")
    if binary is None:
        prefix = "CI=true and " if os.environ.get("CI") == "true" else ""
        pytest.fail(prefix + _INSTALL_HELP, pytrace=False)
    workdir = str(tmp_path_factory.mktemp("redis"))
    proc, port, socket_path = _start_redis(binary, workdir)
    try:
        yield port, socket_path
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture(scope="session")
def redis_url(_redis_server: tuple[int, str]) -> str:
    """URL of the session's real redis-server."""
    return f"redis://127.0.0.1:{_redis_server[0]}/0"


@pytest.fixture(scope="session")
def redis_unix_url(_redis_server: tuple[int, str]) -> str:
    """The session's real redis-server through its unix socket."""
    return f"unix://{_redis_server[1]}?db=0"


@pytest.fixture(scope="session", autouse=True)
def _strict_names() -> Iterator[None]:
    """Rendering an undeclared user id raises instead of looking them up alone."""
    from lotto.commands import names

    before, names.STRICT = names.STRICT, True
    yield
    names.STRICT = before


@pytest.fixture(scope="session", autouse=True)
def _own_data_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The ``lotto`` program keeps its records under ``$XDG_DATA_HOME`` by default:
    point it at the session's temporary directory, never at the real home."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture
def plugin_id() -> str:
    """The plugin id of plugin.json."""
    return PLUGIN_ID


def _fresh_memory_url() -> str:
    return f"memory://test-{uuid.uuid4().hex}"


@pytest.fixture(params=["memory", "redis", "sqlite"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store, on memory://, on the real redis-server and on a SQLite file."""
    if request.param == "memory":
        url = _fresh_memory_url()
        yield url
        discard_memory(url)
        return
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    yield url


@pytest.fixture
def kv(store_url: str, plugin_id: str) -> Iterator[kvstore.KVStore]:
    """An open KVStore on ``store_url`` for ``plugin_id``."""
    store = kvstore.open(store_url, plugin_id)
    yield store
    store.close()


@pytest.fixture
def kv_memory(plugin_id: str) -> Iterator[kvstore.KVStore]:
    """An open KVStore on a fresh memory:// server (no real Redis)."""
    url = _fresh_memory_url()
    store = kvstore.open(url, plugin_id)
    yield store
    store.close()
    discard_memory(url)
