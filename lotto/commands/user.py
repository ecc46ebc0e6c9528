"""``/lotto user …``: skills, rotation membership, availability and user records."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx
from lotto.commands.parser import Flag
from lotto.commands.tree import PUBLIC, SELF, command, group
from lotto.errors import InputError
from lotto.model.availability import REASON_TASK, overlapping
from lotto.model.skill import format_skill_level

__all__: list[str] = []

ROT = ROTATION_FLAG

group(("user",), "users' skills, rotations and availability")


def _users_reply(ctx: Ctx, res: api.UsersResult, head: str):
    body = "\n".join(
        render.user_details(u, ctx.username, res.rotations.get(u.mattermost_user_id))
        for u in res.users
    )
    return res, f"{head}\n{body}" if head else body


@command(
    ("user", "qualify"),
    "[@user...] --skill S[-L][,S[-L]...]",
    "give users (default: you) skills at levels (1-4, or beginner..expert)",
    flags=(
        Flag("skill", "skills", "skills with optional levels, e.g. `webapp-2,server`", short="s"),
    ),
)
def user_qualify(ctx: Ctx):
    """Qualify users."""
    skills = ctx.require_flag("skill")
    if any(s == "any" for s, _ in skills):
        raise InputError("`any` is not a skill a user can have; every user matches it.")
    res = ctx.call(api.UserQualifyRequest(user_ids=ctx.users(ctx.parsed.args), skills=skills))
    what = ", ".join(format_skill_level(s, lvl) for s, lvl in skills)
    return _users_reply(
        ctx,
        res,
        _skills_head(
            ctx,
            res,
            f"Qualified {{who}} for {what}.",
            "already at those levels",
            "Nothing changed: everyone named already has those skills at those levels.",
        ),
    )


@command(
    ("user", "disqualify"),
    "[@user...] --skill S[,S...]",
    "remove skills from users (default: you)",
    flags=(Flag("skill", "names", "the skill names to remove", short="s"),),
)
def user_disqualify(ctx: Ctx):
    """Disqualify users."""
    skills = ctx.require_flag("skill")
    res = ctx.call(api.UserDisqualifyRequest(user_ids=ctx.users(ctx.parsed.args), skills=skills))
    return _users_reply(
        ctx,
        res,
        _skills_head(
            ctx,
            res,
            f"Disqualified {{who}} from {', '.join(skills)}.",
            "did not have them",
            "Nothing changed: nobody named has those skills.",
        ),
    )


def _skills_head(ctx: Ctx, res: api.UsersResult, done: str, noop: str, nothing: str) -> str:
    """Who changed, and who was named but already as asked (like join and leave)."""
    if not res.changed:
        return nothing
    text = done.format(who=", ".join(ctx.username(u) for u in res.changed))
    skipped = [u.mattermost_user_id for u in res.users if u.mattermost_user_id not in res.changed]
    if skipped:
        text += f" Skipped {', '.join(ctx.username(u) for u in skipped)}: {noop}."
    return text


@command(
    ("user", "show"), "[@user...]", "show users' skills, served times and calendars", access=PUBLIC
)
def user_show(ctx: Ctx):
    """Show users."""
    res = ctx.call(api.UserShowRequest(user_ids=ctx.users(ctx.parsed.args)))
    return _users_reply(ctx, res, "")


@command(
    ("user", "join"),
    "R [@user...] [--starting TIME]",
    "add users (default: you) to a rotation",
    access=SELF,
    flags=(
        ROT,
        Flag(
            "starting",
            "time",
            "count the users as last served at TIME: "
            "future gives a grace period, past raises their odds",
        ),
    ),
)
def user_join(ctx: Ctx):
    """Join a rotation."""
    ref, users = ctx.rotation_and_users()
    ctx.check_self(users)
    res = ctx.call(api.UserJoinRequest(rotation=ref, user_ids=users, starting=ctx.flag("starting")))
    return res, _membership(ctx, res, users, "Added", "to", "already in")


@command(
    ("user", "leave"),
    "R [@user...]",
    "remove users (default: you) from a rotation",
    access=SELF,
    flags=(ROT,),
)
def user_leave(ctx: Ctx):
    """Leave a rotation."""
    ref, users = ctx.rotation_and_users()
    ctx.check_self(users)
    res = ctx.call(api.UserLeaveRequest(rotation=ref, user_ids=users))
    return res, _membership(ctx, res, users, "Removed", "from", "not in")


def _membership(
    ctx: Ctx, res: api.MembershipResult, named: list[str], verb: str, prep: str, noop: str
) -> str:
    rid = res.rotation.rotation_id
    if not res.changed:
        return f"Nothing changed: everyone named is {noop} rotation **{rid}**."
    who = ", ".join(ctx.username(u) for u in res.changed)
    text = f"{verb} {who} {prep} rotation **{rid}**."
    skipped = [u for u in named if u not in res.changed]
    if skipped:
        text += f" Skipped {', '.join(ctx.username(u) for u in skipped)}: {noop} it."
    for uid, task_ids in res.assigned.items():
        text += (
            f" {ctx.username(uid)} is still assigned to {', '.join(task_ids)}; use "
            f"`/lotto task unassign {task_ids[0]} {ctx.username(uid)}` (with `--force` once "
            "it is scheduled) to take them off."
        )
    return text


@command(
    ("user", "unavailable"),
    "[@user...] --start TIME --finish TIME [--clear]",
    "mark users (default: you) unavailable, or clear that",
    access=SELF,
    flags=(
        Flag("start", "time", "start of the interval"),
        Flag("finish", "time", "end of the interval"),
        Flag("clear", "bool", "clear personal unavailability overlapping the interval"),
    ),
)
def user_unavailable(ctx: Ctx):
    """Add or clear unavailability."""
    start, finish = ctx.require_flag("start"), ctx.require_flag("finish")
    if finish <= start:
        raise InputError("`--finish` must be after `--start`.")
    users = ctx.users(ctx.parsed.args)
    ctx.check_self(users)
    res = ctx.call(
        api.UserUnavailableRequest(
            user_ids=users, start=start, finish=finish, clear=bool(ctx.flag("clear", False))
        )
    )
    if ctx.flag("clear"):
        head = f"Cleared unavailability of {', '.join(ctx.username(u) for u in res.changed)}."
        if not res.changed:
            head = "Nothing to clear: no personal unavailability overlaps that time."
    else:
        head = f"Marked unavailable: {', '.join(ctx.username(u) for u in users)}."
        head += _busy_note(ctx, res, start, finish)
    return _users_reply(ctx, res, head)


def _busy_note(ctx: Ctx, res: api.UsersResult, start, finish) -> str:
    """Tasks the users already serve in that time: being unavailable does not unassign them."""
    notes = []
    for user in res.users:
        tids = [
            e.task_id for e in overlapping(user.calendar, start, finish) if e.reason == REASON_TASK
        ]
        if tids:
            notes.append(
                f"{ctx.username(user.mattermost_user_id)} is assigned to {', '.join(tids)} then"
            )
    if not notes:
        return ""
    return (
        " Note: " + "; ".join(notes) + ". Being unavailable does not unassign anyone; use "
        "`/lotto task unassign` (with `--force` once scheduled) to free them."
    )
