"""Durable FIFO queues: entries appended by units of work, handed out one at a time.

A queue is a list at ``<plugin id>/queue:<name>`` (a Redis list; rows of the
SQLite file's ``list`` table). Entries are opaque bytes appended with
``UnitOfWork.enqueue`` (in the same commit as the unit's writes) or
:meth:`Queue.push`. One consumer at a time works through a queue: it takes
the queue's lease (:meth:`Queue.lease`, a :class:`kvstore.Lock`), reads the
first entry with :meth:`Queue.peek`, handles it, then removes it with
:meth:`Queue.pop_head` — which removes it only if it is still the first entry
and the lease is still the caller's (a fencing check in one script,
:data:`QUEUE_POP_HEAD`). Entries therefore leave in the order they were
committed, and a consumer whose lease ran out cannot remove an entry that a
newer lease holder is handling. What "handled" means, and how a consumer that
crashed after handling but before removing avoids handling an entry twice, is
the consumer's business (see ``shim.outbox``).

Get a queue with ``KVStore.queue(name)``.
"""

from __future__ import annotations

from .backend import Backend
from .errors import InvalidArgumentError
from .keys import Namespace, as_bytes
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


class Queue:
    """The durable queue ``name`` of one plugin's store."""

    def __init__(self, backend: Backend, namespace: Namespace, name: str) -> None:
        self._backend = backend
        self._namespace = namespace
        self.name = name
        #: The queue's key in the store (``<plugin id>/queue:<name>``).
        self.key = namespace.queue(name)

    def push(self, value: bytes) -> None:
        """Append one entry outside a unit of work."""
        self._backend.rpush(self.key, as_bytes(value), op="queue_push", subject=self.name)

    def length(self) -> int:
        """How many entries wait."""
        return self._backend.llen(self.key, op="queue_length", subject=self.name)

    def peek(self, count: int = 1) -> list[bytes]:
        """The first ``count`` entries, oldest first, without removing them."""
        if count < 1:
            raise InvalidArgumentError(f"count must be >= 1, got {count!r}", count=count)
        return self._backend.lrange(self.key, 0, count - 1, op="queue_peek", subject=self.name)

    def lease(self, ttl_seconds: float) -> Lock | None:
        """Take the queue's lease for ``ttl_seconds``; None while another consumer holds it.

        Renew it with ``Lock.extend()`` before each entry; stop when that fails.
        """
        return take(self._backend, self._namespace, f"queue.{self.name}", ttl_seconds)

    def first_attempt(self, tag: str, now_ms: int) -> int | None:
        """Note that the consumer is handling the first entry, which it calls ``tag``.

        Returns when (Unix ms) an earlier attempt on that same entry began, or
        None if this is the first; only the first attempt's time is kept, so a
        consumer recovering from several failed attempts looks back far enough.
        Call it while holding the lease (one consumer at a time writes it).
        """
        key = self.key + ".attempt"
        prev = self._backend.get(key, op="queue_attempt", subject=self.name)
        if prev is not None:
            prev_tag, _, when = prev.decode().rpartition(" ")
            if prev_tag == tag and when.isdigit():
                return int(when)
        note = f"{tag} {int(now_ms)}".encode()
        self._backend.set(key, note, op="queue_attempt", subject=self.name)
        return None

    def pop_head(self, lease: Lock, entry: bytes, *, move_to: Queue | None = None) -> bool:
        """Remove ``entry`` if it is still first and ``lease`` still holds (optionally moving
        it to the end of ``move_to``, e.g. a dead-letter queue); False if either changed."""
        keys = [self.key, lease.full_key] + ([move_to.key] if move_to else [])
        args: list[bytes | int | str] = [as_bytes(entry), lease.token]
        args.append(move_to.key if move_to else "")
        return bool(
            self._backend.eval(QUEUE_POP_HEAD, keys, args, op="queue_pop", subject=self.name)
        )
