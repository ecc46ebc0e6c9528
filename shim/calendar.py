"""Calendar feeds over HTTP: ``GET /api/v1/calendar/{rotation}.ics?user=&by=&exp=&sig=``.

Calendar apps (Google Calendar, Outlook, Apple Calendar) poll a feed URL
without logging in, so the URL itself is the credential (``shim.links``): it is
signed with the feeds' key over the rotation, the user whose shifts it keeps
(empty: every shift), its holder and its expiry. Only someone who got the URL
from ``/lotto rotation calendar`` can read the feed; changing anything in it
breaks the signature; it stops working when it expires or when its holder is no
longer a member or owner of the rotation (403 either way).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from lotto import api
from lotto.errors import AccessError, LottoError, NotFoundError, StoreError
from lotto.ical import render_calendar
from shim import signing
from shim.errors import (
    ForbiddenError,
    RequestError,
    ResourceNotFoundError,
    StoreUnavailable,
)
from shim.links import FEED_PARAMS, FEED_PATH, verified

__all__ = ["PATH", "feed_endpoint", "site_of"]

PATH = FEED_PATH
MEDIA_TYPE = "text/calendar; charset=utf-8"
# Calendar apps poll every few minutes to hours; a short private cache is plenty.
_CACHE = "private, max-age=300"

_log = logging.getLogger("shim.calendar")


def site_of(url: str) -> str:
    """The host a deployment is known by (its Mattermost site): part of every event UID."""
    return urlsplit(url).hostname or "localhost"


def feed_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler serving ``runtime``'s feeds (errors are mapped by the app's guard)."""

    async def calendar_feed(request: Request) -> Response:
        rotation_id = request.path_params["rotation"]
        params = verified(
            runtime.config.secret,
            signing.FEED,
            (rotation_id,),
            request.query_params,
            FEED_PARAMS,
            "calendar feed",
        )
        user_id, holder = params.get("user", ""), params.get("by", "")
        text = await asyncio.to_thread(_render, runtime, rotation_id, user_id, holder)
        return Response(
            text,
            media_type=MEDIA_TYPE,
            headers={
                "Cache-Control": _CACHE,
                "Content-Disposition": f'inline; filename="{quote(rotation_id, safe="")}.ics"',
            },
        )

    return calendar_feed


def _render(runtime: Any, rotation_id: str, user_id: str, holder: str) -> str:
    now = datetime.now(UTC)
    req = api.RotationCalendarRequest(
        rotation=api.RotationRef(name=rotation_id, exact=True), user_id=user_id, holder_id=holder
    )
    try:
        with runtime.store.deadline(runtime.command_deadline()):
            res = runtime.env.service.rotation_calendar(
                req, actor=api.Actor(user_id=runtime.bot_user_id), now=now
            )
    except NotFoundError:
        raise ResourceNotFoundError("no such rotation", rotation_id=rotation_id) from None
    except AccessError:
        raise ForbiddenError("this calendar feed's holder left the rotation") from None
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
        namespace=runtime.env.namespace,
        site=runtime.env.site,
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
