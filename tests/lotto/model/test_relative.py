"""Times relative to now (issue 16: the README's first commands use dates relative to today).

``parse_time(text, zone, now)`` reads ``today``, ``tomorrow 09:00``, ``next monday 09:00``
and ``+2d`` on the reader's clock; without ``now`` they stay errors, as every other
unreadable time is.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotto.errors import BadTimeError
from lotto.model.timeutil import parse_time, wall_time
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

# A Wednesday afternoon: 16:30:12 in Berlin, 10:30:12 in New York.
NOW = datetime(2026, 1, 7, 15, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "berlin"),
    [
        ("today", "2026-01-07 00:00"),
        ("tomorrow 09:00", "2026-01-08 09:00"),
        ("Tomorrow  9:00", "2026-01-08 09:00"),
        ("yesterday", "2026-01-06 00:00"),
        ("next monday 09:00", "2026-01-12 09:00"),
        ("monday", "2026-01-12 00:00"),
        ("fri 17:45", "2026-01-09 17:45"),
        # The first such day after today: on a Wednesday, "wednesday" is in a week.
        ("wednesday", "2026-01-14 00:00"),
        ("+2d", "2026-01-09 16:30"),  # to the minute
        ("+90m", "2026-01-07 18:00"),
        ("+1w 09:00", "2026-01-14 09:00"),
    ],
)
def test_relative_forms_on_the_readers_clock(text, berlin):
    from zoneinfo import ZoneInfo

    got = parse_time(text, "Europe/Berlin", NOW)
    assert got.tzinfo is UTC
    assert got.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M") == berlin


def test_the_day_depends_on_the_readers_zone():
    # 01:00 UTC on Thursday is still Wednesday evening in New York.
    late = datetime(2026, 1, 8, 1, 0, tzinfo=UTC)
    assert parse_time("tomorrow 09:00", "America/New_York", late) == datetime(
        2026, 1, 8, 14, 0, tzinfo=UTC
    )
    assert parse_time("tomorrow 09:00", "Europe/Berlin", late) == datetime(
        2026, 1, 9, 8, 0, tzinfo=UTC
    )


def test_a_wall_clock_time_across_daylight_saving_keeps_its_hour():
    # The Saturday before Europe's spring change: "tomorrow 09:00" is 09:00 CEST.
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert parse_time("tomorrow 09:00", "Europe/Berlin", saturday) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )
    assert wall_time("tomorrow 09:00", "Europe/Berlin", saturday) == "2026-03-29T09:00"


@pytest.mark.parametrize("text", ["tomorrow", "+2d", "next friday", "+", "next today", "mo"])
def test_without_now_or_malformed_they_are_clear_errors(text):
    with pytest.raises(BadTimeError) as err:
        parse_time(text, "UTC", None if text in ("tomorrow", "+2d", "next friday") else NOW)
    assert "relative to now: today, tomorrow 09:00" in err.value.message


def test_tomorrow_25_00_is_an_error():
    with pytest.raises(BadTimeError):
        parse_time("tomorrow 25:00", "UTC", NOW)


def test_a_rotation_begins_relative_to_the_commands_now(kv_memory):
    script = Script(kv_memory, tz="Europe/Berlin")
    made = script.run('rotation new ICE --period weekly --beginning "next monday 09:00"', now=NOW)
    assert "from Mon 12 Jan 2026 09:00 CET" in made.text, made.text
    # Relative times count from --now when it is given (the admin's simulated clock).
    other = script.run(
        'rotation new SET --beginning "tomorrow 10:00" --now 2020-03-04T12:00', now=NOW
    )
    assert "from Thu 5 Mar 2020 10:00 CET" in other.text, other.text


def test_a_bad_relative_time_changes_nothing(kv_memory):
    script = Script(kv_memory, tz="Europe/Berlin")
    out = assert_rejected_unchanged(
        script, 'rotation new ICE --beginning "tomorrow 24:00"', now=NOW
    )
    assert "bad value for `--beginning`" in out.text
