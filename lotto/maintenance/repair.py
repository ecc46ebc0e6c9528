"""Repairs of derived records: the indexes and the open-task records.

Only records that are derived from others are ever rewritten, each rebuilt
from the records it is derived from; rotations, tasks and users are never
changed (their problems need a person to decide). All writes go in ONE unit
of work, which re-reads the store and re-checks it first: a problem fixed or
changed in the meantime is left alone, and a command changing a record that
the repair read makes the repair start over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lotto.maintenance.check import FIXABLE, Problem, check_snapshot
from lotto.maintenance.snapshot import Snapshot, all_keys, read_values
from lotto.model import keys
from lotto.model.index import Index, OpenTasks
from lotto.model.record import encode

__all__ = ["Change", "repair"]

_ACTIVE_KINDS = {"active_missing", "active_archived", "active_unlisted"}
_OPEN_KINDS = {"open_tasks_mismatch", "open_tasks_missing"}


@dataclass(frozen=True)
class Change:
    """One write of a repair: ``value`` None deletes ``key``."""

    key: str
    value: bytes | None
    description: str

    def __str__(self) -> str:
        return f"{self.key}: {self.description}"


def repair(kv: Any, problems: Iterable[Problem], *, dry_run: bool = False) -> list[Change]:
    """Fix the fixable ``problems`` (see ``check.FIXABLE``) still present; return the writes.

    One unit of work: the key listing, one MGET per 5000 keys, and one commit
    (none if nothing changes or ``dry_run``, which only reports).
    """
    wanted = {(p.kind, p.key) for p in problems if p.kind in FIXABLE}
    if not wanted:
        return []

    def fn(uow: Any) -> list[Change]:
        snap = Snapshot.of(read_values(uow, all_keys(kv)))
        current = {(p.kind, p.key) for p in check_snapshot(snap)} & wanted
        changes = _plan(snap, current)
        if not dry_run:
            for change in changes:
                uow.set(change.key, change.value)
        return changes

    return kv.run(fn)


def _plan(snap: Snapshot, current: set[tuple[str, str]]) -> list[Change]:
    kinds = {kind for kind, _ in current}
    changes: list[Change] = []
    if kinds & _ACTIVE_KINDS:
        changes.append(_rebuild_active(snap))
    for kind, key in sorted(current, key=lambda p: p[1]):
        if kind not in _OPEN_KINDS and kind != "open_tasks_orphan":
            continue
        rid = key[len(keys.open_tasks("")) :]
        if kind in _OPEN_KINDS:
            rotation = snap.rotations[rid]
            tasks = snap.expected_open(rotation)
            listed = (
                ", ".join(f"{t} ({', '.join(u) or 'nobody'})" for t, u in tasks.items()) or "none"
            )
            changes.append(
                Change(
                    key,
                    encode(OpenTasks(tasks=tasks)),
                    f"rebuilt from the tasks of rotation {rid}; open: {listed}",
                )
            )
        elif kind == "open_tasks_orphan":
            changes.append(Change(key, None, f"deleted: rotation {rid} has no record"))
    if "skill_unknown" in kinds:
        changes.append(_rebuild_skills(snap))
    return changes


def _rebuild_active(snap: Snapshot) -> Change:
    old = snap.index_ids(keys.ACTIVE_ROTATIONS)
    # A rotation whose record does not decode stays listed: whether it is
    # archived is unknown, and dropping it would hide it from every command.
    keep = {rid for rid in old if keys.rotation(rid) in snap.bad}
    new = sorted(keep | {rid for rid, rot in snap.rotations.items() if not rot.is_archived})
    return Change(
        keys.ACTIVE_ROTATIONS,
        encode(Index(ids=new)),
        "rebuilt from the rotation records" + _diff(old, new),
    )


def _rebuild_skills(snap: Snapshot) -> Change:
    old = snap.index_ids(keys.SKILLS)
    new = sorted(set(old).union(*(u.skill_levels for u in snap.users.values())))
    return Change(
        keys.SKILLS, encode(Index(ids=new)), "added the skills users have" + _diff(old, new)
    )


def _diff(old: list[str], new: list[str]) -> str:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    text = ""
    if added:
        text += f"; added {', '.join(added)}"
    if removed:
        text += f"; removed {', '.join(removed)}"
    return text
