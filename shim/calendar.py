"""Calendar feeds over HTTP: ``GET /api/v1/calendar/{rotation}.ics?user=<id>&sig=<hex>``.

Calendar apps (Google Calendar, Outlook, Apple Calendar) poll a feed URL
without logging in, so the URL itself is the credential: ``sig`` is an
HMAC-SHA256 of ``rotation + "\\n" + user`` keyed with the shim secret. Only
someone who got the URL from ``/lotto rotation calendar`` can read the feed,
and changing the rotation or the user in it breaks the signature. An empty
``user`` is the whole rotation's feed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response

from lotto import api
from lotto.errors import LottoError, StoreError
from lotto.errors import NotFoundError as LottoNotFound
from lotto.ical import render_calendar
from shim.config import Config
from shim.errors import (
    DisabledError,
    ForbiddenError,
    NotFoundError,
    RequestError,
    StoreUnavailable,
)
from shim.signing import sign, signed

__all__ = ["PATH", "signature", "signature_ok", "feed_url", "url_maker", "feed_endpoint"]

PATH = "/api/v1/calendar/{rotation}.ics"
MEDIA_TYPE = "text/calendar; charset=utf-8"
# Calendar apps poll every few minutes to hours; a short private cache is plenty.
_CACHE = "private, max-age=300"
_MAX_PARAM = 256  # characters of rotation or user id accepted before any work

_log = logging.getLogger("shim.calendar")


def signature(secret: str, rotation_id: str, user_id: str) -> str:
    """The signature of the feed of ``rotation_id`` (for ``user_id``, or everyone)."""
    return sign(secret, rotation_id, user_id)


def signature_ok(secret: str, rotation_id: str, user_id: str, sig: str) -> bool:
    """Whether ``sig`` signs this feed (compared in constant time)."""
    return signed(secret, sig, rotation_id, user_id)


def feed_url(base: str, secret: str, rotation_id: str, user_id: str) -> str:
    """The signed subscription URL of a feed under ``base`` (the shim's public URL)."""
    query = {"user": user_id} if user_id else {}
    query["sig"] = signature(secret, rotation_id, user_id)
    path = PATH.replace("{rotation}", quote(rotation_id, safe=""))
    return f"{base.rstrip('/')}{path}?{urlencode(query)}"


def url_maker(config: Config) -> Callable[[str, str], str | None] | None:
    """``Env.feed_url`` for this configuration, or None when feeds have no public URL."""
    if not config.public_url or not config.secret:
        return None
    return lambda rotation_id, user_id: feed_url(
        config.public_url, config.secret, rotation_id, user_id
    )


def feed_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler serving ``runtime``'s feeds (errors are mapped by the app's guard)."""

    async def calendar_feed(request: Request) -> Response:
        secret = runtime.config.secret
        if not secret:
            raise DisabledError("calendar feeds need --secret")
        rotation_id = request.path_params["rotation"]
        user_id = request.query_params.get("user", "")
        sig = request.query_params.get("sig", "")
        if len(rotation_id) > _MAX_PARAM or len(user_id) > _MAX_PARAM:
            raise ForbiddenError("invalid calendar feed signature")
        # Checked before anything is read, so a guessed URL learns nothing.
        if not signature_ok(secret, rotation_id, user_id, sig):
            raise ForbiddenError("invalid calendar feed signature")
        text = await asyncio.to_thread(_render, runtime, rotation_id, user_id)
        return Response(
            text,
            media_type=MEDIA_TYPE,
            headers={
                "Cache-Control": _CACHE,
                "Content-Disposition": f'inline; filename="{quote(rotation_id, safe="")}.ics"',
            },
        )

    return calendar_feed


def _render(runtime: Any, rotation_id: str, user_id: str) -> str:
    now = datetime.now(UTC)
    req = api.RotationCalendarRequest(
        rotation=api.RotationRef(name=rotation_id, exact=True), user_id=user_id
    )
    try:
        res = runtime.env.service.rotation_calendar(req, actor_id=runtime.bot_user_id, now=now)
    except LottoNotFound:
        raise NotFoundError("no such rotation", rotation_id=rotation_id) from None
    except StoreError:
        raise StoreUnavailable("the store is unreachable") from None
    except LottoError as err:
        raise RequestError(str(err)) from None
    names = _usernames(
        runtime,
        [u for t in res.tasks for u in t.mattermost_user_ids] + ([user_id] if user_id else []),
    )
    return render_calendar(
        res.rotation,
        res.tasks,
        domain=runtime.config.plugin_id,
        now=now,
        user_id=user_id,
        mention=lambda uid: "@" + names.get(uid, uid),
    )


def _usernames(runtime: Any, user_ids: list[str]) -> dict[str, str]:
    """Usernames by id in one directory call; ids stand in when Mattermost can't say."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    try:
        profiles = runtime.directory.by_ids(ids)
    except Exception:  # any failure: a feed with ids beats no feed during an outage
        _log.warning("could not look up the users of a calendar feed", exc_info=True)
        return {}
    return {uid: p.username for uid, p in profiles.items() if p is not None}
