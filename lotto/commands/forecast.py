"""``/lotto rotation forecast`` and ``/lotto user forecast``: who is likely to serve next.

Both are read-only, so anyone may run them. The numbers come from
:mod:`lotto.service.forecasting`: the next shifts are replayed many times with the
rotation's real filler, and each percentage is the share of those replays in
which something happened.
"""

from __future__ import annotations

from typing import Any

import msgspec

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.page import chart_image
from lotto.commands.parser import Flag
from lotto.commands.tree import PUBLIC, command
from lotto.service.forecasting import MAX_FILLS, MAX_SAMPLES, MAX_SHIFTS, MAX_WORK

__all__: list[str] = []


def _request_default(name: str) -> Any:
    # The request struct is the one home of the defaults; the help only quotes them.
    (field,) = (f for f in msgspec.structs.fields(api.RotationForecastRequest) if f.name == name)
    return field.default


DEFAULT_SHIFTS = _request_default("shifts")
DEFAULT_SAMPLES = _request_default("samples")

_FLAGS = (
    ROTATION_FLAG,
    Flag(
        "shifts",
        "count",
        f"how many coming shifts to forecast (default {DEFAULT_SHIFTS}, at most {MAX_SHIFTS})",
    ),
    Flag(
        "samples",
        "count",
        f"how many simulated futures (default {DEFAULT_SAMPLES}, at most {MAX_SAMPLES})",
    ),
    Flag("seed", "int", "seed of the simulation (default: the rotation's seed)"),
)

_DETAILS = (
    "The coming shifts are replayed many times with the rotation's own lottery, "
    "resting periods and unavailability included; a percentage is the share of replays "
    "in which it happened. Shifts already scheduled keep their people. The forecast "
    "changes nothing and does not affect the real lottery.\n\n"
    f"Limits: at most {MAX_SHIFTS} shifts and {MAX_SAMPLES} samples, at most "
    f"{MAX_FILLS:,} shifts × samples and at most {MAX_WORK:,} members × shifts × samples "
    f"(e.g. {MAX_SHIFTS} shifts × 1,000 samples for up to "
    f"{MAX_WORK // (MAX_SHIFTS * 1000)} members); shift rotations "
    "only (tickets come on demand). It assumes today's records stay as they are: the same "
    "members (nobody joins or leaves), the same settings, needs and skills, and only the "
    "unavailability already entered; each future fill is an independent draw (the real "
    "lottery's draw for a shift is fixed by the rotation's seed and the records of that day), "
    "and shifts not made yet are made and filled as the autopilot would."
)


def _sizes(ctx: Ctx) -> dict[str, Any]:
    # Only the flags given: the request's own defaults fill in the rest.
    return {name: ctx.flag(name) for name in ("shifts", "samples", "seed") if ctx.has(name)}


@command(
    ("rotation", "forecast"),
    "R [--shifts N] [--samples N] [--seed N]",
    "forecast who is likely to serve in the rotation's coming shifts",
    flags=_FLAGS,
    access=PUBLIC,
    read_only=True,
    details=_DETAILS,
    request=api.RotationForecastRequest,
)
def rotation_forecast(ctx: Ctx) -> Reply:
    """Forecast a rotation."""
    req = api.RotationForecastRequest(rotation=ctx.rotation(), **_sizes(ctx))
    res = ctx.call(req)
    sizes = {"shifts": req.shifts, "samples": req.samples, "seed": res.seed}
    chart = chart_image(ctx, "forecast", res.rotation.rotation_id, sizes)
    return res, render.forecast_text(res, ctx.username, zone=ctx.zone) + chart


@command(
    ("user", "forecast"),
    "[@user...] R [--shifts N] [--samples N] [--seed N]",
    "forecast when users (default: you) are likely to serve in a rotation",
    flags=_FLAGS,
    access=PUBLIC,
    read_only=True,
    details=_DETAILS,
    request=api.UserForecastRequest,
)
def user_forecast(ctx: Ctx) -> Reply:
    """Forecast users in a rotation."""
    ref, users = ctx.rotation_and_users()
    req = api.UserForecastRequest(rotation=ref, user_ids=users, **_sizes(ctx))
    res = ctx.call(req)
    who = ", ".join(ctx.username(u) for u in users)
    return res, render.forecast_text(res, ctx.username, who=who, zone=ctx.zone)
