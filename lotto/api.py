"""The service's request and result types: one request and one result per operation.

The command layer parses the command line, resolves ``@username`` to user ids
through the directory and parses times, durations and skill-levels; requests
therefore carry ready values (aware UTC ``datetime``, ``timedelta``,
``(skill, level)`` tuples, user ids). Rotations are referred to by a
:class:`RotationRef` holding the raw text the user typed, because resolving a
name (unique substring over active rotations, exact id wins) has to happen
inside the service's unit of work.

Results carry records and ids, never Markdown, plus a list of :class:`Notice`
values: structured descriptions of direct messages that the command layer
renders and posts *after* the unit of work committed (a retried unit of work
must never DM twice). Every result struct has a ``notices`` field, so a caller
can treat them uniformly.

Every service method has the shape
``method(req: XRequest, *, actor_id: str, now: datetime) -> XResult``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto.forecast import Forecast
from lotto.rotation import Rotation
from lotto.task import Task
from lotto.user import User

__all__ = [
    # shared
    "RotationRef",
    "Notice",
    "NOTICE_KINDS",
    # info
    "InfoRequest",
    "InfoResult",
    # rotations
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
    # autopilot
    "RotationAutopilotRequest",
    "AutopilotFill",
    "AutopilotStep",
    "AutopilotResult",
    "STEP_REMIND_FINISH",
    "STEP_FINISH",
    "STEP_CREATE",
    "STEP_FILL_SCHEDULE",
    "STEP_REMIND_START",
    "STEP_START",
    "AUTOPILOT_STEPS",
    # tasks
    "TaskNewShiftRequest",
    "TaskNewTicketRequest",
    "TaskResult",
    "TaskAssignRequest",
    "TaskUnassignRequest",
    "TaskFillRequest",
    "TaskAssignResult",
    "TaskTransitionRequest",
    "TaskTransitionResult",
    "TaskShowRequest",
    "TaskShowResult",
    # users
    "UserQualifyRequest",
    "UserDisqualifyRequest",
    "UserShowRequest",
    "UserUnavailableRequest",
    "UsersResult",
    "UserJoinRequest",
    "UserLeaveRequest",
    "MembershipResult",
    # skills
    "SkillNewRequest",
    "SkillDeleteRequest",
    "SkillListRequest",
    "SkillsResult",
    # forecasts
    "RotationForecastRequest",
    "UserForecastRequest",
    "ForecastResult",
]


class _Msg(msgspec.Struct, kw_only=True):
    """Base of requests and results: keyword-only, JSON-encodable with ``msgspec``."""


# --------------------------------------------------------------------------- shared


class RotationRef(_Msg, kw_only=True):
    """A rotation as the user named it.

    ``exact=False`` (a positional argument): ``name`` is an exact active
    rotation id, else a substring matching exactly one active rotation id.
    ``exact=True`` (``--rotation/-r ID``): ``name`` must be an exact id.
    """

    name: str
    exact: bool = False


# Kinds of notices (the command layer renders each kind):
#   welcome_new    first time the user's record is created ("welcome to Solar Lottery")
#   welcome        user added to a rotation (rotation_id)
#   left           user removed from a rotation (rotation_id)
#   assigned       user assigned to a non-pending task (task)
#   added          co-assignees of a non-pending task learn who was added (added_user_ids)
#   unassigned     user removed from a non-pending task (task)
#   scheduled / started / finished   the user's task transitioned (task)
#   remind_start / remind_finish     autopilot reminder (task, start/finish)
NOTICE_KINDS = (
    "welcome_new",
    "welcome",
    "left",
    "assigned",
    "added",
    "unassigned",
    "scheduled",
    "started",
    "finished",
    "remind_start",
    "remind_finish",
)


class Notice(_Msg, kw_only=True):
    """One direct message to send after the command committed.

    ``actor_id`` is who caused it (the acting user; for autopilot, whoever ran it).
    ``start``/``finish`` are the task's interval (UTC) at the time of the notice;
    ``task`` is a snapshot of the task as it was after the change.
    """

    kind: str
    user_id: str
    actor_id: str
    rotation_id: str = ""
    task_id: str = ""
    task: Task | None = None
    start: datetime | None = None
    finish: datetime | None = None
    added_user_ids: list[str] = msgspec.field(default_factory=list)


class _Result(_Msg, kw_only=True):
    notices: list[Notice] = msgspec.field(default_factory=list)


# --------------------------------------------------------------------------- info


class InfoRequest(_Msg, kw_only=True):
    """``info``."""


class InfoResult(_Result, kw_only=True):
    """Overview of the store: active rotation ids and known skills (both sorted)."""

    rotation_ids: list[str] = msgspec.field(default_factory=list)
    skills: list[str] = msgspec.field(default_factory=list)


# --------------------------------------------------------------------------- rotations


class RotationNewRequest(_Msg, kw_only=True):
    """``rotation new NAME …``; None means the default (SPEC §2).

    ``beginning`` defaults to ``now``; ``time_zone`` to the acting user's zone
    (from the directory); ``period`` is normalised by ``timeutil.parse_period``.
    """

    name: str
    beginning: datetime | None = None
    period: str | None = None
    time_zone: str | None = None
    task_type: str | None = None  # "shift" | "ticket"
    filler_type: str | None = None  # "solar-lottery" | "queue"
    seed: int | None = None
    fuzz: int | None = None


class RotationListRequest(_Msg, kw_only=True):
    """``rotation list`` (also what ``autopilot_all`` uses to find active rotations)."""


class RotationListResult(_Result, kw_only=True):
    """Active rotation ids, sorted."""

    rotation_ids: list[str] = msgspec.field(default_factory=list)


class RotationShowRequest(_Msg, kw_only=True):
    """``rotation show R``."""

    rotation: RotationRef


class RotationShowResult(_Result, kw_only=True):
    """A rotation with its members' records and its open (not finished) tasks."""

    rotation: Rotation
    users: dict[str, User] = msgspec.field(default_factory=dict)
    tasks: list[Task] = msgspec.field(default_factory=list)


class RotationArchiveRequest(_Msg, kw_only=True):
    """``rotation archive R``."""

    rotation: RotationRef


class RotationResult(_Result, kw_only=True):
    """The rotation after a change (new, archive, every ``rotation set …``)."""

    rotation: Rotation


class RotationSetAutopilotRequest(_Msg, kw_only=True):
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


class RotationSetFillRequest(_Msg, kw_only=True):
    """``rotation set fill R [--fuzz N] [--seed N]``: None leaves a setting unchanged."""

    rotation: RotationRef
    fuzz: int | None = None
    seed: int | None = None


class RotationSetRequireRequest(_Msg, kw_only=True):
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


class RotationSetTaskRequest(_Msg, kw_only=True):
    """``rotation set task R [--duration D] [--grace D]``: None leaves a setting unchanged."""

    rotation: RotationRef
    duration: timedelta | None = None
    grace: timedelta | None = None


# --------------------------------------------------------------------------- autopilot

STEP_REMIND_FINISH = "remind_finish"
STEP_FINISH = "finish"
STEP_CREATE = "create"
STEP_FILL_SCHEDULE = "fill_schedule"
STEP_REMIND_START = "remind_start"
STEP_START = "start"
# The order the steps run in (SPEC §4).
AUTOPILOT_STEPS = (
    STEP_REMIND_FINISH,
    STEP_FINISH,
    STEP_CREATE,
    STEP_FILL_SCHEDULE,
    STEP_REMIND_START,
    STEP_START,
)


class RotationAutopilotRequest(_Msg, kw_only=True):
    """``rotation autopilot R`` (the time is the method's ``now``)."""

    rotation: RotationRef


class AutopilotFill(_Msg, kw_only=True):
    """One task processed by "fill and schedule": who was auto-assigned, the state reached.

    ``error`` non-empty: the fill failed (the task stays pending, nobody was assigned)
    and this is why; the run's other steps and tasks still went ahead.
    ``ended_at`` set: the task was not tried because its expected interval had
    already ended at that time (it stays pending; not a failure).
    """

    task_id: str
    added_user_ids: list[str] = msgspec.field(default_factory=list)
    state: str = "scheduled"
    error: str = ""
    ended_at: datetime | None = None


class AutopilotStep(_Msg, kw_only=True):
    """What one autopilot step did.

    - ``configured`` False: the step is switched off (report "<step>: not configured").
    - ``skipped_reason`` non-empty: the step cannot apply (e.g. create on a ticket rotation).
    - ``task_ids``: tasks acted on (created / finished / started / reminded), in order;
      empty and no ``fills`` means "nothing to do".
    - ``user_ids``: distinct users messaged (reminders).
    - ``fills``: per task of "fill and schedule" (tried, or skipped because it had ended:
      such a task is in ``fills`` but not in ``task_ids``).
    """

    name: str
    configured: bool = True
    skipped_reason: str = ""
    task_ids: list[str] = msgspec.field(default_factory=list)
    user_ids: list[str] = msgspec.field(default_factory=list)
    fills: list[AutopilotFill] = msgspec.field(default_factory=list)


class AutopilotResult(_Result, kw_only=True):
    """One autopilot run: the rotation after it, one step per entry of ``AUTOPILOT_STEPS``.

    ``users`` holds the records of users mentioned by ``fills`` (to render skills).
    """

    rotation: Rotation
    time: datetime
    steps: list[AutopilotStep] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)


# --------------------------------------------------------------------------- tasks


class TaskNewShiftRequest(_Msg, kw_only=True):
    """``task new shift R [--number N]``; None: the shift of the period containing ``now``."""

    rotation: RotationRef
    number: int | None = None


class TaskNewTicketRequest(_Msg, kw_only=True):
    """``task new ticket R [--summary TEXT]``."""

    rotation: RotationRef
    summary: str = ""


class TaskResult(_Result, kw_only=True):
    """A newly made task."""

    task: Task


class TaskAssignRequest(_Msg, kw_only=True):
    """``task assign ID @u… [--force]``."""

    task_id: str
    user_ids: list[str]
    force: bool = False


class TaskUnassignRequest(_Msg, kw_only=True):
    """``task unassign ID @u… [--force]``."""

    task_id: str
    user_ids: list[str]
    force: bool = False


class TaskFillRequest(_Msg, kw_only=True):
    """``task fill ID``."""

    task_id: str


class TaskAssignResult(_Result, kw_only=True):
    """The task after assign/unassign/fill; ``changed`` = user ids added or removed, in order.

    ``users`` holds the records of the task's users and of ``changed``.
    """

    task: Task
    changed: list[str] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)


class TaskTransitionRequest(_Msg, kw_only=True):
    """``task schedule|start|finish ID``: ``state`` is the target state."""

    task_id: str
    state: str


class TaskTransitionResult(_Result, kw_only=True):
    """The task after a transition and the state it came from."""

    task: Task
    prev_state: str


class TaskShowRequest(_Msg, kw_only=True):
    """``task show ID``."""

    task_id: str


class TaskShowResult(_Result, kw_only=True):
    """A task with its assigned users' records."""

    task: Task
    users: dict[str, User] = msgspec.field(default_factory=dict)


# --------------------------------------------------------------------------- users


class UserQualifyRequest(_Msg, kw_only=True):
    """``user qualify @u… --skill S[-L],…``: ``skills`` = [(skill, level)], level ≥ 1."""

    user_ids: list[str]
    skills: list[tuple[str, int]]


class UserDisqualifyRequest(_Msg, kw_only=True):
    """``user disqualify @u… --skill S,…``: ``skills`` = skill names."""

    user_ids: list[str]
    skills: list[str]


class UserShowRequest(_Msg, kw_only=True):
    """``user show @u…``."""

    user_ids: list[str]


class UserUnavailableRequest(_Msg, kw_only=True):
    """``user unavailable @u… --start T --finish T [--clear]``.

    Adds a personal event ``[start, finish)``; with ``clear`` removes the
    personal events overlapping it instead.
    """

    user_ids: list[str]
    start: datetime
    finish: datetime
    clear: bool = False


class UsersResult(_Result, kw_only=True):
    """Users' records after the command, in request order; ``changed`` = ids actually modified.

    ``rotations`` (``user show`` only): user id → the active rotations they are a member of.
    """

    users: list[User] = msgspec.field(default_factory=list)
    changed: list[str] = msgspec.field(default_factory=list)
    rotations: dict[str, list[str]] = msgspec.field(default_factory=dict)


class UserJoinRequest(_Msg, kw_only=True):
    """``user join R @u… [--starting T]``."""

    rotation: RotationRef
    user_ids: list[str]
    starting: datetime | None = None


class UserLeaveRequest(_Msg, kw_only=True):
    """``user leave R @u…``."""

    rotation: RotationRef
    user_ids: list[str]


class MembershipResult(_Result, kw_only=True):
    """The rotation after join/leave; ``changed`` = users added/removed (others were no-ops).

    ``assigned`` (leave only): removed user → ids of the rotation's open tasks they
    are still assigned to (leaving a rotation does not unassign anyone).
    """

    rotation: Rotation
    changed: list[str] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)
    assigned: dict[str, list[str]] = msgspec.field(default_factory=dict)


# --------------------------------------------------------------------------- skills


class SkillNewRequest(_Msg, kw_only=True):
    """``skill new SKILL``."""

    skill: str


class SkillDeleteRequest(_Msg, kw_only=True):
    """``skill delete SKILL``."""

    skill: str


class SkillListRequest(_Msg, kw_only=True):
    """``skill list``."""


class SkillsResult(_Result, kw_only=True):
    """Known skills after the command, sorted."""

    skills: list[str] = msgspec.field(default_factory=list)


# --------------------------------------------------------------------------- forecasts


class RotationForecastRequest(_Msg, kw_only=True):
    """``rotation forecast R [--shifts N] [--samples N] [--seed N]``; seed None = the rotation's."""

    rotation: RotationRef
    shifts: int = 6
    samples: int = 200
    seed: int | None = None


class UserForecastRequest(RotationForecastRequest, kw_only=True):
    """``user forecast [@u…] R …``: the rotation's forecast, for these users only."""

    user_ids: list[str] = msgspec.field(default_factory=list)


class ForecastResult(_Result, kw_only=True):
    """A forecast of the rotation's next shifts (see :mod:`lotto.forecast`) and the seed it used."""

    rotation: Rotation
    seed: int
    forecast: Forecast
