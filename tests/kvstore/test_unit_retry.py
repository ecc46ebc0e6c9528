"""The unit of work's retry policy (a time budget, per-key gates) and fenced commits."""

from __future__ import annotations

import threading
import time

import pytest

import kvstore
from kvstore import CommitConflictError, FenceError, InvalidArgumentError
from kvstore.retry import DEFAULT_RETRY_BUDGET, Gates

from .helpers import expire_soon

WAIT = 30


def test_default_budget_is_a_setting_below_the_command_bound(store_url, plugin_id):
    store = kvstore.open(store_url, plugin_id)
    assert store.retry_budget == DEFAULT_RETRY_BUDGET < 5
    store.close()
    tuned = kvstore.open(store_url, plugin_id, retry_budget=0.5)
    assert tuned.retry_budget == 0.5
    tuned.close()


def test_more_than_five_conflicts_are_retried_within_the_budget(kv):
    kv.set("hot", b"0")
    calls = []

    def fn(uow):
        calls.append(uow.attempt)
        uow.get("hot")
        if uow.attempt <= 7:
            kv.set("hot", f"changed-{uow.attempt}".encode())
        uow.set("result", b"done")
        return uow.attempt

    assert kv.run(fn) == 8
    assert calls == list(range(1, 9))
    assert kv.get("result") == b"done"
    assert kv.conflicts == 7


def test_an_endless_conflict_gives_up_when_the_budget_is_spent(kv):
    kv.set("hot", b"0")

    def fn(uow):
        uow.get("hot")
        kv.set("hot", str(time.monotonic_ns()).encode())
        uow.set("result", b"never")

    started = time.monotonic()
    with pytest.raises(CommitConflictError, match="please try again") as info:
        kv.run(fn, budget=0.3)
    took = time.monotonic() - started
    assert 0.3 <= took < 0.3 + 1.0
    assert info.value.attempts > 1
    assert info.value.key == "hot"
    assert kv.get("result") is None
    assert kv.contended_keys == 0  # the gate was given back


@pytest.mark.parametrize("budget", [-1, "1", True])
def test_bad_budget_is_refused(kv, budget):
    with pytest.raises(InvalidArgumentError):
        kv.run(lambda uow: None, budget=budget)


def test_many_writers_on_one_key_never_fail_with_the_default_policy(store_url, plugin_id):
    """32 threads incrementing one counter: every increment lands, none is refused."""
    store = kvstore.open(store_url, plugin_id)
    store.set("n", b"0")
    writers, each = 32, 5
    start = threading.Barrier(writers, timeout=WAIT)
    errors: list[BaseException] = []

    def increment(uow):
        uow.set("n", str(int(uow.get("n")) + 1).encode())

    def worker():
        try:
            start.wait()
            for _ in range(each):
                store.run(increment)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 2)
    assert not errors, errors[:3]
    assert store.get("n") == str(writers * each).encode()
    assert store.contended_keys == 0
    store.close()


def test_fenced_unit_commits_while_the_lock_is_held(kv):
    lock = kv.lock("run", 30)
    fenced = kv.fenced(lock)
    fenced.run(lambda uow: uow.set("k", b"v"))
    assert kv.get("k") == b"v"
    assert fenced.get("k") == b"v"  # the rest is the plain store
    lock.release()


def test_fenced_unit_writes_nothing_once_the_lock_expired_and_was_taken(kv):
    stale = kv.lock("run", 30)
    expire_soon(kv, stale.full_key)
    fresh = kv.lock("run", 30)
    assert fresh is not None
    kv.set("read", b"r")
    calls = []

    def fn(uow):
        calls.append(uow.attempt)
        uow.get("read")
        uow.set("k", b"stale writer")

    with pytest.raises(FenceError, match="nothing was written"):
        kv.run(fn, fence=stale)
    assert calls == [1]  # a lost lease is not retried
    assert kv.get("k") is None
    kv.run(fn, fence=fresh)
    assert kv.get("k") == b"stale writer"
    fresh.release()


def test_fenced_unit_fails_after_release_and_reports_conflicts_normally(kv):
    lock = kv.lock("run", 30)
    kv.set("hot", b"0")
    seen = []

    def fn(uow):
        seen.append(uow.get("hot"))
        if uow.attempt == 1:
            kv.set("hot", b"1")  # an ordinary conflict: retried, the fence still holds
        uow.set("out", b"x")

    kv.run(fn, fence=lock)
    assert seen == [b"0", b"1"]
    lock.release()
    with pytest.raises(FenceError):
        kv.run(lambda uow: uow.set("out", b"y"), fence=lock)
    assert kv.get("out") == b"x"


def _queued(gates: Gates, key: str, n: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(gates._by_key[key].queue) < n:
        assert time.monotonic() < deadline, "the waiter never queued"
        time.sleep(0.001)  # polling, bounded by the deadline


def test_gates_serve_waiters_first_come_first_served_and_time_out_cleanly():
    gates = Gates()
    assert gates.acquire("k", 1)
    assert gates.acquire("k", 1)  # re-entrant for the holder
    order: list[str] = []

    def waiter(name: str) -> None:
        assert gates.acquire("k", WAIT)
        order.append(name)
        gates.release("k")

    threads = []
    for i, name in enumerate(["first", "second", "third"]):
        t = threading.Thread(target=waiter, args=(name,))
        t.start()
        threads.append(t)
        _queued(gates, "k", i + 1)
    late = threading.Thread(target=lambda: order.append(str(gates.acquire("k", 0.05))))
    late.start()
    late.join(timeout=WAIT)
    assert order == ["False"]  # gave up in time, and left the line
    assert len(gates._by_key["k"].queue) == 3
    gates.release("k")
    gates.release("k")
    for t in threads:
        t.join(timeout=WAIT)
    assert order == ["False", "first", "second", "third"]
    assert len(gates) == 0
