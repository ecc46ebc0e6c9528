"""Atomic operations: what a :class:`Script` is, and the one every layer shares.

A store operation that must read and write in one indivisible step is a
``Script``: its Lua source, run inside Redis as one round trip (EVALSHA), and
the same steps written in Python (``local``) for engines without Lua — SQLite
runs them inside one ``BEGIN IMMEDIATE`` transaction (``kvstore.sqlite_backend``)
over a :class:`Data` view of its tables. The two are kept side by side and
line for line, and the contract tests run every script on every engine.

Each layer owns its scripts and keeps them beside the code that builds their
KEYS/ARGV: ``kvstore.unit`` (the commit, the follow read), ``kvstore.lock``
(extending a lease), ``kvstore.queue`` (popping under a lease, and the lanes'
scripts in ``kvstore.lanes``) and ``kvstore.store`` (compare-and-set). Only
:data:`COMPARE_AND_DELETE`, which the store's KV API and lock release both use,
lives here.

Every script's comment gives its KEYS/ARGV layout and its reply. Keys arrive
already namespaced (``kvstore.keys``); ARGV reaches ``local`` as bytes (an int
argument as its decimal digits, as Redis sees it), and ``local`` replies as
redis-py would: ints, bytes, None for nil, lists of those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Script", "Data", "COMPARE_AND_DELETE"]


class Data(Protocol):
    """The Redis commands a script's ``local`` steps may use, on one engine's transaction.

    Keys are full keys; an expired key is absent to every method.
    """

    def get(self, key: str) -> bytes | None:
        """GET: the string at ``key``, or None."""
        ...

    def set(self, key: str, value: bytes, px: int = 0) -> None:
        """SET (``px`` > 0: PX, expire in that many milliseconds; 0 also drops an old expiry)."""
        ...

    def delete(self, key: str) -> int:
        """DEL: 1 if ``key`` existed, else 0."""
        ...

    def exists(self, key: str) -> bool:
        """EXISTS."""
        ...

    def pexpire(self, key: str, ms: int) -> bool:
        """PEXPIRE: whether ``key`` existed."""
        ...

    def rpush(self, key: str, value: bytes) -> int:
        """RPUSH one value; the new length."""
        ...

    def lindex(self, key: str, index: int) -> bytes | None:
        """LINDEX for ``index`` >= 0."""
        ...

    def lpop(self, key: str) -> bytes | None:
        """LPOP one value."""
        ...

    def lrange(self, key: str, start: int, stop: int) -> list[bytes]:
        """LRANGE for 0 <= ``start``, ``stop`` inclusive (-1: to the end)."""
        ...

    def llen(self, key: str) -> int:
        """LLEN."""
        ...

    def lpos(self, key: str, value: bytes) -> int | None:
        """LPOS: the index of the first ``value`` in the list, or None."""
        ...

    def lrem(self, key: str, value: bytes) -> int:
        """LREM key 1 value: remove the first ``value``; how many were removed (0 or 1)."""
        ...

    def ltrim(self, key: str, start: int, stop: int) -> None:
        """LTRIM for 0 <= ``start`` and ``stop`` -1 (keep from ``start`` to the end)."""
        ...

    def hget(self, key: str, field: bytes) -> bytes | None:
        """HGET."""
        ...

    def hset(self, key: str, field: bytes, value: bytes) -> None:
        """HSET one field."""
        ...

    def hdel(self, key: str, field: bytes) -> int:
        """HDEL one field: 1 if it was there."""
        ...


#: ``local(data, keys, args)``: a script's steps in Python (see the module docstring).
Local = Callable[[Data, list[str], list[bytes]], Any]


@dataclass(frozen=True, eq=False)
class Script:
    """One atomic operation: ``lua`` for Redis, ``local`` for engines without Lua.

    ``writes`` False marks a script that only reads (SQLite then runs it in a
    read transaction, which never waits for writers).
    """

    name: str
    lua: str
    local: Local
    writes: bool = True


# KEYS[1] = key
# ARGV[1] = expected current value
# Returns 1 if the value matched and the key was deleted, else 0.
# Also releases locks: ARGV[1] is then the holder's random token, so a holder
# whose lease ran out can never delete a lock someone else now holds.
_COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _compare_and_delete(data: Data, keys: list[str], args: list[bytes]) -> int:
    if data.get(keys[0]) == args[0]:
        return data.delete(keys[0])
    return 0


COMPARE_AND_DELETE = Script("compare_and_delete", _COMPARE_AND_DELETE, _compare_and_delete)
