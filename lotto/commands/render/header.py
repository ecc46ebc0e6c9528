"""The on-call line of a rotation channel's header, and ``rotation set header``'s reply.

The line (``On call: @anna until Mon 09:00 CET · next @ben``) is plain text:
Mattermost shows a channel header as Markdown, and mentions in it stay links to
the people. Times are on the rotation's clock (a header has many readers) and
short — weekday and time — with the day and month when the time is more than a
week away from the other end of the shift.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto import api
from lotto.commands.render.records import Mention, channel_text, zone_label
from lotto.model.rotation import Rotation

__all__ = ["HEADER_PREFIX", "header_line", "header_changed"]

#: How the bot's own line of a header begins (how it finds the line again).
HEADER_PREFIX = "On call:"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEK = timedelta(days=7)


def _short(dt: datetime, zone: str, far: bool) -> str:
    from lotto.model.timeutil import get_zone

    local = dt.astimezone(get_zone(zone))
    day = (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
        if far
        else (_DAYS[local.weekday()])
    )
    return f"{day} {local.hour:02d}:{local.minute:02d} {zone_label(dt, zone)}"


def header_line(n: api.Notice, mention: Mention) -> str:
    """The line for a ``header`` notice ("" for ``off``: the line comes out)."""
    if n.outcome == "off":
        return ""
    zone = n.zone or "UTC"
    now = ", ".join(mention(u) for u in n.user_ids)
    parts: list[str] = []
    if n.task_id:
        who = now or f"nobody ({n.task_id} has nobody on it)"
        if n.finish is not None:
            far = n.start is None or n.finish - n.start > _WEEK
            who += f" until {_short(n.finish, zone, far)}"
        parts.append(who)
    else:
        parts.append("nobody now")
    if n.next_task_id:
        nxt = ", ".join(mention(u) for u in n.next_user_ids) or f"{n.next_task_id} (nobody yet)"
        # The start is worth saying unless the next shift takes over when this one ends.
        if n.next_start is not None and n.next_start != n.finish:
            ref = n.finish or n.start or datetime.now(UTC)
            nxt += f" from {_short(n.next_start, zone, abs(n.next_start - ref) > _WEEK)}"
        parts.append(f"next {nxt}")
    return f"{HEADER_PREFIX} " + " · ".join(parts)


def header_changed(rot: Rotation) -> str:
    """The reply of ``rotation set header``."""
    hs = rot.header
    group = f" and keeps the group @{hs.group} to the people on call" if hs.group else ""
    if hs.on:
        return (
            f"Rotation **{rot.rotation_id}** keeps an `{HEADER_PREFIX} …` line in the header "
            f"of {channel_text(rot)}{group}: it changes at every start, handoff and change "
            "of who is on call. The rest of the header is left as it is."
        )
    kept = f" (the group @{hs.group} is kept for when it is on)" if hs.group else ""
    return (
        f"Rotation **{rot.rotation_id}** keeps no line in its channel's header; "
        f"the line it kept is taken out{kept}."
    )
