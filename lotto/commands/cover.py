"""``/lotto task cover`` (an override for any span) and ``task swap`` (a trade of two places)."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import Ctx
from lotto.commands.parser import Flag
from lotto.commands.tree import PUBLIC, SELF_OR_OWNER, command
from lotto.errors import InputError

__all__: list[str] = []


@command(
    ("task", "cover"),
    "ID @who --from T --to T [--for @user] [--cancel]",
    "have someone on call in your (or a user's) place for part of a task only",
    access=SELF_OR_OWNER,
    request=api.TaskCoverRequest,
    flags=(
        Flag("from", "time", "when the cover starts (your zone)"),
        Flag("to", "time", "when it ends: the task keeps its people outside the span"),
        Flag("for", "str", "whose place is covered (default: you)", value_name="@USER"),
        Flag("cancel", "bool", "remove @who's cover on the task instead (--from: only that one)"),
    ),
    details="@who must be a member of the rotation, free then, and keep the task's "
    "requirements and limits in your place. `rotation now`, `user shifts`, the calendar "
    "feeds and the start messages show who covers when. The rotation's owners and plugin "
    "admins may arrange cover for someone else with `--for @user`.",
)
def task_cover(ctx: Ctx):
    """Cover part of a task."""
    task_id, users = ctx.task_and_users(default_actor=False)
    if len(users) != 1:
        raise InputError("name the one `@user` who covers, e.g. `task cover ICE#3 @cat …`.")
    whose = ctx.flag("for")
    # Whose place (default: yours); the coverer may cancel their own cover without it.
    for_ids = ctx.users([whose], default_actor=False) if whose else [ctx.actor.user_id]
    res = ctx.call(
        api.TaskCoverRequest(
            task_id=task_id,
            user_id=for_ids[0],
            cover_user_id=users[0],
            start=ctx.flag("from"),
            finish=ctx.flag("to"),
            cancel=bool(ctx.flag("cancel", False)),
        )
    )
    return res, render.task_covered(res, ctx.username, ctx.zone)


@command(
    ("task", "swap"),
    "ID [@me] OTHER @them | ID --accept | ID --cancel",
    "propose to trade your place on a task for someone's on another; they accept",
    access=PUBLIC,
    request=api.TaskSwapRequest,
    flags=(
        Flag("accept", "bool", "accept the swap proposed to you on this task"),
        Flag("cancel", "bool", "withdraw (or turn down) the swap on this task"),
    ),
    details="Only someone on one of the tasks may propose; the person on the other accepts "
    "(with the message's button or `--accept`) and both move in one step, each checked "
    "as a taker would be (member, free then, requirements and limits kept); the channel "
    "hears of it once. Either side may cancel before it is accepted.",
)
def task_swap(ctx: Ctx):
    """Propose, accept or cancel a swap."""
    args = list(ctx.parsed.args)
    accept, cancel = bool(ctx.flag("accept", False)), bool(ctx.flag("cancel", False))
    if accept or cancel:
        task_id = ctx.one_arg("a task id (like `ICE#3`)")
        res = ctx.call(api.TaskSwapRequest(task_id=task_id, accept=accept, cancel=cancel))
        return res, render.task_swapped(res, ctx.username, ctx.zone)
    tasks = [a for a in args if not a.startswith("@")]
    people = [a for a in args if a.startswith("@")]
    if len(tasks) != 2 or len(people) not in (1, 2):
        raise InputError(
            "name your task and theirs, and them: `task swap ICE#3 @me ICE#4 @them` "
            "(`@me` may be left out)."
        )
    ids = ctx.users(people, default_actor=False)
    mine, theirs = (ids[0], ids[1]) if len(ids) == 2 else (ctx.actor.user_id, ids[0])
    res = ctx.call(
        api.TaskSwapRequest(
            task_id=tasks[0], user_id=mine, other_task_id=tasks[1], other_user_id=theirs
        )
    )
    return res, render.task_swapped(res, ctx.username, ctx.zone)
