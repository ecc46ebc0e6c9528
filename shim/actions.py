"""The "Take this shift" button of an offer: the post's buttons and the callback that runs them.

An ``offer`` message (``lotto.model.notice``) is posted with a Mattermost
interactive message button: ``props.attachments[].actions[]`` whose
``integration.url`` is this shim's ``POST /api/v1/actions/take`` (under the
public URL) and whose ``integration.context`` names the task, the offer, who the
message was for and an expiry, signed with the buttons' key derived from the shim
secret (HMAC-SHA256, ``shim.signing``). Mattermost keeps the context out of
users' sight and sends it back when someone clicks.

The callback's shape (Mattermost → integration) is not in Mattermost's OpenAPI
file; it follows Mattermost's documentation on interactive messages
(https://developers.mattermost.com/integrate/plugins/interactive-messages/ ,
"Message buttons" and the "Context" parameter): a JSON POST with ``user_id``,
``post_id``, ``channel_id``, ``team_id`` and the action's ``context``; the
answer is 200 with ``{"update": {"message": …, "props": …}, "ephemeral_text": …}``.

A digest (several notices of one change to one reader, one message:
``lotto.model.notice.one_per_reader``) carries a "Take ID" button per offer in
it. Their contexts also hold ``keep`` (covered by the signature), and a take
through one of them is answered with ephemeral text only: the post and its other
buttons stay as they are.

Refused with 403 and changing nothing: a context that is not ours (bad
signature), one past its expiry, one made for another user's message, and one
whose offer is gone (taken or withdrawn: a replayed click). A click on a live
offer by someone who does not fit is answered 200 with the reason, as
ephemeral text, and changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lotto import api
from lotto.commands import take_offer
from lotto.errors import LottoError, NotFoundError, StoreError
from lotto.model.notice import Notice
from lotto.model.outbox import OutboxMessage
from shim import signing, swapbutton
from shim.buttons import SignedButton, read_click
from shim.config import Config
from shim.errors import ForbiddenError, RequestError, StoreUnavailable

__all__ = [
    "PATH",
    "BUTTON",
    "sign",
    "context_for",
    "verify",
    "props_maker",
    "take_endpoint",
]

PATH = "/api/v1/actions/take"
BUTTON = "Take this shift"
# A button of a task without a start time stays usable this long.
_NO_START_TTL = timedelta(days=30)
# Who the message was for ("user") is empty for a channel post: anyone there may click.
# ``keep`` marks one button of several in a digest (a take leaves the post as it is).
_BUTTON = SignedButton(
    tag="take",
    purpose=signing.ACTION,
    fields=("task", "from", "offer", "user", "exp"),
    required=("task", "from", "offer"),
    expired="this offer's button has expired",
    flags=("keep",),
)


def sign(secret: str, context: dict[str, str]) -> str:
    """The signature of a take context (under the button key of ``shim.signing``)."""
    return _BUTTON.sign(secret, context)


def context_for(secret: str, message: OutboxMessage, offer: Notice | None = None) -> dict[str, str]:
    """The signed context of the button on ``message`` for its ``offer`` notice (default:
    the message's own notice; a digest's part otherwise, marked ``keep``)."""
    n = offer or message.notice
    if n.start is not None:
        expires = n.start
    else:
        expires = (n.task.expected_start if n.task else None) or (message.created + _NO_START_TTL)
    context = {
        "task": n.task_id,
        "from": n.from_user_id,
        "offer": n.offer_id,
        "user": n.user_id,  # empty for a channel post: anyone there may click
        "exp": str(int(expires.timestamp())),
    }
    if n is not message.notice:
        # One button of several in a digest: a take must leave the message and its other
        # buttons as they are.
        context["keep"] = "1"
    return _BUTTON.sealed(secret, context)


def verify(secret: str, context: Any, clicker: str, now: float) -> dict[str, str]:
    """The fields of a take context after checking it (ForbiddenError otherwise)."""
    return _BUTTON.verify(secret, context, clicker, now)


def props_maker(config: Config) -> Callable[[OutboxMessage], dict[str, Any]]:
    """``props(message)``: the post props a message needs beyond its text (the one place).

    An ``offer`` gets its "Take this shift" button when the shim has a public URL
    and a secret to sign with, and a digest one "Take ID" button per offer in it; a
    proposed swap its "Accept swap" button (``shim.swapbutton``); every other
    message, nothing.
    """

    def props(message: OutboxMessage) -> dict[str, Any]:
        n = message.notice
        if not (config.public_url and config.secret):
            return {}
        if n.kind == "swap_proposed" and n.user_id:
            return swapbutton.props_for(config, message)
        buttons: list[tuple[str, Notice | None]]
        if n.kind == "offer":
            buttons = [(BUTTON, None)]
        else:
            buttons = [(f"Take {p.task_id}", p) for p in n.parts if p.kind == "offer"]
        if not buttons:
            return {}
        url = config.public_url.rstrip("/") + PATH
        actions = [
            {
                "id": "take" if i == 0 else f"take{i}",
                "name": name,
                "integration": {"url": url, "context": context_for(config.secret, message, part)},
            }
            for i, (name, part) in enumerate(buttons)
        ]
        return {"attachments": [{"text": "", "actions": actions}]}

    return props


def take_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler of the button's callback (errors are mapped by the app's guard)."""

    async def take_action(request: Request) -> Response:
        # Checked before anything is read, so a forged click learns nothing.
        clicker, fields = await read_click(runtime, request, _BUTTON, time.time())
        ok, text = await asyncio.to_thread(_take, runtime, clicker, fields)
        if not ok or fields["keep"]:
            # Refused, or one offer of several in the post: the post stays as it is.
            return JSONResponse({"ephemeral_text": text})
        # The post loses its button and says who took the place.
        return JSONResponse({"update": {"message": text, "props": {}}, "ephemeral_text": text})

    return take_action


def _take(runtime: Any, clicker: str, fields: dict[str, str]) -> tuple[bool, str]:
    if not _offer_open(runtime, fields):
        raise ForbiddenError("this offer is gone: it was taken or withdrawn")
    with runtime.store.deadline(runtime.command_deadline()):
        outcome = take_offer(runtime.env, clicker, fields["task"], fields["from"], fields["offer"])
    return bool(outcome.ok), str(outcome.text)


def _offer_open(runtime: Any, fields: dict[str, str]) -> bool:
    """Whether the context's offer is still open (a replayed click finds it gone)."""
    req = api.TaskShowRequest(task_id=fields["task"])
    try:
        with runtime.store.deadline(runtime.command_deadline()):
            res = runtime.env.service.task_show(
                req, actor=api.Actor(user_id=runtime.bot_user_id), now=datetime.now(UTC)
            )
    except NotFoundError:
        return False
    except StoreError:
        raise StoreUnavailable("the store is unreachable") from None
    except LottoError as err:
        raise RequestError(str(err)) from None
    return any(
        o.offer_id == fields["offer"] and o.user_id == fields["from"] for o in res.task.offers
    )
