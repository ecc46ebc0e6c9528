"""Markdown for forecasts: the coming shifts, then the users by likelihood of serving.

Each percentage is the share of the simulated futures in which something happened.
"""

from __future__ import annotations

from lotto import api
from lotto.api.forecasts import Forecast, UserForecast
from lotto.commands.render.records import Mention, fmt_time

__all__ = ["forecast_text", "percent"]

_SHIFT_COLUMNS = 6  # per-shift columns shown in the users' table


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


def _user_table(fc: Forecast, users: list[UserForecast], mention: Mention) -> list[str]:
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


def forecast_text(res: api.ForecastResult, mention: Mention, *, who: str = "") -> str:
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
