"""The shim's HTTP endpoints (a Starlette ASGI app).

- ``POST /api/v1/slash``: a Mattermost custom slash command (form-encoded, token checked)
- ``POST /api/v1/execute_command``: the original plugin's HTTP API (bearer secret +
  ``Mattermost-User-ID``)
- ``POST /hooks/OnActivate``, ``/hooks/OnConfigurationChange``, ``/hooks/ExecuteCommand``:
  plugin hooks forwarded by a thin Mattermost plugin (bearer secret, JSON)
- ``GET /api/v1/authorized``, ``GET /healthz``
- ``GET /api/v1/calendar/{rotation}.ics``: a signed iCalendar feed (``shim.calendar``)
- ``GET /page/{rotation}``: a rotation's signed web page, and
  ``GET /api/v1/chart/{rotation}/{kind}.png``: a reply's signed chart image (``shim.page``)
- ``POST /api/v1/actions/take``: an offer's "Take this shift" button (``shim.actions``)
- ``POST /debug/autopilot``: run one autopilot tick now (only with ``--debug-endpoints``)

Requests are read with size caps (headers and body) and checked for content type
before any parsing (``shim.inbound``), bodies within ``--body-timeout``
(``shim.edges``); every refusal is a short JSON error (see ``shim.errors``), never
a traceback, and a client that goes away mid-request is one log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shim import actions, calendar, links, page
from shim.directory import split_message
from shim.edges import BodyDeadline, quiet_accept_errors
from shim.errors import (
    AuthError,
    DisabledError,
    RequestError,
    ShimError,
    UnknownUserError,
    error_body,
    http_status,
)
from shim.heavy import heavy_name
from shim.inbound import (
    HeaderLimit,
    check_secret,
    command_of,
    command_text,
    json_object,
    parse_form,
    read_body,
    strip_trigger,
    token_ok,
    user_id_of,
)
from shim.redaction import hide_addresses
from shim.runtime import Runtime

__all__ = ["create_app", "command_reply"]

_log = logging.getLogger("shim.app")
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_SHUTDOWN_GRACE = 20.0  # seconds a running autopilot tick may take to finish at shutdown
_WATCH_EVERY = 0.25  # seconds between looks at whether a command's client is still there


def command_reply(command_line: str, ok: bool, text: str) -> dict[str, Any]:
    """Mattermost's slash-command response for one command run, split to the post limit.

    Like the original's ``ExecuteCommand``: the command echoed in a code block,
    then the output, or ``Command failed. Error: **…**`` when it failed.
    """
    line = command_line.strip()
    # A fence longer than any backtick run in the line, so text typed in it (a note) can
    # not close the block and be shown as Markdown.
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", line)), default=0))
    body = f"{fence}\n{line}\n{fence}\n"
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


def create_app(runtime: Runtime) -> BodyDeadline:
    """The ASGI app serving ``runtime``; the autopilot timer runs in its lifespan."""
    cap = runtime.config.max_body_bytes

    async def slash(request: Request) -> Response:
        form = parse_form(await read_body(request, cap, _FORM))
        token = form.get("token", "")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("token "):
            token = token or header[6:].strip()
        team_id = str(form.get("team_id") or "")
        if not token_ok(token, runtime.config.slash_tokens, team_id):
            raise AuthError("invalid slash command token (or not this team's)")
        user_id = user_id_of(form.get("user_id"), "user_id")
        command = command_text(form.get("command") or "/lotto")
        text = command_text(form.get("text", ""))
        return JSONResponse(
            await _run(runtime, user_id, f"{command} {text}".strip(), text, team_id, request)
        )

    async def execute_command(request: Request) -> Response:
        check_secret(request, runtime.config.secret)
        user_id = request.headers.get("mattermost-user-id", "").strip()
        if not user_id:
            raise AuthError("missing Mattermost-User-ID header")
        user_id = user_id_of(user_id, "Mattermost-User-ID")
        args = json_object(await read_body(request, cap, _JSON))
        command = command_of(args)
        team_id = str(args.get("team_id") or "")
        outcome = await _outcome(runtime, user_id, strip_trigger(command), team_id, request)
        reply = command_reply(command, outcome[0], outcome[1])
        if outcome[0]:
            return JSONResponse(reply)
        return JSONResponse(
            {"error": outcome[1], "kind": "CommandFailed", **reply}, status_code=400
        )

    async def hook_activate(request: Request) -> Response:
        check_secret(request, runtime.config.secret)
        await read_body(request, cap, _JSON, allow_empty=True)
        await asyncio.to_thread(runtime.check)
        return JSONResponse({"ok": True, "bot_user_id": runtime.bot_user_id})

    async def hook_configuration(request: Request) -> Response:
        check_secret(request, runtime.config.secret)
        settings = json_object(await read_body(request, cap, _JSON))
        if isinstance(settings.get("configuration"), dict):
            settings = settings["configuration"]
        runtime.reconfigure(settings)
        return JSONResponse({"ok": True})

    async def hook_execute(request: Request) -> Response:
        check_secret(request, runtime.config.secret)
        body = json_object(await read_body(request, cap, _JSON))
        args = body.get("args", body)
        if not isinstance(args, dict):
            raise RequestError("args must be a JSON object")
        user_id = user_id_of(args.get("user_id"), "args.user_id")
        command = command_of(args)
        team_id = str(args.get("team_id") or "")
        return JSONResponse(
            await _run(runtime, user_id, command, strip_trigger(command), team_id, request)
        )

    async def authorized(request: Request) -> Response:
        check_secret(request, runtime.config.secret)
        if not request.headers.get("mattermost-user-id", "").strip():
            raise AuthError("missing Mattermost-User-ID header")
        user_id_of(request.headers["mattermost-user-id"], "Mattermost-User-ID")
        return JSONResponse({"is_authorized": True})

    async def healthz(request: Request) -> Response:
        # On the event loop with its own Redis connection: a probe never waits for a
        # worker thread, which commands stuck on a frozen Redis may all be holding.
        outbox = runtime.outbox.status(datetime.now(UTC)) if runtime.outbox else None
        if await runtime.healthy_async():
            return JSONResponse({"status": "ok", "outbox": outbox, "pool": _pool_counts(runtime)})
        bound = runtime.config.health_timeout
        return JSONResponse(
            {
                "status": "store unreachable",
                "detail": f"Redis did not answer within {bound:g} s",
                "outbox": outbox,
            },
            status_code=503,
        )

    async def favicon(request: Request) -> Response:
        # Browsers ask for it with every page; an empty answer, not a 404 in their console.
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

    async def debug_autopilot(request: Request) -> Response:
        if not runtime.config.debug_endpoints:
            raise DisabledError("debug endpoints are off")
        check_secret(request, runtime.config.secret)
        body = json_object(await read_body(request, cap, _JSON))
        if runtime.autopilot is None:
            raise DisabledError("autopilot is off (--autopilot-interval 0)")
        tick, now = body.get("tick"), body.get("now")
        if not isinstance(tick, int) or not isinstance(now, str):
            raise RequestError('expected {"tick": int, "now": "RFC 3339 time"}')
        try:
            when = datetime.fromisoformat(now.replace("Z", "+00:00"))
        except ValueError:
            raise RequestError("now must be an RFC 3339 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        result = await asyncio.to_thread(runtime.autopilot.tick, tick, when.astimezone(UTC))
        return JSONResponse(result.as_json())

    async def debug_pool(request: Request) -> Response:
        if not runtime.config.debug_endpoints:
            raise DisabledError("debug endpoints are off")
        check_secret(request, runtime.config.secret)
        return JSONResponse(runtime.pool.status() if runtime.pool else {})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        quiet_accept_errors(loop)
        # Light commands run in these threads (asyncio.to_thread); heavy ones in the pool.
        loop.set_default_executor(
            ThreadPoolExecutor(runtime.config.threads, thread_name_prefix="lotto-command")
        )
        if runtime.pool is not None:
            runtime.pool.start()
        stop = asyncio.Event()
        if runtime.outbox is not None:
            runtime.outbox.start()
        task = asyncio.create_task(runtime.autopilot.loop(stop)) if runtime.autopilot else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                # Let a running tick finish and release its lock, within a bound.
                try:
                    await asyncio.wait_for(task, timeout=_SHUTDOWN_GRACE)
                except TimeoutError:
                    _log.error(
                        "autopilot still running after %ss at shutdown; abandoning it",
                        _SHUTDOWN_GRACE,
                    )
                except Exception:
                    _log.exception("autopilot timer failed at shutdown")
            if runtime.pool is not None:
                await asyncio.to_thread(runtime.pool.close)
            await runtime.store.close_async()

    routes = [
        Route("/api/v1/slash", _guard(slash), methods=["POST"]),
        Route("/api/v1/execute_command", _guard(execute_command), methods=["POST"]),
        Route("/api/v1/authorized", _guard(authorized), methods=["GET"]),
        Route("/hooks/OnActivate", _guard(hook_activate), methods=["POST"]),
        Route("/hooks/OnConfigurationChange", _guard(hook_configuration), methods=["POST"]),
        Route("/hooks/ExecuteCommand", _guard(hook_execute), methods=["POST"]),
        Route("/healthz", _guard(healthz), methods=["GET"]),
        Route(calendar.PATH, _guard(calendar.feed_endpoint(runtime)), methods=["GET"]),
        Route(actions.PATH, _guard(actions.take_endpoint(runtime)), methods=["POST"]),
        Route(links.PAGE_PATH, _guard(page.page_endpoint(runtime)), methods=["GET"]),
        Route(links.CHART_PATH, _guard(page.chart_endpoint(runtime)), methods=["GET"]),
        Route("/favicon.ico", _guard(favicon), methods=["GET"]),
        Route("/debug/autopilot", _guard(debug_autopilot), methods=["POST"]),
        Route("/debug/pool", _guard(debug_pool), methods=["GET"]),
    ]
    app = HeaderLimit(Starlette(routes=routes, lifespan=lifespan))
    return BodyDeadline(app, runtime.config.body_timeout)


def _guard(handler: Any) -> Any:
    """Map every error escaping ``handler`` to a short JSON answer (the one place)."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except ClientDisconnect:
            # Nobody is left to answer; not our failure, so no traceback (nor admin DM).
            _log.info(
                "a client went away before its request was read (%s %s)",
                request.method,
                request.url.path,
            )
            return Response(status_code=400)
        except ShimError as err:
            if http_status(err) >= 500:
                _log.error("%s %s: %s", request.method, request.url.path, err)
            return JSONResponse(error_body(err), status_code=http_status(err))
        except Exception as err:
            _log.exception("%s %s failed", request.method, request.url.path)
            return JSONResponse(error_body(err), status_code=http_status(err))

    guarded.__name__ = handler.__name__
    return guarded


async def _run(
    runtime: Runtime,
    user_id: str,
    command_line: str,
    text: str,
    team_id: str = "",
    request: Request | None = None,
) -> dict[str, Any]:
    ok, out = await _outcome(runtime, user_id, text, team_id, request)
    return command_reply(command_line, ok, out)


def _pool_counts(runtime: Runtime) -> dict[str, int] | None:
    if runtime.pool is None:
        return None
    status = runtime.pool.status()
    return {k: status[k] for k in ("workers", "idle", "ready", "busy", "starting", "down")}


async def _watch_client(request: Request, gone: threading.Event) -> None:
    """Set ``gone`` once the client of ``request`` has disconnected (a heavy command is
    then stopped); cancelled when the command answers."""
    while True:
        await asyncio.sleep(_WATCH_EVERY)
        if await request.is_disconnected():
            gone.set()
            return


async def _outcome(
    runtime: Runtime,
    user_id: str,
    text: str,
    team_id: str = "",
    request: Request | None = None,
) -> tuple[bool, str]:
    """Run a command (typed in team ``team_id``); failures of our own parts become a failed
    outcome, not a 500."""
    # A light command's deadline starts now, so it answers within the bound even when
    # it had to wait for a thread; a heavy one holds no thread (its worker starts its own).
    deadline = runtime.command_deadline()
    pool = runtime.pool if runtime.pool is not None and runtime.pool.started else None
    gone = threading.Event()
    watch: asyncio.Task[None] | None = None
    try:
        name = heavy_name(text) if pool is not None else None
        if name is None:
            light = await asyncio.to_thread(runtime.run_light, user_id, text, deadline, team_id)
            name = light if isinstance(light, str) else None
        if name is not None:
            if request is not None:
                watch = asyncio.create_task(_watch_client(request, gone))
            ok, out = await runtime.run_heavy(user_id, text, team_id, name, gone)
        else:
            assert not isinstance(light, str)
            ok, out = light
        # Where Redis or Mattermost live is the operator's business (it is in the log).
        return ok, out if ok else hide_addresses(out)
    except UnknownUserError:
        raise  # the request itself is wrong: a 4xx, not a failed command
    except ShimError as err:
        _log.error(
            "command %r by %s failed: %s", text, user_id, err, extra={"ctx": {"user_id": user_id}}
        )
        return False, str(err)
    except Exception:
        _log.exception(
            "command %r by %s crashed", text, user_id, extra={"ctx": {"user_id": user_id}}
        )
        return False, "internal error; the plugin admins have been told"
    finally:
        if watch is not None:
            watch.cancel()
