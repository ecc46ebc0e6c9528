"""Every storage key of the lotto package, built in one place.

Keys are readable so an operator can ``redis-cli --scan`` and ``GET`` them
(the kvstore adds the plugin-id namespace)::

    rotation:<rotation id>           Rotation
    task:<task id>                   Task          (task ids look like ``SET#3``)
    user:<mattermost user id>        User
    index:active_rotations           Index of active rotation ids
    index:skills                     Index of known skills
    index:open_tasks:<rotation id>   OpenTasks: the rotation's unfinished tasks and their users
"""

from __future__ import annotations

from kvstore import Follow

__all__ = [
    "ACTIVE_ROTATIONS",
    "SKILLS",
    "rotation",
    "task",
    "user",
    "open_tasks",
    "kind_of",
    "follow_active_rotations",
]

ACTIVE_ROTATIONS = "index:active_rotations"
SKILLS = "index:skills"

_ROTATION = "rotation:"
_TASK = "task:"
_USER = "user:"
_OPEN_TASKS = "index:open_tasks:"


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


def kind_of(key: str) -> str:
    """The record kind stored under ``key``: rotation, task, user, open_tasks or index."""
    # open_tasks before the generic index prefix: it is the longer match.
    if key.startswith(_OPEN_TASKS):
        return "open_tasks"
    if key.startswith("index:"):
        return "index"
    if key.startswith(_ROTATION):
        return "rotation"
    if key.startswith(_TASK):
        return "task"
    if key.startswith(_USER):
        return "user"
    raise ValueError(f"not a lotto key: {key!r}")


def follow_active_rotations(containing: str) -> Follow:
    """Read the active-rotations index together with every active rotation whose
    id contains ``containing`` and its open-tasks record (one round trip)."""
    return Follow(ACTIVE_ROTATIONS, "IDs", [_ROTATION, _OPEN_TASKS], containing=containing)
