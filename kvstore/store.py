"""The Mattermost plugin KV API, namespaced by plugin id, over any engine.

``open(url, plugin_id)`` picks the engine from the URL (``kvstore.backends``):
a real Redis, an in-process fakeredis server (``memory://``) or a SQLite file
(``sqlite://``). Keys follow one scheme everywhere (``kvstore.keys``):
``<plugin id>:<key>`` for KV keys, ``<plugin id>/lock:…``, ``/commit:…`` and
``/queue:…`` for the rest, so two plugins sharing a store never see each
other's keys, and locks, markers and queues never show up in ``list_keys``.

Round trips: every public method costs one round trip, except ``list_keys``
and ``delete_all`` (one per SCAN batch of up to 1000 keys, plus one DEL per
500 keys for ``delete_all``). ``round_trips`` counts them all.

Waits are bounded: every round trip must be answered by a deadline — the
enclosing ``with store.deadline(at):`` if there is one, else ``timeout``
seconds (default 5; the ``timeout`` URL option or argument of ``open``) from
the start of the call, or of the whole unit of work for ``run``. An engine
that does not answer in time gives ``BackendNoAnswerError`` (nothing was
written) or, for a write sent to Redis, ``BackendOutcomeUnknownError``.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar
from urllib.parse import urlsplit

from . import backends, redis_backend, sqlite_backend
from .backend import Backend
from .deadline import Scope, scoped
from .errors import InvalidArgumentError
from .keys import Namespace, as_bytes, check_plugin_id
from .lock import FencedStore, Lock, take
from .queue import Queue
from .retry import DEFAULT_RETRY_BUDGET, Gates, run_unit
from .scripts import COMPARE_AND_DELETE, Data, Script

__all__ = ["KVStore", "open", "COMPARE_AND_SET"]

_DELETE_BATCH = 500

T = TypeVar("T")

# KEYS[1] = key
# ARGV[1] = expected current value, ARGV[2] = new value,
# ARGV[3] = expiry in milliseconds ('0' = none; a plain SET also drops an old TTL,
#           matching Mattermost where a CAS write replaces the expiry).
# Returns 1 if the value matched and was replaced, else 0.
# (Insert-if-absent needs no script: it is SET NX.)
_COMPARE_AND_SET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local px = tonumber(ARGV[3])
if px > 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', px)
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
"""


def _compare_and_set(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[0]) != args[0]:
        return 0
    data.set(keys[0], args[1], px=max(0, int(args[2])))
    return 1


COMPARE_AND_SET = Script("compare_and_set", _COMPARE_AND_SET, _compare_and_set)


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidArgumentError(
            f"{what} must be a number of seconds > 0, got {value!r}", **{what: value}
        )
    return float(value)


# Shadows the builtin on purpose: ``kvstore.open`` is the documented entry point.
def open(
    url: str,
    plugin_id: str,
    *,
    timeout: float | None = None,
    retry_budget: float | None = None,
) -> KVStore:
    """Open the KV store at ``url`` for ``plugin_id``.

    ``url`` is redis://, rediss://, unix://, sqlite://PATH or memory://NAME
    (see ``kvstore.backends``). ``timeout`` (seconds) bounds each operation's
    wait; it wins over the URL's ``timeout`` option, which wins over the
    default of 5 seconds. ``retry_budget`` (seconds) is how long a unit of work
    retries on conflict (default ``kvstore.retry.DEFAULT_RETRY_BUDGET``).
    """
    namespace = Namespace(check_plugin_id(plugin_id))
    _, options = backends.split_options(url)
    seconds = _seconds(
        options.get("timeout", backends.DEFAULT_TIMEOUT) if timeout is None else timeout,
        "timeout",
    )
    scheme = urlsplit(url).scheme
    backend: Backend
    if scheme in (*backends.REAL_SCHEMES, "memory"):
        backend = redis_backend.connect(url, timeout=seconds)
    elif scheme == "sqlite":
        backend = sqlite_backend.connect(url, timeout=seconds)
    else:
        safe = backends.redact(url)
        raise InvalidArgumentError(
            f"unsupported store URL {safe!r}: use redis://, rediss://, unix://, "
            "sqlite:// or memory://",
            url=safe,
        )
    store = KVStore(backend, namespace, timeout=seconds)
    if retry_budget is not None:
        store.retry_budget = retry_budget
    return store


def _expiry_ms(seconds: object) -> int:
    # Mattermost treats 0 as "never expires"; a negative expiry is a caller bug.
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise InvalidArgumentError(
            f"expiry must be a number of seconds >= 0, got {seconds!r}", expire_in_seconds=seconds
        )
    return max(1, int(seconds * 1000)) if seconds > 0 else 0


class KVStore:
    """A plugin's view of the KV store; thread-safe, one per process is enough."""

    def __init__(self, backend: Backend, namespace: Namespace, *, timeout: float) -> None:
        self._backend = backend
        self._ns = namespace
        self._timeout = _seconds(timeout, "timeout")
        self._counter_lock = threading.Lock()
        self._conflicts = 0
        self._gates = Gates()
        #: Seconds a unit of work keeps retrying on conflict (see ``kvstore.retry``);
        #: keep it below ``timeout``, which bounds the whole unit of work.
        self.retry_budget: float = DEFAULT_RETRY_BUDGET

    # -- introspection ---------------------------------------------------

    @property
    def plugin_id(self) -> str:
        """The plugin id this store is namespaced by."""
        return self._ns.plugin_id

    @property
    def timeout(self) -> float:
        """Seconds an operation (a call, or a whole ``run``) may wait by default."""
        return self._timeout

    @property
    def round_trips(self) -> int:
        """Round trips made through this store so far (all threads)."""
        return self._backend.round_trips

    @property
    def conflicts(self) -> int:
        """Unit-of-work attempts thrown away because a read changed (all threads)."""
        return self._conflicts

    @property
    def contended_keys(self) -> int:
        """Keys whose in-process gate a retrying unit holds or waits for (0 when none retries)."""
        return len(self._gates)

    @property
    def backend(self) -> Backend:
        """The engine (for tests and operators, e.g. ``store.backend.client`` on Redis)."""
        return self._backend

    def full_key(self, key: str) -> str:
        """The namespaced key for ``key``, as ``redis-cli`` or the SQLite file shows it."""
        return self._ns.data(key)

    def __repr__(self) -> str:
        return f"KVStore({self._backend.url!r}, plugin_id={self.plugin_id!r})"

    @contextlib.contextmanager
    def deadline(self, at: float | None = None) -> Iterator[float]:
        """Every round trip inside must be answered by ``at`` (a ``time.monotonic()`` instant).

        Default: ``timeout`` seconds from now. An enclosing earlier deadline still
        wins. Yields the deadline in force.
        """
        now = time.monotonic()
        at = now + self._timeout if at is None else at
        with scoped(Scope(at, max(0.0, at - now))) as scope:
            yield scope.deadline

    def _note_conflict(self) -> None:
        with self._counter_lock:
            self._conflicts += 1

    # -- the Mattermost KV API -------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The value of ``key``, or None if it is absent or expired (KVGet)."""
        return self._backend.get(self.full_key(key), subject=key)

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        """Values of several keys in one MGET round trip (none if ``keys`` is empty)."""
        wanted = list(dict.fromkeys(keys))
        full = [self.full_key(k) for k in wanted]
        if not full:
            return {}
        return dict(zip(wanted, self._backend.mget(full), strict=True))

    def set(self, key: str, value: bytes | None) -> None:
        """Store ``value`` under ``key`` without expiry; None deletes the key (KVSet)."""
        if value is None:
            self.delete(key)
            return
        self._backend.set(self.full_key(key), as_bytes(value), subject=key)

    def set_with_expiry(self, key: str, value: bytes | None, seconds: int) -> None:
        """Store ``value`` for ``seconds`` (0 = forever); None deletes (KVSetWithExpiry)."""
        px = _expiry_ms(seconds)
        if value is None:
            self.delete(key)
            return
        full, data = self.full_key(key), as_bytes(value)
        self._backend.set(full, data, px=px, op="set_with_expiry", subject=key)

    def compare_and_set(self, key: str, old: bytes | None, new: bytes | None) -> bool:
        """Set ``key`` to ``new`` only if it currently holds ``old`` (None: only if absent).

        ``new`` None deletes instead (as KVCompareAndSet). Returns whether it wrote.
        """
        return self.set_with_options(key, new, atomic=True, old_value=old)

    def compare_and_delete(self, key: str, old: bytes) -> bool:
        """Delete ``key`` only if it currently holds ``old``; returns whether it deleted."""
        full = self.full_key(key)
        if old is None:
            # Mattermost: an absent value cannot be compared, so nothing is done.
            return False
        return bool(
            self._backend.eval(
                COMPARE_AND_DELETE, [full], [as_bytes(old)], op="compare_and_delete", subject=key
            )
        )

    def set_with_options(
        self,
        key: str,
        value: bytes | None,
        *,
        atomic: bool = False,
        old_value: bytes | None = None,
        expire_in_seconds: int = 0,
    ) -> bool:
        """KVSetWithOptions: ``value`` None deletes; ``atomic`` compares with ``old_value`` first.

        With ``atomic``, ``old_value`` None means "only if absent". Returns whether
        it wrote (always True when not atomic).
        """
        full = self.full_key(key)
        px = _expiry_ms(expire_in_seconds)
        if not atomic and old_value is not None:
            raise InvalidArgumentError(
                "old_value is only allowed with atomic=True", key=key, old_value=old_value
            )
        if not atomic:
            if value is None:
                self.delete(key)
            else:
                self._backend.set(full, as_bytes(value), px=px, subject=key)
            return True
        if value is None:
            return self.compare_and_delete(key, old_value)  # type: ignore[arg-type]
        data = as_bytes(value)
        if old_value is None:
            return self._backend.set(full, data, px=px, nx=True, op="compare_and_set", subject=key)
        args: list[bytes | int | str] = [as_bytes(old_value), data, px]
        return bool(
            self._backend.eval(COMPARE_AND_SET, [full], args, op="compare_and_set", subject=key)
        )

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine (KVDelete)."""
        self._backend.delete([self.full_key(key)], subject=key)

    def delete_all(self) -> None:
        """Remove every key of this plugin and no other (KVDeleteAll).

        Not atomic: keys written while it runs may survive.
        """
        names = self._backend.scan(self._ns.prefix)
        for start in range(0, len(names), _DELETE_BATCH):
            self._backend.delete(names[start : start + _DELETE_BATCH], op="delete_all")

    def list_keys(self, page: int, per_page: int) -> list[str]:
        """This plugin's keys, sorted, ``per_page`` at a time from page 0 (KVList).

        Expired keys are never listed.
        """
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise InvalidArgumentError(f"page must be an integer >= 0, got {page!r}", page=page)
        if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 1:
            raise InvalidArgumentError(
                f"per_page must be an integer >= 1, got {per_page!r}", per_page=per_page
            )
        cut = len(self._ns.prefix)
        keys = sorted(name[cut:] for name in self._backend.scan(self._ns.prefix))
        return keys[page * per_page : (page + 1) * per_page]

    # -- beyond the Mattermost API ----------------------------------------

    def ping(self) -> bool:
        """True if the engine answers within ``timeout`` (or the enclosing deadline).

        Never raises.
        """
        return self._backend.ping()

    async def ping_async(self, timeout: float) -> bool:
        """True if the engine answers within ``timeout`` seconds; never raises.

        Runs on the calling event loop (Redis: with its own connection), so a
        health probe needs no worker thread and is not held up by operations
        stuck in them.
        """
        return await self._backend.ping_async(timeout)

    async def close_async(self) -> None:
        """Release the health-probe connection of ``ping_async`` (call on its event loop)."""
        await self._backend.close_async()

    def close(self) -> None:
        """Release the connections; the store must not be used afterwards."""
        self._backend.close()

    def __enter__(self) -> KVStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(self, name: str, ttl_seconds: float) -> Lock | None:
        """Take the lock ``name`` for at most ``ttl_seconds``; None if someone holds it.

        SET NX PX with a random token; ``Lock.release()`` deletes it only while
        the token still matches. Use it as ``with lock:`` to release on exit.
        """
        return take(self._backend, self._ns, name, ttl_seconds)

    def queue(self, name: str) -> Queue:
        """The durable queue ``name`` (see ``kvstore.queue``)."""
        return Queue(self._backend, self._ns, name)

    def run(
        self,
        fn: Callable[..., T],
        *,
        attempts: int | None = None,
        budget: float | None = None,
        fence: Lock | None = None,
    ) -> T:
        """Run ``fn(uow)`` as a unit of work and return its result; see ``kvstore.unit``.

        All its round trips, retries included, share one deadline (``timeout``
        seconds from now, or an enclosing earlier one). Retries on conflict for
        ``budget`` seconds (default ``retry_budget``), at most ``attempts`` times
        if given (``kvstore.retry``); with ``fence`` it commits only while that
        lock is still held.
        """
        with self.deadline():
            return run_unit(
                self._backend,
                self._ns,
                fn,
                gates=self._gates,
                budget=self.retry_budget if budget is None else budget,
                attempts=attempts,
                fence=fence,
                on_conflict=self._note_conflict,
            )

    def fenced(self, lock: Lock) -> FencedStore:
        """A view of this store whose units of work commit only while ``lock`` is held."""
        return FencedStore(self, lock)
