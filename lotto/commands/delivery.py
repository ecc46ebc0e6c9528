"""Delivering the outbox: render each waiting message for its reader, send it, oldest first.

The service stores every message a change causes in the outbox, in the same
commit as the change (see :mod:`lotto.model.outbox`). :func:`deliver` works
through it: it takes the outbox's lease (one deliverer at a time across every
process sharing the store, so messages leave in commit order and each
recipient reads them in the order they happened), renders the first message
for its reader, hands it to ``send`` and removes it only after ``send``
returned — with a fenced pop, so a deliverer whose lease ran out never removes
what a newer one is handling.

``send`` decides what "sent" means and makes a repeated send harmless: the
CLI prints (a repeat is harmless there), the shim posts to Mattermost with the
message id as an idempotency key (``shim.outbox``). ``send`` raises
:class:`lotto.errors.DeliveryError`: ``permanent=False`` stops this round (the
message stays first and is tried again later, e.g. while Mattermost is down);
``permanent=True`` moves the message to the dead-letter queue and goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lotto.commands import render
from lotto.errors import DeliveryError, LottoError
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE, OutboxMessage
from lotto.model.record import decode

if TYPE_CHECKING:  # pragma: no cover
    from lotto.commands import Env

__all__ = ["Send", "DeliveryReport", "deliver", "render_message"]

log = logging.getLogger("lotto.delivery")

#: ``send(message, text)``: deliver ``text`` (Markdown) for ``message``; raise DeliveryError.
Send = Callable[[OutboxMessage, str], None]


@dataclass
class DeliveryReport:
    """What one :func:`deliver` round did."""

    sent: int = 0
    dead: int = 0
    #: Another deliverer held the lease (it delivers instead).
    busy: bool = False
    #: A message is waiting for a retry (``send`` failed for now).
    retry: bool = False
    #: Messages still waiting when the round ended.
    waiting: int = 0


def render_message(env: Env, message: OutboxMessage) -> str:
    """The Markdown text of ``message``, written for its reader."""
    notice = message.notice
    # A channel post has many readers: it shows the zone the service chose (the rotation's).
    zone = env.zone_of(notice.user_id) if notice.user_id else (notice.zone or "UTC")
    return render.notice_text(notice, env.mention, zone)


def _default_send(env: Env) -> Send:
    def send(message: OutboxMessage, text: str) -> None:
        notice = message.notice
        if message.channel_id:
            env.poster.post(message.channel_id, notice.channel_name, text)
        else:
            env.poster.dm(notice.user_id, text)

    return send


def deliver(
    env: Env, send: Send | None = None, *, max_messages: int = 200, lease_seconds: float = 30.0
) -> DeliveryReport:
    """Deliver up to ``max_messages`` waiting messages, oldest first (see the module doc)."""
    send = send or _default_send(env)
    queue, dead = env.kv.queue(OUTBOX_QUEUE), env.kv.queue(DEAD_QUEUE)
    report = DeliveryReport()
    lease = queue.lease(lease_seconds)
    if lease is None:
        report.busy = True
        return report
    with lease:
        for _ in range(max_messages):
            head = queue.peek(1)
            if not head:
                break
            raw = head[0]
            try:
                message = decode(OutboxMessage, raw)
                text = render_message(env, message)
                send(message, text)
            except DeliveryError as exc:
                if not exc.context.get("permanent"):
                    report.retry = True
                    break
                log.error("dropping an undeliverable message: %s", exc)
                if queue.pop_head(lease, raw, move_to=dead):
                    report.dead += 1
                continue
            except LottoError as exc:
                # The directory is out (rendering names a user): like Mattermost being down.
                log.warning("could not render an outbox message, will retry: %s", exc)
                report.retry = True
                break
            except Exception:
                # Unreadable (hand-edited, or written by a newer version) or a bug in
                # rendering: retrying cannot help, so keep it aside for an operator.
                log.exception("moving an outbox entry that cannot be rendered to %s", DEAD_QUEUE)
                if queue.pop_head(lease, raw, move_to=dead):
                    report.dead += 1
                continue
            if not queue.pop_head(lease, raw):
                break  # the lease was lost: whoever holds it now goes on
            report.sent += 1
            if not lease.extend(lease_seconds):
                break
        report.waiting = queue.length()
    return report
