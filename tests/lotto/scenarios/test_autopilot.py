"""The autopilot worked example of docs/design.md §4, run day by day with the pinned reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.lotto.commands.helpers import TWO_AUTOPILOT_ROTATIONS, Script

UTC = UTC
# The worked example's eight users and its full autopilot settings.
TEST_USERS = " ".join(f"@test-user{n}" for n in range(1, 9))
TEST_AUTOPILOT = (
    "--create --create-prior 800h --schedule --schedule-prior=100h --start-finish "
    "--remind-start --remind-start-prior=24h --remind-finish --remind-finish-prior=24h"
)
STEPS = [
    "finish reminder",
    "finish",
    "create shift",
    "fill and schedule",
    "start reminder",
    "start",
]


def _la(when: str) -> str:
    """A Los Angeles wall-clock time as replies show it: named, in the reader's zone (issue 8)."""
    from lotto.commands.render import fmt_when
    from lotto.model.timeutil import parse_time

    return fmt_when(parse_time(when, "America/Los_Angeles"), "America/Los_Angeles")


def _report(when: str, **lines: str) -> str:
    out = [f"@test-user ran autopilot on TEST for {_la(when)}."]
    for step in STEPS:
        out.append(lines.get(step.replace(" ", "_"), f"  - {step}: nothing to do"))
    return "\n".join(out)


def _filled(s: Script, task_id: str) -> str:
    users = s.run(f"task show {task_id}").data.task.mattermost_user_ids
    assert len(users) == 2
    # Words (issue 8): a shift is a shift, counts agree, no `(none)` after names.
    who = ", ".join(f"@{u}" for u in users)
    return (
        f"  - fill and schedule: processed 1 shift:\n"
        f"    - Auto-assigned {who} to shift {task_id}, transitioned {task_id} to scheduled"
    )


def test_autopilot_worked_example(kv):
    s = Script(kv, tz="America/Los_Angeles")
    s.multi(f"""
        rotation new TEST --beginning 2020-01-05T09:30 --period biweekly --seed 0
        rotation set task TEST --grace 400h
        rotation set require TEST --count 2
        user join TEST {TEST_USERS} --starting 2020-01-01
        rotation set autopilot TEST {TEST_AUTOPILOT}
    """)
    s.poster.reset()

    def run(when: str) -> str:
        return s.run(f"rotation autopilot TEST --now={when}").text

    def nothing(*days: str) -> None:
        for day in days:
            assert run(day) == _report(day), day

    # TEST#0 is due for scheduling already (100h before 01-05T09:30): the run that makes it
    # fills and schedules it; the original filled it one run later, on 01-02.
    text = run("2020-01-01T12:00")
    assert text == _report(
        "2020-01-01T12:00",
        create_shift="  - create shift: created 3 shifts:\n"
        "    - created shift TEST#0\n    - created shift TEST#1\n    - created shift TEST#2",
        fill_and_schedule=_filled(s, "TEST#0"),
    )
    for n, start in enumerate(["2020-01-05", "2020-01-19", "2020-02-02"]):
        task = s.run(f"task show TEST#{n}").data.task
        assert task.state == ("scheduled" if n == 0 else "pending")
        assert task.expected_start == datetime.fromisoformat(start + "T17:30+00:00")
        assert task.expected_duration == timedelta(hours=336)
        assert task.grace == timedelta(hours=400)
        assert task.actual_start is None and task.actual_finish is None
    assert not s.try_("task show TEST#3").ok
    nothing("2020-01-02T12:00")
    nothing("2020-01-03T12:00")

    s.poster.reset()
    assert run("2020-01-04T12:00") == _report(
        "2020-01-04T12:00", start_reminder="  - start reminder: messaged 2 users of 1 shift"
    )
    test0 = s.run("task show TEST#0").data.task
    assert sorted(uid for uid, _ in s.poster.sent) == sorted(test0.mattermost_user_ids)
    assert all("**TEST#0**" in text for _, text in s.poster.sent)

    assert run("2020-01-05T12:00") == _report("2020-01-05T12:00", start="  - started: 1 shift")
    test0 = s.run("task show TEST#0").data.task
    assert test0.state == "started"
    assert test0.actual_start == datetime(2020, 1, 5, 20, tzinfo=UTC)
    assert test0.autopilot_reminded_start and not test0.autopilot_reminded_finish

    nothing(*(f"2020-01-{d:02}" for d in range(6, 15)))
    assert run("2020-01-15") == _report(
        "2020-01-15", create_shift="  - create shift: created 1 shift:\n    - created shift TEST#3"
    )
    assert s.run("task show TEST#3").data.task.expected_start == datetime(
        2020, 2, 16, 17, 30, tzinfo=UTC
    )
    assert not s.try_("task show TEST#4").ok

    assert run("2020-01-16") == _report("2020-01-16", fill_and_schedule=_filled(s, "TEST#1"))
    nothing("2020-01-17", "2020-01-18")
    assert run("2020-01-19") == _report(
        "2020-01-19",
        finish_reminder="  - finish reminder: messaged 2 users of 1 shift",
        start_reminder="  - start reminder: messaged 2 users of 1 shift",
    )
    assert run("2020-01-20") == _report(
        "2020-01-20", finish="  - finished: 1 shift", start="  - started: 1 shift"
    )
    test0 = s.run("task show TEST#0").data.task
    assert test0.state == "finished"
    assert test0.actual_start == datetime(2020, 1, 5, 20, tzinfo=UTC)
    assert test0.actual_finish == datetime(2020, 1, 20, 8, tzinfo=UTC)
    assert test0.autopilot_reminded_finish
    test1 = s.run("task show TEST#1").data.task
    assert test1.state == "started" and test1.actual_start == datetime(2020, 1, 20, 8, tzinfo=UTC)

    nothing(*(f"2020-01-{d:02}" for d in range(20, 29)))
    assert run("2020-01-29") == _report(
        "2020-01-29", create_shift="  - create shift: created 1 shift:\n    - created shift TEST#4"
    )
    assert s.run("task show TEST#4").data.task.expected_start == datetime(
        2020, 3, 1, 17, 30, tzinfo=UTC
    )
    assert run("2020-01-30") == _report("2020-01-30", fill_and_schedule=_filled(s, "TEST#2"))
    nothing("2020-01-31", "2020-02-01")


def test_autopilot_not_configured_and_autopilot_all(kv):
    from lotto.commands import autopilot_all

    s = Script(kv, tz="America/Los_Angeles")
    s.multi("""
        rotation new A --beginning 2020-01-05
        rotation new B --beginning 2020-01-05
        rotation set autopilot B --create --create-prior 100h
    """)
    text = s.run("rotation autopilot A --now 2020-01-02").text
    assert text == "\n".join(
        ["@test-user ran autopilot on A for Thu 2 Jan 2020 00:00 PST."]
        + [f"  - {step}: not configured" for step in STEPS]
    )
    outs = autopilot_all(s.env, datetime(2020, 1, 2, 8, tzinfo=UTC))
    assert [o.ok for o in outs] == [True, True]
    # The timer has no reader: UTC, named.
    assert outs[0].text.splitlines()[0] == "autopilot ran on A for Thu 2 Jan 2020 08:00 UTC."
    assert "    - created shift B#0" in outs[1].text.splitlines()


def test_autopilot_all_goes_on_after_a_failing_rotation(kv):
    from lotto.commands import autopilot_all

    s = Script(kv)
    s.multi(
        TWO_AUTOPILOT_ROTATIONS
        + """
    """
    )
    assert all(o.ok for o in autopilot_all(s.env, datetime(2020, 1, 2, tzinfo=UTC)))
    s.poster.reset()
    failed, done = autopilot_all(s.env, datetime(2020, 1, 8, tzinfo=UTC))
    # The run of A is committed and reported, its unfillable shift named; the outcome is
    # not ok so the shim logs it as an error.
    assert not failed.ok and failed.text.startswith(
        "autopilot ran on A for Wed 8 Jan 2020 00:00 UTC."
    )
    assert (
        "\n    - failed to fill task A#0: " in failed.text
        and ": insufficient; A#0 stays pending\n" in failed.text
    )
    assert done.ok and "Auto-assigned @bob to shift B#0, transitioned B#0 to scheduled" in done.text
    assert s.run("task show A#0").data.task.state == "pending"
    # A's owner (its creator) is alerted that A#0 could not be filled; bob
    # gets the scheduled DM for B#0.
    assert [uid for uid, _ in s.poster.sent] == ["test-user", "bob"]
    assert s.poster.sent[0][1].startswith("#### Alert: shift **A#0** could not be filled")


def test_a_pending_shift_that_has_ended_is_listed_as_skipped(kv):
    from lotto.commands import autopilot_all

    s = Script(kv, tz="America/Los_Angeles")
    s.multi("""
        rotation new A --beginning 2020-01-06T09:00 --period weekly
        user join A @ann
        rotation set autopilot A --create --create-prior 100h --schedule --schedule-prior 48h
    """)
    # Made before it is due for scheduling (from 01-04T09:00), so it stays pending.
    assert "    - created shift A#0" in s.run("rotation autopilot A --now 2020-01-02T12:00").text
    # Nobody ran the autopilot while A#0 (01-06T09:00 to 01-13T09:00) was due.
    skipped = (
        "    - skipped A#0: it ended at Mon 13 Jan 2020 09:00 PST before it could be filled; "
        "it stays pending"
    )
    assert s.run("rotation autopilot A --now 2020-01-14T10:00").text == "\n".join(
        [
            "@test-user ran autopilot on A for Tue 14 Jan 2020 10:00 PST.",
            "  - finish reminder: not configured",
            "  - finish: not configured",
            "  - create shift: created 1 shift:",
            "    - created shift A#1",
            "  - fill and schedule: processed 2 shifts:",
            skipped,
            # A#1 (from 01-13T09:00) is already due: filled by the run that makes it.
            "    - Auto-assigned @ann to shift A#1, transitioned A#1 to scheduled",
            "  - start reminder: not configured",
            "  - start: not configured",
        ]
    )
    # The timer's run: not a failure (the shim logs failed outcomes as errors), listed again.
    (out,) = autopilot_all(s.env, datetime(2020, 1, 15, 18, tzinfo=UTC))
    assert out.ok, out.text
    assert (
        "    - skipped A#0: it ended at Mon 13 Jan 2020 17:00 UTC before it could be filled; "
        "it stays pending" in out.text
    )
    assert "Auto-assigned" not in out.text
    assert s.run("task show A#0").data.task.state == "pending"
    assert s.run("task show A#1").data.task.state == "scheduled"
