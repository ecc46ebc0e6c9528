"""``/lotto task …``: make shifts and tickets, assign, fill, transition and show tasks."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.parser import Flag
from lotto.commands.tree import OWNER, PUBLIC, SELF_OR_OWNER, command, group
from lotto.errors import InputError
from lotto.model.task import STATE_FINISHED, STATE_SCHEDULED, STATE_STARTED

__all__: list[str] = []

ROT = ROTATION_FLAG
FORCE = Flag("force", "bool", "also when the task is scheduled or started, ignoring limits")
_UNASSIGN_FORCE = Flag("force", "bool", "also when the task is scheduled or started")

group(("task",), "make, fill, assign and transition tasks")
group(("task", "new"), "make a shift or a ticket")


def _created(ctx: Ctx, res: api.TaskResult, kind: str) -> Reply:
    return res, render.task_created(res.task, kind, ctx.username, ctx.zone)


@command(
    ("task", "new", "shift"),
    "R [--number N] [--force]",
    "make shift N of a rotation (pending)",
    flags=(
        ROT,
        Flag("force", "bool", "make it even wholly in the past or more than a year ahead"),
        Flag(
            "number",
            "int",
            "the shift's period number, from 0 (default: the "
            "current period's shift, or the first later one not made yet)",
            short="n",
        ),
    ),
    details="Only on a shift rotation (the default --task-type of `rotation new`): a rotation "
    "has either recurring shifts or on-demand tickets, never both.",
    access=OWNER,
    request=api.TaskNewShiftRequest,
)
def task_new_shift(ctx: Ctx) -> Reply:
    """Make a shift."""
    res = ctx.call(
        api.TaskNewShiftRequest(
            rotation=ctx.rotation(),
            number=ctx.flag("number"),
            force=bool(ctx.flag("force", False)),
        )
    )
    return _created(ctx, res, "shift")


@command(
    ("task", "new", "ticket"),
    "R [--summary TEXT]",
    "make an on-demand ticket (pending), starting now",
    flags=(ROT, Flag("summary", "str", "what the ticket is about (quote it)")),
    details="Only on a ticket rotation, made with `rotation new NAME --task-type ticket`: "
    "a rotation has either recurring shifts or on-demand tickets, never both.",
    access=OWNER,
    request=api.TaskNewTicketRequest,
)
def task_new_ticket(ctx: Ctx) -> Reply:
    """Make a ticket."""
    res = ctx.call(
        api.TaskNewTicketRequest(rotation=ctx.rotation(), summary=ctx.flag("summary", ""))
    )
    return _created(ctx, res, "ticket")


@command(
    ("task", "assign"),
    "ID [@user...] [--force]",
    "assign users (default: you) to a pending task",
    flags=(FORCE,),
    access=OWNER,
    request=api.TaskAssignRequest,
)
def task_assign(ctx: Ctx) -> Reply:
    """Assign users."""
    task_id, users = ctx.task_and_users()
    res = ctx.call(
        api.TaskAssignRequest(task_id=task_id, user_ids=users, force=bool(ctx.flag("force", False)))
    )
    text = render.task_assigned(res, task_id, ctx.username)
    if res.non_members:
        text += "\n" + render.non_member_note(res.non_members, res.task.rotation_id, ctx.username)
    return res, text


@command(
    ("task", "unassign"),
    "ID [@user...] [--force]",
    "remove users (default: you) from a pending task",
    flags=(_UNASSIGN_FORCE,),
    access=OWNER,
    request=api.TaskUnassignRequest,
)
def task_unassign(ctx: Ctx) -> Reply:
    """Unassign users."""
    task_id, users = ctx.task_and_users()
    res = ctx.call(
        api.TaskUnassignRequest(
            task_id=task_id, user_ids=users, force=bool(ctx.flag("force", False))
        )
    )
    return res, render.task_unassigned(res, task_id, ctx.username)


@command(
    ("task", "fill"),
    "ID [--force]",
    "auto-assign users until the task meets its requirements",
    flags=(Flag("force", "bool", "also top up a scheduled or started task"),),
    access=OWNER,
    request=api.TaskFillRequest,
)
def task_fill(ctx: Ctx) -> Reply:
    """Fill a task."""
    task_id = ctx.one_arg("a task id (like `ICE#3`)")
    res = ctx.call(api.TaskFillRequest(task_id=task_id, force=bool(ctx.flag("force", False))))
    return res, render.auto_assigned(
        res.task.task_id, res.changed, res.users, ctx.username, render.task_noun(res.task_type)
    )


def _transition(ctx: Ctx, state: str) -> Reply:
    task_id = ctx.one_arg("a task id (like `ICE#3`)")
    res = ctx.call(api.TaskTransitionRequest(task_id=task_id, state=state))
    return res, render.task_transitioned(res, state)


@command(
    ("task", "schedule"),
    "ID",
    "move a pending task to scheduled (DMs its users)",
    access=OWNER,
    request=api.TaskTransitionRequest,
)
def task_schedule(ctx: Ctx) -> Reply:
    """Schedule a task."""
    return _transition(ctx, STATE_SCHEDULED)


@command(
    ("task", "start"),
    "ID",
    "move a scheduled task to started (DMs its users)",
    access=OWNER,
    request=api.TaskTransitionRequest,
)
def task_start(ctx: Ctx) -> Reply:
    """Start a task."""
    return _transition(ctx, STATE_STARTED)


@command(
    ("task", "finish"),
    "ID",
    "move a started task to finished (DMs its users)",
    access=OWNER,
    request=api.TaskTransitionRequest,
)
def task_finish(ctx: Ctx) -> Reply:
    """Finish a task."""
    return _transition(ctx, STATE_FINISHED)


@command(
    ("task", "show"),
    "ID",
    "show a task",
    access=PUBLIC,
    read_only=True,
    request=api.TaskShowRequest,
)
def task_show(ctx: Ctx) -> Reply:
    """Show a task."""
    task_id = ctx.one_arg("a task id (like `ICE#3`)")
    res = ctx.call(api.TaskShowRequest(task_id=task_id))
    return res, render.task_details(
        res.task, res.users, ctx.username, ctx.zone, render.task_noun(res.task_type)
    )


@command(
    ("task", "offer"),
    "ID [@user] [--to @user] [--note TEXT] [--cancel]",
    "offer your place on a pending or scheduled task to the members who could take it",
    access=SELF_OR_OWNER,
    flags=(
        Flag("to", "str", "offer it to this member only", value_name="@USER"),
        Flag("note", "str", "a word for whoever takes it (quote it)"),
        Flag("cancel", "bool", "withdraw the offer instead"),
    ),
    details="Every member who could take the place is told (in the rotation, not on the task, "
    "free then, and the task still meets its requirements and limits with them), and the "
    "rotation's channel. You stay on the task until someone takes it with `task take`. "
    "The rotation's owners and plugin admins may offer someone else's place.",
    request=api.TaskOfferRequest,
)
def task_offer(ctx: Ctx) -> Reply:
    """Offer a place."""
    task_id, users = ctx.task_and_users()
    if len(users) > 1:
        raise InputError("name one user whose place to offer (default: you).")
    to = ctx.flag("to")
    to_ids = ctx.users([to], default_actor=False) if to else []
    res = ctx.call(
        api.TaskOfferRequest(
            task_id=task_id,
            user_id=users[0],
            note=ctx.flag("note", ""),
            to_user_id=to_ids[0] if to_ids else "",
            cancel=bool(ctx.flag("cancel", False)),
        )
    )
    return res, render.task_offered(res, ctx.username)


@command(
    ("task", "take"),
    "ID [@from]",
    "take the place someone offered on a task (yours then; theirs no longer)",
    access=PUBLIC,
    details="Name whose offer with `@from` when several places are offered. Refused, changing "
    "nothing, if you no longer fit (not a member, already on it, busy then, or the task would "
    "miss a requirement or break a limit) or the offer is gone.",
    request=api.TaskTakeRequest,
)
def task_take(ctx: Ctx) -> Reply:
    """Take an offered place."""
    if len(ctx.parsed.args) > 1:
        task_id, users = ctx.task_and_users(default_actor=False)
    else:
        task_id, users = ctx.one_arg("a task id (like `ICE#3`)"), []
    if len(users) > 1:
        raise InputError("name at most one `@user` whose offered place to take.")
    res = ctx.call(api.TaskTakeRequest(task_id=task_id, from_user_id=users[0] if users else ""))
    return res, render.task_taken(res, ctx.username)
