"""Markdown for ``rotation stats``: each person's shifts against their fair share."""

from __future__ import annotations

from datetime import timedelta

from lotto import api
from lotto.commands.render.records import Mention, fmt_duration, fmt_time

__all__ = ["stats_text"]

_HEAD = (
    "| Member | Shifts | Hours | Fair share | Difference | Last served (UTC) "
    "| Longest wait | Shortest wait | Current wait |"
)
_RULE = "|:--|--:|--:|--:|--:|:--|--:|--:|--:|"


def _hours(td: timedelta) -> str:
    return f"{td.total_seconds() / 3600:.1f}"


def _signed(x: float) -> str:
    # "-0.0" reads like a sign error: a difference that rounds to nothing is shown as 0.0.
    return "0.0" if round(x, 1) == 0 else f"{x:+.1f}"


def _wait(td: timedelta | None) -> str:
    return "-" if td is None else fmt_duration(td)


def _row(m: api.MemberStats, mention: Mention) -> str:
    last = fmt_time(m.last_served) if m.last_served is not None else "never"
    return (
        f"| {mention(m.user_id)} | {m.shifts} | {_hours(m.served)} | {m.fair_shifts:.1f} "
        f"| {_signed(m.difference)} | {last} | {_wait(m.longest_wait)} "
        f"| {_wait(m.shortest_wait)} | {_wait(m.current_wait)} |"
    )


def _table(people: list[api.MemberStats], mention: Mention) -> list[str]:
    ordered = sorted(people, key=lambda m: (-m.difference, mention(m.user_id)))
    return [_HEAD, _RULE, *(_row(m, mention) for m in ordered)]


def stats_text(res: api.RotationStatsResult, mention: Mention) -> str:
    """The report: a heading, a one-line summary, the members' table, then former members."""
    lines = [
        f"#### Fairness of rotation {res.rotation_id}: "
        f"{fmt_time(res.since)} to {fmt_time(res.until)} UTC",
        "",
    ]
    if res.members and res.most_over:
        lines.append(
            f"{res.shifts} shifts served ({_hours(res.served)} person-hours). Spread "
            f"{res.spread:.1f} shifts between the most over-served, {mention(res.most_over)} "
            f"({_signed(_diff(res, res.most_over))}), and the most under-served, "
            f"{mention(res.most_under)} ({_signed(_diff(res, res.most_under))}). A fair share "
            "splits every shift served by each person's time in the rotation, less their "
            "time away; waits run from the end of one shift to the start of the next."
        )
    else:
        lines.append(f"{res.shifts} shifts served; the rotation has no members.")
    if res.members:
        lines += ["", *_table(res.members, mention)]
    if res.former:
        lines += [
            "",
            "Left the rotation but served in this time:",
            "",
            *_table(res.former, mention),
        ]
    return "\n".join(lines)


def _diff(res: api.RotationStatsResult, user_id: str) -> float:
    return next(m.difference for m in res.members if m.user_id == user_id)
