"""Replies of the trading commands (``task offer``, ``task take``) and of time off over tasks."""

from __future__ import annotations

from lotto import api
from lotto.commands.render.records import Mention, span_text
from lotto.model.fanout import ASK_AGAIN_AFTER

__all__ = ["task_offered", "task_taken", "time_off_lines"]


def task_offered(res: api.TaskOfferResult, mention: Mention) -> str:
    """Whose place was offered (or withdrawn) and who was told."""
    tid, whose = res.task.task_id, mention(res.offer.user_id)
    if res.cancelled:
        return f"Withdrew the offer of {whose}'s place on **{tid}**."
    text = f"Offered {whose}'s place on **{tid}**"
    if res.offer.to_user_id:
        text += f" to {mention(res.offer.to_user_id)}"
    if res.eligible:
        text += "." + _asked(res, mention)
    else:
        text += (
            ". Nobody could take it now (every member is on it, busy then, or would leave it "
            "short of a requirement or over a limit); it stays open"
            + (f"; it is posted in ~{res.channel_name}" if res.channel_name else "")
            + "."
        )
    return text + f" {whose} stays on it until someone runs `task take {tid}`."


def _asked(res: api.TaskOfferResult, mention: Mention) -> str:
    """Who was asked by direct message, who not again, and where the others hear of it."""
    names = ", ".join(mention(u) for u in res.takers)
    if res.takers and len(res.takers) == res.eligible:
        text = f" Told who could take it: {names}."
    elif res.takers:
        text = (
            f" Asked {len(res.takers)} of the {res.eligible} members who could take it "
            f"(those longest since they served): {names}."
        )
    else:
        text = ""
    if res.asked_before:
        again = ", ".join(mention(u) for u in res.asked_before)
        hours = int(ASK_AGAIN_AFTER.total_seconds() // 3600)
        text += f" Not asked again (asked about this place in the last {hours} h): {again}."
    told = len(res.takers) + len(res.asked_before)
    if res.channel_name:
        text += f" Posted in ~{res.channel_name} for everyone."
    elif told < res.eligible:
        text += (
            f" Only they were asked: the rotation has no channel to tell the other "
            f"{res.eligible - told} (its owners can set one with `rotation set channel`)."
        )
    return text


def task_taken(res: api.TaskTakeResult, mention: Mention, zone: str = "UTC") -> str:
    """Who took whose place (an offered part: who covers for whom, when)."""
    o = res.offer
    if o.start is not None and o.finish is not None:
        return (
            f"{mention(res.taker)} covers for {mention(o.user_id)} on **{res.task.task_id}**, "
            f"{span_text(o.start, o.finish, zone)}; outside that, {mention(o.user_id)} stays on "
            "call."
        )
    return (
        f"{mention(res.taker)} took {mention(res.offer.user_id)}'s place on **{res.task.task_id}**"
        f" (now: {', '.join(mention(u) for u in res.task.mattermost_user_ids)})."
    )


_DONE = {
    api.TIME_OFF_RELEASED: "taken off it (pending); the autopilot fills the place again",
    api.TIME_OFF_OFFERED: "scheduled: the place is offered to the members who could take it",
    api.TIME_OFF_STARTED: "already started: left as it is",
    api.TIME_OFF_PART: "only that part is offered; whoever takes it covers it",
}


def time_off_lines(items: list[api.TimeOffTask], mention: Mention, zone: str = "UTC") -> list[str]:
    """What the time off did about each task it covers, one phrase each."""
    out = []
    for item in items:
        where = f"**{item.task_id}**"
        if item.outcome == api.TIME_OFF_PART and item.start and item.finish:
            where = f"{span_text(item.start, item.finish, zone)} of {where}"
        text = f"{mention(item.user_id)} on {where}: {_DONE[item.outcome]}"
        if item.outcome in (api.TIME_OFF_OFFERED, api.TIME_OFF_PART) and item.takers:
            names = ", ".join(mention(u) for u in item.takers)
            if item.eligible > len(item.takers):
                names = f"asked {len(item.takers)} of the {item.eligible} who could: {names}"
            text += f" ({names})"
        elif item.outcome in (api.TIME_OFF_OFFERED, api.TIME_OFF_PART):
            text += " (nobody can take it now)"
        out.append(text)
    return out
