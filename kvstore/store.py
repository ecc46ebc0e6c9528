"""The Mattermost plugin KV API over Redis, namespaced by plugin id.

Key scheme (what ``redis-cli --scan`` shows)::

    <plugin id>:<key>              a KV key, e.g. com.mattermost.solar-lottery:rotation:SET
    <plugin id>/lock:<name>        a lock taken with KVStore.lock
    <plugin id>/commit:<token>     a unit-of-work commit marker (lives two minutes)
    <plugin id>/queue:<name>       a durable queue (a Redis list), see kvstore.queue

Plugin ids may only contain letters, digits, ``.``, ``-`` and ``_`` (as in
Mattermost), so ``:`` and ``/`` after the id cannot be part of another
plugin's id: two plugins on one Redis never see each other's keys, and locks
and markers never show up in ``list_keys``.

Round trips: every public method costs one Redis round trip, except
``list_keys`` and ``delete_all`` (one per SCAN batch of up to 1000 keys, plus
one DEL per 500 keys for ``delete_all``). ``round_trips`` counts them all.

Waits are bounded: every round trip must be answered by a deadline — the
enclosing ``with store.deadline(at):`` if there is one, else ``timeout``
seconds (default 5; the ``timeout`` URL option or argument of ``open``) from
the start of the call, or of the whole unit of work for ``run``. A Redis that
does not answer in time gives ``NoAnswerError`` (nothing was written) or, for
a write that was sent, ``OutcomeUnknownError``. A dropped connection is retried
a few times, never past the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

import redis

from . import backends, scripts
from .deadline import Scope, round_trip, scoped
from .errors import (
    BackendError,
    FenceError,
    InvalidArgumentError,
    InvalidKeyError,
    KeyTooLongError,
)
from .lock import FencedStore, Lock

if TYPE_CHECKING:
    from .queue import Queue

__all__ = ["KVStore", "open", "MAX_KEY_LENGTH"]

#: Mattermost refuses keys longer than this many characters.
MAX_KEY_LENGTH = 150

_PLUGIN_ID = re.compile(r"[A-Za-z0-9._-]{1,190}")
_SCAN_BATCH = 1000
_DELETE_BATCH = 500
# Long enough to outlive the store resending a commit after a lost reply.
COMMIT_MARKER_TTL_MS = 120_000
# The client never decodes replies (no decode_responses), so values come back as
# bytes; redis-py's annotations also allow str, hence the casts on reads below.
_Value: TypeAlias = bytes | None

T = TypeVar("T")


# Shadows the builtin on purpose: ``kvstore.open`` is the documented entry point.
def open(
    url: str,
    plugin_id: str,
    *,
    timeout: float | None = None,
    retry_budget: float | None = None,
) -> KVStore:
    """Open the KV store at ``url`` for ``plugin_id``.

    ``url`` is redis://, rediss://, unix:// or memory://NAME (see ``kvstore.backends``).
    ``timeout`` (seconds) bounds each operation's wait for Redis; it wins over the
    URL's ``timeout`` option, which wins over the default of 5 seconds.
    ``retry_budget`` (seconds) is how long a unit of work retries on conflict
    (default ``kvstore.unit.DEFAULT_RETRY_BUDGET``; see ``kvstore.unit``).
    """
    if not isinstance(plugin_id, str) or not _PLUGIN_ID.fullmatch(plugin_id):
        raise InvalidArgumentError(
            f"invalid plugin id {plugin_id!r}: use 1-190 letters, digits, '.', '-' or '_'",
            plugin_id=plugin_id,
        )
    _, options = backends.split_options(url)
    seconds = options.get("timeout", backends.DEFAULT_TIMEOUT) if timeout is None else timeout
    store = KVStore(
        backends.connect(url),
        plugin_id,
        url=backends.redact(url),
        timeout=seconds,
        async_client=lambda: backends.connect_async(url),
    )
    if retry_budget is not None:
        store.retry_budget = retry_budget
    return store


def check_key(key: object) -> str:
    """Return ``key`` if it is a valid KV key, else raise InvalidKeyError/KeyTooLongError."""
    if not isinstance(key, str):
        raise InvalidKeyError(f"KV key must be a string, got {type(key).__name__}", key=key)
    if not key:
        raise InvalidKeyError("KV key must not be empty", key=key)
    if len(key) > MAX_KEY_LENGTH:
        raise KeyTooLongError(
            f"KV key is {len(key)} characters long; the limit is {MAX_KEY_LENGTH}: {key[:40]!r}…",
            key=key,
            length=len(key),
            limit=MAX_KEY_LENGTH,
        )
    return key


def as_bytes(value: object) -> bytes:
    """Return ``value`` as bytes; only bytes-like values can be stored."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"KV values must be bytes, got {type(value).__name__}")


def _expiry_ms(seconds: object) -> int:
    # Mattermost treats 0 as "never expires"; a negative expiry is a caller bug.
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise InvalidArgumentError(
            f"expiry must be a number of seconds >= 0, got {seconds!r}", expire_in_seconds=seconds
        )
    return max(1, int(seconds * 1000)) if seconds > 0 else 0


def _glob_escape(text: str) -> str:
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


class KVStore:
    """A plugin's view of the KV store; thread-safe, one per process is enough."""

    def __init__(
        self,
        client: redis.Redis,
        plugin_id: str,
        *,
        url: str = "",
        timeout: float = backends.DEFAULT_TIMEOUT,
        async_client: Callable[[], Any] | None = None,
    ) -> None:
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 < timeout < math.inf
        ):
            raise InvalidArgumentError(
                f"timeout must be a number of seconds > 0, got {timeout!r}", timeout=timeout
            )
        self._timeout = float(timeout)
        self._async_factory = async_client
        self._async: tuple[asyncio.AbstractEventLoop, Any] | None = None
        self._client = client
        self._plugin_id = plugin_id
        self._url = url
        self._prefix = plugin_id + ":"
        self._counter_lock = threading.Lock()
        self._round_trips = 0
        self._conflicts = 0
        from .unit import DEFAULT_RETRY_BUDGET, Gates

        #: Seconds a unit of work keeps retrying on conflict (see ``kvstore.unit``);
        #: keep it below ``timeout``, which bounds the whole unit of work.
        self.retry_budget: float = DEFAULT_RETRY_BUDGET
        #: In-process queues of the units that collided on a key (see ``kvstore.unit``).
        self.gates = Gates()
        self._cas = client.register_script(scripts.COMPARE_AND_SET)
        self._cad = client.register_script(scripts.COMPARE_AND_DELETE)
        self._commit_script = client.register_script(scripts.COMMIT)
        self._read_follow = client.register_script(scripts.READ_FOLLOW)
        self._extend = client.register_script(scripts.LEASE_EXTEND)

    # -- introspection ---------------------------------------------------

    @property
    def plugin_id(self) -> str:
        """The plugin id this store is namespaced by."""
        return self._plugin_id

    @property
    def timeout(self) -> float:
        """Seconds an operation (a call, or a whole ``run``) may wait for Redis by default."""
        return self._timeout

    @property
    def round_trips(self) -> int:
        """Redis round trips made through this store so far (all threads)."""
        return self._round_trips

    @property
    def redis(self) -> redis.Redis:
        """The underlying redis-py client (for tests and operators; not for the domain)."""
        return self._client

    @property
    def conflicts(self) -> int:
        """Unit-of-work attempts thrown away because a read changed (all threads)."""
        return self._conflicts

    def full_key(self, key: str) -> str:
        """The namespaced Redis key for ``key``, as ``redis-cli`` shows it."""
        return self._prefix + check_key(key)

    def __repr__(self) -> str:
        return f"KVStore({self._url!r}, plugin_id={self._plugin_id!r})"

    # -- plumbing (private: helpers in other modules use the public primitives below)

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

    def _call(self, op: str, key: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Make one Redis round trip by the deadline, counting it; see ``deadline.round_trip``."""
        with self._counter_lock:
            self._round_trips += 1
        return round_trip(op, key, fn, args, kwargs, timeout=self._timeout, url=self._url)

    def note_conflict(self) -> None:
        """Count one unit-of-work attempt thrown away on a conflict (see ``conflicts``)."""
        with self._counter_lock:
            self._conflicts += 1

    def queue_key(self, name: str) -> str:
        """The Redis key of the durable queue ``name`` (a list; see ``kvstore.queue``)."""
        return self._special_key("queue", check_key(name))

    def _special_key(self, kind: str, name: str) -> str:
        return f"{self._plugin_id}/{kind}:{name}"

    # -- the Mattermost KV API -------------------------------------------

    def get(self, key: str) -> bytes | None:
        """The value of ``key``, or None if it is absent or expired (KVGet)."""
        return cast(_Value, self._call("get", key, self._client.get, self.full_key(key)))

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        """Values of several keys in one MGET round trip (none if ``keys`` is empty)."""
        wanted = list(dict.fromkeys(keys))
        full = [self.full_key(k) for k in wanted]
        if not full:
            return {}
        values = cast(list[_Value], self._call("get_many", None, self._client.mget, full))
        return dict(zip(wanted, values, strict=True))

    def set(self, key: str, value: bytes | None) -> None:
        """Store ``value`` under ``key`` without expiry; None deletes the key (KVSet)."""
        if value is None:
            self.delete(key)
            return
        self._call("set", key, self._client.set, self.full_key(key), as_bytes(value))

    def set_with_expiry(self, key: str, value: bytes | None, seconds: int) -> None:
        """Store ``value`` for ``seconds`` (0 = forever); None deletes (KVSetWithExpiry)."""
        px = _expiry_ms(seconds)
        if value is None:
            self.delete(key)
            return
        full, data = self.full_key(key), as_bytes(value)
        self._call("set_with_expiry", key, self._client.set, full, data, px=px or None)

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
            self._call("compare_and_delete", key, self._cad, keys=[full], args=[as_bytes(old)])
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
                self._call("set", key, self._client.set, full, as_bytes(value), px=px or None)
            return True
        if value is None:
            return self.compare_and_delete(key, old_value)  # type: ignore[arg-type]
        data = as_bytes(value)
        if old_value is None:
            return bool(
                self._call(
                    "compare_and_set", key, self._client.set, full, data, nx=True, px=px or None
                )
            )
        return bool(
            self._call(
                "compare_and_set", key, self._cas, keys=[full], args=[as_bytes(old_value), data, px]
            )
        )

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine (KVDelete)."""
        self._call("delete", key, self._client.delete, self.full_key(key))

    def delete_all(self) -> None:
        """Remove every key of this plugin and no other (KVDeleteAll).

        Not atomic: keys written while it runs may survive.
        """
        names = self._scan_full_keys()
        for start in range(0, len(names), _DELETE_BATCH):
            self._call(
                "delete_all", None, self._client.delete, *names[start : start + _DELETE_BATCH]
            )

    def list_keys(self, page: int, per_page: int) -> list[str]:
        """This plugin's keys, sorted, ``per_page`` at a time from page 0 (KVList).

        Expired keys are never listed: Redis drops them from SCAN replies.
        """
        if isinstance(page, bool) or not isinstance(page, int) or page < 0:
            raise InvalidArgumentError(f"page must be an integer >= 0, got {page!r}", page=page)
        if isinstance(per_page, bool) or not isinstance(per_page, int) or per_page < 1:
            raise InvalidArgumentError(
                f"per_page must be an integer >= 1, got {per_page!r}", per_page=per_page
            )
        cut = len(self._prefix)
        keys = sorted(name[cut:].decode("utf-8", "replace") for name in self._scan_full_keys())
        return keys[page * per_page : (page + 1) * per_page]

    def _scan_full_keys(self) -> list[bytes]:
        # SCAN, never KEYS: it does not block Redis on a big keyspace. A key can
        # come back twice across batches, hence the set.
        pattern = _glob_escape(self._prefix) + "*"
        found: set[bytes] = set()
        cursor = 0
        while True:
            cursor, batch = self._call(
                "scan", None, self._client.scan, cursor, match=pattern, count=_SCAN_BATCH
            )
            found.update(cast(list[bytes], batch))
            if int(cursor) == 0:
                return list(found)

    # -- beyond the Mattermost API ----------------------------------------

    def ping(self) -> bool:
        """True if Redis answers within ``timeout`` (or the enclosing deadline); never raises."""
        try:
            return bool(self._call("ping", None, self._client.ping))
        except BackendError:
            return False

    async def ping_async(self, timeout: float) -> bool:
        """True if Redis answers a PING within ``timeout`` seconds; never raises.

        Runs on the calling event loop with its own connection, so a health probe
        needs no worker thread and is not held up by operations stuck in them.
        """
        if self._async_factory is None:  # a store built around a bare client
            try:
                return await asyncio.wait_for(asyncio.to_thread(self.ping), timeout)
            except TimeoutError:
                return False
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, self._async_factory())
        try:
            return bool(await asyncio.wait_for(self._async[1].ping(), timeout))
        except (TimeoutError, redis.RedisError, OSError):
            return False

    async def close_async(self) -> None:
        """Release the health-probe connection of ``ping_async`` (call on its event loop)."""
        if self._async is not None:
            _, client = self._async
            self._async = None
            await client.aclose()

    def close(self) -> None:
        """Release the connections; the store must not be used afterwards."""
        self._client.close()

    def __enter__(self) -> KVStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lock(self, name: str, ttl_seconds: float) -> Lock | None:
        """Take the lock ``name`` for at most ``ttl_seconds``; None if someone holds it.

        SET NX PX with a random token; ``Lock.release()`` deletes it only while
        the token still matches. Use it as ``with lock:`` to release on exit.
        """
        check_key(name)
        if (
            isinstance(ttl_seconds, bool)
            or not isinstance(ttl_seconds, (int, float))
            or ttl_seconds <= 0
        ):
            raise InvalidArgumentError(
                f"lock ttl must be a number of seconds > 0, got {ttl_seconds!r}",
                ttl_seconds=ttl_seconds,
            )
        full = self._special_key("lock", name)
        token = secrets.token_hex(16).encode()
        px = max(1, int(ttl_seconds * 1000))
        if self._call("lock", name, self._client.set, full, token, nx=True, px=px):
            return Lock(self, name, full, token)
        return None

    def queue(self, name: str) -> Queue:
        """The durable queue ``name`` (see ``kvstore.queue``)."""
        from .queue import Queue

        return Queue(self, name)

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
        if given; with ``fence`` it commits only while that lock is still held.
        """
        from .unit import run_unit

        with self.deadline():
            return run_unit(self, fn, attempts=attempts, budget=budget, fence=fence)

    def fenced(self, lock: Lock) -> FencedStore:
        """A view of this store whose units of work commit only while ``lock`` is held."""
        return FencedStore(self, lock)

    # -- primitives of locks and units of work (one round trip each) -------

    def release_lock(self, name: str, token: bytes) -> bool:
        """Delete the lock ``name`` only while it holds ``token``; returns whether it did.

        ``Lock.release`` uses it: a holder whose lease ran out never removes a
        lock that another process has taken since (``scripts.COMPARE_AND_DELETE``).
        """
        full = self._special_key("lock", name)
        return bool(self._call("unlock", name, self._cad, keys=[full], args=[token]))

    def extend_lock(self, name: str, token: bytes, ttl_seconds: float) -> bool:
        """Renew the lock ``name`` for ``ttl_seconds`` while it still holds ``token``."""
        full = self._special_key("lock", name)
        px = max(1, int(ttl_seconds * 1000))
        return bool(self._call("lock_extend", name, self._extend, keys=[full], args=[token, px]))

    def round_trip(
        self, op: str, key: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        """One counted Redis round trip ``fn(*args, **kwargs)`` on :attr:`redis`, Redis errors
        turned into BackendError naming ``op`` and ``key`` (for kvstore's own helpers,
        e.g. ``kvstore.queue``, that need commands the KV API has no method for)."""
        return self._call(op, key, fn, *args, **kwargs)

    def read_follow(
        self,
        keys: Sequence[str],
        field: str,
        containing: str,
        prefixes: Sequence[str],
        ignore_case: bool = False,
    ) -> list[Any]:
        """Read ``keys`` and what the last of them (an index) names, as ``scripts.READ_FOLLOW``.

        The last key holds a JSON object whose ``field`` is an array of names;
        for each name containing ``containing`` (all when empty) the keys
        ``prefix + name`` are read too (``ignore_case``: ASCII letters match
        either case). Returns the script's flat reply: the
        values of ``keys``, then per name the name and one value per prefix.
        """
        args = [len(keys), field, containing, "1" if ignore_case else "0", self._prefix, *prefixes]
        full = [self.full_key(k) for k in keys]
        return cast(
            list[Any],
            self._call("get_many", keys[-1], self._read_follow, keys=full, args=args),
        )

    def commit_unit(
        self,
        reads: Sequence[tuple[str, _Value]],
        writes: Sequence[tuple[str, _Value]],
        queued: Sequence[tuple[str, bytes]] = (),
        *,
        fence: Lock | None = None,
    ) -> int:
        """Apply ``writes`` only if every key of ``reads`` still holds the value read.

        A value None means absent (for a read) or delete (for a write); ``queued``
        are ``(full queue key, entry)`` appends (``kvstore.queue``), applied with
        the writes. Atomic and safe to resend (``scripts.COMMIT``, with a marker
        that lives ``COMMIT_MARKER_TTL_MS``). Returns 0 when applied, else the
        1-based index in ``reads`` of the first key that changed (then nothing
        was written). With ``fence`` the lock's key is validated first, as one
        more read that must still hold the lock's token; FenceError (nothing
        written) if not.
        """
        marker = self._special_key("commit", f"{time.time_ns():x}-{random.getrandbits(64):016x}")
        fenced = [] if fence is None else [fence.full_key]
        keys = fenced + [self.full_key(k) for k, _ in reads] + [self.full_key(k) for k, _ in writes]
        keys += [full for full, _ in queued]
        args: list[bytes | int] = [len(fenced) + len(reads), COMMIT_MARKER_TTL_MS]
        if fence is not None:
            args += [b"1", fence.token]
        for _, value in reads:
            args += [b"0", b""] if value is None else [b"1", value]
        for _, value in writes:
            args += [b"D", b""] if value is None else [b"S", value]
        for _, entry in queued:
            args += [b"Q", entry]
        changed = int(
            self._call("commit", None, self._commit_script, keys=[*keys, marker], args=args)
        )
        if fence is None or changed == 0:
            return changed
        if changed == 1:
            raise FenceError(
                f"the lock {fence.name!r} expired or was taken over before this unit of work "
                "could commit; nothing was written",
                lock=fence.name,
            )
        return changed - 1
