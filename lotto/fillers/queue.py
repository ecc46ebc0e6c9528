"""The queue filler (docs/design.md §3): longest-waiting first, no randomness.

Candidates are ordered by ``LastServed`` (unset counts as the rotation's fair
start, one cycle before its Beginning), oldest first, ties by user id. Needs are
served in a fixed order: a need nobody can fill first (so the error names it),
then needs that also have a Limit, then the other skills, then ``any`` — the
same preference the lottery's need weights express. Each need takes the first
candidate in queue order who breaks no Limit; a candidate skipped for a Limit
is out of this fill, as in the lottery.

As the lottery's, a fill is :class:`~lotto.fillers._common.Needs` (prepared once
per task) and :func:`pick` (given the people's ``LastServed``).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from lotto.fillers._common import (
    Needs,
    assigned_users,
    candidates,
    count_met,
    insufficient_error,
)
from lotto.model.rotation import Rotation
from lotto.model.skill import ANY
from lotto.model.task import Task
from lotto.model.user import User, fair_start, last_served_in

__all__ = ["fill", "Prepared", "pick", "served_times", "queue_order"]


def served_times(rotation: Rotation, users: Iterable[User]) -> list[int]:
    """Each user's ``LastServed`` in ``rotation``, the fair start for those who never served."""
    default = fair_start(rotation, 0)
    return [last_served_in(u, rotation, default) for u in users]


def queue_order(rotation: Rotation, users: list[User]) -> list[User]:
    """``users`` oldest ``LastServed`` first, ties by id."""
    served = served_times(rotation, users)
    order = sorted(range(len(users)), key=lambda i: (served[i], users[i].mattermost_user_id))
    return [users[i] for i in order]


def _rank(nid: str, pool: list[int], limit: Mapping[str, int]) -> int:
    if not pool:
        return 0
    if nid == ANY:
        return 3
    return 1 if nid in limit else 2


def fill(
    rotation: Rotation,
    task: Task,
    users: Mapping[str, User],
    now: datetime,
    rng: random.Random | None = None,
) -> list[str]:
    """Pick users for ``task`` in queue order; same contract as the lottery's ``fill``.

    ``now`` and ``rng`` are accepted for a uniform signature and not used.
    """
    pool = candidates(rotation, task, users)
    prepared = Prepared(rotation, task, pool, assigned_users(task, users), now)
    return [pool[i].mattermost_user_id for i in prepared.pick(rng)]


class Prepared:
    """The queue for one task among a fixed list of people (ordered by id), ready for many fills.

    As the lottery's ``Prepared``: :meth:`pick` with nothing replaced is :func:`fill`.
    """

    #: The queue draws nothing at random: every fill of the same state gives the same picks.
    random_draws = False

    __slots__ = ("needs", "_default", "_served")

    def __init__(
        self,
        rotation: Rotation,
        task: Task,
        people: Sequence[User],
        assigned: Iterable[User],
        now: datetime,
        absent: Collection[int] = (),
    ) -> None:
        del now  # the queue's order does not depend on the time
        self.needs = Needs(task, [user.skill_levels for user in people], assigned, absent)
        self._default = fair_start(rotation, 0)
        self._served = served_times(rotation, people)

    def pick(
        self,
        rng: random.Random | None = None,
        served: Mapping[int, int] | None = None,
        busy: Collection[int] = (),
    ) -> list[int]:
        """The people (numbers in the list given) taken, in pick order; see :func:`pick`.

        ``served`` maps some people to the ``LastServed`` to use instead of their
        record's; people in ``busy`` are not candidates this time; ``rng`` is not used.
        """
        times = self._served
        if served:
            times = times.copy()
            for i, s in served.items():
                times[i] = s if s > 0 else self._default
        return pick(self.needs, times, busy)


def pick(needs: Needs, served: Sequence[int], busy: Collection[int] = ()) -> list[int]:
    """The people (numbers of ``needs``' list) the queue takes, in pick order.

    ``served[i]``: person ``i``'s :func:`served_times`; the people's numbers
    must follow their ids (as :func:`~lotto.fillers._common.candidates` lists
    them), which break ties. People in ``busy`` are not candidates this time.
    Raises InsufficientError when a Require need runs out of candidates.
    """
    require = dict(needs.require)
    limit = dict(needs.limit)
    full = set(needs.full)
    met_of = needs.met
    pools = {
        nid: sorted((i for i in members if i not in busy), key=lambda i: (served[i], i))
        for nid, members in needs.qualified.items()
    }
    picked: list[int] = []
    while require:
        # min is stable: the sorted order of the needs breaks ties.
        nid = min(sorted(require), key=lambda n: _rank(n, pools[n], limit))
        queue = pools[nid]
        while True:
            if not queue:
                raise insufficient_error(needs.task_id, require, nid)
            i = queue[0]
            met = met_of[i]
            if met is None:
                met = needs.met_of(i)
            for other in met:  # accepted or skipped for a Limit, out of every pool now
                if other in pools:
                    pools[other].remove(i)
            if full.isdisjoint(met):
                break
        count_met(met, require, limit, full)
        picked.append(i)
    return picked
