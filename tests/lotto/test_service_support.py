"""Helpers shared by the service and autopilot tests (no tests here).

``Dir`` is a tiny in-test directory: every id in ``known`` (or, by default,
every non-empty id not starting with ``ghost``) is a user whose zone is
``tz``. ``dump(kv)`` is every key and value of the store, to check that a
failing command changed nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lotto import api
from lotto.ports import Profile
from lotto.service import Service

__all__ = ["Dir", "dump", "make_service", "utc", "ref", "ACTOR", "NOW"]

ACTOR = "actor"
NOW = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)


class Dir:
    """A directory of made-up users; ids starting with ``ghost`` are unknown."""

    def __init__(self, tz: str = "UTC") -> None:
        self.tz = tz

    def by_id(self, user_id: str) -> Profile | None:
        """Profile of a known id."""
        if not user_id or user_id.startswith("ghost"):
            return None
        return Profile(user_id=user_id, username=user_id, time_zone=self.tz, is_admin=True)

    def by_username(self, username: str) -> Profile | None:
        """Usernames equal ids here."""
        return self.by_id(username)

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Profiles of the known ids."""
        return {u: p for u in user_ids if (p := self.by_id(u)) is not None}


def dump(kv) -> dict[str, bytes | None]:
    """Every key of the store with its value."""
    keys = kv.list_keys(0, 100_000)
    return {k: kv.get(k) for k in keys}


def make_service(kv, tz: str = "UTC", seed: int = 7) -> Service:
    """A service over ``kv`` with the test directory and a seeded id generator."""
    return Service(kv, Dir(tz), seed=seed)


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def ref(name: str, exact: bool = False) -> api.RotationRef:
    """A rotation reference."""
    return api.RotationRef(name=name, exact=exact)
