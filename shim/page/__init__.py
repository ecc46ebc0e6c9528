"""A rotation's web page and the chat replies' chart images, served by ``lotto serve``.

- ``GET /page/{rotation}?by=&exp=&sig=[&tz=ZONE][&user=NAME]``: the page
  (:mod:`shim.page.html`, charts :mod:`shim.page.svg`), in the viewer's zone
  (``tz``, which the page's script sets from the browser on the first visit), with
  one member highlighted (``user``: a username or id);
- ``GET /api/v1/chart/{rotation}/{stats|forecast}.png?at=&exp=&…&sig=``: the chart
  of one ``rotation stats``/``rotation forecast`` reply (:mod:`shim.page.png`).

Both are signed links (``shim.links``): a forged, tampered or expired one, or a
page whose holder left the rotation, is 403 before anything is read or shown.
The data comes from the service in one operation each (``rotation_page``,
``rotation_stats``, ``rotation_forecast``), so every number is the commands' own.
The HTML lives here, not in ``lotto.commands.render``: that package renders the
chat's Markdown, this is a web page with its own markup, stylesheet and CSP.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from lotto import api
from lotto.commands.render import percent
from lotto.errors import AccessError, LottoError, NotFoundError, StoreError
from shim import signing
from shim.errors import ForbiddenError, RequestError, ResourceNotFoundError, StoreUnavailable
from shim.links import CHART_KINDS, CHART_PARAMS, PAGE_PARAMS, verified
from shim.page.html import CSP, View, render_page
from shim.page.png import MAX_ROWS, fairness_png, heatmap_png

__all__ = ["page_endpoint", "chart_endpoint", "known_zones", "page_headers"]

_log = logging.getLogger("shim.page")

#: Headers of every page: the CSP, and no referrer (the URL is a credential).
page_headers = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-store",
}


@functools.lru_cache(maxsize=1)
def known_zones() -> tuple[str, ...]:
    """The IANA zones the picker offers (read once)."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC"))


def _call(runtime: Any, op: Callable[..., Any], req: Any, now: datetime) -> Any:
    """Run a read operation for a link (the bot acts, as a plain member: links only
    read what anyone may), its errors mapped to HTTP ones."""
    try:
        with runtime.store.deadline(runtime.command_deadline()):
            return op(req, actor=api.Actor(user_id=runtime.bot_user_id), now=now)
    except NotFoundError:
        raise ResourceNotFoundError("no such rotation") from None
    except AccessError:
        raise ForbiddenError("this link's holder is no longer a member or owner") from None
    except StoreError:
        raise StoreUnavailable("the store is unreachable") from None
    except LottoError as err:
        raise RequestError(str(err)) from None


def _names(runtime: Any, ids: Iterable[str]) -> Callable[[str], str]:
    """``@username`` by id from one directory call; the id stands in when unknown."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    found: dict[str, str] = {}
    if wanted:
        try:
            found = {u: p.username for u, p in runtime.directory.by_ids(wanted).items() if p}
        except Exception:  # a page with ids beats no page during a Mattermost outage
            _log.warning("could not look up the users of a rotation page", exc_info=True)
    return lambda uid: "@" + found.get(uid, uid)


def _zone(asked: str, rotation_zone: str) -> tuple[str, str]:
    fallback = rotation_zone or "UTC"
    if not asked:
        return fallback, " (the rotation's; pick yours)"
    if asked in known_zones():
        return asked, ""
    return fallback, " (the rotation's: the zone asked for is unknown here)"


def page_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler of rotation pages (errors are mapped by the app's guard)."""

    async def rotation_page(request: Request) -> Response:
        rid = request.path_params["rotation"]
        query = request.query_params
        params = verified(runtime.config.secret, signing.PAGE, (rid,), query, PAGE_PARAMS, "page")
        tz, user = query.get("tz", "")[:64], query.get("user", "")[:64]
        text = await asyncio.to_thread(_page, runtime, rid, params, tz, user)
        return Response(text, media_type="text/html; charset=utf-8", headers=page_headers)

    return rotation_page


def _page(runtime: Any, rid: str, params: dict[str, str], tz: str, user: str) -> str:
    req = api.RotationPageRequest(
        rotation=api.RotationRef(name=rid, exact=True), holder_id=params.get("by", "")
    )
    res = _call(runtime, runtime.env.service.rotation_page, req, datetime.now(UTC))
    mention = _names(runtime, res.user_ids())
    zone, note = _zone(tz, res.rotation.fill_settings.time_zone)
    wanted = user.removeprefix("@")
    members = res.rotation.mattermost_user_ids
    highlight = next((u for u in members if u == wanted or mention(u) == "@" + wanted), "")
    hidden = {k: v for k, v in {**params, "sig": "", "user": user}.items() if v}
    view = View(
        zone=zone,
        mention=mention,
        zones=known_zones(),
        highlight=highlight,
        hidden=hidden,
        expires=datetime.fromtimestamp(int(params["exp"]), UTC),
        zone_note=note,
    )
    view.hidden = {**view.hidden}
    return render_page(res, view)


def chart_endpoint(runtime: Any) -> Callable[[Request], Any]:
    """The route handler of chart images (errors are mapped by the app's guard)."""

    async def chart(request: Request) -> Response:
        rid, kind = request.path_params["rotation"], request.path_params["kind"]
        if kind not in CHART_KINDS:
            raise ForbiddenError("invalid or expired chart link")
        params = verified(
            runtime.config.secret,
            signing.CHART,
            (rid, kind),
            request.query_params,
            CHART_PARAMS,
            "chart",
        )
        png = await asyncio.to_thread(_chart, runtime, rid, kind, params)
        return Response(
            png,
            media_type="image/png",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return chart


def _int(params: dict[str, str], name: str) -> int | None:
    value = params.get(name, "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ForbiddenError("invalid chart link") from None


def _when(params: dict[str, str], name: str) -> datetime | None:
    value = _int(params, name)
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _chart(runtime: Any, rid: str, kind: str, params: dict[str, str]) -> bytes:
    ref = api.RotationRef(name=rid, exact=True)
    now = _when(params, "at") or datetime.now(UTC)
    service = runtime.env.service
    if kind == "stats":
        req = api.RotationStatsRequest(
            rotation=ref, since=_when(params, "since"), until=_when(params, "until")
        )
        st = _call(runtime, service.rotation_stats, req, now)
        mention = _names(runtime, st.user_ids())
        people = sorted(st.members, key=lambda m: (-m.difference, mention(m.user_id)))
        rows = [(mention(m.user_id), float(m.shifts), m.fair_shifts) for m in people]
        title = f"{rid}: shifts served / fair share"
        return fairness_png(title, rows, more=max(0, len(rows) - MAX_ROWS))
    sizes = {k: v for k in ("shifts", "samples", "seed") if (v := _int(params, k)) is not None}
    res = _call(
        runtime, service.rotation_forecast, api.RotationForecastRequest(rotation=ref, **sizes), now
    )
    fc = res.forecast
    mention = _names(runtime, res.user_ids())
    rows2 = [(mention(u.user_id), u.p_shift) for u in fc.users]
    title = f"{rid}: chance of serving"
    return heatmap_png(
        title, [s.task_id for s in fc.shifts], rows2, percent, more=max(0, len(rows2) - MAX_ROWS)
    )
