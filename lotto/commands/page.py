"""``/lotto rotation page R``: the link to the rotation's web page (served by ``lotto serve``).

Read-only, so anyone may run it; the link is given to the rotation's members and
owners (it expires, and stops working once its holder leaves; running the command
again gives a fresh one). Where no server publishes pages (``Env.links`` is None,
e.g. the ``lotto`` program) the reply says who is on call and how to get the page.
"""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.tree import PUBLIC, command
from lotto.model.rotation import may_hold_links

__all__ = ["chart_image"]


def chart_image(ctx: Ctx, kind: str, rotation_id: str, params: dict[str, int]) -> str:
    """A reply's chart as an in-line image, where a server publishes them ("" otherwise).

    The link carries the reply's time and options, so the image shows what the table does.
    """
    links = ctx.env.links
    if links is None:
        return ""
    query = {"at": str(int(ctx.now.timestamp())), **{k: str(v) for k, v in params.items()}}
    return render.chart_line(kind, links.chart(kind, rotation_id, query))


_DETAILS = (
    "The page shows who is on call now and until when, the next shifts with their people, "
    "offers and unfilled needs, a timeline of the past 4 and the next 12 weeks (tasks, time "
    "off, offers), how fair the rotation has been (as `rotation stats`) and who is likely "
    "next (as `rotation forecast`), in the viewer's time zone. Anyone with the link can read "
    f"it: it works for {render.LINK_LIFETIME}, and only while you are a member or owner of "
    "the rotation. Add `&user=NAME` to the link to highlight one member."
)


@command(
    ("rotation", "page"),
    "R",
    "a link to the rotation's web page: on call, timeline, fairness, forecast",
    flags=(ROTATION_FLAG,),
    access=PUBLIC,
    details=_DETAILS,
    request=api.RotationPageRequest,
)
def rotation_page(ctx: Ctx) -> Reply:
    """Give the link to a rotation's page."""
    res = ctx.call(api.RotationPageRequest(rotation=ctx.rotation(), forecast=False))
    rid = res.rotation.rotation_id
    links = ctx.env.links
    url, refused = None, ""
    if links is not None:
        if may_hold_links(res.rotation, ctx.actor.user_id):
            url = links.page(rid, ctx.actor.user_id)
        else:
            refused = render.links_refused(rid, "page links")
    return res, render.page_text(res, url, ctx.username, ctx.zone, refused=refused)
