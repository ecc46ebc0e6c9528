"""Users: the stored record (skills, last-served times, calendar) and its pure helpers.

Also the one home of the rules on where a member stands in a rotation's queue
(``LastServed``): the fair start of a member who never served, the median a
member joining mid-queue starts with, and the credit an unassignment gives back.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from lotto.model.availability import REASON_GRACE, REASON_TASK, Event, add_events, without_task
from lotto.model.record import Record
from lotto.model.rotation import Rotation
from lotto.model.skill import ANY
from lotto.model.task import Task, task_interval
from lotto.model.timeutil import average_period

__all__ = [
    "User",
    "mark_served",
    "prune_served_events",
    "SERVED_EVENTS_KEPT",
    "unmark_task",
    "assign_served",
    "unassign_served",
    "task_events",
    "people_per_shift",
    "fair_start",
    "last_served_in",
    "joining_last_served",
    "START_STARTING",
    "START_MEDIAN",
    "START_KEPT",
    "START_FAIR",
]

# Where a member joining a rotation starts in its queue (their LastServed there):
START_STARTING = "starting"  # at the --starting time an admin gave
START_MEDIAN = "median"  # mid-queue: the median of the current members
START_KEPT = "kept"  # where they were: LastServed kept from an earlier membership
START_FAIR = "fair"  # never served and nobody has yet: the fair start, like everyone

#: How long a shift's events stay on its people's calendars after its start (then pruned).
SERVED_EVENTS_KEPT = timedelta(days=90)


class User(Record):
    """A person's scheduling record; profile data (name, zone) comes from the directory."""

    mattermost_user_id: str
    skill_levels: dict[str, int] = msgspec.field(default_factory=dict)
    # rotation id -> unix seconds of the end of the last task served there.
    last_served: dict[str, int] = msgspec.field(default_factory=dict)
    # Unavailability events, kept sorted by start.
    calendar: list[Event] = msgspec.field(default_factory=list)
    #: The direct messages the person turned off (words of ``lotto.model.notice.MUTE_WORDS``).
    muted: list[str] = msgspec.field(default_factory=list)


def task_events(task: Task) -> list[Event]:
    """The calendar events serving ``task`` puts on a user: the task, then its grace period."""
    interval = task_interval(task)
    if interval is None:
        return []
    start, finish = interval
    events = [
        Event(
            start=start,
            finish=finish,
            reason=REASON_TASK,
            task_id=task.task_id,
            rotation_id=task.rotation_id,
        )
    ]
    if task.grace.total_seconds() > 0:
        events.append(
            Event(
                start=finish,
                finish=finish + task.grace,
                reason=REASON_GRACE,
                task_id=task.task_id,
                rotation_id=task.rotation_id,
            )
        )
    return events


def mark_served(user: User, task: Task) -> None:
    """Mark ``user`` as serving ``task`` (docs/design.md §2), in place.

    ``LastServed[rotation]`` becomes the end of the task's interval (unix
    seconds) and the user's events for this task are replaced by a ``task``
    event over the interval plus, if the task has a grace, a ``grace`` event
    from its end. A task without a start time changes nothing.
    """
    interval = task_interval(task)
    if interval is None:
        return
    user.last_served[task.rotation_id] = int(interval[1].timestamp())
    user.calendar = add_events(without_task(user.calendar, task.task_id), task_events(task))
    prune_served_events(user, interval[0] - SERVED_EVENTS_KEPT)


def prune_served_events(user: User, before: datetime) -> None:
    """Drop ``user``'s task and grace events that ended before ``before``, in place.

    They matter only for overlaps with new tasks, which are never made that far
    back, and kept forever they would grow the record with every shift served
    (issue 15). ``LastServed`` is kept as it is (the credit stays); the task
    records keep who served when, which the fairness report reads. Personal
    unavailability is the person's own and stays.
    """
    if not user.calendar or user.calendar[0].start >= before:
        return  # sorted by start: nothing ended before ``before``
    user.calendar = [
        e
        for e in user.calendar
        if e.finish >= before or e.reason not in (REASON_TASK, REASON_GRACE)
    ]


def unmark_task(user: User, task_id: str) -> None:
    """Remove ``user``'s task and grace events of ``task_id``, in place (LastServed is kept)."""
    user.calendar = without_task(user.calendar, task_id)


def assign_served(user: User, task: Task) -> None:
    """Mark ``user`` as serving ``task`` they were just assigned to, remembering the credit.

    The user's ``LastServed`` in the task's rotation before this assignment is
    kept on the task (``served_before``; 0: none) so that unassigning can give
    it back; an earlier record for the same user is kept (the first one is the
    one before the assignment).
    """
    task.served_before.setdefault(
        user.mattermost_user_id, user.last_served.get(task.rotation_id, 0)
    )
    mark_served(user, task)


def unassign_served(user: User, task: Task) -> None:
    """Undo ``assign_served``: drop the task's events and give back the ``LastServed`` credit.

    ``LastServed`` goes back to what it was before the assignment only while it
    is still the one this task set (the end of its interval): if the user has
    since been assigned to another task of the rotation, that one stands.
    """
    unmark_task(user, task.task_id)
    before = task.served_before.pop(user.mattermost_user_id, None)
    interval = task_interval(task)
    rid = task.rotation_id
    if before is None or interval is None:
        return
    if user.last_served.get(rid) != int(interval[1].timestamp()):
        return
    if before > 0:
        user.last_served[rid] = before
    else:
        user.last_served.pop(rid, None)


def people_per_shift(rotation: Rotation) -> int:
    """How many people a task of ``rotation`` asks for (at least 1).

    Its ``any`` count, or the sum of its skill counts when that is larger (a
    user meeting several skills may count for more than one, so this is an
    upper bound when there is no ``any`` need).
    """
    require = rotation.task_settings.require
    skills = sum(c for nid, c in require.items() if nid != ANY and c > 0)
    return max(1, require.get(ANY, 0), skills)


def fair_start(rotation: Rotation, now_ts: float) -> int:
    """``LastServed`` (unix seconds) of a member who never served in ``rotation``.

    One full cycle before the rotation's beginning, a cycle being the members
    ÷ the people per task, in average periods: so on a new rotation whoever
    just served is very unlikely to be drawn again before everyone had a turn.
    A rotation without a beginning (never stored so) counts ``now_ts``.
    """
    beginning = rotation.fill_settings.beginning
    if beginning is None:
        return int(now_ts)
    members = len(set(rotation.mattermost_user_ids))
    period = average_period(rotation.fill_settings.period).total_seconds()
    return int(beginning.timestamp() - members / people_per_shift(rotation) * period)


def last_served_in(user: User, rotation: Rotation, default: int) -> int:
    """``LastServed`` of ``user`` in ``rotation``; unset (or ≤ 0) gives ``default``."""
    value = user.last_served.get(rotation.rotation_id, 0)
    return value if value > 0 else default


def joining_last_served(rotation: Rotation, members: Iterable[User], now_ts: float) -> int | None:
    """The ``LastServed`` a member joining ``rotation`` without ``--starting`` starts with.

    The median over the current ``members`` (a member who never served counts
    at the fair start), so a newcomer joins mid-queue rather than at its front;
    None when none of them has served there yet (the fair start then applies).
    """
    rid = rotation.rotation_id
    records = list(members)
    if not any(u.last_served.get(rid, 0) > 0 for u in records):
        return None
    default = fair_start(rotation, now_ts)
    return int(statistics.median(last_served_in(u, rotation, default) for u in records))
