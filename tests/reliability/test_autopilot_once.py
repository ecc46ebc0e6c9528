"""Issue 10 finding 5: autopilot reminders and transitions go out once, whatever the clocks.

Two replicas (two stores on one real Redis, each with its own poster) run the same
tick at the same ``now`` at the same moment, day after day; a run that outlives its
run lock while the next tick's run goes ahead saves and sends nothing. Across every
run, each notice (kind, task, user) is sent exactly once.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest

import kvstore
from lotto.commands import Env, autopilot_all
from lotto.local import LocalDirectory, RecordingPoster
from shim.autopilot import Autopilot
from tests.kvstore.helpers import expire_soon
from tests.lotto.commands.helpers import Script
from tests.reliability.support import check_problems, fresh_plugin

WAIT = 30
SETUP = """
    rotation new TEST --period weekly --beginning 2020-01-06T09:30
    rotation set require TEST --skill any --count 2
    rotation set autopilot TEST --create --create-prior 200h --schedule --schedule-prior 100h
    rotation set autopilot TEST --start-finish --remind-start --remind-start-prior 24h
    rotation set autopilot TEST --remind-finish --remind-finish-prior 24h
    user join TEST @u1 @u2 @u3 @u4 @u5 @u6 --starting 2019-12-01
"""
DAYS = [datetime(2020, 1, d, 20, tzinfo=UTC) for d in range(1, 16)]


@pytest.fixture
def replicas(redis_url):
    plugin = fresh_plugin()
    stores = [kvstore.open(redis_url, plugin) for _ in range(2)]
    Script(stores[0]).multi(SETUP, now=datetime(2020, 1, 1, tzinfo=UTC))
    envs = [Env(kv, LocalDirectory("UTC"), RecordingPoster(), bot_id="") for kv in stores]
    yield envs
    stores[0].delete_all()
    for kv in stores:
        kv.close()


def _sent(envs) -> Counter[tuple[str, str]]:
    return Counter(m for env in envs for m in env.poster.sent)


def _kinds(envs) -> Counter[str]:
    """How many DMs of each kind went out (by the fixed wording of each kind)."""
    marks = {
        "scheduled": "scheduled for",
        "remind_start": "starts soon",
        "started": "has started",
        "remind_finish": "finishes soon",
        "finished": "is finished",
    }
    out: Counter[str] = Counter()
    for _, text in (m for env in envs for m in env.poster.sent):
        for kind, mark in marks.items():
            if mark in text:
                out[kind] += 1
    return out


def test_two_replicas_running_every_tick_at_once_send_each_notice_once(replicas):
    for now in DAYS:
        barrier = threading.Barrier(2, timeout=WAIT)
        failed: list[str] = []

        def run(env, now=now, barrier=barrier, failed=failed):
            barrier.wait()
            failed.extend(o.text for o in autopilot_all(env, now) if not o.ok)

        threads = [threading.Thread(target=run, args=(env,)) for env in replicas]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=WAIT)
        assert not failed, failed
    sent = _sent(replicas)
    assert sent and max(sent.values()) == 1, [m for m, n in sent.items() if n > 1]
    # TEST#0 (Jan 6-13) went through every step and TEST#1 (Jan 13-20) up to started,
    # with 2 users each: every one of those notices exactly once
    assert _kinds(replicas) == {
        "scheduled": 4,
        "remind_start": 4,
        "started": 4,
        "remind_finish": 2,
        "finished": 2,
    }
    assert check_problems(replicas[0].kv) == []


def test_a_run_that_outlived_its_lock_saves_and_sends_nothing(replicas):
    """Tick 1's run (Jan 6, when TEST#0 starts) stalls past its lease; meanwhile a replica
    with a slow clock takes the run lock for its own tick and finishes it. When tick 1's
    run resumes it must change and send nothing; the next tick starts TEST#0, once."""
    slow_env, fast_env = replicas
    fast = Autopilot(
        fast_env.kv, lambda now, fence: autopilot_all(fast_env, now, fence=fence), 60, fenced=True
    )
    overlapping: list[object] = []

    def slow_run(now, fence):
        expire_soon(slow_env.kv, fence.full_key)  # the lease runs out mid-run...
        overlapping.append(fast.tick(2, DAYS[4]))  # ...and another run takes the lock
        return autopilot_all(slow_env, now, fence=fence)

    slow = Autopilot(slow_env.kv, slow_run, 60, fenced=True)
    for i, now in enumerate(DAYS[:5]):  # Jan 1-5: TEST#0 created, scheduled, reminded
        assert fast.tick(100 + i, now).ran
    result = slow.tick(1, DAYS[5])
    assert result.ran and overlapping[0].ran
    assert [o.ok for o in result.outcomes] == [False]
    assert "outlived its lock" in result.outcomes[0].text
    assert slow_env.poster.sent == []
    assert Script(fast_env.kv).run("task show TEST#0").data.task.state == "scheduled"
    assert fast.tick(3, DAYS[6]).ran  # the next run does the work, once
    sent = _sent(replicas)
    assert max(sent.values()) == 1
    assert len([m for m in sent if "has started" in m[1]]) == 2
    assert check_problems(fast_env.kv) == []


def test_the_fence_is_what_stops_a_stale_run(replicas):
    """The same run with a lost lock writes nothing; without a fence it commits."""
    env = replicas[0]
    lock = env.kv.lock("autopilot:run", 30)
    expire_soon(env.kv, lock.full_key)
    assert [o.ok for o in autopilot_all(env, DAYS[0], fence=lock)] == [False]
    assert Script(env.kv).run("rotation show TEST").data.rotation.task_ids == []
    assert [o.ok for o in autopilot_all(env, DAYS[0])] == [True]
    assert Script(env.kv).run("rotation show TEST").data.rotation.task_ids == ["TEST#0"]
