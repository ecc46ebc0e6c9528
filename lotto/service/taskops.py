"""Task operations on loaded records: make, assign, unassign, fill, transition.

These functions change records held by a :class:`~lotto.store.Session` and
return notices; they never read from the store themselves except where a
docstring says so (the service and the autopilot prefetch what they need).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime

from lotto import fillers
from lotto.api import Notice
from lotto.errors import InsufficientError, LimitError, NotFoundError, OverlapError
from lotto.model import keys
from lotto.model.history import move_finished, record_finished
from lotto.model.needs import limit_broken_by
from lotto.model.rotation import Rotation
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    Task,
    check_assignable,
    check_fillable,
    check_new_shift,
    new_shift,
    new_ticket,
    task_interval,
)
from lotto.model.task import transition as model_transition
from lotto.model.user import User, clash_text, mark_served, placement_clashes, unmark_task
from lotto.service.common import channel_notice, notice
from lotto.store import Session

__all__ = [
    "load_open_tasks",
    "sync_open",
    "users_of",
    "make_shift",
    "make_ticket",
    "assign",
    "unassign",
    "fill",
    "transition",
    "fill_rng",
    "changed_post",
]


def load_open_tasks(session: Session, rotation: Rotation, extra_keys=()) -> dict[str, Task]:
    """The rotation's unfinished tasks by id, in creation order.

    Round trips: ONE batch reading the open tasks, the users assigned to them
    (known from the open-tasks record) and ``extra_keys``. A legacy rotation
    without an open-tasks record costs one more batch for the assigned users,
    once: the record is then written and later commands are back to one batch.
    """
    open_rec = session.open_tasks(rotation)
    user_keys = [keys.user(u) for ids in open_rec.tasks.values() for u in ids]
    session.prefetch([*(keys.task(t) for t in open_rec.tasks), *user_keys, *extra_keys])
    tasks: dict[str, Task] = {}
    repaired = False
    for tid, uids in list(open_rec.tasks.items()):
        task = session.task(tid)
        if task is None or task.state == STATE_FINISHED:
            del open_rec.tasks[tid]
            repaired = True
            continue
        if uids != task.mattermost_user_ids:
            open_rec.tasks[tid] = list(task.mattermost_user_ids)
            repaired = True
        tasks[tid] = task
    if repaired:
        session.prefetch(keys.user(u) for t in tasks.values() for u in t.mattermost_user_ids)
        session.save_open_tasks(rotation.rotation_id, open_rec)
    # An old record lists finished tasks too: they move to its finished numbers, once.
    if move_finished(rotation, open_rec.tasks):
        session.save_rotation(rotation)
    return tasks


def sync_open(session: Session, rotation: Rotation, task: Task) -> None:
    """Record the task's state and users in the rotation's open-tasks record; a finished
    task leaves the rotation's ``TaskIDs`` for its finished numbers (``lotto.model.history``)."""
    open_rec = session.open_tasks(rotation)
    if task.state == STATE_FINISHED:
        open_rec.tasks.pop(task.task_id, None)
        if record_finished(rotation, task.task_id):
            session.save_rotation(rotation)
    else:
        open_rec.tasks[task.task_id] = list(task.mattermost_user_ids)
    session.save_open_tasks(rotation.rotation_id, open_rec)


def users_of(session: Session, user_ids, actor_id: str, notices: list[Notice]) -> dict[str, User]:
    """Records of ``user_ids`` (prefetched); a user never stored gets a new record and a welcome."""
    out: dict[str, User] = {}
    for uid in user_ids:
        if uid in out:
            continue
        user, new = session.user_or_new(uid)
        if new:
            notices.append(notice("welcome_new", uid, actor_id))
            session.save_user(user)
        out[uid] = user
    return out


# ----------------------------------------------------------------------------- making tasks


def _add(session: Session, rotation: Rotation, task: Task) -> Task:
    rotation.task_ids.append(task.task_id)
    session.save_task(task)
    session.save_rotation(rotation)
    sync_open(session, rotation, task)
    return task


def make_shift(session: Session, rotation: Rotation, number: int, others: Iterable[Task]) -> Task:
    """Make shift ``number``; OverlapError if it exists or overlaps a task in ``others``."""
    check_new_shift(rotation, number, others)
    return _add(session, rotation, new_shift(rotation, number))


def make_ticket(session: Session, rotation: Rotation, summary: str, now: datetime) -> Task:
    """Make the rotation's next ticket (``R#SEQ``) at ``now``; InputError on a shift rotation."""
    return _add(session, rotation, new_ticket(rotation, summary, now))


# ----------------------------------------------------------------------------- assignment


def _serve(session: Session, rotation: Rotation, task: Task, user: User) -> None:
    mark_served(user, task, rotation)
    session.save_user(user)


def assign(
    session: Session,
    rotation: Rotation,
    task: Task,
    user_ids: list[str],
    users: dict[str, User],
    *,
    force: bool,
    actor_id: str,
) -> tuple[list[str], list[Notice], dict[str, list[str]]]:
    """Assign users (records in ``users``). Returns (added, notices, overrode).

    Unless ``force``: LimitError when one would break a Limit, OverlapError when one
    is busy or resting then (``placement_clashes``). With ``force`` they are assigned
    anyway and ``overrode`` says, per user, the clashes that were overridden.
    """
    check_assignable(task, force=force, verb="assign to")
    assigned = [users[u] for u in task.mattermost_user_ids]
    added: list[str] = []
    overrode: dict[str, list[str]] = {}
    for uid in user_ids:
        if uid in task.mattermost_user_ids:
            continue
        candidate = users[uid]
        broken = None if force else limit_broken_by(task.limit, assigned, candidate)
        if broken is not None:
            raise LimitError(
                f"Assigning {uid} to {task.task_id} would break its limit {broken}"
                f" (at most {task.limit.get(broken)}); use --force to assign anyway.",
                task_id=task.task_id,
                user_id=uid,
                need=broken,
            )
        busy = placement_clashes(candidate, task, rotation)
        if busy and not force:
            raise OverlapError(
                f"{uid} is not available for {task.task_id} "
                f"({'; '.join(clash_text(e, task) for e in busy)}); use --force to assign anyway.",
                task_id=task.task_id,
                user_id=uid,
                overlapping=[e.task_id for e in busy if e.task_id],
            )
        if busy:
            overrode[uid] = [clash_text(e, task) for e in busy]
        task.mattermost_user_ids.append(uid)
        assigned.append(candidate)
        added.append(uid)
    for uid in added:
        _serve(session, rotation, task, users[uid])
    notices: list[Notice] = []
    if added and task.state != STATE_PENDING:
        interval = task_interval(task)
        for uid in task.mattermost_user_ids:
            if uid in added:
                notices.append(
                    notice(
                        "assigned",
                        uid,
                        actor_id,
                        task=task,
                        interval=interval,
                        task_type=rotation.task_type,
                    )
                )
            else:
                notices.append(
                    notice(
                        "added",
                        uid,
                        actor_id,
                        task=task,
                        interval=interval,
                        added_user_ids=list(added),
                        task_type=rotation.task_type,
                    )
                )
    notices += changed_post(rotation, task, actor_id, added=added)
    session.save_task(task)
    sync_open(session, rotation, task)
    return added, notices, overrode


def changed_post(
    rotation: Rotation,
    task: Task,
    actor_id: str,
    *,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    offers_closed: bool = False,
) -> list[Notice]:
    """The channel's post that someone changed a task's people by hand (none for a pending
    task: the channel hears of a task once it is scheduled)."""
    if task.state == STATE_PENDING or not (added or removed):
        return []
    return channel_notice(
        rotation,
        "shift_changed",
        actor_id,
        task=task,
        interval=task_interval(task),
        added_user_ids=list(added),
        removed_user_ids=list(removed),
        outcome="offers_closed" if offers_closed else "",
    )


def unassign(
    session: Session,
    rotation: Rotation,
    task: Task,
    user_ids: list[str],
    users: dict[str, User],
    *,
    force: bool,
    actor_id: str,
) -> tuple[list[str], list[Notice]]:
    """Unassign users, remove their events for the task and give back their LastServed.

    Returns (removed, notices).
    """
    check_assignable(task, force=force, verb="unassign from")
    missing = [u for u in user_ids if u not in task.mattermost_user_ids]
    if missing:
        raise NotFoundError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not assigned to "
            f"{task.task_id}; see `task show {task.task_id}`.",
            task_id=task.task_id,
            user_ids=missing,
        )
    notices: list[Notice] = []
    interval = task_interval(task)
    # Whoever leaves a task leaves its offers too: there is no place left to offer.
    closed = any(o.user_id in user_ids for o in task.offers)
    task.offers = [o for o in task.offers if o.user_id not in user_ids]
    for uid in user_ids:
        task.mattermost_user_ids.remove(uid)
        user = users[uid]
        unmark_task(user, task)  # gives back exactly the credit the task gave
        session.save_user(user)
        if task.state != STATE_PENDING:
            notices.append(
                notice(
                    "unassigned",
                    uid,
                    actor_id,
                    task=task,
                    interval=interval,
                    task_type=rotation.task_type,
                )
            )
    notices += changed_post(rotation, task, actor_id, removed=list(user_ids), offers_closed=closed)
    session.save_task(task)
    sync_open(session, rotation, task)
    return list(user_ids), notices


def fill_rng(rotation: Rotation, task: Task) -> random.Random:
    """The fill generator, seeded by the rotation's Seed and the task id: same state, same fill."""
    return random.Random(f"{rotation.fill_settings.seed}/{task.task_id}")


def fill(
    session: Session,
    rotation: Rotation,
    task: Task,
    users: dict[str, User],
    now: datetime,
    *,
    force: bool = False,
) -> list[str]:
    """Auto-assign users to a pending task (with ``force`` also a scheduled or started one)
    with the rotation's filler. Returns the added ids.

    ``users`` must hold the records of the rotation's members and of the task's users.
    """
    check_fillable(task, force=force)
    try:
        added = fillers.fill(rotation, task, users, now, fill_rng(rotation, task))
    except InsufficientError as err:
        prefix = f"failed to fill task {task.task_id}: "
        message = err.message if err.message.startswith(prefix) else prefix + err.message
        raise InsufficientError(message, **{**err.context, "task_id": task.task_id}) from None
    for uid in added:
        task.mattermost_user_ids.append(uid)
    for uid in added:
        _serve(session, rotation, task, users[uid])
    session.save_task(task)
    sync_open(session, rotation, task)
    return added


def transition(
    session: Session,
    rotation: Rotation,
    task: Task,
    to: str,
    users: dict[str, User],
    *,
    now: datetime,
    actor_id: str,
    others: Iterable[Task] = (),
) -> tuple[str, list[Notice]]:
    """Move ``task`` to state ``to`` (same state: no-op); marks its users served, notifies them.

    The rotation's channel hears of a scheduled and of a started task; for a start,
    ``others`` (the rotation's other open tasks, when loaded) tell whom it takes over from.
    """
    prev = task.state
    if not model_transition(task, to, now):
        return prev, []
    if to in (STATE_STARTED, STATE_FINISHED):
        task.offers = []  # a started task's places can no longer be traded
    interval = task_interval(task)
    notices: list[Notice] = []
    handover = _handover(task, others) if to == STATE_STARTED else []
    for uid in task.mattermost_user_ids:
        _serve(session, rotation, task, users[uid])
        if to in (STATE_SCHEDULED, STATE_STARTED, STATE_FINISHED):
            notices.append(
                notice(
                    to,
                    uid,
                    actor_id,
                    task=task,
                    interval=interval,
                    task_type=rotation.task_type,
                    handover_user_ids=list(handover),
                )
            )
    if to == STATE_SCHEDULED:
        notices += channel_notice(
            rotation, "shift_scheduled", actor_id, task=task, interval=interval
        )
    elif to == STATE_STARTED:
        notices += channel_notice(
            rotation,
            "shift_started",
            actor_id,
            task=task,
            interval=interval,
            handover_user_ids=handover,
        )
    session.save_task(task)
    sync_open(session, rotation, task)
    return prev, notices


def _handover(task: Task, others: Iterable[Task]) -> list[str]:
    """Who was on call before ``task``: the users of the latest other task started before it."""
    before = [
        t
        for t in others
        if t.task_id != task.task_id
        and t.actual_start is not None
        and task.actual_start is not None
        and t.actual_start <= task.actual_start
    ]
    if not before:
        return []
    latest = max(before, key=lambda t: t.actual_start or datetime.min)
    return list(latest.mattermost_user_ids)
