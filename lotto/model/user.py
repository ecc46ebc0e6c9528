"""Users: the stored record (skills, last-served times, calendar) and its pure helpers.

Also the one home of the rules on where a member stands in a rotation's queue
(``LastServed``): the latest end among the shifts a person is on or served, never
below their floor; the fair start of a member who never served, and the median a
member joining mid-queue starts with.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import msgspec

from lotto.model.availability import (
    REASON_GRACE,
    REASON_TASK,
    Event,
    add_events,
    clashes,
    without_task,
)
from lotto.model.record import Record
from lotto.model.rotation import Rotation, rest_until
from lotto.model.skill import ANY
from lotto.model.task import Task, task_interval
from lotto.model.timeutil import average_period

__all__ = [
    "User",
    "mark_served",
    "prune_served_events",
    "SERVED_EVENTS_KEPT",
    "unmark_task",
    "set_served_floor",
    "served_by_calendar",
    "served_floor_of",
    "trimmed",
    "next_shift",
    "placement_clashes",
    "clash_text",
    "last_ended",
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
    # rotation id -> unix seconds: the least LastServed there (added after the original's
    # fields): credit kept that no task event on the calendar gives, e.g. a --starting or
    # mid-queue start, or shifts trimmed from a working copy (``trimmed``).
    served_floor: dict[str, int] = msgspec.field(default_factory=dict)


def task_events(task: Task, rotation: Rotation) -> list[Event]:
    """The calendar events serving ``task`` puts on a user: the task, then its grace period.

    The grace event runs to :func:`~lotto.model.rotation.rest_until` (wall-clock
    days on the rotation's zone for a grace of whole days or weeks).
    """
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
                finish=rest_until(rotation, finish, task.grace),
                reason=REASON_GRACE,
                task_id=task.task_id,
                rotation_id=task.rotation_id,
            )
        )
    return events


def served_by_calendar(user: User, rotation_id: str) -> int:
    """The latest end (unix seconds) among ``user``'s task events of the rotation; 0: none."""
    ends = [
        int(e.finish.timestamp())
        for e in user.calendar
        if e.reason == REASON_TASK and e.rotation_id == rotation_id
    ]
    return max(ends, default=0)


def served_floor_of(user: User, rotation_id: str) -> int:
    """The least ``LastServed`` ``user`` may have in the rotation (0: none).

    Their ``served_floor`` there; a record from before floors were kept counts
    its ``LastServed`` as the floor unless it is the end of one of its own task
    events (then the shift itself gives that credit, and takes it back with it).
    """
    if rotation_id in user.served_floor:
        return user.served_floor[rotation_id]
    value = user.last_served.get(rotation_id, 0)
    if value <= 0:
        return 0
    ends = {
        int(e.finish.timestamp())
        for e in user.calendar
        if e.reason == REASON_TASK and e.rotation_id == rotation_id
    }
    return 0 if value in ends else value


def _settle_floor(user: User, rotation_id: str) -> int:
    # Before the calendar changes: a legacy record's floor is read off it now, once.
    floor = served_floor_of(user, rotation_id)
    if floor > 0:
        user.served_floor[rotation_id] = floor
    return floor


def _recompute(user: User, rotation_id: str, floor: int) -> None:
    value = max(floor, served_by_calendar(user, rotation_id))
    if value > 0:
        user.last_served[rotation_id] = value
    else:
        user.last_served.pop(rotation_id, None)


def mark_served(user: User, task: Task, rotation: Rotation) -> None:
    """Mark ``user`` as serving ``task`` of ``rotation`` (docs/design.md §2), in place.

    The user's events for this task are replaced by a ``task`` event over its
    interval plus, if the task has a grace, a ``grace`` event after it; then
    ``LastServed`` in the rotation is recomputed: the latest end among the
    shifts of the rotation the user is on or served, never below their
    ``served_floor``. So it never moves backwards whatever order shifts are
    scheduled, started and finished in. A task without a start changes nothing.
    """
    if task_interval(task) is None:
        return
    floor = _settle_floor(user, task.rotation_id)
    events = task_events(task, rotation)
    user.calendar = add_events(without_task(user.calendar, task.task_id), events)
    _recompute(user, task.rotation_id, floor)
    prune_served_events(user, events[0].start - SERVED_EVENTS_KEPT)


def prune_served_events(user: User, before: datetime) -> None:
    """Drop ``user``'s task and grace events that ended before ``before``, in place.

    They matter only for clashes with new tasks, which are never made that far
    back, and kept forever they would grow the record with every shift served
    (issue 15). The credit stays: each rotation's ``served_floor`` rises to the
    latest end among its dropped task events, so ``LastServed`` (never below the
    floor) does not move. The task records keep who served when, which the
    fairness report reads. Personal time off is the person's own and stays.
    """
    if not user.calendar or user.calendar[0].start >= before:
        return  # sorted by start: nothing ended before ``before``
    old = [
        e for e in user.calendar if e.finish < before and e.reason in (REASON_TASK, REASON_GRACE)
    ]
    if not old:
        return
    for rid in {e.rotation_id for e in old if e.reason == REASON_TASK}:
        ends = [
            int(e.finish.timestamp())
            for e in old
            if e.reason == REASON_TASK and e.rotation_id == rid
        ]
        # The floor is settled first: a legacy record's is read off the whole calendar.
        user.served_floor[rid] = max(served_floor_of(user, rid), *ends)
    gone = {id(e) for e in old}
    user.calendar = [e for e in user.calendar if id(e) not in gone]


def unmark_task(user: User, task: Task) -> None:
    """Remove ``user``'s events of ``task`` and recompute their ``LastServed``, in place.

    Gives back exactly the credit serving the task gave: ``LastServed`` is again
    the latest end among the user's other shifts of the rotation (or the floor).
    """
    rid = task.rotation_id
    legacy = rid not in user.served_floor
    floor = _settle_floor(user, rid)
    before = task.served_before.pop(user.mattermost_user_id, 0)
    if legacy and before > floor:
        # A record from before floors were kept: the credit the assignment replaced.
        floor = user.served_floor[rid] = before
    user.calendar = without_task(user.calendar, task.task_id)
    _recompute(user, rid, floor)


def set_served_floor(user: User, rotation_id: str, ts: int) -> None:
    """Start ``user`` at ``ts`` (unix seconds) in the rotation's queue (``--starting``,
    the median start): the floor becomes ``ts`` and ``LastServed`` is recomputed."""
    user.served_floor[rotation_id] = ts
    _recompute(user, rotation_id, ts)


def trimmed(user: User, since: datetime) -> User:
    """A copy of ``user`` without the events over by ``since``, keeping their credit.

    The ``LastServed`` the dropped task events gave stays in the copy's
    ``served_floor``, so marking the copy served later gives what marking the
    whole record would (the forecast's working copies are made this way).
    """
    floor = dict(user.served_floor)
    for rid in user.last_served:
        dropped = [
            int(e.finish.timestamp())
            for e in user.calendar
            if e.reason == REASON_TASK and e.rotation_id == rid and e.finish <= since
        ]
        kept = max([served_floor_of(user, rid), *dropped])
        if kept > 0:
            floor[rid] = kept
    return msgspec.structs.replace(
        user,
        last_served=dict(user.last_served),
        served_floor=floor,
        calendar=[e for e in user.calendar if e.finish > since],
    )


def placement_clashes(user: User, task: Task, rotation: Rotation) -> list[Event]:
    """What keeps ``user`` off ``task`` of ``rotation``: :func:`~lotto.model.availability.clashes`
    over the task's interval and its rest (its grace, :func:`~lotto.model.rotation.rest_until`).

    The one rule for placing a person, asked by ``task assign``, offers, ``task take``
    and ``user shifts`` (the fillers ask the same of the expected interval). The
    task's own events never clash; a task without a start clashes with nothing.
    """
    interval = task_interval(task)
    if interval is None:
        return []
    start, finish = interval
    rest = rest_until(rotation, finish, task.grace) if task.grace > timedelta(0) else None
    return clashes(user.calendar, start, finish, rest, task_id=task.task_id)


def clash_text(event: Event, task: Task) -> str:
    """Why ``event`` keeps someone off ``task``, in words (``OPS#16 is within OPS#15's rest``)."""
    interval = task_interval(task)
    within = interval is not None and event.start < interval[1] and interval[0] < event.finish
    if event.reason == REASON_TASK and not within:
        return f"{event.task_id} falls in the rest after {task.task_id}"
    if event.reason == REASON_GRACE:
        return f"resting after {event.task_id}, its grace overlaps {task.task_id}"
    if event.reason == REASON_TASK:
        return f"{event.task_id} overlaps {task.task_id}"
    return f"time off overlaps {task.task_id}"


def next_shift(user: User, rotation_id: str, now: datetime) -> Event | None:
    """``user``'s next task event of the rotation starting after ``now`` (None: none)."""
    coming = [
        e
        for e in user.calendar
        if e.reason == REASON_TASK and e.rotation_id == rotation_id and e.start > now
    ]
    return min(coming, key=lambda e: (e.start, e.task_id), default=None)


def last_ended(user: User, rotation_id: str, now: datetime) -> datetime | None:
    """When ``user`` last finished serving the rotation by ``now``: the latest end at or
    before ``now`` among their task events there, or their floor when later (None: never).

    Unlike ``LastServed`` (which counts shifts they are assigned to), this is what
    people mean by "last served".
    """
    ends = [
        e.finish
        for e in user.calendar
        if e.reason == REASON_TASK and e.rotation_id == rotation_id and e.finish <= now
    ]
    floor = served_floor_of(user, rotation_id)
    if 0 < floor <= now.timestamp():
        ends.append(datetime.fromtimestamp(floor, tz=UTC))
    return max(ends, default=None)


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
