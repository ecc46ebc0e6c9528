"""A store that stops answering while a message is being sent never dead-letters it.

Issue 15: a ``NoAnswerError`` from Redis in the middle of sending a message was
taken for a message that can never be delivered, and a good message went to the
dead letters. Here Redis (this module's own, never the session's) freezes just as
the shim's outbox worker asks Mattermost for the recipient's direct channel, and
thaws 1.5 s later (the store's timeout is 1 s, so the worker's next store call
gets no answer). The message must still arrive, exactly once, and nothing may be
dead-lettered.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

import kvstore
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from shim.boot import bootstrap
from shim.config import load
from shim.outbox import OUTBOX_PROP
from shim.runtime import Runtime
from tests.reliability.frozen import OwnRedis, own_redis
from tests.shim.conftest import SLASH_TOKEN, wait_for

OUTAGE = 1.5  # seconds Redis stays frozen
TIMEOUT = 1.0  # the store's timeout, shorter than the outage


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    with own_redis(str(tmp_path_factory.mktemp("outbox-redis"))) as own:
        yield own


@pytest.fixture
def runtime(fake_mm, server) -> Iterator[Runtime]:
    plugin = f"com.mattermost.solar-lottery.faults-{uuid.uuid4().hex[:8]}"
    config = load(
        ["--autopilot-interval", "0", "--outbox-poll", "0.2"],
        {
            "LOTTO_STORE": server.url,
            "LOTTO_MATTERMOST_URL": fake_mm.url,
            "LOTTO_BOT_TOKEN": fake_mm.bot_token,
            "LOTTO_SLASH_TOKEN": SLASH_TOKEN,
        },
    )
    store = kvstore.open(server.url, plugin, timeout=TIMEOUT)
    rt = bootstrap(dataclasses.replace(config, plugin_id=plugin), store=store)
    try:
        yield rt
    finally:
        rt.close()


def test_redis_freezing_while_a_message_is_sent_does_not_dead_letter_it(fake_mm, server, runtime):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    ann = fake_mm.add_user("ann")
    ok, text = runtime.execute(boss["id"], "rotation new ICE --beginning 2030-01-07T09:00")
    assert ok, text
    runtime.directory.by_ids([ann["id"]])
    fake_mm.down()  # the welcome waits in the outbox
    try:
        ok, text = runtime.execute(boss["id"], "user join ICE @ann")
        assert ok, text
    finally:
        fake_mm.up()
    assert runtime.store.queue(OUTBOX_QUEUE).length() == 1

    def freeze() -> None:
        os.kill(server.proc.pid, signal.SIGSTOP)
        threading.Timer(OUTAGE, os.kill, (server.proc.pid, signal.SIGCONT)).start()

    def delivered() -> bool:
        try:
            return runtime.store.queue(OUTBOX_QUEUE).length() == 0
        except kvstore.BackendNoAnswerError:  # the test's own look during the freeze
            return False

    fake_mm.before["POST /api/v4/channels/direct"] = freeze
    runtime.outbox.start()
    # Within the lease's 30 s even if Redis was still frozen when it was to be released.
    wait_for(delivered, timeout=45, interval=0.1)
    assert "POST /api/v4/channels/direct" not in fake_mm.before  # the freeze happened
    assert runtime.store.queue(DEAD_QUEUE).length() == 0
    assert [m.split("\n")[0] for m in fake_mm.dms(ann["id"])] == [
        "#### Welcome to rotation **ICE**!"
    ]
    counts = Counter(p["props"][OUTBOX_PROP] for p in fake_mm.posts_with_prop(OUTBOX_PROP))
    assert list(counts.values()) == [1]
    runtime.store.delete_all()
