"""Trading shifts: the rules of offering a place on a task and of taking it.

The one home of these rules (the record, :class:`lotto.model.task.Offer`,
lives on the task it belongs to). Pure functions on records: the service
(``lotto.service.offering``) applies them inside a unit of work.

Who may take an offered place: a member of the task's rotation who is not on
the task already, with whom in the offerer's place the task meets each of its
``Require`` needs at least as well as before and breaks none of its ``Limit``
needs, who has nothing else on their calendar over the task's interval, and,
when the offer names one member (``--to``), that member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from lotto.errors import AmbiguousError, InputError, NotFoundError, StateError
from lotto.model.needs import format_need, limit_broken_by, remaining
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_PENDING, STATE_SCHEDULED, Offer, Task
from lotto.model.user import User, clash_text, placement_clashes

__all__ = [
    "OFFERABLE_STATES",
    "offer_of",
    "check_offerable",
    "find_offer",
    "Refusal",
    "take_refusal",
    "takers",
]

#: Tasks whose places may be offered and taken: not yet started.
OFFERABLE_STATES = (STATE_PENDING, STATE_SCHEDULED)


def offer_of(task: Task, user_id: str) -> Offer | None:
    """The open offer of ``user_id``'s place on ``task``, or None."""
    return next((o for o in task.offers if o.user_id == user_id), None)


def check_offerable(task: Task, user_id: str) -> None:
    """Raise unless ``user_id`` may offer their place on ``task`` now.

    StateError once the task has started; NotFoundError when they are not on it;
    InputError when their place is already offered.
    """
    tid = task.task_id
    if task.state not in OFFERABLE_STATES:
        raise StateError(
            f"{tid} is {task.state}: only places on pending or scheduled tasks can be offered. "
            "Nothing was changed.",
            task_id=tid,
            state=task.state,
        )
    if user_id not in task.mattermost_user_ids:
        raise NotFoundError(
            f"{user_id} is not assigned to {tid}, so there is no place to offer; see "
            f"`task show {tid}`.",
            task_id=tid,
            user_ids=[user_id],
        )
    if offer_of(task, user_id) is not None:
        raise InputError(
            f"{user_id}'s place on {tid} is already offered (see `task show {tid}`); withdraw "
            f"it with `task offer {tid} --cancel` first to change it.",
            task_id=tid,
            user_ids=[user_id],
        )


def find_offer(task: Task, from_user_id: str = "", offer_id: str = "") -> Offer:
    """The open offer a taker means: ``from_user_id``'s, or the only one.

    ``offer_id`` (a button names the offer it was made for) must still be the
    open offer's: an offer taken or withdrawn since is gone, even when the same
    user offered again. NotFoundError when the offer is gone, AmbiguousError
    when several are open and none was named, StateError once the task started.
    """
    tid = task.task_id
    if task.state not in OFFERABLE_STATES:
        raise StateError(
            f"{tid} is {task.state}: its places can no longer be taken. Nothing was changed.",
            task_id=tid,
            state=task.state,
        )
    if from_user_id:
        offer = offer_of(task, from_user_id)
        if offer is None:
            raise NotFoundError(
                f"{from_user_id} has no open offer on {tid}: it was taken or withdrawn; "
                f"see `task show {tid}`. Nothing was changed.",
                task_id=tid,
                user_ids=[from_user_id],
            )
    elif not task.offers:
        raise NotFoundError(
            f"{tid} has no open offer: nobody offered their place, or it was already taken; "
            f"see `task show {tid}`. Nothing was changed.",
            task_id=tid,
        )
    elif len(task.offers) > 1:
        names = [o.user_id for o in task.offers]
        raise AmbiguousError(
            f"Several places on {tid} are offered (by {', '.join(names)}): name whose with "
            f"`task take {tid} @user`. Nothing was changed.",
            task_id=tid,
            user_ids=names,
        )
    else:
        offer = task.offers[0]
    if offer_id and offer.offer_id != offer_id:
        raise NotFoundError(
            f"That offer on {tid} is gone: it was taken or withdrawn; see `task show {tid}`. "
            "Nothing was changed.",
            task_id=tid,
            user_ids=[offer.user_id],
        )
    return offer


class Refusal(NamedTuple):
    """Why a member may not take an offer: one sentence, and the ``Limit`` need it breaks."""

    reason: str
    limit: str = ""


def take_refusal(
    task: Task,
    rotation: Rotation,
    assigned: Mapping[str, User],
    offer: Offer,
    taker: User,
) -> Refusal | None:
    """Why ``taker`` may not take ``offer``, or None when they may.

    ``assigned`` holds the records of the task's users (the offerer's included).
    """
    uid = taker.mattermost_user_id
    tid = task.task_id
    if offer.to_user_id and offer.to_user_id != uid:
        return Refusal(f"this place on {tid} is offered to {offer.to_user_id} only")
    if uid not in rotation.mattermost_user_ids:
        return Refusal(f"{uid} is not a member of {rotation.rotation_id}")
    if uid in task.mattermost_user_ids:
        return Refusal(f"{uid} is already on {tid}")
    staying = [
        assigned[u] for u in task.mattermost_user_ids if u != offer.user_id and u in assigned
    ]
    before = remaining(task.require, assigned.values())
    after = remaining(task.require, [*staying, taker])
    for nid, left in after.items():
        if left > max(0, before.get(nid, 0)):
            return Refusal(
                f"with {uid} instead of {offer.user_id}, {tid} would lack "
                f"{format_need(nid, left)} it requires"
            )
    broken = limit_broken_by(task.limit, staying, taker)
    if broken is not None:
        return Refusal(
            f"{uid} would break {tid}'s limit {broken} (at most {task.limit.get(broken)})",
            broken,
        )
    busy = placement_clashes(taker, task, rotation)
    if busy:
        return Refusal(f"{uid} is not available then ({clash_text(busy[0], task)})")
    return None


def takers(
    task: Task,
    rotation: Rotation,
    assigned: Mapping[str, User],
    offer: Offer,
    members: Iterable[User],
) -> list[str]:
    """The ids of ``members`` who could take ``offer`` (see the module doc), in order."""
    return [
        m.mattermost_user_id
        for m in members
        if take_refusal(task, rotation, assigned, offer, m) is None
    ]
