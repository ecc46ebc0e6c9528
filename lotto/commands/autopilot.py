"""``/lotto autopilot``: the autopilot of every active rotation, now.

The loop is the service's (``Service.autopilot_all``), shared with the server's timer
(:func:`lotto.commands.autopilot_all`); this command renders every rotation's report.
"""

from __future__ import annotations

from lotto import api
from lotto.api.mentions import declared
from lotto.commands import render
from lotto.commands.base import Ctx, Reply
from lotto.commands.errors import failure_reply
from lotto.commands.tree import command

__all__: list[str] = []


@command(
    ("autopilot",),
    "",
    "run the autopilot once for every active rotation, now (or at `--now`)",
    details="Each rotation runs on its own: one that fails does not stop the others. "
    "Use `/lotto rotation autopilot R` for a single rotation.",
)
def autopilot(ctx: Ctx) -> Reply:
    """Run autopilot for every active rotation as the acting user."""
    ctx.no_args()
    texts: list[str] = []
    me = ctx.username(ctx.actor.user_id)

    def each(rotation_id: str, res: api.AutopilotResult | None, error: str) -> None:
        if res is None:
            texts.append(render.autopilot_failure(rotation_id, error))
            return
        ctx.names.learn(declared(res))
        texts.append(render.autopilot_report(res, me, ctx.zone, ctx.username))

    out = ctx.env.service.autopilot_all(
        actor=ctx.caller,
        now=ctx.now,
        describe=lambda exc, rid: failure_reply(
            exc, ctx.username, command_line=f"rotation autopilot {rid}"
        ),
        each=each,
    )
    return out, render.autopilot_all_text(texts)
