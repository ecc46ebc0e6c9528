"""Working days, hours and holidays (lotto.model.hours, lotto.model.holiday): parsing, the
working windows across daylight-saving changes and month ends, and daily shift numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotto.errors import InputError
from lotto.model import hours
from lotto.model.holiday import check_country, country_holidays, parse_dates
from lotto.model.hours import WorkingHours
from lotto.model.rotation import (
    FillSettings,
    Rotation,
    holiday_of_shift,
    shift_duration_of,
    shift_number_of,
    shift_start_of,
)
from lotto.model.timeutil import get_zone

BERLIN = "Europe/Berlin"
TZ = get_zone(BERLIN)


def local(y, mo, d, h=0, mi=0) -> datetime:
    """A Berlin wall-clock time as aware UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=TZ).astimezone(UTC)


def weekdays(start="", finish="", **kw) -> WorkingHours:
    return WorkingHours(days=[0, 1, 2, 3, 4], start=start, finish=finish, **kw)


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("Mon,Wed,Fri", [0, 2, 4]),
        ("weekdays", [0, 1, 2, 3, 4]),
        ("sat-sun", [5, 6]),
        ("fri-mon", [0, 4, 5, 6]),  # wraps over the weekend
        ("monday,tuesday", [0, 1]),
        ("every", list(range(7))),
    ],
)
def test_days_are_read_as_people_write_them(text, days):
    assert hours.parse_days(text) == days


@pytest.mark.parametrize("text", ["", "mo-fr", "funday", "mon-", "xyz,mon"])
def test_bad_days_are_refused(text):
    with pytest.raises(InputError, match="days"):
        hours.parse_days(text)


def test_clock_times_and_their_limits():
    assert hours.parse_clock("9") == "09:00"
    assert hours.parse_clock("17:30") == "17:30"
    assert hours.parse_clock("24:00", finish=True) == "24:00"
    for bad in ("24:00", "9:60", "noon", "25"):
        with pytest.raises(InputError, match="time of day"):
            hours.parse_clock(bad)


def test_days_and_hours_in_words():
    assert hours.format_days([0, 1, 2, 3, 4]) == "Mon–Fri"
    assert hours.format_days([0, 2, 4]) == "Mon, Wed, Fri"
    assert hours.format_days([0, 1, 5, 6]) == "Mon, Tue, Sat, Sun"
    assert hours.format_days([]) == "every day"
    assert hours.format_hours(weekdays("09:00", "17:00")) == "Mon–Fri 09:00–17:00"


def test_countries_and_subdivisions_are_checked_in_any_case():
    assert check_country("de", "by") == ("DE", "BY")
    assert check_country("DE") == ("DE", "")
    with pytest.raises(InputError, match="not a country"):
        check_country("XX")
    with pytest.raises(InputError, match="not a subdivision of DE: use one of BB"):
        check_country("DE", "ZZ")


def test_dates_are_sorted_without_repeats():
    assert parse_dates("2027-12-31, 2027-12-24,2027-12-31") == ["2027-12-24", "2027-12-31"]
    with pytest.raises(InputError, match="not a date"):
        parse_dates("2027-13-01")


def test_holidays_of_a_state_are_the_packages_and_cached_per_year():
    by = country_holidays("DE", "BY", 2027)
    assert by[date(2027, 3, 26)] == "Good Friday"
    assert date(2027, 1, 6) in by  # Epiphany: Bavaria's, not Berlin's
    assert date(2027, 1, 6) not in country_holidays("DE", "BE", 2027)
    before = country_holidays.cache_info().hits
    country_holidays("DE", "BY", 2027)
    assert country_holidays.cache_info().hits == before + 1


# ----------------------------------------------------------------------------- windows


def test_business_hours_windows_keep_the_wall_clock_across_spring_forward():
    # Clocks go forward on Sun 28 Mar 2027 in Berlin: 09:00 is 08:00 UTC before, 07:00 after.
    wh = weekdays("09:00", "17:00")
    got = hours.windows(wh, BERLIN, local(2027, 3, 25), local(2027, 3, 31))
    assert got == [
        (local(2027, 3, 25, 9), local(2027, 3, 25, 17)),
        (local(2027, 3, 26, 9), local(2027, 3, 26, 17)),
        (local(2027, 3, 29, 9), local(2027, 3, 29, 17)),
        (local(2027, 3, 30, 9), local(2027, 3, 30, 17)),
    ]
    assert got[0][0] == datetime(2027, 3, 25, 8, tzinfo=UTC)
    assert got[2][0] == datetime(2027, 3, 29, 7, tzinfo=UTC)


def test_whole_working_days_merge_and_a_fall_back_day_is_25_hours():
    # Clocks go back on Sun 31 Oct 2027; a Mon-Sun rule with no hours is one long window.
    wh = WorkingHours(days=[5, 6])
    (window,) = hours.windows(wh, BERLIN, local(2027, 10, 28), local(2027, 11, 2))
    assert window == (local(2027, 10, 30), local(2027, 11, 1))
    assert window[1] - window[0] == timedelta(hours=49)


def test_a_window_past_midnight_belongs_to_the_day_it_starts():
    wh = WorkingHours(days=[4], start="22:00", finish="06:00")  # Friday nights
    assert hours.on_call_at(wh, BERLIN, local(2027, 4, 3, 5))  # Saturday 05:00
    assert not hours.on_call_at(wh, BERLIN, local(2027, 4, 3, 6))
    assert not hours.on_call_at(wh, BERLIN, local(2027, 4, 1, 23))  # a Thursday night


def test_next_window_from_the_night_and_over_a_month_end_weekend():
    wh = weekdays("09:00", "17:00")
    # 03:00 on Tuesday 2 March: the window at 09:00 that day.
    assert hours.next_window(wh, BERLIN, local(2027, 3, 2, 3)) == (
        local(2027, 3, 2, 9),
        local(2027, 3, 2, 17),
    )
    # Friday 30 April after hours: Saturday 1 May is a weekend (and Labour Day), so Monday 3 May.
    wh.holiday_country = "DE"
    assert hours.next_window(wh, BERLIN, local(2027, 4, 30, 18)) == (
        local(2027, 5, 3, 9),
        local(2027, 5, 3, 17),
    )
    # Inside a window: that window.
    assert hours.next_window(wh, BERLIN, local(2027, 5, 3, 12))[0] == local(2027, 5, 3, 9)


def test_holidays_are_no_working_windows():
    wh = weekdays("09:00", "17:00", holiday_country="DE", holiday_dates=["2027-12-24"])
    assert not hours.on_call_at(wh, BERLIN, local(2027, 3, 26, 12))  # Good Friday
    assert not hours.on_call_at(wh, BERLIN, local(2027, 12, 24, 12))  # a date of our own
    assert hours.on_call_at(wh, BERLIN, local(2027, 12, 23, 12))
    assert hours.holiday_name(wh, date(2027, 12, 24)) == "holiday"
    coming = hours.upcoming_holidays(wh, date(2027, 12, 20), 3)
    # Christmas 2027 and New Year's Day 2028 fall on weekends: nothing to skip, not listed.
    assert coming == [
        (date(2027, 12, 24), "holiday"),
        (date(2028, 4, 14), "Good Friday"),
        (date(2028, 4, 17), "Easter Monday"),
    ]


def test_no_rule_is_on_call_always():
    wh = WorkingHours()
    assert not hours.is_set(wh)
    assert hours.on_call_at(wh, BERLIN, local(2027, 3, 28, 3))
    span = (local(2027, 1, 1), local(2027, 2, 1))
    assert hours.windows(wh, BERLIN, *span) == [span]


# ----------------------------------------------------------------------------- daily shifts


def standup(**working) -> Rotation:
    """Daily at 09:30 Berlin from Monday 1 March 2027, Mon-Fri (and ``working``)."""
    return Rotation(
        rotation_id="S",
        fill_settings=FillSettings(
            beginning=local(2027, 3, 1, 9, 30),
            period="daily",
            time_zone=BERLIN,
            beginning_wall="2027-03-01T09:30",
        ),
        working=WorkingHours(days=[0, 1, 2, 3, 4], **working),
    )


def day(r: Rotation, n: int) -> str:
    return shift_start_of(r, n).astimezone(TZ).strftime("%a %d %b %H:%M %Z")


def test_daily_shifts_are_on_working_days_numbered_without_gaps_over_weekends():
    r = standup()
    assert [day(r, n) for n in (0, 4, 5)] == [
        "Mon 01 Mar 09:30 CET",
        "Fri 05 Mar 09:30 CET",
        "Mon 08 Mar 09:30 CET",
    ]
    # Across the spring-forward weekend and the month end: still 09:30 on the wall clock.
    assert [day(r, n) for n in (19, 20, 22, 23)] == [
        "Fri 26 Mar 09:30 CET",
        "Mon 29 Mar 09:30 CEST",
        "Wed 31 Mar 09:30 CEST",
        "Thu 01 Apr 09:30 CEST",
    ]
    # A Friday shift lasts one day, not over the weekend; the day before the change too.
    assert shift_duration_of(r, 4) == timedelta(days=1)
    assert shift_duration_of(r, 19) == timedelta(days=1)
    assert day(r, -1) == "Fri 26 Feb 09:30 CET"


def test_skip_leaves_a_holidays_turn_unmade_and_later_days_in_place():
    r = standup(holiday_country="DE", holiday_subdiv="BY")
    assert holiday_of_shift(r, 19) == "Good Friday"
    assert holiday_of_shift(r, 20) == "Easter Monday"
    assert holiday_of_shift(r, 21) == ""
    assert day(r, 21) == "Tue 30 Mar 09:30 CEST"  # as without holidays


def test_move_counts_only_working_days_so_the_turn_moves_on():
    r = standup(holiday_country="DE", holiday_subdiv="BY", holiday_shift=hours.HOLIDAY_MOVE)
    assert [day(r, n) for n in (18, 19, 20)] == [
        "Thu 25 Mar 09:30 CET",
        "Tue 30 Mar 09:30 CEST",
        "Wed 31 Mar 09:30 CEST",
    ]
    assert not any(holiday_of_shift(r, n) for n in range(0, 60))


@given(
    n=st.integers(min_value=-400, max_value=2000),
    move=st.booleans(),
    days=st.sets(st.integers(0, 6), min_size=1),
)
def test_shift_numbers_and_starts_are_inverse(n, move, days):
    r = standup(holiday_country="DE", holiday_shift="move" if move else "skip")
    r.working.days = sorted(days)
    start = shift_start_of(r, n)
    assert shift_number_of(r, start) == n
    assert shift_number_of(r, start - timedelta(seconds=1)) == n - 1
    assert shift_start_of(r, n + 1) > start


def test_a_weekly_rotation_keeps_its_shifts_whatever_the_working_days():
    r = standup()
    r.fill_settings.period = "weekly"
    assert shift_start_of(r, 1) == local(2027, 3, 8, 9, 30)
    assert shift_duration_of(r, 3) == timedelta(days=7) - timedelta(hours=1)  # spring forward
    assert shift_duration_of(r, 4) == timedelta(days=7)
