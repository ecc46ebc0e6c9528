"""Durations as people write them (``1 week``, ``30 min``, ``12 days 12 h``), and Go's syntax.

The one home of reading and writing durations: replies and help show
:func:`format_duration`; input accepts both people's forms (``7d``, ``2 weeks``,
``1d12h``, ``30 minutes``) and Go's (``1h30m``, ``743h0m0s``); fixed rotation
periods are stored in Go's form (:func:`format_go_duration`) as the original did.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction
from functools import lru_cache

from lotto.errors import BadTimeError

__all__ = [
    "DURATION_EXAMPLES",
    "parse_duration",
    "duration_units",
    "format_duration",
    "format_go_duration",
]

_S = 1_000_000_000
_NS = {"w": 604_800 * _S, "d": 86_400 * _S, "h": 3_600 * _S, "m": 60 * _S, "s": _S}
_NS.update(ms=1_000_000, us=1_000, ns=1)
# Every spelling accepted after a number, and the unit it means ("m" is minutes, as in Go).
_UNIT_OF: dict[str, str] = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("ms", "msec", "msecs"), "ms"),
    **dict.fromkeys(("us", "µs", "μs"), "us"),
    "ns": "ns",
}
_NUM = r"(?:\d+\.?\d*|\.\d+)"
_DUR_PART = re.compile(rf"({_NUM})\s*([a-zµμ]+)")
_DUR_RE = re.compile(rf"^[+-]?\s*(?:{_NUM}\s*[a-zµμ]+\s*,?\s*)+$")
_MAX_NS = 2**63 - 1  # Go's longest duration, about 292 years
#: How durations are written, for help and error texts.
DURATION_EXAMPLES = "30 min, 90m, 36h, 1d12h, 7d or 2 weeks"
_DUR_HELP = (
    f"write it as people do, e.g. {DURATION_EXAMPLES} "
    "(units w, d, h, min, s; Go's 1h30m also works)"
)


@lru_cache(maxsize=1024)  # shift arithmetic re-reads the same stored periods in loops
def parse_duration(text: str) -> timedelta:
    """Parse a duration as people write it, or in Go's syntax; BadTimeError otherwise.

    ``7d``, ``2w``, ``1d12h``, ``90m``, ``30 minutes``, ``2 weeks``, ``12 days 12 h``,
    ``1.5h``, ``1h30m``, ``743h0m0s``, ``0``. ``m`` is minutes. Sub-microsecond parts
    are rounded to the nearest microsecond.
    """
    raw = (text or "").strip().lower()
    if raw in ("0", "+0", "-0"):
        return timedelta(0)
    parts = _DUR_PART.findall(raw) if _DUR_RE.match(raw) else []
    if not parts or any(unit not in _UNIT_OF for _, unit in parts):
        raise BadTimeError(f"{text!r} is not a valid duration: {_DUR_HELP}.", duration=text)
    total = sum((Fraction(num) * _NS[_UNIT_OF[unit]] for num, unit in parts), Fraction(0))
    if total > _MAX_NS:
        raise BadTimeError(
            f"{text!r} is too long a duration (at most about 292 years).", duration=text
        )
    micros = round(total / 1000)
    return timedelta(microseconds=-micros if raw.startswith("-") else micros)


def duration_units(text: str) -> set[str]:
    """The units ``text`` is written in: some of ``w d h m s ms us ns``."""
    return {_UNIT_OF.get(u, u) for _, u in _DUR_PART.findall((text or "").lower())}


def _fmt_frac(value: int, unit: int) -> str:
    """``value/unit`` as a decimal with trailing zeros trimmed (Go's fmtFrac + fmtInt)."""
    whole, rest = divmod(value, unit)
    if not rest:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(rest).rjust(digits, '0').rstrip('0')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_duration(td: timedelta) -> str:
    """A duration as people write it: ``1 week``, ``30 min``, ``31 days``, ``12 days 12 h``.

    Weeks only when the whole duration is a number of weeks; under a second in ``ms``
    or ``µs``; ``0 min`` for nothing. :func:`parse_duration` reads every result back.
    """
    micros = td // timedelta(microseconds=1)
    if micros == 0:
        return "0 min"
    sign, u = ("-", -micros) if micros < 0 else ("", micros)
    if u < 1_000_000:
        return sign + (f"{u} µs" if u < 1_000 else f"{_fmt_frac(u, 1_000)} ms")
    days, rest = divmod(u, 86_400_000_000)
    if not rest and days % 7 == 0:
        return sign + _plural(days // 7, "week")
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    parts = [
        _plural(days, "day") if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
        f"{_fmt_frac(rest, 1_000_000)} s" if rest else "",
    ]
    return sign + " ".join(p for p in parts if p)


def format_go_duration(td: timedelta) -> str:
    """Go's ``Duration.String()`` (``744h0m0s``, ``1.5s``): the stored form of fixed periods."""
    ns = (td // timedelta(microseconds=1)) * 1000
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
