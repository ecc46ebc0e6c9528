"""The outbox's consumer (``lotto.delivery``): messages are committed with the change and
delivered after it, in fair turns between rotations, each reader's in order; a failed
delivery keeps them for later, and only a permanent refusal dead-letters one."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import kvstore
from lotto import delivery
from lotto.errors import DeliveryError
from lotto.model.notice import Notice
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE, new_message
from lotto.model.record import encode
from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import dump

NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


def _script(kv: kvstore.KVStore, **kw) -> Script:
    s = Script(kv, **kw)
    s.run("rotation new ICE --beginning 2030-01-07T09:00 --period weekly", now=NOW)
    return s


class _Sink:
    """A send that records what it got, failing for now while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.sent: list[tuple[str, str, int | None]] = []
        self.lock = threading.Lock()

    def __call__(self, message, text: str, earlier_ms: int | None) -> None:
        if self.down:
            raise DeliveryError("Mattermost is unavailable", permanent=False)
        with self.lock:
            self.sent.append((message.notice.user_id, text, earlier_ms))


def _deliver(s: Script, send, **kw) -> delivery.DeliveryReport:
    return delivery.deliver(s.kv, s.env.message_text, send, **kw)


def _queue(kv, user_id: str, rotation_id: str, n: int = 1) -> list[str]:
    """Push ``n`` messages to ``user_id`` about ``rotation_id``; their ids, in order."""
    ids = []
    for _ in range(n):
        notice = Notice(kind="left", user_id=user_id, actor_id="boss", rotation_id=rotation_id)
        message = new_message(notice, NOW)
        kv.queue(OUTBOX_QUEUE).push(encode(message))
        ids.append(message.message_id)
    return ids


def test_messages_are_delivered_after_the_command_and_the_outbox_empties(kv):
    s = _script(kv)
    s.run("user join ICE @ann @bob", now=NOW)
    kinds = [text.split("\n")[0] for _, text in s.poster.sent]
    # One welcome per join (issue 8): the rotation's, which also introduces Solar Lottery.
    assert [uid for uid, _ in s.poster.sent] == ["ann", "bob"]
    assert kinds[0].startswith("#### Welcome to rotation **ICE**")
    assert kv.queue(OUTBOX_QUEUE).length() == 0


def test_messages_wait_in_order_while_delivery_fails_and_each_arrives_once(kv):
    s = _script(kv)
    sink = _Sink()
    sink.down = True
    s.env = s.env.replace(deliver=lambda: _deliver(s, sink))  # the outage, as the shim sees it
    s.run("user join ICE @ann", now=NOW)
    s.run("user join ICE @bob", now=NOW)
    s.run("user leave ICE @ann", now=NOW)
    queue = kv.queue(OUTBOX_QUEUE)
    assert queue.length() == 3
    report = _deliver(s, sink)
    assert report.retry and report.sent == 0 and queue.length() == 3
    sink.down = False
    report = _deliver(s, sink)
    assert report.sent == 3 and report.waiting == 0
    assert [(uid, text.split("\n")[0]) for uid, text, _ in sink.sent] == [
        ("ann", "#### Welcome to rotation **ICE**!"),
        ("bob", "#### Welcome to rotation **ICE**!"),
        ("ann", "@test-user removed you from rotation **ICE**."),
    ]
    # Each was tried before (during the outage): send is told when, to look first.
    assert all(earlier is not None for *_, earlier in sink.sent)
    assert _deliver(s, sink).sent == 0  # nothing is sent twice


def test_a_message_refused_for_good_goes_to_the_dead_letters_and_the_rest_go_on(kv):
    s = _script(kv)
    sent: list[str] = []

    def send(message, text, earlier_ms):
        if message.notice.user_id == "ann":
            raise DeliveryError("Mattermost refused it: 403", permanent=True)
        sent.append(message.notice.user_id)

    s.env = s.env.replace(deliver=lambda: None)
    s.run("user join ICE @ann @bob", now=NOW)
    report = _deliver(s, send)
    assert (report.sent, report.dead, report.waiting) == (1, 1, 0)
    assert sent == ["bob"]
    assert kv.queue(DEAD_QUEUE).length() == 1


def test_a_store_error_while_sending_is_retried_never_dead_lettered(kv):
    """Issue 15: a BackendNoAnswerError in the middle of sending dead-lettered a good message."""
    s = _script(kv)
    s.env = s.env.replace(deliver=lambda: None)
    s.run("user join ICE @ann", now=NOW)
    sink = _Sink()
    failures = [kvstore.BackendNoAnswerError("Redis did not answer in time")]

    def send(message, text, earlier_ms):
        if failures:
            raise failures.pop()
        sink(message, text, earlier_ms)

    report = _deliver(s, send)
    assert report.retry and report.dead == 0 and report.sent == 0
    assert kv.queue(DEAD_QUEUE).length() == 0 and kv.queue(OUTBOX_QUEUE).length() == 1
    report = _deliver(s, send)
    assert (report.sent, report.dead, report.waiting) == (1, 0, 0)
    assert [uid for uid, *_ in sink.sent] == ["ann"]


def test_any_unexpected_failure_of_send_is_retried_too(kv):
    s = _script(kv)
    s.env = s.env.replace(deliver=lambda: None)
    s.run("user join ICE @ann", now=NOW)

    def send(message, text, earlier_ms):
        raise RuntimeError("a bug in sending")

    report = _deliver(s, send)
    assert report.retry and report.dead == 0
    assert kv.queue(OUTBOX_QUEUE).length() == 1 and kv.queue(DEAD_QUEUE).length() == 0


def test_an_unreadable_entry_is_set_aside_not_retried_forever(kv):
    s = _script(kv)
    kv.queue(OUTBOX_QUEUE).push(b'{"not": "a message"}')
    s.run("user join ICE @ann", now=NOW)
    assert kv.queue(OUTBOX_QUEUE).length() == 0
    assert kv.queue(DEAD_QUEUE).peek(5) == [b'{"not": "a message"}']
    assert [uid for uid, _ in s.poster.sent] == ["ann"]


def test_a_busy_deliverer_elsewhere_is_left_alone(kv):
    s = _script(kv)
    s.env = s.env.replace(deliver=lambda: None)
    s.run("user join ICE @ann", now=NOW)
    held = kv.queue(OUTBOX_QUEUE).lease(30)
    assert held is not None
    report = s.env.deliver_now()
    assert report.busy and s.poster.sent == []
    held.release()
    assert s.env.deliver_now().sent == 1


def test_the_lease_is_released_after_a_round_whatever_happened(kv):
    s = _script(kv)
    s.env = s.env.replace(deliver=lambda: None)
    s.run("user join ICE @ann", now=NOW)
    sink = _Sink()
    sink.down = True
    assert _deliver(s, sink).retry
    lease = kv.queue(OUTBOX_QUEUE).lease(30)  # free again: the next round need not wait
    assert lease is not None
    lease.release()


def test_a_failed_command_puts_nothing_in_the_outbox(kv):
    s = _script(kv)
    s.env = s.env.replace(deliver=lambda: None)
    before = dump(kv)
    out = s.try_("user join NOPE @ann", now=NOW)
    assert not out.ok
    assert kv.queue(OUTBOX_QUEUE).length() == 0
    assert dump(kv) == before


def test_a_channel_notice_is_posted_in_its_channel(kv):
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
    assert s.env.deliver_now().sent == 1
    assert s.poster.sent == [] and [c for c, _ in s.poster.posts] == ["chan1"]


def test_rotations_take_turns_so_a_burst_holds_up_no_other_rotation(kv):
    """Issue 19: one rotation's 2,000 messages delayed every other DM."""
    s = _script(kv)
    _queue(kv, "crowd", "BIG", 300)
    _queue(kv, "bob", "SMALL")
    _queue(kv, "cid", "")  # about no rotation: a lane of its own
    sink = _Sink()
    report = _deliver(s, sink, batch=10, max_messages=10)
    assert report.sent == 10 and report.waiting == 292
    # The first batch already has SMALL's and the no-rotation message, each in its turn.
    assert [uid for uid, *_ in sink.sent][:3] == ["crowd", "bob", "cid"]
    assert _deliver(s, sink).sent == 292
    assert kv.queue(OUTBOX_QUEUE).length() == 0


def test_lanes_keep_their_order_and_take_turns_across_batches(kv):
    s = _script(kv)
    for i in range(4):
        for rotation in ("A", "B", "C"):
            notice = Notice(
                kind="left", user_id=f"{rotation}{i}", actor_id="x", rotation_id=rotation
            )
            kv.queue(OUTBOX_QUEUE).push(encode(new_message(notice, NOW)))
    sink = _Sink()
    report = _deliver(s, sink, batch=2)
    assert report.sent == 12 and report.batches == 6
    order = [uid for uid, *_ in sink.sent]
    # Batches of two: A0 B0 | C0 A1 | B1 C1 | ... each lane in its order, turns kept.
    assert order == ["A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]


def test_readers_are_posted_to_at_once_each_in_order(kv):
    s = _script(kv)
    pushed: dict[str, list[str]] = {}
    for i in range(12):
        pushed.setdefault(f"u{i % 3}", []).extend(_queue(kv, f"u{i % 3}", "ICE"))
    seen: dict[str, list[str]] = {}
    threads: set[str] = set()
    lock = threading.Lock()

    def send(message, text, earlier_ms):
        with lock:
            seen.setdefault(message.notice.user_id, []).append(message.message_id)
            threads.add(threading.current_thread().name)

    report = _deliver(s, send, workers=3)
    assert report.sent == 12 and report.waiting == 0
    assert seen == pushed  # each reader's messages in the order they were committed
    assert threads and all(name.startswith("outbox-send") for name in threads)


def test_a_batch_costs_a_few_round_trips_not_five_per_message(kv):
    s = _script(kv)
    _queue(kv, "ann", "ICE", 40)
    sink = _Sink()
    before = kv.round_trips
    report = _deliver(s, sink, batch=50)
    assert report.sent == 40
    # lease, route (read + move), peek, note, pop, length, release: one batch.
    assert kv.round_trips - before <= 9
