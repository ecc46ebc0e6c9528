"""Replies of the on-call commands: owners, channel, ``rotation now``, ``user shifts``."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.commands.render.hours import off_hours_reason, on_call_note
from lotto.commands.render.records import (
    Mention,
    channel_text,
    event_reason,
    fmt_when,
    owners_text,
)
from lotto.model.rotation import Rotation
from lotto.model.task import Task, task_interval

__all__ = ["owners_changed", "channel_changed", "now_text", "shifts_text"]


def owners_changed(rot: Rotation, mention: Mention) -> str:
    """The reply of ``rotation set owners``."""
    return f"Owners of rotation **{rot.rotation_id}**: {owners_text(rot, mention)}."


def channel_changed(rot: Rotation) -> str:
    """The reply of ``rotation set channel``."""
    if not rot.channel_id:
        return f"Rotation **{rot.rotation_id}** no longer posts to a channel."
    return (
        f"Rotation **{rot.rotation_id}** now posts to {channel_text(rot)}: scheduled and "
        "started shifts, and alerts (also sent to its owners)."
    )


def _task_line(task: Task, mention: Mention, zone: str) -> str:
    interval = task_interval(task)
    start, finish = interval if interval else (None, None)
    people = ", ".join(mention(u) for u in task.mattermost_user_ids) or "nobody yet"
    span = f"{_when(start, zone)} to {_when(finish, zone)}"
    return f"**{task.task_id}** ({task.state}) {span}: {people}"


def _when(dt: datetime | None, zone: str) -> str:
    return fmt_when(dt, zone, named=False)


def now_text(res: api.RotationNowResult, mention: Mention, zone: str) -> str:
    """The reply of ``rotation now``: on call now and next, in the reader's ``zone``."""
    rid = res.rotation.rotation_id
    lines = [f"#### On call in {rid} at {fmt_when(res.time, zone, named=False)} (times in {zone})"]
    if res.off_hours:
        lines.append(f"- Now: nobody: {off_hours_reason(res.rotation, res.time)}")
    elif res.current is not None:
        until = f"; on call until {_when(res.on_call_until, zone)}" if res.on_call_until else ""
        lines.append(f"- Now: {_task_line(res.current, mention, zone)}{until}")
    else:
        lines.append("- Now: nobody (no started or scheduled task covers this time)")
    if res.next is not None:
        since = f"; on call from {_when(res.next_on_call, zone)}" if res.next_on_call else ""
        lines.append(f"- Next: {_task_line(res.next, mention, zone)}{since}")
    else:
        lines.append("- Next: none scheduled yet")
    return "\n".join(lines)


def shifts_text(res: api.UserShiftsResult, mention: Mention, zone: str) -> str:
    """The reply of ``user shifts``: current and upcoming tasks and time off, in ``zone``."""
    who = mention(res.user_id)
    head = (
        f"#### Shifts of {who} from {_when(res.time, zone)} to {_when(res.until, zone)} "
        f"(times in {zone})"
    )
    lines = [head]
    if res.tasks:
        lines.append("- Tasks:")
        lines += [
            f"  - {_task_line(t, mention, zone)}{on_call_note(res.hours.get(t.rotation_id))}"
            for t in res.tasks
        ]
    else:
        lines.append("- Tasks: none")
    if res.time_off:
        lines.append("- Time off:")
        lines += [
            f"  - {_when(e.start, zone)} to {_when(e.finish, zone)}: {event_reason(e)}"
            for e in res.time_off
        ]
    else:
        lines.append("- Time off: none")
    if res.offers:
        lines.append("- Places offered that you could take (`task take` checks your skills):")
        for task in res.offers:
            whose = ", ".join(mention(o.user_id) for o in task.offers)
            take = f"`/lotto task take {task.task_id} {mention(task.offers[0].user_id)}`"
            lines.append(f"  - {_task_line(task, mention, zone)}; offered: {whose}: {take}")
    return "\n".join(lines)
