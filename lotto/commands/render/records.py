"""Markdown for records (tasks, rotations, users) and the pieces every reply uses.

Record times are shown in UTC as ``YYYY-MM-DDTHH:MM`` (docs/design.md §5); needs, skills and
durations have one form each, given here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from lotto.model.availability import Event
from lotto.model.needs import format_needs
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, skipped_beginning
from lotto.model.task import TICKET_DURATION, Task
from lotto.model.timeutil import get_zone, is_wall_clock_period, parse_duration, parse_wall
from lotto.model.user import User

__all__ = [
    "Mention",
    "owners_text",
    "channel_text",
    "fmt_time",
    "fmt_duration",
    "fmt_period",
    "gap_note",
    "fmt_needs",
    "skills_text",
    "user_with_skills",
    "auto_assigned",
    "event_reason",
    "task_summary",
    "task_details",
    "offers_text",
    "rotation_settings",
    "rotation_details",
    "user_details",
]

Mention = Callable[[str], str]  # user id -> "@username"


def fmt_time(dt: datetime | None, zone: str = "UTC") -> str:
    """``YYYY-MM-DDTHH:MM`` in ``zone`` (trailing ``T00:00`` dropped); ``-`` when unset."""
    if dt is None:
        return "-"
    from lotto.model.timeutil import format_time

    return format_time(dt, zone)


def fmt_duration(td: timedelta) -> str:
    """A duration as people write it (``1 week``, ``30 min``, ``12 days 12 h``)."""
    from lotto.model.timeutil import format_duration

    return format_duration(td)


def fmt_period(period: str) -> str:
    """``weekly`` for a named period, ``every 1 day 12 h`` for a fixed one."""
    return (
        period if is_wall_clock_period(period) else f"every {fmt_duration(parse_duration(period))}"
    )


def gap_note(rot: Rotation) -> str:
    """One sentence when daylight saving skips the beginning asked for; ``""`` otherwise."""
    fs = rot.fill_settings
    asked = skipped_beginning(rot)
    if not asked or fs.beginning is None:
        return ""
    wall = parse_wall(asked)
    begins = fs.beginning.astimezone(get_zone(fs.time_zone))
    then = f"later shifts keep {wall:%H:%M}" if is_wall_clock_period(fs.period) else ""
    return (
        f"{wall:%H:%M} does not exist on {fmt_time(wall.replace(hour=0, minute=0))} in "
        f"{fs.time_zone} (daylight saving skips it), so the first shift starts at "
        f"{begins:%H:%M %Z}" + (f"; {then}." if then else ".")
    )


def fmt_needs(needs: Mapping[str, int]) -> str:
    """Needs as ``**5** any, **1** lead-◉`` (the domain's one order and form); ``none`` if empty."""
    return format_needs(needs, bold=True) or "none"


def skills_text(user: User | None) -> str:
    """A user's skills as ``(TEAM-◉, webapp-◈)`` sorted by skill; ``(none)`` without any."""
    from lotto.model.skill import format_skill_level

    if user is None or not user.skill_levels:
        return "(none)"
    return (
        "("
        + ", ".join(format_skill_level(s, user.skill_levels[s]) for s in sorted(user.skill_levels))
        + ")"
    )


def user_with_skills(user_id: str, users: dict[str, User], mention: Mention) -> str:
    """``@username (skills)``."""
    return f"{mention(user_id)} {skills_text(users.get(user_id))}"


def auto_assigned(task_id: str, added: list[str], users: dict[str, User], mention: Mention) -> str:
    """The pinned fill line: ``Auto-assigned @a (skills), @b (skills) to ticket R#N``."""
    if not added:
        return f"Auto-assigned nobody to ticket {task_id}: it already meets its requirements"
    who = ", ".join(user_with_skills(uid, users, mention) for uid in added)
    return f"Auto-assigned {who} to ticket {task_id}"


def event_reason(event: Event) -> str:
    """Why a user is unavailable: the event's reason, then its task id if it has one."""
    return event.reason + (f" {event.task_id}" if event.task_id else "")


def _interval(task: Task) -> tuple[datetime | None, datetime | None]:
    from lotto.model.task import task_interval

    interval = task_interval(task)
    return interval if interval else (None, None)


def task_summary(task: Task, mention: Mention) -> str:
    """One line: id, state, start, duration and users."""
    start, _ = _interval(task)
    users = ", ".join(mention(u) for u in task.mattermost_user_ids) or "nobody"
    text = (
        f"**{task.task_id}** {task.state}, starts {fmt_time(start)} UTC, "
        f"lasts {fmt_duration(task.expected_duration)}, assigned: {users}"
    )
    if task.offers:
        text += f"; offered: {', '.join(mention(o.user_id) for o in task.offers)}"
    return text


def offers_text(task: Task, mention: Mention) -> str:
    """The task's open offers: whose place, since when, to whom, with the note; ``none``."""
    parts = []
    for o in task.offers:
        part = f"{mention(o.user_id)}'s place (since {fmt_time(o.offered_at)} UTC"
        if o.to_user_id:
            part += f", to {mention(o.to_user_id)} only"
        if o.opened_by and o.opened_by != o.user_id:
            part += f", opened by {mention(o.opened_by)}"
        part += ")"
        if o.note:
            part += f": {o.note}"
        parts.append(part)
    return "; ".join(parts) or "none"


def task_details(task: Task, users: dict[str, User], mention: Mention) -> str:
    """Bullet list of a task's fields."""
    start, finish = _interval(task)
    assigned = ", ".join(user_with_skills(u, users, mention) for u in task.mattermost_user_ids)
    lines = [
        f"#### Task {task.task_id}",
        f"- Rotation: **{task.rotation_id}**",
        f"- State: **{task.state}**",
        f"- Expected start: {fmt_time(task.expected_start)} UTC, "
        f"duration {fmt_duration(task.expected_duration)}",
        f"- Interval: {fmt_time(start)} to {fmt_time(finish)} UTC",
    ]
    if task.actual_start is not None:
        lines.append(f"- Actual start: {fmt_time(task.actual_start)} UTC")
    if task.actual_finish is not None:
        lines.append(f"- Actual finish: {fmt_time(task.actual_finish)} UTC")
    lines += [
        f"- Grace: {fmt_duration(task.grace)}",
        f"- Require: {fmt_needs(task.require)}",
        f"- Limit: {fmt_needs(task.limit)}",
        f"- Assigned: {assigned or 'nobody'}",
    ]
    if task.offers:
        lines.append(f"- Offered: {offers_text(task, mention)} (take it with `task take`)")
    if task.summary:
        lines.append(f"- Summary: {task.summary}")
    return "\n".join(lines)


def rotation_settings(rot: Rotation, what: str) -> str:
    """One settings group of a rotation as a phrase (``new``, ``task``, ``fill``, ``autopilot``)."""
    ts, fs, ap = rot.task_settings, rot.fill_settings, rot.autopilot_settings
    if what == "task":
        if rot.task_type == TASK_TYPE_TICKET:
            # Tickets have no next period to run to: without a duration they get the default.
            length = fmt_duration(ts.duration or TICKET_DURATION)
            return f"tickets last {length}, grace {fmt_duration(ts.grace)}"
        length = fmt_duration(ts.duration) if ts.duration else "until the next period"
        return f"tasks last {length}, grace {fmt_duration(ts.grace)}"
    if what == "fill":
        return f"filled by {rot.filler_type}, seed {fs.seed}, fuzz {fs.fuzz}"
    if what == "autopilot":
        steps = [
            ("create", ap.create, ap.create_prior),
            ("schedule", ap.schedule, ap.schedule_prior),
            ("remind-start", ap.remind_start, ap.remind_start_prior),
            ("remind-finish", ap.remind_finish, ap.remind_finish_prior),
        ]
        auto = [f"{name} {fmt_duration(prior)} ahead" for name, on, prior in steps if on]
        if ap.start_finish:
            auto.append("start-finish")
        return ", ".join(auto) if auto else "off"
    zone = fs.time_zone or "UTC"
    # Tickets come on demand; their period only paces the lottery's odds.
    if rot.task_type != TASK_TYPE_TICKET:
        kind = f"shifts {fmt_period(fs.period)}"
    elif is_wall_clock_period(fs.period):
        kind = f"tickets on demand, odds counted in {fs.period} periods"
    else:
        length = fmt_duration(parse_duration(fs.period))
        kind = f"tickets on demand, odds counted in periods of {length}"
    if zone == "UTC":
        return f"{kind} from {fmt_time(fs.beginning)} UTC"
    # Shifts follow the rotation's clock, so show the beginning on it first; a fixed
    # period runs in absolute time and claims no wall clock.
    clock = f"on the {zone} clock" if is_wall_clock_period(fs.period) else f"{zone} time"
    return f"{kind} from {fmt_time(fs.beginning, zone)} {clock} ({fmt_time(fs.beginning)} UTC)"


def owners_text(rot: Rotation, mention: Mention) -> str:
    """The owners as ``@a, @b`` (or ``none: plugin admins only``)."""
    return ", ".join(mention(u) for u in rot.owners) or "none (plugin admins only)"


def channel_text(rot: Rotation) -> str:
    """Where the rotation's news goes: ``~name``, or none."""
    return f"~{rot.channel_name or rot.channel_id}" if rot.channel_id else "none"


def rotation_details(
    rot: Rotation, users: dict[str, User], tasks: list[Task], mention: Mention
) -> str:
    """Bullet list of a rotation's settings, members and open tasks."""
    ts = rot.task_settings
    members = ", ".join(
        user_with_skills(u, users, mention) for u in sorted(rot.mattermost_user_ids, key=mention)
    )
    lines = [
        f"#### Rotation {rot.rotation_id}" + (" (archived)" if rot.is_archived else ""),
        f"- Schedule: {rotation_settings(rot, 'new')}",
        f"- Fill: {rotation_settings(rot, 'fill')}",
        f"- Task defaults: {rotation_settings(rot, 'task')}",
        f"- Require: {fmt_needs(ts.require)}",
        f"- Limit: {fmt_needs(ts.limit)}",
        f"- Autopilot: {rotation_settings(rot, 'autopilot')}",
        f"- Members ({len(rot.mattermost_user_ids)}): {members or 'none'}",
        f"- Owners: {owners_text(rot, mention)}",
    ]
    if rot.channel_id:
        lines.append(f"- Channel: {channel_text(rot)}")
    if tasks:
        lines.append("- Open tasks:")
        lines += [f"  - {task_summary(t, mention)}" for t in tasks]
    else:
        lines.append("- Open tasks: none")
    return "\n".join(lines)


def user_details(user: User, mention: Mention, rotations: list[str] | None = None) -> str:
    """Bullet list of a user's skills, rotations (when given), last-served times and calendar."""
    lines = [f"#### {mention(user.mattermost_user_id)} {skills_text(user)}"]
    if rotations is not None:
        lines.append(f"- Rotations: {', '.join(rotations) or 'none'}")
    if user.last_served:
        served = ", ".join(
            f"{rid} {fmt_time(datetime.fromtimestamp(ts, tz=UTC))}"
            for rid, ts in sorted(user.last_served.items())
        )
        lines.append(f"- Last served (UTC): {served}")
    if user.calendar:
        lines.append("- Unavailable (UTC):")
        for ev in user.calendar:
            lines.append(f"  - {fmt_time(ev.start)} to {fmt_time(ev.finish)}: {event_reason(ev)}")
    else:
        lines.append("- Unavailable: never")
    return "\n".join(lines)
