"""What a command handler works with: the :class:`Ctx` of one invocation.

It holds the environment, the acting user's profile and zone, the command's
time and parsed flags, and the helpers every command needs: value conversion
for flags, ``@username`` and rotation resolution, and the call into the service
(as the acting user: the service decides whether they may).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from lotto import api
from lotto.api import Request
from lotto.api.mentions import declared
from lotto.commands.names import Names
from lotto.commands.parser import Flag, Parsed
from lotto.errors import InputError, LottoError, NotFoundError
from lotto.ports import Directory, Profile
from lotto.service import Service
from lotto.service.access import ADMIN
from lotto.service.registry import access_of, dispatch

if TYPE_CHECKING:  # pragma: no cover
    from lotto.commands.env import Env

__all__ = [
    "Ctx",
    "Command",
    "Handler",
    "Reply",
    "Result",
    "GLOBAL_FLAGS",
    "ROTATION_FLAG",
    "convert_value",
    "call_service",
    "names_for",
]

# `-r ID`: every command that names a rotation takes it (an exact id, no substring match).
ROTATION_FLAG = Flag(
    "rotation", "str", "the rotation's exact id (instead of naming it)", short="r", value_name="ID"
)

R = TypeVar("R")

# Integers are 64-bit, as in the original (and in what it stored).
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def call_service(
    service: Service,
    req: Request[R],
    *,
    actor: api.Actor,
    now: datetime,
) -> R:
    """Run ``req`` through the service operation registered for its type, as ``actor``
    (:func:`lotto.service.registry.dispatch`; AccessError when the operation refuses).

    Rendering its result needs the profiles of the users it declares
    (``result.user_ids()``): :func:`names_for` looks them up in ONE call.
    """
    return dispatch(service, req, actor=actor, now=now)


def names_for(directory: Directory, result: object, known: Iterable[Profile] = ()) -> Names:
    """The profiles of every user ``result`` declares (``result.user_ids()``), looked up
    in ONE directory call (besides ``known``), for rendering it without asking again."""
    names = Names(directory, known)
    names.learn(declared(result))
    return names


#: ``--period weekdays``: a daily rotation working Monday to Friday (``rotation new``).
PERIOD_WEEKDAYS = "weekdays"
WEEKDAY_PERIODS = ("weekdays", "workdays", "weekday")


def convert_value(flag: Flag, raw: str, zone: str, now: datetime | None = None) -> Any:
    """Convert a flag's raw text to its typed value (InputError naming the flag otherwise).

    Times relative to now (``tomorrow 09:00``, ``+2d``) count from ``now``.
    """
    try:
        return _convert(flag, raw, zone, now)
    except LottoError as exc:
        raise type(exc)(
            f"bad value for `--{flag.name}`: {exc.message}", flag=flag.name, value=raw
        ) from None


def _convert(flag: Flag, raw: str, zone: str, now: datetime | None) -> Any:
    kind = flag.kind
    if kind == "str":
        return raw
    if kind in ("int", "count"):
        try:
            value = int(raw.strip(), 10)
        except ValueError:
            raise InputError(f"`{raw}` is not a whole number.") from None
        if kind == "count" and value < 0:
            raise InputError(f"`{raw}` is negative; use 0 or more.")
        if not _INT_MIN <= value <= _INT_MAX:
            raise InputError(f"`{raw}` is too large.")
        return value
    if kind == "choice":
        if raw not in flag.choices:
            raise InputError(f"`{raw}` is not one of {', '.join(flag.choices)}.")
        return raw
    if kind == "duration":
        from lotto.model.timeutil import parse_duration

        return parse_duration(raw)
    if kind == "time":
        from lotto.model.timeutil import parse_time

        return parse_time(raw, zone, now)
    if kind == "period":
        from lotto.model.timeutil import parse_period

        if raw.strip().lower() in WEEKDAY_PERIODS:
            return PERIOD_WEEKDAYS  # `rotation new` makes it daily on Mon-Fri (issue 17)
        return parse_period(raw)
    from lotto.model import skill as sk

    if kind == "skill":
        if "," in raw:
            # The original README shows `--skill=a,b` here, but a need is one skill-level.
            raise InputError(
                f"`{raw}` names several skills; give one skill-level per command "
                "(e.g. `--skill webapp-2`) and run it again for the next.",
                value=raw,
            )
        return sk.parse_skill_level(raw)
    parts = [p for p in raw.split(",") if p.strip()]
    if not parts:
        raise InputError("no skill given.")
    if kind == "skills":
        return [sk.parse_skill_level(p) for p in parts]
    if kind == "names":
        return [sk.parse_skill(p) for p in parts]
    raise AssertionError(f"unknown flag kind {kind!r}")


#: What a command returns: the result struct (``--json`` prints it) and its Markdown.
Result = msgspec.Struct
Reply = tuple[Result, str]
#: A command's handler.
Handler = Callable[["Ctx"], Reply]

GLOBAL_FLAGS: tuple[Flag, ...] = (
    Flag("json", "bool", "print the result as JSON"),
    Flag("now", "time", "run as if the time were TIME (default: now)"),
)
# On a command that changes records, `--now` dates the change (who served when, who
# joined when): plugin admins only, like `--starting` (issue 19).
_CHANGING_GLOBAL_FLAGS: tuple[Flag, ...] = tuple(
    dataclasses.replace(f, admin_only=True) if f.name == "now" else f for f in GLOBAL_FLAGS
)


@dataclass
class Command:
    """A runnable command: ``run(ctx)`` returns ``(data, markdown)``."""

    path: tuple[str, ...]
    synopsis: str
    summary: str
    flags: tuple[Flag, ...]
    #: The level the command itself states (a test holds it to its operation's).
    declared_access: str | None
    run: Handler
    details: str = ""
    #: It only looks (changes no record): ``--now`` is then for everyone.
    read_only: bool = False
    #: The type of the request it calls the service with (None: it calls none itself).
    request: type[Request[Result]] | None = None

    @property
    def access(self) -> str:
        """Who may run it (its help says so): the level its operation declares, which the
        service applies; for a command calling no operation of its own, the level it
        states (the service method it calls applies it too)."""
        level = access_of(self.request) if self.request is not None else None
        return level or self.declared_access or ADMIN

    @property
    def all_flags(self) -> tuple[Flag, ...]:
        """The command's own flags plus ``--json`` and ``--now`` (plugin admins only on a
        command that changes records)."""
        return self.flags + (GLOBAL_FLAGS if self.read_only else _CHANGING_GLOBAL_FLAGS)


@dataclass
class Ctx:
    """One invocation of one command."""

    env: Env
    actor: Profile
    zone: str
    now: datetime
    cmd: Command
    parsed: Parsed
    #: The chat team the command was typed in ("" outside a chat server).
    team_id: str = ""
    #: The profiles the reply shows: the actor's, the ``@username``s resolved, and those
    #: every result declares (looked up once per result); rendering asks nothing remote.
    names: Names = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.names = Names(self.env.directory, [self.actor])

    # ----------------------------------------------------------------- flags/args

    def flag(self, name: str, default: Any = None) -> Any:
        """The value of flag ``name``, or ``default`` when not given."""
        return self.parsed.get(name, default)

    def has(self, name: str) -> bool:
        """Whether flag ``name`` was given."""
        return self.parsed.has(name)

    def require_flag(self, name: str) -> Any:
        """The value of a mandatory flag (InputError when missing)."""
        if not self.parsed.has(name):
            raise InputError(f"`--{name}` is required.", flag=name)
        return self.parsed.get(name)

    def no_args(self) -> None:
        """Fail if any positional argument was given."""
        if self.parsed.args:
            raise InputError(f"unexpected argument `{self.parsed.args[0]}`.")

    def one_arg(self, what: str) -> str:
        """The single positional argument (InputError when missing or extra)."""
        args = self.parsed.args
        if not args:
            raise InputError(f"{what} is required.")
        if len(args) > 1:
            raise InputError(f"unexpected argument `{args[1]}` after {what} `{args[0]}`.")
        return args[0]

    def task_and_users(self, *, default_actor: bool = True) -> tuple[str, list[str]]:
        """``ID @u…``: the task id and the resolved user ids."""
        args = self.parsed.args
        if not args:
            raise InputError("a task id (like `ICE#3`) is required.")
        task_id = args[0]
        if task_id.startswith("@"):
            raise InputError(
                f"a task id (like `ICE#3`) must come before the users, got `{task_id}`."
            )
        return task_id, self.users(args[1:], default_actor=default_actor)

    def users(self, tokens: list[str], *, default_actor: bool = True) -> list[str]:
        """Resolve ``@username`` tokens to user ids (the acting user when none given)."""
        if not tokens:
            if not default_actor:
                raise InputError("at least one `@username` is required.")
            return [self.actor.user_id]
        for token in tokens:
            if not token.startswith("@") or len(token) < 2:
                raise InputError(f"expected `@username`, got `{token}`.")
        names = [token[1:] for token in tokens]
        profiles = self.env.directory.by_usernames(names)  # one lookup for every name
        self.names.add(profiles.values())
        ids: list[str] = []
        for token, name in zip(tokens, names, strict=True):
            profile = profiles.get(name)
            if profile is None:
                raise NotFoundError(
                    f"user `{token}` not found; check the spelling of the username.", username=name
                )
            if profile.user_id not in ids:
                ids.append(profile.user_id)
        return ids

    def rotation_and_users(self) -> tuple[api.RotationRef, list[str]]:
        """``R @u…`` (in any order) or ``-r ID @u…``: the rotation ref and user ids."""
        names = [a for a in self.parsed.args if not a.startswith("@")]
        users = [a for a in self.parsed.args if a.startswith("@")]
        self._check_forgotten_at(names[0 if self.parsed.has("rotation") else 1 :])
        return self.rotation_ref(names), self.users(users)

    def _check_forgotten_at(self, extra: list[str]) -> None:
        """Words after the rotation that are usernames: say to write them with ``@``."""
        if not extra:
            return
        known = self.env.directory.by_usernames(extra)
        for word in extra:
            if word in known:
                raise InputError(
                    f"`{word}` is not a rotation; did you mean `@{word}`? Users are named "
                    "with `@`, a rotation without. Nothing was changed.",
                    username=word,
                )

    def rotation(self) -> api.RotationRef:
        """The rotation named by the positional argument or ``--rotation/-r``."""
        return self.rotation_ref(list(self.parsed.args))

    def rotation_ref(self, names: list[str]) -> api.RotationRef:
        """The rotation named by ``names`` (at most one) or by ``--rotation/-r``."""
        exact = self.parsed.get("rotation")
        if exact is not None:
            if names:
                raise InputError(
                    f"the rotation is already given by `--rotation {exact}`; "
                    f"unexpected argument `{names[0]}`."
                )
            return api.RotationRef(name=exact, exact=True)
        if not names:
            raise InputError(
                "a rotation is required: name it (a unique part of its id is "
                "enough) or use `--rotation ID`."
            )
        if len(names) > 1:
            raise InputError(f"only one rotation may be named; got `{names[0]}` and `{names[1]}`.")
        return api.RotationRef(name=names[0])

    # ----------------------------------------------------------------- access/service

    @property
    def is_admin(self) -> bool:
        """Whether the actor may run admin commands here."""
        return self.caller.is_admin

    @property
    def caller(self) -> api.Actor:
        """The acting user as the service sees them (:meth:`Env.actor`)."""
        return self.env.actor(self.actor)

    def call(self, req: Request[R]) -> R:
        """Run a request through the service as the acting user at the command's time.

        It must be of the type the command declared (``@command(request=…)``): the
        registry test checks coverage from those declarations, so they may not lie.
        """
        if self.cmd.request is not None and type(req) is not self.cmd.request:
            raise AssertionError(
                f"{' '.join(self.cmd.path)} declared {self.cmd.request.__name__}, "
                f"not {type(req).__name__}"
            )
        res = call_service(
            self.env.service,
            req,
            actor=self.caller,
            now=self.now,
        )
        self.names.learn(declared(res))
        return res

    def username(self, user_id: str) -> str:
        """``@username`` of a user id (``@id`` when the directory does not know it), from
        the profiles the command looked up (:attr:`names`)."""
        return self.names.mention(user_id)
