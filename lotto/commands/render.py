"""Markdown for command results, direct messages and the autopilot report.

Only this module (and the handlers calling it) produce user-facing text.
Record times are shown in UTC as ``YYYY-MM-DDTHH:MM`` (SPEC §5); a direct
message shows times in its recipient's zone; the autopilot report's header
shows the run's time in the acting user's zone (as the original's tests pin).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from lotto import api
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation
from lotto.model.task import TICKET_DURATION, Task
from lotto.model.user import User

__all__ = [
    "Mention",
    "fmt_time",
    "fmt_duration",
    "fmt_needs",
    "skills_text",
    "user_with_skills",
    "auto_assigned",
    "task_summary",
    "task_details",
    "rotation_settings",
    "rotation_details",
    "user_details",
    "autopilot_report",
    "notice_text",
    "STEP_LABELS",
]

Mention = Callable[[str], str]  # user id -> "@username"

# Report labels of the autopilot steps (SPEC §4), in run order.
STEP_LABELS: dict[str, str] = {
    api.STEP_REMIND_FINISH: "finish reminder",
    api.STEP_FINISH: "finish",
    api.STEP_CREATE: "create shift",
    api.STEP_FILL_SCHEDULE: "fill and schedule",
    api.STEP_REMIND_START: "start reminder",
    api.STEP_START: "start",
}


def fmt_time(dt: datetime | None, zone: str = "UTC") -> str:
    """``YYYY-MM-DDTHH:MM`` in ``zone`` (trailing ``T00:00`` dropped); ``-`` when unset."""
    if dt is None:
        return "-"
    from lotto.model.timeutil import format_time

    return format_time(dt, zone)


def fmt_duration(td: timedelta) -> str:
    """A duration in Go's style (``744h0m0s``)."""
    from lotto.model.timeutil import format_duration

    return format_duration(td)


def fmt_needs(needs: dict[str, int]) -> str:
    """Needs as ``**5** any, **1** lead-◉`` (skills in order, ``any`` first); ``none`` if empty."""
    if not needs:
        return "none"
    order = sorted(needs, key=lambda nid: (nid != "any", nid))
    return ", ".join(f"**{needs[nid]}** {nid}" for nid in order)


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


def _interval(task: Task) -> tuple[datetime | None, datetime | None]:
    from lotto.model.task import task_interval

    interval = task_interval(task)
    return interval if interval else (None, None)


def task_summary(task: Task, mention: Mention) -> str:
    """One line: id, state, start, duration and users."""
    start, _ = _interval(task)
    users = ", ".join(mention(u) for u in task.mattermost_user_ids) or "nobody"
    return (
        f"**{task.task_id}** {task.state}, starts {fmt_time(start)} UTC, "
        f"lasts {fmt_duration(task.expected_duration)}, assigned: {users}"
    )


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
    if task.summary:
        lines.append(f"- Summary: {task.summary}")
    return "\n".join(lines)


def rotation_settings(rot: Rotation, what: str) -> str:
    """One settings group of a rotation as a phrase: ``new``, ``task``, ``fill`` or ``autopilot``."""
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
    kind = (
        f"tickets on demand, odds counted in {fs.period} periods"
        if rot.task_type == TASK_TYPE_TICKET
        else f"shifts {fs.period}"
    )
    if zone == "UTC":
        return f"{kind} from {fmt_time(fs.beginning)} UTC"
    # Shifts follow the rotation's clock, so show the beginning on it first.
    return (
        f"{kind} from {fmt_time(fs.beginning, zone)} on the {zone} clock "
        f"({fmt_time(fs.beginning)} UTC)"
    )


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
    ]
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
            why = ev.reason + (f" {ev.task_id}" if ev.task_id else "")
            lines.append(f"  - {fmt_time(ev.start)} to {fmt_time(ev.finish)}: {why}")
    else:
        lines.append("- Unavailable: never")
    return "\n".join(lines)


def autopilot_report(
    res: api.AutopilotResult, actor: str | None, zone: str, mention: Mention
) -> str:
    """The autopilot report of SPEC §4 (header time in the acting user's zone).

    ``actor`` is the acting user's ``@username``, or None for the timer's runs.
    """
    who = f"{actor} ran autopilot" if actor else "autopilot ran"
    lines = [f"{who} on {res.rotation.rotation_id} for {fmt_time(res.time, zone)}."]
    for step in res.steps:
        lines += _step_lines(step, res.users, mention, zone)
    return "\n".join(lines)


def _step_lines(
    step: api.AutopilotStep, users: dict[str, User], mention: Mention, zone: str
) -> list[str]:
    label = STEP_LABELS.get(step.name, step.name)
    if not step.configured:
        return [f"  - {label}: not configured"]
    if step.skipped_reason:
        return [f"  - {label}: {step.skipped_reason}"]
    if not step.task_ids and not step.fills:
        return [f"  - {label}: nothing to do"]
    n = len(step.task_ids)
    if step.name == api.STEP_CREATE:
        return [f"  - {label}: created {n} shifts:"] + [
            f"    - created shift {tid}" for tid in step.task_ids
        ]
    if step.name == api.STEP_FILL_SCHEDULE:
        out = [f"  - {label}: processed {len(step.fills)} tasks:"]
        for fill in step.fills:
            if fill.ended_at is not None:
                out.append(
                    f"    - skipped {fill.task_id}: it ended at {fmt_time(fill.ended_at, zone)} "
                    f"before it could be filled; it stays {fill.state}"
                )
                continue
            if fill.error:
                out.append(f"    - {fill.error}; {fill.task_id} stays {fill.state}")
                continue
            out.append(
                f"    - {auto_assigned(fill.task_id, fill.added_user_ids, users, mention)}"
                f", transitioned {fill.task_id} to {fill.state}"
            )
        return out
    if step.name in (api.STEP_REMIND_START, api.STEP_REMIND_FINISH):
        return [f"  - {label}: messaged {len(step.user_ids)} users of {n} tasks"]
    if step.name == api.STEP_FINISH:
        return [f"  - finished: {n} tasks"]
    if step.name == api.STEP_START:
        return [f"  - started: {n} tasks"]
    return [f"  - {label}: {n} tasks"]


def notice_text(n: api.Notice, mention: Mention, zone: str) -> str:
    """The direct message for a notice; times in the recipient's ``zone``."""
    actor = mention(n.actor_id) if n.actor_id else "The autopilot"
    task = f"**{n.task_id}**"
    start = fmt_time(n.start, zone) if n.start else "a time not yet known"
    finish = fmt_time(n.finish, zone) if n.finish else "a time not yet known"
    rot = f"**{n.rotation_id}**"
    # Joining or leaving by yourself is not news from "@you".
    by_self = bool(n.actor_id) and n.actor_id == n.user_id
    texts = {
        "welcome_new": (
            "#### Welcome to Solar Lottery!\n"
            + ("You joined" if by_self else f"{actor} added you to")
            + " the Solar Lottery team rotation scheduler. Use `/lotto info` and "
            "`/lotto help` to learn more."
        ),
        "welcome": (
            f"#### Welcome to rotation {rot}!\n"
            + (f"You joined {rot}." if by_self else f"{actor} added you to {rot}.")
            + f" Use `/lotto rotation show {n.rotation_id}` to see its settings and tasks."
        ),
        "left": (
            f"You left rotation {rot}." if by_self else f"{actor} removed you from rotation {rot}."
        ),
        "assigned": f"{actor} assigned you to {task}, from {start} to {finish} ({zone}).",
        "added": (
            f"{actor} added {', '.join(mention(u) for u in n.added_user_ids)} to your {task}."
        ),
        "unassigned": f"{actor} removed you from {task}.",
        "scheduled": (
            f"###### You have been scheduled for {task}\n{actor} scheduled {task}: "
            f"it runs from {start} to {finish} ({zone})."
        ),
        "started": (
            f"###### Your {task} has started\n{actor} started {task}; "
            f"it is expected to finish at {finish} ({zone})."
        ),
        "finished": f"###### Your {task} is finished\n{actor} finished {task}. Thank you!",
        "remind_start": (
            f"###### Reminder: your {task} starts soon\n{actor} reminds you: {task} "
            f"starts at {start} and runs until {finish} ({zone})."
        ),
        "remind_finish": (
            f"###### Reminder: your {task} finishes soon\n{actor} reminds you: {task} "
            f"finishes at {finish} ({zone})."
        ),
    }
    return texts.get(n.kind, f"{actor}: {n.kind} {n.task_id or n.rotation_id}".strip())
