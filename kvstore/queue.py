"""Durable FIFO queues: entries appended by units of work, handed out one at a time.

A queue is a Redis list at ``<plugin id>/queue:<name>``. Entries are opaque
bytes appended with ``UnitOfWork.enqueue`` (in the same commit as the unit's
writes) or :meth:`Queue.push`. One consumer at a time works through a queue:
it takes the queue's lease (:meth:`Queue.lease`, a :class:`kvstore.Lock`),
reads the first entry with :meth:`Queue.peek`, handles it, then removes it
with :meth:`Queue.pop_head` — which removes it only if it is still
the first entry and the lease is still the caller's (a fencing check in one
Lua script, ``scripts.QUEUE_POP_HEAD``). Entries therefore leave in the order
they were committed, and a consumer whose lease ran out cannot remove an entry
that a newer lease holder is handling. What "handled" means, and how a
consumer that crashed after handling but before removing avoids handling an
entry twice, is the consumer's business (see ``shim.outbox``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import scripts
from .errors import InvalidArgumentError
from .store import as_bytes

if TYPE_CHECKING:
    from .lock import Lock
    from .store import KVStore

__all__ = ["Queue"]


class Queue:
    """The durable queue ``name`` of ``store``."""

    def __init__(self, store: KVStore, name: str) -> None:
        self.store = store
        self.name = name
        self.key = store.queue_key(name)
        self._pop = store.redis.register_script(scripts.QUEUE_POP_HEAD)

    def push(self, value: bytes) -> None:
        """Append one entry outside a unit of work."""
        self.store.round_trip(
            "queue_push", self.name, self.store.redis.rpush, self.key, as_bytes(value)
        )

    def length(self) -> int:
        """How many entries wait."""
        return int(
            self.store.round_trip("queue_length", self.name, self.store.redis.llen, self.key)
        )

    def peek(self, count: int = 1) -> list[bytes]:
        """The first ``count`` entries, oldest first, without removing them."""
        if count < 1:
            raise InvalidArgumentError(f"count must be >= 1, got {count!r}", count=count)
        entries = self.store.round_trip(
            "queue_peek", self.name, self.store.redis.lrange, self.key, 0, count - 1
        )
        return [e if isinstance(e, bytes) else str(e).encode() for e in entries]

    def lease(self, ttl_seconds: float) -> Lock | None:
        """Take the queue's lease for ``ttl_seconds``; None while another consumer holds it.

        Renew it with ``Lock.extend()`` before each entry; stop when that fails.
        """
        return self.store.lock(f"queue.{self.name}", ttl_seconds)

    def first_attempt(self, tag: str, now_ms: int) -> int | None:
        """Note that the consumer is handling the first entry, which it calls ``tag``.

        Returns when (Unix ms) an earlier attempt on that same entry began, or
        None if this is the first; only the first attempt's time is kept, so a
        consumer recovering from several failed attempts looks back far enough.
        Call it while holding the lease (one consumer at a time writes it).
        """
        key = self.key + ".attempt"
        redis = self.store.redis
        prev = self.store.round_trip("queue_attempt", self.name, redis.get, key)
        if prev is not None:
            text = prev.decode() if isinstance(prev, bytes) else str(prev)
            prev_tag, _, when = text.rpartition(" ")
            if prev_tag == tag and when.isdigit():
                return int(when)
        self.store.round_trip("queue_attempt", self.name, redis.set, key, f"{tag} {int(now_ms)}")
        return None

    def pop_head(self, lease: Lock, entry: bytes, *, move_to: Queue | None = None) -> bool:
        """Remove ``entry`` if it is still first and ``lease`` still holds (optionally moving
        it to the end of ``move_to``, e.g. a dead-letter queue); False if either changed."""
        keys = [self.key, lease.full_key] + ([move_to.key] if move_to else [])
        args = [as_bytes(entry), lease.token, move_to.key if move_to else ""]
        return bool(self.store.round_trip("queue_pop", self.name, self._pop, keys=keys, args=args))
