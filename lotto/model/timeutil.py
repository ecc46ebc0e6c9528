"""Times, zones, durations and rotation periods (docs/design.md §2, §5).

Conventions:

- every ``datetime`` returned here is timezone-aware UTC;
- ``zone`` arguments take an IANA name (``"America/Los_Angeles"``) or a
  ``tzinfo``; an empty name means UTC;
- local (wall-clock) times are resolved deliberately at daylight-saving
  changes: a local time that does not exist (spring forward, e.g. 02:30 on
  2020-03-08 in Los Angeles) moves forward by the size of the gap (03:30
  PDT), and an ambiguous one (fall back, 01:30 on 2020-11-01) takes its first
  occurrence (01:30 PDT). This is PEP 495's ``fold=0``.

Zone abbreviations after a time (``2020-03-05T09:00PST``): an abbreviation
the given zone itself uses at that local time wins (so ``IST`` means Irish
Summer Time for a user in Europe/Dublin and ``CST`` China Standard Time in
Asia/Shanghai); otherwise the fixed table :data:`ZONE_ABBREVIATIONS` applies,
where the ambiguous ``IST`` is India Standard Time (+05:30) and ``CST`` is
US Central Standard Time (-06:00). Unknown abbreviations are an error (Go
silently read them as UTC).
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.relativedelta import relativedelta

from lotto.errors import BadTimeError
from lotto.model.duration import (
    duration_units,
    format_duration,
    format_go_duration,
    parse_duration,
)
from lotto.model.relative import RELATIVE_HELP, read_relative

__all__ = [
    "UTC",
    "ZONE_ABBREVIATIONS",
    "PERIOD_DAILY",
    "PERIOD_WEEKLY",
    "PERIOD_BIWEEKLY",
    "PERIOD_MONTHLY",
    "get_zone",
    "localize",
    "parse_time",
    "format_time",
    "parse_duration",
    "format_duration",
    "format_go_duration",
    "parse_period",
    "is_wall_clock_period",
    "average_period",
    "format_wall",
    "local_wall",
    "wall_time",
    "parse_wall",
    "wall_exists",
    "shift_start",
    "shift_duration",
    "shift_number_at",
    "intervals_overlap",
    "add_wall",
]

UTC = UTC

PERIOD_DAILY = "daily"
PERIOD_WEEKLY = "weekly"
PERIOD_BIWEEKLY = "biweekly"
PERIOD_MONTHLY = "monthly"

_H = 3600
# Offsets (seconds east of UTC) of the abbreviations accepted after a time.
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1 * _H,
    "BST": 1 * _H,
    "CET": 1 * _H,
    "CEST": 2 * _H,
    "EET": 2 * _H,
    "EEST": 3 * _H,
    "MSK": 3 * _H,
    "IST": 5 * _H + 1800,
    "SGT": 8 * _H,
    "HKT": 8 * _H,
    "AWST": 8 * _H,
    "JST": 9 * _H,
    "KST": 9 * _H,
    "ACST": 9 * _H + 1800,
    "AEST": 10 * _H,
    "AEDT": 11 * _H,
    "NZST": 12 * _H,
    "NZDT": 13 * _H,
    "HST": -10 * _H,
    "AKST": -9 * _H,
    "AKDT": -8 * _H,
    "PST": -8 * _H,
    "PDT": -7 * _H,
    "MST": -7 * _H,
    "MDT": -6 * _H,
    "CST": -6 * _H,
    "CDT": -5 * _H,
    "EST": -5 * _H,
    "EDT": -4 * _H,
}

_TIME_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,9}))?)?)?"
    r"(?:(?P<off>[+-]\d{2}:\d{2})|(?P<abbr>[A-Za-z]{1,5}))?$"
)

_TIME_HELP = (
    "write it like 2021-03-14T09:30, 2021-03-14 09:30, 2021-03-14 or 14 Mar 2021 09:30, "
    "optionally followed "
    "by a zone abbreviation (2021-03-14T09:30PST) or an offset (2021-03-14T09:30-08:00), "
    "or RFC 3339 (2021-03-14T17:30:00Z), " + RELATIVE_HELP
)


def _tz(zone: str | tzinfo | None) -> tzinfo:
    if zone is None or isinstance(zone, tzinfo):
        return zone or UTC
    return get_zone(zone)


def get_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``""`` and ``"Z"`` mean UTC); BadTimeError if unknown."""
    key = (name or "").strip()
    if key in ("", "Z"):
        key = "UTC"
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadTimeError(
            f"{name!r} is not a known time zone{_closest_zone(key)}: use an IANA name such as "
            "America/Los_Angeles, Europe/Berlin or UTC.",
            zone=name,
        ) from None


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {z.casefold(): z for z in sorted(available_timezones())}


def _closest_zone(name: str) -> str:
    """`` (did you mean Europe/Berlin?)`` for the zone most like ``name``, or ``""``."""
    names = _zone_names()
    close = difflib.get_close_matches(name.casefold(), list(names), n=1, cutoff=0.75)
    return f" (did you mean {names[close[0]]}?)" if close else ""


def localize(naive: datetime, zone: str | tzinfo) -> datetime:
    """Attach ``zone`` to a naive wall-clock time and return it in UTC.

    A nonexistent local time moves forward by the gap; an ambiguous one takes
    its first occurrence (see the module docstring).
    """
    return naive.replace(tzinfo=_tz(zone), fold=0).astimezone(UTC)


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_time(text: str, zone: str | tzinfo = UTC, now: datetime | None = None) -> datetime:
    """Parse a user-supplied time (docs/design.md §5); without a zone it is local to ``zone``.

    With ``now``, the relative forms of :mod:`lotto.model.relative` (``tomorrow 09:00``,
    ``next monday``, ``+2d``) are read too, on ``zone``'s clock at ``now``.
    """
    try:
        if now is not None:
            found = read_relative(
                text or "", _as_utc(now).astimezone(_tz(zone)).replace(tzinfo=None)
            )
            if isinstance(found, timedelta):
                return (_as_utc(now) + found).replace(second=0, microsecond=0)
            if found is not None:
                return localize(found, zone)
        return _parse_time(text, zone)
    except OverflowError:  # a valid local time whose UTC moment is before year 1 or after 9999
        raise BadTimeError(
            f"{text!r} is out of range: in UTC it falls before year 1 or after year 9999; "
            "give a time between those years.",
            time=text,
        ) from None


# The form replies show times in (``Thu 12 Mar 2026 09:00 PDT``), weekday optional.
_HUMAN_RE = re.compile(
    r"^(?:[A-Za-z]{3},?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})"
    r"(?:,?\s+(?P<hm>\d{1,2}:\d{2}))?(?:\s*(?P<abbr>[A-Za-z]{1,5}|[+-]\d{2}:\d{2}))?$"
)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def _iso(raw: str) -> str:
    """``10 Nov 2027 09:00`` (as replies show times) in ISO form; ``raw`` when it is not."""
    m = _HUMAN_RE.match(raw)
    month = _MONTHS.get(m["mon"][:3].lower()) if m else None
    if m is None or month is None:
        return raw
    hours, _, minutes = (m["hm"] or "00:00").partition(":")
    return f"{int(m['y']):04d}-{month:02d}-{int(m['d']):02d}T{int(hours):02d}:{minutes}" + (
        m["abbr"] or ""
    )


def _parse_time(text: str, zone: str | tzinfo) -> datetime:
    raw = _iso((text or "").strip())
    m = _TIME_RE.match(raw)
    if not m:
        raise BadTimeError(f"{text!r} is not a valid time: {_TIME_HELP}.", time=text)
    frac = (m["frac"] or "").ljust(6, "0")[:6]
    try:
        naive = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
            int(frac or 0),
        )
    except ValueError as err:
        raise BadTimeError(
            f"{text!r} is not a valid time ({err}): {_TIME_HELP}.", time=text
        ) from None
    if m["off"]:
        sign = -1 if m["off"][0] == "-" else 1
        hours, minutes = int(m["off"][1:3]), int(m["off"][4:6])
        if hours > 23 or minutes > 59:
            raise BadTimeError(f"{text!r} has an invalid UTC offset: {_TIME_HELP}.", time=text)
        offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return naive.replace(tzinfo=offset).astimezone(UTC)
    tz = _tz(zone)
    if m["abbr"]:
        abbr = m["abbr"].upper()
        # The zone's own name for this local time wins; fold=1 finds the
        # second occurrence of an ambiguous time ("01:30PST" on fall-back day).
        for fold in (0, 1):
            candidate = naive.replace(tzinfo=tz, fold=fold)
            if (
                candidate.tzname() == abbr
                and candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive
            ):
                return candidate.astimezone(UTC)
        if abbr not in ZONE_ABBREVIATIONS:
            raise BadTimeError(
                f"{text!r} has an unknown zone abbreviation {m['abbr']!r}: use one of "
                f"{', '.join(sorted(ZONE_ABBREVIATIONS))}, an offset such as -08:00, "
                "or no zone (your own time zone).",
                time=text,
            )
        fixed = timezone(timedelta(seconds=ZONE_ABBREVIATIONS[abbr]))
        return naive.replace(tzinfo=fixed).astimezone(UTC)
    return localize(naive, tz)


def format_time(dt: datetime | None, zone: str | tzinfo = UTC) -> str:
    """``YYYY-MM-DDTHH:MM`` in ``zone``, dropping a trailing ``T00:00``; ``""`` for None."""
    if dt is None:
        return ""
    local = _as_utc(dt).astimezone(_tz(zone))
    # Not strftime: glibc's %Y does not zero-pad years before 1000.
    text = f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}"
    return text[:-6] if text.endswith("T00:00") else text


# ---- periods -----------------------------------------------------------------

_PERIOD_SPELLINGS = {
    PERIOD_DAILY: ("daily", "day", "d", "everyday"),
    PERIOD_WEEKLY: ("weekly", "week", "w", "everyweek"),
    PERIOD_BIWEEKLY: ("biweekly", "bi-weekly", "2weeks", "everytwoweeks", "fortnightly"),
    PERIOD_MONTHLY: ("monthly", "month", "everymonth"),
}
_PERIOD_OF = {s: p for p, spellings in _PERIOD_SPELLINGS.items() for s in spellings}
_PERIOD_DAYS = {PERIOD_DAILY: 1, PERIOD_WEEKLY: 7, PERIOD_BIWEEKLY: 14}
_AVERAGE = {
    PERIOD_DAILY: timedelta(hours=24),
    PERIOD_WEEKLY: timedelta(hours=168),
    PERIOD_BIWEEKLY: timedelta(hours=336),
    # 30.42 days, the original's average month.
    PERIOD_MONTHLY: timedelta(hours=730.08),
}


_NAMED_BY_LENGTH = {
    timedelta(days=1): PERIOD_DAILY,
    timedelta(days=7): PERIOD_WEEKLY,
    timedelta(days=14): PERIOD_BIWEEKLY,
}


@lru_cache(maxsize=1024)  # shift arithmetic re-reads the same stored periods in loops
def parse_period(text: str) -> str:
    """Normalise a period: ``daily|weekly|biweekly|monthly``, or a positive fixed duration.

    A period written in days or weeks that is one day, one week or two weeks
    (``1d``, ``7 days``, ``1 week``, ``2w``) is the named period and keeps the
    wall clock; any other duration (``36h``, ``3d``) is a fixed length, stored in
    Go's form (``36h0m0s``).
    """
    raw = (text or "").strip()
    named = _PERIOD_OF.get("".join(raw.lower().split()))
    if named:
        return named
    try:
        duration = parse_duration(raw)
    except BadTimeError:
        duration = None
    if duration is None or duration <= timedelta(0):
        raise BadTimeError(
            f"{text!r} is not a valid period: use daily, weekly, biweekly, monthly, "
            "or a positive duration such as 36h or 3 days.",
            period=text,
        )
    in_days = duration_units(raw) <= {"d", "w"}
    if in_days and duration in _NAMED_BY_LENGTH:
        return _NAMED_BY_LENGTH[duration]
    return format_go_duration(duration)


def is_wall_clock_period(period: str) -> bool:
    """True if shifts of ``period`` start at one wall-clock time (daily … monthly)."""
    p = parse_period(period)
    return p in _PERIOD_DAYS or p == PERIOD_MONTHLY


def average_period(period: str) -> timedelta:
    """Average length of a period: 24h, 168h, 336h, 730.08h, or the fixed duration."""
    p = parse_period(period)
    return _AVERAGE.get(p) or parse_duration(p)


# ---- wall-clock times of shift starts ------------------------------------------


def format_wall(naive: datetime) -> str:
    """A wall-clock (naive) time as ``YYYY-MM-DDTHH:MM``, seconds only when set."""
    exact = naive.second or naive.microsecond
    return naive.replace(tzinfo=None).isoformat(timespec="auto" if exact else "minutes")


def local_wall(dt: datetime, zone: str | tzinfo) -> str:
    """The moment ``dt`` read on ``zone``'s wall clock, as :func:`format_wall` writes it."""
    return format_wall(_as_utc(dt).astimezone(_tz(zone)))


def wall_time(text: str, zone: str | tzinfo, now: datetime | None = None) -> str:
    """The wall-clock time a user's ``text`` names on ``zone``'s clock (see :func:`format_wall`).

    As typed when the text names no zone or offset, even when daylight saving
    skips it that day (``2021-03-14T02:30`` in New York); otherwise the moment
    read on ``zone``'s clock. BadTimeError as :func:`parse_time`.
    """
    moment = parse_time(text, zone, now)
    m = _TIME_RE.match((text or "").strip())
    if m is None or m["off"] or m["abbr"]:
        return local_wall(moment, zone)
    frac = (m["frac"] or "").ljust(6, "0")[:6]
    naive = datetime(
        int(m["y"]),
        int(m["mo"]),
        int(m["d"]),
        int(m["h"] or 0),
        int(m["mi"] or 0),
        int(m["s"] or 0),
        int(frac or 0),
    )
    return format_wall(naive)


def parse_wall(text: str) -> datetime:
    """The naive time :func:`format_wall` wrote; BadTimeError if ``text`` is not one."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        naive = None
    if naive is None or naive.tzinfo is not None:
        raise BadTimeError(
            f"{text!r} is not a wall-clock time: use a time without zone such as 2021-03-14T09:30.",
            time=text,
        )
    return naive


def wall_exists(wall: str, zone: str | tzinfo) -> bool:
    """False if daylight saving skips the wall-clock time ``wall`` on ``zone``'s clock."""
    naive = parse_wall(wall)
    return local_wall(localize(naive, zone), zone) == format_wall(naive)


def shift_start(
    beginning: datetime, period: str, zone: str | tzinfo, n: int, wall: str = ""
) -> datetime:
    """Start (UTC) of shift ``n``: ``beginning`` + n periods.

    Daily/weekly/biweekly add days and monthly adds months to the wall-clock
    time ``wall`` on ``zone``'s clock (default: ``beginning``'s own; day of month
    clamped: Jan 31 + 1 month = Feb 28/29); a day on which daylight saving skips
    that time starts after the gap, as RFC 5545 reads it (02:30 → 03:30 EDT). A
    fixed duration adds ``n`` × duration in absolute time. ``n`` may be negative.
    """
    start = _as_utc(beginning)
    if n == 0:
        return start
    p = parse_period(period)
    if p in _PERIOD_DAYS or p == PERIOD_MONTHLY:
        tz = _tz(zone)
        local = parse_wall(wall) if wall else start.astimezone(tz).replace(tzinfo=None)
        if p == PERIOD_MONTHLY:
            local = local + relativedelta(months=n)
        else:
            local = local + timedelta(days=_PERIOD_DAYS[p] * n)
        return localize(local, tz)
    return start + n * parse_duration(p)


def shift_duration(
    beginning: datetime,
    period: str,
    zone: str | tzinfo,
    n: int,
    duration: timedelta = timedelta(0),
    wall: str = "",
) -> timedelta:
    """Length of shift ``n``: ``duration`` if positive, else the time to the next shift's start."""
    if duration > timedelta(0):
        return duration
    return shift_start(beginning, period, zone, n + 1, wall) - shift_start(
        beginning, period, zone, n, wall
    )


def shift_number_at(
    beginning: datetime, period: str, zone: str | tzinfo, t: datetime, wall: str = ""
) -> int:
    """Number of the period containing ``t``: ``shift_start(n) <= t < shift_start(n + 1)``.

    Times before ``beginning`` give negative numbers (periods extend backwards).
    """
    start, when = _as_utc(beginning), _as_utc(t)
    tz = _tz(zone)
    avg = average_period(period)
    n = math.floor((when - start) / avg)
    while shift_start(start, period, tz, n, wall) > when:
        n -= 1
    while shift_start(start, period, tz, n + 1, wall) <= when:
        n += 1
    return n


def intervals_overlap(
    start: datetime, finish: datetime, other_start: datetime, other_finish: datetime
) -> bool:
    """True if ``[start, finish)`` and ``[other_start, other_finish)`` share time.

    The one overlap test of the model: touching ends do not overlap, so a shift
    may begin the instant the previous one ends.
    """
    return start < other_finish and other_start < finish


def add_wall(moment: datetime, delta: timedelta, zone: str | tzinfo) -> datetime:
    """``moment`` + ``delta``, on ``zone``'s wall clock when ``delta`` is whole days.

    A named length (days, weeks) ends at the same wall-clock time it began
    (a week after Monday 09:00 is Monday 09:00 local, across a daylight-saving
    change, resolved as :func:`localize` does); any other length (``36h``,
    ``90m``) is absolute time. The result is UTC.
    """
    start = _as_utc(moment)
    if delta <= timedelta(0) or delta % timedelta(days=1):
        return start + delta
    tz = _tz(zone)
    local = start.astimezone(tz).replace(tzinfo=None)
    return localize(local + delta, tz)
