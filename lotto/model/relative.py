"""Times written relative to now: ``today``, ``tomorrow 09:00``, ``next monday 09:00``, ``+2d``.

Read by :func:`lotto.model.timeutil.parse_time` (the one home of time parsing),
which passes the reader's local wall-clock ``now`` and turns the answer into UTC.
The forms, case-insensitive, each optionally followed by a time of day
``HH:MM`` (default 00:00, the start of that day):

- ``today``, ``tomorrow``, ``yesterday``;
- a weekday, ``monday`` … ``sunday`` (or ``mon`` … ``sun``), optionally after
  ``next``: the first such day after today (on a Monday, ``monday`` is in a week);
- ``+DURATION`` (``+2d``, ``+1w``, ``+3h``, ``+90m``, as durations are written):
  that long from now, to the minute; with a time of day, that day at that time.

Kept apart from timeutil so that module stays about zones and periods; this one
knows nothing of zones (its caller localizes the naive wall time it returns).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from lotto.errors import LottoError
from lotto.model.duration import parse_duration

__all__ = ["RELATIVE_HELP", "read_relative"]

RELATIVE_HELP = "or relative to now: today, tomorrow 09:00, next monday 09:00, +2d"

_DAYS = {"today": 0, "tomorrow": 1, "yesterday": -1}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RE = re.compile(
    r"^(?:(?P<next>next\s+)?(?P<day>[a-z]+)|\+(?P<delta>[0-9][0-9a-z. ]*?))"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2}))?$"
)


def _weekday(word: str) -> int | None:
    for number, name in enumerate(_WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return number
    return None


def read_relative(text: str, local_now: datetime) -> datetime | timedelta | None:
    """What a relative ``text`` names, read at the naive local wall time ``local_now``.

    None when ``text`` is not a relative form; a ``timedelta`` for ``+DURATION``
    without a time of day (an offset from now, in absolute time); otherwise the
    naive local wall time it names.
    """
    m = _RE.match(" ".join(text.strip().lower().split()))
    if m is None:
        return None
    at: time | None = None
    if m["h"] is not None:
        hour, minute = int(m["h"]), int(m["mi"])
        if hour > 23 or minute > 59:
            return None
        at = time(hour, minute)
    if m["delta"] is not None:
        try:
            delta = parse_duration(m["delta"])
        except LottoError:
            return None
        if at is None:
            return delta
        return datetime.combine((local_now + delta).date(), at)
    word = m["day"]
    if word in _DAYS and not m["next"]:
        day = local_now.date() + timedelta(days=_DAYS[word])
    else:
        number = _weekday(word)
        if number is None:
            return None
        day = local_now.date() + timedelta(days=(number - local_now.weekday() - 1) % 7 + 1)
    return datetime.combine(day, at or time(0, 0))
