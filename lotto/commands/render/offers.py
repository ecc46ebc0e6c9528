"""Replies of the trading commands (``task offer``, ``task take``) and of time off over tasks."""

from __future__ import annotations

from lotto import api
from lotto.commands.render.records import Mention

__all__ = ["task_offered", "task_taken", "time_off_lines"]


def task_offered(res: api.TaskOfferResult, mention: Mention) -> str:
    """Whose place was offered (or withdrawn) and who was told."""
    tid, whose = res.task.task_id, mention(res.offer.user_id)
    if res.cancelled:
        return f"Withdrew the offer of {whose}'s place on **{tid}**."
    text = f"Offered {whose}'s place on **{tid}**"
    if res.offer.to_user_id:
        text += f" to {mention(res.offer.to_user_id)}"
    if res.takers:
        text += f". Told who could take it: {', '.join(mention(u) for u in res.takers)}"
    else:
        text += (
            ". Nobody could take it now (every member is on it, busy then, or would leave it "
            "short of a requirement or over a limit); it stays open"
        )
    return text + f". {whose} stays on it until someone runs `task take {tid}`."


def task_taken(res: api.TaskTakeResult, mention: Mention) -> str:
    """Who took whose place."""
    return (
        f"{mention(res.taker)} took {mention(res.offer.user_id)}'s place on **{res.task.task_id}**"
        f" (now: {', '.join(mention(u) for u in res.task.mattermost_user_ids)})."
    )


_DONE = {
    api.TIME_OFF_RELEASED: "taken off it (pending); the autopilot fills the place again",
    api.TIME_OFF_OFFERED: "scheduled: the place is offered to the members who could take it",
    api.TIME_OFF_STARTED: "already started: left as it is",
}


def time_off_lines(items: list[api.TimeOffTask], mention: Mention) -> list[str]:
    """What the time off did about each task it covers, one phrase each."""
    out = []
    for item in items:
        text = f"{mention(item.user_id)} on **{item.task_id}**: {_DONE[item.outcome]}"
        if item.outcome == api.TIME_OFF_OFFERED and item.takers:
            text += f" ({', '.join(mention(u) for u in item.takers)})"
        elif item.outcome == api.TIME_OFF_OFFERED:
            text += " (nobody can take it now)"
        out.append(text)
    return out
