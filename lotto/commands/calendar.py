"""``/lotto rotation calendar R [@user]``: the rotation's shifts as an iCalendar feed.

Read-only, so anyone may run it. Where a server publishes feeds (``Env.feed_url``)
the reply is the subscription URL(s) a calendar app can poll; otherwise the
calendar text itself, to save as a ``.ics`` file and import.
"""

from __future__ import annotations

import re

from lotto import PLUGIN_ID, api
from lotto.commands.base import ROTATION_FLAG, Ctx
from lotto.commands.tree import PUBLIC, command
from lotto.errors import InputError
from lotto.ical import render_calendar

__all__ = ["calendar_text", "subscription_text"]

_DETAILS = (
    f"The feed holds the rotation's open tasks and those finished in the last "
    f"{api.CALENDAR_HISTORY_DAYS} days, one event per task (pending ones tentative). "
    "With `@user`, only the tasks that user is assigned to. Where the server publishes "
    "feeds, the reply is a private subscription URL for Google Calendar, Outlook or "
    "Apple Calendar; otherwise the calendar text, to save as a `.ics` file and import."
)

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


def calendar_text(res: api.RotationCalendarResult, ics: str, mention) -> str:
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


def _rotation_and_user(ctx: Ctx) -> tuple[api.RotationRef, str]:
    users = [a for a in ctx.parsed.args if a.startswith("@")]
    if not users:  # the whole rotation (rotation_and_users would default to the actor)
        return ctx.rotation(), ""
    if len(users) > 1:
        raise InputError(f"a personal feed is for one user; got `{users[0]}` and `{users[1]}`.")
    ref, ids = ctx.rotation_and_users()
    return ref, ids[0]


@command(
    ("rotation", "calendar"),
    "R [@user]",
    "a calendar feed (iCalendar) of the rotation's shifts, or one user's",
    flags=(ROTATION_FLAG,),
    access=PUBLIC,
    details=_DETAILS,
)
def rotation_calendar(ctx: Ctx):
    """Show the rotation's calendar feed, or its subscription URLs."""
    ref, user_id = _rotation_and_user(ctx)
    req = api.RotationCalendarRequest(rotation=ref, user_id=user_id)
    res = ctx.call(req)
    rid = res.rotation.rotation_id
    feed_url = ctx.env.feed_url
    if feed_url is not None:
        if user_id:
            wanted = [(f"Shifts of {ctx.username(user_id)}", user_id)]
        else:
            wanted = [
                ("Every shift", ""),
                (f"Your shifts ({ctx.username(ctx.actor.user_id)})", ctx.actor.user_id),
            ]
        urls = [(label, url) for label, uid in wanted if (url := feed_url(rid, uid))]
        if urls:
            return res, subscription_text(rid, urls)
    ics = render_calendar(
        res.rotation,
        res.tasks,
        domain=PLUGIN_ID,
        now=ctx.now,
        user_id=user_id,
        mention=ctx.username,
    )
    return res, calendar_text(res, ics, ctx.username)
