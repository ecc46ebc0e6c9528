"""Users: the stored record (skills, last-served times, calendar) and its pure helpers."""

from __future__ import annotations

import msgspec

from lotto.model.availability import REASON_GRACE, REASON_TASK, Event, add_events, without_task
from lotto.model.record import Record
from lotto.model.task import Task, task_interval

__all__ = ["User", "mark_served", "unmark_task", "task_events"]


class User(Record):
    """A person's scheduling record; profile data (name, zone) comes from the directory."""

    mattermost_user_id: str
    skill_levels: dict[str, int] = msgspec.field(default_factory=dict)
    # rotation id -> unix seconds of the end of the last task served there.
    last_served: dict[str, int] = msgspec.field(default_factory=dict)
    # Unavailability events, kept sorted by start.
    calendar: list[Event] = msgspec.field(default_factory=list)


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


def unmark_task(user: User, task_id: str) -> None:
    """Remove ``user``'s task and grace events of ``task_id``, in place (LastServed is kept)."""
    user.calendar = without_task(user.calendar, task_id)
