"""Requests and results of the autopilot (docs/design.md §4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto.api._base import Request, RotationRef, _Msg, _Result
from lotto.model.rotation import Rotation
from lotto.model.user import User

__all__ = [
    "RotationAutopilotRequest",
    "AutopilotFill",
    "AutopilotStep",
    "AutopilotResult",
    "AutopilotAllResult",
    "failed_fills",
    "STEP_REMIND_FINISH",
    "STEP_FINISH",
    "STEP_CREATE",
    "STEP_FILL_SCHEDULE",
    "STEP_REMIND_START",
    "STEP_START",
    "AUTOPILOT_STEPS",
]


STEP_REMIND_FINISH = "remind_finish"
STEP_FINISH = "finish"
STEP_CREATE = "create"
STEP_FILL_SCHEDULE = "fill_schedule"
STEP_REMIND_START = "remind_start"
STEP_START = "start"
# The order the steps run in (docs/design.md §4).
AUTOPILOT_STEPS = (
    STEP_REMIND_FINISH,
    STEP_FINISH,
    STEP_CREATE,
    STEP_FILL_SCHEDULE,
    STEP_REMIND_START,
    STEP_START,
)


class RotationAutopilotRequest(Request["AutopilotResult"], kw_only=True):
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

    def _mentions(self) -> Iterable[str]:
        for step in self.steps:
            yield from step.user_ids
            for fill in step.fills:
                yield from fill.added_user_ids
        yield from self.users


class AutopilotAllResult(_Result, kw_only=True):
    """Every active rotation's autopilot run (``Service.autopilot_all``), in order.

    ``errors`` maps a rotation whose run failed to why, in the words the caller's
    ``describe`` gave (the command layer's one-paragraph error text).
    """

    results: list[AutopilotResult] = msgspec.field(default_factory=list)
    errors: dict[str, str] = msgspec.field(default_factory=dict)

    def _mentions(self) -> Iterable[str]:
        for res in self.results:
            yield from res.user_ids()


def failed_fills(res: AutopilotResult) -> list[AutopilotFill]:
    """The fills of a run that failed (their tasks stayed pending)."""
    return [f for step in res.steps for f in step.fills if f.error]
