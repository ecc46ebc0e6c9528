"""Markdown replies of the rotation, task, skill and info commands."""

from __future__ import annotations

import msgspec

from lotto import api
from lotto.commands.render.records import (
    Mention,
    fmt_needs,
    gap_note,
    rotation_settings,
    task_noun,
    task_summary,
    user_with_skills,
)
from lotto.model.rotation import Rotation
from lotto.model.task import Task

__all__ = [
    "rotation_changed",
    "rotation_list",
    "rotation_archived",
    "needs_changed",
    "task_created",
    "task_assigned",
    "task_unassigned",
    "task_transitioned",
    "skill_added",
    "skill_deleted",
    "skill_list",
    "info_text",
    "json_block",
]


# What was done to a rotation, by the settings group a reply shows.
_CHANGED = {
    "new": "Created",
    "autopilot": "Updated the autopilot of",
    "fill": "Updated fill settings of",
    "task": "Updated task defaults of",
}


def rotation_changed(rot: Rotation, what: str, zone: str = "UTC") -> str:
    """``Created rotation **R**: <settings>.`` (``what``: ``new``) or an update of a group;
    the beginning in the reader's ``zone`` too.

    A new rotation whose beginning daylight saving skips says so in one more sentence.
    """
    settings = rotation_settings(rot, what, zone)
    text = f"{_CHANGED[what]} rotation **{rot.rotation_id}**: {settings}."
    note = gap_note(rot) if what == "new" else ""
    return f"{text} {note}" if note else text


def rotation_list(rotation_ids: list[str]) -> str:
    """The active rotations as a bullet list (or how to create one)."""
    if not rotation_ids:
        return "No active rotations. Create one with `/lotto rotation new NAME`."
    return "Active rotations:\n" + "\n".join(f"- {rid}" for rid in rotation_ids)


def rotation_archived(rot: Rotation) -> str:
    """The reply of ``rotation archive``."""
    return f"Archived rotation **{rot.rotation_id}**."


def needs_changed(rot: Rotation, *, limits: bool, unknown_skill: str = "") -> str:
    """The rotation's requirements (or ``limits``) after a change; a note on an unknown skill."""
    ts = rot.task_settings
    needs, word = (ts.limit, "limits") if limits else (ts.require, "requirements")
    text = f"Updated {word} of rotation **{rot.rotation_id}**: {fmt_needs(needs, limits=limits)}."
    if unknown_skill:
        # Most likely a typo: nobody can meet a skill nobody was ever qualified for.
        text += (
            f" Note: `{unknown_skill}` is not a known skill, so nobody has it yet; check the "
            "spelling (`/lotto skill list`) or qualify people with `/lotto user qualify`."
        )
    return text


def task_created(task: Task, kind: str, mention: Mention, zone: str = "UTC") -> str:
    """The reply of ``task new shift|ticket`` (``kind``); the start in ``zone``."""
    return f"Created {kind} {task_summary(task, mention, zone)}."


def task_assigned(res: api.TaskAssignResult, task_id: str, mention: Mention) -> str:
    """Who was assigned and, for those assigned with --force though busy or resting then,
    what --force overrode (``res.overrode``)."""
    who = ", ".join(user_with_skills(u, res.users, mention) for u in res.changed)
    if not who:
        return f"Nobody was assigned: everyone named is already assigned to {task_id}."
    text = f"Assigned {who} to {task_noun(res.task_type)} {res.task.task_id}"
    notes = [f"{mention(uid)} ({'; '.join(why)})" for uid, why in res.overrode.items()]
    if notes:
        text += f". --force overrode: {'; '.join(notes)}."
    return text


def task_unassigned(res: api.TaskAssignResult, task_id: str, mention: Mention) -> str:
    """Who was taken off the task (or that nobody named was on it)."""
    who = ", ".join(mention(u) for u in res.changed)
    if not who:
        return f"Nobody was unassigned: nobody named is assigned to {task_id}."
    return f"Unassigned {who} from {task_noun(res.task_type)} {res.task.task_id}"


def task_transitioned(res: api.TaskTransitionResult, state: str) -> str:
    """The task's new state (or that it already was in ``state``)."""
    if res.prev_state == res.task.state:
        return f"{res.task.task_id} is already {state}; nothing changed."
    return f"Transitioned {task_noun(res.task_type)} {res.task.task_id} to {res.task.state}."


def skill_added(skill: str, changed: bool) -> str:
    """The reply of ``skill new``."""
    if not changed:
        return f"**{skill}** is already a known skill; nothing changed."
    return f"Added **{skill}** to the known skills."


def skill_deleted(skill: str) -> str:
    """The reply of ``skill delete``."""
    return f"Deleted **{skill}** from the known skills; user records are unchanged."


def skill_list(skills: list[str]) -> str:
    """The known skills on one line."""
    return "Known skills: " + (", ".join(skills) if skills else "none") + "."


def info_text(res: api.InfoResult) -> str:
    """What Solar Lottery is, and the rotations and skills set up here."""
    rotations = ", ".join(res.rotation_ids) or "none"
    skills = ", ".join(res.skills) or "none"
    return (
        "#### Solar Lottery\nA team rotation scheduler: people are picked for shifts by a "
        "lottery whose odds grow the longer they have not served.\n"
        f"- Active rotations: {rotations}\n- Known skills: {skills}\n"
        "Use `/lotto help` for the commands."
    )


def json_block(data: object) -> str:
    """A result as indented JSON in a fenced block (the ``--json`` reply)."""
    body = msgspec.json.format(msgspec.json.encode(data), indent=2).decode()
    return f"```json\n{body}\n```"
