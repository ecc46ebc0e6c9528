"""Markdown for ``rotation stats``: each person's shifts against their fair share."""

from __future__ import annotations

from datetime import timedelta

from lotto import api
from lotto.commands.render.records import Mention, fmt_duration, fmt_when

__all__ = ["stats_text"]

# Times are in the reader's zone, named once in the heading.
_HEAD = (
    "| Member | Shifts | Hours | Fair share | Difference | Last served | Next shift "
    "| Longest wait | Shortest wait | Current wait |"
)
_RULE = "|:--|--:|--:|--:|--:|:--|:--|--:|--:|--:|"


def _hours(td: timedelta) -> str:
    return f"{td.total_seconds() / 3600:.1f}"


def _signed(x: float) -> str:
    # "-0.0" reads like a sign error: a difference that rounds to nothing is shown as 0.0.
    return "0.0" if round(x, 1) == 0 else f"{x:+.1f}"


def _wait(td: timedelta | None) -> str:
    return "-" if td is None else fmt_duration(td)


def _row(m: api.MemberStats, mention: Mention, zone: str) -> str:
    last = fmt_when(m.last_served, zone, named=False) if m.last_served is not None else "never"
    coming = "-"
    if m.next_task_id and m.next_start is not None:
        coming = f"{m.next_task_id} {fmt_when(m.next_start, zone, named=False)}"
    return (
        f"| {mention(m.user_id)} | {m.shifts} | {_hours(m.served)} | {m.fair_shifts:.1f} "
        f"| {_signed(m.difference)} | {last} | {coming} | {_wait(m.longest_wait)} "
        f"| {_wait(m.shortest_wait)} | {_wait(m.current_wait)} |"
    )


def _table(people: list[api.MemberStats], mention: Mention, zone: str) -> list[str]:
    ordered = sorted(people, key=lambda m: (-m.difference, mention(m.user_id)))
    return [_HEAD, _RULE, *(_row(m, mention, zone) for m in ordered)]


def stats_text(res: api.RotationStatsResult, mention: Mention, zone: str = "UTC") -> str:
    """The report: a heading, a one-line summary, the members' table, then former members;
    times in the reader's ``zone``, named once in the heading."""
    lines = [
        f"#### Fairness of rotation {res.rotation_id}: "
        f"{fmt_when(res.since, zone, named=False)} to {fmt_when(res.until, zone, named=False)} "
        f"(times in {zone})",
        "",
    ]
    if res.members and res.most_over:
        lines.append(
            f"{res.shifts} shifts served ({_hours(res.served)} person-hours). Spread "
            f"{res.spread:.1f} shifts between the most over-served, {mention(res.most_over)} "
            f"({_signed(_diff(res, res.most_over))}), and the most under-served, "
            f"{mention(res.most_under)} ({_signed(_diff(res, res.most_under))}), each against "
            "their own fair share; waits run from the end of one shift to the start of the next."
        )
        lines.append("")
        lines.append(_pools_line(res, mention))
    else:
        lines.append(f"{res.shifts} shifts served; the rotation has no members.")
    if res.members:
        lines += ["", *_table(res.members, mention, zone)]
    if res.former:
        lines += [
            "",
            "Left the rotation but served in this time:",
            "",
            *_table(res.former, mention, zone),
        ]
    return "\n".join(lines)


def _pools_line(res: api.RotationStatsResult, mention: Mention) -> str:
    """How the fair shares were computed, in one line."""
    parts = []
    skill_pools = [p for p in res.pools if p.need]
    for pool in res.pools:
        who = ", ".join(mention(u) for u in pool.user_ids) or "nobody"
        if pool.need:
            parts.append(
                f"{pool.places} places of the {pool.need} slot ({pool.per_shift} a shift) "
                f"shared by who can fill it, {who}"
            )
        elif skill_pools:
            parts.append(f"the other {pool.places} places by everyone else, {who}")
        else:
            places = f"{pool.places} place{'' if pool.places == 1 else 's'}"
            parts.append(f"all {places} shared by everyone")
    return (
        "Fair shares: " + "; ".join(parts) + "; each split by time in the rotation, less time away."
    )


def _diff(res: api.RotationStatsResult, user_id: str) -> float:
    return next(m.difference for m in res.members if m.user_id == user_id)
