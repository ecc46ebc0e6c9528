"""The signed links the shim publishes: calendar feeds, rotation pages and chart images.

Each link is the credential for what it shows (calendar apps, browsers and
Mattermost's image proxy fetch them without logging in), so it is signed with
its own key (``shim.signing``) over the rotation, every parameter and an expiry:

- a **feed** ``/api/v1/calendar/{rotation}.ics?user=&by=&exp=&sig=`` and a
  **page** ``/page/{rotation}?by=&exp=&sig=`` are given to a person (``by``, the
  holder): they work for :data:`LINK_LIFETIME` and only while the holder is a
  member or an owner of the rotation (checked by the service when serving);
  running ``rotation calendar``/``rotation page`` again gives a fresh one;
- a **chart** ``/api/v1/chart/{rotation}/{kind}.png?at=&exp=&…&sig=`` is the image
  of one ``rotation stats``/``rotation forecast`` reply, with that reply's time
  and options, for :data:`CHART_LIFETIME`.

A page's view options (``tz``, ``user``) are not signed: they change how the
page shows what the link already grants.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from shim import signing
from shim.config import Config
from shim.errors import DisabledError, ForbiddenError

__all__ = [
    "FEED_PATH",
    "PAGE_PATH",
    "CHART_PATH",
    "LINK_LIFETIME",
    "CHART_LIFETIME",
    "FEED_PARAMS",
    "PAGE_PARAMS",
    "CHART_PARAMS",
    "CHART_KINDS",
    "feed_query",
    "page_query",
    "chart_query",
    "ShimLinks",
    "links_for",
    "verified",
]

FEED_PATH = "/api/v1/calendar/{rotation}.ics"
PAGE_PATH = "/page/{rotation}"
CHART_PATH = "/api/v1/chart/{rotation}/{kind}.png"
LINK_LIFETIME = timedelta(days=365)
CHART_LIFETIME = timedelta(days=90)
FEED_PARAMS = ("user", "by", "exp")
PAGE_PARAMS = ("by", "exp")
CHART_KINDS = ("stats", "forecast")
CHART_PARAMS = ("at", "exp", "since", "until", "shifts", "samples", "seed")


def _now() -> datetime:
    return datetime.now(UTC)


def feed_query(
    secret: str, rotation_id: str, user_id: str, holder_id: str, now: datetime
) -> dict[str, str]:
    """The signed query of a feed (``user_id`` empty: every shift) given to ``holder_id``."""
    params = {"user": user_id, "by": holder_id, "exp": signing.expiry(now, LINK_LIFETIME)}
    return signing.signed_query(secret, signing.FEED, (rotation_id,), params)


def page_query(secret: str, rotation_id: str, holder_id: str, now: datetime) -> dict[str, str]:
    """The signed query of a rotation's page given to ``holder_id``."""
    params = {"by": holder_id, "exp": signing.expiry(now, LINK_LIFETIME)}
    return signing.signed_query(secret, signing.PAGE, (rotation_id,), params)


def chart_query(
    secret: str, kind: str, rotation_id: str, params: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """The signed query of a chart image of ``kind`` with a reply's ``params``."""
    kept = {k: str(v) for k, v in params.items() if k in CHART_PARAMS and k != "exp"}
    kept["exp"] = signing.expiry(now, CHART_LIFETIME)
    return signing.signed_query(secret, signing.CHART, (rotation_id, kind), kept)


def _path(template: str, **parts: str) -> str:
    for name, value in parts.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


class ShimLinks:
    """:class:`lotto.ports.Links` for a shim with a public URL and a secret."""

    def __init__(self, base: str, secret: str, clock: Callable[[], datetime] = _now) -> None:
        self.base = base.rstrip("/")
        self.secret = secret
        self.clock = clock

    def _url(self, path: str, query: Mapping[str, str]) -> str:
        return f"{self.base}{path}?{urlencode(query)}"

    def feed(self, rotation_id: str, user_id: str, holder_id: str) -> str | None:
        """The signed subscription URL of a calendar feed."""
        query = feed_query(self.secret, rotation_id, user_id, holder_id, self.clock())
        return self._url(_path(FEED_PATH, rotation=rotation_id), query)

    def page(self, rotation_id: str, holder_id: str) -> str | None:
        """The signed URL of the rotation's page."""
        query = page_query(self.secret, rotation_id, holder_id, self.clock())
        return self._url(_path(PAGE_PATH, rotation=rotation_id), query)

    def chart(self, kind: str, rotation_id: str, params: dict[str, str]) -> str | None:
        """The signed URL of a reply's chart image (None for a kind without a chart)."""
        if kind not in CHART_KINDS:
            return None
        query = chart_query(self.secret, kind, rotation_id, params, self.clock())
        return self._url(_path(CHART_PATH, rotation=rotation_id, kind=kind), query)


def links_for(config: Config) -> ShimLinks | None:
    """The links of this configuration, or None without a public URL and a secret."""
    if not config.public_url or not config.secret:
        return None
    return ShimLinks(config.public_url, config.secret)


def verified(
    secret: str,
    purpose: str,
    subject: tuple[str, ...],
    query: Mapping[str, str],
    names: tuple[str, ...],
    what: str,
) -> dict[str, str]:
    """The signed parameters of a link to ``what`` (a feed, a page, a chart), checked
    before anything is read, so a guessed URL learns nothing (403 otherwise)."""
    if not secret:
        raise DisabledError(f"{what}s need --secret")
    params = signing.check_query(secret, purpose, subject, query, names, time.time())
    if params is None:
        raise ForbiddenError(f"invalid or expired {what} link")
    return params
