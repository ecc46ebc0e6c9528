"""Durable queues: entries appended by units of work, consumed in order, in fair turns.

A queue is a list at ``<plugin id>/queue:<name>`` (a Redis list; rows of the
SQLite file's ``list`` table), its *intake*. Entries are opaque bytes appended
with ``UnitOfWork.enqueue`` (in the same commit as the unit's writes) or
:meth:`Queue.push`. One consumer at a time works through a queue: it takes the
queue's lease (:meth:`Queue.lease`, a :class:`kvstore.Lock`) and every step that
changes the queue checks, inside its script, that the lease is still the
caller's (a fencing check), so a consumer whose lease ran out cannot remove what
a newer lease holder is handling. Get a queue with ``KVStore.queue(name)``.

A plain queue is consumed head first: :meth:`Queue.peek`, handle, then
:meth:`Queue.pop_head` (which removes the entry only if it is still first).

Lanes and fair turns
--------------------
A consumer that must not let one burst hold up everything else sorts the intake
into *lanes* (:meth:`Queue.route`: it reads the first entries with
:meth:`Queue.unrouted`, names a lane for each, and moves them to the end of their
lanes in one step). Each lane keeps its entries' order; lanes take turns:
:meth:`Queue.peek_fair` returns the first entry of each lane in turn order, then
the second of each, and so on. A batch is then handled in three steps: note the
attempts (:meth:`Queue.note_attempts`, which says which entries were tried before),
handle them, and remove the handled ones (:meth:`Queue.pop_fair`, which also sends
the lanes that had a turn to the back of the line and renews the lease). Storage:
lane ``L`` is the list ``<queue key>.lane:L``; the *ring* ``<queue key>.lanes``
lists the lanes that hold entries, each once, in turn order; the attempts are the
hash ``<queue key>.attempts`` (tag → Unix ms of the first attempt); the scripts are
``kvstore.lanes``'s. A queue that is never routed has no lanes, and every method
below works on it as on a plain list.

What "handled" means, and how a consumer that crashed after handling but before
removing avoids handling an entry twice, is the consumer's business (the attempts
are there for that; see ``lotto.delivery`` and ``shim.outbox``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .backend import Backend
from .errors import InvalidArgumentError
from .keys import Namespace, as_bytes
from .lanes import (
    QUEUE_HEADS,
    QUEUE_LENGTH,
    QUEUE_NOTE_ATTEMPTS,
    QUEUE_PEEK_FAIR,
    QUEUE_POP_FAIR,
    QUEUE_ROUTE,
)
from .lock import Lock, take
from .scripts import Data, Script

__all__ = ["Queue", "QUEUE_POP_HEAD"]

# Remove a queue's first entry, but only if it is still the one the caller
# handled and the caller still holds the queue's lease (a fencing check: a
# deliverer whose lease ran out and was taken over can never pop an entry the
# new holder is handling).
# KEYS[1] = the queue (a list), KEYS[2] = the lease key
# ARGV[1] = the entry the caller handled, ARGV[2] = the caller's lease token
# ARGV[3] = '' to drop the entry, or a list key (KEYS[3]) to move it to
# Returns 1 when removed, 0 when the head or the lease changed (nothing done).
_QUEUE_POP_HEAD = """
if redis.call('GET', KEYS[2]) ~= ARGV[2] then
  return 0
end
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then
  return 0
end
redis.call('LPOP', KEYS[1])
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[1])
end
return 1
"""


def _queue_pop_head(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[1]) != args[1]:
        return 0
    if data.lindex(keys[0], 0) != args[0]:
        return 0
    data.lpop(keys[0])
    if args[2] != b"":
        data.rpush(keys[2], args[0])
    return 1


QUEUE_POP_HEAD = Script("queue_pop_head", _QUEUE_POP_HEAD, _queue_pop_head)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class Queue:
    """The durable queue ``name`` of one plugin's store (get it with ``KVStore.queue``)."""

    def __init__(self, backend: Backend, namespace: Namespace, name: str) -> None:
        self._backend = backend
        self._namespace = namespace
        self.name = name
        #: The intake's key in the store (``<plugin id>/queue:<name>``).
        self.key = namespace.queue(name)
        self._ring = self.key + ".lanes"
        self._lane_prefix = self.key + ".lane:"
        self._attempts = self.key + ".attempts"
        self._old_attempt = self.key + ".attempt"  # one string, written by older versions

    def _run(self, script: Script, op: str, keys: list[str], args: list[Any]) -> Any:
        return self._backend.eval(script, keys, args, op=op, subject=self.name)

    def lane_key(self, lane: str) -> str:
        """The key of lane ``lane``'s list (for operators and tests)."""
        return self._lane_prefix + lane

    # -- any queue --------------------------------------------------------------------

    def push(self, value: bytes) -> None:
        """Append one entry to the intake, outside a unit of work."""
        self._backend.rpush(self.key, as_bytes(value), op="queue_push", subject=self.name)

    def length(self) -> int:
        """How many entries wait: in the intake and in every lane (one round trip)."""
        keys = [self.key, self._ring]
        return int(self._run(QUEUE_LENGTH, "queue_length", keys, [self._lane_prefix]))

    def peek(self, count: int = 1) -> list[bytes]:
        """The next ``count`` entries without removing them: those :meth:`peek_fair` would
        give, in that order, then the intake's (oldest first). One round trip."""
        _check_count(count)
        picks, _, rest = self._fair(count, extra=count)
        return ([entry for _, entry in picks] + rest)[:count]

    def heads(self) -> list[bytes]:
        """The first entry of the intake and of each lane (each the oldest of its list);
        the intake's first comes first when there is one. One round trip."""
        keys = [self.key, self._ring]
        reply = self._run(QUEUE_HEADS, "queue_heads", keys, [self._lane_prefix])
        return [_as_bytes(e) for e in reply if e is not None and e is not False]

    def lease(self, ttl_seconds: float) -> Lock | None:
        """Take the queue's lease for ``ttl_seconds``; None while another consumer holds it.

        Renew it with ``Lock.extend()`` (or the renewing steps below) as the work goes
        on; stop when that fails.
        """
        return take(self._backend, self._namespace, f"queue.{self.name}", ttl_seconds)

    # -- a plain queue ------------------------------------------------------------------

    def pop_head(self, lease: Lock, entry: bytes, *, move_to: Queue | None = None) -> bool:
        """Remove ``entry`` if it is still the intake's first and ``lease`` still holds
        (optionally moving it to the end of ``move_to``, e.g. a dead-letter queue); False if
        either changed."""
        keys = [self.key, lease.full_key] + ([move_to.key] if move_to else [])
        args = [as_bytes(entry), lease.token, move_to.key if move_to else ""]
        return bool(self._run(QUEUE_POP_HEAD, "queue_pop", keys, args))

    # -- lanes and fair turns (see the module doc) ----------------------------------------

    def unrouted(self, count: int) -> list[bytes]:
        """The intake's first ``count`` entries (not yet in a lane), oldest first."""
        _check_count(count)
        return self._backend.lrange(self.key, 0, count - 1, op="queue_peek", subject=self.name)

    def route(self, lease: Lock, lanes: Sequence[str]) -> int | None:
        """Move the intake's first ``len(lanes)`` entries to the end of their lanes:
        the i-th entry to lane ``lanes[i]``. One round trip, one atomic step.

        Contract: only while ``lease`` is the caller's (else None, nothing moved); the
        entries moved are the intake's first ones at that moment, which are those the
        caller read with :meth:`unrouted` as long as only the lease holder takes from the
        intake; a lane that was empty joins the end of the turn order; returns how many
        moved (fewer if the intake had fewer).
        """
        if not lanes:
            return 0
        names = list(dict.fromkeys(lanes))
        index = {name: i + 1 for i, name in enumerate(names)}
        keys = [lease.full_key, self.key, self._ring] + [self.lane_key(n) for n in names]
        args: list[Any] = [lease.token, len(names), *names, *(index[lane] for lane in lanes)]
        moved = int(self._run(QUEUE_ROUTE, "queue_route", keys, args))
        return None if moved < 0 else moved

    def peek_fair(self, count: int) -> tuple[list[tuple[str, bytes]], int]:
        """The next ``count`` entries in fair turns, as ``(lane, entry)``, and the intake's
        length. One round trip, read only.

        Contract: the lanes in turn order L1, L2, …: L1's first entry, L2's first, …,
        then L1's second, L2's second, … (a lane that runs out drops out), until
        ``count`` entries; only the first ``count`` lanes can have a turn. Entries still
        in the intake are not among them.
        """
        _check_count(count)
        picks, waiting, _ = self._fair(count, extra=0)
        return picks, waiting

    def _fair(self, count: int, *, extra: int) -> tuple[list[tuple[str, bytes]], int, list[bytes]]:
        keys = [self._ring, self.key]
        reply = self._run(QUEUE_PEEK_FAIR, "queue_peek", keys, [count, self._lane_prefix, extra])
        waiting, picked = int(reply[0]), int(reply[1])
        flat = reply[2 : 2 + 2 * picked]
        picks = [
            (_as_bytes(flat[i]).decode(), _as_bytes(flat[i + 1])) for i in range(0, len(flat), 2)
        ]
        return picks, waiting, [_as_bytes(e) for e in reply[2 + 2 * picked :]]

    def note_attempts(
        self, lease: Lock, tags: Sequence[str], now_ms: int, ttl_seconds: float
    ) -> dict[str, int] | None:
        """Note that the caller is about to handle the entries it calls ``tags``; returns,
        for each tag handled before, when (Unix ms) its first attempt began. One round trip.

        Contract: only while ``lease`` is the caller's (else None, nothing noted), and it
        renews the lease for ``ttl_seconds``; a tag without a record gets ``now_ms`` and
        is left out of the answer; only the first attempt's time is kept (so a consumer
        recovering from several failed attempts looks back far enough), until
        :meth:`pop_fair` removes the entry. (Redis only: an attempt recorded by an older
        version, the string ``<tag> <ms>`` at ``<queue key>.attempt``, counts too; a new
        backend has none.)
        """
        if not tags:
            return {} if lease.extend(ttl_seconds) else None
        keys = [lease.full_key, self._attempts, self._old_attempt]
        args: list[Any] = [lease.token, _ms(ttl_seconds), int(now_ms), *tags]
        reply = self._run(QUEUE_NOTE_ATTEMPTS, "queue_attempt", keys, args)
        if int(reply[0]) != 1:
            return None
        return {tag: int(t) for tag, t in zip(tags, reply[1:], strict=True) if int(t) >= 0}

    def pop_fair(
        self,
        lease: Lock,
        lanes: Sequence[str],
        handled: Sequence[tuple[str, bytes, str, bool]],
        ttl_seconds: float,
        *,
        move_to: Queue | None = None,
    ) -> bool:
        """Finish a batch taken with :meth:`peek_fair`. One round trip, one atomic step.

        ``lanes`` are the lanes that had a turn (the distinct lanes of the batch, which
        are the first lanes in turn order); ``handled`` are ``(lane, entry, tag, moved)``:
        each is removed from its lane (wherever it is in it) and its attempt forgotten,
        and those with ``moved`` go to the end of ``move_to`` (e.g. dead letters).

        Contract: checks first that ``lease`` is the caller's, that the turn order still
        starts with ``lanes`` and that every entry is still in its lane, and changes
        nothing (False) if not; then the lanes that had a turn go to the end of the turn
        order (those left empty leave it), and the lease is renewed for ``ttl_seconds``.
        """
        if any(moved for *_, moved in handled) and move_to is None:
            raise InvalidArgumentError("entries to move need a queue to move them to")
        if not lanes:
            return False
        names = list(lanes)
        index = {name: i + 1 for i, name in enumerate(names)}
        target = move_to.key if move_to is not None else self.key + ".none"
        keys = [lease.full_key, self._ring, self._attempts, target]
        keys += [self.lane_key(n) for n in names]
        args: list[Any] = [lease.token, _ms(ttl_seconds), len(names), *names]
        for lane, entry, tag, moved in handled:
            if lane not in index:
                raise InvalidArgumentError(f"lane {lane!r} had no turn in this batch", lane=lane)
            args += [index[lane], "M" if moved else "D", as_bytes(entry), tag]
        return bool(self._run(QUEUE_POP_FAIR, "queue_pop", keys, args))


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidArgumentError(f"count must be >= 1, got {count!r}", count=count)


def _as_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()
