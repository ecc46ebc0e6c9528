"""The autopilot timer: run autopilot for every active rotation once per tick.

Ticks are numbered from the Unix epoch (tick ``n`` starts at ``n * interval``
seconds), so every replica agrees on the number of the current tick without
talking to the others. A replica runs tick ``n`` only if it wins the Redis lock
``autopilot:tick:<n>`` (SET NX with an expiry of a few intervals, never
released: a replica that wakes late for the same tick must still find it taken).
A second lock, ``autopilot:run``, keeps two runs from overlapping when one
takes longer than the interval. It is a short lease (``lease`` seconds, 30 by
default), renewed every third of a lease while the run goes on and released when
it finishes, so a replica killed mid-run delays the next run by at most one
lease.

Neither lock's expiry is trusted for correctness, since both depend on clocks
and on runs ending in time:

- A tick run twice (replicas whose clocks differ by more than the claim's
  lifetime) sends nothing twice: each reminder and transition is recorded in
  its task (``autopilot_reminded_*``, the task state) in the same commit that
  decides to send it, and a second run reads those records first.
- The run lock is *fenced* (``fenced=True``, as the shim runs it): ``run_all``
  gets the lock and every rotation's commit checks in Redis that the lock
  still holds this run's token (``kvstore.lock``). A run that outlives its
  lease, while a later tick's run has taken the lock, saves and sends nothing
  more; its remaining rotations report the lost lock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["Autopilot", "TickResult", "tick_number"]

_log = logging.getLogger("shim.autopilot")


def tick_number(when: float, interval: float) -> int:
    """The number of the tick containing Unix time ``when``."""
    return int(math.floor(when / interval))


class TickResult:
    """What one replica did for one tick."""

    def __init__(
        self, tick: int, ran: bool, outcomes: list[Any] | None = None, reason: str = ""
    ) -> None:
        self.tick = tick
        self.ran = ran
        self.outcomes = outcomes or []
        self.reason = reason

    def as_json(self) -> dict[str, Any]:
        """A JSON-able summary (used by the debug endpoint)."""
        return {
            "tick": self.tick,
            "ran": self.ran,
            "reason": self.reason,
            "rotations": len(self.outcomes),
            "failed": sum(1 for o in self.outcomes if not getattr(o, "ok", False)),
        }


class Autopilot:
    """Runs ``run_all(now)`` at most once per tick across every replica sharing ``store``.

    With ``fenced=True`` it calls ``run_all(now, fence=lock)`` with the held run lock,
    whose lease of ``lease`` seconds is renewed while ``run_all`` runs.
    """

    def __init__(
        self,
        store: Any,
        run_all: Callable[..., list[Any]],
        interval: float,
        *,
        lease: float = 30.0,
        fenced: bool = False,
    ) -> None:
        self._store = store
        self._run_all = run_all
        self.interval = interval
        self.lease = lease
        self._fenced = fenced

    def tick(self, tick: int, now: datetime) -> TickResult:
        """Run tick number ``tick`` as of ``now`` unless another replica has it (blocking)."""
        claim_ttl = max(3 * self.interval, 10.0)
        try:
            claim = self._store.lock(f"autopilot:tick:{tick}", claim_ttl)
        except Exception:
            _log.exception("autopilot tick %d: could not reach the store", tick)
            return TickResult(tick, False, reason="store unavailable")
        if claim is None:
            return TickResult(tick, False, reason="taken by another replica")
        running = self._store.lock("autopilot:run", self.lease)
        if running is None:
            _log.warning("autopilot tick %d skipped: the previous run is still going", tick)
            return TickResult(tick, False, reason="previous run still going")
        renewer = _Renewer(running, self.lease, tick)
        renewer.start()
        try:
            outcomes = self._run_all(now, fence=running) if self._fenced else self._run_all(now)
        except Exception:
            _log.exception("autopilot tick %d failed", tick)
            return TickResult(tick, True, reason="failed")
        finally:
            renewer.stop()
            try:
                running.release()
            except Exception:
                _log.exception("autopilot tick %d: could not release the run lock", tick)
        for outcome in outcomes:
            if not getattr(outcome, "ok", False):
                _log.error(
                    "autopilot failed: %s",
                    getattr(outcome, "text", outcome),
                    extra={"ctx": {"tick": tick}},
                )
        done = sum(1 for o in outcomes if getattr(o, "ok", False))
        # DEBUG, not INFO: at AdminLogLevel=info admins must not get a DM every minute.
        _log.debug(
            "autopilot tick %d ran for %d rotations (%d failed)",
            tick,
            len(outcomes),
            len(outcomes) - done,
            extra={"ctx": {"tick": tick, "now": now.isoformat()}},
        )
        for outcome in outcomes:
            if getattr(outcome, "ok", False):
                _log.debug("%s", getattr(outcome, "text", ""), extra={"ctx": {"tick": tick}})
        return TickResult(tick, True, outcomes)

    async def loop(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: wait for the next tick's start, then run it in a worker thread.

        A tick already running when ``stop`` is set is finished (its run lock released)
        before this returns; the caller bounds how long it waits for that.
        """
        while not stop.is_set():
            now = time.time()
            tick = tick_number(now, self.interval) + 1
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(0.0, tick * self.interval - now))
                return
            except TimeoutError:
                pass
            try:
                # shield: cancelling the timer must not abandon a run holding the lock
                await asyncio.shield(asyncio.to_thread(self.tick, tick, datetime.now(UTC)))
            except asyncio.CancelledError:
                raise
            except Exception:  # the timer itself must survive anything
                _log.exception("autopilot tick %d crashed", tick)


class _Renewer:
    """Renews a run lock's lease every third of a lease until stopped, or until it is lost.

    A lost lease (another run took the lock) needs no action here: the run's
    commits are fenced by the lock's token and fail on their own. A renewal that
    fails because Redis does not answer is tried again at the next third, while
    the lease may still hold.
    """

    def __init__(self, lock: Any, lease: float, tick: int) -> None:
        self._lock = lock
        self._lease = lease
        self._tick = tick
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"autopilot-lease-{tick}", daemon=True
        )

    def start(self) -> None:
        """Start renewing in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (the caller then releases the lock) and wait for the thread."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._lease / 3):
            try:
                held = self._lock.extend(self._lease)
            except Exception as err:
                _log.warning("autopilot tick %d: could not renew the run lock: %s", self._tick, err)
                continue
            if not held:
                _log.warning(
                    "autopilot tick %d: the run lock's lease ran out; the rest of this run "
                    "saves nothing",
                    self._tick,
                )
                return
