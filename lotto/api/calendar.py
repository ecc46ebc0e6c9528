"""Requests and results of the calendar feed (``rotation calendar``, the shim's ``.ics`` feed)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lotto.api._base import Request, RotationRef, _Result
from lotto.api.mentions import of_tasks
from lotto.model.rotation import Rotation
from lotto.model.task import Task

__all__ = [
    "CALENDAR_HISTORY_DAYS",
    "RotationCalendarRequest",
    "RotationCalendarResult",
]

# Finished tasks stay in the feed this long after they ended, so last weeks' shifts
# remain visible in a subscriber's calendar.
CALENDAR_HISTORY_DAYS = 90


class RotationCalendarRequest(Request["RotationCalendarResult"], kw_only=True):
    """``rotation calendar R [@user]``: the rotation's tasks; ``user_id`` keeps only theirs.

    ``holder_id``: whom the feed's link was given to; when set, the feed is refused
    (AccessError) unless they are still a member or an owner of the rotation.
    """

    rotation: RotationRef
    user_id: str = ""
    holder_id: str = ""


class RotationCalendarResult(_Result, kw_only=True):
    """The rotation and its feed's tasks: open ones plus those finished within the history window.

    ``tasks`` are in creation order; with ``user_id`` only the tasks that user is assigned to.
    """

    rotation: Rotation
    user_id: str = ""
    tasks: list[Task] = msgspec.field(default_factory=list)

    def _mentions(self) -> Iterable[str]:
        yield self.user_id
        yield from of_tasks(self.tasks)
