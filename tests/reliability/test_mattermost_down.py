"""Mattermost down, then back: every message committed meanwhile arrives exactly once.

Two ``lotto serve`` replicas share one Redis. With the profiles cached, the
fake Mattermost stops for ``LOTTO_OUTAGE_SECONDS`` (default 120, as in the issue
that asked for it) while 20 message-producing commands run through both
replicas; once it is back, the replicas' outbox workers deliver every message,
once, and the outbox is empty.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter

import pytest

import kvstore
from lotto.model.outbox import OUTBOX_QUEUE
from shim.outbox import OUTBOX_PROP
from tests.shim.conftest import ROOT, wait_for

OUTAGE = float(os.environ.get("LOTTO_OUTAGE_SECONDS", "120"))
MEMBERS = 20


@pytest.fixture
def plugin_json(tmp_path):
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.outage-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    return str(path), manifest["id"]


def _outbox_health(shim, waiting):
    body = shim.http.get("/healthz").json()
    outbox = body.get("outbox") or {}
    return outbox if outbox.get("waiting") == waiting else None


def test_messages_sent_during_an_outage_arrive_once_after_it(
    fake_mm, redis_url, start_shim, plugin_json
):
    path, plugin_id = plugin_json
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    members = [fake_mm.add_user(f"member{i:02d}") for i in range(MEMBERS)]
    flags = ("--plugin-json", path, "--autopilot-interval", "0")
    env = {"LOTTO_CACHE_TTL": "3600", "LOTTO_OUTBOX_POLL": "0.5"}
    a = start_shim(fake_mm, redis_url, *flags, **env)
    b = start_shim(fake_mm, redis_url, *flags, **env)
    names = " ".join(f"@{m['username']}" for m in members)
    for line in ("rotation new OUT --beginning 2030-01-07T09:00", f"user join OUT {names}"):
        text = a.slash(line, boss).json()["text"]
        assert "Command failed" not in text, text
    for shim in (a, b):  # both replicas know every profile before the outage
        assert "Command failed" not in shim.slash(f"user show {names}", boss).json()["text"]
    wait_for(lambda: all(len(fake_mm.dms(m["id"])) == 2 for m in members))
    posts_before = len(fake_mm.posts)

    fake_mm.down()
    try:
        started = time.monotonic()
        for i, m in enumerate(members):
            shim = a if i % 2 == 0 else b
            reply = shim.slash(f"user leave OUT @{m['username']}", boss)
            assert reply.status_code == 200 and "Command failed" not in reply.json()["text"]
        with kvstore.open(redis_url, plugin_id) as kv:
            assert kv.queue(OUTBOX_QUEUE).length() == MEMBERS
        # Operators see the backlog in /healthz (as each replica's worker last saw it).
        health = wait_for(lambda: _outbox_health(a, MEMBERS), timeout=15)
        assert health["oldest_age_seconds"] >= 0 and health["dead"] == 0
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))  # the outage itself
        assert len(fake_mm.posts) == posts_before
    finally:
        fake_mm.up()

    def delivered():
        return all(len(fake_mm.dms(m["id"])) == 3 for m in members)

    wait_for(delivered, timeout=90, interval=0.2)
    with kvstore.open(redis_url, plugin_id) as kv:
        wait_for(lambda: kv.queue(OUTBOX_QUEUE).length() == 0, timeout=10)
    wait_for(lambda: _outbox_health(b, 0), timeout=15)
    for m in members:
        assert fake_mm.dms(m["id"])[-1] == "@boss removed you from rotation **OUT**."
    counts = Counter(p["props"][OUTBOX_PROP] for p in fake_mm.posts_with_prop(OUTBOX_PROP))
    assert len(counts) == 3 * MEMBERS and set(counts.values()) == {1}
