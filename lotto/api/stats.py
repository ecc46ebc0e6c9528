"""Request and result of ``rotation stats``: how fairly a rotation's shifts were shared."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from lotto.api._base import Request, RotationRef, _Msg, _Result

__all__ = ["RotationStatsRequest", "MemberStats", "SharePool", "RotationStatsResult"]


class RotationStatsRequest(Request["RotationStatsResult"], kw_only=True):
    """``rotation stats R [--since TIME] [--until TIME]``.

    ``until`` defaults to ``now``, ``since`` to 365 days before ``until``.
    """

    rotation: RotationRef
    since: datetime | None = None
    until: datetime | None = None


class MemberStats(_Msg, kw_only=True):
    """One person's record in the window.

    ``shifts``/``served``: tasks they were on that started in the window (started or
    finished) and how long those lasted (a started task counts up to now).
    ``available``: their time in the rotation within the window, less their personal
    unavailability: the weight by which the window's shifts are shared out.
    ``fair_shifts``/``fair_served``: their share of the places (and of the time) of
    their pool (``SharePool``), split by ``available``; ``difference`` = shifts − fair share.
    ``last_served``: the end of their latest shift in the window that ended by now.
    Waits run from the end of one shift to the start of their next; the current
    wait from their last shift (or their joining, or the window's start) to the
    window's end (members only).
    """

    user_id: str
    shifts: int = 0
    served: timedelta = timedelta(0)
    available: timedelta = timedelta(0)
    fair_shifts: float = 0.0
    fair_served: timedelta = timedelta(0)
    difference: float = 0.0
    last_served: datetime | None = None
    longest_wait: timedelta | None = None
    shortest_wait: timedelta | None = None
    current_wait: timedelta | None = None
    task_ids: list[str] = msgspec.field(default_factory=list)
    #: Their next shift of the rotation starting after now ("" / None: none assigned).
    next_task_id: str = ""
    next_start: datetime | None = None


class SharePool(_Msg, kw_only=True):
    """People who share one part of the window's places (rules: ``lotto.service.fairness``).

    ``need``: the skill need whose slot they fill (``""``: the rest, everyone who
    fills no skill slot); ``per_shift``: its places a shift (the rest: whatever the
    skill slots leave); ``places``: the places served in the window shared among
    ``user_ids``, by their available time.
    """

    need: str = ""
    per_shift: int = 0
    places: int = 0
    user_ids: list[str] = msgspec.field(default_factory=list)


class RotationStatsResult(_Result, kw_only=True):
    """The fairness report of a rotation over ``[since, until)``.

    ``members`` are the current members; ``former`` the people who served in the
    window but are no longer members (their time counts in the shares too).
    ``spread`` = the largest ``difference`` minus the smallest (members only);
    ``most_over``/``most_under`` the members with those differences ("" when none).
    """

    rotation_id: str
    since: datetime
    until: datetime
    shifts: int = 0
    served: timedelta = timedelta(0)
    members: list[MemberStats] = msgspec.field(default_factory=list)
    former: list[MemberStats] = msgspec.field(default_factory=list)
    spread: float = 0.0
    most_over: str = ""
    most_under: str = ""
    #: How the fair shares were computed: one pool per skill slot, then the rest.
    pools: list[SharePool] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        for m in (*self.members, *self.former):
            yield m.user_id
        yield self.most_over
        yield self.most_under
        for pool in self.pools:
            yield from pool.user_ids
