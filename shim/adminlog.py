"""Copy log lines to the plugin admins as direct messages (``AdminLogLevel``).

Like the original plugin's bot logger: every log line of the ``shim`` and
``lotto`` loggers at or above the configured level is sent as a DM to each
plugin admin (the Mattermost system admins and the ids in ``AdminUserIDs``); ``AdminLogVerbose`` adds the line's context (logger,
time, and the ``ctx`` dict passed as ``extra``). Sending happens on a
background thread so logging never blocks a request, and lines produced while
sending (by the poster or the REST client) are not copied, so a broken
Mattermost cannot cause a loop.

(Named ``adminlog`` rather than ``logging`` so it never shadows the standard module.)
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, timezone
from typing import Callable

from lotto.ports import Poster

__all__ = ["AdminLogHandler", "LEVELS", "install"]

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
_SKIP = ("shim.poster", "shim.mattermost", "shim.adminlog")
_LOGGERS = ("shim", "lotto")


class AdminLogHandler(logging.Handler):
    """A logging handler that DMs formatted records to the plugin admins."""

    def __init__(self, poster: Poster, admin_ids: Callable[[], frozenset[str]]) -> None:
        super().__init__(level=logging.CRITICAL + 1)
        self._poster = poster
        self._admin_ids = admin_ids
        self._verbose = False
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=1000)
        self._thread = threading.Thread(target=self._run, name="admin-log", daemon=True)
        self._thread.start()

    def configure(self, level: str, verbose: bool) -> None:
        """Apply the ``AdminLogLevel`` (``none`` turns copying off) and ``AdminLogVerbose`` settings."""
        self.setLevel(LEVELS.get(level, logging.CRITICAL + 1))
        self._verbose = verbose

    def emit(self, record: logging.LogRecord) -> None:
        """Queue one record for the admins (dropped when the queue is full)."""
        # Lines logged while sending (on the sender thread) are never copied: no loops.
        if record.name.startswith(_SKIP) or threading.get_ident() == self._thread.ident:
            return
        try:
            text = self._text(record)
            self._queue.put_nowait(text)
        except queue.Full:
            pass
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        """Stop the sender thread after it has sent what is queued."""
        self._queue.put(None)
        self._thread.join(timeout=5)
        super().close()

    def _text(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        text = f"**{record.levelname.lower()}**: {message}"
        if self._verbose:
            when = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
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
