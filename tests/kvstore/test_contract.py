"""The Mattermost KV contract, on memory:// and on a real redis-server."""

from __future__ import annotations

import pytest

import kvstore
from kvstore import InvalidArgumentError, InvalidKeyError, KeyTooLongError

from .helpers import Engine, expire_soon

RECORD = b'{"RotationID":"SET","TaskIDs":["SET#1"]}'


def test_get_of_absent_key_is_none(kv):
    assert kv.get("rotation:NOPE") is None


def test_set_then_get_returns_exact_bytes(kv):
    binary = bytes(range(256))
    kv.set("rotation:SET", RECORD)
    kv.set("blob", binary)
    kv.set("empty", b"")
    assert kv.get("rotation:SET") == RECORD
    assert kv.get("blob") == binary
    # An empty value is present, not absent.
    assert kv.get("empty") == b""


def test_values_are_stored_as_given_under_a_readable_key(kv, plugin_id):
    kv.set("rotation:SET", RECORD)
    assert kv.full_key("rotation:SET") == f"{plugin_id}:rotation:SET"
    assert Engine(kv).get(f"{plugin_id}:rotation:SET") == RECORD


def test_set_overwrites_and_set_none_deletes(kv):
    kv.set("k", b"1")
    kv.set("k", b"2")
    assert kv.get("k") == b"2"
    kv.set("k", None)
    assert kv.get("k") is None


def test_set_accepts_bytearray_and_refuses_text(kv):
    kv.set("k", bytearray(b"ab"))
    assert kv.get("k") == b"ab"
    with pytest.raises(TypeError):
        kv.set("k", "text")
    assert kv.get("k") == b"ab"


def test_set_with_expiry_sets_a_ttl(kv):
    kv.set_with_expiry("session", b"x", 60)
    assert kv.get("session") == b"x"
    assert 59_000 < Engine(kv).pttl(kv.full_key("session")) <= 60_000


def test_set_with_expiry_zero_means_forever(kv):
    kv.set_with_expiry("k", b"x", 0)
    assert Engine(kv).pttl(kv.full_key("k")) == -1


def test_plain_set_clears_an_earlier_expiry(kv):
    kv.set_with_expiry("k", b"x", 60)
    kv.set("k", b"y")
    assert Engine(kv).pttl(kv.full_key("k")) == -1


def test_negative_expiry_is_refused(kv):
    with pytest.raises(InvalidArgumentError):
        kv.set_with_expiry("k", b"x", -1)
    assert kv.get("k") is None


def test_expired_key_is_gone_and_never_listed(kv):
    kv.set("keep", b"1")
    kv.set_with_expiry("temp", b"2", 60)
    assert kv.list_keys(0, 10) == ["keep", "temp"]
    expire_soon(kv, kv.full_key("temp"))
    assert kv.list_keys(0, 10) == ["keep"]
    assert kv.get("temp") is None


def test_compare_and_set_insert_only_if_absent(kv):
    assert kv.compare_and_set("k", None, b"first") is True
    assert kv.compare_and_set("k", None, b"second") is False
    assert kv.get("k") == b"first"


def test_compare_and_set_replaces_only_matching_value(kv):
    kv.set("k", b"v1")
    assert kv.compare_and_set("k", b"other", b"v2") is False
    assert kv.get("k") == b"v1"
    assert kv.compare_and_set("k", b"v1", b"v2") is True
    assert kv.get("k") == b"v2"


def test_compare_and_set_on_absent_key_with_old_value_fails(kv):
    assert kv.compare_and_set("k", b"v1", b"v2") is False
    assert kv.get("k") is None


def test_compare_and_set_to_none_deletes_if_matching(kv):
    kv.set("k", b"v1")
    assert kv.compare_and_set("k", b"nope", None) is False
    assert kv.compare_and_set("k", b"v1", None) is True
    assert kv.get("k") is None


def test_compare_and_set_distinguishes_empty_from_absent(kv):
    kv.set("k", b"")
    assert kv.compare_and_set("k", None, b"x") is False
    assert kv.compare_and_set("k", b"", b"x") is True
    assert kv.get("k") == b"x"


def test_compare_and_delete(kv):
    kv.set("k", b"v1")
    assert kv.compare_and_delete("k", b"v2") is False
    assert kv.get("k") == b"v1"
    assert kv.compare_and_delete("k", b"v1") is True
    assert kv.get("k") is None
    assert kv.compare_and_delete("k", b"v1") is False


def test_compare_and_delete_with_none_does_nothing(kv):
    kv.set("k", b"v1")
    assert kv.compare_and_delete("k", None) is False
    assert kv.get("k") == b"v1"


def test_set_with_options_plain_set_and_delete(kv):
    assert kv.set_with_options("k", b"v") is True
    assert kv.get("k") == b"v"
    assert kv.set_with_options("k", None) is True
    assert kv.get("k") is None


def test_set_with_options_expiry(kv):
    assert kv.set_with_options("k", b"v", expire_in_seconds=30) is True
    assert 29_000 < Engine(kv).pttl(kv.full_key("k")) <= 30_000


def test_set_with_options_atomic_insert_with_expiry(kv):
    assert kv.set_with_options("k", b"v", atomic=True, old_value=None, expire_in_seconds=30) is True
    assert 29_000 < Engine(kv).pttl(kv.full_key("k")) <= 30_000
    assert kv.set_with_options("k", b"w", atomic=True, old_value=None) is False
    assert kv.get("k") == b"v"


def test_set_with_options_atomic_replace_with_and_without_expiry(kv):
    kv.set("k", b"v1")
    assert (
        kv.set_with_options("k", b"v2", atomic=True, old_value=b"v1", expire_in_seconds=30) is True
    )
    assert 29_000 < Engine(kv).pttl(kv.full_key("k")) <= 30_000
    assert kv.set_with_options("k", b"v3", atomic=True, old_value=b"v1") is False
    assert kv.set_with_options("k", b"v3", atomic=True, old_value=b"v2") is True
    assert kv.get("k") == b"v3"
    # A CAS write without expiry replaces the old expiry, as in Mattermost.
    assert Engine(kv).pttl(kv.full_key("k")) == -1


def test_set_with_options_atomic_delete(kv):
    kv.set("k", b"v1")
    assert kv.set_with_options("k", None, atomic=True, old_value=b"x") is False
    assert kv.set_with_options("k", None, atomic=True, old_value=None) is False
    assert kv.get("k") == b"v1"
    assert kv.set_with_options("k", None, atomic=True, old_value=b"v1") is True
    assert kv.get("k") is None


def test_set_with_options_old_value_needs_atomic(kv):
    kv.set("k", b"v1")
    with pytest.raises(InvalidArgumentError, match="atomic"):
        kv.set_with_options("k", b"v2", old_value=b"v1")
    assert kv.get("k") == b"v1"


def test_delete_removes_only_that_key_and_absent_is_fine(kv):
    kv.set("a", b"1")
    kv.set("b", b"2")
    kv.delete("a")
    kv.delete("never-there")
    assert kv.get("a") is None
    assert kv.get("b") == b"2"


def test_list_keys_is_sorted_and_paged(kv):
    names = [f"user:{i:02d}" for i in range(7)] + ["rotation:SET", "index:skills"]
    for name in reversed(names):
        kv.set(name, b"x")
    everything = sorted(names)
    assert kv.list_keys(0, 100) == everything
    assert kv.list_keys(0, 4) == everything[0:4]
    assert kv.list_keys(1, 4) == everything[4:8]
    assert kv.list_keys(2, 4) == everything[8:9]
    assert kv.list_keys(3, 4) == []


def test_list_keys_on_empty_store(kv):
    assert kv.list_keys(0, 10) == []


@pytest.mark.parametrize(("page", "per_page"), [(-1, 10), (0, 0), (0, -5), (1.5, 10), (0, True)])
def test_list_keys_refuses_bad_paging(kv, page, per_page):
    with pytest.raises(InvalidArgumentError):
        kv.list_keys(page, per_page)


def test_many_keys_page_through_several_scan_batches(kv):
    names = [f"user:{i:05d}" for i in range(2500)]

    def write_all(uow):
        for name in names:
            uow.set(name, b"{}")

    kv.run(write_all)
    pages = [kv.list_keys(p, 1000) for p in range(4)]
    assert [len(p) for p in pages] == [1000, 1000, 500, 0]
    assert pages[0] + pages[1] + pages[2] == names
    kv.delete_all()
    assert kv.list_keys(0, 10) == []


def test_delete_all_removes_every_key_of_the_plugin(kv):
    for name in ("a", "b", "c"):
        kv.set(name, b"1")
    kv.set_with_expiry("d", b"1", 60)
    kv.delete_all()
    assert kv.list_keys(0, 10) == []
    assert kv.get("a") is None


def test_key_of_150_characters_is_accepted(kv):
    key = "k" * 150
    kv.set(key, b"v")
    assert kv.get(key) == b"v"
    assert kv.list_keys(0, 10) == [key]


def test_limit_counts_characters_not_bytes(kv):
    key = "é" * 150  # 300 bytes in UTF-8, still 150 characters
    kv.set(key, b"v")
    assert kv.list_keys(0, 10) == [key]


@pytest.mark.parametrize(
    "call",
    [
        lambda kv, key: kv.get(key),
        lambda kv, key: kv.set(key, b"v"),
        lambda kv, key: kv.set_with_expiry(key, b"v", 10),
        lambda kv, key: kv.compare_and_set(key, None, b"v"),
        lambda kv, key: kv.compare_and_delete(key, b"v"),
        lambda kv, key: kv.set_with_options(key, b"v", atomic=True),
        lambda kv, key: kv.delete(key),
        lambda kv, key: kv.get_many(["ok", key]),
        lambda kv, key: kv.lock(key, 10),
        lambda kv, key: kv.run(lambda uow: uow.get(key)),
        lambda kv, key: kv.run(lambda uow: uow.set(key, b"v")),
    ],
)
def test_too_long_key_is_refused_everywhere(kv, call):
    key = "k" * 151
    with pytest.raises(KeyTooLongError, match="151 characters.*limit is 150") as info:
        call(kv, key)
    assert info.value.key == key
    assert Engine(kv).size() == 0


@pytest.mark.parametrize("key", ["", None, 42, b"bytes"])
def test_empty_or_non_text_key_is_refused(kv, key):
    with pytest.raises(InvalidKeyError):
        kv.set(key, b"v")
    assert Engine(kv).size() == 0


def test_key_errors_are_kv_errors_and_value_errors():
    assert issubclass(KeyTooLongError, kvstore.InvalidKeyError)
    assert issubclass(KeyTooLongError, kvstore.KVError)
    assert issubclass(KeyTooLongError, ValueError)


def test_get_many_returns_every_requested_key_in_one_round_trip(kv):
    kv.set("a", b"1")
    kv.set("c", b"3")
    before = kv.round_trips
    assert kv.get_many(["a", "b", "c"]) == {"a": b"1", "b": None, "c": b"3"}
    assert kv.round_trips - before == 1
    assert kv.get_many([]) == {}
    assert kv.round_trips - before == 1


def test_ping(kv):
    assert kv.ping() is True
