"""Calendar helpers: overlap, ordering, per-task and per-rotation views."""

from __future__ import annotations

from datetime import UTC, datetime

from lotto.model.availability import (
    REASON_GRACE,
    REASON_PERSONAL,
    REASON_TASK,
    Event,
    add_events,
    clear_personal,
    for_rotation,
    overlapping,
    without_task,
)

UTC = UTC


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2020, 3, day, hour, tzinfo=UTC)


PERSONAL = Event(start=t(10), finish=t(12), reason=REASON_PERSONAL)
ICE_TASK = Event(start=t(5), finish=t(6), reason=REASON_TASK, task_id="ICE#1", rotation_id="ICE")
ICE_GRACE = Event(start=t(6), finish=t(20), reason=REASON_GRACE, task_id="ICE#1", rotation_id="ICE")
SET_TASK = Event(start=t(3), finish=t(4), reason=REASON_TASK, task_id="SET#0", rotation_id="SET")


def test_overlapping_is_half_open_and_ignores_reason_and_rotation():
    cal = [SET_TASK, ICE_TASK, ICE_GRACE, PERSONAL]
    assert overlapping(cal, t(11), t(13)) == [ICE_GRACE, PERSONAL]
    assert overlapping(cal, t(12), t(13)) == [ICE_GRACE]  # PERSONAL ends at 12: touching only
    assert overlapping(cal, t(4), t(5)) == []  # between SET#0 and ICE#1
    assert overlapping(cal, t(1), t(28)) == cal
    assert overlapping(cal, t(20), t(21)) == []


def test_add_events_sorts_by_start_and_skips_duplicates_without_mutating():
    cal = [PERSONAL]
    merged = add_events(cal, [ICE_GRACE, SET_TASK, ICE_TASK, PERSONAL])
    assert merged == [SET_TASK, ICE_TASK, ICE_GRACE, PERSONAL]
    assert cal == [PERSONAL]
    assert add_events([], []) == []


def test_without_task_removes_task_and_grace_only_of_that_task():
    cal = [SET_TASK, ICE_TASK, ICE_GRACE, PERSONAL]
    assert without_task(cal, "ICE#1") == [SET_TASK, PERSONAL]
    assert without_task(cal, "ICE#9") == cal


def test_clear_personal_keeps_task_events():
    other = Event(start=t(25), finish=t(26))
    cal = [SET_TASK, ICE_TASK, ICE_GRACE, PERSONAL, other]
    assert clear_personal(cal, t(1), t(15)) == [SET_TASK, ICE_TASK, ICE_GRACE, other]
    assert clear_personal(cal, t(1), t(31)) == [SET_TASK, ICE_TASK, ICE_GRACE]


def test_for_rotation_does_not_fall_through():
    # docs/design.md §6 regression: the original matched every event for any rotation.
    cal = [SET_TASK, ICE_TASK, ICE_GRACE, PERSONAL]
    assert for_rotation(cal, "ICE") == [ICE_TASK, ICE_GRACE]
    assert for_rotation(cal, "SET") == [SET_TASK]
    assert for_rotation(cal, "NOPE") == []
    assert for_rotation(cal, "") == []
