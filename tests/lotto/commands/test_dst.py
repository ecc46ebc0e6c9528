"""Daylight-saving changes through the command layer: shifts keep their local wall-clock start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.lotto.commands.helpers import Script

UTC = UTC


def _shift(s: Script, rid: str, n: int):
    return s.run(f"task new shift {rid} --number {n}").data.task


def test_weekly_berlin_across_the_october_fall_back(kv_memory):
    s = Script(kv_memory, tz="Europe/Berlin")  # the rotation's zone defaults to its creator's
    s.run("rotation new B --beginning 2020-10-15T09:00 --period weekly")
    starts = [_shift(s, "B", n) for n in range(3)]
    assert [t.expected_start for t in starts] == [
        datetime(2020, 10, 15, 7, tzinfo=UTC),  # 09:00 CEST
        datetime(2020, 10, 22, 7, tzinfo=UTC),
        datetime(2020, 10, 29, 8, tzinfo=UTC),  # 09:00 CET, after 2020-10-25
    ]
    assert [t.expected_duration for t in starts] == [
        timedelta(hours=168),
        timedelta(hours=169),
        timedelta(hours=168),
    ]
    s.run("user join B @ann")
    s.run("task assign B#2 @ann")
    s.poster.reset()
    s.run("task schedule B#2")
    ((uid, dm),) = s.poster.sent
    assert uid == "ann" and "from 2020-10-29T09:00 to 2020-11-05T09:00 (Europe/Berlin)" in dm


def test_daily_new_york_across_the_march_spring_forward_made_by_autopilot(kv_memory):
    s = Script(kv_memory)  # acting user in UTC; the rotation follows New York's clock
    s.multi("""
        rotation new NY --beginning 2020-03-06T09:00EST --period daily --timezone America/New_York
        rotation set autopilot NY --create --create-prior 96h
    """)
    out = s.run("rotation autopilot NY --now 2020-03-06T15:00")
    assert "created 5 shifts" in out.text  # every start before now + 96h
    tasks = [s.run(f"task show NY#{n}").data.task for n in range(5)]
    assert [t.expected_start for t in tasks] == [
        datetime(2020, 3, 6, 14, tzinfo=UTC),  # 09:00 EST
        datetime(2020, 3, 7, 14, tzinfo=UTC),
        datetime(2020, 3, 8, 13, tzinfo=UTC),  # 09:00 EDT, clocks went forward at 02:00
        datetime(2020, 3, 9, 13, tzinfo=UTC),
        datetime(2020, 3, 10, 13, tzinfo=UTC),
    ]
    assert [t.expected_duration for t in tasks] == [
        timedelta(hours=24),
        timedelta(hours=23),
        timedelta(hours=24),
        timedelta(hours=24),
        timedelta(hours=24),
    ]
    assert "NY#5" not in s.run("rotation show NY").text


def test_a_beginning_without_zone_is_on_the_clock_given_by_timezone(kv_memory):
    s = Script(kv_memory)  # acting user in UTC
    out = s.run(
        "rotation new SET --beginning 2019-01-16 --period monthly --timezone America/Los_Angeles"
    )
    assert out.data.rotation.fill_settings.beginning == datetime(2019, 1, 16, 8, tzinfo=UTC)
    assert out.text == (
        "Created rotation **SET**: shifts monthly from 2019-01-16 on the "
        "America/Los_Angeles clock (2019-01-16T08:00 UTC)."
    )
    # An explicit zone still wins, and without --timezone the acting user's zone applies.
    out = s.run("rotation new A --beginning 2019-01-16T09:00EST --timezone America/Los_Angeles")
    assert out.data.rotation.fill_settings.beginning == datetime(2019, 1, 16, 14, tzinfo=UTC)
    out = s.run("rotation new B --beginning 2019-01-16")
    assert out.data.rotation.fill_settings.beginning == datetime(2019, 1, 16, tzinfo=UTC)
    assert out.text == "Created rotation **B**: shifts weekly from 2019-01-16 UTC."
