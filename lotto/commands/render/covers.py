"""Replies and messages of ``task cover`` (overrides) and ``task swap`` (trades)."""

from __future__ import annotations

from lotto import api
from lotto.commands.render.records import Mention, fmt_when, span_text

__all__ = ["task_covered", "task_swapped", "cover_notice_texts"]


def task_covered(res: api.TaskCoverResult, mention: Mention, zone: str) -> str:
    """Who covers for whom on the task, when; or which covers were removed."""
    tid = res.task.task_id
    if res.cancelled:
        spans = "; ".join(
            f"{mention(o.user_id)} for {mention(o.replaces)}, {span_text(o.start, o.finish, zone)}"
            for o in res.overrides
        )
        return f"Removed the cover on **{tid}**: {spans}. The shift's own people are on call again."
    (o,) = res.overrides
    return (
        f"{mention(o.user_id)} covers for {mention(o.replaces)} on **{tid}** from "
        f"{fmt_when(o.start, zone)} to {fmt_when(o.finish, zone)}; outside that, "
        f"{mention(o.replaces)} stays on call. Both and the rotation's channel are told; "
        f"undo it with `task cover {tid} {mention(o.user_id)} --cancel`."
    )


def task_swapped(res: api.TaskSwapResult, mention: Mention, zone: str) -> str:
    """What ``task swap`` did: proposed (and to whom), accepted, or cancelled."""
    w = res.swap
    me, them = mention(w.user_id), mention(w.other_user_id)
    what = f"{me} on **{w.task_id}** with {them} on **{w.other_task_id}**"
    if res.outcome == api.SWAP_CANCELLED:
        return f"Cancelled the swap of {what}; nobody moved."
    if res.outcome == api.SWAP_ACCEPTED:
        return (
            f"Swapped: {them} is now on **{w.task_id}** and {me} on **{w.other_task_id}**. "
            "Both were told, and the rotation's channel."
        )
    return (
        f"Proposed to swap {what}. {them} was asked and accepts with the message's button or "
        f"`task swap {w.task_id} --accept`; either of you may cancel with "
        f"`task swap {w.task_id} --cancel`."
    )


def cover_notice_texts(
    n: api.Notice, mention: Mention, actor: str, task: str, zone: str
) -> dict[str, str]:
    """Texts of the cover and swap notices (``n.start``–``n.finish``: the span covered)."""
    cover = mention(n.subject_id) if n.subject_id else "someone"
    whose = mention(n.from_user_id) if n.from_user_id else "someone"
    span = span_text(n.start, n.finish, zone) if n.start and n.finish else "a time not yet known"
    other = f"**{n.other_task_id}**" if n.other_task_id else "another shift"
    if n.user_id == n.subject_id:
        them = "them" if n.actor_id == n.from_user_id else whose
        covered = f"{actor} set you to cover for {them} on {task}: you are on call {span}."
        uncovered = f"{actor} removed your cover for {whose} on {task} ({span})."
    elif n.user_id:
        covered = f"{actor} set {cover} to cover for you on {task}, {span}; you are off call then."
        uncovered = f"{actor} removed {cover}'s cover for you on {task} ({span}): you are on call."
    else:
        covered = f"{cover} covers for {whose} on {task}, {span} (set by {actor})."
        uncovered = f"{cover} no longer covers for {whose} on {task}, {span} (by {actor})."
    proposer, counterpart = cover, whose
    return {
        "cover": covered,
        "cover_cancelled": uncovered,
        "swap_proposed": (
            f"###### {actor} proposes to swap shifts with you\n{actor} would take your "
            f"place on {other} and you theirs on {task} ({span}). Accept with the button or "
            f"`/lotto task swap {n.task_id} --accept`; turn it down with "
            f"`/lotto task swap {n.task_id} --cancel`."
        ),
        "swap_cancelled": (
            f"{actor} cancelled the swap of {proposer} on {task} with {counterpart} on {other}; "
            "nobody moved."
        ),
        "swap_done": (
            f"{'You' if n.user_id and n.user_id == n.actor_id else actor} accepted the swap: "
            f"{counterpart} is now on {task} ({span}) and {proposer} on {other}."
        ),
    }
