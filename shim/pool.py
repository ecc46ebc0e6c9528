"""Heavy commands run in a small pool of worker processes (issue 15 item 5, issue 19 item 2).

A forecast, the stats of a long history or the show of a 10,000-member rotation
is seconds of pure Python: in a request thread it would hold the GIL, so every
other command would wait behind it. :class:`HeavyPool` runs such commands
(``shim.heavy`` says which) in ``--workers`` processes of their own
(``shim.worker``), each with its own store connection and command environment.

- **Busy**: a command that finds no worker free is answered at once
  (:data:`BUSY`): there is no queue, so nothing waits for minutes behind
  forecasts, and no deadline runs out while waiting.
- **One at a time per person**: a second heavy command of someone whose first
  is still running is answered at once (:func:`still_running`).
- **Deadline from pickup**: the worker starts the command's store and Mattermost
  deadlines when it reads the job, and the time budget (``--heavy-timeout``)
  starts when the job is handed to the (idle) worker. Waiting for the answer
  holds no request thread (the pool has a thread per worker for that), so light
  commands never queue behind heavy ones.
- **Cancellation**: when the budget runs out, or the client that asked has gone
  away (``gone``), the worker process is killed and a new one started in its
  place; the answer says so (:func:`stopped`). Work of pure Python can not be
  interrupted any other way, and a killed process gives back all its memory. A
  command's writes commit atomically or not at all, so a kill never leaves half a
  change (an autopilot run commits each rotation on its own).
- **Memory**: a worker that grew past :data:`RECYCLE_RSS` after a job is
  replaced too.

The pool takes no work until :meth:`HeavyPool.start` (``lotto serve`` starts it
with the app; before, heavy commands run in threads like any other). Each worker
process starts when first needed, and again after it was replaced: a command
that takes a worker still starting waits for it (about a second), which is not
"busy".
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, NamedTuple

from shim import worker
from shim.config import Config
from shim.errors import ShimError, UnknownUserError

__all__ = ["HeavyPool", "HeavyReply", "BUSY", "RECYCLE_RSS", "still_running", "stopped"]

_log = logging.getLogger("shim.pool")

#: A worker whose resident memory passed this after a job is replaced by a fresh one.
RECYCLE_RSS = 400 * 2**20
_START_TIMEOUT = 120.0  # seconds a new worker may take to import and connect
_POLL = 0.1  # seconds between looks at the budget and the client while a job runs
_STOP_GRACE = 2.0  # seconds a worker has to exit when asked, before it is killed

BUSY = (
    "Solar Lottery is busy with other heavy commands (forecasts, stats, pages, autopilot "
    "runs, shows of big rotations) right now; try again in a moment. Nothing was run."
)


def still_running(name: str) -> str:
    """The answer to a second heavy command of someone whose ``name`` is still running."""
    what = "forecast" if name.endswith("forecast") else f"`{name}`"
    return (
        f"Your {what} is still running: one heavy command (a forecast, stats, a page, an "
        "autopilot run, a show or calendar of a big rotation) at a time per person. Wait for "
        "its answer, then try again. Nothing was run."
    )


def stopped(name: str, budget: float) -> str:
    """The answer of a heavy command ``name`` stopped when its ``budget`` (seconds) ran out."""
    return (
        f"`{name}` was stopped: it ran out of its time budget ({budget:g} s). A forecast, "
        "stats, show, calendar or page changed nothing; ask for less (e.g. fewer "
        "`--shifts` or `--samples`). An autopilot run saves each rotation's steps on its "
        "own, so look with `rotation show` before running it again."
    )


class HeavyReply(NamedTuple):
    """What a heavy command answered: ``ok``, its ``text``, and whether it committed messages."""

    ok: bool
    text: str
    committed: bool = False


@dataclass
class _Slot:
    """One worker process and what it is doing."""

    index: int
    state: str = "idle"  # idle (no process yet) | starting | ready | busy | down
    claimed: bool = False  # a command has taken it (busy, or waiting for it to start)
    proc: BaseProcess | None = None
    conn: Connection | None = None
    pid: int = 0
    command: str = ""


class HeavyPool:
    """``config.workers`` worker processes running heavy commands for the bot ``bot_id``."""

    def __init__(self, config: Config, bot_id: str, bot_username: str) -> None:
        self._config = config
        self._bot = (bot_id, bot_username)
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._slots = [_Slot(i) for i in range(config.workers)]
        # One thread per worker waits for its answer (a claimed slot always has one free).
        self._waiters = ThreadPoolExecutor(config.workers, thread_name_prefix="lotto-pool")
        self._running: dict[str, str] = {}  # user id -> the heavy command they run
        self._started = False
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called (before it, heavy commands run in threads)."""
        return self._started

    def start(self) -> None:
        """Take heavy commands from now on; each worker process starts when first needed."""
        self._started = True

    def status(self) -> dict[str, Any]:
        """Counts of the workers by state, and the running commands with their workers' pids."""
        with self._lock:
            states = [s.state for s in self._slots]
            return {
                "workers": len(self._slots),
                **{k: states.count(k) for k in ("idle", "ready", "busy", "starting", "down")},
                "pids": [s.pid for s in self._slots if s.pid],
                "running": [
                    {"pid": s.pid, "command": s.command} for s in self._slots if s.state == "busy"
                ],
            }

    async def run(
        self,
        actor_id: str,
        text: str,
        team_id: str,
        name: str,
        admin_ids: frozenset[str],
        gone: threading.Event,
    ) -> HeavyReply:
        """Run the heavy command ``name`` (``text``) as ``actor_id`` in a free worker, or
        answer at once that it is busy or the user's other one still runs.

        The waiting is done in a thread of the pool's own (one per worker), never in a
        request thread. Raises UnknownUserError (the worker found no such active user)
        and ShimError (the worker failed or died).
        """
        with self._lock:
            if actor_id in self._running:
                return HeavyReply(False, still_running(self._running[actor_id]))
            slot = self._claim()
            if slot is None:
                return HeavyReply(False, BUSY)
            self._running[actor_id] = name
            slot.command = name
        job = (actor_id, text, team_id, admin_ids)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._waiters, self._finish, slot, job, name, gone)

    def _finish(
        self, slot: _Slot, job: tuple[Any, ...], name: str, gone: threading.Event
    ) -> HeavyReply:
        try:
            self._await_ready(slot)
            return self._wait(slot, job, name, gone)
        finally:
            with self._lock:
                del self._running[job[0]]

    def _claim(self) -> _Slot | None:
        """A free worker, taken (under the lock): a ready one, else one starting that
        nobody waits for, else one started now; None when every worker is busy."""
        for wanted in ("ready", "starting", "idle", "down"):
            slot = next((s for s in self._slots if s.state == wanted and not s.claimed), None)
            if slot is not None:
                if wanted in ("idle", "down"):
                    self._respawn(slot, locked=True)
                slot.claimed = True
                return slot
        return None

    def _await_ready(self, slot: _Slot) -> None:
        """Wait until the claimed ``slot``'s worker has started (a new worker takes about a
        second to import and connect); then it is busy with the caller's job."""
        with self._cond:
            ready = self._cond.wait_for(
                lambda: slot.state in ("ready", "down"), timeout=_START_TIMEOUT
            )
            if ready and slot.state == "ready":
                slot.state = "busy"
                return
            slot.claimed, slot.command = False, ""
        raise ShimError("a worker process for heavy commands could not be started")

    def _wait(
        self, slot: _Slot, job: tuple[Any, ...], name: str, gone: threading.Event
    ) -> HeavyReply:
        conn, proc = slot.conn, slot.proc
        assert conn is not None and proc is not None  # a ready slot has both
        try:
            conn.send(job)
        except (OSError, ValueError):
            self._recycle(slot, "its pipe broke")
            raise ShimError("a worker process was lost; run the command again") from None
        budget = self._config.heavy_timeout
        end = time.monotonic() + budget  # the idle worker takes the job now
        while True:
            if gone.is_set():
                self._recycle(slot, f"the client of {name!r} went away")
                return HeavyReply(False, f"`{name}` was stopped: the client went away.")
            left = end - time.monotonic()
            if left <= 0:
                self._recycle(slot, f"{name!r} ran out of its {budget:g} s budget")
                return HeavyReply(False, stopped(name, budget))
            ready = wait([conn, proc.sentinel], timeout=min(left, _POLL))
            if conn in ready:
                try:
                    kind, ok, out, committed, rss = conn.recv()
                except (EOFError, OSError):
                    ready = [proc.sentinel]
                else:
                    self._done(slot, rss)
                    return _reply(kind, ok, out, committed, job[0])
            if proc.sentinel in ready:
                self._recycle(slot, f"it died running {name!r}")
                raise ShimError("the worker process running this command died")

    def _done(self, slot: _Slot, rss: int) -> None:
        if rss > RECYCLE_RSS:
            self._recycle(slot, f"it grew to {rss // 2**20} MB")
            return
        with self._lock:
            slot.state, slot.command, slot.claimed = "ready", "", False
            self._cond.notify_all()

    def _recycle(self, slot: _Slot, why: str) -> None:
        """Kill the slot's worker and start a new one in its place (in the background)."""
        _log.warning("replacing worker process %s: %s", slot.pid, why)
        _stop(slot.proc, slot.conn, grace=0)
        with self._lock:
            slot.proc, slot.conn, slot.pid, slot.command, slot.claimed = None, None, 0, "", False
            self._respawn(slot, locked=True)

    def _respawn(self, slot: _Slot, *, locked: bool = False) -> None:
        if not locked:
            with self._lock:
                self._respawn(slot, locked=True)
            return
        if self._closed:
            slot.state = "down"
            return
        slot.state = "starting"
        threading.Thread(
            target=self._spawn, args=(slot,), name=f"lotto-pool-start-{slot.index}", daemon=True
        ).start()

    def _spawn(self, slot: _Slot) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=worker.serve,
            args=(child, self._config, *self._bot),
            name=f"lotto-worker-{slot.index}",
            daemon=True,
        )
        try:
            proc.start()
            child.close()
            hello = parent.recv() if parent.poll(_START_TIMEOUT) else None
        except (OSError, EOFError) as err:
            hello = None
            _log.error("could not start a worker process: %s", err)
        with self._lock:
            if self._closed or not (isinstance(hello, tuple) and hello[0] == "ready"):
                slot.state = "down"
                ok = False
            else:
                slot.proc, slot.conn, slot.pid, slot.state = proc, parent, int(hello[1]), "ready"
                ok = True
            self._cond.notify_all()
        if not ok:
            if not self._closed:
                _log.error("a worker process did not start (exit code %s)", proc.exitcode)
            _stop(proc, parent, grace=0)

    def close(self) -> None:
        """Stop every worker process (asked to exit, killed after a short grace)."""
        with self._lock:
            self._closed = True
            slots = [(s.proc, s.conn) for s in self._slots]
            for s in self._slots:
                s.proc, s.conn, s.pid, s.state = None, None, 0, "down"
            self._cond.notify_all()
        for proc, conn in slots:
            _stop(proc, conn, grace=_STOP_GRACE)
        self._waiters.shutdown(wait=False)


def _reply(kind: str, ok: bool, out: str, committed: bool, actor_id: str) -> HeavyReply:
    if kind == "unknown_user":
        raise UnknownUserError(out, user_id=actor_id)
    if kind == "failed":
        raise ShimError(out)
    if kind == "crashed":
        raise ShimError("the command failed in a worker process (its log has the details)")
    return HeavyReply(bool(ok), str(out), bool(committed))


def _stop(proc: BaseProcess | None, conn: Connection | None, *, grace: float) -> None:
    """End a worker: ask it to exit (``grace`` > 0) or kill it at once; reap it."""
    if conn is not None:
        if grace > 0:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        conn.close()
    if proc is None or proc.pid is None:
        return
    proc.join(grace)
    if proc.is_alive():
        proc.kill()
        proc.join(5)
