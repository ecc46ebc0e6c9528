"""Delivering the outbox to Mattermost: a background worker and an idempotent send.

Every message a command or the autopilot causes is committed to the outbox
with the change (``lotto.model.outbox``). :class:`OutboxWorker` runs in its own
thread in every replica and calls ``lotto.commands.delivery.deliver`` whenever
a command committed messages (``kick``) and every ``poll`` seconds (to pick up
messages committed by other replicas or the CLI, and to retry). The outbox's
lease lets one replica deliver at a time, so messages leave in commit order.
While Mattermost is down, the first message stays first and is retried with
exponential backoff (capped), for as long as it takes.

Exactly once as seen by the reader — the recovery rule
--------------------------------------------------------
A post whose request reached Mattermost but whose reply was lost (timeout,
crash of the replica, lease lost) must not be posted again. So before posting
a message, :meth:`OutboxWorker.send` notes the attempt with the queue
(``kvstore.Queue.first_attempt``: the message id and the time of its first
attempt, at ``<plugin id>/queue:outbox.attempt``), and every post it makes
carries the prop ``lotto_outbox_id = <message id>.<part>`` (long messages are
split into parts). If an earlier attempt on the same message
is on record, it may have posted some or all of it: the worker lists the
channel's posts since that attempt's time minus a minute
(``GET /api/v4/channels/{channel_id}/posts?since=…``) and posts only the parts
whose id is not there. A message is removed from the outbox only after every
part is known to be posted. Mattermost refusing a post for good (a 4xx other
than 408/429, e.g. a deleted user's channel) moves the message to the
dead-letter queue; everything else is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from lotto.commands import Env
from lotto.commands.delivery import DeliveryReport, deliver
from lotto.errors import DeliveryError
from lotto.model.outbox import OUTBOX_QUEUE, OutboxMessage
from lotto.store import outbox_backlog
from shim.directory import split_message
from shim.errors import MattermostError, ShimError
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
        env: Env,
        client: MattermostClient,
        store: Any,
        bot_user_id: str,
        *,
        poll: float = 2.0,
        max_backoff: float = 30.0,
        lease_seconds: float = 30.0,
        props: Callable[[OutboxMessage], dict[str, Any]] | None = None,
    ) -> None:
        self.env = env
        # The props a message needs beyond its text (an offer's button: shim.actions).
        self._props = props or (lambda message: {})
        self._client = client
        self._store = store
        self._outbox = store.queue(OUTBOX_QUEUE)
        self._bot_id = bot_user_id
        self._poll = max(0.05, poll)
        self._max_backoff = max_backoff
        self._lease = lease_seconds
        self._kicked = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._channels: dict[str, str] = {}
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
            except Exception:  # the store is out, or a bug: log, wait, try again
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
        """One delivery round (blocking)."""
        return deliver(self.env, self.send, lease_seconds=self._lease)

    # -- sending -----------------------------------------------------------------------

    def send(self, message: OutboxMessage, text: str) -> None:
        """Post ``message`` once, whatever happened to earlier attempts (see the module doc)."""
        try:
            channel_id = message.channel_id or self._dm_channel(message.notice.user_id)
            parts = split_message(text)
            ids = [f"{message.message_id}.{i}" for i in range(len(parts))]
            earlier = self._outbox.first_attempt(message.message_id, int(time.time() * 1000))
            posted: set[str] = set()
            if earlier is not None:
                posted = self._posted_ids(channel_id, max(0, earlier - _LOOKBACK_MS))
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
        cached = self._channels.get(user_id)
        if cached is None:
            cached = self._channels[user_id] = self._client.direct_channel(self._bot_id, user_id)
        return cached
