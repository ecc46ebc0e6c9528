"""Daylight-saving changes through the command layer: shifts keep their local wall-clock start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lotto import api
from lotto.errors import InputError
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

UTC = UTC


def _shift(s: Script, rid: str, n: int):
    # --force: these shifts are years from the scripts' now; only their times are checked.
    return s.run(f"task new shift {rid} --number {n} --force").data.task


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
    # In the reader's zone, named (issue 8).
    assert uid == "ann" and "from Thu 29 Oct 2020 09:00 CET to Thu 5 Nov 2020 09:00 CET" in dm


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
        "Created rotation **SET**: shifts monthly from Wed 16 Jan 2019 00:00 PST on the "
        "America/Los_Angeles clock (Wed 16 Jan 2019 08:00 UTC for you)."
    )
    # An explicit zone still wins, and without --timezone the acting user's zone applies.
    out = s.run("rotation new A --beginning 2019-01-16T09:00EST --timezone America/Los_Angeles")
    assert out.data.rotation.fill_settings.beginning == datetime(2019, 1, 16, 14, tzinfo=UTC)
    out = s.run("rotation new B --beginning 2019-01-16")
    assert out.data.rotation.fill_settings.beginning == datetime(2019, 1, 16, tzinfo=UTC)
    assert out.text == "Created rotation **B**: shifts weekly from Wed 16 Jan 2019 00:00 UTC."


NY = "America/New_York"


def _local_starts(s: Script, rid: str, numbers) -> list[str]:
    from lotto.model.timeutil import format_time

    return [format_time(_shift(s, rid, n).expected_start, NY) for n in numbers]


def test_a_beginning_in_the_spring_forward_gap_keeps_its_wall_clock_time(kv_memory):
    s = Script(kv_memory)  # acting user in UTC; the rotation follows New York's clock
    out = s.run(f"rotation new GAP --period weekly --beginning 2021-03-14T02:30 --timezone {NY}")
    fs = out.data.rotation.fill_settings
    # RFC 5545: a nonexistent local time takes the offset before the gap (EST): 03:30 EDT.
    assert fs.beginning == datetime(2021, 3, 14, 7, 30, tzinfo=UTC)
    assert fs.beginning_wall == "2021-03-14T02:30"
    assert out.text.endswith(
        "02:30 does not exist on 2021-03-14 in America/New_York (daylight saving skips it), "
        "so the first shift starts at 03:30 EDT; later shifts keep 02:30."
    )
    # Every other week starts at 02:30, in EDT and again in EST after the November change.
    assert _local_starts(s, "GAP", range(6)) == [
        "2021-03-14T03:30",
        "2021-03-21T02:30",
        "2021-03-28T02:30",
        "2021-04-04T02:30",
        "2021-04-11T02:30",
        "2021-04-18T02:30",
    ]
    assert [_shift(s, "GAP", n).expected_start for n in (33, 34, 35)] == [
        datetime(2021, 10, 31, 6, 30, tzinfo=UTC),  # 02:30 EDT
        datetime(2021, 11, 7, 7, 30, tzinfo=UTC),  # 02:30 EST: clocks went back at 02:00
        datetime(2021, 11, 14, 7, 30, tzinfo=UTC),
    ]
    # A year on, the gap day again skips 02:30 (2022-03-13); the next week is back at 02:30.
    assert _local_starts(s, "GAP", (52, 53)) == ["2022-03-13T03:30", "2022-03-20T02:30"]
    # Shift 0 is one hour short (03:30 to 02:30 a week later).
    shift_1 = s.run("task show GAP#1").data.task
    assert shift_1.expected_start - fs.beginning == timedelta(hours=167)


def test_a_daily_rotation_started_before_the_gap_and_one_across_fall_back(kv_memory):
    s = Script(kv_memory, tz=NY)  # the rotation's zone is its creator's
    out = s.run("rotation new D --period daily --beginning 2021-03-12T02:30")
    assert "does not exist" not in out.text
    assert _local_starts(s, "D", range(4)) == [
        "2021-03-12T02:30",
        "2021-03-13T02:30",
        "2021-03-14T03:30",  # 02:30 skipped that day: after the gap
        "2021-03-15T02:30",
    ]
    # 01:30 happens twice on 2021-11-07; the shift takes the first (EDT), as RFC 5545 does.
    s.run("rotation new F --period 1d --beginning 2021-11-05T01:30")
    assert [_shift(s, "F", n).expected_start for n in range(4)] == [
        datetime(2021, 11, 5, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime(2021, 11, 6, 5, 30, tzinfo=UTC),
        datetime(2021, 11, 7, 5, 30, tzinfo=UTC),  # 01:30 EDT, the first 01:30
        datetime(2021, 11, 8, 6, 30, tzinfo=UTC),  # 01:30 EST
    ]


def test_the_autopilot_and_task_numbers_follow_the_kept_wall_clock(kv_memory):
    s = Script(kv_memory)
    s.multi(f"""
        rotation new GAP --period weekly --beginning 2021-03-14T02:30 --timezone {NY}
        rotation set autopilot GAP --create --create-prior 2w
    """)
    # 02:45 EDT: shift 1 began at 02:30 (06:30 UTC), so the autopilot makes 1, 2 and 3.
    out = s.run("rotation autopilot GAP --now 2021-03-21T06:45")
    assert "created 3 shifts" in out.text
    tasks = [s.run(f"task show GAP#{n}").data.task for n in range(1, 4)]
    assert [t.expected_start for t in tasks] == [
        datetime(2021, 3, 21, 6, 30, tzinfo=UTC),
        datetime(2021, 3, 28, 6, 30, tzinfo=UTC),
        datetime(2021, 4, 4, 6, 30, tzinfo=UTC),
    ]
    assert s.try_("task show GAP#0").ok is False


def test_a_fixed_period_claims_no_wall_clock(kv_memory):
    s = Script(kv_memory)
    out = s.run(f"rotation new F --period 36h --beginning 2021-03-14T02:30 --timezone {NY}")
    assert out.text == (
        # Times named in the reader's zone, the rotation's first (issue 8).
        "Created rotation **F**: shifts every 1 day 12 h from Sun 14 Mar 2021 03:30 EDT "
        "(Sun 14 Mar 2021 07:30 UTC for you). 02:30 does not exist on 2021-03-14 "
        "in America/New_York (daylight saving skips it), so the first shift starts at 03:30 EDT."
    )
    starts = [_shift(s, "F", n).expected_start for n in range(3)]
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [timedelta(hours=36)] * 2
    out = s.run(f"rotation new G --period 3d --beginning 2021-03-12T09:00 --timezone {NY}")
    assert "shifts every 3 days from Fri 12 Mar 2021 09:00 EST (" in out.text
    # 72 hours later is 10:00 EDT: a fixed length keeps no wall clock.
    assert _local_starts(s, "G", (0, 1)) == ["2021-03-12T09:00", "2021-03-15T10:00"]


def test_an_explicit_offset_in_the_gap_day_is_a_moment_not_a_wall_clock(kv_memory):
    s = Script(kv_memory)
    out = s.run(f"rotation new O --beginning 2021-03-14T03:30-04:00 --timezone {NY}")
    assert out.data.rotation.fill_settings.beginning_wall == "2021-03-14T03:30"
    assert "does not exist" not in out.text
    assert _local_starts(s, "O", (0, 1)) == ["2021-03-14T03:30", "2021-03-21T03:30"]


def test_the_second_of_two_repeated_times_is_a_valid_beginning(kv_memory):
    s = Script(kv_memory)
    out = s.run(f"rotation new A --beginning 2021-11-07T01:30EST --timezone {NY} --period daily")
    fs = out.data.rotation.fill_settings
    assert fs.beginning == datetime(2021, 11, 7, 6, 30, tzinfo=UTC)  # 01:30 EST, the second
    assert fs.beginning_wall == "2021-11-07T01:30"
    assert _local_starts(s, "A", (0, 1)) == ["2021-11-07T01:30", "2021-11-08T01:30"]


def test_a_wall_clock_beginning_that_names_another_moment_is_refused(kv_memory):
    s = Script(kv_memory)
    assert_rejected_unchanged(s, "rotation new A --beginning 2021-03-14T2:30")
    req = api.RotationNewRequest(
        name="B",
        beginning=datetime(2021, 3, 14, 7, 30, tzinfo=UTC),
        time_zone=NY,
        beginning_wall="2021-03-14T09:00",
    )
    with pytest.raises(InputError, match="is not the beginning"):
        s.env.service.rotation_new(req, actor_id="test-user", now=datetime(2021, 3, 1, tzinfo=UTC))
