"""The outbox through the command layer: messages are committed with the change and
delivered after it, oldest first; a failed delivery keeps them for later."""

from __future__ import annotations

from datetime import UTC, datetime

import kvstore
from lotto.commands import delivery
from lotto.errors import DeliveryError
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import dump

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def _script(kv: kvstore.KVStore, **kw) -> Script:
    s = Script(kv, **kw)
    s.run("rotation new ICE --beginning 2030-01-07T09:00 --period weekly", now=NOW)
    return s


def test_messages_are_delivered_after_the_command_and_the_outbox_empties(kv):
    s = _script(kv)
    s.run("user join ICE @ann @bob", now=NOW)
    kinds = [text.split("\n")[0] for _, text in s.poster.sent]
    assert [uid for uid, _ in s.poster.sent] == ["ann", "bob", "ann", "bob"]
    assert kinds[0].startswith("#### Welcome to Solar Lottery")
    assert kv.queue(OUTBOX_QUEUE).length() == 0


class _Down:
    """A send that fails for now, like a Mattermost outage, until ``up``."""

    def __init__(self) -> None:
        self.up = False
        self.sent: list[tuple[str, str]] = []

    def __call__(self, message, text: str) -> None:
        if not self.up:
            raise DeliveryError("Mattermost is unavailable", permanent=False)
        self.sent.append((message.notice.user_id, text))


def test_messages_wait_in_order_while_delivery_fails_and_each_arrives_once(kv):
    s = _script(kv)
    down = _Down()
    s.env._deliver = lambda: delivery.deliver(s.env, down)  # the outage, as the shim sees it
    s.run("user join ICE @ann", now=NOW)
    s.run("user join ICE @bob", now=NOW)
    s.run("user leave ICE @ann", now=NOW)
    queue = kv.queue(OUTBOX_QUEUE)
    assert queue.length() == 5
    report = delivery.deliver(s.env, down)
    assert report.retry and report.sent == 0 and queue.length() == 5
    down.up = True
    report = delivery.deliver(s.env, down)
    assert report.sent == 5 and report.waiting == 0
    assert [(uid, text.split("\n")[0]) for uid, text in down.sent] == [
        ("ann", "#### Welcome to Solar Lottery!"),
        ("ann", "#### Welcome to rotation **ICE**!"),
        ("bob", "#### Welcome to Solar Lottery!"),
        ("bob", "#### Welcome to rotation **ICE**!"),
        ("ann", "@test-user removed you from rotation **ICE**."),
    ]
    assert delivery.deliver(s.env, down).sent == 0  # nothing is sent twice


def test_a_message_refused_for_good_goes_to_the_dead_letters_and_the_rest_go_on(kv):
    s = _script(kv)
    sent: list[str] = []

    def send(message, text):
        if message.notice.user_id == "ann":
            raise DeliveryError("Mattermost refused it: 403", permanent=True)
        sent.append(message.notice.user_id)

    s.env._deliver = lambda: None
    s.run("user join ICE @ann @bob", now=NOW)
    report = delivery.deliver(s.env, send)
    assert (report.sent, report.dead, report.waiting) == (2, 2, 0)
    assert sent == ["bob", "bob"]
    assert kv.queue(DEAD_QUEUE).length() == 2


def test_an_unreadable_entry_is_set_aside_not_retried_forever(kv):
    s = _script(kv)
    kv.queue(OUTBOX_QUEUE).push(b'{"not": "a message"}')
    s.run("user join ICE @ann", now=NOW)
    assert kv.queue(OUTBOX_QUEUE).length() == 0
    assert kv.queue(DEAD_QUEUE).peek(5) == [b'{"not": "a message"}']
    assert [uid for uid, _ in s.poster.sent] == ["ann", "ann"]


def test_a_busy_deliverer_elsewhere_is_left_alone(kv):
    s = _script(kv)
    s.env._deliver = lambda: None
    s.run("user join ICE @ann", now=NOW)
    held = kv.queue(OUTBOX_QUEUE).lease(30)
    assert held is not None
    report = delivery.deliver(s.env)
    assert report.busy and s.poster.sent == []
    held.release()
    assert delivery.deliver(s.env).sent == 2


def test_a_failed_command_puts_nothing_in_the_outbox(kv):
    s = _script(kv)
    s.env._deliver = lambda: None
    before = dump(kv)
    out = s.try_("user join NOPE @ann", now=NOW)
    assert not out.ok
    assert kv.queue(OUTBOX_QUEUE).length() == 0
    assert dump(kv) == before


def test_a_channel_notice_is_posted_in_its_channel(kv):
    from lotto.model.notice import Notice
    from lotto.model.outbox import new_message
    from lotto.model.record import encode

    s = _script(kv)
    notice = Notice(
        kind="welcome",
        user_id="",
        actor_id="",
        rotation_id="ICE",
        channel_id="chan1",
        channel_name="oncall",
    )
    kv.queue(OUTBOX_QUEUE).push(encode(new_message(notice, NOW, channel_id="chan1")))
    assert delivery.deliver(s.env).sent == 1
    assert s.poster.sent == [] and [c for c, _ in s.poster.posts] == ["chan1"]
