"""Who may change a rotation: plugin admins, and the rotation's owners.

The command layer knows whether the acting user is a plugin admin; only the
service knows which rotation a command concerns (names are resolved inside the
unit of work). So a command run by someone who is not an admin is dispatched
*owners only* (:func:`owners_only`), and the one rule is applied where the
rotation becomes known: :func:`check_owner`, called by
``common.resolve_rotation`` and ``common.load_task``. An owners-only operation
that never resolved a rotation is refused before its commit
(:func:`check_resolved`), so an operation that does not concern one rotation
can never slip through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from lotto.errors import AccessError
from lotto.model.rotation import Rotation, may_hold_links

__all__ = [
    "PUBLIC",
    "SELF",
    "ADMIN",
    "OWNER",
    "SELF_OR_OWNER",
    "owners_only",
    "check_owner",
    "check_resolved",
    "refusal",
    "check_link_holder",
]


PUBLIC = "public"  # anyone may run it
SELF = "self"  # anyone, for themselves only; admins for anyone
ADMIN = "admin"  # plugin admins only
# Plugin admins, and the owners of the rotation the command concerns (the owner rule is
# applied once the rotation is resolved: check_owner).
OWNER = "owner"
# Anyone for themselves; the rotation's owners and plugin admins for others.
SELF_OR_OWNER = "self-or-owner"


@dataclass
class _Grant:
    actor_id: str
    checked: bool = False


# Set for the duration of an owners-only call (per thread and task: a ContextVar).
_GRANT: ContextVar[_Grant | None] = ContextVar("lotto_owner_grant", default=None)


@contextmanager
def owners_only(actor_id: str) -> Iterator[None]:
    """Within the block, operations may only touch rotations ``actor_id`` owns."""
    token = _GRANT.set(_Grant(actor_id))
    try:
        yield
    finally:
        _GRANT.reset(token)


def refusal(rotation: Rotation, actor_id: str) -> AccessError:
    """The error for someone who neither owns ``rotation`` nor is a plugin admin.

    It names who can do it: the owners (user ids, which the command layer shows
    as ``@names``) or a plugin admin.
    """
    rid = rotation.rotation_id
    owners = list(rotation.owners)
    who = (
        f"ask an owner of {rid}: {', '.join(owners)}, or a plugin admin"
        if owners
        else (f"{rid} has no owners, so ask a plugin admin")
    )
    return AccessError(
        f"only plugin admins and the owners of rotation {rid} may do this; {who}. "
        "Nothing was changed.",
        rotation_id=rid,
        user_id=actor_id,
        user_ids=owners,
    )


def check_owner(rotation: Rotation) -> None:
    """Refuse (AccessError) when the call is owners-only and the actor does not own ``rotation``."""
    grant = _GRANT.get()
    if grant is None:
        return
    if grant.actor_id not in rotation.owners:
        raise refusal(rotation, grant.actor_id)
    grant.checked = True


def check_resolved() -> None:
    """Before a commit: an owners-only call must have been checked against its rotation."""
    grant = _GRANT.get()
    if grant is not None and not grant.checked:
        raise AccessError(
            "only plugin admins may do this (it does not concern a single rotation that "
            "you own). Nothing was changed.",
            user_id=grant.actor_id,
        )


def check_link_holder(rotation: Rotation, holder_id: str) -> None:
    """Refuse a private link (feed, page) whose holder is no longer a member or an owner.

    An empty ``holder_id`` is no link (the command layer asking): nothing to check.
    """
    if holder_id and not may_hold_links(rotation, holder_id):
        raise AccessError(
            f"This link of rotation {rotation.rotation_id} was given to someone who is no "
            "longer a member or owner of it, so it no longer works.",
            rotation_id=rotation.rotation_id,
            holder_id=holder_id,
        )
