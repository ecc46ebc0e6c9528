"""The "Accept swap" button of a proposed swap (``task swap``): its props and its callback.

Built like the "Take this shift" button (``shim.actions``, which documents the
callback's shape): a ``swap_proposed`` message is posted to the person a swap is
proposed to with a Mattermost interactive message button whose
``integration.url`` is this shim's ``POST /api/v1/actions/swap`` and whose
``integration.context`` names the task, the swap, who the message was for and an
expiry, signed under its own key (``shim.signing.SWAP``), so a take context never
passes for a swap and back.

Refused with 403 and changing nothing: a context that is not ours, one past its
expiry (the proposer's shift start), one clicked by someone other than the person
it was sent to. A swap accepted or cancelled since is answered 200 with the
reason as ephemeral text (the service finds it gone), like a refusal because
someone no longer fits; an accepted swap's post loses its button.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lotto.commands import accept_swap
from lotto.model.outbox import OutboxMessage
from shim import signing
from shim.buttons import SignedButton, read_click
from shim.config import Config

__all__ = ["PATH", "BUTTON", "sign", "context_for", "verify", "props_for", "swap_endpoint"]

PATH = "/api/v1/actions/swap"
BUTTON = "Accept swap"
_NO_START_TTL = timedelta(days=30)
_BUTTON = SignedButton(
    tag="swap",
    purpose=signing.SWAP,
    fields=("task", "swap", "user", "exp"),
    required=("task", "swap"),
    expired="this swap's button has expired",
    user_required=True,
)


def sign(secret: str, context: dict[str, str]) -> str:
    """The signature of a swap context (under the swap key)."""
    return _BUTTON.sign(secret, context)


def context_for(secret: str, message: OutboxMessage) -> dict[str, str]:
    """The signed context of the button on a ``swap_proposed`` message."""
    n = message.notice
    expires = n.start or (message.created + _NO_START_TTL)
    context = {
        "task": n.task_id,
        "swap": n.swap_id,
        "user": n.user_id,
        "exp": str(int(expires.timestamp())),
    }
    return _BUTTON.sealed(secret, context)


def verify(secret: str, context: Any, clicker: str, now: float) -> dict[str, str]:
    """The fields of a swap context after checking it (ForbiddenError otherwise)."""
    return _BUTTON.verify(secret, context, clicker, now)


def props_for(config: Config, message: OutboxMessage) -> dict[str, Any]:
    """The post props of a ``swap_proposed`` direct message: its "Accept swap" button."""
    url = config.public_url.rstrip("/") + PATH
    action = {
        "id": "swap",
        "name": BUTTON,
        "integration": {"url": url, "context": context_for(config.secret, message)},
    }
    return {"attachments": [{"text": "", "actions": [action]}]}


def swap_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler of the button's callback (errors are mapped by the app's guard)."""

    async def swap_action(request: Request) -> Response:
        clicker, fields = await read_click(runtime, request, _BUTTON, time.time())
        ok, text = await asyncio.to_thread(_accept, runtime, clicker, fields)
        if not ok:
            return JSONResponse({"ephemeral_text": text})
        return JSONResponse({"update": {"message": text, "props": {}}, "ephemeral_text": text})

    return swap_action


def _accept(runtime: Any, clicker: str, fields: dict[str, str]) -> tuple[bool, str]:
    with runtime.store.deadline(runtime.command_deadline()):
        outcome = accept_swap(runtime.env, clicker, fields["task"], fields["swap"])
    return bool(outcome.ok), str(outcome.text)
