"""Working days, hours and holidays of a rotation: the one home of those rules (issue 17).

A rotation with a :class:`WorkingHours` rule works only on its working days (weekdays
in ``days`` that are not holidays), and within ``start``–``finish`` on its clock on those
days (the whole day without hours). Two things follow (docs/design.md §2):

- a **daily** rotation has shifts on working days only: shift N starts on the N-th
  counted day from the beginning's day (:func:`day_of_shift`), so numbers have no gaps
  over weekends. Holidays: ``skip`` (default) counts them, so a number that falls on a
  holiday is a turn never made and later numbers keep their days when holidays are
  added; ``move`` does not count them, so numbers stay gapless and the holiday's turn
  moves to the next working day (and every later one with it);
- any shift is **on call** only within the working windows (:func:`windows`):
  outside them nobody is on call, and :func:`next_window` says when someone is again.

All times in and out are aware UTC; days and clock times are on the rotation's zone
(docs/design.md §2 "Working days, hours and holidays").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

import msgspec

from lotto.errors import InputError
from lotto.model.holiday import country_holidays
from lotto.model.record import Record
from lotto.model.timeutil import UTC, get_zone, localize

__all__ = [
    "WorkingHours",
    "HOLIDAY_SKIP",
    "HOLIDAY_MOVE",
    "is_set",
    "has_holidays",
    "parse_days",
    "parse_clock",
    "format_days",
    "format_hours",
    "format_window",
    "format_rule",
    "holiday_name",
    "is_working_day",
    "upcoming_holidays",
    "windows",
    "on_call_at",
    "next_window",
    "day_counted",
    "day_of_shift",
    "days_counted_before",
]

HOLIDAY_SKIP = "skip"
HOLIDAY_MOVE = "move"

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {"weekdays": list(range(5)), "weekends": [5, 6], "every": list(range(7))}
_CLOCK_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
# A working day comes at least once in this many days (else the rule is refused).
_MAX_SEARCH_DAYS = 800


class WorkingHours(Record):
    """When a rotation works; the defaults mean every day, all day, no holidays."""

    days: list[int] = msgspec.field(default_factory=list)  # 0 = Monday … 6; empty: every day
    start: str = ""  # "HH:MM" on the rotation's clock; "" (and finish ""): the whole day
    finish: str = ""  # "HH:MM", "24:00"; before start: the window runs past midnight
    holiday_country: str = ""  # ISO 3166 code for the holidays package ("DE")
    holiday_subdiv: str = ""  # its subdivision ("BY"), "" for the nation's holidays
    holiday_dates: list[str] = msgspec.field(default_factory=list)  # ISO dates, sorted
    holiday_shift: str = HOLIDAY_SKIP  # daily rotations: "skip" or "move" (module docstring)


def is_set(wh: WorkingHours) -> bool:
    """True if the rule restricts anything (days, hours or holidays)."""
    return bool(wh.days or wh.start or wh.holiday_country or wh.holiday_dates)


def has_holidays(wh: WorkingHours) -> bool:
    """True if the rule names holidays."""
    return bool(wh.holiday_country or wh.holiday_dates)


# ---------------------------------------------------------------------------- parsing


def _day(word: str, text: str) -> int:
    key = word.strip().lower()[:3]
    if key not in _DAY_NAMES or not word.strip().lower().startswith(key):
        raise InputError(
            f"{text!r} is not a set of days: write mon-fri, mon,wed,fri, weekdays or sat-sun.",
            days=text,
        )
    return _DAY_NAMES.index(key)


def parse_days(text: str) -> list[int]:
    """``mon-fri``, ``mon,wed,fri``, ``fri-mon`` (wraps), ``weekdays``, ``weekends``, ``every``."""
    out: set[int] = set()
    for part in (p.strip() for p in text.lower().split(",")):
        if part in _DAY_WORDS:
            out.update(_DAY_WORDS[part])
        elif "-" in part:
            first, _, last = part.partition("-")
            a, b = _day(first, text), _day(last, text)
            out.update((a + i) % 7 for i in range((b - a) % 7 + 1))
        elif part:
            out.add(_day(part, text))
    if not out:
        raise InputError("no days given: write e.g. `--days mon-fri`.", days=text)
    return sorted(out)


def parse_clock(text: str, *, finish: bool = False) -> str:
    """``9``, ``9:30``, ``17:00`` as ``HH:MM``; ``24:00`` only as a ``finish``."""
    m = _CLOCK_RE.match(text.strip())
    hour, minute = (int(m[1]), int(m[2] or 0)) if m else (-1, -1)
    ok = 0 <= hour <= 23 and 0 <= minute <= 59 or (finish and (hour, minute) == (24, 0))
    if not ok:
        raise InputError(
            f"{text!r} is not a time of day: write it like 09:00 or 17:30"
            + (" (24:00 for midnight at the end)." if finish else "."),
            time=text,
        )
    return f"{hour:02d}:{minute:02d}"


def format_days(days: list[int]) -> str:
    """``Mon–Fri``, ``Mon, Wed, Fri``, ``every day``: runs of three or more joined."""
    if not days or len(days) == 7:
        return "every day"
    runs: list[list[int]] = []
    for d in sorted(days):
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [n.capitalize() for n in _DAY_NAMES]
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}–{names[run[-1]]}")
        else:
            parts += [names[d] for d in run]
    return ", ".join(parts)


def format_hours(wh: WorkingHours) -> str:
    """``Mon–Fri 09:00–17:00`` or ``Mon–Fri`` (whole days); plain text."""
    days = format_days(wh.days)
    return f"{days} {wh.start}–{wh.finish}" if wh.start else days


def format_window(wh: WorkingHours, zone: str) -> str:
    """``Mon–Fri 09:00–17:00 Europe/Berlin time``, ``Mon–Fri all day, UTC time``; ``every
    day`` without days or hours (plain text, for replies and the calendar feed)."""
    if not (wh.days or wh.start):
        return "every day"
    span = format_hours(wh) if wh.start else f"{format_days(wh.days)} all day,"
    return f"{span} {zone or 'UTC'} time"


def format_rule(wh: WorkingHours, zone: str) -> str:
    """When someone is on call under ``wh``: :func:`format_window`, then ``not on holidays``
    if it has holidays; ``""`` without a rule."""
    parts = [format_window(wh, zone)] if wh.days or wh.start else []
    if has_holidays(wh):
        parts.append("not on holidays")
    return ", ".join(parts)


# ---------------------------------------------------------------------------- days


def holiday_name(wh: WorkingHours, day: date) -> str:
    """The holiday's name if ``day`` is one under ``wh`` (``""`` otherwise)."""
    if wh.holiday_dates and day.isoformat() in wh.holiday_dates:
        return "holiday"
    if wh.holiday_country:
        return country_holidays(wh.holiday_country, wh.holiday_subdiv, day.year).get(day, "")
    return ""


def _weekday_on(wh: WorkingHours, day: date) -> bool:
    return not wh.days or day.weekday() in wh.days


def is_working_day(wh: WorkingHours, day: date) -> bool:
    """``day``'s weekday is a working day and ``day`` is no holiday."""
    return _weekday_on(wh, day) and not holiday_name(wh, day)


def upcoming_holidays(wh: WorkingHours, first: date, count: int) -> list[tuple[date, str]]:
    """The next ``count`` holidays from ``first`` on that fall on working weekdays (a year)."""
    out: list[tuple[date, str]] = []
    day = first
    while len(out) < count and day < first + timedelta(days=366):
        name = holiday_name(wh, day) if _weekday_on(wh, day) else ""
        if name:
            out.append((day, name))
        day += timedelta(days=1)
    return out


# ---------------------------------------------------------------------------- windows


def _clock(text: str) -> timedelta:
    hours, minutes = map(int, text.split(":"))
    return timedelta(hours=hours, minutes=minutes)


def _day_window(wh: WorkingHours, tz: tzinfo, day: date) -> tuple[datetime, datetime]:
    midnight = datetime.combine(day, time())
    start, finish = (_clock(wh.start), _clock(wh.finish)) if wh.start else (_clock("0:00"), None)
    if finish is None:
        finish = timedelta(days=1)
    elif finish <= start:
        finish += timedelta(days=1)  # 22:00–06:00 runs into the next day
    return localize(midnight + start, tz), localize(midnight + finish, tz)


def windows(
    wh: WorkingHours, zone: str, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The working windows overlapping ``[since, until)``, clipped to it, touching ones merged.

    Without a rule (:func:`is_set` False) the whole span is one window.
    """
    if not is_set(wh):
        return [(since, until)] if since < until else []
    tz = get_zone(zone)
    day = since.astimezone(tz).date() - timedelta(days=1)  # a window may run past midnight
    last = until.astimezone(tz).date()
    out: list[tuple[datetime, datetime]] = []
    while day <= last:
        if is_working_day(wh, day):
            start, finish = _day_window(wh, tz, day)
            start, finish = max(start, since), min(finish, until)
            if start < finish:
                if out and out[-1][1] >= start:
                    out[-1] = (out[-1][0], max(out[-1][1], finish))
                else:
                    out.append((start, finish))
        day += timedelta(days=1)
    return out


def on_call_at(wh: WorkingHours, zone: str, t: datetime) -> bool:
    """True if ``t`` is within a working window (always, without a rule)."""
    return bool(windows(wh, zone, t, t + timedelta(microseconds=1)))


def next_window(wh: WorkingHours, zone: str, t: datetime) -> tuple[datetime, datetime] | None:
    """The working window containing ``t``, else the next one (its full span); None if
    there is none within two years."""
    if not is_set(wh):
        return (t, datetime.max.replace(tzinfo=UTC))
    tz = get_zone(zone)
    day = t.astimezone(tz).date() - timedelta(days=1)
    for _ in range(_MAX_SEARCH_DAYS):
        if is_working_day(wh, day):
            start, finish = _day_window(wh, tz, day)
            if finish > t:
                # Merge the windows that follow without a break (whole working days).
                while is_working_day(wh, nxt := finish.astimezone(tz).date()):
                    s2, f2 = _day_window(wh, tz, nxt)
                    if s2 != finish:
                        break
                    finish = f2
                return start, finish
        day += timedelta(days=1)
    return None


# ---------------------------------------------------------------------------- daily shifts


def day_counted(wh: WorkingHours, day: date) -> bool:
    """True if ``day`` counts as a numbered day of a daily rotation (module docstring)."""
    if wh.holiday_shift == HOLIDAY_MOVE:
        return is_working_day(wh, day)
    return _weekday_on(wh, day)


def _per_week(wh: WorkingHours) -> int:
    return len(wh.days) if wh.days else 7


def days_counted_before(wh: WorkingHours, first: date, day: date) -> int:
    """How many counted days lie in ``[first, day)`` (negative: in ``[day, first)``)."""
    if day < first:
        return -days_counted_before(wh, day, first)
    weeks, rest = divmod((day - first).days, 7)
    n = weeks * _per_week(wh) + sum(
        _weekday_on(wh, first + timedelta(days=weeks * 7 + i)) for i in range(rest)
    )
    if wh.holiday_shift == HOLIDAY_MOVE and has_holidays(wh):
        n -= sum(1 for d in _holidays_between(wh, first, day) if _weekday_on(wh, d))
    return n


def _holidays_between(wh: WorkingHours, first: date, end: date) -> list[date]:
    found = {date.fromisoformat(d) for d in wh.holiday_dates}
    for year in range(first.year, end.year + 1):
        found.update(country_holidays(wh.holiday_country, wh.holiday_subdiv, year))
    return [d for d in found if first <= d < end]


def day_of_shift(wh: WorkingHours, first: date, n: int) -> date:
    """The day of shift ``n`` of a daily rotation whose beginning is on ``first``.

    Shift 0 is the first counted day on or after ``first``; negative numbers count back.
    InputError if the rule leaves no counted day for two years.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    wanted = n + 1 if n >= 0 else -n
    # Jump close by whole weeks (never past the day), then walk day by day.
    weeks = max(0, wanted // _per_week(wh) - 1)
    day = first + step * 7 * weeks
    seen = abs(days_counted_before(wh, first, day))
    for _ in range(wanted * 8 + _MAX_SEARCH_DAYS):
        if n < 0:
            day -= timedelta(days=1)
        if day_counted(wh, day):
            seen += 1
            if seen == wanted:
                return day
        if n >= 0:
            day += timedelta(days=1)
    raise InputError(
        "the rotation's working days and holidays leave no working day: change them with "
        "`rotation set hours` or `rotation set holidays`.",
        days=wh.days,
    )
