"""Stored records (JSON round trip, PascalCase keys) and their pure helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lotto.errors import InputError, StateError
from lotto.model.availability import REASON_GRACE, REASON_PERSONAL, REASON_TASK, Event
from lotto.model.record import decode, encode
from lotto.model.rotation import (
    FillSettings,
    Rotation,
    TaskSettings,
    doubling_period,
    shift_duration_of,
    shift_number_of,
    shift_start_of,
    skipped_beginning,
)
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    Task,
    check_assignable,
    check_fillable,
    check_transition,
    new_shift,
    new_ticket,
    overlapping_tasks,
    rotation_id_of,
    shift_task_id,
    task_interval,
    task_number,
    transition,
)
from lotto.model.timeutil import format_time, parse_time
from lotto.model.user import User, mark_served, unmark_task

UTC = UTC
LA = "America/Los_Angeles"


def utc(text: str) -> datetime:
    return parse_time(text, "UTC")


def set_rotation() -> Rotation:
    return Rotation(
        rotation_id="SET",
        task_settings=TaskSettings(grace=timedelta(hours=300), require={"any": 5}),
        fill_settings=FillSettings(
            beginning=parse_time("2019-01-16", LA), period="monthly", time_zone=LA
        ),
    )


# ---- JSON --------------------------------------------------------------------


def test_rotation_round_trip_and_keys():
    r = set_rotation()
    r.mattermost_user_ids = ["u1", "u2"]
    r.task_ids = ["SET#0"]
    data = encode(r)
    assert decode(Rotation, data) == r
    obj = json.loads(data)
    assert {
        "RotationID",
        "IsArchived",
        "FillerType",
        "TaskType",
        "MattermostUserIDs",
        "TaskIDs",
        "TaskSettings",
        "FillSettings",
        "AutopilotSettings",
    } <= obj.keys()
    assert obj["FillSettings"]["TimeZone"] == LA
    assert obj["FillSettings"]["Beginning"] == "2019-01-16T08:00:00Z"
    assert obj["TaskSettings"]["Require"] == {"any": 5}
    assert "CreatePrior" in obj["AutopilotSettings"]


def test_task_and_user_round_trip_and_keys():
    task = Task(
        task_id="ICE#1",
        rotation_id="ICE",
        expected_start=utc("2020-03-12T16:00"),
        expected_duration=timedelta(minutes=30),
        require={"webapp-◉": 1},
        mattermost_user_ids=["b", "a"],
    )
    assert decode(Task, encode(task)) == task
    keys = json.loads(encode(task)).keys()
    assert {
        "TaskID",
        "RotationID",
        "State",
        "ExpectedStart",
        "ExpectedDuration",
        "ActualStart",
        "ActualFinish",
        "Grace",
        "Require",
        "Limit",
        "MattermostUserIDs",
        "Summary",
        "AutopilotRemindedStart",
        "AutopilotRemindedFinish",
    } <= keys
    user = User(mattermost_user_id="a", skill_levels={"webapp": 3}, last_served={"ICE": 1584030600})
    mark_served(user, task, Rotation(rotation_id="ICE"))
    obj = json.loads(encode(user))
    assert {"MattermostUserID", "SkillLevels", "LastServed", "Calendar"} <= obj.keys()
    assert {"Start", "Finish", "Reason", "TaskID", "RotationID"} <= obj["Calendar"][0].keys()
    assert decode(User, encode(user)) == user


def test_old_records_without_new_fields_decode_with_defaults():
    old = b'{"RotationID":"OLD","FillSettings":{"Period":"weekly","Seed":3,"Fuzz":0}}'
    r = decode(Rotation, old)
    assert r.fill_settings.time_zone == "UTC" and r.fill_settings.seed == 3
    assert r.task_settings.require == {"any": 1}


def test_an_old_rotation_without_a_wall_clock_beginning_keeps_its_beginnings_local_time():
    old = (
        b'{"RotationID":"OLD","FillSettings":{"Beginning":"2021-03-07T07:30:00Z",'
        b'"Period":"weekly","TimeZone":"America/New_York"}}'
    )
    r = decode(Rotation, old)
    assert r.fill_settings.beginning_wall == ""
    # 02:30 EST; the next week 02:30 does not exist (03:30 EDT), then 02:30 EDT again.
    starts = [format_time(shift_start_of(r, n), "America/New_York") for n in range(3)]
    assert starts == ["2021-03-07T02:30", "2021-03-14T03:30", "2021-03-21T02:30"]
    assert skipped_beginning(r) == ""
    r.fill_settings.beginning_wall = "2021-03-07T02:30"
    assert decode(Rotation, encode(r)) == r
    assert b'"BeginningWall":"2021-03-07T02:30"' in encode(r)


# ---- task helpers ------------------------------------------------------------


def make_task(**kw) -> Task:
    base = dict(
        task_id="ICE#1",
        rotation_id="ICE",
        expected_start=utc("2020-03-12T16:00"),
        expected_duration=timedelta(minutes=30),
    )
    base.update(kw)
    return Task(**base)


def test_task_interval_rules():
    task = make_task()
    assert task_interval(task) == (utc("2020-03-12T16:00"), utc("2020-03-12T16:30"))
    task.actual_start = utc("2020-03-12T17:00")
    assert task_interval(task) == (utc("2020-03-12T17:00"), utc("2020-03-12T17:30"))
    task.actual_finish = utc("2020-03-12T19:00")
    assert task_interval(task) == (utc("2020-03-12T17:00"), utc("2020-03-12T19:00"))
    assert task_interval(make_task(expected_start=None)) is None


def test_transitions_one_step_at_a_time():
    task = make_task()
    assert check_transition(task, STATE_PENDING) is False
    for bad in (STATE_STARTED, STATE_FINISHED):
        with pytest.raises(StateError, match="pending → scheduled → started → finished"):
            check_transition(task, bad)
    with pytest.raises(InputError, match="not a task state"):
        check_transition(task, "done")
    now = utc("2020-03-12T16:05")
    assert transition(task, STATE_SCHEDULED, now) and task.actual_start is None
    assert transition(task, STATE_STARTED, now) and task.actual_start == now
    assert not transition(task, STATE_STARTED, utc("2020-03-13"))
    assert task.actual_start == now
    with pytest.raises(StateError):
        transition(task, STATE_PENDING, now)
    later = utc("2020-03-12T18:00")
    assert transition(task, STATE_FINISHED, later) and task.actual_finish == later
    assert task.state == STATE_FINISHED


def test_fill_and_assign_state_checks():
    task = make_task()
    check_fillable(task)
    check_assignable(task)
    task.state = STATE_SCHEDULED
    with pytest.raises(StateError, match="only pending tasks are filled"):
        check_fillable(task)
    with pytest.raises(StateError, match="--force"):
        check_assignable(task)
    check_assignable(task, force=True)
    task.state = STATE_STARTED
    check_assignable(task, force=True)
    task.state = STATE_FINISHED
    with pytest.raises(StateError):
        check_assignable(task, force=True)


def test_assign_and_fill_checks_name_the_verb_and_the_way_out():
    task = make_task(state=STATE_FINISHED)
    with pytest.raises(StateError, match="Can not unassign from task .* not even with --force"):
        check_assignable(task, force=True, verb="unassign from")
    task.state = STATE_STARTED
    with pytest.raises(StateError, match="Can not fill task .* in state started"):
        check_fillable(task)


def test_overlapping_tasks_touching_ends_do_not_overlap():
    task = make_task()  # 16:00-16:30
    before = make_task(task_id="ICE#1", expected_start=utc("2020-03-12T15:30"))
    inside = make_task(task_id="ICE#2", expected_start=utc("2020-03-12T16:29"))
    unplaced = make_task(task_id="ICE#3", expected_start=None)
    assert overlapping_tasks(task, [before, inside, unplaced]) == ["ICE#2"]
    assert overlapping_tasks(unplaced, [task]) == []


def test_new_shift_and_ticket_copy_the_task_settings():
    rot = set_rotation()
    rot.task_settings.description = "On call."
    shift = new_shift(rot, 2)
    assert (shift.task_id, shift.expected_start) == ("SET#2", parse_time("2019-03-16", LA))
    assert (shift.description, shift.require) == ("On call.", {"any": 5})
    with pytest.raises(InputError, match="makes shifts, not tickets"):
        new_ticket(rot, "help", utc("2020-03-12"))
    rot.task_type = "ticket"
    rot.task_ids = ["SET#1"]
    ticket = new_ticket(rot, "help", utc("2020-03-12"))
    assert (ticket.task_id, ticket.summary, rot.task_settings.seq) == ("SET#2", "help", 2)
    assert ticket.expected_duration == timedelta(minutes=30)


def test_task_ids():
    assert shift_task_id("ICE", 3) == "ICE#3"
    assert rotation_id_of("ICE#3") == "ICE"
    assert rotation_id_of("A#B#2") == "A#B"
    assert task_number("ICE#3") == 3
    assert task_number("ICE#x") is None
    for bad in ("ICE", "#3", "ICE#"):
        with pytest.raises(InputError, match="not a task id"):
            rotation_id_of(bad)


# ---- user helpers --------------------------------------------------------------


def test_mark_served_set_shift_zero_task_and_grace_events():
    r = set_rotation()
    start, duration = shift_start_of(r, 0), shift_duration_of(r, 0)
    task = Task(
        task_id="SET#0",
        rotation_id="SET",
        expected_start=start,
        expected_duration=duration,
        grace=r.task_settings.grace,
    )
    personal = Event(start=utc("2019-06-01"), finish=utc("2019-06-02"), reason=REASON_PERSONAL)
    early = Event(start=utc("2018-12-01"), finish=utc("2018-12-02"), reason=REASON_PERSONAL)
    user = User(mattermost_user_id="u", calendar=[early, personal])
    mark_served(user, task, r)
    end = utc("2019-02-16T08:00")
    assert user.last_served == {"SET": int(end.timestamp())}
    assert [(e.reason, format_time(e.start), format_time(e.finish)) for e in user.calendar] == [
        (REASON_PERSONAL, "2018-12-01", "2018-12-02"),
        (REASON_TASK, "2019-01-16T08:00", "2019-02-16T08:00"),
        (REASON_GRACE, "2019-02-16T08:00", "2019-02-28T20:00"),  # 300h after the end
        (REASON_PERSONAL, "2019-06-01", "2019-06-02"),
    ]
    # Marking again (e.g. on start) replaces this task's events instead of piling up.
    task.actual_start = utc("2019-01-17")
    mark_served(user, task, r)
    assert [e.reason for e in user.calendar].count(REASON_TASK) == 1
    assert [e for e in user.calendar if e.reason == REASON_TASK][0].start == utc("2019-01-17")
    assert user.last_served["SET"] == int((utc("2019-01-17") + duration).timestamp())


def test_mark_served_without_grace_and_unmark():
    task = make_task()
    other = Event(
        start=utc("2020-01-01"),
        finish=utc("2020-01-02"),
        reason=REASON_TASK,
        task_id="ICE#0",
        rotation_id="ICE",
    )
    user = User(mattermost_user_id="u", calendar=[other])
    mark_served(user, task, Rotation(rotation_id="ICE"))
    assert [e.task_id for e in user.calendar] == ["ICE#0", "ICE#1"]
    assert user.last_served["ICE"] == int(utc("2020-03-12T16:30").timestamp())
    unmark_task(user, task)
    assert user.calendar == [other]
    # Unmarking gives back exactly the credit the task gave: ICE#0's end again.
    assert user.last_served["ICE"] == int(utc("2020-01-02").timestamp())


def test_mark_served_task_without_start_changes_nothing():
    user = User(mattermost_user_id="u")
    mark_served(user, make_task(expected_start=None), Rotation(rotation_id="ICE"))
    assert user == User(mattermost_user_id="u")


# ---- rotation helpers ------------------------------------------------------------


def test_rotation_shift_helpers():
    r = set_rotation()
    assert format_time(shift_start_of(r, 1)) == "2019-02-16T08:00"
    assert shift_duration_of(r, 1) == timedelta(hours=671)
    assert shift_number_of(r, utc("2019-03-01")) == 1
    assert doubling_period(r) == timedelta(hours=730.08)
    r.fill_settings.fuzz = 2
    assert doubling_period(r) == 3 * timedelta(hours=730.08)
    r.task_settings.duration = timedelta(hours=30)
    assert shift_duration_of(r, 1) == timedelta(hours=30)
    with pytest.raises(InputError, match="no beginning"):
        shift_start_of(Rotation(rotation_id="X"), 0)


def test_stored_times_must_carry_a_zone():
    import msgspec

    from lotto.model.availability import Event
    from lotto.model.record import decode

    aware = decode(Event, b'{"Start":"2020-01-01T09:00:00+02:00","Finish":"2020-01-01T10:00:00Z"}')
    assert aware.start.utcoffset() is not None
    with pytest.raises(msgspec.ValidationError, match="timezone"):
        decode(Event, b'{"Start":"2020-01-01T09:00:00","Finish":"2020-01-01T10:00:00Z"}')
