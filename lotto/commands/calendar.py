"""``/lotto rotation calendar R [@user]``: the rotation's shifts as an iCalendar feed.

Read-only, so anyone may run it. Where a server publishes feeds (``Env.links``)
the reply is the subscription URL(s) a calendar app can poll, for the rotation's
members and owners (a URL expires, and stops working once its holder leaves; running
the command again gives a fresh one); otherwise the calendar text itself, to save
as a ``.ics`` file and import.
"""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.tree import PUBLIC, command
from lotto.errors import InputError
from lotto.ical import render_calendar
from lotto.model.rotation import may_hold_links

__all__: list[str] = []

_DETAILS = (
    f"The feed holds the rotation's open tasks and those finished in the last "
    f"{api.CALENDAR_HISTORY_DAYS} days, one event per task (pending ones tentative). "
    "With `@user`, only the tasks that user is assigned to. Where the server publishes "
    "feeds, the reply is a private subscription URL for Google Calendar, Outlook or "
    "Apple Calendar (for the rotation's members and owners; it lasts a year and stops "
    "working when you leave the rotation: run the command again to renew it); otherwise "
    "the calendar text, to save as a `.ics` file and import."
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
    request=api.RotationCalendarRequest,
)
def rotation_calendar(ctx: Ctx) -> Reply:
    """Show the rotation's calendar feed, or its subscription URLs."""
    ref, user_id = _rotation_and_user(ctx)
    req = api.RotationCalendarRequest(rotation=ref, user_id=user_id)
    res = ctx.call(req)
    rid = res.rotation.rotation_id
    links = ctx.env.links
    note = ""
    if links is not None:
        actor = ctx.actor.user_id
        if may_hold_links(res.rotation, actor):
            wanted = render.feed_choices(user_id, actor, ctx.username)
            urls = [(label, url) for label, uid in wanted if (url := links.feed(rid, uid, actor))]
            if urls:
                return res, render.subscription_text(rid, urls)
        else:
            note = render.links_refused(rid, "subscription URLs")
    ics = render_calendar(
        res.rotation,
        res.tasks,
        namespace=ctx.env.namespace,
        site=ctx.env.site,
        now=ctx.now,
        user_id=user_id,
        mention=ctx.username,
    )
    return res, render.calendar_text(res, ics, ctx.username, note=note)
