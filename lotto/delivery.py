"""Delivering the outbox: fair batches, each message once as its reader sees it
(docs/design.md §7 "The outbox").

The service stores every message a change causes in the outbox, in the same
commit as the change (:mod:`lotto.model.outbox`). :func:`deliver` works through
it, given two callbacks: ``render(message)`` (the Markdown for its reader: the
command layer's ``Env.message_text``) and ``send(message, text, earlier_ms)``
(the CLI prints, the shim posts to Mattermost, ``shim.outbox``). It never runs
inside a command's deadline: the shim's commands only wake its worker thread, the
CLI delivers after its command is done.

One round, under the outbox's lease (one deliverer at a time across every
process sharing the store; ``kvstore.queue`` fences every step with it):

1. **Route** what was committed since the last round (the queue's intake) into
   one lane per rotation (``lane_of``), in commit order.
2. **Take a batch** of up to ``batch`` messages in fair turns: the first message
   of each rotation's lane, then the second of each, … One rotation's burst of
   thousands therefore delays another rotation's message by at most one batch.
3. **Note the attempts** of the whole batch in one round trip (renewing the lease):
   the answer says which messages were tried before. ``send`` gets that time, and
   for such a message first looks at what is already posted (the shim lists the
   channel's posts since then and posts only the parts not there), so a message
   whose earlier post went through but whose reply was lost is not posted twice.
4. **Send** the batch: each reader's messages one after the other, in lane order
   (``reader_of``), different readers at once on up to ``workers`` threads; the
   lease is renewed once half of it is gone, and a reader's sending stops if it
   is lost.
5. **Remove** what was sent, and move what can never be sent to the dead letters,
   in one script that also renews the lease and sends the lanes that had a turn
   to the back of the line.

Then the next batch, until the outbox is empty, ``max_messages`` went out, or a
send failed for now. The lease is released with a budget of its own, so a round
cut short by a store error does not leave it held for its whole lifetime.

What is a dead letter: only a message Mattermost refuses for good (``send``
raises :class:`lotto.errors.DeliveryError` with ``permanent=True``), an entry that
is not a readable message, and one rendering fails on with a bug (retrying cannot
help; ``lotto-store outbox --requeue-dead`` retries them after a fix). Everything
else — Mattermost down or slow, the directory out, the store not answering while
sending — leaves the message where it is for the next round (the caller backs off).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import msgspec

from kvstore.errors import KVError
from lotto.errors import DeliveryError, LottoError
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE, OutboxMessage, lane_of, reader_of
from lotto.model.record import decode
from lotto.ports import Lease, Queue, Store

__all__ = ["Render", "Send", "DeliveryReport", "deliver", "BATCH"]

log = logging.getLogger("lotto.delivery")

#: ``render(message)``: the Markdown text of ``message`` for its reader.
Render = Callable[[OutboxMessage], str]

#: Messages per batch (each batch: one round trip to take it, one to note its attempts,
#: one to remove it, and routing when something new was committed).
BATCH = 50
_ROUTE_CHUNK = 200  # intake entries read per routing step
_ROUTE_MOST = 5000  # routed before each batch at most, so a batch follows soon
_SENT, _DEAD, _RETRY = "sent", "dead", "retry"


class Send(Protocol):
    """Deliver ``text`` (Markdown) for ``message``; raise :class:`DeliveryError`.

    ``earlier_ms`` is when (Unix ms) the first attempt at this message began, if it
    was tried before: parts of it may already be out.
    """

    def __call__(self, message: OutboxMessage, text: str, earlier_ms: int | None) -> None: ...


@dataclass
class DeliveryReport:
    """What one :func:`deliver` round did."""

    sent: int = 0
    dead: int = 0
    #: Another deliverer held the lease (it delivers instead).
    busy: bool = False
    #: A message is waiting for a retry (a send or the store failed for now).
    retry: bool = False
    #: Messages still waiting when the round ended (None: the store did not say).
    waiting: int | None = 0
    #: Batches taken.
    batches: int = 0


class _LeaseLost(Exception):
    """The outbox's lease ran out or was taken over: whoever holds it now goes on."""


def deliver(
    kv: Store,
    render: Render,
    send: Send,
    *,
    batch: int = BATCH,
    workers: int = 1,
    max_messages: int = 1000,
    lease_seconds: float = 30.0,
    release_seconds: float = 1.0,
) -> DeliveryReport:
    """One delivery round (see the module doc); blocking, never raises for store errors."""
    queue, dead = kv.queue(OUTBOX_QUEUE), kv.queue(DEAD_QUEUE)
    report = DeliveryReport()
    try:
        lease = queue.lease(lease_seconds)
    except KVError as exc:
        log.warning("could not take the outbox's lease, will retry: %s", exc)
        report.retry, report.waiting = True, None
        return report
    if lease is None:
        report.busy = True
        return report
    run = _Round(queue, dead, lease, render, send, lease_seconds, workers)
    try:
        run.batches(report, batch, max_messages)
        report.waiting = queue.length()
    except _LeaseLost:  # another deliverer took over
        report.busy, report.waiting = True, None
    except KVError as exc:
        log.warning("the store failed while delivering the outbox, will retry: %s", exc)
        report.retry, report.waiting = True, None
    finally:
        run.close()
        _release(kv, lease, release_seconds)
    return report


def _release(kv: Store, lease: Lease, seconds: float) -> None:
    try:
        with kv.deadline(time.monotonic() + seconds):
            lease.release()
    except KVError as exc:
        log.warning("could not release the outbox's lease (it runs out by itself): %s", exc)


@dataclass
class _Item:
    lane: str
    raw: bytes
    message: OutboxMessage


def _latest_headers(items: list[_Item]) -> tuple[list[_Item], list[_Item]]:
    """``items`` without the header changes a later one of the same rotation and channel
    supersedes (kept, superseded)."""
    last: dict[tuple[str, str], int] = {}
    for n, item in enumerate(items):
        if item.message.notice.kind == "header":
            last[(item.message.notice.rotation_id, item.message.channel_id)] = n
    kept: list[_Item] = []
    superseded: list[_Item] = []
    for n, item in enumerate(items):
        notice = item.message.notice
        key = (notice.rotation_id, item.message.channel_id)
        (superseded if notice.kind == "header" and last[key] != n else kept).append(item)
    return kept, superseded


class _Round:
    """One lease's worth of batches."""

    def __init__(
        self,
        queue: Queue,
        dead: Queue,
        lease: Lease,
        render: Render,
        send: Send,
        ttl: float,
        workers: int,
    ) -> None:
        self.queue, self.dead, self.lease = queue, dead, lease
        self.render, self.send, self.ttl = render, send, ttl
        self._renewed = time.monotonic()
        self._lost = False
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._earlier: dict[str, int] = {}
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="outbox-send")
            if workers > 1
            else None
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def batches(self, report: DeliveryReport, size: int, most: int) -> None:
        intake = 1  # unknown: look
        while report.sent + report.dead < most:
            if intake:
                self._route()
            picks, intake = self.queue.peek_fair(min(size, most - report.sent - report.dead))
            if not picks:
                return
            report.batches += 1
            if not self._one_batch(picks, report):
                report.retry = True
                return

    def _route(self) -> None:
        routed = 0
        while routed < _ROUTE_MOST:
            entries = self.queue.unrouted(_ROUTE_CHUNK)
            if not entries:
                return
            moved = self.queue.route(self.lease, [lane_of(raw) for raw in entries])
            if moved is None:
                raise _LeaseLost()
            routed += moved
            if moved < _ROUTE_CHUNK:
                return

    def _one_batch(self, picks: Sequence[tuple[str, bytes]], report: DeliveryReport) -> bool:
        """Send one batch; False when a message must wait for a retry."""
        handled: list[tuple[str, bytes, str, bool]] = []
        items: list[_Item] = []
        for lane, raw in picks:
            try:
                items.append(_Item(lane, raw, decode(OutboxMessage, raw)))
            except msgspec.MsgspecError as exc:
                # Hand-edited, or written by a newer version: retrying cannot help, so
                # keep it aside for an operator.
                log.error("moving an unreadable outbox entry to %s: %s", DEAD_QUEUE, exc)
                handled.append((lane, raw, "", True))
        items, superseded = _latest_headers(items)
        # An older header line of a channel than one in the same batch is never sent:
        # only the latest matters, and it says everything the older one did.
        handled += [(i.lane, i.raw, i.message.message_id, False) for i in superseded]
        earlier = self.queue.note_attempts(
            self.lease, [i.message.message_id for i in items], int(time.time() * 1000), self.ttl
        )
        if earlier is None:
            raise _LeaseLost()
        self._renewed, self._earlier = time.monotonic(), earlier
        outcomes = self._send_all(items)
        for item, outcome in outcomes:
            if outcome != _RETRY:
                handled.append((item.lane, item.raw, item.message.message_id, outcome == _DEAD))
        if handled:
            lanes = list(dict.fromkeys(lane for lane, _ in picks))
            if not self.queue.pop_fair(self.lease, lanes, handled, self.ttl, move_to=self.dead):
                raise _LeaseLost()
            self._renewed = time.monotonic()
        report.dead += sum(1 for *_, moved in handled if moved)
        report.sent += sum(1 for _, outcome in outcomes if outcome == _SENT) + len(superseded)
        if self._lost:
            raise _LeaseLost()
        return not self._stop.is_set()

    def _send_all(self, items: list[_Item]) -> list[tuple[_Item, str]]:
        if self._pool is None:
            return self._in_order(items)
        readers: dict[str, list[_Item]] = {}
        for item in items:
            readers.setdefault(reader_of(item.message), []).append(item)
        futures = [self._pool.submit(self._in_order, seq) for seq in readers.values()]
        return [pair for future in futures for pair in future.result()]

    def _in_order(self, items: list[_Item]) -> list[tuple[_Item, str]]:
        """Send ``items`` one after the other; stop at the first that must wait."""
        done: list[tuple[_Item, str]] = []
        for item in items:
            if self._stop.is_set() or not self._still_held():
                break
            outcome = self._deliver_one(item.message)
            done.append((item, outcome))
            if outcome == _RETRY:
                self._stop.set()  # Mattermost is likely out: the others stop too
                break
        return done

    def _still_held(self) -> bool:
        """Whether the lease holds; renews it once half of its lifetime is gone."""
        with self._guard:
            if self._lost:
                return False
            if time.monotonic() - self._renewed < self.ttl / 2:
                return True
            try:
                self._lost = not self.lease.extend(self.ttl)
            except KVError as exc:
                log.warning("could not renew the outbox's lease: %s", exc)
                self._lost = True
            self._renewed = time.monotonic()
            return not self._lost

    def _deliver_one(self, message: OutboxMessage) -> str:
        try:
            text = self.render(message)
        except LottoError as exc:
            # The directory is out (rendering names a user): like Mattermost being down.
            log.warning("could not render an outbox message, will retry: %s", exc)
            return _RETRY
        except Exception:
            log.exception("moving an outbox message that cannot be rendered to %s", DEAD_QUEUE)
            return _DEAD
        try:
            self.send(message, text, self._earlier.get(message.message_id))
        except DeliveryError as exc:
            if exc.context.get("permanent"):
                log.error("moving an undeliverable message to %s: %s", DEAD_QUEUE, exc)
                return _DEAD
            log.warning("could not deliver an outbox message, will retry: %s", exc)
            return _RETRY
        except KVError as exc:
            log.warning("the store failed while sending an outbox message, will retry: %s", exc)
            return _RETRY
        except Exception:
            # Not Mattermost refusing it: never a reason to give a message up.
            log.exception("sending an outbox message failed, will retry")
            return _RETRY
        return _SENT
