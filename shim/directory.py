"""Mattermost-backed implementations of ``lotto.ports.Directory`` and ``Poster``.

The directory turns Mattermost user objects into ``Profile``s (display name,
IANA time zone, plugin-admin flag) and keeps them briefly in a bounded LRU
cache with a TTL (``shim.cache``, O(1) per lookup and insert): a command
resolves the same users several times, and profiles rarely change.
The poster sends direct messages from the bot; a failure is logged, never
raised, so a lost DM never fails a command that already committed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lotto.errors import LottoError
from lotto.ports import Profile
from shim.cache import TTLCache
from shim.errors import MattermostError, MattermostTimeout, ShimError
from shim.mattermost import POST_LIMIT, MattermostClient

__all__ = ["MattermostDirectory", "MattermostPoster", "profile_from_user", "split_message"]

#: Profiles kept at most (and as many username -> id entries): about 2 KB each.
MAX_CACHED = 10_000

# Its own logger name, so the admin-DM log handler can skip it (no DM loops).
_log = logging.getLogger("shim.poster")
_dir_log = logging.getLogger("shim.directory")


def profile_from_user(
    user: dict[str, Any], admin_ids: frozenset[str] | set[str] = frozenset()
) -> Profile:
    """A ``Profile`` from a Mattermost user object (``GET /users/{id}``)."""
    user_id = str(user.get("id") or "")
    roles = str(user.get("roles") or "").split()
    return Profile(
        user_id=user_id,
        username=str(user.get("username") or ""),
        display_name=_display_name(user),
        time_zone=_time_zone(user.get("timezone")),
        is_admin="system_admin" in roles or user_id in admin_ids,
    )


def _display_name(user: dict[str, Any]) -> str:
    full = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return full or str(user.get("nickname") or "") or str(user.get("username") or "")


def _time_zone(tz: Any) -> str:
    if not isinstance(tz, dict):
        return "UTC"
    # Mattermost itself sends "true"/"false" strings; the OpenAPI file says boolean.
    automatic = tz.get("useAutomaticTimezone")
    if isinstance(automatic, str):
        automatic = automatic.strip().lower() == "true"
    name = tz.get("automaticTimezone") if automatic else tz.get("manualTimezone")
    name = str(name).strip() if name else ""
    # A zone our tz database lacks would make every command of that user fail.
    return name if name and _known_zone(name) else "UTC"


@lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


class MattermostDirectory:
    """``lotto.ports.Directory`` over the Mattermost REST API, with a short TTL cache."""

    def __init__(
        self,
        client: MattermostClient,
        *,
        admin_ids: Callable[[], frozenset[str]] = frozenset,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        admin_ttl: float = 300.0,
        max_entries: int = MAX_CACHED,
    ) -> None:
        self._client = client
        self._admin_ids = admin_ids
        self._admin_ttl = admin_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._by_id: TTLCache[str, dict[str, Any]] = TTLCache(max_entries, ttl, clock=clock)
        self._id_of: TTLCache[str, str] = TTLCache(max_entries, ttl, clock=clock)
        self._system_admins: tuple[float, frozenset[str]] | None = None

    def system_admin_ids(self) -> frozenset[str]:
        """Ids of the active Mattermost system admins, cached for ``admin_ttl`` seconds.

        When Mattermost refuses or fails the listing, the last known set (or an
        empty one) is kept until the next attempt, one ``admin_ttl`` later.
        """
        now = self._clock()
        with self._lock:
            cached = self._system_admins
        if cached is not None and now - cached[0] < self._admin_ttl:
            return cached[1]
        previous = cached[1] if cached is not None else frozenset()
        try:
            users = self._client.users_with_role("system_admin")
            ids = frozenset(
                str(u.get("id"))
                for u in users
                if "system_admin" in str(u.get("roles") or "").split() and not u.get("delete_at")
            )
        except MattermostError as err:
            # Keep the last known admins. (Safe to log: lines logged on the admin-log
            # sender thread are never copied to the admins, so this cannot loop.)
            _dir_log.warning(
                "cannot list the system admins (%s); admin-log DMs go to the known admins only", err
            )
            ids = previous
        with self._lock:
            self._system_admins = (now, ids)
        return ids

    def by_id(self, user_id: str) -> Profile | None:
        """The profile of ``user_id``, or None if Mattermost has no such (active) user."""
        user = self._cached(user_id)
        if user is None:
            with _as_lotto_error():
                user = self._client.user(user_id)
            if user is None or user.get("delete_at"):
                return None
            self._remember(user)
        return self._profile(user)

    def by_username(self, username: str) -> Profile | None:
        """The profile of ``username`` (a leading ``@`` is ignored), or None."""
        name = username.lstrip("@").lower()
        if not name:
            return None
        hit = self._id_of.get(name)
        user = self._cached(hit) if hit is not None else None
        if user is not None:
            return self._profile(user)
        with _as_lotto_error():
            user = self._client.user_by_username(name)
        if user is None or user.get("delete_at"):
            return None
        self._remember(user)
        return self._profile(user)

    def by_usernames(self, usernames: list[str]) -> dict[str, Profile]:
        """Profiles of many usernames in at most one request, keyed by the name as given."""

        def key(name: str) -> str:
            return name.lstrip("@").lower()

        def cached(name: str) -> dict[str, Any] | None:
            hit = self._id_of.get(name)
            return self._cached(hit) if hit is not None else None

        found = self._batch(
            [key(n) for n in usernames],
            cached,
            self._client.users_by_usernames,
            lambda user: str(user.get("username") or "").lower(),
        )
        return {n: self._profile(found[key(n)]) for n in usernames if key(n) in found}

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Profiles of many users in at most one request; unknown ids are left out."""
        found = self._batch(
            user_ids, self._cached, self._client.users_by_ids, lambda user: str(user.get("id"))
        )
        return {uid: self._profile(found[uid]) for uid in user_ids if uid in found}

    def _batch(self, keys: list[str], cached, fetch, key_of) -> dict[str, dict[str, Any]]:
        """Users for ``keys``: cached ones, the rest in ONE ``fetch``; deactivated ones left out."""
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for k in dict.fromkeys(keys):
            user = cached(k)
            if user is None:
                missing.append(k)
            else:
                found[k] = user
        if missing:
            with _as_lotto_error():
                batch = fetch(missing)
            for user in batch:
                if user.get("delete_at"):
                    continue
                self._remember(user)
                found[key_of(user)] = user
        return found

    def invalidate(self) -> None:
        """Forget every cached profile (after a configuration change)."""
        self._by_id.clear()
        self._id_of.clear()
        with self._lock:
            self._system_admins = None

    def _profile(self, user: dict[str, Any]) -> Profile:
        return profile_from_user(user, self._admin_ids())

    def cached_count(self) -> int:
        """How many profiles the cache holds now (at most ``max_entries``)."""
        return len(self._by_id)

    def _cached(self, user_id: str) -> dict[str, Any] | None:
        return self._by_id.get(user_id)

    def _remember(self, user: dict[str, Any]) -> None:
        user_id = str(user.get("id"))
        self._by_id.put(user_id, user)
        self._id_of.put(str(user.get("username") or "").lower(), user_id)


@contextlib.contextmanager
def _as_lotto_error() -> Iterator[None]:
    """A Mattermost failure during a lookup becomes a user-facing command error."""
    try:
        yield
    except MattermostError as err:
        _dir_log.warning("user lookup failed: %s", err)
        late = " in time" if isinstance(err, MattermostTimeout) else ""
        raise LottoError(
            f"Mattermost did not answer a user lookup{late}, so nothing was changed; "
            "please try again in a minute.",
            cause=str(err),
        ) from None


class MattermostPoster:
    """``lotto.ports.Poster``: direct messages from the bot; failures are logged only."""

    def __init__(self, client: MattermostClient, bot_user_id: str) -> None:
        self._client = client
        self._bot_id = bot_user_id
        self._channels: dict[str, str] = {}
        self._lock = threading.Lock()

    def dm(self, user_id: str, message: str) -> None:
        """Send ``message`` to ``user_id`` in the bot's direct channel; never raises."""
        try:
            channel_id = self._channel(user_id)
            for part in split_message(message):
                self._client.create_post(channel_id, part)
        except ShimError as err:
            _log.error("could not send a direct message to %s: %s", user_id, err)
        except Exception:  # a DM must never fail a command that already committed
            _log.exception("could not send a direct message to %s", user_id)

    def post(self, channel_id: str, channel_name: str, message: str) -> None:
        """Post ``message`` in ``channel_id``; never raises (the outbox worker is what
        delivers command messages; this serves direct callers such as the admin log)."""
        try:
            for part in split_message(message):
                self._client.create_post(channel_id, part)
        except Exception:  # a post must never fail a command that already committed
            _log.exception("could not post in channel %s (~%s)", channel_id, channel_name)

    def _channel(self, user_id: str) -> str:
        with self._lock:
            cached = self._channels.get(user_id)
        if cached:
            return cached
        channel_id = self._client.direct_channel(self._bot_id, user_id)
        with self._lock:
            self._channels[user_id] = channel_id
        return channel_id


def split_message(text: str, limit: int = POST_LIMIT) -> list[str]:
    """Split ``text`` into posts of at most ``limit`` characters, at line breaks.

    A code block cut in two is closed at the end of one part and reopened at the
    start of the next, so each part renders on its own.
    """
    if len(text) <= limit:
        return [text]
    fence = "```"
    parts: list[str] = []
    current = ""
    in_code = False
    lines = text.split("\n")
    budget = limit - len(fence) - 2  # room to close and reopen a code block
    for i, line in enumerate(lines):
        piece = line + ("\n" if i < len(lines) - 1 else "")
        while len(piece) > budget:  # a single huge line: hard cut
            room = budget - len(current)
            if room <= 0:
                parts.append(_close(current, in_code))
                current = fence + "\n" if in_code else ""
                continue
            current += piece[:room]
            piece = piece[room:]
        if len(current) + len(piece) > budget:
            parts.append(_close(current, in_code))
            current = fence + "\n" if in_code else ""
        current += piece
        if line.lstrip().startswith(fence):
            in_code = not in_code
    if current:
        parts.append(current)
    return parts


def _close(part: str, in_code: bool) -> str:
    if not in_code:
        return part
    return part + ("" if part.endswith("\n") else "\n") + "```"
