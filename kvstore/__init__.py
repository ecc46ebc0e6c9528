"""A Redis-backed key-value store shaped like the Mattermost plugin KV API.

- ``open(url, plugin_id) -> KVStore``; URLs ``redis://``, ``rediss://``,
  ``unix://`` (real Redis) and ``memory://`` / ``memory://NAME`` (in-process
  fakeredis; the same NAME within a process shares one server).
- ``KVStore`` mirrors KVGet/KVSet/…: ``get``, ``set``, ``set_with_expiry``,
  ``compare_and_set``, ``compare_and_delete``, ``set_with_options``,
  ``delete``, ``delete_all``, ``list_keys``; plus ``get_many``, ``ping``,
  ``close``, ``lock(name, ttl_seconds)``, ``run(fn)`` and ``fenced(lock)``.
- Keys are stored as ``<plugin id>:<key>`` (see ``kvstore.store``); values
  are stored as given.
- ``KVStore.run`` runs ``fn(uow)`` as a unit of work (see ``kvstore.unit``):
  cached reads, buffered writes, one atomic validating commit, retries on
  conflict within a time budget (``retry_budget``), then ``ConflictError``;
  ``fenced(lock)`` commits only while a lock is held (``FenceError``).

- Waits are bounded: every round trip ends by a deadline — ``timeout``
  seconds (``open(url, plugin_id, timeout=…)`` or the URL option
  ``?timeout=…``, default 5) per call or per ``run``, or an enclosing
  ``with store.deadline(at):`` — and then raises ``NoAnswerError`` (nothing
  written) or ``OutcomeUnknownError`` (a write was sent, no answer came); see
  ``kvstore.deadline``. ``await store.ping_async(timeout)`` probes Redis on an
  event loop with its own connection.

Errors live in ``kvstore.errors`` under the root ``KVError``.
"""

from __future__ import annotations

from .errors import (
    BackendError,
    ConflictError,
    FenceError,
    InvalidArgumentError,
    InvalidKeyError,
    KeyTooLongError,
    KVError,
    NoAnswerError,
    OutcomeUnknownError,
)
from .lock import FencedStore, Lock
from .queue import Queue
from .store import MAX_KEY_LENGTH, KVStore, open
from .unit import Follow, UnitOfWork

__all__ = [
    "open",
    "KVStore",
    "UnitOfWork",
    "Follow",
    "Lock",
    "FencedStore",
    "Queue",
    "MAX_KEY_LENGTH",
    "KVError",
    "InvalidKeyError",
    "KeyTooLongError",
    "InvalidArgumentError",
    "ConflictError",
    "FenceError",
    "BackendError",
    "NoAnswerError",
    "OutcomeUnknownError",
]
