"""Concurrent compare-and-set and locks: exactly one contender wins."""

from __future__ import annotations

import threading

import pytest

import kvstore

from .helpers import Engine

ROUNDS = 20


def _race(store_url, plugin_id, action, contenders=2):
    """Run ``action(store, i)`` in ``contenders`` threads released together; return results by i."""
    stores = [kvstore.open(store_url, plugin_id) for _ in range(contenders)]
    barrier = threading.Barrier(contenders, timeout=10)
    results: dict[int, object] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(stores[i], i)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for store in stores:
        store.close()
    assert not errors, errors
    assert len(results) == contenders
    return results


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_threads_compare_and_set_exactly_one_wins(kv, store_url, plugin_id, round_):
    kv.set("counter", b"0")
    results = _race(
        store_url, plugin_id, lambda s, i: s.compare_and_set("counter", b"0", f"t{i}".encode())
    )
    winners = [i for i, won in results.items() if won]
    assert len(winners) == 1
    assert kv.get("counter") == f"t{winners[0]}".encode()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_threads_insert_if_absent_exactly_one_wins(kv, store_url, plugin_id, round_):
    results = _race(
        store_url, plugin_id, lambda s, i: s.compare_and_set("new", None, f"t{i}".encode())
    )
    winners = [i for i, won in results.items() if won]
    assert len(winners) == 1
    assert kv.get("new") == f"t{winners[0]}".encode()


def test_many_threads_racing_for_a_lock_exactly_one_gets_it(kv, store_url, plugin_id):
    results = _race(store_url, plugin_id, lambda s, i: s.lock("autopilot", 30), contenders=8)
    holders = [lock for lock in results.values() if lock is not None]
    assert len(holders) == 1
    assert Engine(kv).get(holders[0].full_key) == holders[0].token
