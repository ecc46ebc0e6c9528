"""Swaps: two people trade their places on two tasks, in one step (``task swap``).

The one home of these rules (the record, :class:`lotto.model.task.Swap`, is
kept on both tasks). Only someone on one of the tasks proposes; only the
person on the other accepts; either may cancel before it is accepted. It is
accepted only when each, in the other's place, fits there as a taker of an
offered place fits (``lotto.model.offer.take_refusal``: a member, not on it
already, the task's requirements met at least as well and no limit broken,
nothing else on their calendar then — the task they leave does not count),
and both tasks may still be traded (pending or scheduled).

Pure functions on records; the service (``lotto.service.swaps``) applies them.
"""

from __future__ import annotations

from collections.abc import Mapping

from lotto.errors import AccessError, AmbiguousError, InputError, NotFoundError, StateError
from lotto.model.offer import OFFERABLE_STATES, Refusal, take_refusal
from lotto.model.rotation import Rotation
from lotto.model.task import Offer, Swap, Task
from lotto.model.user import User

__all__ = ["check_tradable", "swap_refusal", "find_swap", "check_proposal"]


def check_tradable(task: Task, user_id: str) -> None:
    """Raise unless ``user_id``'s place on ``task`` may be traded now: StateError once the
    task has started, NotFoundError when they are not on it."""
    tid = task.task_id
    if task.state not in OFFERABLE_STATES:
        raise StateError(
            f"{tid} is {task.state}: only places on pending or scheduled tasks can be swapped. "
            "Nothing was changed.",
            task_id=tid,
            state=task.state,
        )
    if user_id not in task.mattermost_user_ids:
        raise NotFoundError(
            f"{user_id} is not on {tid}, so there is no place of theirs to swap; see "
            f"`task show {tid}`. Nothing was changed.",
            task_id=tid,
            user_ids=[user_id],
        )


def check_proposal(task: Task, other: Task, user_id: str, other_user_id: str) -> None:
    """Raise unless ``user_id`` on ``task`` may propose to trade with ``other_user_id`` on
    ``other``: both places tradable, two different tasks and people, none proposed already."""
    if task.task_id == other.task_id or user_id == other_user_id:
        raise InputError(
            "A swap trades two people's places on two different tasks: name yours and theirs, "
            "e.g. `task swap ICE#3 @me ICE#4 @them`. Nothing was changed.",
            task_id=task.task_id,
        )
    check_tradable(task, user_id)
    check_tradable(other, other_user_id)
    for s in task.swaps:
        if {s.task_id, s.other_task_id} == {task.task_id, other.task_id} and {
            s.user_id,
            s.other_user_id,
        } == {user_id, other_user_id}:
            raise InputError(
                f"That swap is already proposed; accept it with `task swap {s.task_id} "
                f"--accept` or cancel it with `task swap {s.task_id} --cancel`. "
                "Nothing was changed.",
                task_id=task.task_id,
            )


def swap_refusal(
    swap: Swap,
    tasks: Mapping[str, Task],
    rotations: Mapping[str, Rotation],
    users: Mapping[str, User],
) -> Refusal | None:
    """Why ``swap`` can not be done now, or None when both fit in the other's place.

    ``tasks``/``rotations`` hold both tasks and their rotations; ``users`` the records
    of both tasks' people.
    """
    a, b = tasks[swap.task_id], tasks[swap.other_task_id]
    for task, leaving, coming, left in (
        (a, swap.user_id, swap.other_user_id, b),
        (b, swap.other_user_id, swap.user_id, a),
    ):
        if task.state not in OFFERABLE_STATES:
            return Refusal(f"{task.task_id} is {task.state}")
        if leaving not in task.mattermost_user_ids:
            return Refusal(f"{leaving} is no longer on {task.task_id}")
        assigned = {u: users[u] for u in task.mattermost_user_ids if u in users}
        place = Offer(offer_id=swap.swap_id, user_id=leaving, offered_at=swap.proposed_at)
        refusal = take_refusal(
            task, rotations[task.rotation_id], assigned, place, users[coming], ignore=[left.task_id]
        )
        if refusal is not None:
            return refusal
    return None


def find_swap(task: Task, actor_id: str, *, accepting: bool, swap_id: str = "") -> Swap:
    """The proposed swap on ``task`` the actor means: ``accepting``, one proposed to them;
    cancelling, one they are part of. ``swap_id`` (from a button) must still be open.

    NotFoundError when there is none (or it is gone), AmbiguousError when several are open.
    """
    tid = task.task_id
    if accepting:
        mine = [s for s in task.swaps if s.other_user_id == actor_id]
        if not mine and any(s.user_id == actor_id for s in task.swaps):
            raise AccessError(
                f"Only the person a swap is proposed to may accept it; you proposed this one "
                f"(cancel it with `task swap {tid} --cancel`). Nothing was changed.",
                task_id=tid,
            )
    else:
        mine = [s for s in task.swaps if actor_id in (s.user_id, s.other_user_id)]
    if swap_id:
        mine = [s for s in mine if s.swap_id == swap_id]
    if not mine:
        raise NotFoundError(
            f"There is no open swap on {tid} for {actor_id}: it was accepted or cancelled, or "
            f"never proposed; see `task show {tid}`. Nothing was changed.",
            task_id=tid,
            user_ids=[actor_id],
        )
    if len(mine) > 1:
        others = [s.other_task_id if s.task_id == tid else s.task_id for s in mine]
        raise AmbiguousError(
            f"Several swaps on {tid} involve {actor_id} (with {', '.join(others)}): name the "
            f"other task's id instead, e.g. `task swap {others[0]} --accept`. "
            "Nothing was changed.",
            task_id=tid,
            task_ids=others,
        )
    return mine[0]
