"""``/lotto info``: what Solar Lottery is and what is set up here."""

from __future__ import annotations

from lotto import api
from lotto.commands.base import Ctx
from lotto.commands.tree import PUBLIC, command

__all__: list[str] = []


@command(("info",), "", "what Solar Lottery is and what is set up here", access=PUBLIC)
def info(ctx: Ctx):
    """Show an overview."""
    ctx.no_args()
    res = ctx.call(api.InfoRequest())
    rotations = ", ".join(res.rotation_ids) or "none"
    skills = ", ".join(res.skills) or "none"
    return res, (
        "#### Solar Lottery\nA team rotation scheduler: people are picked for shifts by a "
        "lottery whose odds grow the longer they have not served.\n"
        f"- Active rotations: {rotations}\n- Known skills: {skills}\n"
        "Use `/lotto help` for the commands."
    )
