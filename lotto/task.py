"""Tasks (shifts and tickets): the record and its pure helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto.record import Record

__all__ = [
    "Task",
    "STATE_PENDING",
    "STATE_SCHEDULED",
    "STATE_STARTED",
    "STATE_FINISHED",
    "STATES",
]

STATE_PENDING = "pending"
STATE_SCHEDULED = "scheduled"
STATE_STARTED = "started"
STATE_FINISHED = "finished"
STATES = (STATE_PENDING, STATE_SCHEDULED, STATE_STARTED, STATE_FINISHED)


class Task(Record):
    """One shift (``R#N``) or ticket (``R#SEQ``) of a rotation (SPEC §2)."""

    task_id: str
    rotation_id: str
    state: str = STATE_PENDING
    expected_start: datetime | None = None
    expected_duration: timedelta = timedelta(0)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    grace: timedelta = timedelta(0)
    require: dict[str, int] = msgspec.field(default_factory=dict)
    limit: dict[str, int] = msgspec.field(default_factory=dict)
    # Assigned users, in the order they were assigned.
    mattermost_user_ids: list[str] = msgspec.field(default_factory=list)
    summary: str = ""
    description: str = ""
    autopilot_reminded_start: bool = False
    autopilot_reminded_finish: bool = False
