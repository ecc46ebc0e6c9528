"""Task ids (``R#N``): the one place they are built and taken apart.

Kept apart from :mod:`lotto.model.task` so the rotation's task history
(:mod:`lotto.model.history`) can read numbers without the task rules;
``lotto.model.task`` re-exports these names.
"""

from __future__ import annotations

from lotto.errors import InputError

__all__ = ["shift_task_id", "rotation_id_of", "task_number"]


def shift_task_id(rotation_id: str, n: int) -> str:
    """Id of shift (or ticket) ``n`` of a rotation: ``R#N``; the one place task ids are built."""
    return f"{rotation_id}#{n}"


def rotation_id_of(task_id: str) -> str:
    """The rotation id part of a task id (``SET#3`` → ``SET``); InputError if there is none."""
    rotation_id, sep, number = task_id.rpartition("#")
    if not sep or not rotation_id or not number:
        raise InputError(
            f"{task_id!r} is not a task id: write it as ROTATION#NUMBER, e.g. ICE#3.",
            task_id=task_id,
        )
    return rotation_id


def task_number(task_id: str) -> int | None:
    """The number part of a task id (``SET#3`` → 3), or None if it is not a number."""
    rotation_id_of(task_id)
    number = task_id.rpartition("#")[2]
    return int(number) if number.isdigit() else None
