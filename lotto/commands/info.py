"""``/lotto info``: what Solar Lottery is and what is set up here."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import Ctx, Reply
from lotto.commands.tree import PUBLIC, command

__all__: list[str] = []


@command(
    ("info",),
    "",
    "what Solar Lottery is and what is set up here",
    access=PUBLIC,
    read_only=True,
    request=api.InfoRequest,
)
def info(ctx: Ctx) -> Reply:
    """Show an overview."""
    ctx.no_args()
    res = ctx.call(api.InfoRequest())
    return res, render.info_text(res)
