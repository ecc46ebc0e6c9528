"""A bounded cache: least recently used entries go first, and every entry expires.

Each operation is O(1): an ``OrderedDict`` keeps the entries from least to most
recently used, so a hit moves one entry to the end and an insert over the bound
drops one from the front. Entries expire ``ttl`` seconds after they were
stored (a hit does not extend them: the cached data is only as fresh as its
fetch); an expired entry is dropped when it is looked up, and expired entries
at the front are dropped on insert, so the cache also shrinks as time passes.
``len(cache)`` never exceeds ``max_entries``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TTLCache"]

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """An LRU cache of at most ``max_entries`` entries, each valid for ``ttl`` seconds.

    Thread-safe. ``evictions`` counts entries dropped to stay within the bound
    (for tests and operators).
    """

    def __init__(
        self,
        max_entries: int,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries!r}")
        self.max_entries = max_entries
        self.ttl = ttl
        self.evictions = 0
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (expiry instant, value), least recently used first
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value stored for ``key`` if it has not expired (it becomes the most recent)."""
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is None:
                return None
            if hit[0] <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return hit[1]

    def put(self, key: K, value: V) -> None:
        """Store ``value`` for ``key``, dropping expired and least recently used entries."""
        now = self._clock()
        with self._lock:
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            entries = self._entries
            # Amortised O(1): each entry is dropped at most once.
            while entries:
                oldest = next(iter(entries.values()))
                if oldest[0] > now and len(entries) <= self.max_entries:
                    break
                if oldest[0] > now:
                    self.evictions += 1
                entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
