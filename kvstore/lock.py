"""A lease-style lock: SET NX PX with a random token, fenced commits.

A lease can run out while its holder still works (a slow run, a paused
process). Fencing makes that harmless: ``store.fenced(lock).run(fn)`` (or
``store.run(fn, fence=lock)``) commits only if the lock key still holds this
holder's token, checked inside the same script that validates the unit's
reads (``kvstore.unit``: the lock key is simply one more read, expected to
hold the token). A holder whose lease expired, or was taken by someone else,
therefore can not write anything afterwards: its commit raises
``FenceError``. No clocks are compared, only the token in the store.

Release is compare-and-delete on the token (``scripts.COMPARE_AND_DELETE``)
and renewal is :data:`LEASE_EXTEND`, so a holder whose lease ran out never
removes or renews a lock that another process has taken since.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from .backend import Backend
from .errors import InvalidArgumentError
from .keys import Namespace, check_key
from .scripts import COMPARE_AND_DELETE, Data, Script

__all__ = ["Lock", "FencedStore", "take", "LEASE_EXTEND"]

T = TypeVar("T")

# Extend a lease (a lock key) while the caller still holds it.
# KEYS[1] = the lease key
# ARGV[1] = the holder's token, ARGV[2] = the new lifetime in milliseconds
# Returns 1 when extended, 0 when the lease is gone or held by someone else.
_LEASE_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""


def _lease_extend(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[0]) == args[0]:
        data.pexpire(keys[0], int(args[1]))
        return 1
    return 0


LEASE_EXTEND = Script("lease_extend", _LEASE_EXTEND, _lease_extend)


def _lease_ms(ttl_seconds: object) -> int:
    if (
        isinstance(ttl_seconds, bool)
        or not isinstance(ttl_seconds, (int, float))
        or ttl_seconds <= 0
    ):
        raise InvalidArgumentError(
            f"lock ttl must be a number of seconds > 0, got {ttl_seconds!r}",
            ttl_seconds=ttl_seconds,
        )
    return max(1, int(ttl_seconds * 1000))


def take(backend: Backend, namespace: Namespace, name: str, ttl_seconds: float) -> Lock | None:
    """Take the lock ``name`` for ``ttl_seconds`` (SET NX PX, a random token); None if held."""
    check_key(name)
    px = _lease_ms(ttl_seconds)
    full = namespace.lock(name)
    token = secrets.token_hex(16).encode()
    if backend.set(full, token, nx=True, px=px, op="lock", subject=name):
        return Lock(backend, name, full, token)
    return None


class Lock:
    """A held lock; obtain one with ``KVStore.lock(name, ttl_seconds)``.

    The lock expires by itself after its ttl, so a crashed holder cannot block
    others forever; work that may outlast the ttl must not rely on it.
    """

    def __init__(self, backend: Backend, name: str, full_key: str, token: bytes) -> None:
        self._backend = backend
        self.name = name
        #: The lock's key in the store (``<plugin id>/lock:<name>``).
        self.full_key = full_key
        #: This holder's random token: the lock key holds it while the lock is ours.
        self.token = token
        self._released = False

    def release(self) -> bool:
        """Release the lock; False if it had already expired or been released.

        Compare-and-delete on the token, so a holder whose lease ran out never
        removes a lock that another process has taken since.
        """
        if self._released:
            return False
        self._released = True
        keys, args = [self.full_key], [self.token]
        return bool(
            self._backend.eval(COMPARE_AND_DELETE, keys, args, op="unlock", subject=self.name)
        )

    def extend(self, ttl_seconds: float) -> bool:
        """Renew the lease for ``ttl_seconds`` from now; False if it was lost meanwhile.

        A holder doing long work renews before each step and stops when this
        fails: someone else may hold the lock by then.
        """
        if self._released:
            return False
        args: list[bytes | int | str] = [self.token, max(1, int(ttl_seconds * 1000))]
        return bool(
            self._backend.eval(
                LEASE_EXTEND, [self.full_key], args, op="lock_extend", subject=self.name
            )
        )

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "released" if self._released else "held"
        return f"Lock({self.name!r}, {state})"


class FencedStore:
    """A store whose units of work commit only while ``lock`` is held (see module docstring).

    Everything but ``run`` is the underlying store's: a ``KVStore``, or anything
    whose ``run`` takes ``fence=`` like it (a test's wrapper of one).
    """

    def __init__(self, store: Any, lock: Lock) -> None:
        self.store = store
        self.lock = lock

    def run(self, fn: Callable[..., T], **options: Any) -> T:
        """``store.run(fn, fence=lock, ...)``."""
        return self.store.run(fn, fence=self.lock, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)
