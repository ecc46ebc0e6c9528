"""A key-value store shaped like the Mattermost plugin KV API, on Redis or SQLite.

- ``open(url, plugin_id) -> KVStore``; URLs ``redis://``, ``rediss://``,
  ``unix://`` (real Redis), ``sqlite://PATH`` (a SQLite file that several
  processes on one host may share) and ``memory://`` / ``memory://NAME``
  (in-process fakeredis; the same NAME within a process shares one server);
  see ``kvstore.backends``. Every engine keeps the same keys and values and
  passes the same contract tests.
- ``KVStore`` mirrors KVGet/KVSet/…: ``get``, ``set``, ``set_with_expiry``,
  ``compare_and_set``, ``compare_and_delete``, ``set_with_options``,
  ``delete``, ``delete_all``, ``list_keys``; plus ``get_many``, ``ping``,
  ``close``, ``lock(name, ttl_seconds)``, ``queue(name)``, ``run(fn)`` and
  ``fenced(lock)``.
- Keys are stored as ``<plugin id>:<key>`` (see ``kvstore.keys``); values
  are stored as given.
- ``KVStore.run`` runs ``fn(uow)`` as a unit of work (see ``kvstore.unit``):
  cached reads, buffered writes, one atomic validating commit, retries on
  conflict within a time budget (``retry_budget``, ``kvstore.retry``), then
  ``CommitConflictError``; ``fenced(lock)`` commits only while a lock is held
  (``FenceError``).
- Waits are bounded: every round trip ends by a deadline — ``timeout``
  seconds (``open(url, plugin_id, timeout=…)`` or the URL option
  ``?timeout=…``, default 5) per call or per ``run``, or an enclosing
  ``with store.deadline(at):`` — and then raises ``BackendNoAnswerError``
  (nothing written) or ``BackendOutcomeUnknownError`` (a write was sent, no
  answer came); see ``kvstore.deadline``. ``await store.ping_async(timeout)``
  probes the engine on an event loop without a worker thread.

Layers, bottom up (each imports only those below it): ``errors``, ``keys``,
``deadline``, ``scripts`` and ``backends`` (URLs); ``backend`` (the narrow
engine protocol); the engines ``redis_backend`` and ``sqlite_backend``;
``lock`` and ``lanes`` (a queue's lanes), then ``queue`` and ``unit``, then
``retry``, each owning its scripts; ``store`` on top.

Errors live in ``kvstore.errors`` under the root ``KVError``.
"""

from __future__ import annotations

from .backend import Backend
from .errors import (
    BackendError,
    BackendNoAnswerError,
    BackendOutcomeUnknownError,
    CommitConflictError,
    FenceError,
    InvalidArgumentError,
    InvalidKeyError,
    KeyTooLongError,
    KVError,
)
from .keys import MAX_KEY_LENGTH
from .lock import FencedStore, Lock
from .queue import Queue
from .store import KVStore, open
from .unit import Follow, UnitOfWork

__all__ = [
    "open",
    "KVStore",
    "UnitOfWork",
    "Follow",
    "Lock",
    "FencedStore",
    "Queue",
    "Backend",
    "MAX_KEY_LENGTH",
    "KVError",
    "InvalidKeyError",
    "KeyTooLongError",
    "InvalidArgumentError",
    "CommitConflictError",
    "FenceError",
    "BackendError",
    "BackendNoAnswerError",
    "BackendOutcomeUnknownError",
]
