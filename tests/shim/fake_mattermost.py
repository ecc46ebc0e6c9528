"""A fake Mattermost server for the shim's tests, checked against the OpenAPI file.

It runs on a loopback port in a thread and serves only what the shim calls:
users (by id, ``me``, by username, in bulk, by role), direct channels, team channels
(by name in a team, by id, and their members), posts (with their props, and a
channel's posts since a time), ephemeral posts, channel headers (``PUT
/channels/{id}/patch``), custom groups and their members (``groups``, refused
with 501 as by a server without the licence when ``groups_allowed`` is False) and
interactive dialogs opened (``dialogs``). It can go
down and come back (:meth:`FakeMattermost.down`/``up``), carry out a request
while dropping its answer (``drop_reply_next``), take as long as a real server to
create a post (``post_delay``), and run a test's hook when a request arrives
(``before``). Every request must route to an operation of
``mattermost-openapi-v4.yaml`` and carry only declared query parameters and a
body that validates against it, and every response it sends is validated too;
anything else is recorded in ``violations`` (the fixture fails the test when that
list is not empty).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.shim.openapi import OpenAPI, load_spec

__all__ = ["FakeMattermost", "make_id"]


def make_id(seed: str) -> str:
    """A Mattermost-style 26-character id derived from ``seed``."""
    alphabet = "abcdefghijkmnopqrstuwxyz13456789"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % 32] for b in digest[:26])


class FakeMattermost:
    """State of the fake server plus the thread serving it."""

    def __init__(self, spec: OpenAPI | None = None, *, bot_token: str = "bot-token-123") -> None:
        self.spec = spec or load_spec()
        self.bot_token = bot_token
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}  # team channel id -> member user ids
        self.posts: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.groups: dict[str, dict[str, Any]] = {}  # group id -> group
        self.group_members: dict[str, set[str]] = {}  # group id -> member user ids
        #: False: answer the custom-group calls as a server without the licence (501).
        self.groups_allowed = True
        #: Every ``POST /actions/dialogs/open`` body, oldest first.
        self.dialogs: list[dict[str, Any]] = []
        self.calls: list[str] = []  # "METHOD /path" of every request
        self.violations: list[str] = []
        self.fail_next: list[int] = []  # statuses to answer the next requests with
        # Requests ("METHOD /template") to carry out but answer by dropping the
        # connection: the client never learns that they succeeded.
        self.drop_reply_next: list[str] = []
        self.is_down = False
        #: Seconds each ``POST /api/v4/posts`` takes before it is answered (a real
        #: Mattermost takes some 10-50 ms; 0 answers at once).
        self.post_delay = 0.0
        #: ``"METHOD /template" -> hook``: the hook runs (once) when such a request arrives.
        self.before: dict[str, Any] = {}
        self.bot = self.add_user(
            "lottobot", roles="system_user", first_name="Lotto", last_name="Bot"
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-mattermost",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeMattermost:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def down(self) -> None:
        """Stop answering until :meth:`up`: new connections are refused, open ones dropped."""
        self.is_down = True
        self.stop()

    def up(self) -> None:
        """Serve again on the same port, with the same state (after :meth:`down`)."""
        host, port = self._server.server_address[:2]
        self._server = ThreadingHTTPServer((str(host), int(port)), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-mattermost",
            daemon=True,
        )
        self._thread.start()
        self.is_down = False

    def posts_with_prop(self, prop: str) -> list[dict[str, Any]]:
        """Posts that carry ``prop``, oldest first."""
        with self.lock:
            return [p for p in self.posts if prop in (p.get("props") or {})]

    # -- test set-up and inspection ---------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        time_zone: str = "",
        automatic: bool = False,
        roles: str = "system_user",
        first_name: str = "",
        last_name: str = "",
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Add a user; ``time_zone`` goes to the automatic or the manual slot."""
        user = {
            "id": make_id(username),
            "username": username,
            "first_name": first_name,
            "last_name": last_name,
            "nickname": "",
            "email": f"{username}@example.com",
            "roles": roles,
            "locale": "en",
            "create_at": 1577836800000,
            "update_at": 1577836800000,
            "delete_at": 1577836800000 if deleted else 0,
            "timezone": {
                "useAutomaticTimezone": automatic,
                "automaticTimezone": time_zone if automatic else "",
                "manualTimezone": "" if automatic else time_zone,
            },
        }
        with self.lock:
            self.users[user["id"]] = user
        return user

    def add_channel(
        self, team_id: str, name: str, *, members: list[str] = (), private: bool = False
    ) -> dict[str, Any]:
        """Add a team channel with ``members`` (user ids; add the bot's to let it post)."""
        now = int(time.time() * 1000)
        channel = {
            "id": make_id(f"channel:{team_id}:{name}"),
            "name": name,
            "display_name": name.replace("-", " ").title(),
            "type": "P" if private else "O",
            "team_id": team_id,
            "header": "",
            "create_at": now,
            "update_at": now,
            "delete_at": 0,
        }
        with self.lock:
            self.channels[channel["id"]] = channel
            self.members[channel["id"]] = set(members)
        return channel

    def group_named(self, name: str) -> tuple[dict[str, Any], set[str]] | None:
        """The custom group ``name`` and its member ids, or None."""
        with self.lock:
            for gid, group in self.groups.items():
                if group["name"] == name and not group["delete_at"]:
                    return group, set(self.group_members[gid])
        return None

    def channel_posts(self, channel_id: str) -> list[str]:
        """Messages posted in ``channel_id``, oldest first."""
        with self.lock:
            return [p["message"] for p in self.posts if p["channel_id"] == channel_id]

    def dms(self, user_id: str) -> list[str]:
        """Messages the bot posted in its direct channel with ``user_id``, oldest first."""
        name = "__".join(sorted((self.bot["id"], user_id)))
        with self.lock:
            channel = next((c for c in self.channels.values() if c["name"] == name), None)
            if channel is None:
                return []
            return [p["message"] for p in self.posts if p["channel_id"] == channel["id"]]

    def count(self, call: str) -> int:
        """How many requests matched ``"METHOD /path"`` exactly."""
        with self.lock:
            return sum(1 for c in self.calls if c == call)

    # -- request handling (called from server threads) --------------------------------

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        """Validate and answer one request; returns (status, JSON body)."""
        with self.lock:
            self.calls.append(f"{method} {path}")
            injected = self.fail_next.pop(0) if self.fail_next else None
        op = self.spec.operation(method, path)
        if op is None:
            return self._violation(404, f"{method} {path} is not in the OpenAPI file")
        with self.lock:
            hook = self.before.pop(f"{method} {op.template}", None)
        if hook is not None:
            hook()
        if self.post_delay and method == "POST" and op.template == "/api/v4/posts":
            time.sleep(self.post_delay)  # the server's own work, not a synchronisation
        query = parse_qs(urlsplit(path).query, keep_blank_values=True)
        problems = self.spec.query_errors(op, query)
        if problems:
            return self._violation(400, "; ".join(problems))
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self._violation(400, f"{op.name}: request body is not JSON")
            if headers.get("content-type", "").split(";")[0] != "application/json":
                return self._violation(
                    400, f"{op.name}: JSON body without Content-Type application/json"
                )
        problems = self.spec.request_errors(op, body, bool(raw))
        if problems:
            return self._violation(400, "; ".join(problems))
        if headers.get("authorization") != f"Bearer {self.bot_token}":
            status, answer = (
                401,
                _app_error(
                    401, "api.context.session_expired.app_error", "Invalid or expired session"
                ),
            )
        elif injected is not None:
            return injected, _app_error(
                injected, "fake.injected", "injected failure"
            )  # deliberate: not validated
        else:
            status, answer = self._dispatch(op.template, method, urlsplit(path).path, body, query)
            with self.lock:
                drop = f"{method} {op.template}" in self.drop_reply_next
                if drop:
                    self.drop_reply_next.remove(f"{method} {op.template}")
            if drop:
                return -1, None  # the handler closes the connection without an answer
        problems = self.spec.response_errors(op, status, answer)
        if problems:
            self._violation(status, "fake server bug: " + "; ".join(problems))
        return status, answer

    def _violation(self, status: int, message: str) -> tuple[int, Any]:
        with self.lock:
            self.violations.append(message)
        return status, _app_error(status, "fake.openapi_violation", message)

    def _dispatch(
        self, template: str, method: str, path: str, body: Any, query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        last = path.rsplit("/", 1)[-1]
        with self.lock:
            if template == "/api/v4/users" and method == "GET":
                return 200, self._list_users(query)
            if template == "/api/v4/users/{user_id}":
                user = self.bot if last == "me" else self.users.get(last)
                return (
                    (200, user)
                    if user
                    else (404, _app_error(404, "app.user.missing.app_error", "user not found"))
                )
            if template == "/api/v4/users/username/{username}":
                user = next((u for u in self.users.values() if u["username"] == last), None)
                return (
                    (200, user)
                    if user
                    else (404, _app_error(404, "app.user.missing.app_error", "user not found"))
                )
            if template == "/api/v4/users/ids":
                return 200, [self.users[i] for i in body if i in self.users]
            if template == "/api/v4/users/usernames":
                return 200, [u for u in self.users.values() if u["username"] in body]
            if template == "/api/v4/channels/direct":
                return self._direct(body)
            if template == "/api/v4/teams/{team_id}/channels/name/{channel_name}":
                team_id = path.split("/")[4]
                found = next(
                    (
                        c
                        for c in self.channels.values()
                        if c["team_id"] == team_id and c["name"] == last
                    ),
                    None,
                )
                return (200, found) if found else _missing_channel()
            if template == "/api/v4/channels/{channel_id}" and method == "GET":
                found = self.channels.get(last)
                return (200, found) if found else _missing_channel()
            if template == "/api/v4/channels/{channel_id}/members/{user_id}" and method == "GET":
                channel_id = path.split("/")[4]
                if channel_id not in self.channels:
                    return _missing_channel()
                if last not in self.members.get(channel_id, set()):
                    # As for a private channel the caller is not in (a public one answers
                    # 404, which the OpenAPI file leaves undocumented): the client takes both.
                    return 403, _app_error(403, "api.context.permissions.app_error", "not a member")
                return 200, {"channel_id": channel_id, "user_id": last, "roles": "channel_user"}
            if template == "/api/v4/posts":
                if body["channel_id"] not in self.channels:
                    return 403, _app_error(
                        403, "api.context.permissions.app_error", "no such channel"
                    )
                members = self.members.get(body["channel_id"])
                if members is not None and self.bot["id"] not in members:
                    return 403, _app_error(
                        403, "api.context.permissions.app_error", "the bot is not a member"
                    )
                post = self._post(body["channel_id"], body["message"])
                if isinstance(body.get("props"), dict):
                    post["props"] = dict(body["props"])
                self.posts.append(post)
                return 201, post
            if template == "/api/v4/channels/{channel_id}/posts" and method == "GET":
                channel_id = path.split("/")[-2]
                since = int(query.get("since", ["0"])[0] or 0)
                found = [
                    p
                    for p in self.posts
                    if p["channel_id"] == channel_id and p["update_at"] >= since
                ]
                return 200, {
                    "order": [p["id"] for p in reversed(found)],
                    "posts": {p["id"]: p for p in found},
                    "next_post_id": "",
                    "prev_post_id": "",
                }
            if template == "/api/v4/channels/{channel_id}/patch":
                found = self.channels.get(path.split("/")[4])
                if found is None:
                    return _missing_channel()
                if "header" in body:
                    found["header"] = body["header"]
                    found["update_at"] = int(time.time() * 1000)
                return 200, found
            if template.startswith("/api/v4/groups"):
                return self._groups(template, method, path, body, query)
            if template == "/api/v4/actions/dialogs/open":
                self.dialogs.append(body)
                return 200, {"status": "OK"}
            if template == "/api/v4/posts/ephemeral":
                post = self._post(body["post"]["channel_id"], body["post"]["message"])
                self.ephemeral.append({**post, "user_id": body["user_id"]})
                return 201, post
        return self._violation(
            404, f"{method} {path}: in the OpenAPI file but not served by the fake"
        )

    def _groups(
        self, template: str, method: str, path: str, body: Any, query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        if not self.groups_allowed:
            return 501, _app_error(501, "app.group.license", "custom groups need a licence")
        if template == "/api/v4/groups" and method == "GET":
            q = query.get("q", [""])[0]
            return 200, [g for g in self.groups.values() if q in g["name"] and not g["delete_at"]]
        if template == "/api/v4/groups" and method == "POST":
            name = body["group"]["name"]
            if self.group_named(name) is not None:
                return 400, _app_error(400, "app.group.uniqueness", "group name taken")
            now = int(time.time() * 1000)
            group = {
                "id": make_id(f"group:{name}"),
                "name": name,
                "display_name": body["group"]["display_name"],
                "description": "",
                "source": "custom",
                "remote_id": "",
                "create_at": now,
                "update_at": now,
                "delete_at": 0,
                "has_syncables": False,
            }
            self.groups[group["id"]] = group
            self.group_members[group["id"]] = set(body["user_ids"])
            return 201, group
        if template == "/api/v4/groups/{group_id}/members":
            gid = path.split("/")[4]
            if gid not in self.groups:
                return 404, _app_error(404, "app.group.no_rows", "no such group")
            members = self.group_members[gid]
            if method == "GET":
                users = [self.users[u] for u in sorted(members) if u in self.users]
                return 200, {"members": users, "total_member_count": len(users)}
            if method == "POST":
                members.update(body.get("user_ids") or [])
            else:
                members.difference_update(body.get("user_ids") or [])
            return 200, {"status": "OK"}
        return self._violation(404, f"{method} {path}: a group call the fake does not serve")

    def _list_users(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        role = query.get("role", [""])[0]
        active = query.get("active", [""])[0] == "true"
        page, per_page = int(query.get("page", ["0"])[0]), int(query.get("per_page", ["60"])[0])
        users = [
            u
            for u in sorted(self.users.values(), key=lambda u: u["username"])
            if (not role or role in u["roles"].split()) and not (active and u["delete_at"])
        ]
        return users[page * per_page : (page + 1) * per_page]

    def _direct(self, ids: list[str]) -> tuple[int, Any]:
        if any(i not in self.users for i in ids):
            return 400, _app_error(
                400, "api.channel.create_direct_channel.invalid_user.app_error", "unknown user"
            )
        name = "__".join(sorted(ids))
        channel = next((c for c in self.channels.values() if c["name"] == name), None)
        if channel is None:
            now = int(time.time() * 1000)
            channel = {
                "id": make_id("channel:" + name),
                "name": name,
                "display_name": "",
                "type": "D",
                "team_id": "",
                "create_at": now,
                "update_at": now,
                "delete_at": 0,
            }
            self.channels[channel["id"]] = channel
        return 201, channel

    def _post(self, channel_id: str, message: str) -> dict[str, Any]:
        now = int(time.time() * 1000)
        return {
            "id": make_id(f"post:{len(self.posts)}:{len(self.ephemeral)}:{now}"),
            "create_at": now,
            "update_at": now,
            "delete_at": 0,
            "user_id": self.bot["id"],
            "channel_id": channel_id,
            "root_id": "",
            "message": message,
            "type": "",
            "props": {},
        }


def _missing_channel() -> tuple[int, dict[str, Any]]:
    return 404, _app_error(404, "app.channel.get.existing.app_error", "channel not found")


def _app_error(status: int, error_id: str, message: str) -> dict[str, Any]:
    return {"id": error_id, "message": message, "request_id": "fake", "status_code": status}


def _handler(fake: FakeMattermost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = -1  # one write per response: no Nagle / delayed-ACK stalls

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if fake.is_down:  # a kept-alive connection from before the outage
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, answer = fake.handle(self.command, self.path, headers, raw)
            if status < 0:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler
