"""Fillers: pure functions that pick users for a task (docs/design.md §3).

``fill(rotation, task, users, now, rng)`` dispatches on the rotation's
``FillerType``. Fillers read no store and no clock: the same records, time
and seed give the same picks.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

import msgspec

from lotto.errors import InputError
from lotto.fillers import queue, solar_lottery
from lotto.model.rotation import FILLER_QUEUE, FILLER_SOLAR_LOTTERY, Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = ["fill", "FILLERS", "queue", "solar_lottery"]

FILLERS = {
    FILLER_SOLAR_LOTTERY: solar_lottery.fill,
    FILLER_QUEUE: queue.fill,
}


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
    filler = FILLERS.get(rotation.filler_type or FILLER_SOLAR_LOTTERY)
    if filler is None:
        raise InputError(
            f"rotation {rotation.rotation_id} has an unknown fill type "
            f"{rotation.filler_type!r}: use solar-lottery or queue.",
            rotation_id=rotation.rotation_id,
            filler_type=rotation.filler_type,
        )
    if any(count <= 0 for count in task.require.values()):
        # "At least 0" asks for nobody (docs/design.md §3 step 5 drops such needs); the
        # fillers take every Require key as open, so drop them here, once, for
        # every caller. The task passed in is not changed.
        task = msgspec.structs.replace(
            task, require={n: c for n, c in task.require.items() if c > 0}
        )
    return filler(rotation, task, users, now, rng)
