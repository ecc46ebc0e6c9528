"""A rotation's task history: which tasks were made, without listing the finished ones.

Every command reads the rotation record, so it must not grow with the
rotation's age (issue 15). ``Rotation.task_ids`` lists the tasks not finished
yet; the numbers N of finished tasks ``R#N`` are kept as sorted, merged,
inclusive ranges (``Rotation.finished_numbers``). A rotation whose shifts are
made and finished in order holds one range however long it runs; a gap stays
only where a number was never made or its task is still open, and a gap made
only of a daily rotation's skipped holidays (numbers never made) is closed.

The questions asked of a history all come here: was task N made
(:func:`task_made`), which tasks carry numbers between two bounds
(:func:`made_task_ids`: the stats window, the calendar feed's past, the
forecast's plan), how many were made (:func:`made_count`). Task records
themselves stay at ``task:R#N``: history readers derive the ids and read
only the ones they need, in one batch.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterator

from lotto.model.rotation import Rotation, holiday_of_shift
from lotto.model.taskid import shift_task_id

__all__ = [
    "task_made",
    "record_finished",
    "move_finished",
    "made_task_ids",
    "finished_ids_newest_first",
    "made_count",
]

# A gap of more numbers than this is never checked for holidays (a week of them is plenty).
_HOLIDAY_GAP = 7


def _own_number(rotation: Rotation, task_id: str) -> int | None:
    """N of ``task_id`` when it is ``R#N`` of this rotation, else None."""
    rid, sep, number = task_id.rpartition("#")
    if not sep or rid != rotation.rotation_id or not number.isdigit():
        return None
    return int(number)


def _first(span: tuple[int, int]) -> int:
    return span[0]


def _finished(rotation: Rotation, n: int) -> bool:
    ranges = rotation.finished_numbers
    i = bisect.bisect_right(ranges, n, key=_first) - 1
    return i >= 0 and ranges[i][0] <= n <= ranges[i][1]


def task_made(rotation: Rotation, task_id: str) -> bool:
    """Whether ``task_id`` was ever made in ``rotation`` (open, or finished)."""
    if task_id in rotation.task_ids:
        return True
    n = _own_number(rotation, task_id)
    return n is not None and _finished(rotation, n)


def _bridgeable(rotation: Rotation, low: int, high: int) -> bool:
    """True if every number in ``[low, high]`` is a holiday's turn, never made."""
    if high - low + 1 > _HOLIDAY_GAP:
        return False
    return all(holiday_of_shift(rotation, n) for n in range(low, high + 1))


def _add(rotation: Rotation, n: int) -> None:
    ranges = rotation.finished_numbers
    if _finished(rotation, n):
        return
    i = bisect.bisect_left(ranges, n, key=_first)
    ranges.insert(i, (n, n))
    # Merge with the right neighbour, then the left (adjacent or across holidays only).
    for j in (i, i - 1):
        if 0 <= j < len(ranges) - 1:
            (a, b), (c, d) = ranges[j], ranges[j + 1]
            if c <= b + 1 or _bridgeable(rotation, b + 1, c - 1):
                ranges[j : j + 2] = [(a, max(b, d))]


def record_finished(rotation: Rotation, task_id: str) -> bool:
    """Move finished ``task_id`` out of ``task_ids`` into the ranges; True if the record changed.

    An id that is not ``R#N`` of this rotation (a hand-made record) stays listed.
    """
    n = _own_number(rotation, task_id)
    if n is None:
        return False
    _add(rotation, n)
    if task_id in rotation.task_ids:
        rotation.task_ids = [t for t in rotation.task_ids if t != task_id]
    return True


def move_finished(rotation: Rotation, open_ids: Collection[str]) -> bool:
    """Migrate an old record: every listed task not in ``open_ids`` (the rotation's real
    open tasks) goes to the ranges; True if the record changed."""
    changed = False
    for tid in [t for t in rotation.task_ids if t not in open_ids]:
        changed |= record_finished(rotation, tid)
    return changed


def made_task_ids(rotation: Rotation, low: int | None = None, high: int | None = None) -> list[str]:
    """Ids of the tasks made with numbers in ``[low, high]`` (None: unbounded).

    Finished ones first, by number, then the listed ones in creation order (a
    listed id without a number of this rotation is always included). Unbounded,
    this is as long as the history: callers bound it where it can be long.
    """
    lo = low if low is not None else 0
    out: list[str] = []
    for a, b in rotation.finished_numbers:
        first, last = max(a, lo), b if high is None else min(b, high)
        out.extend(shift_task_id(rotation.rotation_id, n) for n in range(first, last + 1))
    for tid in rotation.task_ids:
        n = _own_number(rotation, tid)
        if n is None or (lo <= n and (high is None or n <= high)):
            if n is None or not _finished(rotation, n):
                out.append(tid)
    return out


def finished_ids_newest_first(rotation: Rotation) -> Iterator[str]:
    """Ids of the finished tasks in the ranges, highest number first (lazily)."""
    for a, b in reversed(rotation.finished_numbers):
        for n in range(b, a - 1, -1):
            yield shift_task_id(rotation.rotation_id, n)


def made_count(rotation: Rotation) -> int:
    """How many tasks the rotation made (finished and open)."""
    finished = sum(b - a + 1 for a, b in rotation.finished_numbers)
    return finished + sum(1 for t in rotation.task_ids if not _listed_as_finished(rotation, t))


def _listed_as_finished(rotation: Rotation, task_id: str) -> bool:
    n = _own_number(rotation, task_id)
    return n is not None and _finished(rotation, n)
