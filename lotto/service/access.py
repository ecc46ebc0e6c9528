"""Who may call an operation: the access levels, and the one rule applying them.

Each operation declares its level with the operation (``@operation(api.XRequest,
access=OWNER)``, :mod:`lotto.service.registry`), and the operation's wrapper applies
it for the :class:`lotto.api.Actor` of every call, whoever calls (the command layer,
the shim's buttons and links, the maintenance tool, the timer): :func:`admit`.

Levels:

- ``PUBLIC``: anyone;
- ``SELF``: anyone for themselves; plugin admins for anyone;
- ``ADMIN``: plugin admins only;
- ``OWNER``: plugin admins, and the owners of the rotation the call concerns;
- ``SELF_OR_OWNER``: anyone for themselves; the rotation's owners and plugin admins
  for others.

The users a ``SELF`` call concerns are the request's ``user_ids`` (or ``user_id``).
Which rotation an ``OWNER`` call concerns only the operation learns, inside its unit
of work (a name is resolved there): :func:`admit` then returns a :class:`Grant`, the
wrapper holds it for the call (:func:`granted`), and the resolution hook
:func:`check_owner` (called by ``common.resolve_rotation`` and ``common.load_task``)
holds the rotation against it. A call that never resolved a rotation is refused
before its commit (:func:`check_resolved`), so an operation that does not concern one
rotation can never slip through.

Refusals are :class:`~lotto.errors.AccessError` with the level (``access``) and the
acting user (``user_id``) as context; the command layer names the command in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from lotto.api import Actor
from lotto.errors import AccessError
from lotto.model.rotation import Rotation, may_hold_links

__all__ = [
    "PUBLIC",
    "SELF",
    "ADMIN",
    "OWNER",
    "SELF_OR_OWNER",
    "LEVELS",
    "Grant",
    "admit",
    "subjects",
    "check_level",
    "granted",
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

LEVELS = (PUBLIC, SELF, ADMIN, OWNER, SELF_OR_OWNER)

# Levels whose requests must say which users they concern.
_ABOUT_USERS = (SELF, SELF_OR_OWNER)


@dataclass
class Grant:
    """A call allowed only on a rotation its actor owns (checked once it is resolved)."""

    actor_id: str
    checked: bool = False


# The grant of the operation running now, if it is owners-only (per thread and task).
_GRANT: ContextVar[Grant | None] = ContextVar("lotto_owner_grant", default=None)


def subjects(req: object) -> list[str]:
    """The users a request concerns: its ``user_ids``, or its ``user_id`` (empty: none)."""
    listed = getattr(req, "user_ids", None)
    if isinstance(listed, list):
        return [u for u in listed if isinstance(u, str)]
    one = getattr(req, "user_id", None)
    return [one] if isinstance(one, str) and one else []


def check_level(level: str, request_type: type) -> None:
    """TypeError (at import) for an unknown level, or a self level on a request that
    names no users."""
    if level not in LEVELS:
        raise TypeError(f"{request_type.__name__}: unknown access level {level!r}")
    fields = getattr(request_type, "__struct_fields__", ())
    if level in _ABOUT_USERS and not {"user_ids", "user_id"} & set(fields):
        raise TypeError(
            f"{request_type.__name__} is declared {level!r} but has no user_ids/user_id field"
        )


def admit(level: str, actor: Actor, req: object) -> Grant | None:
    """Apply ``level`` for ``actor`` calling with ``req``, before the unit of work.

    Raises AccessError when the call is refused outright; returns a Grant when it may
    go on for a rotation the actor owns only; None when it may go on.
    """
    if actor.is_admin or level == PUBLIC:
        return None
    if level in _ABOUT_USERS and all(u == actor.user_id for u in subjects(req)):
        return None
    if level == ADMIN:
        raise AccessError(
            "only plugin admins may do this; ask one of them. Nothing was changed.",
            access=ADMIN,
            user_id=actor.user_id,
        )
    if level == SELF:
        raise AccessError(
            "only plugin admins may do this for other users; you may do it for yourself. "
            "Nothing was changed.",
            access=SELF,
            user_id=actor.user_id,
        )
    return Grant(actor.user_id)  # OWNER, or SELF_OR_OWNER for others


@contextmanager
def granted(grant: Grant | None) -> Iterator[None]:
    """Within the block, the running operation is held to ``grant`` (None: no limit)."""
    token = _GRANT.set(grant)
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
        access=OWNER,
        rotation_id=rid,
        user_id=actor_id,
        user_ids=owners,
    )


def check_owner(rotation: Rotation) -> None:
    """The resolution hook: refuse (AccessError) when the running operation is held to
    a grant and its actor does not own ``rotation``."""
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
            access=OWNER,
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
