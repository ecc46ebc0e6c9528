"""What both fillers share: who may be picked, the prepared needs, the draw, the error.

A fill is split in two so that a forecast can reuse the first half across
thousands of fills of the same shift: :class:`Needs` prepares a task's
``Require``/``Limit`` needs for a fixed list of people (who meets what, after
the users already assigned are counted), and each filler's ``pick`` then
chooses among those people given only what changes from one fill to the next
(their ``LastServed``, and who is busy). A filler's ``fill`` is ``Needs`` +
``pick`` on the candidates of :func:`candidates`, so the stored fills and the
forecast run the same rules.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from lotto.errors import InsufficientError
from lotto.model.availability import Event, any_clash
from lotto.model.needs import format_need, format_needs, needs_matcher, qualified
from lotto.model.rotation import Rotation, rest_until
from lotto.model.skill import ANY, parse_need_id
from lotto.model.task import Task, task_interval
from lotto.model.user import User

__all__ = [
    "for_time",
    "free_for",
    "rest_end",
    "candidates",
    "assigned_users",
    "Needs",
    "count_met",
    "choose",
    "insufficient_error",
]

T = TypeVar("T")


def for_time(task: Task, now: datetime) -> datetime:
    """When a fill is for: the task's interval start, else ``now`` (docs/design.md §3 step 1)."""
    interval = task_interval(task)
    return interval[0] if interval else now


def rest_end(rotation: Rotation, task: Task) -> datetime | None:
    """When the rest after ``task``'s expected interval ends (None: no start or no grace)."""
    start = task.expected_start
    if start is None or task.grace <= timedelta(0):
        return None
    return rest_until(rotation, start + task.expected_duration, task.grace)


def free_for(calendar: Iterable[Event], task: Task, rest: datetime | None = None) -> bool:
    """True if nothing on ``calendar`` keeps its owner off ``task`` (docs/design.md §3 step 2).

    :func:`lotto.model.availability.clashes` over the task's expected interval
    and its rest until ``rest`` (:func:`rest_end`; None: no rest); a task without
    a start time keeps nobody off. The answer is decided event by event (a
    calendar is free exactly when each of its events alone is), which the
    forecast relies on to tabulate it once per event.
    """
    start = task.expected_start
    if start is None:
        return True
    return not any_clash(calendar, start, start + task.expected_duration, rest)


def candidates(rotation: Rotation, task: Task, users: Mapping[str, User]) -> list[User]:
    """Members who may be picked, sorted by id (docs/design.md §3 step 2).

    Excluded: members without a record in ``users``, users already assigned,
    and anyone whose calendar is not :func:`free_for` the task (busy, resting,
    or with a shift within the task's own rest).
    """
    assigned = set(task.mattermost_user_ids)
    start = task.expected_start
    if start is None:  # no time: nobody is kept off (as free_for)
        return [
            u
            for uid in sorted(set(rotation.mattermost_user_ids))
            if uid not in assigned and (u := users.get(uid)) is not None
        ]
    finish = start + task.expected_duration
    rest = rest_end(rotation, task)
    pool = []
    get = users.get
    # free_for inlined (a fill asks it of every member): an empty calendar is free.
    for uid in sorted(set(rotation.mattermost_user_ids)):
        user = get(uid)
        if user is None or uid in assigned:
            continue
        calendar = user.calendar
        if calendar and any_clash(calendar, start, finish, rest):
            continue
        pool.append(user)
    return pool


def assigned_users(task: Task, users: Mapping[str, User]) -> list[User]:
    """Records of the users already assigned (a missing record counts as a user with no skills)."""
    return [users.get(uid) or User(mattermost_user_id=uid) for uid in task.mattermost_user_ids]


class Needs:
    """A task's needs prepared for fills among a fixed list of people (docs/design.md §3 step 5).

    People are numbered by their place in the list given. ``require`` and
    ``limit`` are what is left once the users already assigned are counted
    (they count even if they break a limit; needs of a count of zero or less
    drop out of ``require``), ``full`` the limits used up, ``met[i]`` the needs
    person ``i`` meets and ``qualified[nid]`` the people meeting each open
    ``require`` need, ascending, without those in ``absent`` (people who may not
    be picked for this task at all). Nothing here changes while fills run.

    ``met[i]`` is worked out when first needed (None until then; :meth:`met_of`):
    a fill draws a few of thousands of people. ``qualified`` comes from one pass
    over everyone's skills (an index of the skills the needs name), not a test of
    every person against every need.
    """

    __slots__ = ("task_id", "require", "limit", "full", "met", "qualified", "_match", "_levels")

    def __init__(
        self,
        task: Task,
        skill_levels: Sequence[Mapping[str, int]],
        assigned: Iterable[User] = (),
        absent: Collection[int] = (),
    ) -> None:
        # "At least 0" asks for nobody: such needs drop out here, once, for every filler.
        require = {nid: count for nid, count in task.require.items() if count > 0}
        limit = dict(task.limit)
        match = needs_matcher([*require, *limit])
        for user in assigned:
            count_met(match(user.skill_levels), require, limit)
        self.task_id = task.task_id
        self.require: dict[str, int] = require
        self.limit: dict[str, int] = limit
        self.full = frozenset(nid for nid, count in limit.items() if count <= 0)
        self._match = match
        self._levels = skill_levels
        self.met: list[list[str] | None] = [None] * len(skill_levels)
        self.qualified = _qualified(skill_levels, sorted(require), set(absent))

    def met_of(self, i: int) -> list[str]:
        """The needs person ``i`` meets (worked out once, then kept in :attr:`met`)."""
        met = self.met[i]
        if met is None:
            met = self.met[i] = self._match(self._levels[i])
        return met


def _qualified(
    skill_levels: Sequence[Mapping[str, int]], nids: list[str], absent: set[int]
) -> dict[str, list[int]]:
    """``{nid: qualified(skill_levels, nid) less absent}`` for each of ``nids``, from ONE
    pass over everyone's skills: who holds each skill the needs name, at what level."""
    parsed = {nid: parse_need_id(nid) for nid in nids}
    # skill -> (indices, levels) in two flat lists: no tuple per person (a fill of
    # thousands would otherwise wake the garbage collector over every record).
    holders: dict[str, tuple[list[int], list[int]]] = {
        skill: ([], []) for skill, level in parsed.values() if skill != ANY and level > 0
    }
    if holders:
        get = holders.get
        for i, levels in enumerate(skill_levels):
            for skill, have in levels.items():
                held = get(skill)
                if held is not None:
                    held[0].append(i)
                    held[1].append(have)
    out: dict[str, list[int]] = {}
    for nid, (skill, level) in parsed.items():
        held = holders.get(skill)
        if held is not None:
            out[nid] = [
                i
                for i, have in zip(held[0], held[1], strict=True)
                if have >= level and i not in absent
            ]
        else:  # any, or a level everyone meets (even without the skill): test each
            out[nid] = [i for i in qualified(skill_levels, nid) if i not in absent]
    return out


def count_met(
    met: Iterable[str], require: dict[str, int], limit: dict[str, int], full: set[str] | None = None
) -> None:
    """Count someone meeting ``met`` against every Require and Limit need (docs/design.md §3).

    Require needs now met are dropped; Limit needs used up join ``full``.
    """
    for nid in met:
        if nid in require:
            left = require[nid] - 1
            if left > 0:
                require[nid] = left
            else:
                del require[nid]  # the others keep their order: the error lists them
        if nid in limit:
            limit[nid] -= 1
            if full is not None and limit[nid] <= 0:
                full.add(nid)


def choose(rng: random.Random, population: Sequence[T], cum_weights: Sequence[float]) -> T:
    """``rng.choices(population, cum_weights=cum_weights)[0]``: the same draw, less overhead.

    One ``rng.random()`` scaled by the total and bisected, exactly as the
    standard library's ``choices`` does for one item; a fill draws this way
    dozens of times, a forecast millions.
    """
    total = cum_weights[-1] + 0.0
    if not 0.0 < total < math.inf:
        raise ValueError(f"weights must add up to a positive finite total, not {total}")
    return population[bisect.bisect(cum_weights, rng.random() * total, 0, len(population) - 1)]


def insufficient_error(task_id: str, require: Mapping[str, int], nid: str) -> InsufficientError:
    """The docs/design.md §5 error for ``task_id`` when need ``nid`` of ``require`` ran dry."""
    message = (
        f"failed to fill {task_id}, filling need "
        f"{format_need(nid, require[nid], bold=True)}, "
        f"unfilled needs {format_needs(require)}: insufficient"
    )
    return InsufficientError(message, task_id=task_id, need=nid, unmet=dict(require))
