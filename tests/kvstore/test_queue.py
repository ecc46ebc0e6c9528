"""Durable queues: entries committed with a unit of work, consumed in order under a fenced lease."""

from __future__ import annotations

import pytest

from kvstore import CommitConflictError

from .helpers import Engine, expire_soon


def _push_in_unit(kv, *entries: bytes, write: bool = True) -> None:
    def fn(uow):
        if write:
            uow.set("record", b"changed")
        for entry in entries:
            uow.enqueue("outbox", entry)

    kv.run(fn)


def test_entries_land_with_the_commit_in_order(kv):
    _push_in_unit(kv, b"a", b"b")
    _push_in_unit(kv, b"c", write=False)  # a unit that only enqueues still commits
    q = kv.queue("outbox")
    assert q.length() == 3
    assert q.peek(5) == [b"a", b"b", b"c"]
    assert kv.get("record") == b"changed"


def test_a_failed_unit_enqueues_nothing(kv):
    def fn(uow):
        uow.set("record", b"x")
        uow.enqueue("outbox", b"lost")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        kv.run(fn)
    assert kv.queue("outbox").length() == 0
    assert kv.get("record") is None


def test_a_conflicting_attempt_enqueues_only_once(kv):
    kv.set("counter", b"0")
    calls = []

    def fn(uow):
        value = uow.get("counter")
        calls.append(value)
        if len(calls) == 1:
            kv.set("counter", b"1")  # someone else changes what we read
        uow.set("counter", value + b"+")
        uow.enqueue("outbox", b"msg-" + value)

    kv.run(fn)
    assert len(calls) == 2
    assert kv.queue("outbox").peek(10) == [b"msg-1"]


def test_a_unit_that_keeps_conflicting_enqueues_nothing(kv):
    kv.set("counter", b"0")

    def fn(uow):
        value = uow.get("counter")
        kv.set("counter", value + b"!")
        uow.set("counter", b"mine")
        uow.enqueue("outbox", b"never")

    with pytest.raises(CommitConflictError):
        kv.run(fn, attempts=2)
    assert kv.queue("outbox").length() == 0


def test_one_lease_at_a_time_and_pop_is_fenced(kv):
    q = kv.queue("outbox")
    q.push(b"first")
    q.push(b"second")
    lease = q.lease(30)
    assert lease is not None
    assert q.lease(30) is None
    assert q.pop_head(lease, b"second") is False  # not the head: nothing removed
    assert q.pop_head(lease, b"first") is True
    assert q.peek(5) == [b"second"]
    # A holder whose lease ran out cannot pop what a newer holder is handling.
    expire_soon(kv, lease.full_key)
    newer = q.lease(30)
    assert newer is not None
    assert q.pop_head(lease, b"second") is False
    assert lease.extend(30) is False
    assert newer.extend(30) is True
    assert q.pop_head(newer, b"second", move_to=kv.queue("dead")) is True
    assert q.length() == 0
    assert kv.queue("dead").peek(5) == [b"second"]
    newer.release()


def test_queue_keys_are_namespaced_and_not_listed(kv, plugin_id):
    _push_in_unit(kv, b"a")
    assert Engine(kv).llen(f"{plugin_id}/queue:outbox") == 1
    assert kv.list_keys(0, 100) == ["record"]
