"""Signed message-button contexts and the start of every button callback.

A Mattermost message button carries an ``integration.context`` that Mattermost keeps
out of users' sight and sends back on a click. Ours are signed (``shim.signing``,
one key per purpose) so that a click is checked before anything is read: the
"Take this shift" button (``shim.actions``) and the "Accept swap" button
(``shim.swapbutton``) are both a :class:`SignedButton` that differ only in their
fields, their key and who may click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from shim import signing
from shim.errors import DisabledError, ForbiddenError
from shim.inbound import json_object, read_body, user_id_of

__all__ = ["SignedButton", "read_click"]

_MAX_FIELD = 256
_JSON = "application/json"


@dataclass(frozen=True)
class SignedButton:
    """How one kind of button's context is signed and checked.

    ``tag`` leads the signed fields (so two kinds never sign the same list); ``fields``
    are signed in order, ``flags`` only when set (so one cannot be added or dropped);
    ``required`` must be non-empty; ``user`` is who the message was for, ``""`` meaning
    anyone who sees it (a channel post) unless ``user_required``; ``exp`` is a Unix time.
    """

    tag: str
    purpose: str
    fields: Sequence[str]
    required: Sequence[str]
    expired: str
    flags: Sequence[str] = ()
    user_required: bool = False

    def _signed(self, context: dict[str, str]) -> list[str]:
        values = [self.tag, *(str(context.get(f, "")) for f in self.fields)]
        return values + [f for f in self.flags if context.get(f)]

    def sign(self, secret: str, context: dict[str, str]) -> str:
        """The signature of ``context`` under this kind's key."""
        return signing.sign(secret, self.purpose, *self._signed(context))

    def sealed(self, secret: str, context: dict[str, str]) -> dict[str, str]:
        """``context`` with its signature added."""
        return {**context, "sig": self.sign(secret, context)}

    def verify(self, secret: str, context: Any, clicker: str, now: float) -> dict[str, str]:
        """The fields of a clicked ``context`` after checking it (ForbiddenError otherwise)."""
        if not secret or not isinstance(context, dict):
            raise ForbiddenError("invalid action context")
        fields = {f: context.get(f, "") for f in (*self.fields, *self.flags, "sig")}
        if not all(isinstance(v, str) and len(v) <= _MAX_FIELD for v in fields.values()):
            raise ForbiddenError("invalid action context")
        if not signing.signed(secret, self.purpose, fields["sig"], *self._signed(fields)):
            raise ForbiddenError("invalid action context signature")
        if not fields["exp"].isdigit() or int(fields["exp"]) <= now:
            raise ForbiddenError(self.expired)
        if (self.user_required or fields["user"]) and fields["user"] != clicker:
            raise ForbiddenError("this button was sent to someone else")
        if not all(fields[f] for f in self.required):
            raise ForbiddenError("invalid action context")
        return fields


async def read_click(
    runtime: Any, request: Request, button: SignedButton, now: float
) -> tuple[str, dict[str, str]]:
    """Who clicked and the checked fields of the click's context, read from ``request``
    (the body bounded like any other); checked before anything else is read."""
    secret = runtime.config.secret
    if not secret:
        raise DisabledError("action buttons need --secret")
    body = json_object(await read_body(request, runtime.config.max_body_bytes, _JSON))
    clicker = user_id_of(body.get("user_id"), "user_id")
    return clicker, button.verify(secret, body.get("context"), clicker, now)
