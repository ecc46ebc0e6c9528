"""Durable queues: entries committed with a unit of work, consumed in order under a fenced lease."""

from __future__ import annotations

import pytest

from kvstore import CommitConflictError, Queue

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


# -- lanes and fair turns (kvstore.queue, "Lanes and fair turns") -----------------------


def _routed(kv, entries: dict[str, list[bytes]], order: list[str]) -> tuple[Queue, object]:
    """A queue whose intake got ``order`` (lane names, one entry each, from ``entries``),
    routed under a lease the caller must release."""
    q = kv.queue("fair")
    taken = {lane: iter(values) for lane, values in entries.items()}
    pushed = []
    for lane in order:
        pushed.append(next(taken[lane]))
        q.push(pushed[-1])
    lease = q.lease(30)
    assert lease is not None
    assert q.unrouted(100) == pushed
    assert q.route(lease, order) == len(order)
    assert q.unrouted(100) == []
    return q, lease


def test_routed_lanes_take_turns_and_each_keeps_its_order(kv):
    entries = {"A": [b"a1", b"a2", b"a3"], "B": [b"b1"], "C": [b"c1", b"c2"]}
    q, lease = _routed(kv, entries, ["A", "A", "B", "A", "C", "C"])
    q.push(b"new")  # committed after the routing: still in the intake
    picks, intake = q.peek_fair(10)
    assert picks == [
        ("A", b"a1"),
        ("B", b"b1"),
        ("C", b"c1"),
        ("A", b"a2"),
        ("C", b"c2"),
        ("A", b"a3"),
    ]
    assert intake == 1
    assert q.peek_fair(2)[0] == [("A", b"a1"), ("B", b"b1")]
    assert q.length() == 7
    assert q.peek(10) == [b"a1", b"b1", b"c1", b"a2", b"c2", b"a3", b"new"]
    assert q.heads() == [b"new", b"a1", b"b1", b"c1"]
    assert q.unrouted(5) == [b"new"]
    lease.release()


def test_only_the_lease_holder_routes(kv):
    q = kv.queue("fair")
    q.push(b"x")
    lease = q.lease(30)
    expire_soon(kv, lease.full_key)
    assert q.route(lease, ["A"]) is None
    assert q.unrouted(5) == [b"x"] and q.peek_fair(5) == ([], 1)


def test_attempts_are_noted_once_and_the_first_time_is_kept(kv):
    q, lease = _routed(kv, {"A": [b"a1", b"a2"]}, ["A", "A"])
    assert q.note_attempts(lease, ["t1", "t2"], 1000, 30) == {}
    assert q.note_attempts(lease, ["t1", "t3"], 2000, 30) == {"t1": 1000}
    assert q.note_attempts(lease, ["t1"], 3000, 30) == {"t1": 1000}
    # An attempt an older version recorded (one string) counts as well.
    Engine(kv).set(q.key + ".attempt", b"t9 500")
    assert q.note_attempts(lease, ["t9"], 4000, 30) == {"t9": 500}
    expire_soon(kv, lease.full_key)
    assert q.note_attempts(lease, ["t4"], 5000, 30) is None


def test_noting_attempts_renews_the_lease(kv):
    q = kv.queue("fair")
    lease = q.lease(1)
    assert q.note_attempts(lease, ["t"], 1000, 60) == {}
    assert Engine(kv).pttl(lease.full_key) > 30_000
    lease.release()


def test_a_finished_batch_leaves_its_lanes_and_the_lanes_rotate(kv):
    entries = {"A": [b"a1", b"a2"], "B": [b"b1"], "C": [b"c1", b"c2"]}
    q, lease = _routed(kv, entries, ["A", "A", "B", "C", "C"])
    dead = kv.queue("fair.dead")
    picks, _ = q.peek_fair(2)  # a1, b1: lanes A and B had a turn
    assert q.note_attempts(lease, ["ta1", "tb1"], 1000, 30) == {}
    handled = [("A", b"a1", "ta1", False), ("B", b"b1", "tb1", True)]
    assert q.pop_fair(lease, ["A", "B"], handled, 30, move_to=dead) is True
    assert dead.peek(5) == [b"b1"]
    # B ran empty and left the turn order; A went to the back, behind C.
    assert q.peek_fair(10)[0] == [("C", b"c1"), ("A", b"a2"), ("C", b"c2")]
    assert q.length() == 3
    # Its attempts were forgotten with it.
    assert q.note_attempts(lease, ["ta1"], 2000, 30) == {}
    lease.release()


def test_a_batch_may_leave_an_entry_that_must_wait_in_its_lane(kv):
    q, lease = _routed(kv, {"A": [b"a1", b"a2", b"a3"]}, ["A", "A", "A"])
    # a1 failed for now (another reader's a2 went out): a1 stays first.
    assert q.pop_fair(lease, ["A"], [("A", b"a2", "t2", False)], 30) is True
    assert q.peek(5) == [b"a1", b"a3"]
    lease.release()


def test_finishing_a_batch_checks_everything_first(kv):
    q, lease = _routed(kv, {"A": [b"a1"], "B": [b"b1"]}, ["A", "B"])
    # The turn order does not start with B, and x is in no lane: nothing is done.
    assert q.pop_fair(lease, ["B"], [("B", b"b1", "t", False)], 30) is False
    assert (
        q.pop_fair(lease, ["A"], [("A", b"a1", "t", False), ("A", b"x", "u", False)], 30) is False
    )
    assert q.peek(5) == [b"a1", b"b1"]
    expire_soon(kv, lease.full_key)
    assert q.pop_fair(lease, ["A"], [("A", b"a1", "t", False)], 30) is False
    assert q.length() == 2


def test_a_queue_never_routed_is_a_plain_list(kv):
    q = kv.queue("plain")
    assert q.length() == 0 and q.peek(3) == [] and q.heads() == []
    q.push(b"1")
    q.push(b"2")
    assert q.length() == 2 and q.peek(5) == [b"1", b"2"] and q.heads() == [b"1"]
