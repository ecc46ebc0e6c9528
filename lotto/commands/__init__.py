"""The ``/lotto`` command layer: parse a command line, check access, call the service,
render the result and the messages it committed to the outbox.

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

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kvstore import FencedStore
from lotto import PLUGIN_ID, api, delivery
from lotto.commands import autopilot as _autopilot
from lotto.commands import calendar as _calendar  # noqa: F401  (registers commands)
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
from lotto.commands.base import Ctx, call_service, convert_value
from lotto.commands.errors import error_text, mention_users
from lotto.commands.parser import parse_flags, tokenize
from lotto.commands.tree import ADMIN, OWNER, Command, lookup, usage_line
from lotto.errors import AccessError, InputError, LottoError, NotFoundError
from lotto.model.outbox import OutboxMessage
from lotto.ports import Channels, Directory, Links, Poster, Profile, Store

__all__ = ["Env", "Outcome", "execute", "take_offer", "autopilot_all"]

log = logging.getLogger("lotto.commands")

_HELP_WORDS = ("help", "--help", "-h")


class Env:
    """What commands run against: the store, the user directory and the DM poster.

    ``admin_only=False`` lets every user run admin commands (single-user CLI use).
    ``bot_id`` is the acting user of :func:`autopilot_all` (empty: "the autopilot").
    ``links`` (:class:`lotto.ports.Links`) makes the signed URLs of calendar feeds,
    rotation pages and chart images, or is None when no server publishes them; the
    server that serves them (the shim) supplies it, since it alone can sign URLs.
    ``site`` names the deployment (the chat server's host; the store's host in the CLI):
    with :attr:`namespace` it makes calendar event ids unique across deployments.
    ``channels`` finds the channels people name (default: the CLI's, where a name is
    its own id). ``deliver`` is called after a command committed messages (the shim
    wakes its outbox worker; the CLI delivers after the command, outside its
    deadline); without it the messages are delivered right away, to ``poster``.
    """

    def __init__(
        self,
        kv: Store,
        directory: Directory,
        poster: Poster,
        *,
        admin_only: bool = True,
        bot_id: str = "",
        links: Links | None = None,
        site: str = "localhost",
        deliver: Callable[[], None] | None = None,
        channels: Channels | None = None,
    ) -> None:
        self.kv = kv
        self.directory = directory
        self.poster = poster
        self.admin_only = admin_only
        self.bot_id = bot_id
        self.links = links
        self.site = site
        self._deliver = deliver
        if channels is None:
            from lotto.local import LocalChannels

            channels = LocalChannels()
        self.channels = channels
        self._service: Any = None

    @property
    def namespace(self) -> str:
        """The store's namespace (its plugin id)."""
        return str(getattr(self.kv, "plugin_id", "") or PLUGIN_ID)

    def deliver(self) -> None:
        """After a command committed messages: the ``deliver`` hook when one was given,
        else :meth:`deliver_now`. A delivery problem never fails the command that committed."""
        try:
            if self._deliver is not None:
                self._deliver()
            else:
                self.deliver_now()
        except Exception:
            log.exception("could not deliver the outbox")

    def deliver_now(self) -> delivery.DeliveryReport:
        """One delivery round of the outbox to ``poster``, here and now (``lotto.delivery``)."""
        return delivery.deliver(self.kv, self.message_text, self._post)

    def _post(self, message: OutboxMessage, text: str, earlier_ms: int | None) -> None:
        # The poster prints (the CLI) or records (tests): a repeat is harmless there.
        notice = message.notice
        if message.channel_id:
            self.poster.post(message.channel_id, notice.channel_name, text)
        else:
            self.poster.dm(notice.user_id, text)

    def message_text(self, message: OutboxMessage) -> str:
        """The Markdown text of an outbox message, written for its reader."""
        notice = message.notice
        # A channel post has many readers: it shows the zone the service chose (the rotation's).
        zone = self.zone_of(notice.user_id) if notice.user_id else (notice.zone or "UTC")
        return render.notice_text(notice, self.mention, zone)

    @property
    def service(self) -> Any:
        """The service bound to this environment's store and directory (made on first use)."""
        if self._service is None:
            from lotto.service import Service

            self._service = Service(self.kv, self.directory)
        return self._service

    def mention(self, user_id: str) -> str:
        """``@username`` for a user id (``@id`` when the directory does not know it, or
        cannot answer: rendering a committed change must not fail it)."""
        if not user_id:
            return "the autopilot"
        profile = self._profile(user_id)
        return f"@{profile.username}" if profile is not None else f"@{user_id}"

    def zone_of(self, user_id: str) -> str:
        """The user's IANA zone from the directory (UTC when unknown or unanswered)."""
        profile = self._profile(user_id) if user_id else None
        return (profile.time_zone or "UTC") if profile is not None else "UTC"

    def _profile(self, user_id: str) -> Any:
        try:
            return self.directory.by_id(user_id)
        except LottoError as exc:  # e.g. the chat server did not answer in time
            log.warning("could not look up user %s to render a reply: %s", user_id, exc)
            return None


@dataclass
class Outcome:
    """The result of one command: ``ok``, the Markdown ``text`` (or error paragraph), ``data``.

    ``is_json`` is set when ``--json`` asked for the result as JSON (``text`` is then a
    fenced JSON block; ``data`` the result struct).
    """

    ok: bool
    text: str
    data: Any = None
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
        message = error_text(exc, command_line=text, usage=usage)
        try:
            message = mention_users(message, exc, env.mention)
        except Exception:  # a directory outage keeps the ids, not the error
            log.warning("could not name the users of an error", exc_info=True)
        return Outcome(False, message)


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
    try:
        _actor(env, actor_id)
        req = api.TaskTakeRequest(task_id=task_id, from_user_id=from_user_id, offer_id=offer_id)
        res = call_service(
            env.service,
            req,
            actor_id=actor_id,
            now=now or datetime.now(UTC),
            directory=env.directory,
        )
    except Exception as exc:  # the same error texts as the command
        message = error_text(exc, command_line=line)
        try:
            message = mention_users(message, exc, env.mention)
        except Exception:
            log.warning("could not name the users of an error", exc_info=True)
        return Outcome(False, message)
    if res.notices:
        env.deliver()
    return Outcome(True, render.task_taken(res, env.mention), res, False, list(res.notices))


def _group_reply(node: Any, rest: list[str]) -> Outcome:
    if not rest:
        return Outcome(True, render.help_text(node))
    if rest[0] in _HELP_WORDS:
        # "help rotation set" reads as "rotation set help"
        target, _ = lookup(list(node.path) + rest[1:])
        return Outcome(True, render.help_text(target))
    where = " ".join(("/lotto",) + node.path)
    choices = ", ".join(sorted(node.children))
    raise InputError(
        f"unknown command `{rest[0]}` after `{where}`; use one of: {choices} (see `{where} help`).",
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
    if cmd.access == ADMIN and env.admin_only and not actor.is_admin:
        raise AccessError(
            f"only plugin admins may run `/lotto {' '.join(cmd.path)}`; "
            "ask one of them. Nothing was changed.",
            user_id=actor.user_id,
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
    # Someone who is not a plugin admin runs an owner command only on a rotation they
    # own: the service checks that once it knows the rotation.
    ctx.owners_only = cmd.access == OWNER and not ctx.is_admin
    data, text = cmd.run(ctx)
    notices = list(getattr(data, "notices", []) or [])
    if notices:
        env.deliver()
    if parsed.get("json"):
        return Outcome(True, render.json_block(data), data, True, notices)
    return Outcome(True, text, data, False, notices)


def autopilot_all(env: Env, now: datetime, *, fence: Any = None) -> list[Outcome]:
    """Run autopilot for every active rotation as ``env.bot_id``; one Outcome each.

    The timer's entry point (the shim calls it once per tick). A rotation that
    fails, or whose run could not fill a task, gets a failed Outcome (the shim logs
    those as errors); the others run all the same, and each run's direct messages
    go out as soon as it is done.

    ``fence`` (a ``kvstore.Lock``, the run lock of the caller's timer) makes every
    rotation's commit check that the lock is still held: a run that outlived its
    lease saves nothing and sends nothing (``kvstore.lock`` explains the fencing).
    """
    service = env.service
    if fence is not None:
        from lotto.service import Service

        service = Service(FencedStore(env.kv, fence), env.directory)

    def call(req: Any) -> Any:
        return call_service(service, req, actor_id=env.bot_id, now=now, directory=env.directory)

    try:
        runs = _autopilot.run_every_rotation(call, env.mention)
    except Exception as exc:  # the timer gets an outcome, never a traceback
        return [Outcome(False, error_text(exc, command_line="autopilot"))]
    outcomes: list[Outcome] = []
    actor = env.mention(env.bot_id) if env.bot_id else None
    zone = env.zone_of(env.bot_id)
    for run in runs:
        res = run.result
        if res is None:
            outcomes.append(Outcome(False, render.autopilot_failure(run.rotation_id, run.error)))
            continue
        if res.notices:
            env.deliver()
        # A task that could not be filled fails the rotation's outcome (the shim logs
        # it as an error); the run's other work is committed and reported all the same.
        ok = not _autopilot.failed_fills(res)
        report = render.autopilot_report(res, actor, zone, env.mention)
        outcomes.append(Outcome(ok, report, res, False, list(res.notices)))
    return outcomes
