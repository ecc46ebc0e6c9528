"""Times, zones, durations and shift arithmetic, including DST transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotto.errors import BadTimeError, InputError
from lotto.model.timeutil import (
    average_period,
    format_duration,
    format_go_duration,
    format_time,
    get_zone,
    parse_duration,
    parse_period,
    parse_time,
    shift_duration,
    shift_number_at,
    shift_start,
    wall_exists,
    wall_time,
)

LA = "America/Los_Angeles"
UTC = UTC


def utc(text: str) -> datetime:
    return parse_time(text, "UTC")


# ---- parsing and formatting times -----------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2020-03-05T09:00PST", LA, "2020-03-05T17:00"),
        ("2020-03-05T09:00PST", "UTC", "2020-03-05T17:00"),  # abbreviation beats the zone
        ("2020-03-05T09:00", LA, "2020-03-05T17:00"),
        ("2020-07-05T09:00", LA, "2020-07-05T16:00"),
        ("2019-01-16", LA, "2019-01-16T08:00"),
        ("2019-01-16", "UTC", "2019-01-16"),
        ("2019-01-16PST", "UTC", "2019-01-16T08:00"),
        ("2020-03-05T09:00EDT", "UTC", "2020-03-05T13:00"),
        ("2020-03-05T09:00Z", LA, "2020-03-05T09:00"),
        ("2020-03-05T09:00UTC", LA, "2020-03-05T09:00"),
        ("2020-03-05T09:00JST", "UTC", "2020-03-05"),
        ("2020-03-05T09:00IST", "UTC", "2020-03-05T03:30"),  # table: India
        ("2020-07-05T09:00IST", "Europe/Dublin", "2020-07-05T08:00"),  # the zone's own IST
        ("2020-03-05T17:00:00Z", LA, "2020-03-05T17:00"),
        ("2020-03-05T09:00:00-08:00", "UTC", "2020-03-05T17:00"),
        ("2020-03-05T09:00:00.250+01:00", "UTC", "2020-03-05T08:00"),
        ("  2020-03-05T09:00  ", "UTC", "2020-03-05T09:00"),
    ],
)
def test_parse_time(text, zone, expected):
    t = parse_time(text, zone)
    assert t.tzinfo is not None and t.utcoffset() == timedelta(0)
    assert format_time(t) == expected


def test_parse_time_accepts_a_tzinfo():
    assert parse_time("2020-03-05T09:00", get_zone(LA)) == datetime(2020, 3, 5, 17, tzinfo=UTC)


def test_spring_forward_gap_moves_forward():
    # 02:30 does not exist on 2020-03-08 in Los Angeles: it becomes 03:30 PDT.
    t = parse_time("2020-03-08T02:30", LA)
    assert t == datetime(2020, 3, 8, 10, 30, tzinfo=UTC)
    assert format_time(t, LA) == "2020-03-08T03:30"


def test_fall_back_ambiguous_takes_first_occurrence():
    # 01:30 happens twice on 2020-11-01: first in PDT (08:30 UTC), then PST.
    assert parse_time("2020-11-01T01:30", LA) == datetime(2020, 11, 1, 8, 30, tzinfo=UTC)
    # An explicit abbreviation picks the occurrence.
    assert parse_time("2020-11-01T01:30PST", LA) == datetime(2020, 11, 1, 9, 30, tzinfo=UTC)
    assert parse_time("2020-11-01T01:30PDT", LA) == datetime(2020, 11, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "tomorrow",
        "2020-13-01",
        "2020-02-30",
        "2020-03-05T25:00",
        "2020-03-05T09:00XYZ",
        "2020/03/05",
        "03-05-2020",
        "2020-03-05T09",
        "2020-03-05T09:00+25:00",
        "2020-03-05T9:00",
    ],
)
def test_parse_time_rejects(text):
    with pytest.raises(BadTimeError) as err:
        parse_time(text, LA)
    assert isinstance(err.value, InputError)
    assert "2021-03-14T09:30" in str(err.value) or "abbreviation" in str(err.value)
    assert "2006" not in str(err.value) and "15:04" not in str(err.value)


def test_unknown_abbreviation_message_is_clear():
    with pytest.raises(BadTimeError, match="unknown zone abbreviation 'XYZ'"):
        parse_time("2020-03-05T09:00XYZ", "UTC")


def test_format_time_drops_midnight_and_uses_zone():
    t = datetime(2020, 3, 5, 8, 0, tzinfo=UTC)
    assert format_time(t) == "2020-03-05T08:00"
    assert format_time(t, LA) == "2020-03-05"
    assert format_time(None) == ""


def test_get_zone():
    assert str(get_zone("")) == "UTC"
    assert str(get_zone("UTC")) == "UTC"
    assert get_zone("UTC").utcoffset(datetime(2020, 1, 1)) == timedelta(0)
    assert str(get_zone(LA)) == LA
    for bad in ("Mars/Olympus", "../etc/passwd", "PST8"):
        with pytest.raises(BadTimeError, match="not a known time zone"):
            get_zone(bad)


# ---- durations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300h", timedelta(hours=300)),
        ("1h30m", timedelta(minutes=90)),
        ("90s", timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        (".5m", timedelta(seconds=30)),
        ("0", timedelta(0)),
        ("-2h", timedelta(hours=-2)),
        ("1h1m1s1ms1us", timedelta(hours=1, minutes=1, seconds=1, milliseconds=1, microseconds=1)),
        ("500µs", timedelta(microseconds=500)),
        # Go's own output, and durations as people write them.
        ("743h0m0s", timedelta(hours=743)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(hours=36)),
        ("90m", timedelta(minutes=90)),
        ("30 minutes", timedelta(minutes=30)),
        ("2 weeks", timedelta(weeks=2)),
        ("1 week", timedelta(weeks=1)),
        ("36h", timedelta(hours=36)),
        ("1d", timedelta(days=1)),
        ("1 h", timedelta(hours=1)),
        ("30 min", timedelta(minutes=30)),
        ("31 days", timedelta(days=31)),
        ("12 days 12 h", timedelta(days=12, hours=12)),
        ("1 day, 2 hours", timedelta(hours=26)),
        ("3 Hours 15 Mins", timedelta(hours=3, minutes=15)),
        ("1.5 days", timedelta(hours=36)),
        ("-1 h 30 min", timedelta(minutes=-90)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "h", "1", "1h-30m", "1.2.3h", "forever", "3000000h", "2 months", "1h30", "1 day ago"],
)
def test_parse_duration_rejects(text):
    with pytest.raises(BadTimeError) as err:
        parse_duration(text)
    if "too long" not in str(err.value):
        assert "e.g. 30 min, 90m, 36h, 1d12h, 7d or 2 weeks" in str(err.value)


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(hours=744), "744h0m0s"),
        (timedelta(minutes=30), "30m0s"),
        (timedelta(minutes=90), "1h30m0s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(milliseconds=500), "500ms"),
        (timedelta(microseconds=1500), "1.5ms"),
        (timedelta(microseconds=3), "3µs"),
        (timedelta(0), "0s"),
        (timedelta(hours=-1), "-1h0m0s"),
        (timedelta(hours=730.08), "730h4m48s"),
    ],
)
def test_format_go_duration_like_go(td, expected):
    assert format_go_duration(td) == expected


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(weeks=1), "1 week"),
        (timedelta(weeks=2), "2 weeks"),
        (timedelta(minutes=30), "30 min"),
        (timedelta(days=31), "31 days"),
        (timedelta(hours=743), "30 days 23 h"),
        (timedelta(days=12, hours=12), "12 days 12 h"),
        (timedelta(hours=36), "1 day 12 h"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=8), "8 days"),
        (timedelta(minutes=90), "1 h 30 min"),
        (timedelta(hours=730.08), "30 days 10 h 4 min 48 s"),
        (timedelta(seconds=1.5), "1.5 s"),
        (timedelta(milliseconds=500), "500 ms"),
        (timedelta(microseconds=3), "3 µs"),
        (timedelta(0), "0 min"),
        (timedelta(hours=-1), "-1 h"),
    ],
)
def test_format_duration_as_people_write_it(td, expected):
    assert format_duration(td) == expected


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_duration_round_trip(micros):
    td = timedelta(microseconds=micros)
    assert parse_duration(format_duration(td)) == td
    assert parse_duration(format_go_duration(td)) == td


# ---- periods -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", "daily"),
        ("Weekly", "weekly"),
        ("w", "weekly"),
        ("bi-weekly", "biweekly"),
        ("monthly", "monthly"),
        ("36h", "36h0m0s"),
        ("90m", "1h30m0s"),
        # Days or weeks that make a named period are that period; other lengths are fixed.
        ("1d", "daily"),
        ("7d", "weekly"),
        ("1 week", "weekly"),
        ("2w", "biweekly"),
        ("2 weeks", "biweekly"),
        ("14 days", "biweekly"),
        ("3d", "72h0m0s"),
        ("1d12h", "36h0m0s"),
        ("168h", "168h0m0s"),
        ("36h0m0s", "36h0m0s"),
    ],
)
def test_parse_period(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize("text", ["", "yearly", "0", "-1h", "-1d", "2 months"])
def test_parse_period_rejects(text):
    with pytest.raises(BadTimeError, match="not a valid period"):
        parse_period(text)


def test_average_period():
    assert average_period("daily") == timedelta(hours=24)
    assert average_period("weekly") == timedelta(hours=168)
    assert average_period("biweekly") == timedelta(hours=336)
    assert average_period("monthly") == timedelta(hours=730.08)
    assert average_period("36h") == timedelta(hours=36)


# ---- shift arithmetic (docs/design.md §2 examples) -------------------------------------


def test_weekly_ice_shift_keeps_local_time_across_dst():
    beginning = parse_time("2020-03-05T09:00PST", LA)
    assert format_time(shift_start(beginning, "weekly", LA, 0)) == "2020-03-05T17:00"
    # DST started 2020-03-08: 09:00 PDT is 16:00 UTC.
    assert format_time(shift_start(beginning, "weekly", LA, 1)) == "2020-03-12T16:00"
    assert format_time(shift_start(beginning, "weekly", LA, 1), LA) == "2020-03-12T09:00"


def test_weekly_across_fall_back():
    beginning = parse_time("2020-10-29T09:00", LA)  # PDT
    first, second = (shift_start(beginning, "weekly", LA, n) for n in (0, 1))
    assert format_time(first) == "2020-10-29T16:00"
    assert format_time(second) == "2020-11-05T17:00"  # 09:00 PST
    assert second - first == timedelta(hours=169)
    assert shift_duration(beginning, "weekly", LA, 0) == timedelta(hours=169)


def test_monthly_set_shifts_across_dst():
    beginning = parse_time("2019-01-16", LA)
    assert format_time(beginning) == "2019-01-16T08:00"
    assert format_time(shift_start(beginning, "monthly", LA, 0)) == "2019-01-16T08:00"
    assert format_time(shift_start(beginning, "monthly", LA, 1)) == "2019-02-16T08:00"
    assert format_time(shift_start(beginning, "monthly", LA, 3)) == "2019-04-16T07:00"
    assert format_duration(shift_duration(beginning, "monthly", LA, 0)) == "31 days"
    assert format_duration(shift_duration(beginning, "monthly", LA, 1)) == "27 days 23 h"
    assert shift_duration(beginning, "monthly", LA, 1, timedelta(hours=2)) == timedelta(hours=2)


def test_monthly_clamps_day_of_month_from_the_beginning():
    beginning = utc("2020-01-31")
    starts = [format_time(shift_start(beginning, "monthly", "UTC", n)) for n in range(4)]
    assert starts == ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30"]


def test_biweekly_autopilot_example():
    beginning = parse_time("2020-01-05T09:30", LA)
    assert format_time(beginning) == "2020-01-05T17:30"
    assert [format_time(shift_start(beginning, "biweekly", LA, n)) for n in range(5)] == [
        "2020-01-05T17:30",
        "2020-01-19T17:30",
        "2020-02-02T17:30",
        "2020-02-16T17:30",
        "2020-03-01T17:30",
    ]


def test_daily_start_in_a_gap_moves_forward():
    beginning = parse_time("2020-03-07T02:30", LA)
    assert format_time(shift_start(beginning, "daily", LA, 1), LA) == "2020-03-08T03:30"
    assert format_time(shift_start(beginning, "daily", LA, 2), LA) == "2020-03-09T02:30"


def test_wall_time_is_the_time_asked_for_on_the_zones_clock():
    ny = "America/New_York"
    assert wall_time("2021-03-14T02:30", ny) == "2021-03-14T02:30"  # skipped, kept as typed
    assert wall_time("2021-03-14 09:30:15", ny) == "2021-03-14T09:30:15"
    assert wall_time("2021-03-14", ny) == "2021-03-14T00:00"
    assert wall_time("2021-03-14T09:30PST", ny) == "2021-03-14T13:30"  # a moment, read in NY
    assert wall_time("2021-03-14T12:00:00Z", ny) == "2021-03-14T08:00"
    with pytest.raises(BadTimeError):
        wall_time("2021-03-14T2:30", ny)
    assert not wall_exists("2021-03-14T02:30", ny)
    assert wall_exists("2021-03-14T03:30", ny) and wall_exists("2021-11-07T01:30", ny)
    assert not wall_exists("2020-03-08T02:00", LA) and wall_exists("2020-03-08T02:00", "UTC")


def test_shifts_keep_the_wall_clock_time_given_even_if_the_beginning_was_skipped():
    ny = "America/New_York"
    beginning = parse_time("2021-03-14T02:30", ny)
    assert format_time(beginning, ny) == "2021-03-14T03:30"  # RFC 5545: 03:30 EDT
    wall = "2021-03-14T02:30"
    starts = [format_time(shift_start(beginning, "weekly", ny, n, wall), ny) for n in range(-1, 3)]
    assert starts == [
        "2021-03-07T02:30",
        "2021-03-14T03:30",
        "2021-03-21T02:30",
        "2021-03-28T02:30",
    ]
    # Without the wall-clock time (records written before) every shift stays at 03:30.
    assert format_time(shift_start(beginning, "weekly", ny, 1), ny) == "2021-03-21T03:30"
    assert shift_duration(beginning, "weekly", ny, 0, wall=wall) == timedelta(hours=167)
    t = parse_time("2021-03-21T02:45", ny)
    assert shift_number_at(beginning, "weekly", ny, t, wall) == 1
    assert shift_number_at(beginning, "weekly", ny, t) == 0
    # Monthly keeps it too; a fixed period ignores it.
    assert format_time(shift_start(beginning, "monthly", ny, 1, wall), ny) == "2021-04-14T02:30"
    assert shift_start(beginning, "36h", ny, 1, wall) - beginning == timedelta(hours=36)


@given(
    period=st.sampled_from(["daily", "weekly", "monthly", "36h"]),
    zone=st.sampled_from([LA, "Europe/Berlin", "Australia/Sydney", "America/New_York"]),
    wall=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    offset=st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)),
)
def test_shift_number_at_inverts_shift_start_with_a_wall_clock_time(period, zone, wall, offset):
    from lotto.model.timeutil import format_wall, localize

    w = format_wall(wall.replace(microsecond=0))
    b = localize(wall.replace(microsecond=0), zone)
    t = b + offset
    n = shift_number_at(b, period, zone, t, w)
    assert shift_start(b, period, zone, n, w) <= t < shift_start(b, period, zone, n + 1, w)


def test_fixed_duration_period_uses_the_shift_number():
    # docs/design.md §6: the original ignored the number for fixed-duration periods.
    beginning = utc("2020-03-07T12:00")
    starts = [shift_start(beginning, "36h", LA, n) for n in range(4)]
    assert [s - beginning for s in starts] == [timedelta(hours=36 * n) for n in range(4)]
    assert len(set(starts)) == 4
    # Absolute time: unaffected by the DST change on 2020-03-08.
    assert shift_duration(beginning, "36h", LA, 1) == timedelta(hours=36)


def test_shift_number_at():
    beginning = parse_time("2019-01-16", LA)

    def at(text):
        return shift_number_at(beginning, "monthly", LA, utc(text))

    assert at("2019-01-16T08:00") == 0
    assert at("2019-02-16T07:59") == 0
    assert at("2019-02-16T08:00") == 1
    assert at("2019-03-16T06:59") == 1
    assert at("2019-03-16T07:00") == 2
    assert at("2019-01-16T07:59") == -1
    assert at("2018-11-20") == -2


@given(
    period=st.sampled_from(["daily", "weekly", "biweekly", "monthly", "36h", "90m"]),
    zone=st.sampled_from([LA, "Europe/Berlin", "Australia/Sydney", "UTC", "Asia/Kolkata"]),
    beginning=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)),
    offset=st.timedeltas(min_value=timedelta(days=-800), max_value=timedelta(days=800)),
)
def test_shift_number_at_is_the_inverse_of_shift_start(period, zone, beginning, offset):
    b = beginning.replace(tzinfo=UTC)
    t = b + offset
    n = shift_number_at(b, period, zone, t)
    assert shift_start(b, period, zone, n) <= t < shift_start(b, period, zone, n + 1)


@pytest.mark.parametrize(
    "text, zone",
    [
        ("0001-01-01", "Asia/Tokyo"),
        ("9999-12-31T23:59", LA),
        ("0001-01-01T00:00+01:00", "UTC"),
        ("9999-12-31T23:00-05:00", "UTC"),
        ("0001-01-01T00:00JST", "UTC"),
    ],
)
def test_a_time_that_is_out_of_range_in_utc_is_a_bad_time(text, zone):
    with pytest.raises(BadTimeError, match="range"):
        parse_time(text, zone)


def test_format_time_pads_early_years_to_four_digits():
    assert format_time(datetime(1, 1, 1, 9, 5, tzinfo=UTC)) == "0001-01-01T09:05"
    assert format_time(datetime(999, 12, 31, tzinfo=UTC)) == "0999-12-31"
