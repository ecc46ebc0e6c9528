"""Every storage key of the lotto package, built in one place.

Keys are readable so an operator can ``redis-cli --scan`` and ``GET`` them
(the kvstore adds the plugin-id namespace)::

    rotation:<rotation id>           Rotation
    task:<task id>                   Task          (task ids look like ``SET#3``)
    user:<mattermost user id>        User
    index:active_rotations           Index of active rotation ids
    index:skills                     Index of known skills
    index:open_tasks:<rotation id>   OpenTasks: the rotation's unfinished tasks and their users
    memberships:<rotation id>        Memberships: when each person joined and left the rotation

:data:`RECORD_KINDS` is that table as data: the store decodes with it and the
maintenance tools (``lotto-store``) list, check and restore with it.
"""

from __future__ import annotations

from typing import NamedTuple

from kvstore import Follow
from lotto.model.index import Index, OpenTasks
from lotto.model.membership import Memberships
from lotto.model.record import Record
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = [
    "ACTIVE_ROTATIONS",
    "SKILLS",
    "rotation",
    "task",
    "user",
    "open_tasks",
    "memberships",
    "RecordKind",
    "RECORD_KINDS",
    "INDEX_KEYS",
    "kind_of",
    "record_type_of",
    "id_of",
    "follow_active_rotations",
    "follow_members",
]

ACTIVE_ROTATIONS = "index:active_rotations"
SKILLS = "index:skills"

_ROTATION = "rotation:"
_TASK = "task:"
_USER = "user:"
_INDEX = "index:"
_OPEN_TASKS = _INDEX + "open_tasks:"
_MEMBERSHIPS = "memberships:"


class RecordKind(NamedTuple):
    """One kind of stored record: the prefix of its keys and the type stored there."""

    prefix: str
    record_type: type[Record]


#: Every kind of record by name, in matching order: ``open_tasks`` comes before
#: the generic ``index`` because its prefix is the longer match.
RECORD_KINDS: dict[str, RecordKind] = {
    "open_tasks": RecordKind(_OPEN_TASKS, OpenTasks),
    "index": RecordKind(_INDEX, Index),
    "rotation": RecordKind(_ROTATION, Rotation),
    "task": RecordKind(_TASK, Task),
    "user": RecordKind(_USER, User),
    "memberships": RecordKind(_MEMBERSHIPS, Memberships),
}
#: The index records that exist (any other ``index:`` key but open tasks is no lotto key).
INDEX_KEYS = (ACTIVE_ROTATIONS, SKILLS)


def rotation(rotation_id: str) -> str:
    """Key of a rotation record."""
    return _ROTATION + rotation_id


def task(task_id: str) -> str:
    """Key of a task record."""
    return _TASK + task_id


def user(user_id: str) -> str:
    """Key of a user record."""
    return _USER + user_id


def open_tasks(rotation_id: str) -> str:
    """Key of a rotation's open-tasks record."""
    return _OPEN_TASKS + rotation_id


def memberships(rotation_id: str) -> str:
    """Key of a rotation's memberships record (who joined and left when)."""
    return _MEMBERSHIPS + rotation_id


def kind_of(key: str) -> str:
    """The record kind stored under ``key``: rotation, task, user, open_tasks, index or
    memberships.

    ValueError if ``key`` has none of the prefixes.
    """
    for kind, (prefix, _) in RECORD_KINDS.items():
        if key.startswith(prefix):
            return kind
    raise ValueError(f"not a lotto key: {key!r}")


def record_type_of(key: str) -> type[Record]:
    """The record type stored under ``key`` (ValueError if it is no lotto key)."""
    return RECORD_KINDS[kind_of(key)].record_type


def id_of(key: str) -> str:
    """The id after the kind's prefix: rotation, task or user id (``task:SET#3`` → ``SET#3``)."""
    return key[len(RECORD_KINDS[kind_of(key)].prefix) :]


def follow_active_rotations(containing: str) -> Follow:
    """Read the active-rotations index together with every active rotation whose
    id contains ``containing`` in any case (ASCII) and its open-tasks record (one round trip)."""
    return Follow(
        ACTIVE_ROTATIONS, "IDs", [_ROTATION, _OPEN_TASKS], containing=containing, ignore_case=True
    )


def follow_members(rotation_id: str) -> Follow:
    """Read a rotation's record together with every member's user record (one round trip)."""
    return Follow(rotation(rotation_id), "MattermostUserIDs", [_USER])
