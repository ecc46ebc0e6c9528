"""Requests and results of the ``user`` commands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto.api._base import Request, RotationRef, _Msg, _Result
from lotto.api.hours import RotationHours
from lotto.api.mentions import of_risks, of_tasks
from lotto.model.availability import Event
from lotto.model.risks import Risk
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = [
    "UserQualifyRequest",
    "UserDisqualifyRequest",
    "UserShowRequest",
    "UserUnavailableRequest",
    "UsersResult",
    "TimeOffTask",
    "TIME_OFF_RELEASED",
    "TIME_OFF_OFFERED",
    "TIME_OFF_STARTED",
    "UserJoinRequest",
    "UserLeaveRequest",
    "MembershipResult",
    "UserNotifyRequest",
    "UserShiftsRequest",
    "UserShiftsResult",
]


class UserQualifyRequest(Request["UsersResult"], kw_only=True):
    """``user qualify @u… --skill S[-L],…``: ``skills`` = [(skill, level)], level ≥ 1."""

    user_ids: list[str]
    skills: list[tuple[str, int]]


class UserDisqualifyRequest(Request["UsersResult"], kw_only=True):
    """``user disqualify @u… --skill S,…``: ``skills`` = skill names."""

    user_ids: list[str]
    skills: list[str]


class UserShowRequest(Request["UsersResult"], kw_only=True):
    """``user show @u…``."""

    user_ids: list[str]


class UserUnavailableRequest(Request["UsersResult"], kw_only=True):
    """``user unavailable @u… --start T --finish T [--clear]``.

    Adds a personal event ``[start, finish)``; with ``clear`` removes the
    personal events overlapping it instead.
    """

    user_ids: list[str]
    start: datetime
    finish: datetime
    clear: bool = False
    #: Add it even wholly in the past (``risks.check_time_off``).
    force: bool = False


# What ``user unavailable`` did about a task the user is on over the time off:
TIME_OFF_RELEASED = "released"  # pending: taken off; the autopilot fills the place again
TIME_OFF_OFFERED = "offered"  # scheduled: their place is offered (``task take``)
TIME_OFF_STARTED = "started"  # started: left alone (the owners and channel are told)


class TimeOffTask(_Msg, kw_only=True):
    """One task a user marked unavailable is on, and what was done about it."""

    user_id: str
    task_id: str
    state: str
    outcome: str
    #: The members asked by direct message to take the place (``offered`` only; at most
    #: ``lotto.model.fanout.ASK_AT_MOST``), and how many members could take it in all.
    takers: list[str] = msgspec.field(default_factory=list)
    eligible: int = 0


class UsersResult(_Result, kw_only=True):
    """Users' records after the command, in request order; ``changed`` = ids actually modified.

    ``rotations`` (``user show`` only): user id → the active rotations they are a member of.
    """

    users: list[User] = msgspec.field(default_factory=list)
    changed: list[str] = msgspec.field(default_factory=list)
    rotations: dict[str, list[str]] = msgspec.field(default_factory=dict)
    #: ``user unavailable``: the tasks the time off covers, and what was done about each.
    time_off: list[TimeOffTask] = msgspec.field(default_factory=list)
    #: ``user disqualify``: the scheduled and started shifts the change broke.
    warnings: list[Risk] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        yield from (u.mattermost_user_id for u in self.users)
        yield from self.changed
        yield from self.rotations
        yield from of_risks(self.warnings)
        for item in self.time_off:
            yield item.user_id
            yield from item.takers


class UserJoinRequest(Request["MembershipResult"], kw_only=True):
    """``user join R @u… [--starting T]``."""

    rotation: RotationRef
    user_ids: list[str]
    starting: datetime | None = None


class UserLeaveRequest(Request["MembershipResult"], kw_only=True):
    """``user leave R @u…``."""

    rotation: RotationRef
    user_ids: list[str]


class MembershipResult(_Result, kw_only=True):
    """The rotation after join/leave; ``changed`` = users added/removed (others were no-ops).

    ``assigned`` (leave only): removed user → ids of the rotation's open tasks they
    are still assigned to (leaving a rotation does not unassign anyone).
    ``starts`` (join only): added user → where they start in the rotation's
    queue (``lotto.model.user.START_*``); ``users`` holds their LastServed.
    """

    rotation: Rotation
    changed: list[str] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)
    assigned: dict[str, list[str]] = msgspec.field(default_factory=dict)
    starts: dict[str, str] = msgspec.field(default_factory=dict)
    #: ``user leave``: the scheduled and started shifts left with people no longer members.
    warnings: list[Risk] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        yield from self.changed
        yield from self.users
        yield from self.assigned
        yield from of_risks(self.warnings)
        yield from self.starts


class UserShiftsRequest(Request["UserShiftsResult"], kw_only=True):
    """``user shifts [@u] [--days N]``: the user's current and upcoming tasks."""

    user_id: str
    days: int = 60


class UserShiftsResult(_Result, kw_only=True):
    """The user's open tasks in every active rotation that overlap ``[time, until)``
    (started ones included), by start; their time off in that window; and ``offers``:
    tasks in the window of the user's rotations with a place offered that is open to
    them (not on it already, free then; ``task take`` checks the skills)."""

    user_id: str
    time: datetime
    until: datetime
    tasks: list[Task] = msgspec.field(default_factory=list)
    time_off: list[Event] = msgspec.field(default_factory=list)
    offers: list[Task] = msgspec.field(default_factory=list)
    # Rotation id -> its working hours, for the tasks' rotations that have them (issue 17).
    hours: dict[str, RotationHours] = msgspec.field(default_factory=dict)

    def _mentions(self) -> Iterable[str]:
        yield self.user_id
        yield from of_tasks([*self.tasks, *self.offers])


class UserNotifyRequest(Request["UsersResult"], kw_only=True):
    """``user notify [@u…] [--mute W,…] [--unmute W,…]``: turn kinds of direct messages
    off or on again (words of ``lotto.model.notice.MUTE_WORDS``); neither: just show.

    The result is a :class:`UsersResult` (``changed`` = users whose setting changed).
    """

    user_ids: list[str]
    mute: list[str] = msgspec.field(default_factory=list)
    unmute: list[str] = msgspec.field(default_factory=list)
