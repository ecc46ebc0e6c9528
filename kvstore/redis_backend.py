"""The Redis engine: a :class:`kvstore.backend.Backend` over redis-py (or fakeredis).

Every command is one round trip ended by the deadline in force: the
connection classes here give each socket connect, write and read only the
time that is left (``kvstore.deadline``), redis-py's own retries are off, and
a dropped connection is retried a few times, never past the deadline. Redis
errors become kvstore errors: ``BackendNoAnswerError`` (nothing was written),
``BackendOutcomeUnknownError`` (a write was sent and not answered) or
``BackendError``. Scripts run as EVALSHA (the first call after Redis lost its
script cache pays one extra, uncounted EVAL).

``memory://`` is the same backend over an in-process fakeredis server
(``kvstore.backends.memory_server``); its Lua has no ``redis.sha1hex``, so
commits there compare the bytes they read, which never leave the process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.connection import SSLConnection, UnixDomainSocketConnection
from redis.retry import Retry
from redis.utils import SENTINEL

from . import backends
from .deadline import NO_TIME_LEFT, WRITES, Budget, Scope, current, scope_for, within
from .errors import (
    BackendError,
    BackendNoAnswerError,
    BackendOutcomeUnknownError,
    InvalidArgumentError,
)
from .scripts import Script

__all__ = ["RedisBackend", "connect", "CONNECTION_CLASSES"]

# A dropped connection is resent this many times at most (each within the deadline),
# after these pauses in seconds.
_RECONNECT_PAUSES = (0.05, 0.1, 0.2)
_SCAN_BATCH = 1000

T = TypeVar("T")


def connect(url: str, *, timeout: float) -> RedisBackend:
    """A backend for the Redis or memory:// ``url``; InvalidArgumentError for a bad one."""
    bare, _ = backends.split_options(url)
    scheme = urlsplit(bare).scheme
    if scheme == "memory":
        import fakeredis

        server = backends.memory_server(bare)
        return RedisBackend(
            fakeredis.FakeRedis(server=server, version=(7,)),
            url=bare,
            timeout=timeout,
            async_client=lambda: fakeredis.FakeAsyncRedis(server=server, version=(7,)),
            digest_reads=False,
        )
    safe = backends.redact(url)
    try:
        # Options given in the URL query (socket_timeout=…) override these
        # defaults; within a store operation the deadline shortens them.
        client = redis.Redis.from_url(
            bare,
            socket_connect_timeout=5,
            socket_timeout=10,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 0),
            connection_class=CONNECTION_CLASSES[scheme],
        )
    except ValueError as exc:
        raise InvalidArgumentError(f"bad store URL {safe!r}: {exc}", url=safe) from exc
    return RedisBackend(
        client,
        url=safe,
        timeout=timeout,
        async_client=lambda: redis.asyncio.Redis.from_url(
            bare, socket_connect_timeout=5, socket_timeout=10, retry=Retry(NoBackoff(), 0)
        ),
    )


class RedisBackend:
    """Redis commands and Lua scripts on one redis-py client (thread-safe)."""

    engine = "Redis"

    def __init__(
        self,
        client: redis.Redis,
        *,
        url: str,
        timeout: float,
        async_client: Callable[[], Any] | None = None,
        digest_reads: bool = True,
    ) -> None:
        self._client = client
        self._url = url
        self._timeout = timeout
        self._async_factory = async_client
        self._async: tuple[asyncio.AbstractEventLoop, Any] | None = None
        self._digest_reads = digest_reads
        self._scripts: dict[Script, Any] = {}
        self._counter_lock = threading.Lock()
        self._round_trips = 0

    @property
    def url(self) -> str:
        """The URL, password masked."""
        return self._url

    @property
    def round_trips(self) -> int:
        """Round trips made so far (all threads)."""
        return self._round_trips

    @property
    def digest_reads(self) -> bool:
        """True on a real Redis (``redis.sha1hex``), False on fakeredis."""
        return self._digest_reads

    @property
    def client(self) -> redis.Redis:
        """The redis-py client (for tests and operators; kvstore's layers use the methods)."""
        return self._client

    def _call(self, op: str, subject: str | None, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        with self._counter_lock:
            self._round_trips += 1
        return round_trip(op, subject, fn, args, kw, timeout=self._timeout, url=self._url)

    def get(self, key: str, *, op: str = "get", subject: str | None = None) -> bytes | None:
        """GET."""
        return cast("bytes | None", self._call(op, subject, self._client.get, key))

    def mget(
        self, keys: Sequence[str], *, op: str = "get_many", subject: str | None = None
    ) -> list[bytes | None]:
        """MGET."""
        return cast("list[bytes | None]", self._call(op, subject, self._client.mget, list(keys)))

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
        return bool(self._call(op, subject, self._client.set, key, value, px=px or None, nx=nx))

    def delete(self, keys: Sequence[str], *, op: str = "delete", subject: str | None = None) -> int:
        """DEL."""
        return int(self._call(op, subject, self._client.delete, *keys))

    def scan(self, prefix: str, *, op: str = "scan") -> list[str]:
        """SCAN MATCH ``prefix``* in batches; a key can come back twice across batches."""
        pattern = _glob_escape(prefix) + "*"
        found: set[bytes] = set()
        cursor = 0
        while True:
            cursor, batch = self._call(
                op, None, self._client.scan, cursor, match=pattern, count=_SCAN_BATCH
            )
            found.update(cast(list[bytes], batch))
            if int(cursor) == 0:
                return [name.decode("utf-8", "replace") for name in found]

    def rpush(self, key: str, value: bytes, *, op: str, subject: str | None = None) -> int:
        """RPUSH."""
        return int(self._call(op, subject, self._client.rpush, key, value))

    def llen(self, key: str, *, op: str, subject: str | None = None) -> int:
        """LLEN."""
        return int(self._call(op, subject, self._client.llen, key))

    def lrange(
        self, key: str, start: int, stop: int, *, op: str, subject: str | None = None
    ) -> list[bytes]:
        """LRANGE."""
        entries = self._call(op, subject, self._client.lrange, key, start, stop)
        return [e if isinstance(e, bytes) else str(e).encode() for e in entries]

    def eval(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[bytes | int | str],
        *,
        op: str,
        subject: str | None = None,
    ) -> Any:
        """EVALSHA ``script.lua`` (loading it when Redis lacks it)."""
        registered = self._scripts.get(script)
        if registered is None:
            registered = self._scripts[script] = self._client.register_script(script.lua)
        return self._call(op, subject, registered, keys=list(keys), args=list(args))

    def ping(self) -> bool:
        """PING; False instead of an error."""
        try:
            return bool(self._call("ping", None, self._client.ping))
        except BackendError:
            return False

    async def ping_async(self, timeout: float) -> bool:
        """PING on the calling event loop with a connection of its own; never raises."""
        if self._async_factory is None:
            try:
                return await asyncio.wait_for(asyncio.to_thread(self.ping), timeout)
            except TimeoutError:
                return False
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, self._async_factory())
        try:
            return bool(await asyncio.wait_for(self._async[1].ping(), timeout))
        except (TimeoutError, redis.RedisError, OSError):
            return False

    async def close_async(self) -> None:
        """Close the health-probe connection."""
        if self._async is not None:
            _, client = self._async
            self._async = None
            await client.aclose()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\*?[]" else c for c in text)


def round_trip(
    op: str,
    key: str | None,
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    timeout: float,
    url: str,
) -> T:
    """``fn(*args, **kwargs)`` (one Redis round trip named ``op``) by the deadline in force.

    The deadline is the enclosing scope's, else ``timeout`` seconds from now. A
    dropped connection is retried (a few times, only while time is left); a
    timeout never is, since the deadline has then passed.
    """
    scope = scope_for(timeout)
    budget = Budget(scope.deadline)
    with within(budget):
        for pause in (*_RECONNECT_PAUSES, None):
            try:
                return fn(*args, **kwargs)
            except redis.TimeoutError as exc:
                raise _unanswered(op, key, url, budget, scope, exc) from exc
            except redis.ConnectionError as exc:
                if pause is None or budget.remaining() <= pause:
                    if op in WRITES and budget.sent:
                        raise _unanswered(op, key, url, budget, scope, exc) from exc
                    raise _failed(op, key, url, exc) from exc
                time.sleep(pause)  # backoff before reconnecting, inside the deadline
            except redis.RedisError as exc:
                raise _failed(op, key, url, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _failed(op: str, key: str | None, url: str, exc: Exception) -> BackendError:
    return BackendError(
        f"Redis failed during {op}: {exc}", operation=op, key=key, url=url, engine="Redis"
    )


def _unanswered(
    op: str, key: str | None, url: str, budget: Budget, scope: Scope, exc: Exception
) -> BackendError:
    context = {
        "operation": op,
        "key": key,
        "url": url,
        "timeout": scope.seconds,
        "engine": "Redis",
    }
    if op in WRITES and budget.sent:
        return BackendOutcomeUnknownError(
            f"Redis was sent {op} but gave no answer within {scope.seconds:g} s ({exc}); "
            "it may or may not have been applied",
            **context,
        )
    return BackendNoAnswerError(
        f"Redis did not answer {op} within {scope.seconds:g} s ({exc}); nothing was written",
        **context,
    )


def _left(configured: float | None) -> float | None:
    """The timeout for the next socket step: the time left, capped by ``configured``.

    Raises ``redis.TimeoutError`` when the deadline has passed; None without a budget.
    """
    budget = current()
    if budget is None:
        return configured
    left = budget.remaining()
    if left <= 0:
        raise redis.TimeoutError(NO_TIME_LEFT)
    return left if configured is None else min(configured, left)


class _DeadlineMixin:
    """Socket timeouts from the current budget (mixed into redis-py connection classes)."""

    _depth = 0  # nesting of send_packed_command (a health-check PING runs inside one)

    def _connect(self) -> Any:
        conn: Any = self
        configured = conn.socket_connect_timeout
        conn.socket_connect_timeout = _left(configured)
        try:
            return super()._connect()  # type: ignore[misc]
        finally:
            conn.socket_connect_timeout = configured

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        conn: Any = self
        if not conn._sock:
            # Connect (and handshake) first, so that the write below gets what is left.
            conn.connect_check_health(check_health=False)
        conn._sock.settimeout(_left(conn.socket_timeout))
        self._depth += 1
        try:
            super().send_packed_command(command, check_health)  # type: ignore[misc]
        finally:
            self._depth -= 1
            if conn._sock is not None:
                conn._sock.settimeout(conn.socket_timeout)
        budget = current()
        if budget is not None and self._depth == 0:
            budget.sent = True

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        conn: Any = self
        if current() is not None and kwargs.get("timeout", SENTINEL) is SENTINEL:
            try:
                kwargs["timeout"] = _left(conn.socket_timeout)
            except redis.TimeoutError:
                # A reply is pending on this socket; it must not answer a later command.
                conn.disconnect()
                raise
        return super().read_response(*args, **kwargs)  # type: ignore[misc]


class _Connection(_DeadlineMixin, redis.Connection):
    """A TCP connection whose steps end by the current deadline."""


class _SSLConnection(_DeadlineMixin, SSLConnection):
    """A TLS connection whose steps end by the current deadline."""


class _UnixConnection(_DeadlineMixin, UnixDomainSocketConnection):
    """A unix-socket connection whose steps end by the current deadline."""


#: The connection class for each URL scheme.
CONNECTION_CLASSES: dict[str, type[Any]] = {
    "redis": _Connection,
    "rediss": _SSLConnection,
    "unix": _UnixConnection,
}
