"""Units of work: cached reads, buffered writes, validating commit, retries."""

from __future__ import annotations

import threading

import pytest

import kvstore
from kvstore import CommitConflictError, InvalidArgumentError, KVError
from kvstore.unit import COMMIT

from .helpers import Engine

WAIT = 10  # seconds; only reached if a test is broken, never in a passing run


class Boom(Exception):
    pass


def test_run_returns_fn_result_and_commits_writes(kv):
    def fn(uow):
        uow.set("a", b"1")
        uow.set("b", b"2")
        return "done"

    assert kv.run(fn) == "done"
    assert kv.get_many(["a", "b"]) == {"a": b"1", "b": b"2"}


def test_writes_are_stored_as_given(kv, plugin_id):
    kv.run(lambda uow: uow.set("rotation:SET", b'{"Name":"SET"}'))
    assert Engine(kv).get(f"{plugin_id}:rotation:SET") == b'{"Name":"SET"}'


def test_read_your_writes_without_round_trips(kv):
    kv.set("a", b"old")

    def fn(uow):
        uow.set("a", b"new")
        uow.set("b", b"B")
        uow.delete("c")
        trips = uow.round_trips
        seen = (uow.get("a"), uow.get("b"), uow.get("c"), uow.get_many(["a", "b", "c"]))
        assert uow.round_trips == trips
        return seen

    a, b, c, many = kv.run(fn)
    assert (a, b, c) == (b"new", b"B", None)
    assert many == {"a": b"new", "b": b"B", "c": None}


def test_delete_after_read_then_read_again(kv):
    kv.set("a", b"1")

    def fn(uow):
        first = uow.get("a")
        uow.delete("a")
        return first, uow.get("a")

    assert kv.run(fn) == (b"1", None)
    assert kv.get("a") is None


def test_set_none_in_a_unit_deletes(kv):
    kv.set("a", b"1")
    kv.run(lambda uow: uow.set("a", None))
    assert kv.get("a") is None


def test_each_key_is_read_from_redis_at_most_once(kv):
    kv.set("a", b"1")
    kv.set("b", b"2")
    seen = {}

    def fn(uow):
        uow.get("a")
        uow.get("a")
        uow.get_many(["a", "b", "c"])  # only b and c are fetched: one MGET
        uow.get_many(["b", "c", "a"])  # all cached: no round trip
        uow.get("c")
        seen["reads"] = uow.round_trips
        uow.set("d", b"4")
        return uow

    uow = kv.run(fn)
    assert seen["reads"] == 2
    assert uow.round_trips == 3  # the commit included


def test_store_counter_matches_the_unit(kv):
    before = kv.round_trips

    def fn(uow):
        uow.get_many(["x", "y", "z"])
        uow.set("x", b"1")
        return uow

    uow = kv.run(fn)
    assert uow.round_trips == 2
    assert kv.round_trips - before == 2


def test_read_only_unit_needs_no_commit(kv):
    kv.set("a", b"1")
    before = kv.round_trips
    assert kv.run(lambda uow: uow.get_many(["a", "b"])) == {"a": b"1", "b": None}
    assert kv.round_trips - before == 1


def test_empty_unit_costs_nothing(kv):
    before = kv.round_trips
    assert kv.run(lambda uow: 7) == 7
    assert kv.round_trips == before


def test_get_many_keeps_duplicates_and_order(kv):
    kv.set("a", b"1")
    assert kv.run(lambda uow: list(uow.get_many(["b", "a", "b"]).items())) == [
        ("b", None),
        ("a", b"1"),
    ]


def test_a_unit_that_raises_commits_nothing(kv):
    kv.set("a", b"keep")
    before = kv.round_trips

    def fn(uow):
        uow.get("a")
        uow.set("a", b"changed")
        uow.set("b", b"new")
        uow.delete("a")
        raise Boom("stop")

    with pytest.raises(Boom):
        kv.run(fn)
    assert kv.round_trips - before == 1  # the read only: no commit was sent
    assert kv.get_many(["a", "b"]) == {"a": b"keep", "b": None}
    assert kv.list_keys(0, 10) == ["a"]


def test_a_leaked_unit_refuses_use_after_run(kv):
    uow = kv.run(lambda uow: uow)
    with pytest.raises(KVError, match="finished"):
        uow.set("a", b"1")
    with pytest.raises(KVError, match="finished"):
        uow.get("a")
    assert kv.get("a") is None


def test_conflict_reruns_fn_on_fresh_reads(kv, store_url, plugin_id):
    kv.set("count", b"0")
    other = kvstore.open(store_url, plugin_id)
    seen = []

    def increment(uow):
        value = int(uow.get("count"))
        seen.append((uow.attempt, value))
        if uow.attempt == 1:
            other.set("count", b"10")  # someone else writes between our read and our commit
        uow.set("count", str(value + 1).encode())

    kv.run(increment)
    other.close()
    assert seen == [(1, 0), (2, 10)]
    assert kv.get("count") == b"11"


@pytest.mark.parametrize(
    ("initial", "interference"),
    [
        (None, lambda s: s.set("k", b"appeared")),  # read as absent, created meanwhile
        (b"v", lambda s: s.delete("k")),  # read as present, deleted meanwhile
        (b"v", lambda s: s.set("k", b"w")),  # changed meanwhile
        (b"", lambda s: s.delete("k")),  # empty value is not absence
        (None, lambda s: s.set("k", b"")),
    ],
)
def test_any_change_to_a_read_key_is_a_conflict_and_writes_nothing(kv, initial, interference):
    kv.set("k", initial)
    calls = []

    def fn(uow):
        calls.append(uow.attempt)
        uow.get("k")
        interference(kv)
        uow.set("out-1", b"x")
        uow.set("out-2", b"y")

    with pytest.raises(CommitConflictError) as info:
        kv.run(fn, attempts=1)
    assert calls == [1]
    assert info.value.attempts == 1
    assert info.value.key == "k"
    assert kv.get_many(["out-1", "out-2"]) == {"out-1": None, "out-2": None}
    assert kv.get("k") != initial  # the interference really happened


def test_blind_write_does_not_conflict_and_lands_with_the_rest(kv):
    kv.set("read", b"r")

    def fn(uow):
        uow.get("read")
        kv.set("blind", b"someone else")  # not read by this unit: no conflict
        uow.set("blind", b"mine")
        uow.set("read", b"r2")

    kv.run(fn, attempts=1)
    assert kv.get_many(["blind", "read"]) == {"blind": b"mine", "read": b"r2"}


def test_attempts_exhausted_raises_conflict(kv):
    kv.set("hot", b"0")
    calls = []

    def fn(uow):
        calls.append(uow.attempt)
        uow.get("hot")
        kv.set("hot", f"changed-{uow.attempt}".encode())
        uow.set("result", b"never")

    with pytest.raises(CommitConflictError, match="3 attempts") as info:
        kv.run(fn, attempts=3)
    assert calls == [1, 2, 3]
    assert info.value.attempts == 3
    assert kv.get("result") is None


def test_conflict_error_is_a_kv_error():
    assert issubclass(CommitConflictError, KVError)


@pytest.mark.parametrize("attempts", [0, -1, 1.5, True])
def test_bad_attempts_is_refused(kv, attempts):
    with pytest.raises(InvalidArgumentError):
        kv.run(lambda uow: None, attempts=attempts)


def test_two_concurrent_units_one_commits_the_other_retries_and_sees_it(store_url, plugin_id):
    """A and B read the same record together; A commits first, so B's first commit
    must conflict, and B's retry must build on A's write."""
    seed = kvstore.open(store_url, plugin_id)
    seed.set("rotation:SET", b"start")
    both_read = threading.Barrier(2, timeout=WAIT)
    a_committed = threading.Event()
    b_seen: list[tuple[int, bytes]] = []
    a_seen: list[tuple[int, bytes]] = []
    errors: list[BaseException] = []

    def unit_a(uow):
        value = uow.get("rotation:SET")
        a_seen.append((uow.attempt, value))
        if uow.attempt == 1:
            both_read.wait()
        uow.set("rotation:SET", value + b"+A")

    def unit_b(uow):
        value = uow.get("rotation:SET")
        b_seen.append((uow.attempt, value))
        if uow.attempt == 1:
            both_read.wait()
            assert a_committed.wait(WAIT)
        uow.set("rotation:SET", value + b"+B")

    def run_a():
        store = kvstore.open(store_url, plugin_id)
        try:
            store.run(unit_a)
            a_committed.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    def run_b():
        store = kvstore.open(store_url, plugin_id)
        try:
            store.run(unit_b)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 3)
    assert not errors, errors
    assert a_seen == [(1, b"start")]
    assert b_seen == [(1, b"start"), (2, b"start+A")]
    assert seed.get("rotation:SET") == b"start+A+B"
    seed.close()


def test_many_concurrent_increments_lose_no_update(store_url, plugin_id):
    seed = kvstore.open(store_url, plugin_id)
    seed.set("n", b"0")
    threads_n, per_thread = 4, 10
    start = threading.Barrier(threads_n, timeout=WAIT)
    errors: list[BaseException] = []

    def increment(uow):
        uow.set("n", str(int(uow.get("n")) + 1).encode())

    def worker():
        store = kvstore.open(store_url, plugin_id)
        try:
            start.wait()
            for _ in range(per_thread):
                store.run(increment, attempts=1000)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT * 6)
    assert not errors, errors
    assert seed.get("n") == str(threads_n * per_thread).encode()
    seed.close()


def test_commit_script_is_idempotent_for_a_resent_call(kv, plugin_id):
    """Resending the same commit (a lost reply) must not apply it twice or report a conflict."""
    kv.set("k", b"old")
    keys = [f"{plugin_id}:k", f"{plugin_id}:k", f"{plugin_id}/commit:test-token"]
    args = [1, 60_000, b"1", b"old", b"S", b"new"]
    assert kv.backend.eval(COMMIT, keys, args, op="commit") == 0
    assert kv.get("k") == b"new"
    # Same call again: the validation would now fail, but the marker says it was applied.
    assert kv.backend.eval(COMMIT, keys, args, op="commit") == 0
    assert kv.get("k") == b"new"
    # A different commit with the same stale read conflicts on read key #1.
    other = keys[:2] + [f"{plugin_id}/commit:other-token"]
    assert kv.backend.eval(COMMIT, other, args, op="commit") == 1
    # Markers expire and stay out of the plugin's key listing.
    assert 0 < Engine(kv).pttl(keys[2]) <= 60_000
    assert kv.list_keys(0, 10) == ["k"]
