"""``/lotto autopilot``: run the autopilot once for every active rotation (the README's command)."""

from __future__ import annotations

import msgspec

from lotto import api
from lotto.commands import render
from lotto.commands.base import Ctx
from lotto.commands.errors import error_text
from lotto.commands.tree import command

__all__ = ["AutopilotAllResult", "failed_fills"]


class AutopilotAllResult(msgspec.Struct, kw_only=True):
    """Every active rotation's autopilot run; ``errors`` maps a rotation that failed to why."""

    results: list[api.AutopilotResult] = msgspec.field(default_factory=list)
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    notices: list[api.Notice] = msgspec.field(default_factory=list)


def failed_fills(res: api.AutopilotResult) -> list[api.AutopilotFill]:
    """The fills of a run that failed (their tasks stayed pending)."""
    return [f for step in res.steps for f in step.fills if f.error]


@command(
    ("autopilot",),
    "",
    "run the autopilot once for every active rotation, now (or at `--now`)",
    details="Each rotation runs on its own: one that fails does not stop the others. "
    "Use `/lotto rotation autopilot R` for a single rotation.",
)
def autopilot(ctx: Ctx):
    """Run autopilot for every active rotation as the acting user."""
    ctx.no_args()
    listing = ctx.call(api.RotationListRequest())
    out = AutopilotAllResult()
    texts: list[str] = []
    me = ctx.username(ctx.actor.user_id)
    for rid in listing.rotation_ids:
        try:
            res = ctx.call(
                api.RotationAutopilotRequest(rotation=api.RotationRef(name=rid, exact=True))
            )
        except Exception as exc:  # noqa: BLE001 - one rotation's failure is reported, the rest go on
            out.errors[rid] = error_text(exc, command_line=f"rotation autopilot {rid}")
            texts.append(f"autopilot on {rid}: {out.errors[rid]}")
            continue
        out.results.append(res)
        out.notices.extend(res.notices)
        texts.append(render.autopilot_report(res, me, ctx.zone, ctx.username))
    if not texts:
        return out, "No active rotations: the autopilot had nothing to do."
    return out, "\n\n".join(texts)
