"""Helpers shared by the service and autopilot tests.

The service runs against :class:`lotto.local.LocalDirectory`: every well-formed
name is a known user (an admin in zone ``tz``), so a test names an unknown user
with an ill-formed name such as ``?ghost1``. ``dump`` (every key and value of
the store, to check that a failing call changed nothing) lives in
``tests/lotto/helpers.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lotto import api
from lotto.local import LocalDirectory
from lotto.ports import Directory
from lotto.service import Service

__all__ = ["ACTOR", "NOW", "make_service", "ref", "utc"]

ACTOR = "actor"
NOW = datetime(2020, 1, 1, 12, 0, tzinfo=UTC)


def make_service(
    kv, tz: str = "UTC", seed: int = 7, *, directory: Directory | None = None
) -> Service:
    """A service over ``kv`` with a seeded id generator and ``directory`` (by default a local
    directory in zone ``tz``)."""
    return Service(kv, directory or LocalDirectory(tz), seed=seed)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def ref(name: str, exact: bool = False) -> api.RotationRef:
    """A rotation reference."""
    return api.RotationRef(name=name, exact=exact)
