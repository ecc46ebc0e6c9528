"""Which user ids a record or notice mentions: what results declare (``user_ids()``).

Every result names the users its rendering may show (``@name``, zone) through
``user_ids()``, built from these helpers; the command layer looks them all up in
ONE directory call before rendering, and rendering then asks nothing remote. A
test renders every result with a directory that refuses undeclared ids, so a
field added to a result (or shown by its renderer) without its declaration fails.

The helpers name what renderers show of each record, not every field: a task's
people and its offers' people; a rotation's members and owners; a notice's
people, its task's and its parts'.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from lotto.model.notice import Notice
from lotto.model.risks import Risk
from lotto.model.rotation import Rotation
from lotto.model.task import Task

__all__ = [
    "Declares",
    "declared",
    "of_task",
    "of_tasks",
    "of_rotation",
    "of_risks",
    "of_notices",
    "distinct",
]


@runtime_checkable
class Declares(Protocol):
    """A result: it declares the user ids it mentions."""

    def user_ids(self) -> list[str]:
        """Every user id the result's rendering may show, each once."""
        ...


def declared(result: object) -> list[str]:
    """``result.user_ids()`` (TypeError for a value that declares none)."""
    if not isinstance(result, Declares):
        raise TypeError(f"{type(result).__name__} does not declare the users it mentions")
    return result.user_ids()


def of_task(task: Task | None) -> Iterator[str]:
    """A task's assigned users and the people of its open offers."""
    if task is None:
        return
    yield from task.mattermost_user_ids
    for offer in task.offers:
        yield offer.user_id
        yield offer.to_user_id
        yield offer.opened_by


def of_tasks(tasks: Iterable[Task | None]) -> Iterator[str]:
    """:func:`of_task` of each task."""
    for task in tasks:
        yield from of_task(task)


def of_rotation(rotation: Rotation | None) -> Iterator[str]:
    """A rotation's members and owners."""
    if rotation is None:
        return
    yield from rotation.mattermost_user_ids
    yield from rotation.owners


def of_risks(risks: Iterable[Risk]) -> Iterator[str]:
    """The people warnings name (gone, missing a skill, ...)."""
    for risk in risks:
        yield from risk.user_ids


def of_notices(notices: Iterable[Notice]) -> Iterator[str]:
    """Everyone the notices name: reader, actor, the people of their tasks and parts."""
    for n in notices:
        yield n.user_id
        yield n.actor_id
        yield n.subject_id
        yield n.from_user_id
        yield from n.added_user_ids
        yield from n.removed_user_ids
        yield from n.handover_user_ids
        yield from n.next_user_ids
        yield from of_task(n.task)
        yield from of_risks(n.risks)
        if n.parts:
            yield from of_notices(n.parts)


def distinct(ids: Iterable[str]) -> list[str]:
    """The non-empty ids, each once, in first-seen order."""
    return list(dict.fromkeys(i for i in ids if i))
