"""Calendar events: when a user is unavailable, and why; pure list helpers.

A calendar is a list of :class:`Event` kept sorted by start. The helpers
return new lists and never change the one they are given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lotto.model.record import Record, StoredTime
from lotto.model.timeutil import intervals_overlap

__all__ = [
    "Event",
    "REASON_TASK",
    "REASON_GRACE",
    "REASON_PERSONAL",
    "REASONS",
    "overlaps",
    "overlapping",
    "any_overlapping",
    "add_events",
    "without_task",
    "clear_personal",
    "for_rotation",
    "clashes",
    "any_clash",
]

REASON_TASK = "task"
REASON_GRACE = "grace"
REASON_PERSONAL = "personal"
REASONS = (REASON_TASK, REASON_GRACE, REASON_PERSONAL)


class Event(Record):
    """An unavailability interval ``[start, finish)`` on a user's calendar."""

    start: StoredTime
    finish: StoredTime
    reason: str = REASON_PERSONAL
    task_id: str = ""
    rotation_id: str = ""


def _key(event: Event) -> tuple[datetime, datetime]:
    return (event.start, event.finish)


def overlaps(event: Event, start: datetime, finish: datetime) -> bool:
    """True if ``event`` shares time with ``[start, finish)`` (touching ends do not overlap)."""
    return intervals_overlap(event.start, event.finish, start, finish)


def overlapping(calendar: Iterable[Event], start: datetime, finish: datetime) -> list[Event]:
    """Events of any reason and rotation that overlap ``[start, finish)``."""
    return [e for e in calendar if overlaps(e, start, finish)]


def any_overlapping(calendar: Iterable[Event], start: datetime, finish: datetime) -> bool:
    """True if any event of ``calendar`` overlaps ``[start, finish)``.

    ``bool(overlapping(...))`` without building the list; fillers ask it of
    every member on every fill. The calendar's order is not relied on.
    """
    for e in calendar:  # intervals_overlap inlined: hot
        if e.start < finish and start < e.finish:
            return True
    return False


def add_events(calendar: Iterable[Event], events: Iterable[Event]) -> list[Event]:
    """``calendar`` plus ``events`` (exact duplicates skipped), sorted by start then finish."""
    merged = list(calendar)
    for event in events:
        if event not in merged:
            merged.append(event)
    merged.sort(key=_key)  # stable: equal starts keep their order
    return merged


def without_task(calendar: Iterable[Event], task_id: str) -> list[Event]:
    """``calendar`` without the events (task and grace) of ``task_id``."""
    return [e for e in calendar if e.task_id != task_id]


def clear_personal(calendar: Iterable[Event], start: datetime, finish: datetime) -> list[Event]:
    """``calendar`` without the personal events overlapping ``[start, finish)``.

    Task and grace events stay: they belong to tasks and go with them.
    """
    return [e for e in calendar if not (e.reason == REASON_PERSONAL and overlaps(e, start, finish))]


def for_rotation(calendar: Iterable[Event], rotation_id: str) -> list[Event]:
    """The task and grace events of ``rotation_id`` only.

    The original's matcher fell through and matched every event (docs/design.md §6);
    here personal events and other rotations' events never match.
    """
    return [
        e
        for e in calendar
        if e.reason in (REASON_TASK, REASON_GRACE) and e.rotation_id == rotation_id
    ]


def clashes(
    calendar: Iterable[Event],
    start: datetime,
    finish: datetime,
    rest_until: datetime | None = None,
    *,
    task_id: str = "",
) -> list[Event]:
    """The events that keep their owner off a task over ``[start, finish)`` (docs/design.md §2).

    The one rule of who is busy or resting, used wherever a person is placed
    (fills, ``task assign``, offers and ``task take``, ``user shifts``): any event
    overlapping the task itself (time off, another task, the grace after one),
    and any *task* event within the task's own rest ``[finish, rest_until)``, so
    a shift whose grace would run into the person's next shift clashes too.
    Events of ``task_id`` (the task itself) never clash. Touching ends do not.
    """
    out = []
    for e in calendar:
        if task_id and e.task_id == task_id:
            continue
        if intervals_overlap(e.start, e.finish, start, finish) or (
            rest_until is not None
            and e.reason == REASON_TASK
            and intervals_overlap(e.start, e.finish, finish, rest_until)
        ):
            out.append(e)
    return out


def any_clash(
    calendar: Iterable[Event], start: datetime, finish: datetime, rest_until: datetime | None
) -> bool:
    """``bool(clashes(...))`` without building the list: fillers ask it of every member.

    Decided event by event (a calendar is free exactly when each of its events
    alone is), which the forecast relies on to tabulate it once per event.
    """
    # intervals_overlap inlined (no generator, no call per event): a fill asks this of
    # every member, a forecast millions of times.
    if rest_until is None or rest_until <= finish:
        for e in calendar:
            if e.start < finish and start < e.finish:
                return True
        return False
    for e in calendar:
        if e.start < finish and start < e.finish:
            return True
        if e.reason == REASON_TASK and e.start < rest_until and finish < e.finish:
            return True
    return False
