"""Reads that follow an index: the index and what it names in one round trip."""

from __future__ import annotations

import pytest

from kvstore import CommitConflictError, Follow

INDEX = b'{"IDs":["SET","ICE","SETUP"]}'
FOLLOW_SET = Follow("index:r", "IDs", ["rotation:", "open:"], containing="SET")


@pytest.fixture
def seeded(kv):
    kv.set("index:r", INDEX)
    kv.set("rotation:SET", b"set")
    kv.set("rotation:ICE", b"ice")
    kv.set("open:SETUP", b"setup-open")
    return kv


def test_follow_reads_index_named_keys_and_plain_keys_in_one_round_trip(seeded):
    def fn(uow):
        return uow.get_many(["user:a"], follow=FOLLOW_SET), uow.round_trips

    got, trips = seeded.run(fn)
    assert trips == 1
    assert got == {
        "user:a": None,
        "index:r": INDEX,
        "rotation:SET": b"set",
        "open:SET": None,
        "rotation:SETUP": None,
        "open:SETUP": b"setup-open",
    }


def test_follow_without_filter_follows_every_name(seeded):
    got = seeded.run(lambda uow: uow.get_many([], follow=Follow("index:r", "IDs", ["rotation:"])))
    assert got["rotation:ICE"] == b"ice"
    assert set(got) == {"index:r", "rotation:SET", "rotation:ICE", "rotation:SETUP"}


@pytest.mark.parametrize("stored", [None, b"not json", b'{"Other":[1]}', b'["SET"]'])
def test_follow_of_a_missing_or_malformed_index_follows_nothing(kv, stored):
    if stored is not None:
        kv.set("index:r", stored)
    got = kv.run(lambda uow: uow.get_many(["a"], follow=FOLLOW_SET))
    assert got == {"a": None, "index:r": stored}


def test_followed_values_are_cached_for_later_reads(seeded):
    def fn(uow):
        uow.get_many([], follow=FOLLOW_SET)
        before = uow.round_trips
        value = uow.get("rotation:SET")
        return value, uow.round_trips - before

    assert seeded.run(fn) == (b"set", 0)


def test_a_followed_key_changed_before_commit_is_a_conflict(seeded):
    runs = []

    def fn(uow):
        got = uow.get_many([], follow=FOLLOW_SET)
        runs.append(got["rotation:SET"])
        if len(runs) == 1:
            seeded.set("rotation:SET", b"changed meanwhile")
        uow.set("rotation:SET", got["rotation:SET"] + b"+1")

    seeded.run(fn)
    assert runs == [b"set", b"changed meanwhile"]
    assert seeded.get("rotation:SET") == b"changed meanwhile+1"


def test_a_followed_key_that_keeps_changing_ends_in_conflict(seeded):
    def fn(uow):
        uow.get_many([], follow=FOLLOW_SET)
        seeded.set("open:SET", b"new %d" % uow.attempt)
        uow.set("x", b"1")

    with pytest.raises(CommitConflictError):
        seeded.run(fn, attempts=2)
    assert seeded.get("x") is None


def test_follow_keeps_own_writes_visible(seeded):
    def fn(uow):
        uow.set("rotation:SET", b"mine")
        return uow.get_many([], follow=FOLLOW_SET)["rotation:SET"]

    assert seeded.run(fn) == b"mine"


def test_follow_ignoring_case_matches_ascii_letters_in_either_case(seeded):
    follow = Follow("index:r", "IDs", ["rotation:"], containing="set", ignore_case=True)
    got = seeded.run(lambda uow: uow.get_many([], follow=follow))
    assert set(got) == {"index:r", "rotation:SET", "rotation:SETUP"}
    exact = Follow("index:r", "IDs", ["rotation:"], containing="set")
    assert set(seeded.run(lambda uow: uow.get_many([], follow=exact))) == {"index:r"}
