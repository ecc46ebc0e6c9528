"""Which ``/lotto`` commands are heavy: run in a worker process, one at a time per person.

A command is heavy by its path (:data:`HEAVY_PATHS`: forecasts, stats, the
rotation page, autopilot runs), or by its size (:data:`SIZED_PATHS`: a show or
calendar of a rotation with at least :data:`BIG_ROTATION` members; working
that out costs one read of the rotation). Anything that is not a runnable
command (help, a group, a typo, bad quoting) is light: the command layer
answers it in a request thread as usual.
"""

from __future__ import annotations

from typing import Any

from lotto import api
from lotto.commands.base import convert_value
from lotto.commands.parser import parse_flags, tokenize
from lotto.commands.tree import Command, lookup
from lotto.errors import LottoError
from lotto.service.common import resolve_rotation, run

__all__ = ["HEAVY_PATHS", "SIZED_PATHS", "BIG_ROTATION", "heavy_name", "big_rotation_command"]

#: Heavy whatever their size: each simulates, tallies history or runs the autopilot.
HEAVY_PATHS = frozenset(
    {
        ("rotation", "forecast"),
        ("user", "forecast"),
        ("rotation", "stats"),
        ("rotation", "page"),
        ("rotation", "autopilot"),
        ("autopilot",),
    }
)
#: Heavy when the rotation they name has :data:`BIG_ROTATION` members or more.
SIZED_PATHS = frozenset({("rotation", "show"), ("rotation", "calendar")})
BIG_ROTATION = 1_000
_HELP = ("help", "--help", "-h")


def heavy_name(text: str) -> str | None:
    """The name of the command ``text`` runs (e.g. ``rotation forecast``) when it is heavy by
    its path (:data:`HEAVY_PATHS`), else None. Parses only: no store, no I/O."""
    found = _command(text)
    return " ".join(found[0].path) if found and found[0].path in HEAVY_PATHS else None


def big_rotation_command(kv: Any, text: str) -> str | None:
    """The name of the command ``text`` runs when it is a show or calendar
    (:data:`SIZED_PATHS`) of a rotation of :data:`BIG_ROTATION` members or more, else
    None. Reads the rotation (one round trip) only for those commands."""
    found = _command(text)
    if not found or found[0].path not in SIZED_PATHS:
        return None
    cmd, rest = found
    return " ".join(cmd.path) if _members(kv, cmd, rest) >= BIG_ROTATION else None


def _command(text: str) -> tuple[Command, list[str]] | None:
    """The runnable command ``text`` names and its arguments (None for help, a group, a
    typo or bad quoting)."""
    try:
        tokens = tokenize(text)
    except LottoError:
        return None
    if tokens[:1] == ["/lotto"]:
        tokens = tokens[1:]
    node, rest = lookup(tokens)
    if not isinstance(node, Command) or any(t in _HELP for t in rest):
        return None
    return node, rest


def _members(kv: Any, cmd: Command, rest: list[str]) -> int:
    """How many members the rotation the command names has (0 when it names none or
    the store does not answer: the command itself then says what is wrong)."""
    try:
        parsed = parse_flags(rest, cmd.all_flags, lambda f, raw: convert_value(f, raw, "UTC"))
        exact = parsed.get("rotation")
        if exact is None and not parsed.args:
            return 0
        ref = api.RotationRef(name=str(exact or parsed.args[0]), exact=exact is not None)
        return run(kv, lambda s: len(resolve_rotation(s, ref).mattermost_user_ids))
    except LottoError:
        return 0
