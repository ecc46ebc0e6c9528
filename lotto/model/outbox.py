"""The outbox: every message a change causes, stored in the same commit as the change.

A unit of work that changes records and has people to tell appends one
:class:`OutboxMessage` per message to the durable queue :data:`OUTBOX_QUEUE`
(``kvstore.Queue``; the Redis list ``<plugin id>/queue:outbox``). The change
and its messages therefore land together or not at all: a command whose reply
is lost, or a process that dies right after the commit, still has its messages
delivered. A deliverer (the command layer's :mod:`lotto.commands.delivery`,
driven inline by the CLI and by a background worker in the shim) renders each
message for its reader and sends it, oldest first, exactly once as seen by the
reader; messages that can never be delivered move to :data:`DEAD_QUEUE`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from lotto.model.notice import Notice
from lotto.model.record import Record, StoredTime

__all__ = ["OUTBOX_QUEUE", "DEAD_QUEUE", "OutboxMessage", "new_message"]

#: The queue every message waits in until it is delivered.
OUTBOX_QUEUE = "outbox"
#: Where messages go that Mattermost refused for good (kept for operators).
DEAD_QUEUE = "outbox.dead"


class OutboxMessage(Record):
    """One message waiting to be delivered.

    ``message_id`` is unique and doubles as the idempotency key the deliverer
    attaches to the post (so a delivery whose reply was lost is never posted
    twice). ``created`` is the wall-clock time of the commit, for the backlog's
    age. ``notice`` is what to say, to ``notice.user_id`` as a direct message,
    or in ``channel_id`` when that is set.
    """

    message_id: str
    created: StoredTime
    notice: Notice
    channel_id: str = ""


def new_message(notice: Notice, created: datetime, *, channel_id: str = "") -> OutboxMessage:
    """A new outbox message for ``notice`` with a fresh unique id."""
    return OutboxMessage(
        message_id=uuid.uuid4().hex, created=created, notice=notice, channel_id=channel_id
    )
