"""Markdown for the long records, kept short: ``rotation show`` and ``user show``.

A rotation with hundreds of members and tasks would fill pages: its show gives
the settings, a summary of the members (each by name only up to
:data:`MEMBERS_LISTED`) and the next open tasks; flags ask for the rest. A
user's show gives their coming events and only their last past shifts.
With few members, tasks and past shifts the text is what the full records give.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import msgspec

from lotto import api
from lotto.commands.render.hours import hours_lines
from lotto.commands.render.records import Mention, rotation_details, user_details
from lotto.model.availability import REASON_TASK
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation
from lotto.model.task import Task, task_interval
from lotto.model.user import User

__all__ = [
    "MEMBERS_LISTED",
    "TASKS_LISTED",
    "PAST_SHIFTS_LISTED",
    "rotation_overview",
    "users_show",
]

#: Up to this many members are listed by name (with skills) without ``--members``.
MEMBERS_LISTED = 10
#: Open tasks shown without ``--tasks``.
TASKS_LISTED = 10
#: Past shifts shown per user without ``--history``.
PAST_SHIFTS_LISTED = 5


def _start_key(task: Task) -> tuple[int, datetime | None, str]:
    interval = task_interval(task)
    # Tasks without a start go last, in id order.
    return (0, interval[0], task.task_id) if interval else (1, None, task.task_id)


def _members_summary(rot: Rotation, users: dict[str, User]) -> str:
    """Many members: how many, and how many hold each skill."""
    ids = rot.mattermost_user_ids
    skills: Counter[str] = Counter()
    without = 0
    for uid in ids:
        held = users[uid].skill_levels if uid in users else {}
        skills.update(held.keys())
        without += not held
    counts = [f"{skill} {n}" for skill, n in sorted(skills.items(), key=lambda kv: (-kv[1], kv[0]))]
    if without:
        counts.append(f"no skills {without}")
    return (
        f"- Members ({len(ids)}), by skill: {', '.join(counts)}. "
        f"`/lotto rotation show {rot.rotation_id} --members` lists them."
    )


def rotation_overview(
    rot: Rotation,
    users: dict[str, User],
    tasks: list[Task],
    mention: Mention,
    *,
    tasks_listed: int | None = TASKS_LISTED,
    every_member: bool = False,
    zone: str = "UTC",
    next_holidays: list[tuple[str, str]] | None = None,
) -> str:
    """A rotation's details (:func:`rotation_details`, times in ``zone``) with a summary of
    its members when they are many and only its next open tasks.

    ``tasks_listed`` None lists every open task; ``every_member`` lists every member; the
    working hours and ``next_holidays`` follow the schedule line.
    """
    ordered = sorted(tasks, key=_start_key)
    shown = ordered if tasks_listed is None else ordered[:tasks_listed]
    many = not every_member and len(rot.mattermost_user_ids) > MEMBERS_LISTED
    # Many members: a summary, without rendering (and sorting) every name first.
    summary = _members_summary(rot, users) if many else ""
    lines = rotation_details(rot, users, shown, mention, zone, members_line=summary).split("\n")
    working = hours_lines(rot, next_holidays or [])
    lines[2:2] = working  # after the heading and the schedule
    if len(shown) < len(ordered):
        noun = "tickets" if rot.task_type == TASK_TYPE_TICKET else "shifts"
        head = f"- Open {noun} ({len(ordered)}), the next {len(shown)} (times in {zone}):"
        lines = [head if line.startswith(f"- Open {noun} (times in") else line for line in lines]
        lines.append(
            f"  - … and {len(ordered) - len(shown)} more: "
            f"`/lotto rotation show {rot.rotation_id} --tasks all` lists them (or `--tasks N`)."
        )
    return "\n".join(lines)


def _recent(user: User, now: datetime) -> tuple[User, int]:
    """``user`` with only their last past shifts (and those shifts' grace), and how many
    past shifts were left out. Events not over yet and personal ones all stay."""
    past = [e for e in user.calendar if e.reason == REASON_TASK and e.finish <= now]
    hidden = {e.task_id for e in past[:-PAST_SHIFTS_LISTED]} if PAST_SHIFTS_LISTED else set()
    if not hidden:
        return user, 0
    kept = [e for e in user.calendar if not (e.task_id in hidden and e.finish <= now)]
    return msgspec.structs.replace(user, calendar=kept), len(hidden)


def users_show(
    res: api.UsersResult, mention: Mention, now: datetime, *, history: bool, zone: str = "UTC"
) -> str:
    """``user show``: each user's details (times in ``zone``); without ``history`` only their
    last past shifts."""
    blocks = []
    for user in res.users:
        shown, hidden = (user, 0) if history else _recent(user, now)
        text = user_details(shown, mention, res.rotations.get(user.mattermost_user_id), zone, now)
        if hidden:
            who = mention(user.mattermost_user_id)
            text += (
                f"\n- … and {hidden} earlier past shift{'s' if hidden != 1 else ''}: "
                f"`/lotto user show {who} --history` lists them."
            )
        blocks.append(text)
    return "\n".join(blocks)
