"""``lotto serve`` stops cleanly on SIGTERM; the autopilot timer finishes a running tick first."""

from __future__ import annotations

import asyncio
import signal
import threading
import uuid
from types import SimpleNamespace

import kvstore
from shim.autopilot import Autopilot


def test_sigterm_stops_the_server_with_exit_code_0(fake_mm, redis_url, start_shim):
    shim = start_shim(fake_mm, redis_url, "--autopilot-interval", "1")
    assert shim.http.get("/healthz").status_code == 200
    shim.proc.send_signal(signal.SIGTERM)
    assert shim.proc.wait(timeout=30) == 0, shim.log()
    log = shim.log()
    assert "closed the store and the Mattermost connections" in log
    assert "stopped by signal 15" in log
    assert "Traceback" not in log


def test_stopping_the_timer_lets_a_running_tick_finish_and_release_its_lock(redis_url):
    store = kvstore.open(redis_url, f"shutdown-test-{uuid.uuid4().hex[:8]}")
    entered, release = threading.Event(), threading.Event()

    def slow_run(now):
        entered.set()
        release.wait(timeout=30)
        return [SimpleNamespace(ok=True, text="done")]

    pilot = Autopilot(store, slow_run, 1)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(pilot.loop(stop))
        while not entered.is_set():  # bounded by the tick interval (1 s)
            await asyncio.sleep(0.01)
        stop.set()
        for _ in range(20):  # give a wrong loop every chance to return early
            await asyncio.sleep(0)
        still_running = not task.done()
        release.set()
        await asyncio.wait_for(task, timeout=10)
        return still_running

    try:
        assert asyncio.run(scenario()) is True  # the loop waited for the tick
        lock = store.lock("autopilot:run", 5)  # ...which released the run lock
        assert lock is not None
        lock.release()
    finally:
        release.set()
        store.close()


def test_a_stopped_timer_starts_no_tick(redis_url):
    store = kvstore.open(redis_url, f"shutdown-test-{uuid.uuid4().hex[:8]}")
    runs: list[object] = []
    pilot = Autopilot(store, lambda now: runs.append(now) or [], 3600)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(pilot.loop(stop))
        await asyncio.sleep(0)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    try:
        asyncio.run(scenario())
        assert runs == []
    finally:
        store.close()
