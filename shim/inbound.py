"""Reading and checking what arrives over HTTP, before anything runs.

Size caps (headers and bodies), content types, form and JSON parsing, user
ids, command text, and the constant-time token and secret checks. Every
function raises a :class:`shim.errors.RequestError` or ``AuthError`` that
``shim.app`` turns into a short 4xx answer.
"""

from __future__ import annotations

import hmac
import json
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from shim.config import SlashToken
from shim.errors import AuthError, PayloadTooLargeError, RequestError, UnsupportedMediaError

__all__ = [
    "HeaderLimit",
    "check_secret",
    "command_of",
    "command_text",
    "json_object",
    "parse_form",
    "read_body",
    "strip_trigger",
    "token_ok",
    "user_id_of",
]

_USER_ID = re.compile(r"[a-z0-9]{26}")  # Mattermost ids: 26 lower-case base-32 characters
# Bidirectional embedding/override/isolate controls: they make a name read differently
# from what is stored (e.g. "\u202eEVIL"), so they never belong in a command.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_HEADER_BYTES = 16 * 1024
_SURROGATE = re.compile("[\ud800-\udfff]")  # what JSON's "\ud800" leaves in a str

Scope = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


class HeaderLimit:
    """ASGI middleware: answer 431 when the request headers exceed ``limit`` bytes in total."""

    def __init__(self, app: ASGIApp, limit: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Refuse over-sized headers, pass everything else on."""
        if (
            scope["type"] == "http"
            and sum(len(k) + len(v) for k, v in scope.get("headers", ())) > self.limit
        ):
            body = b'{"error":"request headers too large","kind":"RequestError"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 431,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def command_text(text: str) -> str:
    """``text`` stripped; RequestError if it holds control characters or lone surrogates.

    Tab and line breaks are fine.
    """
    _check_unicode(text, "the command")
    for ch in text:
        if ch in _BIDI or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"):
            raise RequestError(
                f"the command contains a control character (U+{ord(ch):04X}); nothing was run"
            )
    return text.strip()


async def read_body(request: Request, cap: int, media: str, *, allow_empty: bool = False) -> bytes:
    """The request body, after checking its type and size (raises RequestError)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.strip().isdigit() or int(length) > cap):
        if length.strip().isdigit():
            raise PayloadTooLargeError(f"request body over {cap} bytes")
        raise RequestError("bad Content-Length")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise PayloadTooLargeError(f"request body over {cap} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body and allow_empty:
        return body
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != media:
        raise UnsupportedMediaError(f"expected Content-Type {media}")
    return body


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of a form-encoded body, first value of each (raises RequestError).

    Names and values, raw or %-escaped, must be UTF-8 (nothing is silently replaced).
    """
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=64, errors="strict")
    except UnicodeDecodeError:
        raise RequestError("the form holds text that is not valid UTF-8; nothing was run") from None
    except ValueError:
        raise RequestError("malformed form body") from None
    return {k: v[0] for k, v in fields.items()}


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON body that must be an object of valid Unicode text (raises RequestError).

    The bytes must be UTF-8 (strictly: no encoded surrogates), and no string in it,
    key or value at any depth, may hold a lone surrogate escape such as ``"\ud800"``.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("the JSON body is not valid UTF-8; nothing was run") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise RequestError("malformed JSON body") from None
    if not isinstance(value, dict):
        raise RequestError("expected a JSON object")
    _check_unicode(value, "the JSON body")
    return value


def _check_unicode(value: Any, what: str) -> None:
    """RequestError if any string in ``value`` (a JSON value) holds a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise RequestError(
                    f"{what} holds text that is not valid Unicode (a lone surrogate such as "
                    "\\ud800); nothing was run"
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def user_id_of(value: Any, name: str) -> str:
    """A well-formed Mattermost user id from a request field (raises RequestError)."""
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"missing {name}")
    if not _USER_ID.fullmatch(value.strip()):
        raise RequestError(f"malformed {name}")
    return value.strip()


def command_of(args: dict[str, Any]) -> str:
    """The ``command`` of CommandArgs: a non-empty string without control characters."""
    command = args.get("command")
    if not isinstance(command, str) or not command.strip():
        raise RequestError("missing command")
    return command_text(command)


def strip_trigger(command: str) -> str:
    """``/lotto rotation list`` -> ``rotation list`` (any trigger word)."""
    first, _, rest = command.strip().partition(" ")
    return rest.strip() if first.startswith("/") else command.strip()


def token_ok(given: str, tokens: Iterable[SlashToken], team_id: str = "") -> bool:
    """Constant-time check of ``given`` against every configured token.

    A token bound to a team is accepted only with that team's ``team_id``.
    """
    ok = False
    for token in tokens:
        same = hmac.compare_digest(given.encode(), token.token.encode())
        team = not token.team_id or hmac.compare_digest(team_id.encode(), token.team_id.encode())
        ok |= same and team
    return bool(given) and ok


def check_secret(request: Request, secret: str) -> None:
    """Constant-time check of ``Authorization: Bearer <secret>`` (raises AuthError)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if (
        not secret
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(value.strip().encode(), secret.encode())
    ):
        raise AuthError("missing or wrong bearer secret")
