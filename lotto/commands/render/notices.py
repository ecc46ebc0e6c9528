"""The direct messages (and channel posts) a result's notices ask for.

Rendered at delivery time for the reader: times in the recipient's zone (a
channel post: the rotation's zone), named (``Thu 12 Mar 2026 09:00 PDT``).
A message the autopilot caused says so; one about a shift names the others
on it, and a start also who hands over and who is next.
"""

from __future__ import annotations

from lotto import api
from lotto.commands.render.records import Mention, fmt_when
from lotto.commands.render.risks import broken_alert, mend_hint, qualify_hint
from lotto.commands.render.usertext import user_text
from lotto.model.needs import require_words
from lotto.model.skill import parse_need_id
from lotto.model.user import START_KEPT, START_MEDIAN

__all__ = ["notice_text", "DIGEST_BREAK"]


def _names(ids: list[str], mention: Mention) -> str:
    return ", ".join(mention(u) for u in ids)


#: Between the parts of a digest (one message bringing several notices together).
DIGEST_BREAK = "\n\n---\n\n"


def notice_text(n: api.Notice, mention: Mention, zone: str) -> str:
    """The message for a notice; times in the reader's ``zone``."""
    if n.kind == "digest":
        return DIGEST_BREAK.join(notice_text(part, mention, zone) for part in n.parts)
    if n.by_autopilot:
        actor = "The autopilot"
    else:
        actor = mention(n.actor_id) if n.actor_id else "The autopilot"
    kind = n.task_type or "task"
    # Notices that do not know their rotation's task type name the task by its id only.
    task = f"{n.task_type} **{n.task_id}**" if n.task_type else f"**{n.task_id}**"
    start = fmt_when(n.start, zone) if n.start else "a time not yet known"
    finish = fmt_when(n.finish, zone) if n.finish else "a time not yet known"
    rot = f"**{n.rotation_id}**"
    people = ", ".join(mention(u) for u in (n.task.mattermost_user_ids if n.task else [])) or (
        "nobody"
    )
    subject = mention(n.subject_id) if n.subject_id else "a member"
    by = "the autopilot" if n.by_autopilot or not n.actor_id else actor
    # A post or an alert starts with the task: "Shift **ICE#3** is scheduled".
    task_cap = f"{n.task_type.capitalize()} **{n.task_id}**" if n.task_type else task
    # Joining or leaving by yourself is not news from "@you".
    by_self = bool(n.actor_id) and n.actor_id == n.user_id and not n.by_autopilot
    intro = (
        " Solar Lottery is the team rotation scheduler: `/lotto info` and `/lotto help` tell more."
    )
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
            + _queue_place(n, zone)
            + f" Use `/lotto rotation show {n.rotation_id}` to see its settings and {kind}s."
            + (intro if n.first_time else "")
        ),
        "left": (
            f"You left rotation {rot}." if by_self else f"{actor} removed you from rotation {rot}."
        ),
        "assigned": f"{actor} assigned you to {task}, from {start} to {finish}.",
        "added": f"{actor} added {_names(n.added_user_ids, mention)} to your {task}.",
        "unassigned": f"{actor} removed you from {task}.",
        "scheduled": (
            f"###### You have been scheduled for {task}\n{actor} scheduled {task}: "
            f"it runs from {start} to {finish}."
        ),
        "started": (
            f"###### Your {task} has started\n{actor} started {task}; "
            f"it is expected to finish at {finish}."
        ),
        "finished": f"###### Your {task} is finished\n{actor} finished {task}. Thank you!",
        "remind_start": (
            f"###### Reminder: your {task} starts soon\n{actor} reminds you: {task} "
            f"starts at {start} and runs until {finish}."
        ),
        "remind_finish": (
            f"###### Reminder: your {task} finishes soon\n{actor} reminds you: {task} "
            f"finishes at {finish}."
        ),
        **_trading_texts(n, mention, actor, task, start, finish, zone),
        "shift_scheduled": (
            f"{task_cap} is scheduled: {people}, from {start} to {finish}. Scheduled by {by}."
        ),
        "shift_started": (
            f"{task_cap} has started: on call now {people}, until {finish}"
            + (
                f", handing over from {', '.join(mention(u) for u in n.handover_user_ids)}"
                if n.handover_user_ids
                else ""
            )
            + f". Started by {by}."
        ),
        "alert_unfilled": _unfilled(n, task, task_cap, by, start),
        "alert_skipped": (
            f"#### Alert: {task} was skipped unstaffed\nIts time, {start} to {finish}, "
            f"passed while it was still pending, so nobody was on call; {by} found it "
            f"unfilled. It stays pending: see `/lotto task show {n.task_id}`."
        ),
        "alert_time_off": (
            f"#### Alert: {subject} is away during {task}\n{subject} is marked unavailable "
            f"over {task} ({start} to {finish}), which they are on (reported by {by}). "
            + (
                _time_off_done(n)
                if n.outcome
                else "Find someone to take it over, e.g. "
                f"`/lotto task assign {n.task_id} @user{_force(n)}`."
            )
        ),
        "alert_left": (
            f"#### Alert: {subject} left {rot} but is still on {task}\n{by.capitalize()} "
            f"removed {subject} from {rot}; {task} ({start} to {finish}) still counts "
            f"on them. To mend it, "
            f"{mend_hint(n.task_id, _state(n), [n.subject_id] if n.subject_id else [], mention)}"
            "; or keep them on it."
        ),
        "alert_broken": broken_alert(n, mention, by),
        "shift_changed": _changed(n, mention, task_cap, by, start, finish),
        "alert_offer_open": (
            f"#### Alert: nobody has taken {subject}'s place on {task} yet\n{task_cap} starts "
            f"at {start} and {subject}'s offer of their place is still open (seen by "
            f"{by}). Ask a member to take it over before it starts."
        ),
    }
    text = texts.get(n.kind)
    if text is None:
        return f"{actor}: {n.kind} {n.task_id or n.rotation_id}".strip()
    return text + _shift_people(n, mention)


def _state(n: api.Notice) -> str:
    """The task's state when the notice was made (pending when unknown)."""
    return n.task.state if n.task is not None else "pending"


def _force(n: api.Notice) -> str:
    """`` --force`` when the notice's task is past pending (assigning by hand then needs it)."""
    return "" if _state(n) == "pending" else " --force"


def _changed(
    n: api.Notice, mention: Mention, task_cap: str, by: str, start: str, finish: str
) -> str:
    """The channel post of a task whose people someone changed by hand."""
    done = []
    if n.added_user_ids:
        done.append(f"{_names(n.added_user_ids, mention)} put on it")
    if n.removed_user_ids:
        done.append(f"{_names(n.removed_user_ids, mention)} taken off it")
    people = _names(n.task.mattermost_user_ids, mention) if n.task else ""
    how = f": {' and '.join(done)}," if done else ""
    text = (
        f"{task_cap} ({start} to {finish}) changed by hand{how} by {by}. "
        f"On it now: {people or 'nobody'}."
    )
    if n.outcome == "offers_closed":
        text += (
            f" The offer of {_names(n.removed_user_ids, mention)}'s place is closed: it can no "
            "longer be taken."
        )
    return text


def _shift_people(n: api.Notice, mention: Mention) -> str:
    """Who else is on the shift; at a start, who hands over and who is next."""
    if n.kind not in ("assigned", "scheduled", "started", "remind_start") or n.task is None:
        return ""
    lines = []
    others = [u for u in n.task.mattermost_user_ids if u != n.user_id]
    if others:
        lines.append(f"With you: {_names(others, mention)}.")
    elif n.task.mattermost_user_ids:
        lines.append("You are the only one on it.")
    if n.kind == "started":
        if n.handover_user_ids:
            lines.append(f"Handing over to you: {_names(n.handover_user_ids, mention)}.")
        if n.next_task_id:
            nxt = _names(n.next_user_ids, mention) or "nobody yet"
            lines.append(f"Next, on {n.next_task_id}: {nxt}.")
    return "".join(f"\n{line}" for line in lines)


def _unfilled(n: api.Notice, task: str, task_cap: str, by: str, start: str) -> str:
    """The alert for a due task nobody can fill: the need that ran dry and how to fix it."""
    rid = n.rotation_id
    missing = require_words(n.unmet) or "people for its requirements"
    need = n.need or "any"
    skill, level = parse_need_id(need)
    flag = "any" if skill == "any" else f"{skill}-{level}"
    qualify = "" if skill == "any" else f" qualify someone ({qualify_hint(need)}),"
    return (
        f"#### Alert: {task} could not be filled\n{task_cap} starts at {start} and "
        f"still needs {missing}, but no more members can take it; {by} tried to fill it. "
        f"To fix it: add members (`/lotto user join {rid} @user`),{qualify} or lower the count "
        f"(`/lotto rotation set require {rid} --skill {flag} --count N`); the rotation's "
        "requirements apply to shifts made after the change."
    )


def _queue_place(n: api.Notice, zone: str) -> str:
    """Where a welcomed member starts in the queue, when it is not the fair start
    (``last_served``: the end of their last shift or median start that is past, if any)."""
    when = fmt_when(n.last_served, zone) if n.last_served is not None else ""
    if n.start_rule == START_MEDIAN:
        if when:
            return (
                f" You start mid-queue: counted as last served {when}, the median of the members."
            )
        return " You start mid-queue, at the median of the members' places in the queue."
    if n.start_rule == START_KEPT:
        return f" You keep your place in the queue{': last served ' + when if when else ''}."
    return ""


_TIME_OFF = {
    "released": "They were taken off it (it was pending); the autopilot fills the place again.",
    "offered": "It is scheduled, so their place is now offered (`/lotto task take {tid}`).",
    "started": "It has already started and was left as it is: find someone to cover.",
}


def _time_off_done(n: api.Notice) -> str:
    """What ``user unavailable`` did about the task an ``alert_time_off`` is about."""
    return _TIME_OFF.get(n.outcome, n.outcome).replace("{tid}", n.task_id)


def _trading_texts(
    n: api.Notice, mention: Mention, actor: str, task: str, start: str, finish: str, zone: str
) -> dict[str, str]:
    """Texts of the trading notices (offers, takes)."""
    whose = mention(n.from_user_id) if n.from_user_id else "someone"
    when = f"from {start} to {finish}"
    # The note is the offerer's words: quoted and inert, set apart from the bot's own lines.
    note = f"\n\n{user_text(n.note)}\n" if n.note else ""
    # Who acted, when it was not the person whose place it is (an admin, or the autopilot).
    for_them = f" ({actor} for them)" if n.actor_id != n.from_user_id or not n.actor_id else ""
    offer = (
        f"###### {whose} offers their place on {task}{for_them}\n"
        f"{task[:1].upper()}{task[1:]} runs {when}.{note}\n"
    )
    if n.user_id:
        offer += f"You could take it: `/lotto task take {n.task_id} {whose}`."
    else:
        offer += f"A member who could take it: `/lotto task take {n.task_id} {whose}`."
    if n.user_id:
        taken = f"{actor} took your place on {task} ({when}); you are no longer on it."
    else:
        taken = f"{actor} took {whose}'s place on {task} ({when})."
    return {
        "offer": offer,
        "offer_taken": taken,
        "took": (
            f"You took {whose}'s place on {task}: it runs {when}."
            if n.actor_id == n.user_id
            else f"{actor} gave you {whose}'s place on {task}: it runs {when}."
        ),
    }
