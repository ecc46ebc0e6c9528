"""Consistency checks of the stored records.

:func:`check` reads every record of the plugin (see ``snapshot``) and reports
each inconsistency as a :class:`Problem`: its kind, the key that is wrong and
a one-line description. Kinds marked fixable in :data:`FIXABLE` concern only
derived records (the indexes and open-task records), which ``repair`` rebuilds
from the records they are derived from; the others need a person to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lotto.maintenance.snapshot import Snapshot, all_keys, read_values
from lotto.model import keys
from lotto.model.availability import REASON_GRACE, REASON_TASK
from lotto.model.history import task_made
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from lotto.model.task import STATE_FINISHED
from lotto.store import outbox_messages

__all__ = [
    "Problem",
    "FIXABLE",
    "KINDS",
    "check",
    "check_snapshot",
]

#: Every kind of problem, with what it means.
KINDS: dict[str, str] = {
    "unknown_key": "a key in the plugin's namespace that no lotto record uses",
    "undecodable": "a value that is not valid JSON of its record type",
    "id_mismatch": "a record whose id differs from the id in its key",
    "active_missing": "the active-rotations index names a rotation that has no record",
    "active_archived": "the active-rotations index names an archived rotation",
    "active_unlisted": "a rotation that is not archived is missing from the active-rotations index",
    "task_missing": "a rotation lists a task that has no record",
    "task_wrong_rotation": "a task listed by a rotation names another rotation",
    "task_unlisted": "a task whose rotation is missing or does not list it",
    "task_not_finished": "a rotation counts a task as finished whose record is not finished",
    "open_tasks_mismatch": "an open-tasks record differs from the rotation's unfinished tasks",
    "open_tasks_missing": "an active rotation has no open-tasks record",
    "open_tasks_orphan": "an open-tasks record of a rotation that has no record",
    "memberships_orphan": "a memberships record of a rotation that has no record",
    "assignee_missing": "a task is assigned to a user who has no record",
    "member_missing": "a rotation member has no user record",
    "event_task_missing": "a calendar event belongs to a task that has no record",
    "skill_unknown": "a user has a skill that the skills index does not list",
    "outbox_undecodable": "an outbox entry that is not a readable message (it would be set aside)",
    "outbox_dead": "a message Mattermost refused for good, kept in the dead letters",
}

#: Kinds ``repair`` can fix by rebuilding derived records.
FIXABLE = frozenset(
    {
        "active_missing",
        "active_archived",
        "active_unlisted",
        "open_tasks_mismatch",
        "open_tasks_missing",
        "open_tasks_orphan",
        "skill_unknown",
    }
)


@dataclass(frozen=True, order=True)
class Problem:
    """One inconsistency: ``kind`` (see :data:`KINDS`), the ``key`` at fault, and a description."""

    key: str
    kind: str
    description: str

    @property
    def fixable(self) -> bool:
        """Whether ``repair`` can fix this kind of problem."""
        return self.kind in FIXABLE

    def __str__(self) -> str:
        return f"{self.kind}: {self.key}: {self.description}"


#: How many outbox entries ``check`` reads (a backlog larger than this is itself the news).
OUTBOX_CHECK_LIMIT = 10_000


def check(kv: Any) -> list[Problem]:
    """Every consistency problem of the plugin's stored records and its outbox, sorted by key
    then kind.

    Round trips: the key listing (SCAN pages) plus one MGET per 5000 keys, and two
    reads of the outbox queues.
    """
    return sorted(check_snapshot(Snapshot.of(read_values(kv, all_keys(kv)))) + _check_outbox(kv))


def _check_outbox(kv: Any) -> list[Problem]:
    found: list[Problem] = []
    for queue, kind in ((OUTBOX_QUEUE, "outbox_undecodable"), (DEAD_QUEUE, "outbox_dead")):
        for i, (_, message) in enumerate(outbox_messages(kv, queue, OUTBOX_CHECK_LIMIT)):
            where = f"queue:{queue}[{i}]"
            if message is None:
                found.append(Problem(where, "outbox_undecodable", "is not a readable message"))
            elif kind == "outbox_dead":
                n = message.notice
                to = f"channel {message.channel_id}" if message.channel_id else f"user {n.user_id}"
                found.append(
                    Problem(where, kind, f"{n.kind} message to {to} was refused by Mattermost")
                )
    return found


def check_snapshot(snap: Snapshot) -> list[Problem]:
    """The problems of an already-read store (see :func:`check`)."""
    found: list[Problem] = []

    def add(kind: str, key: str, description: str) -> None:
        found.append(Problem(key=key, kind=kind, description=description))

    for key, (kind, why) in snap.bad.items():
        add(kind, key, why)
    _check_ids(snap, add)
    _check_active(snap, add)
    _check_tasks(snap, add)
    _check_open_tasks(snap, add)
    _check_users(snap, add)
    return sorted(set(found))


def _check_ids(snap: Snapshot, add) -> None:
    for rid, rotation in snap.rotations.items():
        if rotation.rotation_id != rid:
            add(
                "id_mismatch",
                keys.rotation(rid),
                f"the record's RotationID is {rotation.rotation_id!r}",
            )
    for tid, task in snap.tasks.items():
        if task.task_id != tid:
            add("id_mismatch", keys.task(tid), f"the record's TaskID is {task.task_id!r}")
    for rid, rec in snap.memberships.items():
        if rec.rotation_id != rid:
            add(
                "id_mismatch",
                keys.memberships(rid),
                f"the record's RotationID is {rec.rotation_id!r}",
            )
    for uid, user in snap.users.items():
        if user.mattermost_user_id != uid:
            add(
                "id_mismatch",
                keys.user(uid),
                f"the record's MattermostUserID is {user.mattermost_user_id!r}",
            )


def _check_active(snap: Snapshot, add) -> None:
    key = keys.ACTIVE_ROTATIONS
    active = snap.index_ids(key)
    for rid in active:
        rotation = snap.rotations.get(rid)
        if rotation is None and keys.rotation(rid) not in snap.bad:
            add("active_missing", key, f"lists rotation {rid}, which has no record")
        elif rotation is not None and rotation.is_archived:
            add("active_archived", key, f"lists rotation {rid}, which is archived")
    for rid, rotation in snap.rotations.items():
        if not rotation.is_archived and rid not in active:
            add("active_unlisted", key, f"does not list rotation {rid}, which is not archived")


def _check_tasks(snap: Snapshot, add) -> None:
    listed: dict[str, str] = {}
    for rid, rotation in snap.rotations.items():
        for tid in rotation.task_ids:
            listed.setdefault(tid, rid)
            task = snap.tasks.get(tid)
            if task is None:
                if keys.task(tid) not in snap.bad:
                    add(
                        "task_missing", keys.rotation(rid), f"lists task {tid}, which has no record"
                    )
            elif task.rotation_id != rid:
                add(
                    "task_wrong_rotation",
                    keys.task(tid),
                    f"is listed by rotation {rid} but names rotation {task.rotation_id!r}",
                )
    for tid, task in snap.tasks.items():
        owner = snap.rotations.get(task.rotation_id)
        if owner is None:
            if keys.rotation(task.rotation_id) not in snap.bad:
                add(
                    "task_unlisted",
                    keys.task(tid),
                    f"names rotation {task.rotation_id!r}, which has no record",
                )
        elif not task_made(owner, tid) and tid not in listed:
            add(
                "task_unlisted",
                keys.task(tid),
                f"is not listed in the TaskIDs or FinishedNumbers of rotation {task.rotation_id}",
            )
        elif task.state != STATE_FINISHED and tid not in owner.task_ids and task_made(owner, tid):
            add(
                "task_not_finished",
                keys.task(tid),
                f"is {task.state}, but rotation {task.rotation_id} counts it as finished",
            )


def _check_open_tasks(snap: Snapshot, add) -> None:
    for rid, rotation in snap.rotations.items():
        key = keys.open_tasks(rid)
        stored = snap.open_tasks.get(rid)
        if stored is None:
            if not rotation.is_archived and key not in snap.bad:
                add("open_tasks_missing", key, f"rotation {rid} has no open-tasks record")
            continue
        expected = snap.expected_open(rotation)
        if stored.tasks != expected:
            add("open_tasks_mismatch", key, _open_diff(stored.tasks, expected))
    for rid in snap.open_tasks:
        if rid not in snap.rotations and keys.rotation(rid) not in snap.bad:
            add("open_tasks_orphan", keys.open_tasks(rid), f"rotation {rid} has no record")
    for rid in snap.memberships:
        if rid not in snap.rotations and keys.rotation(rid) not in snap.bad:
            add("memberships_orphan", keys.memberships(rid), f"rotation {rid} has no record")


def _open_diff(stored: dict[str, list[str]], expected: dict[str, list[str]]) -> str:
    extra = sorted(set(stored) - set(expected))
    missing = sorted(set(expected) - set(stored))
    users = sorted(t for t in set(stored) & set(expected) if stored[t] != expected[t])
    parts = []
    if extra:
        parts.append(f"lists {', '.join(extra)}, not open")
    if missing:
        parts.append(f"lacks open {', '.join(missing)}")
    if users:
        parts.append(f"has other users than {', '.join(users)}")
    return "; ".join(parts)


def _check_users(snap: Snapshot, add) -> None:
    def missing(uid: str) -> bool:
        return uid not in snap.users and keys.user(uid) not in snap.bad

    for tid, task in snap.tasks.items():
        for uid in dict.fromkeys(task.mattermost_user_ids):
            if missing(uid):
                add(
                    "assignee_missing",
                    keys.task(tid),
                    f"is assigned to user {uid}, who has no record",
                )
    for rid, rotation in snap.rotations.items():
        for uid in dict.fromkeys(rotation.mattermost_user_ids):
            if missing(uid):
                add("member_missing", keys.rotation(rid), f"has member {uid}, who has no record")
    known_skills = set(snap.index_ids(keys.SKILLS))
    for uid, user in snap.users.items():
        for event in user.calendar:
            if (
                event.reason in (REASON_TASK, REASON_GRACE)
                and event.task_id
                and event.task_id not in snap.tasks
                and keys.task(event.task_id) not in snap.bad
            ):
                add(
                    "event_task_missing",
                    keys.user(uid),
                    f"has a {event.reason} event of task {event.task_id}, which has no record",
                )
        for skill in sorted(set(user.skill_levels) - known_skills):
            add("skill_unknown", keys.SKILLS, f"does not list skill {skill}, which user {uid} has")
