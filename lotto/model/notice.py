"""Notices: what a change tells people, as data (rendered to text by the command layer).

The service records one :class:`Notice` per message a change causes; the
service's unit of work stores each one in the outbox (:mod:`lotto.model.outbox`)
in the same commit as the change; :mod:`lotto.delivery` delivers them afterwards,
each rendered for its reader by the command layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto.model.risks import Risk
from lotto.model.task import Task

__all__ = [
    "Notice",
    "NOTICE_KINDS",
    "ALERT_KINDS",
    "MUTE_WORDS",
    "MUTABLE_KINDS",
    "is_muted",
    "one_per_reader",
]


# Kinds of notices (the command layer renders each kind):
#   welcome_new    first time the user's record is created ("welcome to Solar Lottery")
#   welcome        user added to a rotation (rotation_id)
#   left           user removed from a rotation (rotation_id)
#   assigned       user assigned to a non-pending task (task)
#   added          co-assignees of a non-pending task learn who was added (added_user_ids)
#   unassigned     user removed from a non-pending task (task)
#   scheduled / started / finished   the user's task transitioned (task)
#   remind_start / remind_finish     autopilot reminder (task, start/finish)
# Posts in the rotation's channel:
#   shift_scheduled   a task was scheduled: who, when (task)
#   shift_started     a task started: who is on call now, handing over from (handover_user_ids)
# Alerts, to the rotation's owners (DM) and its channel, each once per cause:
#   alert_unfilled    a due task could not be filled (need, unmet: the need that ran dry)
#   alert_skipped     a task's time passed while it was still pending: skipped unstaffed
#   alert_time_off    subject_id marked time off over a task they are on
#   alert_left        subject_id left the rotation while assigned to a task
#   alert_offer_open  subject_id's offered place is still open 24 h before the task starts
#   alert_broken      a change broke scheduled or started shifts (risks: which, and how)
# Posts in the rotation's channel when someone changes a shift by hand:
#   shift_changed     added_user_ids were assigned to / removed_user_ids taken off the task
#   offer          from_user_id offers their place on the task (offer_id, note); to a member
#                  who could take it, or a post in the rotation's channel
#   offer_taken    user_id took from_user_id's place (to the offerer, and in the channel)
#   took           to the taker: they now have from_user_id's place
# One message per person (or channel) per change:
#   digest         several notices of one change to the same reader, in ``parts``
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
    "shift_scheduled",
    "shift_started",
    "alert_unfilled",
    "alert_skipped",
    "alert_time_off",
    "alert_left",
    "alert_offer_open",
    "alert_broken",
    "shift_changed",
    "offer",
    "offer_taken",
    "took",
    "digest",
)

#: The alert kinds (each sent to the owners and the channel, once per cause).
ALERT_KINDS = (
    "alert_unfilled",
    "alert_skipped",
    "alert_time_off",
    "alert_left",
    "alert_offer_open",
    "alert_broken",
)

#: What a person may turn off (``user notify --mute``), and the kinds each word stands for.
#: Other kinds (joining, being assigned or removed) always arrive: they are rare and
#: change what the person has to do.
MUTE_WORDS: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled",),
    "started": ("started",),
    "finished": ("finished",),
    "reminders": ("remind_start", "remind_finish"),
}


#: Every notice kind a person may turn off.
MUTABLE_KINDS = frozenset(kind for kinds in MUTE_WORDS.values() for kind in kinds)


def is_muted(kind: str, muted: list[str]) -> bool:
    """Whether a notice of ``kind`` is turned off by the mute words ``muted``."""
    return any(kind in MUTE_WORDS.get(word, ()) for word in muted)


class Notice(msgspec.Struct, kw_only=True):
    """One direct message to send after the command committed.

    ``actor_id`` is who caused it (the acting user; for autopilot, whoever ran it, and
    ``by_autopilot`` is set).
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
    #: The zone a channel post shows times in (the rotation's; a DM uses the reader's).
    zone: str = ""
    #: shift_started (and the ``started`` DM of a shift): who was on call before.
    handover_user_ids: list[str] = msgspec.field(default_factory=list)
    #: alert_time_off / alert_left / alert_offer_open: the member the alert is about.
    subject_id: str = ""
    #: alert_unfilled: the need that could not be met, and every unmet need (need id → count).
    need: str = ""
    unmet: dict[str, int] = msgspec.field(default_factory=dict)
    #: welcome: where the user starts in the rotation's queue (``lotto.model.user.START_*``)
    #: and when they last served there as replies say it (``lotto.model.user.last_ended``:
    #: a shift that ended, or a median start that is past; None: none yet).
    start_rule: str = ""
    last_served: datetime | None = None
    #: The autopilot did it (``actor_id`` is then whoever ran it, not who to name).
    by_autopilot: bool = False
    #: ``shift`` or ``ticket`` (the rotation's task type); empty in notices stored before.
    task_type: str = ""
    #: ``welcome``: the user's first rotation ever (the welcome then also says what
    #: Solar Lottery is; there is no separate ``welcome_new`` for this join).
    first_time: bool = False
    #: ``started`` of a shift (the DM; ``handover_user_ids`` above says who hands over):
    #: the next shift's id and who serves it, as known when it started.
    next_task_id: str = ""
    next_user_ids: list[str] = msgspec.field(default_factory=list)
    #: Trading shifts: whose place (``from_user_id``), which offer, its note, and for
    #: ``alert_time_off`` what was done about the task (``released``, ``offered``, ``started``).
    from_user_id: str = ""
    offer_id: str = ""
    note: str = ""
    outcome: str = ""
    #: ``digest``: the notices it brings together, in the order the change made them.
    parts: list[Notice] = msgspec.field(default_factory=list)
    #: ``alert_broken``: what the change broke, shift by shift.
    risks: list[Risk] = msgspec.field(default_factory=list)
    #: ``shift_changed``: who was taken off the task (``added_user_ids``: who was put on it).
    removed_user_ids: list[str] = msgspec.field(default_factory=list)


def one_per_reader(notices: Iterable[Notice]) -> list[Notice]:
    """One notice per reader (a person's direct messages, or a channel): a reader with
    several gets one ``digest`` of them, so one command never sends someone a flood.

    Readers keep the order in which the change first told them something.
    """
    readers: dict[tuple[str, str], list[Notice]] = {}
    for n in notices:
        readers.setdefault((n.channel_id, n.user_id), []).append(n)
    return [group[0] if len(group) == 1 else _digest(group) for group in readers.values()]


def _digest(parts: list[Notice]) -> Notice:
    first = parts[0]
    return Notice(
        kind="digest",
        user_id=first.user_id,
        actor_id=first.actor_id,
        rotation_id=first.rotation_id,
        channel_id=first.channel_id,
        channel_name=first.channel_name,
        zone=first.zone,
        by_autopilot=all(p.by_autopilot for p in parts),
        parts=[p for n in parts for p in (n.parts or [n])],
    )
