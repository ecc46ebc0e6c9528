"""Tasks (shifts and tickets): the record and its pure helpers."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto.errors import InputError, StateError
from lotto.model.record import Record, StoredTime

__all__ = [
    "Task",
    "STATE_PENDING",
    "STATE_SCHEDULED",
    "STATE_STARTED",
    "STATE_FINISHED",
    "STATES",
    "NEXT_STATE",
    "task_interval",
    "check_transition",
    "transition",
    "check_fillable",
    "check_assignable",
    "shift_task_id",
    "rotation_id_of",
    "task_number",
]

STATE_PENDING = "pending"
STATE_SCHEDULED = "scheduled"
STATE_STARTED = "started"
STATE_FINISHED = "finished"
STATES = (STATE_PENDING, STATE_SCHEDULED, STATE_STARTED, STATE_FINISHED)
# The only forward step from each state (docs/design.md §2 "Task states").
NEXT_STATE = {
    STATE_PENDING: STATE_SCHEDULED,
    STATE_SCHEDULED: STATE_STARTED,
    STATE_STARTED: STATE_FINISHED,
}


class Task(Record):
    """One shift (``R#N``) or ticket (``R#SEQ``) of a rotation (docs/design.md §2)."""

    task_id: str
    rotation_id: str
    state: str = STATE_PENDING
    expected_start: StoredTime | None = None
    expected_duration: timedelta = timedelta(0)
    actual_start: StoredTime | None = None
    actual_finish: StoredTime | None = None
    grace: timedelta = timedelta(0)
    require: dict[str, int] = msgspec.field(default_factory=dict)
    limit: dict[str, int] = msgspec.field(default_factory=dict)
    # Assigned users, in the order they were assigned.
    mattermost_user_ids: list[str] = msgspec.field(default_factory=list)
    summary: str = ""
    description: str = ""
    autopilot_reminded_start: bool = False
    autopilot_reminded_finish: bool = False


def task_interval(task: Task) -> tuple[datetime, datetime] | None:
    """The task's interval (docs/design.md §2), or None when it has no start time.

    Actual start → actual finish once finished; actual start + expected
    duration once started; expected start + expected duration otherwise.
    """
    if task.actual_start is not None:
        if task.actual_finish is not None:
            return task.actual_start, task.actual_finish
        return task.actual_start, task.actual_start + task.expected_duration
    if task.expected_start is not None:
        return task.expected_start, task.expected_start + task.expected_duration
    return None


def check_transition(task: Task, to_state: str) -> bool:
    """Check ``task`` may move to ``to_state``: True for a real step, False for a no-op.

    Raises InputError for an unknown state and StateError for any step other
    than pending → scheduled → started → finished.
    """
    if to_state not in STATES:
        raise InputError(
            f"{to_state!r} is not a task state: use one of {', '.join(STATES)}.", state=to_state
        )
    if task.state == to_state:
        return False
    if NEXT_STATE.get(task.state) != to_state:
        raise StateError(
            f"{task.task_id} is {task.state} and can't become {to_state}: a task goes "
            "pending → scheduled → started → finished, one step at a time.",
            task_id=task.task_id,
            state=task.state,
            to_state=to_state,
        )
    return True


def transition(task: Task, to_state: str, now: datetime) -> bool:
    """Move ``task`` to ``to_state`` (stamping ActualStart/ActualFinish with ``now``); False if no-op."""
    if not check_transition(task, to_state):
        return False
    task.state = to_state
    if to_state == STATE_STARTED:
        task.actual_start = now
    elif to_state == STATE_FINISHED:
        task.actual_finish = now
    return True


def check_fillable(task: Task) -> None:
    """Raise StateError unless ``task`` may be auto-filled (pending only)."""
    if task.state != STATE_PENDING:
        raise StateError(
            f"{task.task_id} is {task.state}: only pending tasks can be filled.",
            task_id=task.task_id,
            state=task.state,
        )


def check_assignable(task: Task, *, force: bool = False) -> None:
    """Raise StateError unless users may be (un)assigned: pending, or scheduled/started with force."""
    if task.state == STATE_PENDING:
        return
    if force and task.state in (STATE_SCHEDULED, STATE_STARTED):
        return
    hint = (
        " Use --force to change a scheduled or started task."
        if task.state in (STATE_SCHEDULED, STATE_STARTED)
        else ""
    )
    raise StateError(
        f"{task.task_id} is {task.state}: users can only be assigned to or unassigned "
        f"from pending tasks.{hint}",
        task_id=task.task_id,
        state=task.state,
    )


def shift_task_id(rotation_id: str, n: int) -> str:
    """Id of shift (or ticket) ``n`` of a rotation: ``R#N``."""
    return f"{rotation_id}#{n}"


def rotation_id_of(task_id: str) -> str:
    """The rotation id part of a task id (``SET#3`` → ``SET``); InputError if there is none."""
    rotation_id, sep, number = task_id.rpartition("#")
    if not sep or not rotation_id or not number:
        raise InputError(
            f"{task_id!r} is not a task id: write it as ROTATION#NUMBER, e.g. ICE#3.",
            task_id=task_id,
        )
    return rotation_id


def task_number(task_id: str) -> int | None:
    """The number part of a task id (``SET#3`` → 3), or None if it is not a number."""
    rotation_id_of(task_id)
    number = task_id.rpartition("#")[2]
    return int(number) if number.isdigit() else None
