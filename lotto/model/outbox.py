"""The outbox: every message a change causes, stored in the same commit as the change.

A unit of work that changes records and has people to tell appends one
:class:`OutboxMessage` per message to the durable queue :data:`OUTBOX_QUEUE`
(``kvstore.Queue``; the Redis list ``<plugin id>/queue:outbox``). The change
and its messages therefore land together or not at all: a command whose reply
is lost, or a process that dies right after the commit, still has its messages
delivered. The deliverer (:mod:`lotto.delivery`, run by the CLI after each
command and by a background worker in the shim) sorts the messages into one lane
per rotation (:func:`lane_of`), lets the lanes take turns, renders each message
for its reader and sends it exactly once as seen by the reader, each reader's
messages about a rotation in the order they were committed; messages that can
never be delivered move to :data:`DEAD_QUEUE`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from lotto.model.notice import Notice
from lotto.model.record import Record, StoredTime

__all__ = ["OUTBOX_QUEUE", "DEAD_QUEUE", "OutboxMessage", "new_message", "lane_of", "reader_of"]

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


class _LaneNotice(msgspec.Struct):
    rotation_id: str = ""


class _LaneOnly(Record):
    """The part of an :class:`OutboxMessage` that says which lane it waits in."""

    notice: _LaneNotice = msgspec.field(default_factory=_LaneNotice)


_LANE_DECODER = msgspec.json.Decoder(_LaneOnly)


def lane_of(raw: bytes) -> str:
    """The outbox lane of a stored message: its rotation's id (``""``: about no rotation,
    or unreadable). Each rotation's messages leave in the order they were committed and
    rotations take turns, so one rotation's burst holds up no other (``lotto.delivery``)."""
    try:
        return _LANE_DECODER.decode(raw).notice.rotation_id
    except msgspec.MsgspecError:
        return ""


def reader_of(message: OutboxMessage) -> str:
    """Who reads ``message``: its channel, or ``@`` + the recipient of a direct message.
    A reader's messages are posted one after the other, in lane order."""
    return message.channel_id or "@" + message.notice.user_id
