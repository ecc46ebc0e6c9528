"""The shim's HTTP endpoints (a Starlette ASGI app).

- ``POST /api/v1/slash``: a Mattermost custom slash command (form-encoded, token checked)
- ``POST /api/v1/execute_command``: the original plugin's HTTP API (bearer secret + ``Mattermost-User-ID``)
- ``POST /hooks/OnActivate``, ``/hooks/OnConfigurationChange``, ``/hooks/ExecuteCommand``:
  plugin hooks forwarded by a thin Mattermost plugin (bearer secret, JSON)
- ``GET /api/v1/authorized``, ``GET /healthz``
- ``POST /debug/autopilot``: run one autopilot tick now (only with ``--debug-endpoints``)

Requests are read with a size cap and checked for content type before any
parsing; every refusal is a short JSON error (see ``shim.errors``), never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any, AsyncIterator
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shim.directory import split_message
from shim.errors import (
    AuthError,
    DisabledError,
    PayloadTooLargeError,
    RequestError,
    ShimError,
    UnknownUserError,
    UnsupportedMediaError,
    error_body,
    http_status,
)
from shim.runtime import Runtime

__all__ = ["create_app", "command_reply"]

_log = logging.getLogger("shim.app")
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_USER_ID = re.compile(r"[a-z0-9]{26}")  # Mattermost ids: 26 lower-case base-32 characters
_SHUTDOWN_GRACE = 20.0  # seconds a running autopilot tick may take to finish at shutdown


def command_reply(command_line: str, ok: bool, text: str) -> dict[str, Any]:
    """Mattermost's slash-command response for one command run, split to the post limit.

    Like the original's ``ExecuteCommand``: the command echoed in a code block,
    then the output, or ``Command failed. Error: **…**`` when it failed.
    """
    body = "```\n" + command_line.strip() + "\n```\n"
    if ok:
        body += text
    else:
        first, _, rest = text.strip().partition("\n")
        body += f"Command failed. Error: **{first}**\n" + rest
    parts = split_message(body)
    return {
        "response_type": "ephemeral",
        "text": parts[0],
        "extra_responses": [{"response_type": "ephemeral", "text": p} for p in parts[1:]],
    }


def create_app(runtime: Runtime) -> Starlette:
    """The ASGI app serving ``runtime``; the autopilot timer runs in its lifespan."""
    cap = runtime.config.max_body_bytes

    async def slash(request: Request) -> Response:
        form = _form(await _read(request, cap, _FORM))
        token = form.get("token", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("token "):
            token = token or header[6:].strip()
        if not _token_ok(token, runtime.config.slash_tokens):
            raise AuthError("invalid slash command token")
        user_id = _user_id(form.get("user_id"), "user_id")
        command = (form.get("command") or "/lotto").strip()
        text = form.get("text", "").strip()
        return JSONResponse(await _run(runtime, user_id, f"{command} {text}".strip(), text))

    async def execute_command(request: Request) -> Response:
        _check_secret(request, runtime.config.secret)
        user_id = request.headers.get("mattermost-user-id", "").strip()
        if not user_id:
            raise AuthError("missing Mattermost-User-ID header")
        user_id = _user_id(user_id, "Mattermost-User-ID")
        args = _json_object(await _read(request, cap, _JSON))
        command = _command_of(args)
        outcome = await _outcome(runtime, user_id, _strip_trigger(command))
        reply = command_reply(command, outcome[0], outcome[1])
        if outcome[0]:
            return JSONResponse(reply)
        return JSONResponse({"error": outcome[1], "kind": "CommandFailed", **reply}, status_code=400)

    async def hook_activate(request: Request) -> Response:
        _check_secret(request, runtime.config.secret)
        await _read(request, cap, _JSON, allow_empty=True)
        await asyncio.to_thread(runtime.check)
        return JSONResponse({"ok": True, "bot_user_id": runtime.bot_user_id})

    async def hook_configuration(request: Request) -> Response:
        _check_secret(request, runtime.config.secret)
        settings = _json_object(await _read(request, cap, _JSON))
        if isinstance(settings.get("configuration"), dict):
            settings = settings["configuration"]
        runtime.reconfigure(settings)
        return JSONResponse({"ok": True})

    async def hook_execute(request: Request) -> Response:
        _check_secret(request, runtime.config.secret)
        body = _json_object(await _read(request, cap, _JSON))
        args = body.get("args", body)
        if not isinstance(args, dict):
            raise RequestError("args must be a JSON object")
        user_id = _user_id(args.get("user_id"), "args.user_id")
        command = _command_of(args)
        return JSONResponse(await _run(runtime, user_id, command, _strip_trigger(command)))

    async def authorized(request: Request) -> Response:
        _check_secret(request, runtime.config.secret)
        if not request.headers.get("mattermost-user-id", "").strip():
            raise AuthError("missing Mattermost-User-ID header")
        return JSONResponse({"is_authorized": True})

    async def healthz(request: Request) -> Response:
        ok = await asyncio.to_thread(runtime.healthy)
        return JSONResponse({"status": "ok" if ok else "store unreachable"}, status_code=200 if ok else 503)

    async def debug_autopilot(request: Request) -> Response:
        if not runtime.config.debug_endpoints:
            raise DisabledError("debug endpoints are off")
        _check_secret(request, runtime.config.secret)
        body = _json_object(await _read(request, cap, _JSON))
        if runtime.autopilot is None:
            raise DisabledError("autopilot is off (--autopilot-interval 0)")
        tick, now = body.get("tick"), body.get("now")
        if not isinstance(tick, int) or not isinstance(now, str):
            raise RequestError("expected {\"tick\": int, \"now\": \"RFC 3339 time\"}")
        try:
            when = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise RequestError("now must be an RFC 3339 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        result = await asyncio.to_thread(runtime.autopilot.tick, tick, when.astimezone(timezone.utc))
        return JSONResponse(result.as_json())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.autopilot.loop(stop)) if runtime.autopilot else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                # Let a running tick finish and release its lock, within a bound.
                try:
                    await asyncio.wait_for(task, timeout=_SHUTDOWN_GRACE)
                except asyncio.TimeoutError:
                    _log.error("autopilot still running after %ss at shutdown; abandoning it", _SHUTDOWN_GRACE)
                except Exception:
                    _log.exception("autopilot timer failed at shutdown")

    routes = [
        Route("/api/v1/slash", _guard(slash), methods=["POST"]),
        Route("/api/v1/execute_command", _guard(execute_command), methods=["POST"]),
        Route("/api/v1/authorized", _guard(authorized), methods=["GET"]),
        Route("/hooks/OnActivate", _guard(hook_activate), methods=["POST"]),
        Route("/hooks/OnConfigurationChange", _guard(hook_configuration), methods=["POST"]),
        Route("/hooks/ExecuteCommand", _guard(hook_execute), methods=["POST"]),
        Route("/healthz", _guard(healthz), methods=["GET"]),
        Route("/debug/autopilot", _guard(debug_autopilot), methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _guard(handler: Any) -> Any:
    """Map every error escaping ``handler`` to a short JSON answer (the one place)."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ShimError as err:
            if http_status(err) >= 500:
                _log.error("%s %s: %s", request.method, request.url.path, err)
            return JSONResponse(error_body(err), status_code=http_status(err))
        except Exception as err:
            _log.exception("%s %s failed", request.method, request.url.path)
            return JSONResponse(error_body(err), status_code=http_status(err))

    guarded.__name__ = handler.__name__
    return guarded


async def _run(runtime: Runtime, user_id: str, command_line: str, text: str) -> dict[str, Any]:
    ok, out = await _outcome(runtime, user_id, text)
    return command_reply(command_line, ok, out)


async def _outcome(runtime: Runtime, user_id: str, text: str) -> tuple[bool, str]:
    """Run a command; failures of our own parts become a failed outcome, not a 500."""
    try:
        return await asyncio.to_thread(runtime.execute, user_id, text)
    except UnknownUserError:
        raise  # the request itself is wrong: a 4xx, not a failed command
    except ShimError as err:
        _log.error("command %r by %s failed: %s", text, user_id, err, extra={"ctx": {"user_id": user_id}})
        return False, str(err)
    except Exception:
        _log.exception("command %r by %s crashed", text, user_id, extra={"ctx": {"user_id": user_id}})
        return False, "internal error; the plugin admins have been told"


async def _read(request: Request, cap: int, media: str, *, allow_empty: bool = False) -> bytes:
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


def _form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise RequestError("malformed form body") from None
    return {k: v[0] for k, v in fields.items()}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestError("malformed JSON body") from None
    if not isinstance(value, dict):
        raise RequestError("expected a JSON object")
    return value


def _user_id(value: Any, name: str) -> str:
    """A well-formed Mattermost user id from a request field (raises RequestError)."""
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"missing {name}")
    if not _USER_ID.fullmatch(value.strip()):
        raise RequestError(f"malformed {name}")
    return value.strip()


def _command_of(args: dict[str, Any]) -> str:
    command = args.get("command")
    if not isinstance(command, str) or not command.strip():
        raise RequestError("missing command")
    return command.strip()


def _strip_trigger(command: str) -> str:
    """``/lotto rotation list`` -> ``rotation list`` (any trigger word)."""
    first, _, rest = command.strip().partition(" ")
    return rest.strip() if first.startswith("/") else command.strip()


def _token_ok(given: str, tokens: tuple[str, ...]) -> bool:
    """Constant-time check of ``given`` against every configured token."""
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(given.encode(), token.encode())
    return bool(given) and ok


def _check_secret(request: Request, secret: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not secret or scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), secret.encode()):
        raise AuthError("missing or wrong bearer secret")
