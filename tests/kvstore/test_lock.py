"""Locks: SET NX PX with a token, released by compare-and-delete."""

from __future__ import annotations

import pytest

from kvstore import InvalidArgumentError, Lock

from .helpers import Engine, expire_soon


def test_lock_is_exclusive_until_released(kv):
    first = kv.lock("autopilot", 30)
    assert isinstance(first, Lock)
    assert kv.lock("autopilot", 30) is None
    assert first.release() is True
    second = kv.lock("autopilot", 30)
    assert second is not None
    second.release()


def test_lock_has_the_requested_lease(kv):
    lock = kv.lock("autopilot", 30)
    assert 29_000 < Engine(kv).pttl(lock.full_key) <= 30_000
    lock.release()


def test_different_names_do_not_block_each_other(kv):
    a, b = kv.lock("a", 30), kv.lock("b", 30)
    assert a is not None and b is not None
    a.release()
    b.release()


def test_context_manager_releases(kv):
    with kv.lock("job", 30) as lock:
        assert kv.lock("job", 30) is None
    assert not Engine(kv).exists(lock.full_key)
    assert lock.release() is False  # already released


def test_context_manager_releases_on_error(kv):
    with pytest.raises(RuntimeError):
        with kv.lock("job", 30):
            raise RuntimeError("boom")
    assert kv.lock("job", 30) is not None


def test_expired_holder_cannot_release_the_next_holders_lock(kv):
    stale = kv.lock("job", 30)
    expire_soon(kv, stale.full_key)
    fresh = kv.lock("job", 30)
    assert fresh is not None
    assert stale.release() is False
    assert kv.lock("job", 30) is None  # the fresh lock is still held
    assert fresh.release() is True


def test_locks_are_namespaced_and_not_listed(kv, store_url, plugin_id):
    import kvstore

    other = kvstore.open(store_url, "com.example.other")
    try:
        mine = kv.lock("job", 30)
        theirs = other.lock("job", 30)
        assert mine is not None and theirs is not None
        assert mine.full_key == f"{plugin_id}/lock:job"
        assert kv.list_keys(0, 10) == []
    finally:
        other.close()


@pytest.mark.parametrize("ttl", [0, -1, "10", True])
def test_bad_ttl_is_refused(kv, ttl):
    with pytest.raises(InvalidArgumentError):
        kv.lock("job", ttl)
