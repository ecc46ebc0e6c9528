"""A lease-style lock in Redis: SET NX PX with a random token, fenced commits.

A lease can run out while its holder still works (a slow run, a paused
process). Fencing makes that harmless: ``store.fenced(lock).run(fn)`` (or
``store.run(fn, fence=lock)``) commits only if the lock key still holds this
holder's token, checked inside the same Lua script that validates the unit's
reads (``scripts.COMMIT``: the lock key is simply one more read, expected to
hold the token). A holder whose lease expired, or was taken by someone else,
therefore can not write anything afterwards: its commit raises
``FenceError``. No clocks are compared, only the token in Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .store import KVStore

__all__ = ["Lock", "FencedStore"]

T = TypeVar("T")


class Lock:
    """A held lock; obtain one with ``KVStore.lock(name, ttl_seconds)``.

    The lock expires by itself after its ttl, so a crashed holder cannot block
    others forever; work that may outlast the ttl must not rely on it.
    """

    def __init__(self, store: KVStore, name: str, full_key: str, token: bytes) -> None:
        self._store = store
        self.name = name
        self.full_key = full_key
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
        return self._store.release_lock(self.name, self.token)

    def extend(self, ttl_seconds: float) -> bool:
        """Renew the lease for ``ttl_seconds`` from now; False if it was lost meanwhile.

        A holder doing long work renews before each step and stops when this
        fails: someone else may hold the lock by then.
        """
        if self._released:
            return False
        return self._store.extend_lock(self.name, self.token, ttl_seconds)

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
