"""What the service needs from the outside world: a store, a user directory and a poster.

The store is a ``kvstore.KVStore`` (the CLI and the shim open one); the
command-line program provides local directory and poster implementations
(``lotto.local``), the shim Mattermost-backed ones. All are plain protocols
describing only what ``lotto`` uses, so the service never imports a Redis
client or an HTTP client, and tests can pass any object of the same shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from kvstore import Follow

if TYPE_CHECKING:  # pragma: no cover
    import kvstore

__all__ = ["Profile", "Directory", "Poster", "Store", "UnitOfWork", "Queue", "Lease", "Links"]

T = TypeVar("T")


class UnitOfWork(Protocol):
    """One attempt of a unit of work (``kvstore.UnitOfWork``): cached reads, buffered writes.

    Writes are buffered and committed together after the unit's function
    returns, and only if nothing it read changed meanwhile.
    """

    @property
    def round_trips(self) -> int:
        """Round trips to the store this attempt has spent so far."""
        ...

    def get_many(
        self, keys: Iterable[str], *, follow: Follow | None = None
    ) -> dict[str, bytes | None]:
        """Values of ``keys`` (None when absent) in ONE round trip; with ``follow`` the list
        key it names and the records that list points at come in that same round trip."""
        ...

    def set(self, key: str, value: bytes | None) -> None:
        """Buffer a write of ``value`` to ``key`` (None deletes)."""
        ...

    def delete(self, key: str) -> None:
        """Buffer the deletion of ``key``."""
        ...

    def enqueue(self, queue: str, value: bytes) -> None:
        """Buffer appending ``value`` to the durable queue ``queue`` (same commit)."""
        ...


class Lease(Protocol):
    """A held lease on a queue (``kvstore.Lock``)."""

    def extend(self, ttl_seconds: float) -> bool:
        """Renew the lease; False if it was lost."""
        ...

    def release(self) -> bool:
        """Give the lease up."""
        ...

    def __enter__(self) -> Lease: ...

    def __exit__(self, *exc: object) -> None: ...


class Queue(Protocol):
    """A durable queue with lanes (``kvstore.Queue``): the outbox and its dead letters."""

    def length(self) -> int:
        """How many entries wait (in the intake and every lane)."""
        ...

    def push(self, value: bytes) -> None:
        """Append one entry to the intake."""
        ...

    def peek(self, count: int = 1) -> list[bytes]:
        """The next ``count`` entries: the lanes' in fair turns, then the intake's."""
        ...

    def heads(self) -> list[bytes]:
        """The first entry of the intake and of each lane (each the oldest of its list)."""
        ...

    def lease(self, ttl_seconds: float) -> Lease | None:
        """Take the queue's lease (one consumer at a time); None while someone holds it."""
        ...

    def pop_head(self, lease: Any, entry: bytes, *, move_to: Any = None) -> bool:
        """Remove ``entry`` if it is the intake's first and ``lease`` still holds."""
        ...

    def unrouted(self, count: int) -> list[bytes]:
        """The intake's first ``count`` entries (not yet in a lane)."""
        ...

    def route(self, lease: Any, lanes: Sequence[str]) -> int | None:
        """Move the intake's first entries to the end of ``lanes`` (one each); None: lease lost."""
        ...

    def peek_fair(self, count: int) -> tuple[list[tuple[str, bytes]], int]:
        """Up to ``count`` ``(lane, entry)`` in fair turns, and the intake's length."""
        ...

    def note_attempts(
        self, lease: Any, tags: Sequence[str], now_ms: int, ttl_seconds: float
    ) -> dict[str, int] | None:
        """When each tag tried before was first tried (renews the lease); None: lease lost."""
        ...

    def pop_fair(
        self,
        lease: Any,
        lanes: Sequence[str],
        handled: Sequence[tuple[str, bytes, str, bool]],
        ttl_seconds: float,
        *,
        move_to: Any = None,
    ) -> bool:
        """Remove a batch's handled entries (moving some), rotate its lanes, renew the lease."""
        ...


class Store(Protocol):
    """The key-value store the service runs its units of work on (``kvstore.KVStore``)."""

    def run(self, fn: Callable[[UnitOfWork], T], *, attempts: int = ...) -> T:
        """Run ``fn(uow)`` as one unit of work, re-running it on a conflict; its result.

        Raises ``kvstore.CommitConflictError`` when the reads kept changing at every
        attempt, ``kvstore.BackendError`` when the store fails, and
        ``kvstore.InvalidKeyError`` for a malformed key; ``lotto.service.common.run``
        turns each into a :class:`lotto.errors.LottoError`.
        """
        ...

    def queue(self, name: str) -> Queue:
        """The durable queue ``name``."""
        ...

    def deadline(self, at: float | None = None) -> contextlib.AbstractContextManager[float]:
        """Every round trip inside must be answered by ``at`` (a ``time.monotonic()``
        instant; an enclosing earlier deadline still wins)."""
        ...


if TYPE_CHECKING:  # pragma: no cover

    def _kvstore_fits(kv: kvstore.KVStore, uow: kvstore.UnitOfWork) -> tuple[Store, UnitOfWork]:
        """Never called: makes the type checker prove kvstore's classes fit these protocols."""
        return kv, uow


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """A user's profile as the chat system knows it (never stored by us)."""

    user_id: str
    username: str
    display_name: str = ""
    time_zone: str = "UTC"  # IANA name; "" is treated as UTC
    is_admin: bool = False


class Directory(Protocol):
    """Resolves users between ids and usernames, with their zone and admin flag."""

    def by_id(self, user_id: str) -> Profile | None:
        """The profile of ``user_id``, or None if there is no such user."""
        ...

    def by_username(self, username: str) -> Profile | None:
        """The profile of ``username`` (without ``@``), or None if unknown."""
        ...

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Profiles of many users at once (unknown ids are left out)."""
        ...

    def by_usernames(self, usernames: list[str]) -> dict[str, Profile]:
        """Profiles of many usernames (without ``@``) at once, keyed by the name as given;
        unknown names are left out."""
        ...


class Poster(Protocol):
    """Sends direct messages to users and posts to channels (the CLI prints them)."""

    def dm(self, user_id: str, message: str) -> None:
        """Send ``message`` (Markdown) as a direct message to ``user_id``."""
        ...

    def post(self, channel_id: str, channel_name: str, message: str) -> None:
        """Post ``message`` (Markdown) in ``channel_id``, which people know as ``~channel_name``."""
        ...


class Channel(msgspec.Struct, frozen=True, kw_only=True):
    """A chat channel the bot can post in: its id and its name (``~name``) in its team."""

    channel_id: str
    name: str


class Channels(Protocol):
    """Finds the channel a user names, in the team the command came from."""

    def find(self, team_id: str, ref: str) -> Channel:
        """The channel ``ref`` names (``~name``, ``name`` or a channel id) in ``team_id``.

        Raises :class:`lotto.errors.NotFoundError` when there is no such channel, and
        :class:`lotto.errors.AccessError` when the bot is not a member of it (it could
        not post there), each saying what to do.
        """
        ...


class Links(Protocol):
    """Signed links a server publishes (the shim, which alone holds the secret to sign them).

    Each returns an absolute URL, or None when the server has no such link to offer.
    """

    def feed(self, rotation_id: str, user_id: str, holder_id: str) -> str | None:
        """The calendar feed of ``rotation_id`` (``user_id`` empty: every shift), for
        ``holder_id``: it works until it expires or the holder leaves the rotation."""
        ...

    def page(self, rotation_id: str, holder_id: str) -> str | None:
        """The web page of ``rotation_id`` for ``holder_id`` (same lifetime rules as feeds)."""
        ...

    def chart(self, kind: str, rotation_id: str, params: dict[str, str]) -> str | None:
        """A chart image (``kind`` ``stats`` or ``forecast``) of a reply, with the reply's
        parameters (``at``: its time, unix seconds; and the command's own options)."""
        ...
