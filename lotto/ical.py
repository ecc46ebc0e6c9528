"""A rotation's tasks as an iCalendar (RFC 5545) feed, for calendar apps to subscribe to.

Pure: records and a clock in, text out. One ``VEVENT`` per task that has an
interval (docs/design.md §2); its ``UID`` is ``<task id>@<domain>`` so a calendar app
refreshing the feed updates the event instead of duplicating it. Times are
written in UTC (``...Z``): the feed needs no ``VTIMEZONE`` blocks and every
client shows them on its own clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from lotto.model.needs import format_needs
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_PENDING, Task, task_interval

__all__ = ["render_calendar", "escape_text", "fold_line", "format_utc", "PRODID"]

PRODID = "-//Solar Lottery for Python//lotto//EN"
CRLF = "\r\n"
_MAX_OCTETS = 75  # RFC 5545 §3.1: content lines SHOULD NOT be longer than 75 octets


def escape_text(value: str) -> str:
    r"""A TEXT value escaped per RFC 5545 §3.3.11 (``\\``, ``\;``, ``\,``, ``\n``)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    # Every newline convention becomes the one escape; a bare CR would end the line.
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold_line(line: str) -> str:
    """``line`` folded into CRLF-terminated pieces of at most 75 octets of UTF-8.

    Continuation pieces start with one space, which counts toward their 75
    octets. A multi-byte character is never split across pieces (clients
    decode each piece's bytes after unfolding, but some decode before).
    """
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = _MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
            limit = _MAX_OCTETS - 1  # room for the leading space
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces) + CRLF


def format_utc(value: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. ``20200305T170000Z``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _default_mention(user_id: str) -> str:
    return f"@{user_id}"


def _summary(task: Task, mention: Callable[[str], str]) -> str:
    if task.mattermost_user_ids:
        return f"{task.task_id}: {', '.join(mention(u) for u in task.mattermost_user_ids)}"
    if task.state == STATE_PENDING:
        return f"{task.task_id} (pending, nobody yet)"
    return f"{task.task_id} ({task.state}, nobody assigned)"


def _description(task: Task) -> str:
    lines = [f"State: {task.state}"]
    if task.require:
        lines.append(f"Require: {format_needs(task.require)}")
    if task.limit:
        lines.append(f"Limit: {format_needs(task.limit)}")
    for text in (task.summary, task.description):
        if text:
            lines.append(text)
    return "\n".join(lines)


def _event(
    task: Task,
    interval: tuple[datetime, datetime],
    domain: str,
    stamp: str,
    mention: Callable[[str], str],
) -> list[str]:
    start, finish = interval
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(task.task_id)}@{escape_text(domain)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{format_utc(start)}",
    ]
    # RFC 5545 wants DTEND after DTSTART; a zero-length task is just its start.
    if finish > start:
        lines.append(f"DTEND:{format_utc(finish)}")
    lines += [
        f"SUMMARY:{escape_text(_summary(task, mention))}",
        f"DESCRIPTION:{escape_text(_description(task))}",
        f"STATUS:{'TENTATIVE' if task.state == STATE_PENDING else 'CONFIRMED'}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


def render_calendar(
    rotation: Rotation,
    tasks: Iterable[Task],
    *,
    domain: str,
    now: datetime,
    user_id: str = "",
    mention: Callable[[str], str] | None = None,
) -> str:
    """The ``VCALENDAR`` text of ``tasks`` (CRLF lines, folded at 75 octets).

    ``domain`` makes the event UIDs globally unique (the plugin id); ``now``
    is every event's ``DTSTAMP``; ``user_id`` keeps only that user's tasks (a
    personal feed); ``mention`` names assigned users (default ``@<id>``).
    Tasks without a start time are left out. Events are in start order.
    """
    mention = mention or _default_mention
    name = f"{rotation.rotation_id} rotation"
    if user_id:
        name += f" ({mention(user_id)})"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    stamp = format_utc(now)
    dated = [
        (task, iv)
        for task in tasks
        if (not user_id or user_id in task.mattermost_user_ids)
        and (iv := task_interval(task)) is not None
    ]
    dated.sort(key=lambda pair: (pair[1][0], pair[0].task_id))
    for task, interval in dated:
        lines += _event(task, interval, domain, stamp, mention)
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) for line in lines)
