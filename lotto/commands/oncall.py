"""The on-call commands: rotation owners and channel, `rotation now`, `user shifts`."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.parser import Flag
from lotto.commands.tree import OWNER, PUBLIC, command
from lotto.errors import InputError

__all__: list[str] = []


@command(
    ("rotation", "set", "owners"),
    "R @user... [--remove]",
    "add owners to a rotation (or remove them): they may run its admin commands",
    flags=(ROTATION_FLAG, Flag("remove", "bool", "remove these owners instead")),
    access=OWNER,
    details="Owners may change the rotation's settings, members and tasks, fill, assign and "
    "move its tasks and run its autopilot; they get its alerts. The creator of a rotation is "
    "its first owner.",
    request=api.RotationSetOwnersRequest,
)
def rotation_set_owners(ctx: Ctx) -> Reply:
    """Add or remove owners."""
    names = [a for a in ctx.parsed.args if not a.startswith("@")]
    users = [a for a in ctx.parsed.args if a.startswith("@")]
    if not users:
        raise InputError("at least one `@username` is required.")
    ref = ctx.rotation_ref(names)
    res = ctx.call(
        api.RotationSetOwnersRequest(
            rotation=ref, user_ids=ctx.users(users), remove=bool(ctx.flag("remove", False))
        )
    )
    return res, render.owners_changed(res.rotation, ctx.username)


@command(
    ("rotation", "set", "channel"),
    "R ~channel|--off",
    "post the rotation's shifts and alerts in a channel (the bot must be a member)",
    flags=(ROTATION_FLAG, Flag("off", "bool", "stop posting to a channel")),
    access=OWNER,
    details="Name a channel of the team you type the command in (`~ice-team`) or give a "
    "channel id. The bot posts there when a shift is scheduled or starts, and every alert.",
    request=api.RotationSetChannelRequest,
)
def rotation_set_channel(ctx: Ctx) -> Reply:
    """Set or remove the rotation's channel."""
    channels = [a for a in ctx.parsed.args if a.startswith("~")]
    rest = [a for a in ctx.parsed.args if not a.startswith("~")]
    off = bool(ctx.flag("off", False))
    if not ctx.has("rotation") and len(rest) == 2 and not channels:
        channels = rest[1:]  # a channel id, not written as ~name
        rest = rest[:1]
    ref = ctx.rotation_ref(rest)
    if off and channels:
        raise InputError("give either a channel or `--off`, not both.")
    if not off and len(channels) != 1:
        raise InputError("one channel is required: `~channel-name` or a channel id (or `--off`).")
    if off:
        req = api.RotationSetChannelRequest(rotation=ref, off=True)
    else:
        # Outside the service: the chat server knows channels (and whether the bot is in).
        channel = ctx.env.channels.find(ctx.team_id, channels[0])
        req = api.RotationSetChannelRequest(
            rotation=ref, channel_id=channel.channel_id, channel_name=channel.name
        )
    res = ctx.call(req)
    return res, render.channel_changed(res.rotation)


@command(
    ("rotation", "now"),
    "R",
    "who is on call now in a rotation, and who is next",
    flags=(ROTATION_FLAG,),
    access=PUBLIC,
    read_only=True,
    request=api.RotationNowRequest,
)
def rotation_now(ctx: Ctx) -> Reply:
    """On call now and next."""
    res = ctx.call(api.RotationNowRequest(rotation=ctx.rotation()))
    return res, render.now_text(res, ctx.username, ctx.zone)


@command(
    ("user", "shifts"),
    "[@user] [--days N]",
    "your (or a user's) current and upcoming tasks in every rotation, and time off",
    flags=(Flag("days", "count", "how many days ahead (default 60)"),),
    access=PUBLIC,
    read_only=True,
    request=api.UserShiftsRequest,
)
def user_shifts(ctx: Ctx) -> Reply:
    """A user's shifts."""
    users = ctx.users(list(ctx.parsed.args))
    if len(users) > 1:
        raise InputError("name one user (or none for yourself).")
    res = ctx.call(api.UserShiftsRequest(user_id=users[0], days=ctx.flag("days", 60)))
    return res, render.shifts_text(res, ctx.username, ctx.zone)
