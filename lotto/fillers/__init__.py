"""Fillers: pure functions that pick users for a task (docs/design.md §3).

``fill(rotation, task, users, now, rng)`` dispatches on the rotation's
``FillerType``. Fillers read no store and no clock: the same records, time
and seed give the same picks.

``prepare(...)`` gives the same filler ready for many fills of one task among
a fixed list of people (a forecast replays each shift thousands of times):
its ``pick`` with nothing changed is the fill itself.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from lotto.errors import InputError
from lotto.fillers import queue, solar_lottery
from lotto.model.rotation import FILLER_QUEUE, FILLER_SOLAR_LOTTERY, Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = ["fill", "prepare", "Prepared", "FILLERS", "queue", "solar_lottery"]


class Prepared(Protocol):
    """A filler prepared for one task among a fixed list of people (numbered by place)."""

    #: Whether ``pick`` draws at random (if not, every pick of the same state is the same).
    random_draws: bool

    def pick(
        self,
        rng: random.Random,
        served: Mapping[int, int] | None = None,
        busy: Collection[int] = (),
    ) -> list[int]:
        """The people picked, in pick order, with some ``LastServed`` replaced and some busy."""
        ...


FILLERS = {
    FILLER_SOLAR_LOTTERY: solar_lottery,
    FILLER_QUEUE: queue,
}


def _filler(rotation: Rotation):  # -> the filler's module
    filler = FILLERS.get(rotation.filler_type or FILLER_SOLAR_LOTTERY)
    if filler is None:
        raise InputError(
            f"rotation {rotation.rotation_id} has an unknown fill type "
            f"{rotation.filler_type!r}: use solar-lottery or queue.",
            rotation_id=rotation.rotation_id,
            filler_type=rotation.filler_type,
        )
    return filler


def fill(
    rotation: Rotation,
    task: Task,
    users: Mapping[str, User],
    now: datetime,
    rng: random.Random,
) -> list[str]:
    """Ids of the users to add to ``task``, in pick order (nothing is changed).

    ``users`` must hold the records of the rotation's members and of the
    task's assigned users. Raises InsufficientError with the docs/design.md §5 text
    (``failed to fill ICE#3, filling need **1** any, unfilled needs 1 any:
    insufficient``) when a Require cannot be met; then nobody is assigned.
    """
    return _filler(rotation).fill(rotation, task, users, now, rng)


def prepare(
    rotation: Rotation,
    task: Task,
    people: Sequence[User],
    assigned: Iterable[User],
    now: datetime,
    absent: Collection[int] = (),
) -> Prepared:
    """The rotation's filler for ``task`` among ``people`` (sorted by id), ready for many fills.

    ``assigned``: the records of the users already on the task; ``absent``: the
    people (by place in ``people``) who may never be picked for it (already on
    it, or kept off by their calendar). ``prepare(...).pick(rng)`` with people
    ``candidates`` would list picks as ``fill`` does.
    """
    prepared: Prepared = _filler(rotation).Prepared(rotation, task, people, assigned, now, absent)
    return prepared
