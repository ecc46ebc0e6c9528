"""Running a unit of work: retries on conflict within a time budget, per-key gates.

``KVStore.run(fn)`` is :func:`run_unit`: it calls ``fn`` with a fresh
``kvstore.unit.UnitOfWork`` and commits it; if a read changed meanwhile the
attempt is thrown away and ``fn`` runs again from scratch on fresh reads.

Retry policy (contention a team can produce must never reach the user):
retries go on until a time budget is spent (``KVStore.retry_budget``, by
default ``DEFAULT_RETRY_BUDGET`` seconds; ``run(..., attempts=N)`` also caps
the count), then ``CommitConflictError``. After a conflict on key K the unit
waits for K's in-process *gate* (a first-come-first-served queue) before its
next attempt, so the retries of every unit in this process that collided on K
run one at a time, oldest first, instead of invalidating each other again
(first attempts stay optimistic: most commands never conflict). Between two
attempts under the same gate it backs off with full jitter. A unit holds at
most one gate (released before taking another), so gates cannot deadlock, and
waiting for one is bounded by the budget. No attempt starts after the budget
is spent, so a unit gives up within the budget plus one attempt; the budget
must stay below the time a command may take.

A fenced unit (``fence=lock``) whose lock was lost raises ``FenceError`` at
its first commit: no retry, the lease is gone for good.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from .backend import Backend
from .deadline import current_scope
from .errors import CommitConflictError, InvalidArgumentError
from .keys import Namespace
from .lock import Lock
from .unit import UnitOfWork

__all__ = ["run_unit", "Gates", "DEFAULT_RETRY_BUDGET"]

#: Seconds a unit of work keeps retrying on conflict before ``CommitConflictError``
#: (well below the 5 s a command may take end to end).
DEFAULT_RETRY_BUDGET = 2.0
# Full-jitter backoff between gated attempts: uniform(0, min(cap, base * 2**n)).
_BACKOFF_BASE = 0.001
_BACKOFF_CAP = 0.025
# Seconds kept free before the store's deadline (``KVStore.deadline``) for a last attempt.
_DEADLINE_RESERVE = 0.5

T = TypeVar("T")


class _Gate:
    __slots__ = ("owner", "depth", "queue")

    def __init__(self) -> None:
        self.owner: int | None = None
        self.depth = 0
        self.queue: deque[tuple[int, threading.Event]] = deque()


class Gates:
    """Per-key, first-come-first-served in-process queues for units that collide on a key.

    Releasing a gate hands it to the thread that has waited longest (one wake-up,
    no stampede), so no unit waits behind later arrivals. Gates are re-entrant
    (nested units); entries exist only while some unit holds or waits for them,
    so the table stays as small as the current contention.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._by_key: dict[str, _Gate] = {}

    def acquire(self, key: str, timeout: float) -> bool:
        """Wait in line up to ``timeout`` seconds for the gate of ``key``; whether it was taken."""
        me = threading.get_ident()
        with self._guard:
            gate = self._by_key.setdefault(key, _Gate())
            if gate.owner == me:
                gate.depth += 1
                return True
            if gate.owner is None and not gate.queue:
                gate.owner, gate.depth = me, 1
                return True
            turn = threading.Event()
            gate.queue.append((me, turn))
        turn.wait(max(0.0, timeout))
        with self._guard:
            if gate.owner == me:  # handed over, possibly just as the wait timed out
                return True
            gate.queue.remove((me, turn))
            return False

    def release(self, key: str) -> None:
        """Release the gate of ``key`` taken with :meth:`acquire` (to the next in line)."""
        with self._guard:
            gate = self._by_key[key]
            gate.depth -= 1
            if gate.depth:
                return
            if gate.queue:
                gate.owner, turn = gate.queue.popleft()
                gate.depth = 1
                turn.set()
            else:
                gate.owner = None
                del self._by_key[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._by_key)


def run_unit(
    backend: Backend,
    namespace: Namespace,
    fn: Callable[[UnitOfWork], T],
    *,
    gates: Gates,
    budget: float,
    attempts: int | None = None,
    fence: Lock | None = None,
    on_conflict: Callable[[], None] = lambda: None,
) -> T:
    """Run ``fn`` as a unit of work on ``backend``, retrying on conflict; return its result.

    Retries last at most ``budget`` seconds and, if given, ``attempts`` tries;
    colliding units queue in ``gates``; ``on_conflict`` is called for every
    attempt thrown away. See the module docstring for the policy.
    """
    if attempts is not None and (
        isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1
    ):
        raise InvalidArgumentError(
            f"attempts must be an integer >= 1, got {attempts!r}", attempts=attempts
        )
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0:
        raise InvalidArgumentError(
            f"retry budget must be a number of seconds >= 0, got {budget!r}", budget=budget
        )
    started = time.monotonic()
    deadline = started + budget
    scope = current_scope()
    if scope is not None:
        # Leave room to give up with a CommitConflictError before the store's own deadline
        # turns the next round trip into a misleading "did not answer".
        deadline = min(deadline, scope.deadline - _DEADLINE_RESERVE)
    gate: str | None = None
    changed: str | None = None
    attempt = 0
    try:
        while True:
            attempt += 1
            uow = UnitOfWork(backend, namespace, attempt)
            try:
                result = fn(uow)
            finally:
                uow.close()
            changed = uow.commit(fence)
            if changed is None:
                return result
            on_conflict()
            if attempts is not None and attempt >= attempts:
                break
            if gate == changed:
                # Already first in this key's queue: only units on their first
                # attempt (or in other processes) beat us; let them pass.
                pause = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            else:
                if gate is not None:
                    gates.release(gate)
                    gate = None
                if not gates.acquire(changed, deadline - time.monotonic()):
                    break
                gate = changed
            if time.monotonic() >= deadline:
                break
    finally:
        if gate is not None:
            gates.release(gate)
    raise CommitConflictError(
        f"the data kept changing while this was being saved (gave up after {attempt} attempts "
        f"in {time.monotonic() - started:.1f} s; last change seen on {changed!r}); "
        "please try again",
        attempts=attempt,
        key=changed,
    )
