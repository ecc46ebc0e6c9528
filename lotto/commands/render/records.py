"""Markdown for records (tasks, rotations, users) and the pieces every reply uses.

Times are shown in the reader's zone, named: ``Thu 12 Mar 2026 09:00 PDT`` (:func:`fmt_when`);
a list of times says its zone once, in its header, and each line leaves it out. Records
still store UTC, and ``--json`` keeps RFC 3339 UTC. Needs, skills and durations have one
form each, given here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from lotto.commands.render.usertext import user_text
from lotto.model.availability import Event
from lotto.model.hours import format_days
from lotto.model.needs import limit_words, require_words
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, numbers_working_days, skipped_beginning
from lotto.model.task import TICKET_DURATION, Task
from lotto.model.timeutil import get_zone, is_wall_clock_period, parse_duration, parse_wall
from lotto.model.user import User, last_ended, next_shift

__all__ = [
    "Mention",
    "owners_text",
    "channel_text",
    "fmt_time",
    "fmt_when",
    "zone_label",
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
    "task_noun",
    "LEVEL_LEGEND",
    "offers_text",
    "rotation_settings",
    "rotation_details",
    "user_details",
    "served_text",
]

Mention = Callable[[str], str]  # user id -> "@username"


def fmt_time(dt: datetime | None, zone: str = "UTC") -> str:
    """``YYYY-MM-DDTHH:MM`` in ``zone`` (trailing ``T00:00`` dropped); ``-`` when unset."""
    if dt is None:
        return "-"
    from lotto.model.timeutil import format_time

    return format_time(dt, zone)


def zone_label(dt: datetime, zone: str) -> str:
    """The zone's abbreviation at ``dt`` (``PDT``, ``CET``); ``UTC+05:45`` where it has none."""
    from lotto.model.timeutil import get_zone

    local = dt.astimezone(get_zone(zone))
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        offset = local.strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return name


def fmt_when(dt: datetime | None, zone: str = "UTC", *, named: bool = True) -> str:
    """``Thu 12 Mar 2026 09:00 PDT``: ``dt`` on ``zone``'s clock, the zone named at that time.

    ``named=False`` leaves the zone out (for lists whose header names it); ``-`` when unset.
    """
    if dt is None:
        return "-"
    from lotto.model.timeutil import get_zone

    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    local = aware.astimezone(get_zone(zone))
    # Not strftime's %a/%b: those follow the process locale.
    text = (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} "
        f"{local.hour:02d}:{local.minute:02d}"
    )
    return f"{text} {zone_label(aware, zone)}" if named else text


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


def fmt_needs(needs: Mapping[str, int], *, limits: bool = False) -> str:
    """Requirements (or ``limits``) as people say them: ``2 people, at least 1 lead
    (advanced or better)``, ``at most 1 webapp (expert)``; ``none`` if empty."""
    return (limit_words(needs) if limits else require_words(needs)) or "none"


def skills_text(user: User | None, *, glyphs: bool = False, inline: bool = False) -> str:
    """A user's skills sorted by skill: ``server (beginner), webapp (expert)``; ``""`` if none.

    ``inline=True`` is the form inside parentheses: ``server beginner, webapp expert``.

    ``glyphs=True`` is the tight form (``server-◉, webapp-◈◈``) for long lists, which
    explain the glyphs once (:data:`LEVEL_LEGEND`).
    """
    from lotto.model.skill import LEVEL_NAMES, format_skill_level

    if user is None or not user.skill_levels:
        return ""
    levels = user.skill_levels
    if glyphs:
        return ", ".join(format_skill_level(s, levels[s]) for s in sorted(levels))
    sep = " " if inline else " ("
    end = "" if inline else ")"
    return ", ".join(
        f"{s}{sep}{LEVEL_NAMES.get(levels[s], levels[s])}{end}" for s in sorted(levels)
    )


#: The one line that explains the level glyphs of the tight form.
LEVEL_LEGEND = "Levels: ◉ beginner, ▣ intermediate, ◈ advanced, ◈◈ expert."


def user_with_skills(
    user_id: str, users: dict[str, User], mention: Mention, *, glyphs: bool = False
) -> str:
    """``@username`` with the skills in words (``@bob (webapp expert)``); just the name
    without skills. ``glyphs=True``: ``@bob (webapp-◈◈)``."""
    skills = skills_text(users.get(user_id), glyphs=glyphs, inline=True)
    return f"{mention(user_id)} ({skills})" if skills else mention(user_id)


def auto_assigned(
    task_id: str, added: list[str], users: dict[str, User], mention: Mention, kind: str = "task"
) -> str:
    """The fill line: ``Auto-assigned @a (webapp advanced), @b to shift R#N`` (``kind``:
    shift or ticket)."""
    if not added:
        return f"Auto-assigned nobody to {kind} {task_id}: it already meets its requirements"
    who = ", ".join(user_with_skills(uid, users, mention) for uid in added)
    return f"Auto-assigned {who} to {kind} {task_id}"


def task_noun(task_type: str) -> str:
    """What people call a task of a rotation's ``task_type``: ``shift`` or ``ticket``
    (``task`` when not known)."""
    if not task_type:
        return "task"
    return "ticket" if task_type == TASK_TYPE_TICKET else "shift"


def event_reason(event: Event) -> str:
    """Why a user is unavailable: the event's reason, then its task id if it has one."""
    return event.reason + (f" {event.task_id}" if event.task_id else "")


def _interval(task: Task) -> tuple[datetime | None, datetime | None]:
    from lotto.model.task import task_interval

    interval = task_interval(task)
    return interval if interval else (None, None)


def task_summary(task: Task, mention: Mention, zone: str = "UTC", *, named: bool = True) -> str:
    """One line: id, state, start (in ``zone``; unnamed in a list naming it), duration, users."""
    start, _ = _interval(task)
    users = ", ".join(mention(u) for u in task.mattermost_user_ids) or "nobody"
    text = (
        f"**{task.task_id}** {task.state}, starts {fmt_when(start, zone, named=named)}, "
        f"lasts {fmt_duration(task.expected_duration)}, assigned: {users}"
    )
    if task.offers:
        text += f"; offered: {', '.join(mention(o.user_id) for o in task.offers)}"
    return text


def offers_text(task: Task, mention: Mention, zone: str = "UTC", *, named: bool = True) -> str:
    """The task's open offers: whose place, since when (in ``zone``), to whom, with the note;
    ``none``."""
    parts = []
    for o in task.offers:
        part = f"{mention(o.user_id)}'s place (since {fmt_when(o.offered_at, zone, named=named)}"
        if o.to_user_id:
            part += f", to {mention(o.to_user_id)} only"
        if o.opened_by and o.opened_by != o.user_id:
            part += f", opened by {mention(o.opened_by)}"
        part += ")"
        if o.note:
            part += f": {user_text(o.note, inline=True)}"
        parts.append(part)
    return "; ".join(parts) or "none"


def task_details(
    task: Task, users: dict[str, User], mention: Mention, zone: str = "UTC", kind: str = "task"
) -> str:
    """Bullet list of a task's fields; times in ``zone`` (said once, in the header)."""
    start, finish = _interval(task)
    assigned = ", ".join(user_with_skills(u, users, mention) for u in task.mattermost_user_ids)

    def when(dt: datetime | None) -> str:
        return fmt_when(dt, zone, named=False)

    lines = [
        f"#### {kind.capitalize()} {task.task_id} (times in {zone})",
        f"- Rotation: **{task.rotation_id}**",
        f"- State: **{task.state}**",
        f"- Expected start: {when(task.expected_start)}, "
        f"duration {fmt_duration(task.expected_duration)}",
        f"- Interval: {when(start)} to {when(finish)}",
    ]
    if task.actual_start is not None:
        lines.append(f"- Actual start: {when(task.actual_start)}")
    if task.actual_finish is not None:
        lines.append(f"- Actual finish: {when(task.actual_finish)}")
    lines += [
        f"- Grace: {fmt_duration(task.grace)}",
        f"- Require: {fmt_needs(task.require)}",
        f"- Limit: {fmt_needs(task.limit, limits=True)}",
        f"- Assigned: {assigned or 'nobody'}",
    ]
    if task.offers:
        offered = offers_text(task, mention, zone, named=False)
        lines.append(f"- Offered: {offered} (take it with `task take`)")
    if task.summary:
        lines.append(f"- Summary: {user_text(task.summary, inline=True)}")
    return "\n".join(lines)


def rotation_settings(rot: Rotation, what: str, zone: str = "UTC") -> str:
    """One settings group of a rotation as a phrase (``new``, ``task``, ``fill``, ``autopilot``);
    the beginning on the rotation's clock, and in the reader's ``zone`` when that differs."""
    ts, fs, ap = rot.task_settings, rot.fill_settings, rot.autopilot_settings
    if what == "task":
        if rot.task_type == TASK_TYPE_TICKET:
            # Tickets have no next period to run to: without a duration they get the default.
            length = fmt_duration(ts.duration or TICKET_DURATION)
            return f"tickets last {length}, grace {fmt_duration(ts.grace)}"
        # A daily shift on working days lasts a day, not over the weekend (§2).
        rest = "1 day" if numbers_working_days(rot) else "until the next period"
        length = fmt_duration(ts.duration) if ts.duration else rest
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
    rot_zone = fs.time_zone or "UTC"
    # Tickets come on demand; their period only paces the lottery's odds.
    if rot.task_type != TASK_TYPE_TICKET:
        kind = f"shifts {fmt_period(fs.period)}"
        if numbers_working_days(rot) and rot.working.days:
            kind += f" on {format_days(rot.working.days)}"
    elif is_wall_clock_period(fs.period):
        kind = f"tickets on demand, odds counted in {fs.period} periods"
    else:
        length = fmt_duration(parse_duration(fs.period))
        kind = f"tickets on demand, odds counted in periods of {length}"
    text = f"{kind} from {fmt_when(fs.beginning, rot_zone)}"
    # Shifts follow the rotation's clock, so show the beginning on it first; a fixed
    # period runs in absolute time and claims no wall clock.
    if rot_zone != "UTC" and is_wall_clock_period(fs.period):
        text += f" on the {rot_zone} clock"
    if fs.beginning is not None and zone != rot_zone:
        text += f" ({fmt_when(fs.beginning, zone)} for you)"
    return text


def owners_text(rot: Rotation, mention: Mention) -> str:
    """The owners as ``@a, @b`` (or ``none: plugin admins only``)."""
    return ", ".join(mention(u) for u in rot.owners) or "none (plugin admins only)"


def channel_text(rot: Rotation) -> str:
    """Where the rotation's news goes: ``~name``, or none."""
    return f"~{rot.channel_name or rot.channel_id}" if rot.channel_id else "none"


def rotation_details(
    rot: Rotation,
    users: dict[str, User],
    tasks: list[Task],
    mention: Mention,
    zone: str = "UTC",
    *,
    members_line: str = "",
) -> str:
    """Bullet list of a rotation's settings, members and open tasks (times in ``zone``).

    ``members_line`` replaces the list of every member (e.g. a summary of many)."""
    ts = rot.task_settings
    ids = rot.mattermost_user_ids
    if members_line:
        members = ""
    else:
        ordered = sorted(ids, key=mention)
        # A long list: skills in the tight glyph form, explained once below it.
        members = ", ".join(user_with_skills(u, users, mention, glyphs=True) for u in ordered)
    # Needs are in words; only the members' skills use glyphs.
    has_skills = any(users.get(u) is not None and users[u].skill_levels for u in ids)
    noun = "tickets" if rot.task_type == TASK_TYPE_TICKET else "shifts"
    lines = [
        f"#### Rotation {rot.rotation_id}" + (" (archived)" if rot.is_archived else ""),
        f"- Schedule: {rotation_settings(rot, 'new', zone)}",
        f"- Fill: {rotation_settings(rot, 'fill')}",
        f"- Task defaults: {rotation_settings(rot, 'task')}",
        f"- Require: {fmt_needs(ts.require)}",
        f"- Limit: {fmt_needs(ts.limit, limits=True)}",
        f"- Autopilot: {rotation_settings(rot, 'autopilot')}",
        members_line or f"- Members ({len(ids)}): {members or 'none'}",
        f"- Owners: {owners_text(rot, mention)}",
    ]
    if has_skills:
        lines.append(f"  - {LEVEL_LEGEND}")
    if rot.channel_id:
        lines.append(f"- Channel: {channel_text(rot)}")
    if tasks:
        lines.append(f"- Open {noun} (times in {zone}):")
        lines += [f"  - {task_summary(t, mention, zone, named=False)}" for t in tasks]
    else:
        lines.append(f"- Open {noun}: none")
    return "\n".join(lines)


def served_text(user: User, rotation_id: str, now: datetime, zone: str) -> str:
    """When ``user`` last served the rotation and their next shift there, in words:
    ``last served Mon 13 Jan 2020 00:00 UTC, next shift ICE#2 Mon 20 Jan 2020 00:00 UTC``
    (either part left out when there is none; "" when neither).

    The one rule of every reply: last served counts only shifts that ended by ``now``
    (:func:`lotto.model.user.last_ended`, not the queue's ``LastServed``, which counts
    shifts assigned ahead); the next assigned shift is said apart.
    """
    last = last_ended(user, rotation_id, now)
    coming = next_shift(user, rotation_id, now)
    parts = [f"last served {fmt_when(last, zone)}"] if last is not None else []
    if coming is not None:
        parts.append(f"next shift {coming.task_id} {fmt_when(coming.start, zone)}")
    return ", ".join(parts)


def _served_lines(user: User, zone: str, now: datetime) -> list[str]:
    """ "Last served" and "Next shift" lines over the user's rotations, by the rule of
    :func:`served_text` (times without their zone: the block's header names it)."""
    rids = sorted({*user.last_served, *(e.rotation_id for e in user.calendar if e.rotation_id)})
    last = [(rid, when) for rid in rids if (when := last_ended(user, rid, now)) is not None]
    coming = [e for rid in rids if (e := next_shift(user, rid, now)) is not None]
    lines = []
    if last:
        text = ", ".join(f"{rid} {fmt_when(when, zone, named=False)}" for rid, when in last)
        lines.append(f"- Last served: {text}")
    if coming:
        text = ", ".join(f"{e.task_id} {fmt_when(e.start, zone, named=False)}" for e in coming)
        lines.append(f"- Next shift: {text}")
    return lines


def user_details(
    user: User,
    mention: Mention,
    rotations: list[str] | None,
    zone: str,
    now: datetime,
) -> str:
    """Bullet list of a user's skills, rotations (when given), when they last served and
    their next shifts as of ``now`` (:func:`served_text`'s rule) and calendar; times in
    ``zone``, said once in the header."""
    lines = [f"#### {mention(user.mattermost_user_id)} (times in {zone})"]
    skills = skills_text(user)
    lines.append(f"- Skills: {skills or 'none'}")
    if rotations is not None:
        lines.append(f"- Rotations: {', '.join(rotations) or 'none'}")
    lines += _served_lines(user, zone, now)
    if user.calendar:
        lines.append("- Unavailable:")
        for ev in user.calendar:
            lines.append(
                f"  - {fmt_when(ev.start, zone, named=False)} to "
                f"{fmt_when(ev.finish, zone, named=False)}: {event_reason(ev)}"
            )
    else:
        lines.append("- Unavailable: never")
    if user.muted:
        lines.append(f"- Muted messages: {', '.join(user.muted)}")
    return "\n".join(lines)
