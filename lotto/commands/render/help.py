"""Markdown help of the command tree: a group's subcommands, or a command's usage and flags."""

from __future__ import annotations

from lotto.commands.tree import (
    OWNER,
    PUBLIC,
    SELF,
    SELF_OR_OWNER,
    Command,
    Group,
    command_name,
    usage_line,
)
from lotto.model.duration import DURATION_EXAMPLES

__all__ = ["help_text"]


def help_text(node: Group | Command) -> str:
    """Markdown help for a group (its subcommands) or a command (usage and flags)."""
    if isinstance(node, Command):
        lines = [
            f"**{command_name(node.path)}**: {node.summary}",
            "",
            f"Usage: `{usage_line(node)}`",
        ]
        if node.details:
            lines += ["", node.details]
        lines += ["", "Flags:"]
        for flag in node.all_flags:
            short = f"-{flag.short}, " if flag.short else ""
            admins = " (plugin admins only)" if flag.admin_only else ""
            lines.append(f"- `{short}{flag.usage()}`: {flag.help}{admins}")
        if any(flag.kind == "duration" for flag in node.all_flags):
            lines += ["", f"Durations are written like {DURATION_EXAMPLES}."]
        who = {
            PUBLIC: "anyone",
            SELF: "anyone for themselves; plugin admins for others",
            OWNER: "the rotation's owners and plugin admins",
            SELF_OR_OWNER: "anyone for themselves; the rotation's owners and plugin admins "
            "for others",
        }.get(node.access, "plugin admins only")
        lines += ["", f"Who may run it: {who}."]
        return "\n".join(lines)
    title = f"**{command_name(node.path)}**" + (f": {node.summary}" if node.summary else "")
    lines = [title, "", "Subcommands:"]
    for name in sorted(node.children):
        child = node.children[name]
        if isinstance(child, Group):
            subs = "|".join(sorted(child.children))
            lines.append(f"- `{name} {subs}`: {child.summary}")
        else:
            lines.append(f"- `{name}`: {child.summary}")
    lines += ["", f"Use `{command_name(node.path)} <subcommand> help` for more."]
    return "\n".join(lines)
