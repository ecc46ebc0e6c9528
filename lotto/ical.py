"""A rotation's tasks as an iCalendar (RFC 5545) feed, for calendar apps to subscribe to.

Pure: records and a clock in, text out; the text is written by the
``icalendar`` package (escaping, folding at 75 octets, CRLF line ends). One
``VEVENT`` per task that has an interval (docs/design.md §2):

- ``UID`` is ``<task id>.<namespace>@<site>`` (the store's plugin id and the
  deployment's host), stable across refreshes so a calendar app updates the event
  instead of duplicating it, and different between deployments;
- ``SEQUENCE`` and ``LAST-MODIFIED`` come from the task (``Task.sequence`` goes
  up whenever something the event shows changes), so apps replace changed events;
- the title (``SUMMARY``) is the task id, a ticket's summary, and its people.

Times are written in UTC (``...Z``): the feed needs no ``VTIMEZONE`` blocks and
every client shows them on its own clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import icalendar

from lotto.model import hours
from lotto.model.needs import format_needs
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_PENDING, Task, task_interval

__all__ = ["render_calendar", "event_uid", "event_title", "on_call_line", "PRODID"]

PRODID = "-//Solar Lottery for Python//lotto//EN"


def _default_mention(user_id: str) -> str:
    return f"@{user_id}"


def event_uid(task_id: str, namespace: str, site: str) -> str:
    """The event UID of a task: ``<task id>.<namespace>@<site>`` (unique per deployment)."""
    return f"{task_id}.{namespace}@{site or 'localhost'}"


def event_title(task: Task, mention: Callable[[str], str]) -> str:
    """The event's title: ``ICE#3: @ann, @bob``, ``HELP#4 disk full: @cid``, or who is missing."""
    head = f"{task.task_id} {task.summary}".strip() if task.summary else task.task_id
    if task.mattermost_user_ids:
        return f"{head}: {', '.join(mention(u) for u in task.mattermost_user_ids)}"
    if task.state == STATE_PENDING:
        return f"{head} (pending, nobody yet)"
    return f"{head} ({task.state}, nobody assigned)"


def on_call_line(rotation: Rotation) -> str:
    """``On call: Mon–Fri 09:00–17:00 Europe/Berlin time, not on holidays`` for a rotation
    with working hours or holidays (issue 17); ``""`` otherwise."""
    rule = hours.format_rule(rotation.working, rotation.fill_settings.time_zone)
    return f"On call: {rule} (nobody is on call outside)" if rule else ""


def _description(task: Task, on_call: str = "") -> str:
    lines = [f"State: {task.state}"]
    if on_call:
        lines.append(on_call)
    if task.require:
        lines.append(f"Require: {format_needs(task.require)}")
    if task.limit:
        lines.append(f"Limit: {format_needs(task.limit)}")
    for text in (task.summary, task.description):
        if text:
            lines.append(text)
    return "\n".join(lines)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _event(
    task: Task,
    interval: tuple[datetime, datetime],
    uid: str,
    now: datetime,
    mention: Callable[[str], str],
    on_call: str = "",
) -> icalendar.Event:
    start, finish = interval
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(start))
    # RFC 5545 wants DTEND after DTSTART; a zero-length task is just its start.
    if finish > start:
        event.add("dtend", _utc(finish))
    event.add("sequence", task.sequence)
    if task.modified is not None:
        event.add("last-modified", _utc(task.modified))
    event.add("summary", event_title(task, mention))
    event.add("description", _description(task, on_call))
    event.add("status", "TENTATIVE" if task.state == STATE_PENDING else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def render_calendar(
    rotation: Rotation,
    tasks: Iterable[Task],
    *,
    namespace: str,
    site: str,
    now: datetime,
    user_id: str = "",
    mention: Callable[[str], str] | None = None,
) -> str:
    """The ``VCALENDAR`` text of ``tasks`` (CRLF lines, folded at 75 octets).

    ``namespace`` (the plugin id) and ``site`` (the deployment's host) make the
    event UIDs globally unique (:func:`event_uid`); ``now`` is every event's
    ``DTSTAMP``; ``user_id`` keeps only that user's tasks (a personal feed);
    ``mention`` names assigned users (default ``@<id>``). Tasks without a start
    time are left out. Events are in start order.
    """
    mention = mention or _default_mention
    name = f"{rotation.rotation_id} rotation"
    if user_id:
        name += f" ({mention(user_id)})"
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    dated = [
        (task, iv)
        for task in tasks
        if (not user_id or user_id in task.mattermost_user_ids)
        and (iv := task_interval(task)) is not None
    ]
    dated.sort(key=lambda pair: (pair[1][0], pair[0].task_id))
    on_call = on_call_line(rotation)
    for task, interval in dated:
        uid = event_uid(task.task_id, namespace, site)
        cal.add_component(_event(task, interval, uid, now, mention, on_call))
    return cal.to_ical().decode("utf-8")
