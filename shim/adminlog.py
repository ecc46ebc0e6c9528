"""Copy log lines to the plugin admins as direct messages (``AdminLogLevel``).

Like the original plugin's bot logger: every log line of the ``shim`` and
``lotto`` loggers at or above the configured level is sent as a DM to each
plugin admin (the Mattermost system admins and the ids in ``AdminUserIDs``);
``AdminLogVerbose`` adds the line's context (logger, time, and the ``ctx``
dict passed as ``extra``). Sending happens on a
background thread so logging never blocks a request, and lines produced while
sending (by the poster or the REST client) are not copied, so a broken
Mattermost cannot cause a loop.

Repeats are held back: a line with the same logger and the same message
(times in it masked, so a report's "for 2020-01-14T12:00" header doesn't
make each minute's copy new) is sent at most once per hour; the next copy
sent after that says how many were held back, e.g. ``(repeated 59 times in
the last hour)``. An autopilot failure that recurs every tick thus reaches
the admins once an hour, not sixty times.

(Named ``adminlog`` rather than ``logging`` so it never shadows the standard module.)
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from lotto.ports import Poster

__all__ = ["AdminLogHandler", "LEVELS", "install"]

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_SKIP = ("shim.poster", "shim.mattermost", "shim.adminlog")
_LOGGERS = ("shim", "lotto")
REPEAT_WINDOW = 3600.0  # seconds; the note below says "hour", keep them together
_REPEAT_NOTE = " (repeated {n} times in the last hour)"
_MAX_KEYS = 1000  # distinct recent messages remembered (memory stays bounded)
# ISO-style dates and times (with optional seconds, fraction and offset).
_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


class AdminLogHandler(logging.Handler):
    """A logging handler that DMs formatted records to the plugin admins."""

    def __init__(
        self,
        poster: Poster,
        admin_ids: Callable[[], frozenset[str]],
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = REPEAT_WINDOW,
    ) -> None:
        super().__init__(level=logging.CRITICAL + 1)
        self._poster = poster
        self._admin_ids = admin_ids
        self._verbose = False
        self._clock = clock
        self._window = window
        # (logger, masked message) -> [clock time of the last copy sent, repeats held back since]
        self._recent: dict[tuple[str, str], list[float]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=1000)
        self._thread = threading.Thread(target=self._run, name="admin-log", daemon=True)
        self._thread.start()

    def configure(self, level: str, verbose: bool) -> None:
        """Apply the ``AdminLogLevel`` (``none`` turns copying off) and ``AdminLogVerbose``."""
        self.setLevel(LEVELS.get(level, logging.CRITICAL + 1))
        self._verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        """Queue one record for the admins (dropped when the queue is full)."""
        # Lines logged while sending (on the sender thread) are never copied: no loops.
        if record.name.startswith(_SKIP) or threading.get_ident() == self._thread.ident:
            return
        try:
            message = self._message(record)
            repeats = self._repeats(record.name, message)
            if repeats is None:
                return
            if repeats:
                message += _REPEAT_NOTE.format(n=repeats)
            self._queue.put_nowait(self._text(record, message))
        except queue.Full:
            pass
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        """Stop the sender thread after it has sent what is queued."""
        self._queue.put(None)
        self._thread.join(timeout=5)
        super().close()

    def _repeats(self, logger: str, message: str) -> int | None:
        """None: hold this copy back (counted); else send it, noting this many held back.

        Called with the handler's lock held (``Handler.handle``), so no lock of its own.
        """
        now = self._clock()
        key = (logger, _TIME.sub("<time>", message))
        seen = self._recent.get(key)
        if seen is not None and now - seen[0] < self._window:
            seen[1] += 1
            return None
        if seen is None and len(self._recent) >= _MAX_KEYS:
            self._forget(now)
        self._recent[key] = [now, 0]
        return int(seen[1]) if seen is not None else 0

    def _forget(self, now: float) -> None:
        # Expired entries first; if all are recent, the oldest (a flood of distinct
        # messages must not grow memory; their held-back counts are lost).
        for key in [k for k, v in self._recent.items() if now - v[0] >= self._window]:
            del self._recent[key]
        while len(self._recent) >= _MAX_KEYS:
            del self._recent[min(self._recent, key=lambda k: self._recent[k][0])]

    @staticmethod
    def _message(record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        return message

    def _text(self, record: logging.LogRecord, message: str) -> str:
        text = f"**{record.levelname.lower()}**: {message}"
        if self._verbose:
            when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            context = {"logger": record.name, "time": when}
            extra = getattr(record, "ctx", None)
            if isinstance(extra, dict):
                context.update({str(k): str(v) for k, v in extra.items()})
            text += "\n" + "\n".join(f"- {k}: `{v}`" for k, v in context.items())
        return text

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            for admin in sorted(self._admin_ids()):
                self._poster.dm(admin, text)


def install(handler: AdminLogHandler) -> None:
    """Attach ``handler`` to the ``shim`` and ``lotto`` loggers."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)
