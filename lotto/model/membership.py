"""Memberships: when each person joined and left a rotation, in their own record.

The fairness report (``rotation stats``, the rotation page) counts a person's
time in the rotation; ``user join`` and ``user leave`` note it. Nothing else
reads it, so it lives at ``memberships:<rotation id>`` rather than in the
rotation record every command reads (issue 15: that record grew on every join
and leave). Records written before kept it in ``Rotation.memberships``; the
next join or leave moves it here (:func:`adopt_legacy`) and readers merge the
two (:func:`stretches`).

Bounded: a person keeps at most :data:`MAX_STRETCHES` stretches. Beyond that the
two neighbouring stretches with the shortest gap between them become one, so
the report counts that gap as time in the rotation: the smallest error there
is, and none at all for people who join and leave a handful of times.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import msgspec

from lotto.model.record import Record, StoredTime

__all__ = [
    "Membership",
    "Memberships",
    "MAX_STRETCHES",
    "record_joined",
    "record_left",
    "adopt_legacy",
    "stretches",
]

#: The most stretches of membership kept per person (older ones merge, see the module).
MAX_STRETCHES = 24


class Membership(Record):
    """One stretch of a user's membership of a rotation: joined, and left (None: still in)."""

    joined: StoredTime
    left: StoredTime | None = None


class Memberships(Record):
    """A rotation's memberships (``memberships:<id>``): user id → stretches, oldest first."""

    rotation_id: str = ""
    users: dict[str, list[Membership]] = msgspec.field(default_factory=dict)


def _bound(spans: list[Membership]) -> None:
    """Merge the closest neighbouring stretches until at most MAX_STRETCHES are left."""
    while len(spans) > MAX_STRETCHES:
        gaps = [
            (b.joined - a.left, i)
            for i, (a, b) in enumerate(zip(spans, spans[1:], strict=False))
            if a.left is not None
        ]
        if not gaps:
            return  # only open stretches (a hand-edited record): nothing sensible to merge
        _, i = min(gaps)
        spans[i : i + 2] = [Membership(joined=spans[i].joined, left=spans[i + 1].left)]


def record_joined(rec: Memberships, user_id: str, now: datetime) -> None:
    """Note that ``user_id`` joined at ``now`` (a new stretch of membership)."""
    spans = rec.users.setdefault(user_id, [])
    if spans and spans[-1].left is None:
        return  # already in: the open stretch goes on
    spans.append(Membership(joined=now))
    _bound(spans)


def record_left(rec: Memberships, user_id: str, now: datetime, beginning: datetime | None) -> None:
    """Note that ``user_id`` left at ``now`` (closes their open stretch).

    A member from before memberships were recorded counts as in since the
    rotation's ``beginning`` (or ``now`` without one).
    """
    spans = rec.users.setdefault(user_id, [])
    if spans and spans[-1].left is None:
        spans[-1].left = now
    elif not spans:
        joined = beginning or now
        spans.append(Membership(joined=min(joined, now), left=now))


def adopt_legacy(rec: Memberships, legacy: dict[str, list[Membership]]) -> bool:
    """Move memberships kept in an old rotation record into ``rec``; True if any moved.

    The caller clears ``legacy`` and saves both records in the same unit of work.
    """
    for uid, spans in legacy.items():
        if uid not in rec.users:
            rec.users[uid] = list(spans)
            _bound(rec.users[uid])
    return bool(legacy)


def stretches(
    legacy: Mapping[str, list[Membership]], rec: Memberships | None
) -> dict[str, list[Membership]]:
    """Everyone's stretches: the record's, and an old rotation record's for anyone else."""
    out = dict(legacy)
    if rec is not None:
        out.update(rec.users)
    return out
