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

from lotto.api._base import (
    RotationRef,
    Notice,
    NOTICE_KINDS,
)
from lotto.api.rotations import (
    InfoRequest,
    InfoResult,
    RotationNewRequest,
    RotationListRequest,
    RotationListResult,
    RotationShowRequest,
    RotationShowResult,
    RotationArchiveRequest,
    RotationResult,
    RotationSetAutopilotRequest,
    RotationSetFillRequest,
    RotationSetRequireRequest,
    RotationSetLimitRequest,
    RotationSetTaskRequest,
)
from lotto.api.autopilot import (
    RotationAutopilotRequest,
    AutopilotFill,
    AutopilotStep,
    AutopilotResult,
    STEP_REMIND_FINISH,
    STEP_FINISH,
    STEP_CREATE,
    STEP_FILL_SCHEDULE,
    STEP_REMIND_START,
    STEP_START,
    AUTOPILOT_STEPS,
)
from lotto.api.tasks import (
    TaskNewShiftRequest,
    TaskNewTicketRequest,
    TaskResult,
    TaskAssignRequest,
    TaskUnassignRequest,
    TaskFillRequest,
    TaskAssignResult,
    TaskTransitionRequest,
    TaskTransitionResult,
    TaskShowRequest,
    TaskShowResult,
)
from lotto.api.users import (
    UserQualifyRequest,
    UserDisqualifyRequest,
    UserShowRequest,
    UserUnavailableRequest,
    UsersResult,
    UserJoinRequest,
    UserLeaveRequest,
    MembershipResult,
)
from lotto.api.skills import (
    SkillNewRequest,
    SkillDeleteRequest,
    SkillListRequest,
    SkillsResult,
)
from lotto.api.forecasts import (
    RotationForecastRequest,
    UserForecastRequest,
    ForecastResult,
)

__all__ = [
    "RotationRef",
    "Notice",
    "NOTICE_KINDS",
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
    "UserQualifyRequest",
    "UserDisqualifyRequest",
    "UserShowRequest",
    "UserUnavailableRequest",
    "UsersResult",
    "UserJoinRequest",
    "UserLeaveRequest",
    "MembershipResult",
    "SkillNewRequest",
    "SkillDeleteRequest",
    "SkillListRequest",
    "SkillsResult",
    "RotationForecastRequest",
    "UserForecastRequest",
    "ForecastResult",
]
