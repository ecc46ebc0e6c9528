"""Task operations on loaded records: make, assign, unassign, fill, transition.

These functions change records held by a :class:`~lotto.store.Session` and
return notices; they never read from the store themselves except where a
docstring says so (the service and the autopilot prefetch what they need).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from lotto import fillers
from lotto.api import Notice
from lotto.errors import (
    InputError,
    InsufficientError,
    LimitError,
    NotFoundError,
    OverlapError,
    StateError,
)
from lotto.model import keys
from lotto.model.needs import limit_broken_by
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    Task,
    check_transition,
    task_interval,
)
from lotto.model.timeutil import shift_duration, shift_number_at, shift_start
from lotto.model.user import User, mark_served, unmark_task
from lotto.service.common import notice
from lotto.store import Session

__all__ = [
    "TICKET_DURATION",
    "load_open_tasks",
    "sync_open",
    "users_of",
    "make_shift",
    "shift_overlaps",
    "default_shift_number",
    "make_ticket",
    "assign",
    "unassign",
    "fill",
    "transition",
    "fill_rng",
]

TICKET_DURATION = timedelta(minutes=30)

_ASSIGNABLE = {False: (STATE_PENDING,), True: (STATE_PENDING, STATE_SCHEDULED, STATE_STARTED)}


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
    return tasks


def sync_open(session: Session, rotation: Rotation, task: Task) -> None:
    """Record the task's state and users in the rotation's open-tasks record."""
    open_rec = session.open_tasks(rotation)
    if task.state == STATE_FINISHED:
        open_rec.tasks.pop(task.task_id, None)
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


def default_shift_number(rotation: Rotation, now: datetime) -> int:
    """The shift of the period containing ``now`` (at least 0), or the first later one not made yet."""
    fs = rotation.fill_settings
    n = max(0, shift_number_at(fs.beginning or now, fs.period, fs.time_zone, now))
    while f"{rotation.rotation_id}#{n}" in rotation.task_ids:
        n += 1
    return n


def _new_shift(rotation: Rotation, number: int) -> Task:
    fs, ts = rotation.fill_settings, rotation.task_settings
    start = shift_start(fs.beginning, fs.period, fs.time_zone, number)
    duration = shift_duration(fs.beginning, fs.period, fs.time_zone, number, ts.duration)
    return Task(
        task_id=f"{rotation.rotation_id}#{number}",
        rotation_id=rotation.rotation_id,
        expected_start=start,
        expected_duration=duration,
        grace=ts.grace,
        require=dict(ts.require),
        limit=dict(ts.limit),
        description=ts.description,
    )


def shift_overlaps(rotation: Rotation, number: int, others) -> list[str]:
    """Ids of tasks in ``others`` whose interval overlaps shift ``number``'s."""
    shift = _new_shift(rotation, number)
    start, finish = task_interval(shift)
    hits = []
    for other in others:
        interval = task_interval(other)
        if interval and interval[0] < finish and start < interval[1]:
            hits.append(other.task_id)
    return hits


def make_shift(session: Session, rotation: Rotation, number: int, others) -> Task:
    """Make shift ``number``; OverlapError if it exists or overlaps a task in ``others``."""
    if rotation.task_type == TASK_TYPE_TICKET:
        rid = rotation.rotation_id
        raise InputError(
            f"Rotation {rid} makes tickets, not shifts: a rotation has either recurring shifts or "
            f"on-demand tickets, never both. Use `task new ticket {rid}` for a ticket here; for shifts, "
            "make a shift rotation with `rotation new NAME` (its --task-type is shift by default).",
            rotation_id=rid,
            task_type=rotation.task_type,
        )
    if rotation.fill_settings.beginning is None:
        raise InputError(
            f"Rotation {rotation.rotation_id} has no beginning time, so its shifts have no start.",
            rotation_id=rotation.rotation_id,
        )
    task_id = f"{rotation.rotation_id}#{number}"
    if task_id in rotation.task_ids:
        raise OverlapError(
            f"Shift {task_id} already exists: see `task show {task_id}`.",
            task_id=task_id,
            overlapping=[task_id],
        )
    hits = shift_overlaps(rotation, number, others)
    if hits:
        raise OverlapError(
            f"Shift {task_id} would overlap {', '.join(hits)}: shifts of a rotation may not overlap; "
            "pick another --number or shorten the rotation's --duration.",
            task_id=task_id,
            overlapping=hits,
        )
    task = _new_shift(rotation, number)
    rotation.task_ids.append(task.task_id)
    session.save_task(task)
    session.save_rotation(rotation)
    sync_open(session, rotation, task)
    return task


def make_ticket(session: Session, rotation: Rotation, summary: str, now: datetime) -> Task:
    """Make the rotation's next ticket (``R#SEQ``), starting ``now``; InputError on a shift rotation."""
    if rotation.task_type != TASK_TYPE_TICKET:
        # A ticket on a shift rotation would take the id R#N of a future shift N,
        # which then could never be made (the original allows only one kind too).
        rid = rotation.rotation_id
        raise InputError(
            f"Rotation {rid} makes shifts, not tickets: a rotation has either recurring shifts or "
            f"on-demand tickets, never both. Use `task new shift {rid}` for a shift here; for tickets, "
            "make a ticket rotation with `rotation new NAME --task-type ticket`.",
            rotation_id=rid,
            task_type=rotation.task_type,
        )
    ts = rotation.task_settings
    seq = ts.seq + 1
    taken = set(rotation.task_ids)
    # Stores written before this rule may hold shifts on a ticket rotation: never reuse their ids.
    while f"{rotation.rotation_id}#{seq}" in taken:
        seq += 1
    ts.seq = seq
    task = Task(
        task_id=f"{rotation.rotation_id}#{seq}",
        rotation_id=rotation.rotation_id,
        expected_start=now,
        expected_duration=ts.duration if ts.duration > timedelta(0) else TICKET_DURATION,
        grace=ts.grace,
        require=dict(ts.require),
        limit=dict(ts.limit),
        summary=summary,
        description=ts.description,
    )
    rotation.task_ids.append(task.task_id)
    session.save_task(task)
    session.save_rotation(rotation)
    sync_open(session, rotation, task)
    return task


# ----------------------------------------------------------------------------- assignment


def _check_assignable(task: Task, force: bool, verb: str) -> None:
    if task.state not in _ASSIGNABLE[force]:
        how = "only pending tasks, or scheduled and started ones with --force"
        if force:
            how = "not even with --force: the task is finished"
        raise StateError(
            f"Can not {verb} task {task.task_id} in state {task.state}: {how}.",
            task_id=task.task_id,
            state=task.state,
        )


def _serve(session: Session, task: Task, user: User) -> None:
    mark_served(user, task)
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
) -> tuple[list[str], list[Notice]]:
    """Assign users (records in ``users``); LimitError unless ``force``. Returns (added, notices)."""
    _check_assignable(task, force, "assign to")
    assigned = [users[u] for u in task.mattermost_user_ids]
    added: list[str] = []
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
        task.mattermost_user_ids.append(uid)
        assigned.append(candidate)
        added.append(uid)
    for uid in added:
        _serve(session, task, users[uid])
    notices: list[Notice] = []
    if added and task.state != STATE_PENDING:
        interval = task_interval(task)
        for uid in task.mattermost_user_ids:
            if uid in added:
                notices.append(notice("assigned", uid, actor_id, task=task, interval=interval))
            else:
                notices.append(
                    notice(
                        "added",
                        uid,
                        actor_id,
                        task=task,
                        interval=interval,
                        added_user_ids=list(added),
                    )
                )
    session.save_task(task)
    sync_open(session, rotation, task)
    return added, notices


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
    """Unassign users and remove their events for the task. Returns (removed, notices)."""
    _check_assignable(task, force, "unassign from")
    missing = [u for u in user_ids if u not in task.mattermost_user_ids]
    if missing:
        raise NotFoundError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not assigned to {task.task_id}; "
            f"see `task show {task.task_id}`.",
            task_id=task.task_id,
            user_ids=missing,
        )
    notices: list[Notice] = []
    interval = task_interval(task)
    for uid in user_ids:
        task.mattermost_user_ids.remove(uid)
        user = users[uid]
        unmark_task(user, task.task_id)
        session.save_user(user)
        if task.state != STATE_PENDING:
            notices.append(notice("unassigned", uid, actor_id, task=task, interval=interval))
    session.save_task(task)
    sync_open(session, rotation, task)
    return list(user_ids), notices


def fill_rng(rotation: Rotation, task: Task) -> random.Random:
    """The fill generator: seeded by the rotation's Seed and the task id (same state → same fill)."""
    return random.Random(f"{rotation.fill_settings.seed}/{task.task_id}")


def fill(
    session: Session, rotation: Rotation, task: Task, users: dict[str, User], now: datetime
) -> list[str]:
    """Auto-assign users to a pending task with the rotation's filler. Returns the added ids.

    ``users`` must hold the records of the rotation's members and of the task's users.
    """
    if task.state != STATE_PENDING:
        raise StateError(
            f"Can not fill task {task.task_id} in state {task.state}: only pending tasks are filled; "
            "assign people by hand with `task assign … --force`.",
            task_id=task.task_id,
            state=task.state,
        )
    try:
        added = fillers.fill(rotation, task, users, now, fill_rng(rotation, task))
    except InsufficientError as err:
        prefix = f"failed to fill task {task.task_id}: "
        message = err.message if err.message.startswith(prefix) else prefix + err.message
        raise InsufficientError(message, **{**err.context, "task_id": task.task_id}) from None
    for uid in added:
        task.mattermost_user_ids.append(uid)
    for uid in added:
        _serve(session, task, users[uid])
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
) -> tuple[str, list[Notice]]:
    """Move ``task`` to state ``to`` (same state: no-op); marks its users served, notifies them."""
    prev = task.state
    if to == prev:
        return prev, []
    check_transition(task, to)
    if to == STATE_STARTED:
        task.actual_start = now
    elif to == STATE_FINISHED:
        task.actual_finish = now
    task.state = to
    interval = task_interval(task)
    notices: list[Notice] = []
    for uid in task.mattermost_user_ids:
        _serve(session, task, users[uid])
        if to in (STATE_SCHEDULED, STATE_STARTED, STATE_FINISHED):
            notices.append(notice(to, uid, actor_id, task=task, interval=interval))
    session.save_task(task)
    sync_open(session, rotation, task)
    return prev, notices
