"""The time-off form: ``user unavailable`` as filled in a Mattermost interactive dialog.

The shim opens the form (``shim.dialogs``) and hands its fields here as text:
``start``, ``end`` (times as ``--start``/``--finish`` take them, in the user's
zone) and an optional ``note``. :func:`time_off_form` checks each field the way
the flags are checked and answers per field, so the form can show each error
next to its field; with every field right it runs the very operation the flags
run (``UserUnavailableRequest`` for the user themself) and answers with the
same reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lotto import api
from lotto.commands import render
from lotto.commands.base import call_service, convert_value, names_for
from lotto.commands.errors import failure_reply
from lotto.commands.parser import Flag
from lotto.errors import LottoError
from lotto.model.usertext import TEXT_LIMIT

__all__ = ["FormOutcome", "TIME_OFF_FIELDS", "time_off_form"]

#: The form's fields: name, label, and whether it must be filled in.
TIME_OFF_FIELDS = (("start", "Start", True), ("end", "End", True), ("note", "Note", False))
_START, _FINISH = Flag("start", "time"), Flag("finish", "time")
_LINE = "user unavailable"


@dataclass
class FormOutcome:
    """What a submitted form did: ``ok`` and the reply ``text``, or ``errors`` per field."""

    ok: bool
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def time_off_form(
    env: Any, actor_id: str, fields: dict[str, str], *, now: datetime | None = None
) -> FormOutcome:
    """Mark ``actor_id`` unavailable as the form's ``fields`` say (see the module doc).

    Never raises for bad input: field errors in ``errors``, a refusal in ``text``.
    """
    profile = env.directory.by_id(actor_id) if actor_id else None
    if profile is None:
        return FormOutcome(False, f"the acting user `{actor_id}` is not known to the directory.")
    zone = profile.time_zone or "UTC"
    errors: dict[str, str] = {}
    times: dict[str, datetime] = {}
    for name, flag in (("start", _START), ("end", _FINISH)):
        raw = str(fields.get(name) or "").strip()
        if not raw:
            errors[name] = "Required: a time such as 2027-11-10 or 2027-11-10T09:00."
            continue
        try:
            times[name] = convert_value(flag, raw, zone)
        except LottoError as exc:
            errors[name] = exc.message.removeprefix(f"bad value for `--{flag.name}`: ")
    if len(times) == 2 and times["end"] <= times["start"]:
        errors["end"] = "Must be after the start."
    note = str(fields.get("note") or "").strip()
    if len(note) > TEXT_LIMIT:
        errors["note"] = f"At most {TEXT_LIMIT} characters."
    if errors:
        return FormOutcome(False, errors=errors)
    req = api.UserUnavailableRequest(
        user_ids=[actor_id], start=times["start"], finish=times["end"], note=note
    )
    try:
        when = now or datetime.now(UTC)
        res = call_service(env.service, req, actor=env.actor(profile), now=when)
    except Exception as exc:  # the same error texts as the command
        reply = failure_reply(
            exc, env.mention, command_line=_LINE, command="/lotto user unavailable"
        )
        return FormOutcome(False, reply)
    if res.notices:
        env.deliver()
    return FormOutcome(
        True,
        render.user_unavailable(
            res,
            [actor_id],
            names_for(env.directory, res, [profile]).mention,
            cleared=False,
            now=when,
            zone=zone,
        ),
    )
