"""Markdown notes about names: a suffixed rotation id, people assigned outside their rotation."""

from __future__ import annotations

from lotto.commands.render.records import Mention

__all__ = ["suffixed_id_note", "non_member_note"]


def suffixed_id_note(name: str, rotation_id: str) -> str:
    """Why a new rotation's id is not the name asked for (an archived rotation keeps it)."""
    return (
        f"The name {name} belongs to an archived rotation, so this one's id is **{rotation_id}**: "
        f"name it so (or `-r {rotation_id}`) in later commands."
    )


def non_member_note(user_ids: list[str], rotation_id: str, mention: Mention) -> str:
    """The users just assigned who are not members of the task's rotation."""
    who = ", ".join(mention(u) for u in user_ids)
    verb = "is not a member" if len(user_ids) == 1 else "are not members"
    return (
        f"Note: {who} {verb} of rotation **{rotation_id}**: assigned all the same, but the "
        f"lottery only picks members; `/lotto user join {rotation_id} {mention(user_ids[0])}` "
        "adds them."
    )
