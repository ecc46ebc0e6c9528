"""Markdown for the calendar feed: the feed's text in a code block, or its subscription URLs."""

from __future__ import annotations

import re

from lotto import api
from lotto.commands.render.records import Mention

__all__ = ["calendar_text", "subscription_text", "feed_choices"]

_HOW_TO_SUBSCRIBE = (
    "Add it in your calendar app: Google Calendar *Other calendars → From URL*, "
    "Outlook *Add calendar → Subscribe from web*, Apple Calendar *File → New "
    "Calendar Subscription*. The app refreshes it on its own schedule. Anyone with "
    "the URL can read the feed, so share it only with your team."
)


def _fence(body: str) -> str:
    # A fence longer than any backtick run inside, so a description can't close it.
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def calendar_text(res: api.RotationCalendarResult, ics: str, mention: Mention) -> str:
    """Markdown around the calendar text: a title, then the feed in a code block."""
    rid = res.rotation.rotation_id
    whose = f" for {mention(res.user_id)}" if res.user_id else ""
    n = len(res.tasks)
    body = ics.replace("\r\n", "\n").rstrip("\n")
    fence = _fence(body)
    return "\n".join(
        [
            f"#### Calendar of rotation {rid}{whose}: {n} task{'s' if n != 1 else ''}",
            "",
            f"Save the text below as `{rid}.ics` and import it into your calendar app.",
            "",
            f"{fence}text",
            body,
            fence,
        ]
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
