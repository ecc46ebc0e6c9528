"""The profiles a reply shows, looked up once: :class:`Names`.

A command learns the profiles it will show as it goes: the acting user's, those
of the ``@username``s it resolved, and those of the users its result declares
(``result.user_ids()``, :mod:`lotto.api.mentions`), the last in ONE directory
call. Rendering then takes names and zones from here and asks nothing remote.

An id that nobody declared is a bug in a declaration: with :data:`STRICT` (the
test suite sets it) it raises; otherwise it is looked up on its own (one call) and
logged, so the reply still names the person.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from lotto.errors import LottoError
from lotto.ports import Directory, Profile

__all__ = ["Names", "UndeclaredUserError", "STRICT"]

log = logging.getLogger("lotto.commands")

#: Undeclared ids raise :class:`UndeclaredUserError` (tests/conftest.py sets it).
STRICT = False


class UndeclaredUserError(AssertionError):
    """A reply showed a user id that no result declared and no command resolved."""


class Names:
    """``@username`` and zone by user id, from profiles looked up in batches."""

    def __init__(self, directory: Directory, known: Iterable[Profile] = ()) -> None:
        self._directory = directory
        #: id -> profile; None: declared, but the directory does not know it (or failed).
        self._profiles: dict[str, Profile | None] = {p.user_id: p for p in known}
        #: ids looked up one by one because nobody declared them (a bug; logged).
        self.undeclared: list[str] = []

    def add(self, profiles: Iterable[Profile]) -> None:
        """Remember profiles the command already has (e.g. resolved ``@username``s)."""
        for p in profiles:
            self._profiles[p.user_id] = p

    def learn(self, user_ids: Iterable[str]) -> None:
        """Look up the ids not known yet in ONE directory call (none when all are known).

        When the directory cannot answer, they stay unknown: rendering shows ``@id``
        rather than failing a command that may already have committed.
        """
        missing = [u for u in dict.fromkeys(user_ids) if u and u not in self._profiles]
        if not missing:
            return
        try:
            found = self._directory.by_ids(missing)
        except LottoError as exc:  # e.g. the chat server did not answer in time
            log.warning("could not look up %d users to render a reply: %s", len(missing), exc)
            found = {}
        for uid in missing:
            self._profiles[uid] = found.get(uid)

    def profile(self, user_id: str) -> Profile | None:
        """The profile of ``user_id`` (None when the directory does not know them)."""
        if user_id not in self._profiles:
            self._undeclared(user_id)
        return self._profiles.get(user_id)

    def mention(self, user_id: str) -> str:
        """``@username`` (``@id`` when unknown; "the autopilot" for no user)."""
        if not user_id:
            return "the autopilot"
        profile = self.profile(user_id)
        return f"@{profile.username}" if profile is not None else f"@{user_id}"

    def zone_of(self, user_id: str) -> str:
        """The user's IANA zone (UTC when unknown)."""
        profile = self.profile(user_id) if user_id else None
        return (profile.time_zone or "UTC") if profile is not None else "UTC"

    def _undeclared(self, user_id: str) -> None:
        if STRICT:
            raise UndeclaredUserError(
                f"user {user_id!r} is rendered but was not declared (result.user_ids()) "
                "nor resolved by the command"
            )
        log.warning("user %s is rendered but was not declared; looking them up alone", user_id)
        self.undeclared.append(user_id)
        self.learn([user_id])
