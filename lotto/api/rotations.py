"""Requests and results of ``info`` and the ``rotation`` commands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from lotto.api._base import Request, RotationRef, _Result
from lotto.api.mentions import of_risks, of_rotation, of_tasks
from lotto.model.risks import Risk
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = [
    "InfoRequest",
    "InfoResult",
    "RotationNewRequest",
    "RotationListRequest",
    "RotationListResult",
    "RotationShowRequest",
    "RotationShowResult",
    "RotationArchiveRequest",
    "RotationResult",
    "RotationSetAutopilotRequest",
    "RotationSetFillRequest",
    "RotationSetRequireRequest",
    "RotationSetLimitRequest",
    "RotationSetTaskRequest",
    "RotationSetOwnersRequest",
    "RotationSetChannelRequest",
    "RotationNowRequest",
    "RotationNowResult",
]


class InfoRequest(Request["InfoResult"], kw_only=True):
    """``info``."""


class InfoResult(_Result, kw_only=True):
    """Overview of the store: active rotation ids and known skills (both sorted)."""

    rotation_ids: list[str] = msgspec.field(default_factory=list)
    skills: list[str] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        return ()


class RotationNewRequest(Request["RotationResult"], kw_only=True):
    """``rotation new NAME …``; None means the default (docs/design.md §2).

    ``beginning`` defaults to ``now``; ``time_zone`` to the acting user's zone
    (from the directory); ``period`` is normalised by ``timeutil.parse_period``.
    ``beginning_wall`` is the wall-clock time the user asked for on the rotation's
    clock (``timeutil.wall_time``), kept by the shifts when daylight saving skips it
    on the beginning's day; by default the beginning's own local time.
    """

    name: str
    beginning: datetime | None = None
    period: str | None = None
    time_zone: str | None = None
    task_type: str | None = None  # "shift" | "ticket"
    filler_type: str | None = None  # "solar-lottery" | "queue"
    seed: int | None = None
    fuzz: int | None = None
    beginning_wall: str | None = None
    # Working days (0 = Monday; issue 17): ``--period weekdays`` is daily on Mon-Fri.
    working_days: list[int] | None = None


class RotationListRequest(Request["RotationListResult"], kw_only=True):
    """``rotation list`` (also what ``autopilot_all`` uses to find active rotations)."""


class RotationListResult(_Result, kw_only=True):
    """Active rotation ids, sorted."""

    rotation_ids: list[str] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        return ()


class RotationShowRequest(Request["RotationShowResult"], kw_only=True):
    """``rotation show R``."""

    rotation: RotationRef


class RotationShowResult(_Result, kw_only=True):
    """A rotation with its members' records and its open (not finished) tasks."""

    rotation: Rotation
    users: dict[str, User] = msgspec.field(default_factory=dict)
    tasks: list[Task] = msgspec.field(default_factory=list)
    # The next holidays the rotation skips (ISO date, name), from today (issue 17).
    next_holidays: list[tuple[str, str]] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        yield from of_rotation(self.rotation)
        yield from of_tasks(self.tasks)
        yield from self.users


class RotationArchiveRequest(Request["RotationResult"], kw_only=True):
    """``rotation archive R``."""

    rotation: RotationRef


class RotationResult(_Result, kw_only=True):
    """The rotation after a change (new, archive, every ``rotation set …``)."""

    rotation: Rotation
    # require/limit only: the skill the need names when it is not a known skill
    # (most likely a typo: nobody can meet it).
    unknown_skill: str = ""
    #: require/limit: what the new requirements mean for the members (impossible, narrow).
    warnings: list[Risk] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        yield from of_rotation(self.rotation)
        yield from of_risks(self.warnings)


class RotationSetAutopilotRequest(Request["RotationResult"], kw_only=True):
    """``rotation set autopilot R …``: None leaves a setting unchanged.

    ``off=True`` first turns every step off (priors kept), then applies the rest.
    """

    rotation: RotationRef
    off: bool = False
    create: bool | None = None
    create_prior: timedelta | None = None
    schedule: bool | None = None
    schedule_prior: timedelta | None = None
    start_finish: bool | None = None
    remind_start: bool | None = None
    remind_start_prior: timedelta | None = None
    remind_finish: bool | None = None
    remind_finish_prior: timedelta | None = None


class RotationSetFillRequest(Request["RotationResult"], kw_only=True):
    """``rotation set fill R [--fuzz N] [--seed N]``: None leaves a setting unchanged."""

    rotation: RotationRef
    fuzz: int | None = None
    seed: int | None = None


class RotationSetRequireRequest(Request["RotationResult"], kw_only=True):
    """``rotation set require R --skill S[-L] [--count N] [--clear]``.

    ``skill``/``level`` as from ``skill.parse_skill_level`` (``("any", 0)`` for any).
    """

    rotation: RotationRef
    skill: str
    level: int = 1
    count: int = 1
    clear: bool = False


class RotationSetLimitRequest(RotationSetRequireRequest, kw_only=True):
    """``rotation set limit R --skill S[-L] [--count N] [--clear]`` (same fields)."""


class RotationSetTaskRequest(Request["RotationResult"], kw_only=True):
    """``rotation set task R [--duration D] [--grace D]``: None leaves a setting unchanged."""

    rotation: RotationRef
    duration: timedelta | None = None
    grace: timedelta | None = None
    #: Accept a duration longer than the period (``risks.check_duration``).
    force: bool = False


class RotationSetOwnersRequest(Request["RotationResult"], kw_only=True):
    """``rotation set owners R @u… [--remove]``: add (or remove) owners (user ids)."""

    rotation: RotationRef
    user_ids: list[str]
    remove: bool = False


class RotationSetChannelRequest(Request["RotationResult"], kw_only=True):
    """``rotation set channel R ~channel|--off``: the channel as resolved by the command
    layer (:class:`lotto.ports.Channels`); ``off`` (or an empty id) removes it."""

    rotation: RotationRef
    channel_id: str = ""
    channel_name: str = ""
    off: bool = False


class RotationNowRequest(Request["RotationNowResult"], kw_only=True):
    """``rotation now R``: who is on call now, and next."""

    rotation: RotationRef


class RotationNowResult(_Result, kw_only=True):
    """The task on call at ``time`` (started, or scheduled covering it) and the next one.

    ``users`` holds the records of their people (for names and skills).
    """

    rotation: Rotation
    time: datetime
    current: Task | None = None
    next: Task | None = None
    users: dict[str, User] = msgspec.field(default_factory=dict)
    # Working hours (issue 17): outside them nobody is on call (``current`` None) and
    # ``next`` is on call from ``next_on_call``; within them ``on_call_until`` ends the window.
    off_hours: bool = False
    on_call_until: datetime | None = None
    next_on_call: datetime | None = None

    def _mentions(self) -> Iterable[str]:
        yield from self.rotation.owners
        yield from of_tasks([self.current, self.next])
        yield from self.users
