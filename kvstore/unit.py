"""Units of work: optimistic transactions over the KV store.

``KVStore.run(fn)`` calls ``fn(uow)``. Inside, ``uow.get``/``uow.get_many``
read through a per-attempt cache (each key is read from Redis at most once),
and ``uow.set``/``uow.delete`` only buffer. When ``fn`` returns, one Lua
script (``scripts.COMMIT``) checks that every key read still holds exactly
the bytes that were read ("absent" is a distinct state) and applies all buffered
writes. If anything changed, the attempt is thrown away and ``fn`` runs again
from scratch on fresh reads; after ``attempts`` tries ``ConflictError`` is
raised. If ``fn`` raises, nothing is written and the exception propagates.

Round-trip cost of an attempt: one per ``get`` of an uncached key, one per
``get_many`` with any uncached keys (a single MGET), plus one for the commit
if anything was written (scripts run as EVALSHA; the first commit after Redis
lost its script cache pays one extra, uncounted EVAL). A read-only unit ends
without a commit; its reads are then not re-validated, so reads spread over
several round trips may come from slightly different moments.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConflictError, InvalidArgumentError, KVError
from .store import as_bytes, check_key

if TYPE_CHECKING:
    from .store import KVStore

__all__ = ["Follow", "UnitOfWork", "run_unit"]

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

    def _round_trip(self, fn: Callable[..., T], *args: Any) -> T:
        self.round_trips += 1
        return fn(*args)

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

    def _commit(self) -> str | None:
        """Apply the buffered writes if every read is unchanged; return the changed key, if any."""
        self._open = False
        if not self._written and not self._queued:
            return None
        reads = list(self._read.items())
        changed = self._round_trip(
            self._store.commit_unit, reads, list(self._written.items()), self._queued
        )
        return reads[changed - 1][0] if changed else None


def run_unit(store: KVStore, fn: Callable[[UnitOfWork], T], *, attempts: int = 5) -> T:
    """Run ``fn`` as a unit of work on ``store``, retrying on conflict; return its result."""
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise InvalidArgumentError(
            f"attempts must be an integer >= 1, got {attempts!r}", attempts=attempts
        )
    changed: str | None = None
    for attempt in range(1, attempts + 1):
        uow = UnitOfWork(store, attempt)
        try:
            result = fn(uow)
        finally:
            uow._open = False  # a uow leaked out of fn must not buffer into a later commit
        changed = uow._commit()
        if changed is None:
            return result
        if attempt < attempts:
            # Jitter so two units that keep colliding drift apart instead of
            # retrying in lockstep; at most a few tens of milliseconds.
            time.sleep(random.uniform(0, min(0.05, 0.002 * 2**attempt)))
    raise ConflictError(
        f"the data kept changing while this was being saved (gave up after {attempts} attempts; "
        f"last change seen on {changed!r}); please try again",
        attempts=attempts,
        key=changed,
    )
