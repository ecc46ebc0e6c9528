"""The HTTP edge of ``lotto serve``: connection limit, read timeouts, clients that go away.

uvicorn bounds neither how long a client may take to send a request nor how
many connections it keeps open, so a few slow or idle clients could hold every
file descriptor of the process (then ``accept()`` fails, ``/healthz`` and
commands time out). Three parts close that:

- :func:`protocol` — uvicorn's h11 protocol with a **header timeout** (a
  connection that has not sent a whole request head within ``header_timeout``
  seconds of connecting, or of its previous answer, is closed) and a
  **connection limit** (at ``max_connections``, a new connection makes the
  longest-idle one — connected, no request in progress — close; when none is
  idle the newcomer gets a 503 and is closed). The limit is kept under the
  open-files limit (``shim.config``), so ``accept()`` does not run out.
- :class:`BodyDeadline` — ASGI middleware with a **body timeout**: a request's
  body must have arrived ``body_timeout`` seconds after its head, else 408; an
  answer sent before the body was read closes the connection, so a client can
  not keep trickling a body nobody reads.
- :func:`quiet_accept_errors` — should ``accept()`` still run out of
  descriptors, one warning a minute instead of a traceback per attempt.

A client that goes away mid-request is one log line (``shim.app`` catches
Starlette's ``ClientDisconnect``), never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from shim.errors import RequestTimeoutError

__all__ = ["BodyDeadline", "RateLimitedLog", "protocol", "quiet_accept_errors"]

_log = logging.getLogger("shim.http")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_BUSY = b'{"error":"too many connections, try again shortly","kind":"ServiceUnavailable"}'
_REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"connection: close\r\nretry-after: 1\r\ncontent-length: "
    + str(len(_BUSY)).encode()
    + b"\r\n\r\n"
    + _BUSY
)


class RateLimitedLog:
    """Log a recurring event at most once per ``every`` seconds, with how often it happened."""

    def __init__(
        self,
        logger: logging.Logger,
        level: int,
        message: str,
        every: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._level = level
        self._message = message
        self._every = every
        self._clock = clock
        self._last: float | None = None
        self._held = 0

    def __call__(self, *args: object) -> None:
        """One occurrence; logs ``message % args`` (plus the held-back count) when due."""
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            self._held += 1
            return
        held, self._held, self._last = self._held, 0, now
        suffix = f" ({held} more since the last such line)" if held else ""
        self._logger.log(self._level, self._message + suffix, *args)


def protocol(max_connections: int, header_timeout: float) -> type[H11Protocol]:
    """An h11 protocol class for one server: at most ``max_connections`` open connections,
    each closed when a request head takes longer than ``header_timeout`` seconds."""

    class Protocol(_EdgeProtocol):
        limit = max_connections
        head_timeout = header_timeout
        idle: ClassVar[OrderedDict[_EdgeProtocol, None]] = OrderedDict()
        evicted = RateLimitedLog(
            _log,
            logging.WARNING,
            "connection limit (%d) reached: closed the longest-idle connection for a new one",
        )
        refused = RateLimitedLog(
            _log,
            logging.WARNING,
            "connection limit (%d) reached and every connection is busy: refused one (503)",
        )

    return Protocol


class _EdgeProtocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout and a connection limit (see module doc)."""

    limit: ClassVar[int]
    head_timeout: ClassVar[float]
    # The connections waiting for a request head, longest-waiting first (shared by a server).
    idle: ClassVar[OrderedDict[_EdgeProtocol, None]]
    evicted: ClassVar[RateLimitedLog]
    refused: ClassVar[RateLimitedLog]

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()
        if len(self.connections) > self.limit:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._busy()

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def _watch(self) -> None:
        """Idle (waiting for a request head) or busy, from h11's view of the client."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self not in self.idle:
            self.idle[self] = None
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_overdue)
        elif not waiting:
            self._busy()

    def _busy(self) -> None:
        self.idle.pop(self, None)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self in self.idle:  # still no whole request head: close (no answer is owed)
            _log.debug("closed a connection that sent no request head in %gs", self.head_timeout)
            self._close()

    def _make_room(self) -> None:
        victim = next((c for c in self.idle if c is not self), None)
        if victim is not None:
            self.evicted(self.limit)
            victim._close()
            return
        self.refused(self.limit)
        self.transport.write(_REFUSAL)
        self._close()

    def _close(self) -> None:
        self._busy()
        if not self.transport.is_closing():
            self.transport.close()


class BodyDeadline:
    """ASGI middleware: a request's body must arrive within ``timeout`` seconds of its head.

    Past that the app's next read raises :class:`RequestTimeoutError` (answered 408
    by ``shim.app``). Any answer that starts while the declared body is still
    unread gets ``Connection: close``, so the server stops reading it.
    """

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a deadline on its body reads."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length", b"").strip()
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        pending = chunked or (length not in (b"", b"0"))  # a body is still to be read
        deadline = asyncio.get_running_loop().time() + self.timeout

        async def timed_receive() -> MutableMapping[str, Any]:
            nonlocal pending
            if not pending:
                return await receive()
            left = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, left))
            except TimeoutError:
                _log.info(
                    "a client did not send its request body within %gs (%s %s): answered 408",
                    self.timeout,
                    scope.get("method"),
                    scope.get("path"),
                )
                raise RequestTimeoutError(
                    f"the request body did not arrive within {self.timeout:g} s"
                ) from None
            if message.get("type") != "http.request" or not message.get("more_body", False):
                pending = False
            return message

        async def closing_send(message: MutableMapping[str, Any]) -> None:
            if message.get("type") == "http.response.start" and pending:
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        await self.app(scope, timed_receive, closing_send)


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` log "socket.accept() out of system resource" as one line a minute."""
    previous = loop.get_exception_handler()
    note = RateLimitedLog(
        _log,
        logging.WARNING,
        "cannot accept connections: out of file descriptors (%s); raise LimitNOFILE or lower "
        "--max-connections",
    )

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            note(context.get("exception"))
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
