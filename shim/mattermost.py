"""A small, synchronous client for the Mattermost REST API v4, used with the bot's token.

Only the calls the shim needs: users by id, by username and in bulk, the bot's
own user, direct channels, posts and ephemeral posts. Every call has a
timeout; connection failures and 5xx answers are retried a bounded number of
times with a short backoff (non-idempotent calls only when the request surely
never reached Mattermost). Commands run in worker threads, so a blocking
client keeps the code simple without stalling the event loop.

Inside :func:`deadline` (a command: ``shim.runtime``) every lookup — each attempt,
and each pause between attempts — ends by that ``time.monotonic()`` instant, and
one that cannot raises :class:`MattermostTimeout`. Deliveries (posts, direct
channels, a channel's recent posts) are not bounded by it: the outbox owns
their retries.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

import httpx

from shim.errors import MattermostError, MattermostTimeout, MattermostUnavailable

__all__ = ["MattermostClient", "POST_LIMIT", "deadline"]

# Mattermost's maximum post length, in characters.
POST_LIMIT = 16383

_log = logging.getLogger("shim.mattermost")
_deadline: ContextVar[float | None] = ContextVar("mattermost_deadline", default=None)


@contextlib.contextmanager
def deadline(at: float) -> Iterator[float]:
    """Lookups inside must be answered by ``at`` (``time.monotonic()``); an enclosing
    earlier deadline still wins. Yields the deadline in force."""
    outer = _deadline.get()
    if outer is not None and outer <= at:
        yield outer
        return
    token = _deadline.set(at)
    try:
        yield at
    finally:
        _deadline.reset(token)


class MattermostClient:
    """REST calls to one Mattermost server, authenticated as the bot."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.1,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api/v4",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            transport=transport,
        )
        self._attempts = max(1, attempts)
        self._backoff = backoff

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- users -----------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The bot's own user object (``GET /users/me``)."""
        return self._call("GET", "/users/me")

    def user(self, user_id: str) -> dict[str, Any] | None:
        """A user by id, or None if Mattermost does not know it."""
        return self._call("GET", f"/users/{_segment(user_id)}", missing_ok=True)

    def user_by_username(self, username: str) -> dict[str, Any] | None:
        """A user by username (no ``@``), or None if Mattermost does not know it."""
        return self._call("GET", f"/users/username/{_segment(username)}", missing_ok=True)

    def users_by_usernames(self, usernames: list[str]) -> list[dict[str, Any]]:
        """The users among ``usernames`` that exist, in one request."""
        if not usernames:
            return []
        # A read, although it is a POST: safe to retry.
        return self._call("POST", "/users/usernames", json=list(usernames), idempotent=True) or []

    def users_with_role(
        self, role: str, *, per_page: int = 200, max_pages: int = 20
    ) -> list[dict[str, Any]]:
        """Active users holding ``role`` (``GET /users?role=…``), every page up to ``max_pages``."""
        users: list[dict[str, Any]] = []
        for page in range(max_pages):
            query = f"/users?role={_segment(role)}&active=true&per_page={per_page}&page={page}"
            batch = self._call("GET", query) or []
            users.extend(u for u in batch if isinstance(u, dict))
            if len(batch) < per_page:
                break
        return users

    def users_by_ids(self, user_ids: list[str]) -> list[dict[str, Any]]:
        """The users among ``user_ids`` that exist, in one request."""
        if not user_ids:
            return []
        # A read, although it is a POST: safe to retry.
        return self._call("POST", "/users/ids", json=list(user_ids), idempotent=True) or []

    # -- channels and posts --------------------------------------------------------

    def channel_by_name(self, team_id: str, name: str) -> dict[str, Any] | None:
        """A channel of team ``team_id`` by its name (no ``~``), or None if there is none."""
        path = f"/teams/{_segment(team_id)}/channels/name/{_segment(name)}"
        return self._call("GET", path, missing_ok=True)

    def channel(self, channel_id: str) -> dict[str, Any] | None:
        """A channel by id, or None if Mattermost does not know it."""
        return self._call("GET", f"/channels/{_segment(channel_id)}", missing_ok=True)

    def channel_member(self, channel_id: str, user_id: str) -> dict[str, Any] | None:
        """``user_id``'s membership of ``channel_id``, or None when they are not a member.

        Mattermost answers 404 for a public channel's non-member and 403 for a private
        channel the caller cannot read (the bot, when it is not in it): both mean "not in".
        """
        path = f"/channels/{_segment(channel_id)}/members/{_segment(user_id)}"
        try:
            return self._call("GET", path, missing_ok=True)
        except MattermostError as err:
            if err.context.get("status") == 403:
                return None
            raise

    def patch_channel_header(self, channel_id: str, header: str) -> dict[str, Any]:
        """Set ``channel_id``'s header (``PUT /channels/{id}/patch``, only ``header``)."""
        path = f"/channels/{_segment(channel_id)}/patch"
        # Setting a value is safe to repeat.
        return self._call("PUT", path, json={"header": header}, idempotent=True, bounded=False)

    # -- custom groups (Mattermost Professional/Enterprise, 6.3+) -----------------------

    def find_group(self, name: str, team_id: str, channel_id: str) -> dict[str, Any] | None:
        """The group named ``name`` (no ``@``), or None (``GET /groups?q=…``)."""
        query = (
            f"/groups?q={_segment(name)}&not_associated_to_team={_segment(team_id)}"
            f"&not_associated_to_channel={_segment(channel_id)}&filter_allow_reference=true"
            "&per_page=200"
        )
        found = self._call("GET", query, bounded=False) or []
        return next((g for g in found if isinstance(g, dict) and g.get("name") == name), None)

    def create_group(self, name: str, display_name: str, user_ids: list[str]) -> dict[str, Any]:
        """Create the custom group ``name`` with ``user_ids`` in it (``POST /groups``)."""
        body = {
            "group": {
                "name": name,
                "display_name": display_name,
                "source": "custom",
                "allow_reference": True,
            },
            "user_ids": list(user_ids),
        }
        return self._call("POST", "/groups", json=body, bounded=False) or {}

    def group_member_ids(self, group_id: str, *, per_page: int = 200) -> list[str]:
        """The ids of the group's members (first ``per_page``: an on-call group is small)."""
        path = f"/groups/{_segment(group_id)}/members?per_page={per_page}"
        answer = self._call("GET", path, bounded=False) or {}
        members = answer.get("members") if isinstance(answer, dict) else None
        return [m["id"] for m in members or [] if isinstance(m, dict) and "id" in m]

    def add_group_members(self, group_id: str, user_ids: list[str]) -> None:
        """Add ``user_ids`` to the custom group (``POST /groups/{id}/members``)."""
        path = f"/groups/{_segment(group_id)}/members"
        self._call("POST", path, json={"user_ids": user_ids}, idempotent=True, bounded=False)

    def remove_group_members(self, group_id: str, user_ids: list[str]) -> None:
        """Take ``user_ids`` out of the custom group (``DELETE /groups/{id}/members``)."""
        path = f"/groups/{_segment(group_id)}/members"
        self._call("DELETE", path, json={"user_ids": user_ids}, idempotent=True, bounded=False)

    # -- interactive dialogs --------------------------------------------------------------

    def open_dialog(self, trigger_id: str, url: str, dialog: dict[str, Any]) -> None:
        """Open ``dialog`` for the user whose action gave ``trigger_id``; its submission is
        posted to ``url`` (``POST /actions/dialogs/open``)."""
        body = {"trigger_id": trigger_id, "url": url, "dialog": dialog}
        self._call("POST", "/actions/dialogs/open", json=body)

    def direct_channel(self, user_a: str, user_b: str) -> str:
        """The id of the direct channel between two users (created if needed)."""
        channel = self._call(
            "POST", "/channels/direct", json=[user_a, user_b], idempotent=True, bounded=False
        )
        return channel["id"]

    def create_post(
        self, channel_id: str, message: str, *, props: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Post ``message`` in ``channel_id`` as the bot (with ``props`` on the post, if given)."""
        body: dict[str, Any] = {"channel_id": channel_id, "message": message}
        if props:
            body["props"] = props
        return self._call("POST", "/posts", json=body, bounded=False)

    def posts_since(self, channel_id: str, since_ms: int) -> list[dict[str, Any]]:
        """Posts of ``channel_id`` created or changed since ``since_ms`` (Unix milliseconds)."""
        path = f"/channels/{_segment(channel_id)}/posts?since={int(since_ms)}"
        answer = self._call("GET", path, bounded=False)
        posts = answer.get("posts") if isinstance(answer, dict) else None
        return [p for p in posts.values() if isinstance(p, dict)] if isinstance(posts, dict) else []

    def ephemeral_post(self, user_id: str, channel_id: str, message: str) -> dict[str, Any]:
        """Show ``message`` to ``user_id`` only, in ``channel_id``."""
        body = {"user_id": user_id, "post": {"channel_id": channel_id, "message": message}}
        return self._call("POST", "/posts/ephemeral", json=body, bounded=False)

    # -- plumbing ------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        missing_ok: bool = False,
        idempotent: bool | None = None,
        bounded: bool = True,
    ) -> Any:
        retry_any = method == "GET" if idempotent is None else idempotent
        at = _deadline.get() if bounded else None
        last: Exception | None = None
        for attempt in range(self._attempts):
            pause = self._backoff * (3 ** (attempt - 1)) if attempt else 0.0
            if at is not None and time.monotonic() + pause >= at:
                raise self._late(method, path, attempt)
            if pause:
                time.sleep(pause)
            timeout: Any = httpx.USE_CLIENT_DEFAULT
            if at is not None:
                left = min(self._timeout, at - time.monotonic())
                timeout = httpx.Timeout(left, connect=min(left, 3.0))
            try:
                resp = self._http.request(method, path, json=json, timeout=timeout)
            except httpx.HTTPError as err:  # connect/read timeout, protocol error, encoding...
                if at is not None and isinstance(err, httpx.TimeoutException):
                    if time.monotonic() >= at - 0.01:
                        raise self._late(method, path, attempt + 1) from None
                last = err
                if isinstance(err, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
                    continue  # never reached Mattermost: always safe to retry
                if retry_any and isinstance(err, httpx.TransportError):
                    continue
                break
            # 501 Not Implemented is an answer, not an outage: the server has no such
            # feature (custom groups without the licence).
            if resp.status_code >= 500 and resp.status_code != 501:
                last = MattermostError(
                    f"Mattermost answered {resp.status_code} to {method} {path}",
                    status=resp.status_code,
                )
                # A 502/504 from a proxy may hide a post that went through; only a 503
                # (refused before any work) is safe to repeat for a non-idempotent call.
                if retry_any or resp.status_code == 503:
                    continue
                break
            if resp.status_code == 404 and missing_ok:
                return None
            if resp.status_code >= 400:
                raise MattermostError(
                    f"Mattermost refused {method} {path}: {resp.status_code} {_app_error(resp)}",
                    status=resp.status_code,
                    path=path,
                )
            try:
                return resp.json()
            except ValueError:
                raise MattermostError(
                    f"Mattermost sent a non-JSON answer to {method} {path}", path=path
                ) from None
        _log.warning(
            "Mattermost %s %s failed after %d attempts: %s", method, path, self._attempts, last
        )
        # The cause (which may name hosts and addresses) goes to the log, not to the caller.
        raise MattermostUnavailable(
            f"Mattermost is unavailable ({method} {_route(path)})", path=path, cause=str(last)
        )

    def _late(self, method: str, path: str, attempts: int) -> MattermostTimeout:
        _log.warning(
            "Mattermost %s %s: no answer by the command's deadline (%d attempts)",
            method,
            path,
            attempts,
        )
        return MattermostTimeout(
            f"Mattermost did not answer in time ({method} {_route(path)})", path=path
        )


def _route(path: str) -> str:
    """``path`` without its query (which may carry names) for messages."""
    return path.split("?", 1)[0]


def _segment(value: str) -> str:
    """Quote a path segment so a hostile name cannot change the path."""
    return quote(value, safe="")


def _app_error(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("id") or "")[:200]
    return ""
