"""The time-off form: ``/lotto user unavailable`` alone opens a Mattermost interactive dialog.

A slash command carries a ``trigger_id``; with it the shim asks Mattermost to
open a dialog (``POST /api/v4/actions/dialogs/open``, in the OpenAPI file) with
three fields — start, end, note — whose submission Mattermost posts to this
shim's ``POST /api/v1/actions/time-off`` (under the public URL). The dialog's
``state`` names the user it was opened for and an expiry, signed with the
dialogs' key derived from the shim secret (``shim.signing.DIALOG``, as the Take
button's context is signed with the buttons' key): a submission whose state is
not ours, is past its expiry, or comes from another user is refused with 403
and changes nothing.

The submission's shape (Mattermost → integration) is not in the OpenAPI file;
it follows Mattermost's documentation on interactive dialogs
(https://developers.mattermost.com/integrate/plugins/interactive-dialogs/): a
JSON POST with ``type`` ``dialog_submission``, ``callback_id``, ``state``,
``user_id``, ``channel_id``, ``team_id``, ``submission`` (field name → value) and
``cancelled``. The answer is 200 with ``{}`` (the dialog closes), or
``{"errors": {field: text}}`` (the dialog stays open and shows each text under
its field), or ``{"error": text}`` for a refusal that is no field's fault. On
success the reply of the command is shown to the user as an ephemeral post in
the channel the form was opened from. The time off itself is made by the same
operation as the flags (``lotto.commands.time_off_form``).

Without a public URL and a secret (or from the CLI, with no ``trigger_id``) the
command runs as typed and explains the flags.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lotto.commands import TIME_OFF_FIELDS, time_off_form
from shim import signing
from shim.errors import DisabledError, ForbiddenError, MattermostError, ShimError
from shim.inbound import json_object, read_body, user_id_of

__all__ = ["PATH", "CALLBACK_ID", "wants_form", "open_form", "form_state", "submit_endpoint"]

_log = logging.getLogger("shim.dialogs")

PATH = "/api/v1/actions/time-off"
CALLBACK_ID = "time-off"
#: How long an opened form may wait for its submission (seconds).
FORM_TTL = 24 * 3600
_JSON = "application/json"
_MAX_FIELD = 256
_HINTS = {
    "start": "When it starts, in your time zone: 2027-11-10 or 2027-11-10T09:00.",
    "end": "When you are back: 2027-11-11 or 2027-11-11T09:00.",
    "note": "Why, in a few words (shown with any place offered for you).",
}


def wants_form(text: str) -> bool:
    """Whether a slash command's text is ``user unavailable`` with nothing after it."""
    return text.split() == ["user", "unavailable"]


def form_state(secret: str, user_id: str, now: float) -> str:
    """The signed ``state`` of a form opened for ``user_id`` at ``now`` (unix seconds)."""
    exp = str(int(now) + FORM_TTL)
    sig = signing.sign(secret, signing.DIALOG, CALLBACK_ID, user_id, exp)
    return json.dumps({"user": user_id, "exp": exp, "sig": sig}, separators=(",", ":"))


def _verify(secret: str, state: Any, submitter: str, now: float) -> None:
    try:
        fields = json.loads(state) if isinstance(state, str) and len(state) < 1024 else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict) or not all(
        isinstance(fields.get(k), str) for k in ("user", "exp", "sig")
    ):
        raise ForbiddenError("invalid dialog state")
    user, exp, sig = fields["user"], fields["exp"], fields["sig"]
    if not signing.signed(secret, signing.DIALOG, sig, CALLBACK_ID, user, exp):
        raise ForbiddenError("invalid dialog state signature")
    if not exp.isdigit() or int(exp) <= now:
        raise ForbiddenError("this form has expired: run `/lotto user unavailable` again")
    if user != submitter:
        raise ForbiddenError("this form was opened for someone else")


def open_form(runtime: Any, user_id: str, trigger_id: str) -> str:
    """Open the time-off form for ``user_id``; the slash command's reply text."""
    config = runtime.config
    url = config.public_url.rstrip("/") + PATH
    dialog = {
        "callback_id": CALLBACK_ID,
        "title": "Time off",
        "introduction_text": (
            "Mark yourself unavailable. A shift you are on then is offered to the others "
            "(or, if it is not scheduled yet, you are taken off it)."
        ),
        "submit_label": "Mark unavailable",
        "state": form_state(config.secret, user_id, time.time()),
        "elements": [
            {
                "display_name": label,
                "name": name,
                "type": "textarea" if name == "note" else "text",
                "optional": not required,
                "max_length": 500 if name == "note" else 64,
                "help_text": _HINTS[name],
            }
            for name, label, required in TIME_OFF_FIELDS
        ],
    }
    with runtime.store.deadline(runtime.command_deadline()):
        runtime.client.open_dialog(trigger_id, url, dialog)
    return (
        "The time-off form is open. (Or type it: `/lotto user unavailable --start … --finish …`.)"
    )


def maybe_open_form(runtime: Any, user_id: str, text: str, trigger_id: str) -> str | None:
    """The reply when ``text`` asks for the form and it could be opened, else None
    (the command then runs as typed and explains the flags)."""
    config = runtime.config
    if not (trigger_id and wants_form(text) and config.public_url and config.secret):
        return None
    try:
        return open_form(runtime, user_id, trigger_id)
    except (MattermostError, ShimError) as err:
        _log.warning("could not open the time-off form: %s", err)
        return None


def submit_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler of the form's submission (errors mapped by the app's guard)."""

    async def submit(request: Request) -> Response:
        secret = runtime.config.secret
        if not secret:
            raise DisabledError("dialogs need --secret")
        body = json_object(await read_body(request, runtime.config.max_body_bytes, _JSON))
        submitter = user_id_of(body.get("user_id"), "user_id")
        _verify(secret, body.get("state"), submitter, time.time())
        if body.get("cancelled"):
            return JSONResponse({})
        raw = body.get("submission")
        submission = raw if isinstance(raw, dict) else {}
        fields = {
            name: str(submission.get(name) or "")[: _MAX_FIELD * 4]
            for name, _, _ in TIME_OFF_FIELDS
        }
        outcome = await asyncio.to_thread(_submit, runtime, submitter, fields)
        if outcome.errors:
            return JSONResponse({"errors": outcome.errors})
        if not outcome.ok:
            return JSONResponse({"error": outcome.text})
        channel_id = body.get("channel_id")
        if isinstance(channel_id, str) and channel_id:
            await asyncio.to_thread(_tell, runtime, submitter, channel_id, outcome.text)
        return JSONResponse({})

    return submit


def _submit(runtime: Any, user_id: str, fields: dict[str, str]) -> Any:
    with runtime.store.deadline(runtime.command_deadline()):
        return time_off_form(runtime.env, user_id, fields)


def _tell(runtime: Any, user_id: str, channel_id: str, text: str) -> None:
    try:
        runtime.client.ephemeral_post(user_id, channel_id, text)
    except (MattermostError, ShimError) as err:
        # The time off is made; only the confirmation is lost (the user sees it in
        # `/lotto user shifts`).
        _log.warning("could not show the time-off form's reply: %s", err)
