"""Store URLs: memory servers shared by name, real Redis over TCP and unix sockets."""

from __future__ import annotations

import socket
import uuid

import pytest

import kvstore
from kvstore import InvalidArgumentError
from kvstore.backends import discard_memory, redact

PLUGIN = "com.mattermost.solar-lottery"


def test_same_memory_name_shares_one_server():
    url = f"memory://shared-{uuid.uuid4().hex}"
    a, b = kvstore.open(url, PLUGIN), kvstore.open(url, PLUGIN)
    try:
        a.set("k", b"v")
        assert b.get("k") == b"v"
    finally:
        a.close()
        b.close()
        discard_memory(url)


def test_different_memory_names_are_separate():
    url1, url2 = f"memory://a-{uuid.uuid4().hex}", f"memory://b-{uuid.uuid4().hex}"
    a, b = kvstore.open(url1, PLUGIN), kvstore.open(url2, PLUGIN)
    try:
        a.set("k", b"v")
        assert b.get("k") is None
    finally:
        a.close()
        b.close()
        discard_memory(url1)
        discard_memory(url2)


def test_memory_data_outlives_a_closed_store():
    url = f"memory://{uuid.uuid4().hex}"
    with kvstore.open(url, PLUGIN) as store:
        store.set("k", b"v")
    with kvstore.open(url, PLUGIN) as store:
        assert store.get("k") == b"v"
    discard_memory(url)


def test_unix_socket_url_reaches_the_same_server(redis_url, redis_unix_url):
    tcp, unix = (
        kvstore.open(redis_url, "com.example.unix-test"),
        kvstore.open(redis_unix_url, "com.example.unix-test"),
    )
    try:
        tcp.set("k", b"via tcp")
        assert unix.get("k") == b"via tcp"
        tcp.delete_all()
    finally:
        tcp.close()
        unix.close()


@pytest.mark.parametrize(
    "url", ["http://localhost", "postgres://x/y", "", "localhost:6379", "memory:/x"]
)
def test_unsupported_urls_are_refused(url):
    with pytest.raises(InvalidArgumentError):
        kvstore.open(url, PLUGIN)


def test_redact_hides_passwords():
    assert redact("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact("redis://host:6379/0") == "redis://host:6379/0"


def test_redact_masks_every_url_in_a_text_and_whole_passwords():
    assert (
        redact("cannot reach redis://:pw@h:6379/0 nor https://u:p@ss@x/y (rediss://h:1)")
        == "cannot reach redis://:***@h:6379/0 nor https://u:***@x/y (rediss://h:1)"
    )
    assert redact("unix://:pw@/tmp/redis.sock?db=1") == "unix://:***@/tmp/redis.sock?db=1"
    assert redact("redis://user@host:6379/0") == "redis://user@host:6379/0"


def test_error_for_bad_url_does_not_show_the_password():
    with pytest.raises(InvalidArgumentError) as info:
        kvstore.open("http://user:s3cret@host/", PLUGIN)
    assert "s3cret" not in str(info.value)


def test_unreachable_redis_pings_false_and_fails_with_backend_error():
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        store = kvstore.open(f"redis://127.0.0.1:{port}/0?socket_connect_timeout=1", PLUGIN)
        try:
            assert store.ping() is False
            with pytest.raises(kvstore.BackendError) as info:
                store.get("k")
            assert info.value.operation == "get"
            assert info.value.key == "k"
        finally:
            store.close()


def test_bare_memory_url_is_one_process_wide_default_server():
    plugin = f"com.example.bare-{uuid.uuid4().hex[:8]}"
    a, b = kvstore.open("memory://", plugin), kvstore.open("memory://", plugin)
    try:
        a.set("k", b"v")
        assert b.get("k") == b"v"
    finally:
        a.delete_all()
        a.close()
        b.close()
