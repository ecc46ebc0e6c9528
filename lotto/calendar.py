"""Calendar events: when a user is unavailable, and why."""

from __future__ import annotations

from datetime import datetime

from lotto.record import Record

__all__ = ["Event", "REASON_TASK", "REASON_GRACE", "REASON_PERSONAL"]

REASON_TASK = "task"
REASON_GRACE = "grace"
REASON_PERSONAL = "personal"


class Event(Record):
    """An unavailability interval ``[start, finish)`` on a user's calendar."""

    start: datetime
    finish: datetime
    reason: str = REASON_PERSONAL
    task_id: str = ""
    rotation_id: str = ""
