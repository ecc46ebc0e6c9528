"""A calendar feed whose store is down answers 503 (StoreUnavailable), not 400 or 500."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

import kvstore
from lotto.commands import Env
from lotto.local import LocalDirectory, RecordingPoster
from shim.calendar import _render
from shim.errors import StoreUnavailable, http_status


def test_a_feed_on_an_unreachable_store_is_store_unavailable(plugin_id):
    kv = kvstore.open("redis://127.0.0.1:1/0", plugin_id)  # nothing listens on port 1
    try:
        runtime = SimpleNamespace(
            env=Env(kv, LocalDirectory("UTC"), RecordingPoster()),
            bot_user_id="bot",
            store=kv,
            command_deadline=lambda: time.monotonic() + 5,
        )
        with pytest.raises(StoreUnavailable) as info:
            _render(runtime, "ICE", "", "")
    finally:
        kv.close()
    assert http_status(info.value) == 503
