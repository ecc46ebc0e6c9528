"""Tasks (shifts and tickets): the record and its rules.

The one home of every task rule: how shifts and tickets are built and
numbered, which state steps are allowed, when users may be assigned or a
task filled, and which tasks overlap. Pure functions on records (no store):
``lotto.service.taskops`` applies them inside a unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from lotto.errors import InputError, OverlapError, StateError
from lotto.model.history import task_made
from lotto.model.record import Record, StoredTime
from lotto.model.rotation import (
    TASK_TYPE_TICKET,
    Rotation,
    holiday_of_shift,
    shift_duration_of,
    shift_number_of,
    shift_start_of,
)
from lotto.model.taskid import rotation_id_of, shift_task_id, task_number
from lotto.model.timeutil import format_time, intervals_overlap

__all__ = [
    "Task",
    "Offer",
    "Asked",
    "STATE_PENDING",
    "STATE_SCHEDULED",
    "STATE_STARTED",
    "STATE_FINISHED",
    "STATES",
    "NEXT_STATE",
    "TICKET_DURATION",
    "task_interval",
    "calendar_view",
    "overlapping_tasks",
    "check_transition",
    "transition",
    "check_fillable",
    "check_assignable",
    "default_shift_number",
    "check_new_shift",
    "new_shift",
    "new_ticket",
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
# How long a ticket lasts when its rotation sets no duration.
TICKET_DURATION = timedelta(minutes=30)


class Offer(Record):
    """An assigned user's offer of their place on a task (``task offer``), open until taken.

    ``offer_id`` names this one offer: a button or a command that names it is
    refused once the offer is taken or cancelled, even if the same user offers
    again. ``opened_by`` is who opened it (the user, an admin or owner for them,
    or the autopilot when time off covers the task); ``to_user_id`` (empty: any
    member who fits) is the one member it is meant for.
    """

    offer_id: str
    user_id: str
    offered_at: StoredTime
    opened_by: str = ""
    note: str = ""
    to_user_id: str = ""


class Asked(Record):
    """A member asked by direct message to take someone's offered place (``place``: whose).

    Kept on the task so that withdrawing and offering the same place again does not
    message the same people again (``lotto.model.fanout``).
    """

    user_id: str
    place: str
    at: StoredTime


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
    # Legacy (no longer written): assigned user -> their LastServed before this assignment,
    # from before LastServed was recomputed from the calendar; read once on unassigning.
    served_before: dict[str, int] = msgspec.field(default_factory=dict)
    # Alerts already sent about this task (see ``lotto.service.alerts``), so each goes once.
    alerts_sent: list[str] = msgspec.field(default_factory=list)
    # Open offers of a place on this task, oldest first (see ``lotto.model.offer``).
    offers: list[Offer] = msgspec.field(default_factory=list)
    # Revisions of what the task's calendar event shows (``calendar_view``): the count of
    # changes and when the last one was saved (iCalendar SEQUENCE and LAST-MODIFIED;
    # kept up by ``lotto.store.Session`` when it writes the task back).
    sequence: int = 0
    modified: StoredTime | None = None

    # Who was asked directly to take an offered place lately (``lotto.model.fanout``).
    asked: list[Asked] = msgspec.field(default_factory=list)


def calendar_view(task: Task) -> tuple:
    """What a task's calendar event shows: when a save changes it, the event is revised."""
    return (
        task.state,
        task_interval(task),
        tuple(task.mattermost_user_ids),
        task.summary,
        task.description,
        tuple(sorted(task.require.items())),
        tuple(sorted(task.limit.items())),
    )


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


def overlapping_tasks(task: Task, others: Iterable[Task]) -> list[str]:
    """Ids of the tasks in ``others`` whose interval overlaps ``task``'s.

    A task without a start time overlaps nothing.
    """
    interval = task_interval(task)
    if interval is None:
        return []
    start, finish = interval
    return [
        other.task_id
        for other in others
        if (span := task_interval(other)) is not None and intervals_overlap(start, finish, *span)
    ]


# ----------------------------------------------------------------------------- states


def check_transition(task: Task, to_state: str) -> bool:
    """Check ``task`` may move to ``to_state``: True for a real step, False for a no-op.

    Raises InputError for an unknown state and StateError for any step other
    than pending → scheduled → started → finished.
    """
    if task.state == to_state:
        return False
    if to_state not in STATES:
        raise InputError(
            f"{to_state!r} is not a task state: use one of {', '.join(STATES)}.", state=to_state
        )
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
    """Move ``task`` to ``to_state``, stamping its actual start or finish with ``now``.

    Returns False (and changes nothing) when the task is already in that state.
    """
    if not check_transition(task, to_state):
        return False
    if to_state == STATE_STARTED:
        task.actual_start = now
    elif to_state == STATE_FINISHED:
        task.actual_finish = now
    task.state = to_state
    return True


def check_fillable(task: Task, *, force: bool = False) -> None:
    """Raise StateError unless ``task`` may be auto-filled: pending, or with ``force``
    scheduled or started (topped up to meet its requirements again)."""
    allowed = (STATE_PENDING, STATE_SCHEDULED, STATE_STARTED) if force else (STATE_PENDING,)
    if task.state not in allowed:
        how = (
            "a finished task is never filled"
            if task.state == STATE_FINISHED
            else f"only pending tasks are filled; `task fill {task.task_id} --force` tops up "
            f"a {task.state} one"
        )
        raise StateError(
            f"Can not fill task {task.task_id} in state {task.state}: {how}.",
            task_id=task.task_id,
            state=task.state,
        )


def check_assignable(task: Task, *, force: bool = False, verb: str = "assign to") -> None:
    """Raise StateError unless users may be assigned or unassigned (``verb`` says which).

    Pending tasks always; scheduled and started ones only with ``force``;
    finished ones never.
    """
    allowed = (STATE_PENDING, STATE_SCHEDULED, STATE_STARTED) if force else (STATE_PENDING,)
    if task.state in allowed:
        return
    how = "only pending tasks, or scheduled and started ones with --force"
    if force:
        how = "not even with --force: the task is finished"
    raise StateError(
        f"Can not {verb} task {task.task_id} in state {task.state}: {how}.",
        task_id=task.task_id,
        state=task.state,
    )


# ----------------------------------------------------------------------------- making tasks


def default_shift_number(rotation: Rotation, now: datetime) -> int:
    """The shift of the period containing ``now`` (at least 0), or the first later one not made."""
    # Without a beginning (never for stored rotations) the periods count from now.
    n = max(0, shift_number_of(rotation, now)) if rotation.fill_settings.beginning else 0
    while task_made(rotation, shift_task_id(rotation.rotation_id, n)) or holiday_of_shift(
        rotation, n
    ):
        n += 1
    return n


def check_new_shift(rotation: Rotation, number: int, others: Iterable[Task]) -> None:
    """Raise unless shift ``number`` may be made: InputError on a ticket rotation or one
    without a beginning; OverlapError if it exists or overlaps a task in ``others``."""
    rid = rotation.rotation_id
    if rotation.task_type == TASK_TYPE_TICKET:
        raise InputError(
            f"Rotation {rid} makes tickets, not shifts: a rotation has either recurring shifts or "
            f"on-demand tickets, never both. Use `task new ticket {rid}` for a ticket here; for "
            "shifts, make a shift rotation with `rotation new NAME` (its --task-type is shift by "
            "default).",
            rotation_id=rid,
            task_type=rotation.task_type,
        )
    if rotation.fill_settings.beginning is None:
        raise InputError(
            f"Rotation {rid} has no beginning time, so its shifts have no start.",
            rotation_id=rid,
        )
    task_id = shift_task_id(rid, number)
    holiday = holiday_of_shift(rotation, number)
    if holiday:
        day = format_time(shift_start_of(rotation, number), rotation.fill_settings.time_zone)[:10]
        raise InputError(
            f"Shift {task_id} would be on {day}, a holiday ({holiday}), and rotation {rid} "
            "skips holidays: pick another --number, or let the holiday's turn move to the next "
            f"working day with `rotation set holidays {rid} --holiday-shift move`.",
            task_id=task_id,
            holiday=holiday,
        )
    if task_made(rotation, task_id):
        raise OverlapError(
            f"Shift {task_id} already exists: see `task show {task_id}`.",
            task_id=task_id,
            overlapping=[task_id],
        )
    hits = overlapping_tasks(new_shift(rotation, number), others)
    if hits:
        raise OverlapError(
            f"Shift {task_id} would overlap {', '.join(hits)}: shifts of a rotation may not "
            "overlap; pick another --number or shorten the rotation's --duration.",
            task_id=task_id,
            overlapping=hits,
        )


def new_shift(rotation: Rotation, number: int) -> Task:
    """Shift ``number`` of ``rotation`` as it is made (pending, settings copied); not stored.

    InputError if the rotation has no beginning time.
    """
    ts = rotation.task_settings
    return Task(
        task_id=shift_task_id(rotation.rotation_id, number),
        rotation_id=rotation.rotation_id,
        expected_start=shift_start_of(rotation, number),
        expected_duration=shift_duration_of(rotation, number),
        grace=ts.grace,
        require=dict(ts.require),
        limit=dict(ts.limit),
        description=ts.description,
    )


def new_ticket(rotation: Rotation, summary: str, now: datetime) -> Task:
    """The rotation's next ticket (``R#SEQ``), starting ``now``; advances its ticket counter.

    InputError on a shift rotation. Not stored: the caller saves the task and the rotation.
    """
    rid = rotation.rotation_id
    if rotation.task_type != TASK_TYPE_TICKET:
        # A ticket on a shift rotation would take the id R#N of a future shift N,
        # which then could never be made (the original allows only one kind too).
        raise InputError(
            f"Rotation {rid} makes shifts, not tickets: a rotation has either recurring shifts or "
            f"on-demand tickets, never both. Use `task new shift {rid}` for a shift here; for "
            "tickets, make a ticket rotation with `rotation new NAME --task-type ticket`.",
            rotation_id=rid,
            task_type=rotation.task_type,
        )
    ts = rotation.task_settings
    seq = ts.seq + 1
    # Stores written before this rule may hold shifts on a ticket rotation: never reuse their ids.
    while task_made(rotation, shift_task_id(rid, seq)):
        seq += 1
    ts.seq = seq
    return Task(
        task_id=shift_task_id(rid, seq),
        rotation_id=rid,
        expected_start=now,
        expected_duration=ts.duration if ts.duration > timedelta(0) else TICKET_DURATION,
        grace=ts.grace,
        require=dict(ts.require),
        limit=dict(ts.limit),
        summary=summary,
        description=ts.description,
    )
