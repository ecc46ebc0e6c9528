"""Swaps: ``task swap`` proposes, accepts or cancels a trade of two places (rules:
lotto.model.swap)."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.errors import AccessError, InputError, LimitError, StateError
from lotto.model import keys
from lotto.model.override import move_overrides
from lotto.model.rotation import Rotation
from lotto.model.swap import check_proposal, find_swap, swap_refusal
from lotto.model.task import Swap, Task, rotation_id_of, task_interval
from lotto.model.user import User
from lotto.service import taskops
from lotto.service.access import PUBLIC
from lotto.service.common import channel_notice, check_users, load_task, notice, run
from lotto.service.offers import new_offer_id
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["SwapOps"]


def _refuse(swap: Swap, reason: str, limit: str = "") -> None:
    text = (
        f"Can not swap {swap.user_id} on {swap.task_id} with {swap.other_user_id} on "
        f"{swap.other_task_id}: {reason}. Nothing was changed."
    )
    context = {
        "task_id": swap.task_id,
        "user_ids": [swap.user_id, swap.other_user_id],
    }
    if limit:
        raise LimitError(text, need=limit, **context)
    raise StateError(text, **context)


class SwapOps(Ops):
    """Mixin of :class:`lotto.service.Service`: trading two places in one step."""

    @operation(api.TaskSwapRequest, access=PUBLIC)
    def task_swap(
        self, req: api.TaskSwapRequest, *, actor_id: str, now: datetime
    ) -> api.TaskSwapResult:
        """Propose a swap (the acting user must be on one of the tasks), accept one (only
        the person it is proposed to) or cancel one (either side), in one unit of work.

        Accepting moves both people at once, each checked as a taker of the other's
        place (skills, limits, clashes and grace), and posts once to the channel.
        Round trips: batch 1 = the task, its rotation and the acting user; batch 2 = the
        other task, its rotation, both tasks' users and the rotations' members; commit.
        """
        proposing = not (req.accept or req.cancel)
        if req.accept and req.cancel:
            raise InputError("Give either --accept or --cancel, not both. Nothing was changed.")
        if proposing:
            if not (req.other_task_id and req.other_user_id):
                raise InputError(
                    "Name both places: `task swap ICE#3 @me ICE#4 @them` (yours first). "
                    "Nothing was changed."
                )
            check_users(self.directory, [req.user_id or actor_id, req.other_user_id])
            if (req.user_id or actor_id) != actor_id:
                raise AccessError(
                    "Only someone on one of the shifts may propose a swap of it: name your own "
                    "place first. Nothing was changed.",
                    task_id=req.task_id,
                )
        swap_id = new_offer_id(self)

        def fn(s: Session) -> api.TaskSwapResult:
            task, rotation = load_task(s, req.task_id, [keys.user(actor_id)])
            if proposing:
                swap = Swap(
                    swap_id=swap_id,
                    task_id=task.task_id,
                    user_id=actor_id,
                    other_task_id=req.other_task_id,
                    other_user_id=req.other_user_id,
                    proposed_at=now,
                )
            else:
                swap = find_swap(task, actor_id, accepting=req.accept, swap_id=req.swap_id)
            tasks, rotations, users = _load_both(s, task, rotation, swap)
            a, b = tasks[swap.task_id], tasks[swap.other_task_id]
            if proposing:
                check_proposal(a, b, swap.user_id, swap.other_user_id)
                refusal = swap_refusal(swap, tasks, rotations, users)
                if refusal is not None:
                    _refuse(swap, refusal.reason, refusal.limit)
                a.swaps.append(swap)
                b.swaps.append(swap)
                s.save_task(a)
                s.save_task(b)
                n = _notice("swap_proposed", swap.other_user_id, actor_id, a, b, swap, rotations)
                return api.TaskSwapResult(
                    swap=swap, outcome=api.SWAP_PROPOSED, task=a, other_task=b, notices=[n]
                )
            for t in (a, b):
                t.swaps = [w for w in t.swaps if w.swap_id != swap.swap_id]
                s.save_task(t)
            if req.cancel:
                other = swap.other_user_id if actor_id == swap.user_id else swap.user_id
                n = _notice("swap_cancelled", other, actor_id, a, b, swap, rotations)
                return api.TaskSwapResult(
                    swap=swap, outcome=api.SWAP_CANCELLED, task=a, other_task=b, notices=[n]
                )
            refusal = swap_refusal(swap, tasks, rotations, users)
            if refusal is not None:
                _refuse(swap, refusal.reason, refusal.limit)
            _move(s, rotations, users, a, swap.user_id, swap.other_user_id, actor_id)
            _move(s, rotations, users, b, swap.other_user_id, swap.user_id, actor_id)
            notices = [
                _notice("swap_done", u, actor_id, a, b, swap, rotations)
                for u in (swap.user_id, swap.other_user_id)
                if u != actor_id  # who accepted reads the reply
            ]
            for rid in dict.fromkeys((a.rotation_id, b.rotation_id)):
                interval = task_interval(a)
                notices += channel_notice(
                    rotations[rid],
                    "swap_done",
                    actor_id,
                    task=a,
                    interval=interval,
                    **_fields(swap, b, rotations),
                )
            return api.TaskSwapResult(
                swap=swap, outcome=api.SWAP_ACCEPTED, task=a, other_task=b, notices=notices
            )

        return run(self.kv, fn, self.stats)


def _load_both(
    s: Session, task: Task, rotation: Rotation, swap: Swap
) -> tuple[dict[str, Task], dict[str, Rotation], dict[str, User]]:
    """Both tasks of ``swap``, their rotations and the records of their people (batch 2)."""
    other_id = swap.other_task_id if swap.task_id == task.task_id else swap.task_id
    other_rid = rotation_id_of(other_id)
    # In one rotation (the usual case) its open-tasks record, read with the task, names the
    # other task's people: they come in the same batch as the task itself.
    known = (
        s.open_tasks(rotation).tasks.get(other_id, []) if other_rid == rotation.rotation_id else []
    )
    s.prefetch(
        [
            *(keys.user(u) for u in known),
            keys.task(other_id),
            keys.rotation(other_rid),
            keys.open_tasks(other_rid),
            keys.user(swap.user_id),
            keys.user(swap.other_user_id),
            *(keys.user(u) for u in task.mattermost_user_ids),
        ]
    )
    other, other_rotation = load_task(s, other_id)  # read above: no round trip
    s.prefetch(keys.user(u) for u in other.mattermost_user_ids)  # read already in one rotation
    tasks = {task.task_id: task, other.task_id: other}
    rotations = {rotation.rotation_id: rotation, other_rotation.rotation_id: other_rotation}
    ids = [*task.mattermost_user_ids, *other.mattermost_user_ids, swap.user_id, swap.other_user_id]
    users = {u: rec for u in ids if (rec := s.user(u)) is not None}
    for uid in (swap.user_id, swap.other_user_id):
        users.setdefault(uid, User(mattermost_user_id=uid))
    return tasks, rotations, users


def _move(
    s: Session,
    rotations: dict[str, Rotation],
    users: dict[str, User],
    task: Task,
    leaving: str,
    coming: str,
    actor_id: str,
) -> None:
    """``coming`` takes ``leaving``'s place on ``task`` (credit and events as for a take);
    the per-task messages of the move are left out: the swap sends its own."""
    rotation = rotations[task.rotation_id]
    move_overrides(task, leaving, coming)
    taskops.unassign(s, rotation, task, [leaving], users, force=True, actor_id=actor_id)
    taskops.assign(s, rotation, task, [coming], users, force=True, actor_id=actor_id)


def _fields(swap: Swap, other: Task, rotations: dict[str, Rotation]) -> dict:
    rotation = rotations[other.rotation_id]
    return {
        "subject_id": swap.user_id,
        "from_user_id": swap.other_user_id,
        "other_task_id": other.task_id,
        "swap_id": swap.swap_id,
        "task_type": rotation.task_type,
    }


def _notice(
    kind: str,
    user_id: str,
    actor_id: str,
    task: Task,
    other: Task,
    swap: Swap,
    rotations: dict[str, Rotation],
) -> api.Notice:
    """A swap's direct message: about ``task`` (the proposer's), naming ``other``."""
    return notice(
        kind,
        user_id,
        actor_id,
        task=task,
        interval=task_interval(task),
        **_fields(swap, other, rotations),
    )
