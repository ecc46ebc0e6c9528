"""One worker process of the heavy-command pool (``shim.pool``).

Started with the *spawn* method, so it inherits no thread, lock or socket of the
shim: it opens its own store connection and Mattermost client from the same
configuration and builds its own command environment (no outbox worker, no
autopilot timer, no admin-log DMs: those stay one per shim process). It then
answers jobs from its pipe one at a time until the pipe closes:

- job ``(actor_id, text, team_id, admin_ids)``; ``None`` asks it to exit;
- reply ``(kind, ok, text, committed, rss)``: ``kind`` is ``"done"``,
  ``"unknown_user"``, ``"failed"`` (a shim error; ``text`` says what) or
  ``"crashed"``; ``committed`` says the command committed messages (the shim's
  outbox worker is woken for them); ``rss`` is the process's resident memory
  in bytes after the job.

A job's deadlines (store and Mattermost waits) start when the worker reads it:
time a request spent before that never counts against them. The process runs
at a lower CPU priority than the shim, so light commands win the processor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from shim.boot import worker_runtime
from shim.config import Config
from shim.errors import ShimError, UnknownUserError
from shim.redaction import Redactor
from shim.runtime import Runtime

__all__ = ["serve", "rss", "NICE"]

#: How much lower the workers' CPU priority is than the shim's (``nice``).
NICE = 10
_log = logging.getLogger("shim.worker")


def serve(conn: Connection, config: Config, bot_id: str, bot_username: str) -> None:
    """The worker's main loop (the process target): build the runtime, answer jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the shim, which stops us
    with contextlib.suppress(OSError):
        os.nice(NICE)
    _setup_logging(config)
    committed = threading.Event()
    runtime = worker_runtime(config, bot_id, bot_username, committed.set)
    conn.send(("ready", os.getpid()))
    try:
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):  # the shim went away
                return
            if job is None:
                return
            conn.send(_answer(runtime, committed, *job))
    finally:
        runtime.close()


def _answer(
    runtime: Runtime,
    committed: threading.Event,
    actor_id: str,
    text: str,
    team_id: str,
    admin_ids: frozenset[str],
) -> tuple[Any, ...]:
    if admin_ids != runtime.admin_ids():  # the shim's AdminUserIDs changed meanwhile
        runtime.reconfigure({"AdminUserIDs": ",".join(sorted(admin_ids))})
    committed.clear()
    kind, ok, out = "done", False, ""
    try:
        ok, out = runtime.execute(actor_id, text, None, team_id)  # deadline from now
    except UnknownUserError as err:
        kind, out = "unknown_user", str(err)
    except ShimError as err:
        kind, out = "failed", str(err)
    except Exception:
        _log.exception("command %r by %s crashed in a worker process", text, actor_id)
        kind = "crashed"
    return kind, ok, out, committed.is_set(), rss()


def rss() -> int:
    """This process's resident memory in bytes (``VmRSS``; 0 where /proc has none)."""
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _setup_logging(config: Config) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Redactor(config.secrets()))
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s[worker %(process)d]: %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
