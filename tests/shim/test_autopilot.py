"""The autopilot timer's per-tick claim, on one shared store opened twice (two replicas)."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

import kvstore
from shim.autopilot import Autopilot, tick_number

NOW = datetime(2020, 1, 2, 20, 0, tzinfo=UTC)


@pytest.fixture
def stores(redis_url):
    plugin = f"autopilot-test-{uuid.uuid4().hex[:8]}"
    a, b = kvstore.open(redis_url, plugin), kvstore.open(redis_url, plugin)
    yield a, b
    a.close()
    b.close()


def test_tick_numbers_split_time_into_intervals():
    assert tick_number(119.9, 60) == 1
    assert tick_number(120.0, 60) == 2


def test_a_tick_runs_on_one_replica_only(stores):
    runs: list[tuple[str, datetime]] = []
    barrier = threading.Barrier(2)

    def run_all(name):
        def run(now):
            runs.append((name, now))
            return [SimpleNamespace(ok=True, text="fine")]

        return run

    pilots = [Autopilot(s, run_all(n), 60) for s, n in zip(stores, "ab", strict=True)]
    results = {}

    def race(i):
        barrier.wait()
        results[i] = pilots[i].tick(7, NOW)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.ran for r in results.values()) == [False, True]
    assert len(runs) == 1 and runs[0][1] == NOW
    # the next tick is free again, for either replica
    assert pilots[1].tick(8, NOW).ran and len(runs) == 2


def test_an_unfinished_run_blocks_the_next_tick(stores):
    a, b = stores
    held = b.lock("autopilot:run", 30)
    result = Autopilot(a, lambda now: [], 60).tick(1, NOW)
    assert (result.ran, result.reason) == (False, "previous run still going")
    held.release()
    assert Autopilot(a, lambda now: [], 60).tick(2, NOW).ran


def test_failures_are_logged_and_release_the_run_lock(stores, caplog):
    a, _ = stores

    def boom(now):
        raise RuntimeError("store exploded")

    with caplog.at_level(logging.ERROR, logger="shim.autopilot"):
        result = Autopilot(a, boom, 60).tick(1, NOW)
        outcomes = [
            SimpleNamespace(ok=False, text="autopilot on BAD: broken"),
            SimpleNamespace(ok=True, text="ok"),
        ]
        second = Autopilot(a, lambda now: outcomes, 60).tick(2, NOW)
    assert result.reason == "failed" and "autopilot tick 1 failed" in caplog.text
    assert second.ran and second.as_json()["failed"] == 1
    assert "autopilot on BAD: broken" in caplog.text


@pytest.mark.parametrize(("interval", "timer"), [("0", False), ("60", True)])
def test_interval_0_turns_the_timer_off(fake_mm, interval, timer):
    from shim.boot import bootstrap
    from shim.config import load

    config = load(
        ["--autopilot-interval", interval],
        {
            "LOTTO_STORE": f"memory://autopilot-off-{uuid.uuid4().hex[:8]}",
            "LOTTO_MATTERMOST_URL": fake_mm.url,
            "LOTTO_BOT_TOKEN": fake_mm.bot_token,
            "LOTTO_SLASH_TOKEN": "t" * 26,
        },
    )
    runtime = bootstrap(config)
    try:
        assert (runtime.autopilot is not None) is timer
        if timer:
            assert runtime.autopilot.interval == 60
    finally:
        runtime.close()


def test_an_ended_shift_is_no_error_but_an_unfillable_due_one_is(stores, caplog):
    # A pending shift that ended unfilled used to fail every tick, forever, and each
    # failure was DMed to the admins; a due shift that can't be filled still is an error.
    from lotto.commands import autopilot_all
    from tests.lotto.commands.helpers import Script

    a, _ = stores
    s = Script(a)
    s.multi("""
        rotation new OLD --beginning 2020-01-06T09:00 --period weekly
        user join OLD @ann
        rotation set autopilot OLD --create --create-prior 100h --schedule --schedule-prior 48h
        rotation new DUE --beginning 2020-01-13T09:00 --period weekly
        rotation set require DUE --count 3
        user join DUE @bob
        rotation set autopilot DUE --create --create-prior 300h --schedule --schedule-prior 100h
    """)
    pilot = Autopilot(a, lambda now: autopilot_all(s.env, now), 60)
    # Creates OLD#0 and DUE#0, neither due yet (a shift made already due is filled at once).
    assert pilot.tick(1, datetime(2020, 1, 2, 12, tzinfo=UTC)).ran
    with caplog.at_level(logging.ERROR, logger="shim.autopilot"):
        result = pilot.tick(2, datetime(2020, 1, 14, 12, tzinfo=UTC))
    assert result.as_json()["failed"] == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "failed to fill task DUE#0" in errors[0]
    assert not any("OLD" in e for e in errors)
