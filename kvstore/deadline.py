"""Deadlines for Redis round trips.

Every round trip of a :class:`~kvstore.store.KVStore` runs inside a :class:`Budget`
(held in a context variable): the ``time.monotonic()`` instant by which it must
be answered. The connection classes here give each socket connect, write and
read only the time that is left, so a frozen Redis costs at most the budget —
redis-py's own retries are switched off (see ``kvstore.backends``) and the store
retries lost connections only while time remains.

The budget also records whether the command was written to the socket: a write
that was sent and never answered may still be applied by Redis later, so its
outcome is unknown (``OutcomeUnknownError``), while one that was never sent
certainly changed nothing (``NoAnswerError``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from redis.connection import SSLConnection, UnixDomainSocketConnection
from redis.utils import SENTINEL

from .errors import BackendError, NoAnswerError, OutcomeUnknownError

__all__ = [
    "round_trip",
    "Budget",
    "Scope",
    "current",
    "current_scope",
    "within",
    "scoped",
    "CONNECTION_CLASSES",
    "NO_TIME_LEFT",
]

#: The message of the ``redis.TimeoutError`` raised when the deadline passed before a step.
NO_TIME_LEFT = "no time left before the deadline"
# Operations that change data: sent but unanswered, their outcome is unknown.
_WRITES = frozenset(
    {
        "set",
        "set_with_expiry",
        "compare_and_set",
        "compare_and_delete",
        "delete",
        "delete_all",
        "lock",
        "unlock",
        "commit",
    }
)
# A dropped connection is resent this many times at most (each within the deadline),
# after these pauses in seconds.
_RECONNECT_PAUSES = (0.05, 0.1, 0.2)

T = TypeVar("T")


@dataclass
class Budget:
    """The deadline of one round trip, and whether its command reached the socket."""

    deadline: float  # a time.monotonic() instant
    sent: bool = False

    def remaining(self) -> float:
        """Seconds left until the deadline (negative once it has passed)."""
        return self.deadline - time.monotonic()


@dataclass(frozen=True)
class Scope:
    """A deadline shared by every round trip inside it (``KVStore.deadline``)."""

    deadline: float  # a time.monotonic() instant
    seconds: float  # the length it was given, for messages


_current: ContextVar[Budget | None] = ContextVar("kvstore_budget", default=None)
_scope: ContextVar[Scope | None] = ContextVar("kvstore_scope", default=None)


def current_scope() -> Scope | None:
    """The innermost deadline scope of this context, if any."""
    return _scope.get()


@contextlib.contextmanager
def scoped(scope: Scope) -> Iterator[Scope]:
    """Run the enclosed code under ``scope``; an enclosing earlier deadline still wins."""
    outer = _scope.get()
    if outer is not None and outer.deadline <= scope.deadline:
        yield outer
        return
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current() -> Budget | None:
    """The budget of the round trip running in this context, if any."""
    return _current.get()


@contextlib.contextmanager
def within(budget: Budget) -> Iterator[Budget]:
    """Run the enclosed round trip under ``budget``."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


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
    timeout never is, since the deadline has then passed. Redis errors become
    kvstore errors: ``NoAnswerError``, ``OutcomeUnknownError`` or ``BackendError``.
    """
    scope = current_scope() or Scope(time.monotonic() + timeout, timeout)
    budget = Budget(scope.deadline)
    with within(budget):
        for pause in (*_RECONNECT_PAUSES, None):
            try:
                return fn(*args, **kwargs)
            except redis.TimeoutError as exc:
                raise _unanswered(op, key, url, budget, scope, exc) from exc
            except redis.ConnectionError as exc:
                if pause is None or budget.remaining() <= pause:
                    if op in _WRITES and budget.sent:
                        raise _unanswered(op, key, url, budget, scope, exc) from exc
                    raise _failed(op, key, url, exc) from exc
                time.sleep(pause)  # backoff before reconnecting, inside the deadline
            except redis.RedisError as exc:
                raise _failed(op, key, url, exc) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _failed(op: str, key: str | None, url: str, exc: Exception) -> BackendError:
    return BackendError(f"Redis failed during {op}: {exc}", operation=op, key=key, url=url)


def _unanswered(
    op: str, key: str | None, url: str, budget: Budget, scope: Scope, exc: Exception
) -> BackendError:
    context = {"operation": op, "key": key, "url": url, "timeout": scope.seconds}
    if op in _WRITES and budget.sent:
        return OutcomeUnknownError(
            f"Redis was sent {op} but gave no answer within {scope.seconds:g} s ({exc}); "
            "it may or may not have been applied",
            **context,
        )
    return NoAnswerError(
        f"Redis did not answer {op} within {scope.seconds:g} s ({exc}); nothing was written",
        **context,
    )


def _left(configured: float | None) -> float | None:
    """The timeout for the next socket step: the time left, capped by ``configured``.

    Raises ``redis.TimeoutError`` when the deadline has passed; None without a budget.
    """
    budget = _current.get()
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
        budget = _current.get()
        if budget is not None and self._depth == 0:
            budget.sent = True

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        conn: Any = self
        if _current.get() is not None and kwargs.get("timeout", SENTINEL) is SENTINEL:
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
