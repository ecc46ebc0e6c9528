"""``/lotto rotation calendar R [@user]``: the rotation's shifts as an iCalendar feed.

Read-only, so anyone may run it. Where a server publishes feeds (``Env.feed_url``)
the reply is the subscription URL(s) a calendar app can poll; otherwise the
calendar text itself, to save as a ``.ics`` file and import.
"""

from __future__ import annotations

from lotto import PLUGIN_ID, api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx
from lotto.commands.tree import PUBLIC, command
from lotto.errors import InputError
from lotto.ical import render_calendar

__all__: list[str] = []

_DETAILS = (
    f"The feed holds the rotation's open tasks and those finished in the last "
    f"{api.CALENDAR_HISTORY_DAYS} days, one event per task (pending ones tentative). "
    "With `@user`, only the tasks that user is assigned to. Where the server publishes "
    "feeds, the reply is a private subscription URL for Google Calendar, Outlook or "
    "Apple Calendar; otherwise the calendar text, to save as a `.ics` file and import."
)


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
    read_only=True,
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
        wanted = render.feed_choices(user_id, ctx.actor.user_id, ctx.username)
        urls = [(label, url) for label, uid in wanted if (url := feed_url(rid, uid))]
        if urls:
            return res, render.subscription_text(rid, urls)
    ics = render_calendar(
        res.rotation,
        res.tasks,
        domain=PLUGIN_ID,
        now=ctx.now,
        user_id=user_id,
        mention=ctx.username,
    )
    return res, render.calendar_text(res, ics, ctx.username)
