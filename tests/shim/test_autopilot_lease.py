"""The autopilot run lock is a short lease renewed while the run goes on (issue 19 item 7).

Before, the lock lived 300 s: a replica killed mid-run made every other replica
skip its ticks for five minutes (26 of 26 in the attack report). Here replica A's
run is held up inside Mattermost (a fake of its own that stalls every request),
so it keeps the lock for several leases — renewing it — and is then killed: the
other replica runs again within one lease.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import httpx
import redis

from tests.shim.conftest import SECRET, wait_for
from tests.shim.slow_mattermost import StallingMattermost
from tests.shim.test_replicas import YEAR

LEASE = 2.0
SLACK = 2.0  # a loaded two-core machine: scheduling, HTTP, the renewal's own round trip


def _tick(shim, tick: int) -> dict:
    r = shim.http.post(
        "/debug/autopilot",
        json={"tick": tick, "now": "2020-01-02T20:00:00Z"},
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_killed_holder_delays_the_next_run_by_at_most_one_lease(
    fake_mm, openapi, redis_url, start_shim, plugin_json
):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    stalling = StallingMattermost(openapi).start()
    try:
        stalling.add_user("boss", roles=boss["roles"])  # ids derive from names: the same user
        flags = ("--plugin-json", plugin_json, "--debug-endpoints", "--autopilot-interval", YEAR)
        lease = ("--autopilot-lease", f"{LEASE:g}")
        a = start_shim(stalling, redis_url, *flags, *lease)
        b = start_shim(fake_mm, redis_url, *flags, *lease)
        assert "Command failed" not in b.slash("rotation new ICE", boss).json()["text"]
        db = redis.Redis.from_url(redis_url)
        with open(plugin_json, encoding="utf-8") as f:
            lock = json.load(f)["id"] + "/lock:autopilot:run"

        stalling.stall()
        stuck = threading.Thread(target=lambda: _swallow(lambda: _tick(a, 1)), daemon=True)
        stuck.start()
        wait_for(lambda: db.exists(lock) and stalling.waiting, timeout=20)
        # A's run goes on for three leases: it keeps renewing, so B is kept out throughout.
        started = time.monotonic()
        tick = 100
        while time.monotonic() - started < 3 * LEASE:
            tick += 1
            assert _tick(b, tick)["reason"] == "previous run still going"
        os.kill(a.proc.pid, signal.SIGKILL)
        a.proc.wait(timeout=10)
        killed = time.monotonic()

        def b_runs() -> bool:
            nonlocal tick
            tick += 1
            return bool(_tick(b, tick)["ran"])

        wait_for(b_runs, timeout=60, interval=0.1)
        delay = time.monotonic() - killed
        assert delay <= LEASE + SLACK, delay
        print(f"killed holder: the next run started {delay:.2f} s later (lease {LEASE:g} s)")
        db.close()
    finally:
        stalling.release.set()
        stalling.stop()


def _swallow(call) -> None:
    """Run ``call``; the shim it talks to is killed meanwhile, so its request fails."""
    try:
        call()
    except (httpx.HTTPError, AssertionError):
        pass
