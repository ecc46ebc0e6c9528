"""Times, zones, Go-syntax durations and rotation periods (docs/design.md §2, §5).

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

import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

from lotto.errors import BadTimeError

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
    "parse_period",
    "average_period",
    "shift_start",
    "shift_duration",
    "shift_number_at",
    "intervals_overlap",
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
    "use 2006-01-02T15:04 or 2006-01-02, optionally followed by a zone abbreviation "
    "(2020-03-05T09:00PST), or RFC 3339 (2020-03-05T17:00:00Z)"
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
            f"{name!r} is not a known time zone: use an IANA name such as "
            "America/Los_Angeles, Europe/Berlin or UTC.",
            zone=name,
        ) from None


def localize(naive: datetime, zone: str | tzinfo) -> datetime:
    """Attach ``zone`` to a naive wall-clock time and return it in UTC.

    A nonexistent local time moves forward by the gap; an ambiguous one takes
    its first occurrence (see the module docstring).
    """
    return naive.replace(tzinfo=_tz(zone), fold=0).astimezone(UTC)


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_time(text: str, zone: str | tzinfo = UTC) -> datetime:
    """Parse a user-supplied time (docs/design.md §5); without a zone it is local to ``zone``."""
    try:
        return _parse_time(text, zone)
    except OverflowError:  # a valid local time whose UTC moment is before year 1 or after 9999
        raise BadTimeError(
            f"{text!r} is out of range: in UTC it falls before year 1 or after year 9999; "
            "give a time between those years.",
            time=text,
        ) from None


def _parse_time(text: str, zone: str | tzinfo) -> datetime:
    raw = (text or "").strip()
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


# ---- durations (Go syntax) -------------------------------------------------

_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_DUR_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DUR_RE = re.compile(r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_MAX_NS = 2**63 - 1
_DUR_HELP = "use Go duration syntax such as 30m, 1h30m, 300h or 1.5h (units h, m, s, ms, us, ns)"


def parse_duration(text: str) -> timedelta:
    """Parse a Go duration (``300h``, ``1h30m``, ``90s``, ``1.5h``, ``0``); BadTimeError otherwise.

    Sub-microsecond parts are rounded to the nearest microsecond.
    """
    raw = (text or "").strip()
    if raw in ("0", "+0", "-0"):
        return timedelta(0)
    if not _DUR_RE.match(raw):
        raise BadTimeError(f"{text!r} is not a valid duration: {_DUR_HELP}.", duration=text)
    total = sum((Fraction(num) * _NS[unit] for num, unit in _DUR_PART.findall(raw)), Fraction(0))
    if total > _MAX_NS:
        raise BadTimeError(
            f"{text!r} is too long a duration (at most about 292 years).", duration=text
        )
    micros = round(total / 1000)
    return timedelta(microseconds=-micros if raw.startswith("-") else micros)


def _fmt_frac(value: int, unit: int) -> str:
    """``value/unit`` as a decimal with trailing zeros trimmed (Go's fmtFrac + fmtInt)."""
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(rest).rjust(digits, '0').rstrip('0')}"


def format_duration(td: timedelta) -> str:
    """Format like Go's ``Duration.String()``: ``744h0m0s``, ``30m0s``, ``1.5s``, ``500ms``."""
    ns = ((td.days * 86400 + td.seconds) * 1_000_000 + td.microseconds) * 1000
    if ns == 0:
        return "0s"
    sign, u = ("-", -ns) if ns < 0 else ("", ns)
    if u < 1_000_000_000:
        if u < 1_000:
            return f"{sign}{u}ns"
        if u < 1_000_000:
            return f"{sign}{_fmt_frac(u, 1_000)}µs"
        return f"{sign}{_fmt_frac(u, 1_000_000)}ms"
    hours, rest = divmod(u, 3600 * 1_000_000_000)
    minutes, rest = divmod(rest, 60 * 1_000_000_000)
    seconds = _fmt_frac(rest, 1_000_000_000)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


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


def parse_period(text: str) -> str:
    """Normalise a period: ``daily|weekly|biweekly|monthly`` or a positive Go duration (``36h``)."""
    raw = (text or "").strip()
    named = _PERIOD_OF.get(raw.lower())
    if named:
        return named
    try:
        duration = parse_duration(raw)
    except BadTimeError:
        duration = None
    if duration is None or duration <= timedelta(0):
        raise BadTimeError(
            f"{text!r} is not a valid period: use daily, weekly, biweekly, monthly, "
            "or a positive Go duration such as 36h.",
            period=text,
        )
    return format_duration(duration)


def average_period(period: str) -> timedelta:
    """Average length of a period: 24h, 168h, 336h, 730.08h, or the fixed duration."""
    p = parse_period(period)
    return _AVERAGE.get(p) or parse_duration(p)


def shift_start(beginning: datetime, period: str, zone: str | tzinfo, n: int) -> datetime:
    """Start (UTC) of shift ``n``: ``beginning`` + n periods.

    Daily/weekly/biweekly add days and monthly adds months on the wall clock
    of ``zone`` (day of month clamped: Jan 31 + 1 month = Feb 28/29); a fixed
    duration adds ``n`` × duration in absolute time. ``n`` may be negative.
    """
    start = _as_utc(beginning)
    if n == 0:
        return start
    p = parse_period(period)
    if p in _PERIOD_DAYS or p == PERIOD_MONTHLY:
        tz = _tz(zone)
        local = start.astimezone(tz).replace(tzinfo=None)
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
) -> timedelta:
    """Length of shift ``n``: ``duration`` if positive, else the time to the next shift's start."""
    if duration > timedelta(0):
        return duration
    return shift_start(beginning, period, zone, n + 1) - shift_start(beginning, period, zone, n)


def shift_number_at(beginning: datetime, period: str, zone: str | tzinfo, t: datetime) -> int:
    """Number of the period containing ``t``: ``shift_start(n) <= t < shift_start(n + 1)``.

    Times before ``beginning`` give negative numbers (periods extend backwards).
    """
    start, when = _as_utc(beginning), _as_utc(t)
    tz = _tz(zone)
    avg = average_period(period)
    n = math.floor((when - start) / avg)
    while shift_start(start, period, tz, n) > when:
        n -= 1
    while shift_start(start, period, tz, n + 1) <= when:
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
