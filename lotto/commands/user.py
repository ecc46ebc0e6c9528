"""``/lotto user …``: skills, rotation membership, availability and user records."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.parser import Flag
from lotto.commands.tree import PUBLIC, SELF, SELF_OR_OWNER, command, group
from lotto.errors import InputError

__all__: list[str] = []

ROT = ROTATION_FLAG

group(("user",), "users' skills, rotations and availability")

_HISTORY = Flag(
    "history", "bool", f"list every past shift (default: the last {render.PAST_SHIFTS_LISTED})"
)


@command(
    ("user", "qualify"),
    "[@user...] --skill S[-L][,S[-L]...]",
    "give users (default: you) skills at levels (1-4, or beginner..expert)",
    flags=(
        Flag("skill", "skills", "skills with optional levels, e.g. `webapp-2,server`", short="s"),
    ),
    request=api.UserQualifyRequest,
)
def user_qualify(ctx: Ctx) -> Reply:
    """Qualify users."""
    skills = ctx.require_flag("skill")
    if any(s == "any" for s, _ in skills):
        raise InputError("`any` is not a skill a user can have; every user matches it.")
    res = ctx.call(api.UserQualifyRequest(user_ids=ctx.users(ctx.parsed.args), skills=skills))
    return res, render.user_qualified(res, skills, ctx.username, ctx.now, ctx.zone)


@command(
    ("user", "disqualify"),
    "[@user...] --skill S[,S...] [--history]",
    "remove skills from users (default: you)",
    flags=(
        Flag("skill", "names", "the skill names to remove", short="s"),
        _HISTORY,
    ),
    request=api.UserDisqualifyRequest,
)
def user_disqualify(ctx: Ctx) -> Reply:
    """Disqualify users."""
    skills = ctx.require_flag("skill")
    res = ctx.call(api.UserDisqualifyRequest(user_ids=ctx.users(ctx.parsed.args), skills=skills))
    history = bool(ctx.flag("history", False))
    return res, render.user_disqualified(
        res, skills, ctx.username, ctx.zone, now=ctx.now, history=history
    )


@command(
    ("user", "show"),
    "[@user...] [--history]",
    "show users' skills, served times and calendars",
    flags=(_HISTORY,),
    access=PUBLIC,
    read_only=True,
    request=api.UserShowRequest,
)
def user_show(ctx: Ctx) -> Reply:
    """Show users."""
    res = ctx.call(api.UserShowRequest(user_ids=ctx.users(ctx.parsed.args)))
    history = bool(ctx.flag("history", False))
    return res, render.users_show(res, ctx.username, ctx.now, history=history, zone=ctx.zone)


@command(
    ("user", "join"),
    "R [@user...] [--starting TIME]",
    "add users (default: you) to a rotation",
    access=SELF_OR_OWNER,
    flags=(
        ROT,
        Flag(
            "starting",
            "time",
            "count the users as last served at TIME: "
            "future gives a grace period, past raises their odds "
            "(default: where they were, or mid-queue at the members' median)",
            admin_only=True,
        ),
    ),
    request=api.UserJoinRequest,
)
def user_join(ctx: Ctx) -> Reply:
    """Join a rotation."""
    ref, users = ctx.rotation_and_users()
    res = ctx.call(api.UserJoinRequest(rotation=ref, user_ids=users, starting=ctx.flag("starting")))
    return res, render.user_joined(res, users, ctx.username, ctx.now, ctx.zone)


@command(
    ("user", "leave"),
    "R [@user...]",
    "remove users (default: you) from a rotation",
    access=SELF_OR_OWNER,
    flags=(ROT,),
    request=api.UserLeaveRequest,
)
def user_leave(ctx: Ctx) -> Reply:
    """Leave a rotation."""
    ref, users = ctx.rotation_and_users()
    res = ctx.call(api.UserLeaveRequest(rotation=ref, user_ids=users))
    return res, render.user_left(res, users, ctx.username)


@command(
    ("user", "notify"),
    "[@user...] [--mute KINDS] [--unmute KINDS]",
    "turn kinds of direct messages off or on for users (default: you): "
    "scheduled, started, finished, reminders",
    access=SELF,
    flags=(
        Flag("mute", "str", "the kinds to turn off, e.g. `reminders,finished`"),
        Flag("unmute", "str", "the kinds to turn on again"),
    ),
    request=api.UserNotifyRequest,
)
def user_notify(ctx: Ctx) -> Reply:
    """Mute or unmute kinds of direct messages."""
    users = ctx.users(ctx.parsed.args)
    mute, unmute = _words(ctx.flag("mute", "")), _words(ctx.flag("unmute", ""))
    res = ctx.call(api.UserNotifyRequest(user_ids=users, mute=mute, unmute=unmute))
    return res, render.user_notified(res, ctx.username)


def _words(raw: str) -> list[str]:
    return [w.strip().lower() for w in raw.split(",") if w.strip()]


@command(
    ("user", "unavailable"),
    "[@user...] --start TIME --finish TIME [--clear] [--force]",
    "mark users (default: you) unavailable, or clear that",
    access=SELF,
    flags=(
        Flag("start", "time", "start of the interval"),
        Flag("finish", "time", "end of the interval"),
        Flag("clear", "bool", "clear personal unavailability overlapping the interval"),
        Flag("force", "bool", "add it even wholly in the past"),
    ),
    request=api.UserUnavailableRequest,
)
def user_unavailable(ctx: Ctx) -> Reply:
    """Add or clear unavailability."""
    start, finish = ctx.require_flag("start"), ctx.require_flag("finish")
    if finish <= start:
        raise InputError("`--finish` must be after `--start`.")
    users = ctx.users(ctx.parsed.args)
    res = ctx.call(
        api.UserUnavailableRequest(
            user_ids=users,
            start=start,
            finish=finish,
            clear=bool(ctx.flag("clear", False)),
            force=bool(ctx.flag("force", False)),
        )
    )
    cleared = bool(ctx.flag("clear"))
    return res, render.user_unavailable(
        res, users, ctx.username, cleared=cleared, now=ctx.now, zone=ctx.zone
    )
