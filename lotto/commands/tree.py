"""The command tree: groups of subcommands, each command with its flags, usage and access level.

Command modules register their commands with :func:`command`; :func:`lookup`
walks the tree for a token list, and :mod:`lotto.commands.render` renders the
help of any node. Help texts are ours; the behaviour follows docs/design.md §5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lotto.api import Request
from lotto.commands.base import GLOBAL_FLAGS, Command, Handler, Result
from lotto.commands.parser import Flag
from lotto.service.access import ADMIN, OWNER, PUBLIC, SELF, SELF_OR_OWNER

# The access levels (lotto.service.access) and Command (lotto.commands.base) are
# re-exported: command modules declare their commands from here.
__all__ = [
    "PUBLIC",
    "SELF",
    "ADMIN",
    "OWNER",
    "SELF_OR_OWNER",
    "GLOBAL_FLAGS",
    "Command",
    "Group",
    "ROOT",
    "group",
    "command",
    "lookup",
    "usage_line",
    "command_name",
]

TRIGGER = "/lotto"


@dataclass
class Group:
    """A node with named children (groups or commands)."""

    path: tuple[str, ...]
    summary: str
    children: dict[str, Group | Command] = field(default_factory=dict)


ROOT = Group((), "Solar Lottery: fair, skill-aware team rotations.")


def group(path: tuple[str, ...], summary: str) -> Group:
    """Create (or fetch) the group at ``path``, creating parents as needed."""
    node = ROOT
    for depth, name in enumerate(path):
        child = node.children.get(name)
        if child is None:
            child = Group(path[: depth + 1], summary if depth == len(path) - 1 else "")
            node.children[name] = child
        assert isinstance(child, Group), f"{path} clashes with a command"
        node = child
    if summary:
        node.summary = summary
    return node


def command(
    path: tuple[str, ...],
    synopsis: str,
    summary: str,
    *,
    flags: tuple[Flag, ...] = (),
    access: str | None = None,
    details: str = "",
    read_only: bool = False,
    request: type[Request[Result]] | None = None,
) -> Callable[[Handler], Handler]:
    """Decorator registering a handler as the command at ``path``; ``access`` the level
    it states (its operation's decides, and a test holds the two together); ``read_only`` for a
    command that changes no record (a test checks that it does not); ``request``: the
    type of the request it builds and calls the service with (``ctx.call`` refuses any
    other, and a test checks that every request type has its command)."""

    def register(fn: Handler) -> Handler:
        """Add ``fn`` to the tree and return it unchanged."""
        parent = group(path[:-1], "")
        parent.children[path[-1]] = Command(
            path, synopsis, summary, flags, access, fn, details, read_only, request
        )
        return fn

    return register


def lookup(tokens: list[str]) -> tuple[Group | Command, list[str]]:
    """Walk the tree along ``tokens``; return the deepest node reached and the rest."""
    node: Group | Command = ROOT
    i = 0
    while isinstance(node, Group) and i < len(tokens) and tokens[i] in node.children:
        node = node.children[tokens[i]]
        i += 1
    return node, tokens[i:]


def command_name(path: tuple[str, ...]) -> str:
    """The slash command naming the node at ``path``, e.g. ``/lotto task fill``."""
    return " ".join((TRIGGER,) + path)


def usage_line(cmd: Command) -> str:
    """One-line usage of a command, e.g. ``/lotto task fill ID [--json] [--now TIME]``."""
    parts = [command_name(cmd.path)]
    if cmd.synopsis:
        parts.append(cmd.synopsis)
    parts.append("[--json] [--now TIME]")
    return " ".join(parts)
