"""Units of work: optimistic transactions over the KV store.

``KVStore.run(fn)`` calls ``fn(uow)``. Inside, ``uow.get``/``uow.get_many``
read through a per-attempt cache (each key is read from Redis at most once),
and ``uow.set``/``uow.delete`` only buffer. When ``fn`` returns, one Lua
script (``scripts.COMMIT``) checks that every key read still holds exactly
the bytes that were read ("absent" is a distinct state) and applies all buffered
writes. If anything changed, the attempt is thrown away and ``fn`` runs again
from scratch on fresh reads. If ``fn`` raises, nothing is written and the
exception propagates.

Retry policy (contention a team can produce must never reach the user):
retries go on until a time budget is spent (``KVStore.retry_budget``, by
default ``DEFAULT_RETRY_BUDGET`` seconds; ``run(..., attempts=N)`` also caps
the count), then ``ConflictError``. After a conflict on key K the unit waits
for K's in-process *gate* (a first-come-first-served queue) before its next
attempt, so the retries of every unit in this process that collided on K run
one at a time, oldest first, instead of invalidating each other again (first
attempts stay optimistic: most commands never conflict). Between two attempts
under the same gate it backs off with full jitter. A unit holds at most one
gate (released before taking another), so gates cannot deadlock, and waiting
for one is bounded by the budget. No attempt starts after the budget is
spent, so a unit gives up within the budget
plus one attempt; the budget must stay below the time a command may take.

Fencing: ``run(fn, fence=lock)`` makes the commit also check that ``lock``
(a ``kvstore.Lock``) is still held with its token, in the same Lua script as
the read validation; if it is not, nothing is written and ``FenceError`` is
raised (no retry: the lease is gone for good).

Round-trip cost of an attempt: one per ``get`` of an uncached key, one per
``get_many`` with any uncached keys (a single MGET), plus one for the commit
if anything was written (scripts run as EVALSHA; the first commit after Redis
lost its script cache pays one extra, uncounted EVAL). A read-only unit ends
without a commit; its reads are then not re-validated, so reads spread over
several round trips may come from slightly different moments.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .deadline import current_scope
from .errors import ConflictError, InvalidArgumentError, KVError
from .store import as_bytes, check_key

if TYPE_CHECKING:
    from .lock import Lock
    from .store import KVStore

__all__ = ["Follow", "UnitOfWork", "run_unit", "Gates", "DEFAULT_RETRY_BUDGET"]

#: Seconds a unit of work keeps retrying on conflict before ``ConflictError``
#: (well below the 5 s a command may take end to end).
DEFAULT_RETRY_BUDGET = 2.0
# Full-jitter backoff between gated attempts: uniform(0, min(cap, base * 2**n)).
_BACKOFF_BASE = 0.001
_BACKOFF_CAP = 0.025
# Seconds kept free before the store's deadline (``KVStore.deadline``) for a last attempt.
_DEADLINE_RESERVE = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class Follow:
    """Read the keys an index names along with the index, in the same round trip.

    ``list_key`` holds a JSON object whose ``field`` is an array of names; for
    every name that contains ``containing`` (all names when empty) the keys
    ``prefix + name`` for each of ``prefixes`` are read too (see
    ``scripts.READ_FOLLOW``); with ``ignore_case`` ASCII letters match either case.
    """

    list_key: str
    field: str
    prefixes: Sequence[str]
    containing: str = ""
    ignore_case: bool = False


class UnitOfWork:
    """One attempt of a unit of work: cached reads, buffered writes."""

    def __init__(self, store: KVStore, attempt: int) -> None:
        self._store = store
        #: 1 for the first run of ``fn``, 2 for the first retry, …
        self.attempt = attempt
        #: Redis round trips of this attempt so far, the commit included.
        self.round_trips = 0
        self._read: dict[str, bytes | None] = {}  # what Redis returned, to validate at commit
        self._written: dict[str, bytes | None] = {}  # None = delete
        self._queued: list[tuple[str, bytes]] = []  # (full queue key, entry), in order
        self._open = True

    def _check_open(self) -> None:
        if not self._open:
            raise KVError(
                "this unit of work has finished; use the uow passed to the current fn call"
            )

    def _round_trip(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.round_trips += 1
        return fn(*args, **kwargs)

    def _view(self, key: str) -> bytes | None:
        return self._written[key] if key in self._written else self._read[key]

    def get(self, key: str) -> bytes | None:
        """The value of ``key`` as this unit sees it (its own writes included)."""
        self._check_open()
        check_key(key)
        if key not in self._written and key not in self._read:
            self._read[key] = self._round_trip(self._store.get, key)
        return self._view(key)

    def get_many(
        self, keys: Iterable[str], *, follow: Follow | None = None
    ) -> dict[str, bytes | None]:
        """Values of ``keys`` (uncached ones in one MGET round trip).

        With ``follow``, the list key and the keys it names are read in that
        same round trip (one Lua read) and returned too; every value read is
        validated at commit like any other read.
        """
        self._check_open()
        wanted = [check_key(k) for k in keys]
        if follow is not None:
            return self._get_following(wanted, follow)
        missing = [
            k for k in dict.fromkeys(wanted) if k not in self._written and k not in self._read
        ]
        if missing:
            self._read.update(self._round_trip(self._store.get_many, missing))
        return {k: self._view(k) for k in wanted}

    def _get_following(self, wanted: list[str], follow: Follow) -> dict[str, bytes | None]:
        plain = list(dict.fromkeys([*wanted, check_key(follow.list_key)]))
        plain.remove(follow.list_key)
        plain.append(follow.list_key)  # the script expects the list key last
        prefixes = list(follow.prefixes)
        flat = self._round_trip(
            self._store.read_follow,
            plain,
            follow.field,
            follow.containing,
            prefixes,
            follow.ignore_case,
        )
        fetched = dict(zip(plain, flat[: len(plain)], strict=True))
        rest = flat[len(plain) :]
        step = 1 + len(prefixes)
        for i in range(0, len(rest), step):
            name = rest[i].decode() if isinstance(rest[i], bytes) else str(rest[i])
            for prefix, value in zip(prefixes, rest[i + 1 : i + step], strict=True):
                fetched[check_key(prefix + name)] = value
        for key, value in fetched.items():
            # A key read earlier keeps its first value: that is what the commit
            # validates, so a change in between still shows up as a conflict.
            if key not in self._read and key not in self._written:
                self._read[key] = value
        return {k: self._view(k) for k in fetched}

    def set(self, key: str, value: bytes | None) -> None:
        """Buffer a write of ``value`` to ``key`` (None deletes); later reads see it."""
        self._check_open()
        check_key(key)
        self._written[key] = None if value is None else as_bytes(value)

    def delete(self, key: str) -> None:
        """Buffer the deletion of ``key``; later reads see it absent."""
        self._check_open()
        check_key(key)
        self._written[key] = None

    def enqueue(self, queue: str, value: bytes) -> None:
        """Buffer appending ``value`` to the durable queue ``queue`` (see ``kvstore.queue``).

        The entry lands in the same commit as the unit's writes, so a change
        and the messages it causes are stored together or not at all. A unit
        that only enqueues still commits (and validates its reads).
        """
        self._check_open()
        self._queued.append((self._store.queue_key(queue), as_bytes(value)))

    def _commit(self, fence: Lock | None = None) -> str | None:
        """Apply the buffered writes if every read is unchanged; return the changed key, if any.

        With ``fence``, FenceError (nothing written) unless that lock is still held.
        """
        self._open = False
        if not self._written and not self._queued:
            return None
        reads = list(self._read.items())
        changed = self._round_trip(
            self._store.commit_unit,
            reads,
            list(self._written.items()),
            self._queued,
            fence=fence,
        )
        return reads[changed - 1][0] if changed else None


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
    store: KVStore,
    fn: Callable[[UnitOfWork], T],
    *,
    attempts: int | None = None,
    budget: float | None = None,
    fence: Lock | None = None,
) -> T:
    """Run ``fn`` as a unit of work on ``store``, retrying on conflict; return its result.

    Retries last at most ``budget`` seconds (default ``store.retry_budget``)
    and, if given, ``attempts`` tries; see the module docstring for the policy.
    """
    if attempts is not None and (
        isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1
    ):
        raise InvalidArgumentError(
            f"attempts must be an integer >= 1, got {attempts!r}", attempts=attempts
        )
    budget = store.retry_budget if budget is None else budget
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0:
        raise InvalidArgumentError(
            f"retry budget must be a number of seconds >= 0, got {budget!r}", budget=budget
        )
    started = time.monotonic()
    deadline = started + budget
    scope = current_scope()
    if scope is not None:
        # Leave room to give up with a ConflictError before the store's own deadline
        # turns the next round trip into a misleading "Redis did not answer".
        deadline = min(deadline, scope.deadline - _DEADLINE_RESERVE)
    gate: str | None = None
    changed: str | None = None
    attempt = 0
    try:
        while True:
            attempt += 1
            uow = UnitOfWork(store, attempt)
            try:
                result = fn(uow)
            finally:
                uow._open = False  # a uow leaked out of fn must not buffer into a later commit
            changed = uow._commit(fence)
            if changed is None:
                return result
            store.note_conflict()
            if attempts is not None and attempt >= attempts:
                break
            if gate == changed:
                # Already first in this key's queue: only units on their first
                # attempt (or in other processes) beat us; let them pass.
                pause = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            else:
                if gate is not None:
                    store.gates.release(gate)
                    gate = None
                if not store.gates.acquire(changed, deadline - time.monotonic()):
                    break
                gate = changed
            if time.monotonic() >= deadline:
                break
    finally:
        if gate is not None:
            store.gates.release(gate)
    raise ConflictError(
        f"the data kept changing while this was being saved (gave up after {attempt} attempts "
        f"in {time.monotonic() - started:.1f} s; last change seen on {changed!r}); "
        "please try again",
        attempts=attempt,
        key=changed,
    )
