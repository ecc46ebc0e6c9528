"""The autopilot worked example of docs/design.md §4, day by day, with the report texts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lotto import api
from lotto.commands.render import autopilot_report, fmt_when
from lotto.model.record import decode
from lotto.model.task import Task
from lotto.model.timeutil import format_time, parse_time
from tests.lotto.service.helpers import make_service, ref

TZ = "America/Los_Angeles"
ACTOR = "test-user"
MEMBERS = [f"test-user{i}" for i in range(1, 9)]


def render(result: api.AutopilotResult) -> str:
    """The report as the command layer renders it from the result's structured data."""
    return autopilot_report(result, f"@{ACTOR}", TZ, lambda uid: f"@{uid}")


def _header_time(when: str) -> str:
    """The run's time as the report shows it: in the reader's zone, named (issue 8)."""
    return fmt_when(t(when), TZ)


def nothing(when: str) -> str:
    return (
        f"@{ACTOR} ran autopilot on TEST for {_header_time(when)}.\n"
        "  - finish reminder: nothing to do\n"
        "  - finish: nothing to do\n"
        "  - create shift: nothing to do\n"
        "  - fill and schedule: nothing to do\n"
        "  - start reminder: nothing to do\n"
        "  - start: nothing to do"
    )


def report(
    *,
    when: str,
    finish="nothing to do",
    remind_finish="nothing to do",
    create="nothing to do",
    fill="nothing to do",
    remind_start="nothing to do",
    start="start: nothing to do",
) -> str:
    return "\n".join(
        [
            f"@{ACTOR} ran autopilot on TEST for {_header_time(when)}.",
            f"  - finish reminder: {remind_finish}",
            f"  - {finish}" if finish.startswith("finished") else f"  - finish: {finish}",
            f"  - create shift: {create}",
            f"  - fill and schedule: {fill}",
            f"  - start reminder: {remind_start}",
            f"  - {start}",
        ]
    )


def t(text: str):
    return parse_time(text, TZ)


@pytest.fixture
def setup(kv):
    svc = make_service(kv, tz=TZ)
    now = t("2019-12-31T12:00")
    svc.rotation_new(
        api.RotationNewRequest(
            name="TEST",
            task_type="shift",
            beginning=t("2020-01-05T09:30"),
            period="biweekly",
            seed=873647632,
        ),
        actor_id=ACTOR,
        now=now,
    )
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("TEST"), grace=timedelta(hours=400)),
        actor_id=ACTOR,
        now=now,
    )
    svc.rotation_set_require(
        api.RotationSetRequireRequest(rotation=ref("TEST"), skill="any", level=0, count=2),
        actor_id=ACTOR,
        now=now,
    )
    h = timedelta(hours=1)
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("TEST"),
            create=True,
            create_prior=800 * h,
            schedule=True,
            schedule_prior=100 * h,
            start_finish=True,
            remind_start=True,
            remind_start_prior=24 * h,
            remind_finish=True,
            remind_finish_prior=24 * h,
        ),
        actor_id=ACTOR,
        now=now,
    )
    svc.user_join(
        api.UserJoinRequest(rotation=ref("TEST"), user_ids=MEMBERS, starting=t("2020-01-01")),
        actor_id=ACTOR,
        now=now,
    )
    return svc, kv


def task_of(kv, task_id: str) -> Task:
    raw = kv.get(f"task:{task_id}")
    assert raw is not None, task_id
    return decode(Task, raw)


def test_worked_example_day_by_day(setup):
    svc, kv = setup
    fills: dict[str, list[str]] = {}
    reminded: dict[str, list[str]] = {}

    def run(when: str, expected: str | None = None) -> api.AutopilotResult:
        result = svc.rotation_autopilot(
            api.RotationAutopilotRequest(rotation=ref("TEST")), actor_id=ACTOR, now=t(when)
        )
        assert svc.stats.round_trips <= 3, when
        for step in result.steps:
            for f in step.fills:
                fills[f.task_id] = f.added_user_ids
        for n in result.notices:
            reminded.setdefault(f"{n.kind}:{n.task_id}", []).append(n.user_id)
        text = render(result)
        if expected is None:
            expected = nothing(when)
        elif "{" in expected:
            expected = expected.format(
                **{k.replace("#", ""): _names(v, result) for k, v in fills.items()}
            )
        assert text == expected, when
        return result

    # TEST#0 is due for scheduling already on 01-01 (100h before 01-05T09:30): the run
    # that makes it fills and schedules it (the original waited for the next run).
    run(
        "2020-01-01T12:00",
        report(
            when="2020-01-01T12:00",
            create="created 3 shifts:\n"
            "    - created shift TEST#0\n    - created shift TEST#1\n    - created shift TEST#2",
            fill="processed 1 shift:\n"
            "    - Auto-assigned {TEST0} to shift TEST#0, transitioned TEST#0 to scheduled",
        ),
    )
    for n, start in enumerate(["2020-01-05T17:30", "2020-01-19T17:30", "2020-02-02T17:30"]):
        task = task_of(kv, f"TEST#{n}")
        assert task.state == ("scheduled" if n == 0 else "pending")
        assert task.actual_start is None and task.actual_finish is None
        assert not task.autopilot_reminded_start and not task.autopilot_reminded_finish
        assert task.expected_duration == timedelta(hours=336)
        assert format_time(task.expected_start) == start
        assert task.grace == timedelta(hours=400)
    assert kv.get("task:TEST#3") is None
    task0 = task_of(kv, "TEST#0")
    assert len(set(fills["TEST#0"])) == 2
    assert set(task0.mattermost_user_ids) == set(fills["TEST#0"]) <= set(MEMBERS)
    run("2020-01-02T12:00")
    run("2020-01-03T12:00")
    run(
        "2020-01-04T12:00",
        report(when="2020-01-04T12:00", remind_start="messaged 2 users of 1 shift"),
    )
    assert sorted(reminded["remind_start:TEST#0"]) == sorted(fills["TEST#0"])
    run("2020-01-05T12:00", report(when="2020-01-05T12:00", start="started: 1 shift"))
    task0 = task_of(kv, "TEST#0")
    assert task0.state == "started" and format_time(task0.actual_start) == "2020-01-05T20:00"
    assert (
        task0.actual_finish is None
        and task0.autopilot_reminded_start
        and not task0.autopilot_reminded_finish
    )
    for day in range(6, 15):
        run(f"2020-01-{day:02d}")
    run(
        "2020-01-15",
        report(when="2020-01-15", create="created 1 shift:\n    - created shift TEST#3"),
    )
    assert format_time(task_of(kv, "TEST#3").expected_start) == "2020-02-16T17:30"
    assert kv.get("task:TEST#4") is None
    run(
        "2020-01-16",
        report(
            when="2020-01-16",
            fill="processed 1 shift:\n"
            "    - Auto-assigned {TEST1} to shift TEST#1, transitioned TEST#1 to scheduled",
        ),
    )
    # Grace: the users of TEST#0 are busy until well after TEST#1, so TEST#1 gets others.
    assert not set(fills["TEST#1"]) & set(fills["TEST#0"])
    run("2020-01-17")
    run("2020-01-18")
    run(
        "2020-01-19",
        report(
            when="2020-01-19",
            remind_finish="messaged 2 users of 1 shift",
            remind_start="messaged 2 users of 1 shift",
        ),
    )
    run(
        "2020-01-20",
        report(when="2020-01-20", finish="finished: 1 shift", start="started: 1 shift"),
    )
    task0, task1 = task_of(kv, "TEST#0"), task_of(kv, "TEST#1")
    assert task0.state == "finished"
    assert format_time(task0.actual_start) == "2020-01-05T20:00"
    assert format_time(task0.actual_finish) == "2020-01-20T08:00"
    assert task0.autopilot_reminded_start and task0.autopilot_reminded_finish
    assert task1.state == "started" and format_time(task1.actual_start) == "2020-01-20T08:00"
    assert (
        task1.actual_finish is None
        and task1.autopilot_reminded_start
        and not task1.autopilot_reminded_finish
    )
    for day in range(20, 29):
        run(f"2020-01-{day:02d}")
    run(
        "2020-01-29",
        report(when="2020-01-29", create="created 1 shift:\n    - created shift TEST#4"),
    )
    assert format_time(task_of(kv, "TEST#4").expected_start) == "2020-03-01T17:30"
    run(
        "2020-01-30",
        report(
            when="2020-01-30",
            fill="processed 1 shift:\n"
            "    - Auto-assigned {TEST2} to shift TEST#2, transitioned TEST#2 to scheduled",
        ),
    )
    run("2020-01-31")
    run("2020-02-01")


def _names(user_ids, result) -> str:
    """Auto-assigned users as the report shows them (members have no skills here)."""
    return ", ".join(f"@{u}" for u in user_ids)


def test_notices_of_a_run(setup):
    # The run that makes TEST#0 (already due) schedules it and tells its people at once.
    svc, _ = setup
    result = svc.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("TEST")),
        actor_id=ACTOR,
        now=t("2020-01-01T12:00"),
    )
    scheduled = [n for n in result.notices if n.kind == "scheduled"]
    assert sorted(n.user_id for n in scheduled) == sorted(result.steps[3].fills[0].added_user_ids)
    assert all(
        n.task_id == "TEST#0" and n.actor_id == ACTOR and n.task.state == "scheduled"
        for n in scheduled
    )
    assert scheduled[0].start == t("2020-01-05T09:30")


def test_steps_not_configured(kv):
    svc = make_service(kv, tz=TZ)
    svc.rotation_new(api.RotationNewRequest(name="OFF"), actor_id=ACTOR, now=t("2020-01-01"))
    result = svc.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("OFF")), actor_id=ACTOR, now=t("2020-01-02")
    )
    assert [s.name for s in result.steps] == list(api.AUTOPILOT_STEPS)
    assert not any(s.configured for s in result.steps)
    assert render(result).endswith("  - start: not configured")


def test_ticket_rotation_is_never_auto_created(kv):
    svc = make_service(kv, tz=TZ)
    svc.rotation_new(
        api.RotationNewRequest(name="TK", task_type="ticket"), actor_id=ACTOR, now=t("2020-01-01")
    )
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("TK"), create=True, create_prior=timedelta(days=30)
        ),
        actor_id=ACTOR,
        now=t("2020-01-01"),
    )
    result = svc.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("TK")), actor_id=ACTOR, now=t("2020-01-02")
    )
    create = result.steps[2]
    assert create.skipped_reason and not create.task_ids
    assert result.rotation.task_ids == []


def test_a_failed_fill_is_reported_and_the_run_goes_on(setup):
    # The original aborted the whole run on a failed fill; an unfillable shift must
    # not keep the running one from finishing or the next from being reminded.
    svc, kv = setup

    def run(when):
        return svc.rotation_autopilot(
            api.RotationAutopilotRequest(rotation=ref("TEST")), actor_id=ACTOR, now=t(when)
        )

    for day in ("2020-01-01T12:00", "2020-01-02T12:00", "2020-01-05T12:00"):
        run(day)
    busy = [u for u in MEMBERS if u not in task_of(kv, "TEST#0").mattermost_user_ids]
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=busy, start=t("2020-01-18"), finish=t("2020-02-03")),
        actor_id=ACTOR,
        now=t("2020-01-05T12:00"),
    )
    result = run("2020-01-19")
    fill = result.steps[3]
    assert fill.task_ids == ["TEST#1"] and fill.fills[0].added_user_ids == []
    assert fill.fills[0].error.startswith("failed to fill task TEST#1: ")
    assert fill.fills[0].error.endswith(": insufficient") and fill.fills[0].state == "pending"
    assert result.steps[0].task_ids == ["TEST#0"]  # the finish reminder still went out
    assert task_of(kv, "TEST#0").autopilot_reminded_finish
    task1 = task_of(kv, "TEST#1")
    assert task1.state == "pending" and task1.mattermost_user_ids == []
    result = run("2020-01-20")
    assert result.steps[1].task_ids == ["TEST#0"] and task_of(kv, "TEST#0").state == "finished"
    assert result.steps[5].task_ids == [] and task_of(kv, "TEST#1").state == "pending"


#: A run that makes TEST#0..#2 before any is due for scheduling (TEST#0 is due from
#: 2020-01-01T05:30, 100h before its start), so they stay pending.
BEFORE_DUE = "2019-12-31T12:00"


def _run(svc, when: str) -> api.AutopilotResult:
    return svc.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("TEST")), actor_id=ACTOR, now=t(when)
    )


def test_a_pending_shift_that_has_ended_is_skipped_not_filled(setup):
    # Nobody runs the autopilot while TEST#0 (01-05T09:30 to 01-19T09:30) is due.
    svc, kv = setup
    _run(svc, BEFORE_DUE)
    for when, others in (
        ("2020-01-20T12:00", ["TEST#1"]),
        ("2020-01-21T12:00", []),
    ):  # listed in every run
        result = _run(svc, when)
        fill = result.steps[3]
        assert [f.task_id for f in fill.fills] == ["TEST#0", *others]
        assert fill.task_ids == others  # tried and scheduled; the skipped one was not acted on
        skipped = fill.fills[0]
        assert skipped.ended_at == t("2020-01-19T09:30") and skipped.state == "pending"
        assert not skipped.error and not skipped.added_user_ids
        assert not any(n.task_id == "TEST#0" for n in result.notices)
        task0 = task_of(kv, "TEST#0")
        assert task0.state == "pending" and task0.mattermost_user_ids == []
    assert task_of(kv, "TEST#1").state == "started"


@pytest.mark.parametrize(
    ("when", "skipped"), [("2020-01-19T09:29", False), ("2020-01-19T09:30", True)]
)
def test_a_task_ends_at_start_plus_duration(setup, when, skipped):
    svc, kv = setup
    _run(svc, BEFORE_DUE)
    fill = _run(svc, when).steps[3]
    first = fill.fills[0]
    assert first.task_id == "TEST#0" and (first.ended_at is not None) is skipped
    assert task_of(kv, "TEST#0").state == ("pending" if skipped else "scheduled")


def test_an_unfillable_shift_is_retried_until_it_ends(setup):
    # A due shift that can't be filled is a real problem (reported on every run);
    # once it has ended, it is only listed as skipped.
    svc, kv = setup
    _run(svc, BEFORE_DUE)
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=MEMBERS, start=t("2020-01-01"), finish=t("2020-02-01")),
        actor_id=ACTOR,
        now=t("2020-01-01T12:00"),
    )
    for when in ("2020-01-02T12:00", "2020-01-10T12:00", "2020-01-19T09:29"):
        first = _run(svc, when).steps[3].fills[0]
        assert first.task_id == "TEST#0" and first.error.startswith("failed to fill task TEST#0: ")
        assert first.ended_at is None
    first = _run(svc, "2020-01-19T09:30").steps[3].fills[0]
    assert first.task_id == "TEST#0" and first.ended_at == t("2020-01-19T09:30") and not first.error


def test_a_shift_made_already_due_is_filled_by_that_run_and_started_by_the_next(setup):
    # 01-06 is inside TEST#0 (from 01-05T09:30): the run makes #0 to #2, fills and
    # schedules #0 in the same unit of work, and leaves its start to the next run.
    svc, kv = setup
    result = _run(svc, "2020-01-06T12:00")
    assert svc.stats.round_trips <= 3
    create, fill, start = result.steps[2], result.steps[3], result.steps[5]
    assert create.task_ids == ["TEST#0", "TEST#1", "TEST#2"]
    assert fill.task_ids == ["TEST#0"] and len(fill.fills[0].added_user_ids) == 2
    assert start.task_ids == []
    task0 = task_of(kv, "TEST#0")
    assert task0.state == "scheduled" and task0.mattermost_user_ids == fill.fills[0].added_user_ids
    assert task_of(kv, "TEST#1").state == "pending"  # due from 01-15T13:30
    assert {n.user_id for n in result.notices if n.kind == "scheduled"} == set(
        task0.mattermost_user_ids
    )
    assert _run(svc, "2020-01-06T12:01").steps[5].task_ids == ["TEST#0"]
    assert task_of(kv, "TEST#0").state == "started"
