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
from lotto.api.forecasts import Forecast, UserForecast
from lotto.commands.base import ROTATION_FLAG, Ctx
from lotto.commands.parser import Flag
from lotto.commands.render import fmt_time
from lotto.commands.tree import PUBLIC, command
from lotto.service.forecasting import MAX_SAMPLES, MAX_SHIFTS

__all__ = ["forecast_text", "percent"]


def _request_default(name: str) -> Any:
    # The request struct is the one home of the defaults; the help only quotes them.
    (field,) = (f for f in msgspec.structs.fields(api.RotationForecastRequest) if f.name == name)
    return field.default


DEFAULT_SHIFTS = _request_default("shifts")
DEFAULT_SAMPLES = _request_default("samples")
_SHIFT_COLUMNS = 6  # per-shift columns shown in the users' table

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
    "changes nothing and does not affect the real lottery."
)


def percent(p: float) -> str:
    """A probability as a short percentage: ``0%``, ``<1%``, ``37%``, ``>99%``, ``100%``."""
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.005:
        return "<1%"
    if p > 0.995:
        return ">99%"
    return f"{round(p * 100)}%"


def _likely_next(fc: Forecast, user: UserForecast) -> str:
    if user.likely_next is None:
        return f"after {fc.shifts[-1].task_id}" if fc.shifts else "-"
    shift = fc.shifts[user.likely_next]
    return f"{shift.task_id} ({fmt_time(shift.start)})"


def _shift_table(fc: Forecast) -> list[str]:
    lines = ["| Shift | Starts (UTC) | State | Can't be filled |", "|:--|:--|:--|--:|"]
    for s in fc.shifts:
        unfilled = percent(s.p_insufficient)
        if s.unfilled_needs:
            need = max(s.unfilled_needs, key=lambda nid: (s.unfilled_needs[nid], nid))
            unfilled += f" (short of {need})"
        lines.append(f"| {s.task_id} | {fmt_time(s.start)} | {s.state} | {unfilled} |")
    return lines


def _user_table(fc: Forecast, users: list[UserForecast], mention) -> list[str]:
    shown = fc.shifts[:_SHIFT_COLUMNS]
    head = "| User | At least once | Expected shifts | Likely next |"
    head += "".join(f" {s.task_id} |" for s in shown)
    rule = "|:--|--:|--:|:--|" + "--:|" * len(shown)
    lines = [head, rule]
    for u in users:
        row = (
            f"| {mention(u.user_id)} | {percent(u.p_any)} | {u.expected_shifts:.2f} | "
            f"{_likely_next(fc, u)} |"
        )
        row += "".join(f" {percent(p)} |" for p in u.p_shift[:_SHIFT_COLUMNS])
        lines.append(row)
    return lines


def forecast_text(res: api.ForecastResult, mention, *, who: str = "") -> str:
    """Markdown for a forecast: the shifts, then the users by likelihood of serving."""
    fc = res.forecast
    n = len(fc.shifts)
    title = f"#### Forecast for {who + ' in ' if who else ''}rotation {fc.rotation_id}"
    lines = [
        f"{title}: next {n} shift{'s' if n != 1 else ''}, "
        f"{fc.samples} simulated futures (seed {res.seed})",
        "",
    ]
    if not fc.shifts:
        return "\n".join(lines + ["No coming shifts to forecast."])
    lines += _shift_table(fc) + [""]
    if not fc.users:
        return "\n".join(lines + ["The rotation has no members."])
    lines += _user_table(fc, fc.users, mention)
    if n > _SHIFT_COLUMNS:
        lines += [
            "",
            f"Per-shift columns show the first {_SHIFT_COLUMNS} shifts; use `--json` "
            "for all of them.",
        ]
    return "\n".join(lines)


def _sizes(ctx: Ctx) -> dict[str, Any]:
    # Only the flags given: the request's own defaults fill in the rest.
    return {name: ctx.flag(name) for name in ("shifts", "samples", "seed") if ctx.has(name)}


@command(
    ("rotation", "forecast"),
    "R [--shifts N] [--samples N] [--seed N]",
    "forecast who is likely to serve in the rotation's coming shifts",
    flags=_FLAGS,
    access=PUBLIC,
    details=_DETAILS,
)
def rotation_forecast(ctx: Ctx):
    """Forecast a rotation."""
    req = api.RotationForecastRequest(rotation=ctx.rotation(), **_sizes(ctx))
    res = ctx.call(req)
    return res, forecast_text(res, ctx.username)


@command(
    ("user", "forecast"),
    "[@user...] R [--shifts N] [--samples N] [--seed N]",
    "forecast when users (default: you) are likely to serve in a rotation",
    flags=_FLAGS,
    access=PUBLIC,
    details=_DETAILS,
)
def user_forecast(ctx: Ctx):
    """Forecast users in a rotation."""
    ref, users = ctx.rotation_and_users()
    req = api.UserForecastRequest(rotation=ref, user_ids=users, **_sizes(ctx))
    res = ctx.call(req)
    who = ", ".join(ctx.username(u) for u in users)
    return res, forecast_text(res, ctx.username, who=who)
