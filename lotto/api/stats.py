"""Request and result of ``rotation stats``: how fairly a rotation's shifts were shared."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto.api._base import Request, RotationRef, _Msg, _Result

__all__ = ["RotationStatsRequest", "MemberStats", "RotationStatsResult"]


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
    ``fair_shifts``/``fair_served``: their share of every shift (and of the time)
    served in the window, split by ``available``; ``difference`` = shifts − fair share.
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
