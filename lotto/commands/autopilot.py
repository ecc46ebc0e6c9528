"""The autopilot of every active rotation: the one loop behind ``/lotto autopilot`` and the timer.

``/lotto autopilot`` (the README's command) runs it as the acting user and answers
with every rotation's report; the server's timer runs it through
:func:`lotto.commands.autopilot_all` as the bot, one outcome per rotation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from lotto import api
from lotto.commands import render
from lotto.commands.base import Ctx
from lotto.commands.errors import error_text, mention_users
from lotto.commands.tree import command
from lotto.errors import LottoError

__all__ = ["AutopilotAllResult", "RotationRun", "failed_fills", "run_every_rotation"]

log = logging.getLogger("lotto.commands")


class AutopilotAllResult(msgspec.Struct, kw_only=True):
    """Every active rotation's autopilot run; ``errors`` maps a rotation that failed to why."""

    results: list[api.AutopilotResult] = msgspec.field(default_factory=list)
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    notices: list[api.Notice] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class RotationRun:
    """One rotation's part of an every-rotation run: its ``result``, or the ``error`` text."""

    rotation_id: str
    result: api.AutopilotResult | None = None
    error: str = ""


def failed_fills(res: api.AutopilotResult) -> list[api.AutopilotFill]:
    """The fills of a run that failed (their tasks stayed pending)."""
    return [f for step in res.steps for f in step.fills if f.error]


def run_every_rotation(
    call: Callable[[Any], Any], mention: Callable[[str], str]
) -> Iterator[RotationRun]:
    """Run the autopilot of every active rotation through ``call`` (a request -> its result).

    The rotations are listed first: if that fails, this raises and nothing runs.
    Each rotation then runs on its own, yielded as soon as it is done (so its
    direct messages can go out before the next one starts). One that fails does
    not stop the others: it is yielded with the one-paragraph text of its error,
    users named as ``@username`` like any command's error, and an unexpected
    failure is logged with its traceback.
    """
    listing = call(api.RotationListRequest())
    return _runs(call, mention, list(listing.rotation_ids))


def _runs(
    call: Callable[[Any], Any], mention: Callable[[str], str], rotation_ids: list[str]
) -> Iterator[RotationRun]:
    for rid in rotation_ids:
        ref = api.RotationRef(name=rid, exact=True)
        try:
            res = call(api.RotationAutopilotRequest(rotation=ref))
        except Exception as exc:  # one rotation's failure is reported, the rest go on
            if not isinstance(exc, LottoError):
                log.exception("autopilot failed for rotation %s", rid)
            yield RotationRun(rid, error=_error(exc, rid, mention))
            continue
        yield RotationRun(rid, result=res)


def _error(exc: Exception, rid: str, mention: Callable[[str], str]) -> str:
    text = error_text(exc, command_line=f"rotation autopilot {rid}")
    try:
        return mention_users(text, exc, mention)
    except Exception:  # a directory outage keeps the ids, not the error
        log.warning("could not name the users of an error", exc_info=True)
        return text


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
    out = AutopilotAllResult()
    texts: list[str] = []
    me = ctx.username(ctx.actor.user_id)
    for run in run_every_rotation(ctx.call, ctx.username):
        if run.result is None:
            out.errors[run.rotation_id] = run.error
            texts.append(render.autopilot_failure(run.rotation_id, run.error))
            continue
        out.results.append(run.result)
        out.notices.extend(run.result.notices)
        texts.append(render.autopilot_report(run.result, me, ctx.zone, ctx.username))
    return out, render.autopilot_all_text(texts)
