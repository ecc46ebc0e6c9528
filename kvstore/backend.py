"""The narrow protocol between kvstore's layers and a storage engine.

``lock``, ``queue``, ``unit`` and ``store`` reach an engine only through a
:class:`Backend`: a handful of Redis-shaped commands on full keys
(``kvstore.keys``) plus :meth:`Backend.eval` of a :class:`kvstore.scripts.Script`.
Two engines implement it: ``kvstore.redis_backend`` (a real Redis, or an
in-process fakeredis server for ``memory://``) and ``kvstore.sqlite_backend``
(one SQLite file). ``kvstore.backends`` picks one from a URL.

Every method is one round trip, counted in :attr:`Backend.round_trips`, and
ends by the deadline in force (``kvstore.deadline``) or raises a
``kvstore.errors.BackendError`` naming ``op`` and ``subject`` (the KV key or
the lock/queue name the caller works on, for messages). An expired key is
never returned, listed or matched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from .scripts import Script

__all__ = ["Backend"]


class Backend(Protocol):
    """A storage engine as kvstore's layers use it (see the module docstring)."""

    @property
    def url(self) -> str:
        """The engine's URL, password masked (for messages)."""
        ...

    @property
    def engine(self) -> str:
        """``"Redis"`` or ``"SQLite"`` (for messages)."""
        ...

    @property
    def round_trips(self) -> int:
        """Round trips made so far (all threads)."""
        ...

    @property
    def digest_reads(self) -> bool:
        """Whether a commit should name the values it read by digest rather than send them.

        True where those values would cross a network and the engine can hash
        them (Redis's ``redis.sha1hex``); False in process (fakeredis, SQLite).
        """
        ...

    def get(self, key: str, *, op: str = "get", subject: str | None = None) -> bytes | None:
        """GET."""
        ...

    def mget(
        self, keys: Sequence[str], *, op: str = "get_many", subject: str | None = None
    ) -> list[bytes | None]:
        """MGET: the values of ``keys`` in order, read at one moment (``keys`` not empty)."""
        ...

    def set(
        self,
        key: str,
        value: bytes,
        *,
        px: int = 0,
        nx: bool = False,
        op: str = "set",
        subject: str | None = None,
    ) -> bool:
        """SET [PX px] [NX]; whether it wrote (False only with ``nx`` on a present key).

        Without ``px`` an earlier expiry is dropped, as a plain SET does.
        """
        ...

    def delete(self, keys: Sequence[str], *, op: str = "delete", subject: str | None = None) -> int:
        """DEL ``keys`` (not empty); how many existed."""
        ...

    def scan(self, prefix: str, *, op: str = "scan") -> list[str]:
        """Every live key starting with ``prefix``, in no particular order, each once.

        May take several round trips on a big keyspace (SCAN batches, never KEYS).
        """
        ...

    def rpush(self, key: str, value: bytes, *, op: str, subject: str | None = None) -> int:
        """RPUSH one value; the list's new length."""
        ...

    def llen(self, key: str, *, op: str, subject: str | None = None) -> int:
        """LLEN."""
        ...

    def lrange(
        self, key: str, start: int, stop: int, *, op: str, subject: str | None = None
    ) -> list[bytes]:
        """LRANGE ``start`` .. ``stop`` (inclusive; -1 is the last)."""
        ...

    def eval(
        self,
        script: Script,
        keys: Sequence[str],
        args: Sequence[bytes | int | str],
        *,
        op: str,
        subject: str | None = None,
    ) -> Any:
        """Run ``script`` atomically with ``keys`` and ``args``; its reply."""
        ...

    def ping(self) -> bool:
        """True if the engine answers by the deadline; never raises."""
        ...

    async def ping_async(self, timeout: float) -> bool:
        """True if the engine answers within ``timeout`` seconds, without blocking the loop."""
        ...

    async def close_async(self) -> None:
        """Release what :meth:`ping_async` opened (call on its event loop)."""
        ...

    def close(self) -> None:
        """Release connections and files; the backend must not be used afterwards."""
        ...
