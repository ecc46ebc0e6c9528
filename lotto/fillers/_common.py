"""What both fillers share: the candidate pool, need bookkeeping, the error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lotto.errors import InsufficientError
from lotto.model.availability import any_overlapping
from lotto.model.needs import format_need, format_needs, sorted_needs, user_meets
from lotto.model.rotation import Rotation
from lotto.model.task import Task, task_interval
from lotto.model.user import User

__all__ = [
    "for_time",
    "candidates",
    "assigned_users",
    "Tally",
    "insufficient",
    "insufficient_error",
]


def for_time(task: Task, now: datetime) -> datetime:
    """When a fill is for: the task's interval start, else ``now`` (docs/design.md §3 step 1)."""
    interval = task_interval(task)
    return interval[0] if interval else now


def candidates(rotation: Rotation, task: Task, users: Mapping[str, User]) -> list[User]:
    """Members who may be picked, sorted by id (docs/design.md §3 step 2).

    Excluded: members without a record in ``users``, users already assigned,
    and anyone with a calendar event (any reason, any rotation) overlapping
    the task's expected interval.
    """
    assigned = set(task.mattermost_user_ids)
    start = task.expected_start
    window = None if start is None else (start, start + task.expected_duration)
    pool = []
    for uid in sorted(set(rotation.mattermost_user_ids)):
        user = users.get(uid)
        if user is None or uid in assigned:
            continue
        if window is not None and any_overlapping(user.calendar, *window):
            continue
        pool.append(user)
    return pool


def assigned_users(task: Task, users: Mapping[str, User]) -> list[User]:
    """Records of the users already assigned (a missing record counts as a user with no skills)."""
    return [users.get(uid) or User(mattermost_user_id=uid) for uid in task.mattermost_user_ids]


class Tally:
    """Remaining ``Require``/``Limit`` counts while a fill runs (docs/design.md §3 step 5)."""

    def __init__(self, task: Task, assigned: list[User]) -> None:
        self.task_id = task.task_id
        self.require = dict(task.require)
        self.limit = dict(task.limit)
        for user in assigned:  # pre-assigned users count even if they break a limit
            self.count(user)

    def count(self, user: User) -> None:
        """Count ``user`` against every need they meet; drop Require needs that are met."""
        for needs in (self.require, self.limit):
            for nid in needs:
                if user_meets(user, nid):
                    needs[nid] -= 1
        self.require = {nid: c for nid, c in self.require.items() if c > 0}

    def breaks_limit(self, user: User) -> str | None:
        """The first Limit need ``user`` would exceed, or None."""
        for nid in sorted_needs(self.limit):
            if self.limit[nid] <= 0 and user_meets(user, nid):
                return nid
        return None

    def required(self) -> list[str]:
        """The Require needs still open, in sorted order."""
        return sorted_needs(self.require)


def insufficient(tally: Tally, nid: str) -> InsufficientError:
    """The docs/design.md §5 error for a need whose pool ran dry."""
    return insufficient_error(tally.task_id, tally.require, nid)


def insufficient_error(task_id: str, require: Mapping[str, int], nid: str) -> InsufficientError:
    """The docs/design.md §5 error for ``task_id`` when need ``nid`` of ``require`` ran dry."""
    message = (
        f"failed to fill {task_id}, filling need "
        f"{format_need(nid, require[nid], bold=True)}, "
        f"unfilled needs {format_needs(require)}: insufficient"
    )
    return InsufficientError(message, task_id=task_id, need=nid, unmet=dict(require))
