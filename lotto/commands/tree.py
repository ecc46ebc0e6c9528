"""The command tree: groups of subcommands, each command with its flags, usage and access level.

Command modules register their commands with :func:`command`; :func:`lookup`
walks the tree for a token list, and :mod:`lotto.commands.render` renders the
help of any node. Help texts are ours; the behaviour follows docs/design.md §5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lotto.commands.parser import Flag

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

PUBLIC = "public"  # anyone may run it
SELF = "self"  # anyone, for themselves only; admins for anyone
ADMIN = "admin"  # plugin admins only
# Plugin admins, and the owners of the rotation the command concerns (the service
# applies the owner rule once it has resolved the rotation: lotto.service.access).
OWNER = "owner"
# Anyone for themselves; the rotation's owners and plugin admins for others.
SELF_OR_OWNER = "self-or-owner"

TRIGGER = "/lotto"

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
    access: str
    run: Callable[[Any], tuple[Any, str]]
    details: str = ""
    #: It only looks (changes no record): ``--now`` is then for everyone.
    read_only: bool = False

    @property
    def all_flags(self) -> tuple[Flag, ...]:
        """The command's own flags plus ``--json`` and ``--now`` (plugin admins only on a
        command that changes records)."""
        return self.flags + (GLOBAL_FLAGS if self.read_only else _CHANGING_GLOBAL_FLAGS)


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
    access: str = ADMIN,
    details: str = "",
    read_only: bool = False,
) -> Callable[[Callable[[Any], tuple[Any, str]]], Callable[[Any], tuple[Any, str]]]:
    """Decorator registering a handler as the command at ``path``; ``read_only`` for a
    command that changes no record (a test checks that it does not)."""

    def register(fn: Callable[[Any], tuple[Any, str]]) -> Callable[[Any], tuple[Any, str]]:
        """Add ``fn`` to the tree and return it unchanged."""
        parent = group(path[:-1], "")
        parent.children[path[-1]] = Command(
            path, synopsis, summary, flags, access, fn, details, read_only
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
