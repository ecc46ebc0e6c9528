"""Notices: what a change tells people, as data (rendered to text by the command layer).

The service records one :class:`Notice` per message a change causes; the
service's unit of work stores each one in the outbox (:mod:`lotto.model.outbox`)
in the same commit as the change, and the command layer renders and delivers
them afterwards.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from lotto.model.task import Task

__all__ = ["Notice", "NOTICE_KINDS"]


# Kinds of notices (the command layer renders each kind):
#   welcome_new    first time the user's record is created ("welcome to Solar Lottery")
#   welcome        user added to a rotation (rotation_id)
#   left           user removed from a rotation (rotation_id)
#   assigned       user assigned to a non-pending task (task)
#   added          co-assignees of a non-pending task learn who was added (added_user_ids)
#   unassigned     user removed from a non-pending task (task)
#   scheduled / started / finished   the user's task transitioned (task)
#   remind_start / remind_finish     autopilot reminder (task, start/finish)
#   offer          from_user_id offers their place on the task (offer_id, note); to a member
#                  who could take it, or a post in the rotation's channel
#   offer_taken    user_id took from_user_id's place (to the offerer, and in the channel)
#   took           to the taker: they now have from_user_id's place
#   time_off       to owners and the channel: from_user_id marked time off over the task;
#                  outcome says what was done (released / offered / started)
NOTICE_KINDS = (
    "welcome_new",
    "welcome",
    "left",
    "assigned",
    "added",
    "unassigned",
    "scheduled",
    "started",
    "finished",
    "remind_start",
    "remind_finish",
    "offer",
    "offer_taken",
    "took",
    "time_off",
)


class Notice(msgspec.Struct, kw_only=True):
    """One direct message to send after the command committed.

    ``actor_id`` is who caused it (the acting user; for autopilot, whoever ran it).
    ``start``/``finish`` are the task's interval (UTC) at the time of the notice;
    ``task`` is a snapshot of the task as it was after the change.
    """

    kind: str
    user_id: str
    actor_id: str
    rotation_id: str = ""
    task_id: str = ""
    task: Task | None = None
    start: datetime | None = None
    finish: datetime | None = None
    added_user_ids: list[str] = msgspec.field(default_factory=list)
    #: Set for a post in a rotation's channel (``user_id`` is then empty): the channel's
    #: id, and its name as people know it (``~name``) for showing where it went.
    channel_id: str = ""
    channel_name: str = ""
    #: welcome: where the user starts in the rotation's queue (``lotto.model.user.START_*``)
    #: and the LastServed that puts them there (None: unset, the fair start).
    start_rule: str = ""
    last_served: datetime | None = None
    #: Trading shifts: whose place (``from_user_id``), which offer, its note, and for
    #: ``time_off`` what was done about the task (``released``, ``offered``, ``started``).
    from_user_id: str = ""
    offer_id: str = ""
    note: str = ""
    outcome: str = ""
