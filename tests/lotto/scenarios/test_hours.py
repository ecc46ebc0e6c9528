"""Issue 17, working days and hours, holidays: /lotto scripts replayed like the original's
tests. A weekday stand-up over eight weeks, and a 09:00–17:00 Mon–Fri support rotation,
both across the end of March 2027: Berlin's clocks go forward on Sunday the 28th, the month
ends on the Wednesday after, and Good Friday (26th) and Easter Monday (29th) are holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lotto.model.history import made_task_ids
from lotto.model.task import STATE_FINISHED, task_number
from lotto.model.timeutil import get_zone
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

TZ = get_zone("Europe/Berlin")
# The scripts run as at the start of 2027, a little before their shifts (SCRIPT_NOW is 2020).
SOON = datetime(2027, 1, 1, tzinfo=UTC)


def berlin(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def standup(kv_memory):
    s = Script(kv_memory, tz="Europe/Berlin", actor="lead", now=SOON)
    s.multi("""
        rotation new STANDUP --period weekdays --beginning 2027-03-01T09:30
        rotation set holidays STANDUP --country DE --subdiv BY
        user join STANDUP @anna @ben @cid @dora
        rotation set autopilot STANDUP --create --create-prior 2d --schedule --schedule-prior 1d
        rotation set autopilot STANDUP --start-finish
    """)
    return s


def test_a_weekday_standup_over_eight_weeks_has_no_weekend_shift_and_skips_holidays(standup):
    s = standup
    now = berlin(2027, 2, 27, 9, 30)
    while now < berlin(2027, 4, 26, 9, 30):  # eight weeks of mornings: start, then finish
        s.run("rotation autopilot STANDUP", now=now)
        s.run("rotation autopilot STANDUP", now=now + timedelta(minutes=10))
        now += timedelta(days=1)
    show = s.run("rotation show STANDUP --tasks all", now=now).data
    made = [t for t in show.tasks]
    rotation = show.rotation
    # Finished shifts leave TaskIDs for the rotation's finished numbers (a holiday gap is
    # closed there); the shifts made are those of the history that have a record.
    ids = [t for t in made_task_ids(rotation) if s.try_(f"task show {t}", now=now).ok]
    assert ids[-2:] == rotation.task_ids  # the open ones
    numbers = sorted(task_number(t) for t in ids)
    # Good Friday and Easter Monday are turns 19 and 20: never made; every other number is.
    assert numbers == [n for n in range(numbers[-1] + 1) if n not in (19, 20)]
    feed = s.run("rotation calendar STANDUP --now 2027-04-26T08:00").text
    assert feed.count("BEGIN:VEVENT") == len(numbers)
    starts = []
    for tid in ids:
        task = s.run(f"task show {tid}", now=now).data.task
        local = task.expected_start.astimezone(TZ)
        starts.append(local)
        assert local.weekday() < 5, tid  # no weekend shift
        assert (local.hour, local.minute) == (9, 30), tid  # CET and CEST alike
        assert task.expected_duration == timedelta(days=1) or local.date() == date(2027, 3, 27)
        if local.date() < date(2027, 4, 23):
            assert task.state == STATE_FINISHED and task.mattermost_user_ids, tid
    days = {d.date() for d in starts}
    assert date(2027, 3, 26) not in days and date(2027, 3, 29) not in days
    assert {date(2027, 3, 31), date(2027, 4, 1), date(2027, 3, 30)} <= days  # month end
    assert all(t.expected_start.astimezone(TZ).weekday() < 5 for t in made)
    # Fairness counts the shifts that exist: 37 served by four people, 9 or 10 each.
    stats = s.run("rotation stats STANDUP --since 2027-03-01 --until 2027-04-23", now=now).data
    assert stats.shifts == 37
    assert sum(m.shifts for m in stats.members) == 37
    assert max(m.shifts for m in stats.members) - min(m.shifts for m in stats.members) <= 3
    # The forecast plans working days only, and skips Ascension Day (Thu 6 May).
    fc = s.run("rotation forecast STANDUP --shifts 10 --samples 20", now=berlin(2027, 5, 3, 10))
    days = [f.start.astimezone(TZ).date() for f in fc.data.forecast.shifts]
    assert days == [
        date(2027, 5, d) for d in (3, 4, 5, 7, 10, 11, 12, 13, 14, 18)
    ]  # Ascension Day (6th), then Whit Monday (17th) skipped
    assert 48 not in [f.number for f in fc.data.forecast.shifts]


def test_rotation_show_lists_the_next_holidays_it_skips(standup):
    text = standup.run("rotation show STANDUP", now=berlin(2027, 3, 20)).text
    assert (
        "- Holidays: the public holidays of DE-BY, daily turns: skip; next skipped: "
        "Fri 26 Mar 2027 Good Friday, Mon 29 Mar 2027 Easter Monday, Thu 6 May 2027 Ascension Day"
    ) in text
    assert "- Working hours: Mon–Fri all day, Europe/Berlin time; on call only then" in text


def test_a_holidays_turn_can_not_be_made_by_hand_and_move_gives_it_to_the_next_day(standup):
    out = assert_rejected_unchanged(standup, "task new shift STANDUP --number 19")
    assert "a holiday (Good Friday)" in out.text and "--holiday-shift move" in out.text
    standup.run("rotation set holidays STANDUP --holiday-shift move")
    made = standup.run("task new shift STANDUP --number 19").data.task
    assert made.expected_start == berlin(2027, 3, 30, 9, 30)  # Tuesday after Easter, CEST


def test_bad_hours_and_holidays_are_refused_and_change_nothing(standup):
    for line in (
        "rotation set hours STANDUP --days mo-fr",
        "rotation set hours STANDUP --days mon-fri --from 09:00",
        "rotation set hours STANDUP --days mon-fri --from 9 --to 9",
        "rotation set hours STANDUP --days mon-fri --from 25:00 --to 17:00",
        "rotation set hours STANDUP --from 09:00 --to 17:00",
        "rotation set holidays STANDUP --country XX",
        "rotation set holidays STANDUP --country DE --subdiv ZZ",
        "rotation set holidays STANDUP --dates 2027-02-30",
        "rotation set holidays STANDUP",
    ):
        assert_rejected_unchanged(standup, line)


@pytest.fixture
def support(kv_memory):
    """SUPPORT: weekly from Mon 22 Mar 2027 09:00 Berlin, on call Mon–Fri 09:00–17:00."""
    s = Script(kv_memory, tz="Europe/Berlin", actor="lead", now=SOON)
    s.multi("""
        rotation new SUPPORT --beginning 2027-03-22T09:00 --period weekly
        rotation set hours SUPPORT --days mon-fri --from 09:00 --to 17:00
        user join SUPPORT @anna @ben @cid
        task new shift SUPPORT --number 0
        task assign SUPPORT#0 @anna
        task new shift SUPPORT --number 1
        task assign SUPPORT#1 @ben
        task new shift SUPPORT --number 2
        task assign SUPPORT#2 @cid
        task schedule SUPPORT#0
        task schedule SUPPORT#1
        task schedule SUPPORT#2
    """)
    return s


def now_at(s: Script, when: str) -> list[str]:
    return s.run(f"rotation now SUPPORT --now {when}").text.split("\n")[1:]


def test_support_at_three_on_a_tuesday_is_nobody_and_says_who_is_next_and_when(support):
    assert now_at(support, "2027-03-23T03:00") == [
        "- Now: nobody: outside the working hours (Mon–Fri 09:00–17:00 Europe/Berlin time)",
        "- Next: **SUPPORT#0** (scheduled) Mon 22 Mar 2027 09:00 to Mon 29 Mar 2027 09:00: "
        "@anna; on call from Tue 23 Mar 2027 09:00",
    ]
    # In the hours: who, and until when.
    assert now_at(support, "2027-03-23T16:59")[0] == (
        "- Now: **SUPPORT#0** (scheduled) Mon 22 Mar 2027 09:00 to Mon 29 Mar 2027 09:00: "
        "@anna; on call until Tue 23 Mar 2027 17:00"
    )


def test_support_over_the_dst_weekend_and_the_month_end(support):
    # Saturday night before the change: @anna's shift runs on, but Monday is @ben's.
    lines = now_at(support, "2027-03-27T23:00")
    assert lines[0].startswith("- Now: nobody: outside the working hours")
    assert "@ben; on call from Mon 29 Mar 2027 09:00" in lines[1]
    # 03:00 on Tuesday 30 March (CEST now): nobody, @ben from 09:00 on the wall clock.
    lines = now_at(support, "2027-03-30T03:00")
    assert "@ben; on call from Tue 30 Mar 2027 09:00" in lines[1]
    data = support.run("rotation now SUPPORT --now 2027-03-30T03:00").data
    assert data.next_on_call == datetime(2027, 3, 30, 7, tzinfo=UTC)
    # Wednesday 31 March 17:30, the month's last evening: next Thursday 1 April 09:00.
    assert "on call from Thu 1 Apr 2027 09:00" in now_at(support, "2027-03-31T17:30")[1]


def test_support_with_holidays_says_which_holiday_and_skips_to_the_next_working_day(support):
    support.run("rotation set holidays SUPPORT --country DE")
    lines = now_at(support, "2027-03-26T12:00")  # Good Friday, in @anna's week
    assert lines[0] == "- Now: nobody: a holiday (Good Friday) on the Europe/Berlin clock"
    # Easter Monday is a holiday too: @ben's week is on call from Tuesday, after the change.
    assert "@ben; on call from Tue 30 Mar 2027 09:00" in lines[1]
    assert "Holidays: the public holidays of DE; next skipped: Fri 26 Mar 2027 Good Friday" in (
        support.run("rotation show SUPPORT --now 2027-03-20").text
    )


def test_user_shifts_and_the_calendar_say_when_the_shift_is_on_call(support):
    text = support.run("user shifts @anna --now 2027-03-20").text
    assert (
        "  - **SUPPORT#0** (scheduled) Mon 22 Mar 2027 09:00 to Mon 29 Mar 2027 09:00: @anna "
        "(on call Mon–Fri 09:00–17:00 Europe/Berlin time)"
    ) in text
    feed = support.run("rotation calendar SUPPORT --now 2027-03-20").text
    unfolded = feed.replace("\r\n ", "")
    assert "On call: Mon–Fri 09:00–17:00 Europe/Berlin time (nobody is on call outside)" in (
        unfolded.replace("\\,", ",")
    )


def test_clearing_the_hours_puts_people_on_call_around_the_clock(support):
    out = support.run("rotation set hours SUPPORT --clear")
    assert out.text == "Rotation **SUPPORT** works every day, all day."
    assert "@anna" in now_at(support, "2027-03-23T03:00")[0]
