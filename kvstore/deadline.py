"""Deadlines for round trips, whatever the engine.

Every round trip of a :class:`~kvstore.store.KVStore` runs inside a :class:`Budget`
(held in a context variable): the ``time.monotonic()`` instant by which it must
be answered, taken from the innermost :class:`Scope` (``KVStore.deadline``) or
else the store's timeout. Each engine spends only the time that is left: the
Redis connections give each socket connect, write and read what remains
(``kvstore.redis_backend``), SQLite waits for a busy file that long at most
(``kvstore.sqlite_backend``).

The budget also records whether a command was written to Redis's socket: a
write that was sent and never answered may still be applied later, so its
outcome is unknown (``BackendOutcomeUnknownError``), while one that was never
sent certainly changed nothing (``BackendNoAnswerError``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = [
    "Budget",
    "Scope",
    "current",
    "current_scope",
    "within",
    "scoped",
    "scope_for",
    "NO_TIME_LEFT",
    "WRITES",
]

#: The message of the timeout raised when the deadline passed before a step.
NO_TIME_LEFT = "no time left before the deadline"
#: Operations that change data: sent but unanswered, their outcome is unknown.
WRITES = frozenset(
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


def scope_for(timeout: float) -> Scope:
    """The scope in force, else one of ``timeout`` seconds from now."""
    return current_scope() or Scope(time.monotonic() + timeout, timeout)
