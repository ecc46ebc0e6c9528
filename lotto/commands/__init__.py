"""The ``/lotto`` command layer: parse a command line, call the service as the acting
user (the service decides who may do what), render the result and the messages it
committed to the outbox.

Public surface::

    env = Env(kv, directory, poster)            # admin_only=True by default
    out = execute(env, actor_id, "/lotto task fill ICE#3", now=...)
    out.ok, out.text, out.data                  # never raises for user errors
    autopilot_all(env, now)                     # one Outcome per active rotation
    env.message_text(message)                   # an outbox message, for its reader

Delivering the outbox is :mod:`lotto.delivery`'s; after a command committed
messages, ``execute`` calls ``env.deliver()``: the hook the shim gives (which wakes
its outbox worker), else a delivery round right here to the poster.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kvstore import Lock
from lotto import api
from lotto.commands import autopilot as _autopilot  # noqa: F401  (registers commands)
from lotto.commands import calendar as _calendar  # noqa: F401  (registers commands)
from lotto.commands import cover as _cover  # noqa: F401  (registers commands)
from lotto.commands import forecast as _forecast  # noqa: F401  (registers commands)
from lotto.commands import hours as _hours  # noqa: F401  (registers commands)
from lotto.commands import info as _info  # noqa: F401  (registers commands)
from lotto.commands import oncall as _oncall  # noqa: F401  (registers commands)
from lotto.commands import page as _page  # noqa: F401  (registers commands)
from lotto.commands import render
from lotto.commands import rotation as _rotation  # noqa: F401
from lotto.commands import skill as _skill  # noqa: F401
from lotto.commands import task as _task  # noqa: F401
from lotto.commands import user as _user  # noqa: F401
from lotto.commands.base import Ctx, Result, call_service, convert_value, names_for
from lotto.commands.env import Env
from lotto.commands.errors import error_text, failure_reply
from lotto.commands.parser import parse_flags, tokenize
from lotto.commands.timeoff import TIME_OFF_FIELDS, FormOutcome, time_off_form
from lotto.commands.tree import Command, Group, command_name, lookup, usage_line
from lotto.errors import AccessError, InputError, NotFoundError
from lotto.ports import Profile

__all__ = [
    "Env",
    "Outcome",
    "execute",
    "take_offer",
    "accept_swap",
    "autopilot_all",
    "FormOutcome",
    "TIME_OFF_FIELDS",
    "time_off_form",
]


_HELP_WORDS = ("help", "--help", "-h")


@dataclass
class Outcome:
    """The result of one command: ``ok``, the Markdown ``text`` (or error paragraph), ``data``.

    ``is_json`` is set when ``--json`` asked for the result as JSON (``text`` is then a
    fenced JSON block; ``data`` the result struct).
    """

    ok: bool
    text: str
    data: Result | None = None
    is_json: bool = False
    notices: list[api.Notice] = field(default_factory=list)


def execute(
    env: Env, actor_id: str, text: str, *, now: datetime | None = None, team_id: str = ""
) -> Outcome:
    """Run one ``/lotto`` command line as ``actor_id``; never raises for bad input.

    ``team_id`` is the chat team the command was typed in (channel names are looked
    up there).
    """
    cmd: Command | None = None
    try:
        tokens = tokenize(text)
        if tokens and tokens[0] == "/lotto":
            tokens = tokens[1:]
        node, rest = lookup(tokens)
        if not isinstance(node, Command):
            return _group_reply(node, rest)
        cmd = node
        if any(tok in _HELP_WORDS for tok in rest[:1]) or "--help" in rest or "-h" in rest:
            return Outcome(True, render.help_text(cmd))
        return _run(env, cmd, actor_id, rest, now, team_id)
    except Exception as exc:  # the one place errors become text
        usage = usage_line(cmd) if cmd is not None else ""
        name = command_name(cmd.path) if cmd is not None else ""
        reply = failure_reply(exc, env.mention, command_line=text, usage=usage, command=name)
        return Outcome(False, reply)


def take_offer(
    env: Env,
    actor_id: str,
    task_id: str,
    from_user_id: str,
    offer_id: str,
    *,
    now: datetime | None = None,
) -> Outcome:
    """``task take`` as pressed on a "Take this shift" button, as ``actor_id``.

    The same operation and rules as the command (anyone may run it; the service
    refuses a taker who does not fit), for the very offer ``offer_id`` the button
    was made for: once that offer is taken or withdrawn it is gone, even if the
    same user offers again. Never raises for a refusal.
    """
    line = f"task take {task_id}"
    zone = "UTC"
    try:
        profile = _actor(env, actor_id)
        zone = profile.time_zone or "UTC"
        req = api.TaskTakeRequest(task_id=task_id, from_user_id=from_user_id, offer_id=offer_id)
        res = call_service(env.service, req, actor=env.actor(profile), now=now or datetime.now(UTC))
    except Exception as exc:  # the same error texts as the command
        return Outcome(
            False, failure_reply(exc, env.mention, command_line=line, command="/lotto task take")
        )
    if res.notices:
        env.deliver()
    names = names_for(env.directory, res, [profile])
    return Outcome(True, render.task_taken(res, names.mention, zone), res, False, list(res.notices))


def accept_swap(
    env: Env,
    actor_id: str,
    task_id: str,
    swap_id: str,
    *,
    now: datetime | None = None,
) -> Outcome:
    """``task swap ID --accept`` as pressed on an "Accept swap" button, as ``actor_id``.

    The same operation and rules as the command (only the person it was proposed to
    may accept), for the very swap ``swap_id`` the button was made for: once it is
    accepted or cancelled it is gone. Never raises for a refusal.
    """
    line = f"task swap {task_id} --accept"
    zone = "UTC"
    try:
        profile = _actor(env, actor_id)
        zone = profile.time_zone or "UTC"
        req = api.TaskSwapRequest(task_id=task_id, accept=True, swap_id=swap_id)
        res = call_service(env.service, req, actor=env.actor(profile), now=now or datetime.now(UTC))
    except Exception as exc:  # the same error texts as the command
        return Outcome(
            False, failure_reply(exc, env.mention, command_line=line, command="/lotto task swap")
        )
    if res.notices:
        env.deliver()
    names = names_for(env.directory, res, [profile])
    return Outcome(
        True, render.task_swapped(res, names.mention, zone), res, False, list(res.notices)
    )


def _group_reply(node: Group, rest: list[str]) -> Outcome:
    if not rest:
        return Outcome(True, render.help_text(node))
    if rest[0] in _HELP_WORDS:
        # "help rotation set" reads as "rotation set help"
        target, _ = lookup(list(node.path) + rest[1:])
        return Outcome(True, render.help_text(target))
    where = " ".join(("/lotto",) + node.path)
    choices = ", ".join(sorted(node.children))
    close = difflib.get_close_matches(rest[0], sorted(node.children), n=1, cutoff=0.6)
    guess = f" (did you mean `{where} {close[0]}`?)" if close else ""
    raise InputError(
        f"unknown command `{rest[0]}` after `{where}`{guess}; use one of: {choices} "
        f"(see `{where} help`).",
        command=rest[0],
    )


def _actor(env: Env, actor_id: str) -> Profile:
    profile = env.directory.by_id(actor_id) if actor_id else None
    if profile is None:
        raise NotFoundError(
            f"the acting user `{actor_id}` is not known to the directory.", user_id=actor_id
        )
    return profile


def _run(
    env: Env,
    cmd: Command,
    actor_id: str,
    rest: list[str],
    now: datetime | None,
    team_id: str = "",
) -> Outcome:
    actor = _actor(env, actor_id)
    zone = actor.time_zone or "UTC"
    when = now or datetime.now(UTC)
    parsed = parse_flags(rest, cmd.all_flags, lambda f, raw: convert_value(f, raw, zone, when))
    if parsed.get("now") is not None:
        # Relative times (`--beginning tomorrow`) count from `--now` when it is given.
        when = parsed.get("now")
        parsed = parse_flags(
            rest,
            cmd.all_flags,
            lambda f, raw: when if f.name == "now" else convert_value(f, raw, zone, when),
        )
    if env.admin_only and not actor.is_admin:
        for flag in cmd.all_flags:
            if flag.admin_only and parsed.get(flag.name) is not None:
                why = (
                    " (this command changes records, and `--now` would date the change at "
                    "another time)"
                    if flag.name == "now"
                    else ""
                )
                raise AccessError(
                    f"only plugin admins may use `--{flag.name}` with "
                    f"`/lotto {' '.join(cmd.path)}`{why}; run it without `--{flag.name}`. "
                    "Nothing was changed.",
                    user_id=actor.user_id,
                    flag=flag.name,
                )
    ctx = Ctx(env=env, actor=actor, zone=zone, now=when, cmd=cmd, parsed=parsed, team_id=team_id)
    data, text = cmd.run(ctx)
    # What the change broke or puts at risk, under any reply (results carry it as data).
    text += render.warnings_text(list(getattr(data, "warnings", []) or []), ctx.username)
    notices = list(getattr(data, "notices", []) or [])
    if notices:
        env.deliver()
    if parsed.get("json"):
        return Outcome(True, render.json_block(data), data, True, notices)
    return Outcome(True, text, data, False, notices)


def autopilot_all(env: Env, now: datetime, *, fence: Lock | None = None) -> list[Outcome]:
    """Run autopilot for every active rotation as ``env.bot_id``; one Outcome each.

    The timer's entry point (the shim calls it once per tick), over
    ``Service.autopilot_all``. A rotation that fails, or whose run could not fill a
    task, gets a failed Outcome (the shim logs those as errors); the others run all
    the same, and each run's direct messages go out as soon as it is done. ``fence``:
    the timer's run lock, which every rotation's commit checks it still holds.
    """
    outcomes: list[Outcome] = []
    actor = env.mention(env.bot_id) if env.bot_id else None
    zone = env.zone_of(env.bot_id) if env.bot_id else "UTC"

    def each(rotation_id: str, res: api.AutopilotResult | None, error: str) -> None:
        if res is None:
            outcomes.append(Outcome(False, render.autopilot_failure(rotation_id, error)))
            return
        names = names_for(env.directory, res)
        if res.notices:
            env.deliver()
        # A task that could not be filled fails the rotation's outcome (the shim logs
        # it as an error); the run's other work is committed and reported all the same.
        ok = not api.failed_fills(res)
        report = render.autopilot_report(res, actor, zone, names.mention)
        outcomes.append(Outcome(ok, report, res, False, list(res.notices)))

    try:
        env.service.autopilot_all(
            actor=env.bot,
            now=now,
            fence=fence,
            describe=lambda exc, rid: failure_reply(
                exc, env.mention, command_line=f"rotation autopilot {rid}"
            ),
            each=each,
        )
    except Exception as exc:  # the timer gets an outcome, never a traceback
        return [Outcome(False, error_text(exc, command_line="autopilot"))]
    return outcomes
