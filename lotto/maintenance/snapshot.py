"""Reading every record of the plugin at once, raw and decoded.

Maintenance works on the whole store: list every key (``list_keys`` paging,
which SCANs, never ``KEYS``), then read the values in a few big MGET batches,
never one GET per key. The decoded view keeps what did not decode, so checks
can report it instead of failing on the first bad record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from lotto.model import keys
from lotto.model.index import Index, OpenTasks
from lotto.model.membership import Memberships
from lotto.model.record import Record, decode
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_FINISHED, Task
from lotto.model.user import User

__all__ = [
    "PAGE_SIZE",
    "READ_BATCH",
    "Snapshot",
    "all_keys",
    "read_values",
    "record_type",
]

#: Keys asked of ``list_keys`` per page.
PAGE_SIZE = 1000
#: Keys read per MGET; one batch is one atomic read of Redis.
READ_BATCH = 5000

#: Where each kind of record goes in a :class:`Snapshot` (the kinds are ``keys.RECORD_KINDS``).
_FIELD_OF = {
    "rotation": "rotations",
    "task": "tasks",
    "user": "users",
    "open_tasks": "open_tasks",
    "memberships": "memberships",
}


def record_type(key: str) -> type[Record] | None:
    """The record type stored under ``key``, or None if ``key`` is no lotto key."""
    try:
        kind = keys.kind_of(key)
    except ValueError:
        return None
    if kind == "index" and key not in keys.INDEX_KEYS:
        return None
    return keys.RECORD_KINDS[kind].record_type


def all_keys(kv: Any) -> list[str]:
    """Every key of the plugin, sorted, read page by page with ``list_keys``."""
    found: list[str] = []
    page = 0
    while True:
        batch = kv.list_keys(page, PAGE_SIZE)
        found.extend(batch)
        if len(batch) < PAGE_SIZE:
            return sorted(set(found))
        page += 1


def read_values(reader: Any, key_list: Iterable[str]) -> dict[str, bytes]:
    """Values of ``key_list`` through ``reader.get_many`` (a KVStore or a unit of work),
    ``READ_BATCH`` keys per round trip; keys gone in the meantime are left out."""
    wanted = list(key_list)
    out: dict[str, bytes] = {}
    for start in range(0, len(wanted), READ_BATCH):
        for key, value in reader.get_many(wanted[start : start + READ_BATCH]).items():
            if value is not None:
                out[key] = value
    return out


@dataclass
class Snapshot:
    """The decoded records of one read of the store, by kind, keyed by the id in the key."""

    raw: dict[str, bytes]
    rotations: dict[str, Rotation] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    open_tasks: dict[str, OpenTasks] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    memberships: dict[str, Memberships] = field(default_factory=dict)
    #: key -> (problem kind, why it could not be used): ``unknown_key`` or ``undecodable``.
    bad: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, raw: Mapping[str, bytes]) -> Snapshot:
        """Decode every value of ``raw`` (key -> stored bytes)."""
        snap = cls(raw=dict(raw))
        for key, value in snap.raw.items():
            kind_type = record_type(key)
            if kind_type is None:
                snap.bad[key] = ("unknown_key", "is not a key of any Solar Lottery record")
                continue
            try:
                record = decode(kind_type, value)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                snap.bad[key] = ("undecodable", f"does not decode as a {kind_type.__name__}: {exc}")
                continue
            snap._add(key, record)
        return snap

    def _add(self, key: str, record: Record) -> None:
        if isinstance(record, Index):
            self.indexes[key] = record
            return
        getattr(self, _FIELD_OF[keys.kind_of(key)])[keys.id_of(key)] = record

    def index_ids(self, key: str) -> list[str]:
        """Ids of the index at ``key`` (empty when absent or undecodable)."""
        found = self.indexes.get(key)
        return list(found.ids) if found is not None else []

    def expected_open(self, rotation: Rotation) -> dict[str, list[str]]:
        """What ``index:open_tasks:<id>`` should hold: the rotation's listed, unfinished
        tasks that name it, with their users; an undecodable listed task keeps the
        entry the stored record has for it (nothing better is known)."""
        rid = rotation.rotation_id
        stored = self.open_tasks.get(rid)
        out: dict[str, list[str]] = {}
        for tid in rotation.task_ids:
            task = self.tasks.get(tid)
            if task is None:
                if keys.task(tid) in self.bad and stored is not None and tid in stored.tasks:
                    out[tid] = list(stored.tasks[tid])
                continue
            if task.rotation_id == rid and task.state != STATE_FINISHED:
                out[tid] = list(task.mattermost_user_ids)
        return out
