"""The outbox under load and under a flood, through ``lotto serve`` and the fake Mattermost.

Issue 15 measured messages dead-lettered and a backlog of hundreds under the mix
40% ``rotation show`` / 30% ``task show`` / 30% ``user join|leave``; issue 19 an
unrelated DM stuck behind one rotation's burst of 2,000 messages. Here:

A post takes 20 ms in the fake Mattermost, as in a real one.

- the mix runs from many clients for a while; every client's user joins and leaves
  one rotation in turn, so each acknowledged join or leave is exactly one DM. Within
  10 s of the load stopping the outbox is empty, nothing is dead-lettered, and each
  user has exactly the DMs their commands caused, once each, in order;
- one command queues 2,000 welcomes in rotation BIG; another rotation's DM to bob,
  committed right after, arrives within 5 s.

The figures are printed (``pytest -s``); ``LOTTO_RELIABILITY=full`` runs the mix longer
with more clients.
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
import uuid
from collections import Counter

import pytest

import kvstore
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from shim.outbox import OUTBOX_PROP
from tests.reliability.support import scale
from tests.shim.conftest import ROOT, wait_for

WELCOME = "#### Welcome to rotation **LOAD**!"
LEFT = "You left rotation **LOAD**."
DRAIN = 10.0  # seconds within which the backlog must be gone once the load stops
POST_DELAY = 0.02  # seconds a post takes in the fake Mattermost, as in a real one


@pytest.fixture
def serve(fake_mm, redis_url, start_shim, tmp_path):
    """Start ``lotto serve`` on the session's Redis under a plugin id of its own, with the
    profiles cached as in a running shim: ``(shim, plugin id)``."""

    def start():
        manifest = json.loads((ROOT / "plugin.json").read_text())
        manifest["id"] = f"com.mattermost.solar-lottery.load-{uuid.uuid4().hex[:8]}"
        path = tmp_path / "plugin.json"
        path.write_text(json.dumps(manifest))
        flags = ("--plugin-json", str(path), "--autopilot-interval", "0")
        return start_shim(fake_mm, redis_url, *flags, LOTTO_CACHE_TTL="3600"), manifest["id"]

    return start


def _ok(shim, line: str, user: dict) -> str:
    reply = shim.slash(line, user)
    text = reply.json()["text"] if reply.status_code == 200 else reply.text
    assert reply.status_code == 200 and "Command failed" not in text, text
    return text


def _outbox_ids(fake_mm) -> Counter[str]:
    """How often each message (``lotto_outbox_id`` without its part) was posted."""
    return Counter(
        p["props"][OUTBOX_PROP].rpartition(".")[0] for p in fake_mm.posts_with_prop(OUTBOX_PROP)
    )


def test_the_mix_loses_no_message_and_the_backlog_drains(fake_mm, redis_url, serve):
    clients, seconds = scale(16, 32), scale(8, 40)
    fake_mm.post_delay = POST_DELAY
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    users = [fake_mm.add_user(f"load{i:02d}") for i in range(clients)]
    shim, plugin_id = serve()
    _ok(shim, "rotation new LOAD --beginning 2030-01-07T09:00", boss)
    _ok(shim, "task new shift LOAD --number 1 --force", boss)
    # One HTTP client per load client, made before the clock starts.
    https = [type(shim)(shim.proc, shim.url, shim.log_path) for _ in range(clients)]
    expected: list[list[str]] = [[] for _ in range(clients)]
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients, timeout=60)
    stop_at = [0.0]

    def client(i: int) -> None:
        rng = random.Random(i)
        member = False
        start.wait()
        while time.monotonic() < stop_at[0]:
            roll = rng.random()
            if roll < 0.4:
                line = "rotation show LOAD"
            elif roll < 0.7:
                line = "task show LOAD#1"
            else:
                line = "user leave LOAD" if member else "user join LOAD"
            t0 = time.perf_counter()
            reply = https[i].slash(line, users[i])
            took = time.perf_counter() - t0
            text = reply.json()["text"] if reply.status_code == 200 else reply.text
            ok = reply.status_code == 200 and "Command failed" not in text
            with lock:
                latencies.append(took)
                if not ok:
                    failures.append(f"{line}: {text}")
            if ok and line.startswith("user "):
                expected[i].append(LEFT if member else WELCOME)
                member = not member

    stop_at[0] = time.monotonic() + seconds + 1  # the barrier takes a moment
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    stopped = time.monotonic()
    for h in https:
        h.http.close()
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert failures == [], failures[:3]
    messages = sum(len(e) for e in expected)
    assert messages > 0

    with kvstore.open(redis_url, plugin_id) as kv:
        outbox, dead = kv.queue(OUTBOX_QUEUE), kv.queue(DEAD_QUEUE)
        backlog = outbox.length()

        def drained() -> bool:
            return outbox.length() == 0 and len(_outbox_ids(fake_mm)) >= messages

        try:
            wait_for(drained, timeout=DRAIN, interval=0.05)
        finally:
            took = time.monotonic() - stopped
            lat = sorted(latencies)
            print(
                f"\noutbox under the mix, {clients} clients, {seconds} s: {len(lat)} commands "
                f"({len(lat) / seconds:.0f}/s), p50 {1000 * statistics.median(lat):.0f} ms, "
                f"p99 {1000 * lat[int(0.99 * (len(lat) - 1))]:.0f} ms; {messages} messages, "
                f"backlog {backlog} when the load stopped, {outbox.length()} waiting "
                f"{took:.1f} s later; {dead.length()} dead letters"
            )
        assert dead.length() == 0
    counts = _outbox_ids(fake_mm)
    assert len(counts) == messages and set(counts.values()) == {1}
    for i, user in enumerate(users):
        got = [m.split("\n")[0] for m in fake_mm.dms(user["id"])]
        assert got == expected[i], user["username"]


def test_a_burst_in_one_rotation_does_not_hold_up_another_rotations_dm(fake_mm, redis_url, serve):
    burst = 2000
    fake_mm.post_delay = POST_DELAY
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    bob = fake_mm.add_user("bob")
    crowd = [fake_mm.add_user(f"crowd{i:04d}") for i in range(burst)]
    shim, plugin_id = serve()
    _ok(shim, "rotation new BIG --beginning 2030-01-07T09:00", boss)
    _ok(shim, "rotation new SMALL --beginning 2030-01-07T09:00", boss)
    _ok(shim, "user show @bob", boss)  # bob's profile is known, as in a running shim
    names = " ".join(f"@{u['username']}" for u in crowd)
    _ok(shim, f"user join BIG {names}", boss)
    _ok(shim, "user join SMALL @bob", boss)
    committed = time.monotonic()
    with kvstore.open(redis_url, plugin_id) as kv:
        waiting = kv.queue(OUTBOX_QUEUE).length()
    wait_for(lambda: fake_mm.dms(bob["id"]), timeout=5, interval=0.02)
    took = time.monotonic() - committed
    crowd_done = sum(1 for u in crowd if fake_mm.dms(u["id"]))
    print(
        f"\nflood: {waiting} messages waiting after the commit; bob's DM arrived {took:.2f} s "
        f"later, when {crowd_done} of the {burst} welcomes of BIG were out"
    )
    assert fake_mm.dms(bob["id"])[0].startswith("#### Welcome to rotation **SMALL**!")
    assert waiting > burst // 2  # the burst was really still waiting
