"""Two plugin ids on one Redis never see each other's keys."""

from __future__ import annotations

import pytest

import kvstore
from kvstore import InvalidArgumentError

from .helpers import Engine

OTHER = "com.example.other-plugin"


@pytest.fixture
def other(store_url):
    store = kvstore.open(store_url, OTHER)
    yield store
    store.close()


def test_same_key_under_two_plugin_ids_is_two_records(kv, other):
    kv.set("rotation:SET", b"mine")
    other.set("rotation:SET", b"theirs")
    assert kv.get("rotation:SET") == b"mine"
    assert other.get("rotation:SET") == b"theirs"


def test_each_plugin_lists_only_its_own_keys(kv, other):
    kv.set("a", b"1")
    other.set("b", b"2")
    assert kv.list_keys(0, 10) == ["a"]
    assert other.list_keys(0, 10) == ["b"]


def test_delete_all_leaves_other_plugins_alone(kv, other):
    kv.set("a", b"1")
    other.set("a", b"2")
    other.set("b", b"3")
    kv.delete_all()
    assert kv.list_keys(0, 10) == []
    assert other.list_keys(0, 10) == ["a", "b"]


def test_compare_and_set_is_per_plugin(kv, other):
    other.set("k", b"theirs")
    assert kv.compare_and_set("k", None, b"mine") is True
    assert other.get("k") == b"theirs"


def test_plugin_id_that_is_a_prefix_of_another_does_not_leak(store_url):
    short = kvstore.open(store_url, "com.example")
    longer = kvstore.open(store_url, "com.example.more")
    try:
        longer.set("x", b"1")
        short.set("y", b"2")
        assert short.list_keys(0, 10) == ["y"]
        assert longer.list_keys(0, 10) == ["x"]
    finally:
        short.close()
        longer.close()


def test_units_of_work_are_namespaced(kv, other):
    other.set("k", b"theirs")
    assert kv.run(lambda uow: uow.get("k")) is None
    kv.run(lambda uow: uow.set("k", b"mine"))
    assert other.get("k") == b"theirs"


def test_raw_keys_are_readable_for_operators(kv, plugin_id):
    kv.set("rotation:SET", b"{}")
    kv.set("task:SET#3", b"{}")
    kv.set("user:abc123", b"{}")
    kv.set("index:active_rotations", b"{}")
    raw = Engine(kv).keys()
    assert raw == [
        f"{plugin_id}:index:active_rotations",
        f"{plugin_id}:rotation:SET",
        f"{plugin_id}:task:SET#3",
        f"{plugin_id}:user:abc123",
    ]


def test_keys_with_glob_characters_are_stored_literally(kv, other):
    kv.set("a*", b"1")
    kv.set("b?[x]", b"2")
    other.set("a-other", b"3")
    assert kv.list_keys(0, 10) == ["a*", "b?[x]"]


@pytest.mark.parametrize("bad", ["", "has:colon", "has/slash", "space here", "glob*", None])
def test_invalid_plugin_id_is_refused(store_url, bad):
    with pytest.raises(InvalidArgumentError, match="plugin id"):
        kvstore.open(store_url, bad)
