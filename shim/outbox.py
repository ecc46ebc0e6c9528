"""Delivering the outbox to Mattermost: a background worker and an idempotent send.

Every message a command or the autopilot causes is committed to the outbox
with the change (``lotto.model.outbox``). :class:`OutboxWorker` runs in its own
thread in every replica and runs ``lotto.delivery.deliver`` rounds — fair
batches, one lane per rotation, each reader's messages in order, up to
``workers`` readers posted to at once — with the command layer's renderer
(``Env.message_text``) and :meth:`OutboxWorker.send`. Commands never deliver
themselves: a command that committed messages only wakes the worker (``kick``),
so no delivery runs inside a command's deadline; the worker also looks every
``poll`` seconds (messages committed by other replicas or the CLI, and
retries). The outbox's lease lets one replica deliver at a time. While
Mattermost is down, the waiting messages stay where they are and are retried
with exponential backoff (capped), for as long as it takes.

Exactly once as seen by the reader — the recovery rule
--------------------------------------------------------
A post whose request reached Mattermost but whose reply was lost (timeout,
crash of the replica, lease lost, the store failing before the message was
removed) must not be posted again. So before posting a batch, the deliverer
notes each message's first attempt with the queue
(``kvstore.Queue.note_attempts``: per message id the time of its first attempt,
in the hash ``<plugin id>/queue:outbox.attempts``), and every post it makes
carries the prop ``lotto_outbox_id = <message id>.<part>`` (long messages are
split into parts). If an earlier attempt on the same message is on record,
it may have posted some or all of it: :meth:`OutboxWorker.send` lists the
channel's posts since that attempt's time minus a minute
(``GET /api/v4/channels/{channel_id}/posts?since=…``) and posts only the parts
whose id is not there. A message is removed from the outbox only after every
part is known to be posted. Mattermost refusing a post for good (a 4xx other
than 408/429, e.g. a deleted user's channel) moves the message to the
dead-letter queue; everything else, a store error included, is retried.

A ``header`` message is not a post: it rewrites the on-call line of its
channel's header (``shim.header``), which sets a state and so needs no check of
earlier attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lotto.delivery import DeliveryReport, Render, deliver
from lotto.errors import DeliveryError
from lotto.model.outbox import OutboxMessage
from lotto.store import outbox_backlog
from shim.directory import split_message
from shim.errors import MattermostError, ShimError
from shim.header import HeaderKeeper
from shim.mattermost import MattermostClient

__all__ = ["OutboxWorker", "OUTBOX_PROP"]

_log = logging.getLogger("shim.outbox")

#: The post prop that carries ``<message id>.<part>``: the idempotency key.
OUTBOX_PROP = "lotto_outbox_id"
_LOOKBACK_MS = 60_000  # clocks of the replica and of Mattermost may differ this much


class OutboxWorker:
    """Delivers the outbox to Mattermost from a background thread (see the module doc)."""

    def __init__(
        self,
        render: Render,
        client: MattermostClient,
        store: Any,
        bot_user_id: str,
        *,
        poll: float = 2.0,
        max_backoff: float = 30.0,
        lease_seconds: float = 30.0,
        workers: int = 8,
        props: Callable[[OutboxMessage], dict[str, Any]] | None = None,
    ) -> None:
        self._render = render
        self._workers = max(1, workers)
        # The props a message needs beyond its text (an offer's button: shim.actions).
        self._props = props or (lambda message: {})
        self._client = client
        # ``header`` messages change a channel's header instead of posting (shim.header).
        self._header = HeaderKeeper(client)
        self._store = store
        self._bot_id = bot_user_id
        self._poll = max(0.05, poll)
        self._max_backoff = max_backoff
        self._lease = lease_seconds
        self._kicked = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._channels: dict[str, str] = {}
        self._channels_lock = threading.Lock()
        #: The last round's report (for health checks and tests).
        self.last: DeliveryReport = DeliveryReport()
        # The backlog as last seen by the worker, and when (for /healthz, which must
        # not wait on Redis): (waiting, created of the oldest or None, dead, seen at).
        self._seen: tuple[int, datetime | None, int, datetime] | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._loop, name="outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to stop and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        self._kicked.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def kick(self) -> None:
        """Deliver soon: a command just committed messages."""
        self._kicked.set()

    def _loop(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                self.last = report = self.deliver_once()
            except Exception:  # a bug (store errors come back as a retry): log, wait, retry
                _log.exception("outbox delivery failed")
                report = DeliveryReport(retry=True)
            self._observe()
            if report.retry:
                backoff = min(self._max_backoff, max(0.25, backoff * 2))
                self._wait_out(backoff)  # a kick does not cut a backoff short
                continue
            backoff = 0.0
            if report.waiting and not report.busy:
                continue
            self._kicked.wait(self._poll)
            self._kicked.clear()

    def _wait_out(self, seconds: float) -> None:
        # Look at the backlog now and then meanwhile, so /healthz stays current.
        until = time.monotonic() + seconds
        while not self._stop.is_set() and (left := until - time.monotonic()) > 0:
            self._stop.wait(min(left, self._poll))
            self._observe()

    def _observe(self) -> None:
        try:
            now = datetime.now(UTC)
            backlog = outbox_backlog(self._store, now)
        except Exception:
            return  # the store is out: /healthz says so on its own
        created = now - timedelta(seconds=backlog.oldest_age_seconds) if backlog.waiting else None
        self._seen = (backlog.waiting, created, backlog.dead, now)

    def status(self, now: datetime) -> dict[str, Any]:
        """The backlog as last seen (for ``/healthz``): waiting messages, the oldest's age,
        dead letters, and how long ago the worker looked."""
        if self._seen is None:
            return {"waiting": None, "oldest_age_seconds": None, "dead": None}
        waiting, created, dead, seen = self._seen
        age = (now - created).total_seconds() if created is not None else 0.0
        return {
            "waiting": waiting,
            "oldest_age_seconds": round(max(0.0, age), 1),
            "dead": dead,
            "seen_seconds_ago": round(max(0.0, (now - seen).total_seconds()), 1),
        }

    def deliver_once(self) -> DeliveryReport:
        """One delivery round (blocking; the worker thread's, or a test's)."""
        return deliver(
            self._store,
            self._render,
            self.send,
            workers=self._workers,
            lease_seconds=self._lease,
        )

    # -- sending -----------------------------------------------------------------------

    def send(self, message: OutboxMessage, text: str, earlier_ms: int | None = None) -> None:
        """Post ``message`` once, whatever happened to earlier attempts (see the module doc).

        ``earlier_ms``: when the first attempt at it began, if it was tried before.
        Touches no store: the deliverer noted the attempt before.
        """
        try:
            if message.notice.kind == "header":
                self._header.apply(message, text)  # idempotent: no check of earlier tries
                return
            channel_id = message.channel_id or self._dm_channel(message.notice.user_id)
            parts = split_message(text)
            ids = [f"{message.message_id}.{i}" for i in range(len(parts))]
            posted: set[str] = set()
            if earlier_ms is not None:
                posted = self._posted_ids(channel_id, max(0, earlier_ms - _LOOKBACK_MS))
            extra = self._props(message)
            for n, (part_id, part) in enumerate(zip(ids, parts, strict=True)):
                if part_id not in posted:
                    # Buttons go under the last part, after the whole text.
                    props = {**(extra if n == len(parts) - 1 else {}), OUTBOX_PROP: part_id}
                    self._client.create_post(channel_id, part, props=props)
        except MattermostError as err:
            status = getattr(err, "status", None)
            permanent = isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)
            raise DeliveryError(str(err), permanent=permanent) from None
        except ShimError as err:
            raise DeliveryError(str(err), permanent=False) from None

    def _posted_ids(self, channel_id: str, since_ms: int) -> set[str]:
        found: set[str] = set()
        for post in self._client.posts_since(channel_id, since_ms):
            props = post.get("props") if isinstance(post, dict) else None
            value = props.get(OUTBOX_PROP) if isinstance(props, dict) else None
            if isinstance(value, str) and post.get("delete_at", 0) == 0:
                found.add(value)
        return found

    def _dm_channel(self, user_id: str) -> str:
        with self._channels_lock:
            cached = self._channels.get(user_id)
        if cached is None:
            cached = self._client.direct_channel(self._bot_id, user_id)
            with self._channels_lock:
                self._channels[user_id] = cached
        return cached
