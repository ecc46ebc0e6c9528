"""Trading shifts on loaded records: open, withdraw and take an offer (rules: lotto.model.offer).

Like :mod:`lotto.service.taskops`, these functions change records held by a
:class:`~lotto.store.Session` and return notices; the caller prefetched every
record they read (the task's users, the rotation's members).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from lotto import api
from lotto.api import Notice
from lotto.errors import LimitError, StateError
from lotto.model import keys
from lotto.model.fanout import Fanout, choose_asked, record_asked
from lotto.model.offer import check_offerable, offer_of, offer_part, take_refusal, takers
from lotto.model.override import add_override, move_overrides
from lotto.model.rotation import Rotation
from lotto.model.task import (
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    Offer,
    Override,
    Task,
    task_interval,
)
from lotto.model.user import User
from lotto.service import taskops
from lotto.service.common import channel_notice, notice
from lotto.store import Session

__all__ = ["open_offer", "withdraw_offer", "take_offer", "time_off"]


def _assigned(task: Task, users: dict[str, User]) -> dict[str, User]:
    return {u: users[u] for u in task.mattermost_user_ids if u in users}


def open_offer(
    session: Session,
    rotation: Rotation,
    task: Task,
    user_id: str,
    users: dict[str, User],
    members: Iterable[User],
    *,
    offer_id: str,
    now: datetime,
    actor_id: str,
    note: str = "",
    to_user_id: str = "",
    part: tuple[datetime, datetime] | None = None,
) -> tuple[Offer, Fanout, list[Notice]]:
    """Offer ``user_id``'s place on ``task`` (``part``: only that span of it): at most
    ``fanout.ASK_AT_MOST`` of the members who could take it are asked by direct message
    (``lotto.model.fanout``: the longest since they served first, nobody asked about it
    lately), and the rotation's channel hears of it for everyone. Returns the offer,
    whom it asked and the notices."""
    check_offerable(task, user_id, part=part is not None)
    offer = Offer(
        offer_id=offer_id,
        user_id=user_id,
        offered_at=now,
        opened_by=actor_id,
        note=note,
        to_user_id=to_user_id,
        start=part[0] if part else None,
        finish=part[1] if part else None,
    )
    task.offers.append(offer)
    who = set(takers(task, rotation, _assigned(task, users), offer, members))
    fanout = choose_asked(
        rotation, task, user_id, [m for m in members if m.mattermost_user_id in who], now
    )
    record_asked(task, user_id, fanout.asked, now)
    session.save_task(task)
    interval = part or task_interval(task)
    fields: dict[str, Any] = {
        "from_user_id": user_id,
        "offer_id": offer_id,
        "note": note,
        "task_type": rotation.task_type,
        "part": part is not None,
    }
    notices = [
        notice("offer", u, actor_id, task=task, interval=interval, **fields) for u in fanout.asked
    ]
    if not to_user_id:
        notices += channel_notice(
            rotation, "offer", actor_id, task=task, interval=interval, **fields
        )
    return offer, fanout, notices


def withdraw_offer(session: Session, task: Task, offer: Offer) -> None:
    """Withdraw ``offer`` (its buttons and `task take` then find it gone)."""
    task.offers = [o for o in task.offers if o.offer_id != offer.offer_id]
    session.save_task(task)


def take_offer(
    session: Session,
    rotation: Rotation,
    task: Task,
    offer: Offer,
    users: dict[str, User],
    taker_id: str,
    *,
    actor_id: str,
    by_autopilot: bool = False,
) -> list[Notice]:
    """``taker_id`` takes ``offer``: the offerer is unassigned (their credit and events go
    back as for ``task unassign``), the taker assigned (marked served); both are told,
    and the channel. ``users`` holds the task's users and the taker. An offered part of
    the task makes an override instead: the taker is on call in the offerer's place over
    that part only (``lotto.model.override``).

    Refused, changing nothing, when the taker no longer fits: LimitError for a
    ``Limit`` it would break, StateError otherwise. ``by_autopilot``: the autopilot
    gave the place to ``taker_id`` (``actor_id`` is whoever ran it).
    """
    refusal = take_refusal(task, rotation, _assigned(task, users), offer, users[taker_id])
    if refusal is not None:
        named = [taker_id, offer.user_id, *([offer.to_user_id] if offer.to_user_id else [])]
        context = {"task_id": task.task_id, "user_ids": named}
        text = f"Can not take {offer.user_id}'s place on {task.task_id}: {refusal.reason}. "
        text += "Nothing was changed."
        if refusal.limit:
            raise LimitError(text, need=refusal.limit, **context)
        raise StateError(text, **context)
    withdraw_offer(session, task, offer)
    part = offer_part(offer)
    if part is not None:
        cover = Override(
            override_id=offer.offer_id,
            user_id=taker_id,
            replaces=offer.user_id,
            start=part[0],
            finish=part[1],
            by=actor_id,
        )
        add_override(task, cover, users[taker_id])
        session.save_user(users[taker_id])
        session.save_task(task)
    else:
        # `force` only lifts the pending-only rule (a scheduled place may be traded); the
        # Require and Limit rules were checked above, with the taker in the offerer's place.
        move_overrides(task, offer.user_id, taker_id)  # the place keeps its overrides
        taskops.unassign(
            session, rotation, task, [offer.user_id], users, force=True, actor_id=actor_id
        )
        taskops.assign(session, rotation, task, [taker_id], users, force=True, actor_id=actor_id)
    interval = part or task_interval(task)
    actor = actor_id if by_autopilot else taker_id
    fields: dict[str, Any] = {
        "from_user_id": offer.user_id,
        "offer_id": offer.offer_id,
        "subject_id": taker_id,
        "part": part is not None,
    }
    notices = [
        notice("offer_taken", offer.user_id, actor, task=task, interval=interval, **fields),
        notice("took", taker_id, actor, task=task, interval=interval, **fields),
    ]
    notices += channel_notice(
        rotation, "offer_taken", actor, task=task, interval=interval, **fields
    )
    if by_autopilot:
        for n in notices:
            n.by_autopilot = True
    return notices


def time_off(
    session: Session,
    covered: list[tuple[str, str, str]],
    users: dict[str, User],
    *,
    now: datetime,
    actor_id: str,
    new_offer_id: Callable[[], str],
    span: tuple[datetime, datetime] | None = None,
    note: str = "",
) -> tuple[list[api.TimeOffTask], list[Notice]]:
    """Protect users who marked time off (``span``) over tasks they are on (``covered``:
    user id, task id, rotation id; ``users`` holds those users, their time off added).

    Time off over the whole task: a pending task, the user is taken off it (credit and
    events given back) and the autopilot fills the place again; a scheduled task, their
    place is offered for them; a started task is left alone. Time off over part of a
    task (not finished, the part not over): only that part is offered, pending,
    scheduled or started; taking it makes an override. For each, the rotation's owners
    and its channel are alerted. ``note`` (why, as the user gave it) goes with the offers.

    Round trips: ONE batch reading the tasks, their rotations (with open-tasks
    records) and the members of the first rotation; each further rotation
    costs one batch more.
    """
    rids = list(dict.fromkeys(rid for _, _, rid in covered))
    wanted = [
        *(keys.task(tid) for _, tid, _ in covered),
        *(keys.rotation(r) for r in rids),
        *(keys.open_tasks(r) for r in rids),
    ]
    for n, rid in enumerate(rids):
        session.prefetch(wanted if n == 0 else [], follow=keys.follow_members(rid))
    done: list[api.TimeOffTask] = []
    notices: list[Notice] = []
    for uid, tid, rid in covered:
        task, rotation = session.task(tid), session.rotation(rid)
        if task is None or rotation is None or uid not in task.mattermost_user_ids:
            continue
        item = api.TimeOffTask(user_id=uid, task_id=tid, state=task.state, outcome="")
        part = _part(task, span, now)
        interval = task_interval(task)
        if part is not None:
            item.outcome = api.TIME_OFF_PART
            item.start, item.finish = part
            interval = part
            if offer_of(task, uid) is None:
                item.takers, item.eligible, more = _offer_for(
                    session, rotation, task, uid, users, now, actor_id, new_offer_id(), part, note
                )
                notices += more
        elif task.state == STATE_PENDING:
            item.outcome = api.TIME_OFF_RELEASED
            _, more = taskops.unassign(
                session, rotation, task, [uid], users, force=False, actor_id=actor_id
            )
            notices += more
        elif task.state == STATE_SCHEDULED:
            item.outcome = api.TIME_OFF_OFFERED
            if offer_of(task, uid) is None:
                item.takers, item.eligible, more = _offer_for(
                    session, rotation, task, uid, users, now, actor_id, new_offer_id(), None, note
                )
                notices += more
        elif task.state == STATE_STARTED:
            item.outcome = api.TIME_OFF_STARTED
        else:
            continue
        done.append(item)
        alert: dict[str, Any] = {
            "subject_id": uid,
            "from_user_id": uid,
            "outcome": item.outcome,
            "part": part is not None,
        }
        notices += [
            notice("alert_time_off", owner, actor_id, task=task, interval=interval, **alert)
            for owner in rotation.owners
            if owner not in (uid, actor_id)  # whoever ran it reads it in the reply
        ]
        notices += channel_notice(
            rotation, "alert_time_off", actor_id, task=task, interval=interval, **alert
        )
    return done, notices


def _part(
    task: Task, span: tuple[datetime, datetime] | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """The part of ``task`` time off over ``span`` takes, when it is less than all of it and
    not over yet (None: the whole task, or nothing to offer)."""
    interval = task_interval(task)
    if span is None or interval is None:
        return None
    start, finish = max(span[0], interval[0]), min(span[1], interval[1])
    if (start, finish) == interval or finish <= start:
        return None
    if task.state == STATE_STARTED:
        start = max(start, now)  # only what is still to come of a running shift
        if finish <= start:
            return None
    return start, finish


def _offer_for(
    session: Session,
    rotation: Rotation,
    task: Task,
    uid: str,
    users: dict[str, User],
    now: datetime,
    actor_id: str,
    offer_id: str,
    part: tuple[datetime, datetime] | None,
    note: str = "",
) -> tuple[list[str], int, list[Notice]]:
    """Offer ``uid``'s place (or ``part`` of it) for them, with why (``note``):
    (asked, eligible, notices)."""
    everyone = [*task.mattermost_user_ids, *rotation.mattermost_user_ids]
    records = {u: rec for u in everyone if (rec := users.get(u) or session.user(u))}
    members = [records[u] for u in rotation.mattermost_user_ids if u in records]
    _, fanout, more = open_offer(
        session,
        rotation,
        task,
        uid,
        records,
        members,
        offer_id=offer_id,
        now=now,
        actor_id=actor_id,
        note=f"away (time off): {note}" if note else "away (time off)",
        part=part,
    )
    return fanout.asked, fanout.eligible, more
