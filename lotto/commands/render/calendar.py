"""Markdown for the calendar feed: the feed's text in a code block, or its subscription URLs."""

from __future__ import annotations

import re

from lotto import api
from lotto.commands.render.records import Mention

__all__ = ["calendar_text", "subscription_text", "feed_choices", "links_refused", "LINK_LIFETIME"]

#: How long a feed or page URL works (the shim signs this expiry into it).
LINK_LIFETIME = "a year"

_HOW_TO_SUBSCRIBE = (
    "Add it in your calendar app: Google Calendar *Other calendars → From URL*, "
    "Outlook *Add calendar → Subscribe from web*, Apple Calendar *File → New "
    "Calendar Subscription*. The app refreshes it on its own schedule. Anyone with "
    "the URL can read the feed, so share it only with your team. It works for "
    f"{LINK_LIFETIME}, and only while you are a member or owner of the rotation; run the "
    "command again for a fresh one."
)


def _fence(body: str) -> str:
    # A fence longer than any backtick run inside, so a description can't close it.
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def calendar_text(
    res: api.RotationCalendarResult, ics: str, mention: Mention, *, note: str = ""
) -> str:
    """Markdown around the calendar text: a title, then the feed in a code block.

    The feed keeps its CRLF line ends (RFC 5545), so the text saved from the reply,
    or from the ``lotto`` program's output, is a valid ``.ics`` file.
    """
    rid = res.rotation.rotation_id
    whose = f" for {mention(res.user_id)}" if res.user_id else ""
    n = len(res.tasks)
    body = ics.rstrip("\r\n")
    fence = _fence(body)
    lines = [f"#### Calendar of rotation {rid}{whose}: {n} task{'s' if n != 1 else ''}", ""]
    if note:
        lines += [note, ""]
    lines += [
        f"Save the text below as `{rid}.ics` and import it into your calendar app.",
        "",
        f"{fence}text",
    ]
    return "\n".join(lines) + "\n" + body + "\r\n" + fence


def links_refused(rid: str, what: str) -> str:
    """Why no private link was given: they are for the rotation's members and owners."""
    return (
        f"{what[0].upper()}{what[1:]} of {rid} are for its members and owners (a link stops "
        f"working when its holder leaves the rotation): join with `user join {rid}`, or ask "
        "an owner."
    )


def subscription_text(rid: str, urls: list[tuple[str, str]]) -> str:
    """Markdown listing the feed URLs (``(label, url)`` pairs) and how to subscribe."""
    lines = [f"#### Calendar feeds of rotation {rid}", ""]
    lines += [f"- {label}: {url}" for label, url in urls]
    return "\n".join(lines + ["", _HOW_TO_SUBSCRIBE])


def feed_choices(user_id: str, actor_id: str, mention: Mention) -> list[tuple[str, str]]:
    """The feeds a reply offers, as ``(label, user id)`` pairs (user id empty: every shift).

    With ``user_id``, that user's feed alone; otherwise every shift, and the actor's own.
    """
    if user_id:
        return [(f"Shifts of {mention(user_id)}", user_id)]
    return [("Every shift", ""), (f"Your shifts ({mention(actor_id)})", actor_id)]
