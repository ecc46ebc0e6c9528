"""Markdown replies of the user commands: skills, membership and availability."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from lotto import api
from lotto.commands.render.offers import time_off_lines
from lotto.commands.render.records import Mention, fmt_when, served_text, user_details
from lotto.model.skill import LEVEL_NAMES
from lotto.model.user import START_KEPT, START_MEDIAN, last_ended

__all__ = [
    "users_reply",
    "user_qualified",
    "user_disqualified",
    "user_joined",
    "user_left",
    "user_unavailable",
    "user_notified",
]


def users_reply(
    res: api.UsersResult, head: str, mention: Mention, now: datetime, zone: str = "UTC"
) -> str:
    """``head`` (when given), then each user's details as of ``now`` (times in ``zone``)."""
    body = "\n".join(
        user_details(u, mention, res.rotations.get(u.mattermost_user_id), zone, now)
        for u in res.users
    )
    return f"{head}\n{body}" if head else body


def user_qualified(
    res: api.UsersResult,
    skills: list[tuple[str, int]],
    mention: Mention,
    now: datetime,
    zone: str = "UTC",
) -> str:
    """Who got the skills (and who already had them), then the users' details."""
    what = ", ".join(f"{s} ({LEVEL_NAMES.get(lvl, lvl)})" for s, lvl in skills)
    head = _skills_head(
        res,
        lambda who: f"Qualified {who} for {what}.",
        "already at those levels",
        "Nothing changed: everyone named already has those skills at those levels.",
        mention,
    )
    return users_reply(res, head, mention, now, zone)


def user_disqualified(
    res: api.UsersResult,
    skills: list[str],
    mention: Mention,
    zone: str = "UTC",
    *,
    now: datetime,
    history: bool = True,
) -> str:
    """Who lost the skills (and who did not have them), then the users' details (without
    ``history``, only their last past shifts, as ``user show``)."""
    head = _skills_head(
        res,
        lambda who: f"Disqualified {who} from {', '.join(skills)}.",
        "did not have them",
        "Nothing changed: nobody named has those skills.",
        mention,
    )
    if not history:
        from lotto.commands.render.compact import users_show

        return f"{head}\n{users_show(res, mention, now, history=False, zone=zone)}"
    return users_reply(res, head, mention, now, zone)


def _skills_head(
    res: api.UsersResult, done: Callable[[str], str], noop: str, nothing: str, mention: Mention
) -> str:
    # Who changed, and who was named but already as asked (like join and leave).
    if not res.changed:
        return nothing
    text: str = done(", ".join(mention(u) for u in res.changed))
    skipped = [u.mattermost_user_id for u in res.users if u.mattermost_user_id not in res.changed]
    if skipped:
        text += f" Skipped {', '.join(mention(u) for u in skipped)}: {noop}."
    return text


def user_joined(
    res: api.MembershipResult,
    named: list[str],
    mention: Mention,
    now: datetime,
    zone: str = "UTC",
) -> str:
    """Who was added to the rotation, who already was in it, and where the added start
    (when they last served as of ``now``, by :func:`served_text`'s rule)."""
    text = _membership(res, named, "Added", "to", "already in", mention)
    rid = res.rotation.rotation_id
    mid = [u for u in res.changed if res.starts.get(u) == START_MEDIAN]
    if mid:
        who = f"{', '.join(mention(u) for u in mid)} {'starts' if len(mid) == 1 else 'start'}"
        # The median start is a queue place; it reads as a time served only once past.
        when = last_ended(res.users[mid[0]], rid, now)
        if when is not None:
            text += (
                f" {who} mid-queue: counted as last served {fmt_when(when, zone)}, "
                "the median of the members."
            )
        else:
            text += f" {who} mid-queue, at the median of the members' places in the queue."
    for uid in res.changed:
        if res.starts.get(uid) == START_KEPT:
            served = served_text(res.users[uid], rid, now, zone)
            text += f" {mention(uid)} keeps their place{': ' + served if served else ''}."
    return text


def user_left(res: api.MembershipResult, named: list[str], mention: Mention) -> str:
    """Who was removed from the rotation, who was not in it, and what they stay assigned to."""
    return _membership(res, named, "Removed", "from", "not in", mention)


def _membership(
    res: api.MembershipResult, named: list[str], verb: str, prep: str, noop: str, mention: Mention
) -> str:
    rid = res.rotation.rotation_id
    if not res.changed:
        return f"Nothing changed: everyone named is {noop} rotation **{rid}**."
    who = ", ".join(mention(u) for u in res.changed)
    text = f"{verb} {who} {prep} rotation **{rid}**."
    skipped = [u for u in named if u not in res.changed]
    if skipped:
        text += f" Skipped {', '.join(mention(u) for u in skipped)}: {noop} it."
    for uid, task_ids in res.assigned.items():
        text += (
            f" {mention(uid)} is still assigned to {', '.join(task_ids)}; use "
            f"`/lotto task unassign {task_ids[0]} {mention(uid)}` (with `--force` once "
            "it is scheduled) to take them off."
        )
    return text


def user_unavailable(
    res: api.UsersResult,
    named: list[str],
    mention: Mention,
    *,
    cleared: bool,
    now: datetime,
    zone: str = "UTC",
) -> str:
    """Who was marked unavailable (or cleared), what was done about the tasks they are on
    then (``res.time_off``), and their details."""
    if cleared:
        head = f"Cleared unavailability of {', '.join(mention(u) for u in res.changed)}."
        if not res.changed:
            head = "Nothing to clear: no personal unavailability overlaps that time."
    else:
        head = f"Marked unavailable: {', '.join(mention(u) for u in named)}."
        done = time_off_lines(res.time_off, mention)
        if done:
            head += " Tasks in that time: " + "; ".join(done) + "."
    return users_reply(res, head, mention, now, zone)


def user_notified(res: api.UsersResult, mention: Mention) -> str:
    """Which direct messages each user now gets (and whose setting changed)."""
    lines = []
    for user in res.users:
        muted = ", ".join(user.muted)
        state = f"muted: {muted}" if muted else "gets every direct message"
        mark = " (changed)" if user.mattermost_user_id in res.changed else ""
        lines.append(f"- {mention(user.mattermost_user_id)}{mark}: {state}")
    head = "Direct messages:" if res.changed else "Direct messages (nothing changed):"
    return head + "\n" + "\n".join(lines)
