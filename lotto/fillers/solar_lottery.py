"""The solar-lottery filler (docs/design.md §3): weighted random picks, longest-waiting favoured.

A user's weight is ``2 ** ((forTime − lastServed) / D)`` with D the doubling
period; a member who never served counts at the rotation's fair start
(``lotto.model.user.fair_start``). Weights are kept as base-2 logarithms and
shifted by their maximum before exponentiating, so users idle for hundreds of
periods neither overflow nor drown the arithmetic; the resulting probabilities
are the same as with plain weights.

A fill is the inner loop of a forecast (millions of draws per command), so it
is arranged for speed: :func:`fill` is :class:`~lotto.fillers._common.Needs`
(who meets what, prepared once per task) and :func:`pick` (the draws, given
the people's weights); each open Require need keeps a pool of candidate
numbers whose draw weights are updated as people leave, and a Limit is
checked against the set of needs already full. The draws themselves — how
many, in what order, over which members with which float weights — are
exactly those of the plain algorithm of docs/design.md §3 step 6;
``tests/lotto/fillers/test_golden.py`` pins them.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

from lotto.fillers._common import (
    Needs,
    assigned_users,
    candidates,
    choose,
    count_met,
    for_time,
    insufficient_error,
)
from lotto.model.rotation import Rotation, doubling_period
from lotto.model.skill import ANY
from lotto.model.task import Task
from lotto.model.user import User, fair_start

__all__ = [
    "fill",
    "Prepared",
    "pick",
    "served_times",
    "log2_weights",
    "user_log2_weights",
    "NEGLIGIBLE_WEIGHT",
    "VERY_LARGE_WEIGHT",
]

NEGLIGIBLE_WEIGHT = 1e-12
VERY_LARGE_WEIGHT = 1e12
_LOG2_NEGLIGIBLE = math.log2(NEGLIGIBLE_WEIGHT)
_LOG2_VERY_LARGE = math.log2(VERY_LARGE_WEIGHT)
_LOG2_LIMIT_BOOST = math.log2(10)
_ONE = (1.0,)  # the cumulative weights of a single need: 2 ** (w - w)


def served_times(rotation: Rotation, users: Iterable[User], when_ts: float) -> list[int]:
    """Each user's ``LastServed`` in ``rotation``, the fair start for those who never served."""
    # Never served: one cycle before the beginning (the fair start, a deliberate
    # change from the original, which counted the beginning itself).
    default = fair_start(rotation, when_ts)
    rid = rotation.rotation_id
    # As user.last_served_in, inlined: hot.
    return [s if (s := u.last_served.get(rid, 0)) > 0 else default for u in users]


def log2_weights(served: Iterable[float], when_ts: float, period_s: float) -> list[float]:
    """log2 of the lottery weights at ``when_ts`` of people last served at ``served`` (§3 step 4).

    ``period_s``: the doubling period in seconds. Someone whose ``LastServed``
    lies after ``when_ts`` (e.g. joined with a future start) is picked only if
    nobody else is left.
    """
    return [_LOG2_NEGLIGIBLE if s > when_ts else (when_ts - s) / period_s for s in served]


def user_log2_weights(rotation: Rotation, users: list[User], when: datetime) -> dict[str, float]:
    """log2 of each user's lottery weight at ``when`` (docs/design.md §3 steps 3–4)."""
    when_ts = when.timestamp()
    weights = log2_weights(
        served_times(rotation, users, when_ts), when_ts, doubling_period(rotation).total_seconds()
    )
    return {user.mattermost_user_id: w for user, w in zip(users, weights, strict=True)}


class _Pool:
    """The candidates (indices) who meet one Require need, with their draw weights cached.

    The need's weight (the log2 mean of its members' weights) and the draw
    among its members both use ``e = 2 ** (w − top)`` (top: the members'
    largest log2 weight) of the same members in the same order. They are kept
    up to date as members leave instead of being recomputed per draw: while
    ``top`` stays (someone else still has it: many users tie for it), the
    other ``e`` are unchanged and the cumulative sums before the leaver too.
    Every float is produced by the same operations, in the same order, as the
    plain formulas, so the picks are identical.
    """

    __slots__ = ("members", "_log2w", "_top", "_at_top", "_exps", "_cum", "_log2_mean")

    def __init__(self, members: list[int], log2w: Sequence[float]) -> None:
        self.members = members
        self._log2w = log2w
        self._top = 0.0
        self._at_top = 0  # how many members have the top weight
        self._exps: list[float] | None = None  # None: recompute from the weights
        self._cum: list[float] = []  # a prefix of the cumulative sums of _exps
        self._log2_mean: float | None = None

    def remove(self, index: int) -> None:
        """Take candidate ``index`` out (it must be a member)."""
        members = self.members
        at = members.index(index)
        del members[at]
        self._log2_mean = None
        exps = self._exps
        if exps is None:
            return
        if self._log2w[index] == self._top:
            self._at_top -= 1
            if not self._at_top:
                self._exps = None  # the top left: every e changes
                return
        del exps[at]
        del self._cum[at:]

    def _weights(self) -> list[float]:
        log2w = self._log2w
        values = [log2w[i] for i in self.members]
        self._top = top = max(values)
        self._at_top = values.count(top)
        self._exps = exps = [2.0 ** (v - top) for v in values]
        self._cum = []
        return exps

    def draw(self, rng: random.Random) -> int:
        """A member, at random by weight (the draw ``rng.choices`` makes)."""
        exps = self._exps
        if exps is None:
            exps = self._weights()
        cum = self._cum
        done = len(cum)
        if done < len(exps):
            # Continue the running sum from the last valid entry: the same additions
            # rng.choices(weights=exps) would make.
            if done:
                cum.extend(itertools.accumulate(exps[done:], initial=cum[-1]))
                del cum[done]  # the initial value, already there
            else:
                cum.extend(itertools.accumulate(exps))
        return choose(rng, self.members, cum)

    def log2_mean(self) -> float:
        """log2 of the mean weight of the members (not empty)."""
        mean = self._log2_mean
        if mean is None:
            exps = self._exps
            if exps is None:
                exps = self._weights()
            self._log2_mean = mean = self._top + math.log2(sum(exps) / len(exps))
        return mean


def fill(
    rotation: Rotation,
    task: Task,
    users: Mapping[str, User],
    now: datetime,
    rng: random.Random,
) -> list[str]:
    """Pick users for ``task`` by lottery; returns their ids in pick order.

    ``users`` maps ids to records and must include the rotation's members and
    the task's assigned users. Raises InsufficientError (assigning nobody)
    when a Require need runs out of candidates.
    """
    pool = candidates(rotation, task, users)
    prepared = Prepared(rotation, task, pool, assigned_users(task, users), now)
    return [pool[i].mattermost_user_id for i in prepared.pick(rng)]


class Prepared:
    """The lottery for one task among a fixed list of people, ready for many fills.

    What does not change from one fill to the next is worked out once: the
    :class:`~lotto.fillers._common.Needs` and everyone's weight from their
    record. A :meth:`pick` is then the fill of docs/design.md §3 with some
    people's ``LastServed`` replaced (a forecast's earlier picks) and some
    people busy; with neither it is exactly :func:`fill`'s.
    """

    #: The lottery draws at random: a forecast replays it many times.
    random_draws = True

    __slots__ = ("needs", "_when", "_period", "_default", "_served", "_log2w")

    def __init__(
        self,
        rotation: Rotation,
        task: Task,
        people: Sequence[User],
        assigned: Iterable[User],
        now: datetime,
        absent: Collection[int] = (),
    ) -> None:
        self.needs = Needs(task, [user.skill_levels for user in people], assigned, absent)
        self._when = when = for_time(task, now).timestamp()
        self._period = doubling_period(rotation).total_seconds()
        self._default = fair_start(rotation, when)
        self._served = served_times(rotation, people, when)
        self._log2w = log2_weights(self._served, when, self._period)

    def pick(
        self,
        rng: random.Random,
        served: Mapping[int, int] | None = None,
        busy: Collection[int] = (),
    ) -> list[int]:
        """The people (numbers in the list given) picked, in pick order; see :func:`pick`.

        ``served`` maps some people to the ``LastServed`` to use instead of their
        record's; people in ``busy`` are not candidates this time.
        """
        log2w = self._log2w
        if served:
            default = self._default
            if 2 * len(served) < len(log2w):  # a few replaced: patch their weights
                log2w = log2w.copy()
                times = [s if s > 0 else default for s in served.values()]
                for i, w in zip(served, log2_weights(times, self._when, self._period), strict=True):
                    log2w[i] = w
            else:  # most: weigh everyone again
                times = self._served.copy()
                for i, s in served.items():
                    times[i] = s if s > 0 else default
                log2w = log2_weights(times, self._when, self._period)
        return pick(self.needs, log2w, rng, busy)


def pick(
    needs: Needs, log2w: Sequence[float], rng: random.Random, busy: Collection[int] = ()
) -> list[int]:
    """The people (numbers of ``needs``' list) the lottery picks, in pick order (docs §3 step 6).

    ``log2w[i]``: person ``i``'s :func:`log2_weights`; people in ``busy`` are
    not candidates this time. Raises InsufficientError (the picks so far are
    void) when a Require need runs out of candidates.
    """
    require = dict(needs.require)
    limit = dict(needs.limit)
    full = set(needs.full)
    met_of = needs.met
    pools = {
        nid: _Pool([i for i in members if i not in busy] if busy else members[:], log2w)
        for nid, members in needs.qualified.items()
    }
    picked: list[int] = []
    open_needs = sorted(require)
    while open_needs:
        if len(open_needs) == 1:
            # One need: drawn as among several (one number from rng), whatever its weight.
            nid = choose(rng, open_needs, _ONE)
        else:
            weights = []
            for n in open_needs:
                pool = pools[n]
                if not pool.members:
                    weights.append(_LOG2_VERY_LARGE)  # hopeless: fail fast
                elif n == ANY:
                    weights.append(_LOG2_NEGLIGIBLE)  # filled last: specific skills first
                elif n in limit:
                    weights.append(pool.log2_mean() + _LOG2_LIMIT_BOOST)
                else:
                    weights.append(pool.log2_mean())
            top = max(weights)
            cum = list(itertools.accumulate([2.0 ** (w - top) for w in weights]))
            nid = choose(rng, open_needs, cum)
        need_pool = pools[nid]
        while True:
            if not need_pool.members:
                raise insufficient_error(needs.task_id, require, nid)
            i = need_pool.draw(rng)
            met = met_of[i]
            if met is None:
                met = needs.met_of(i)
            # Accepted or skipped for a Limit, the user leaves every pool now.
            for other in met:
                holder = pools.get(other)
                if holder is not None:
                    holder.remove(i)
            if full.isdisjoint(met):
                break
        count_met(met, require, limit, full)
        picked.append(i)
        if len(require) != len(open_needs):
            open_needs = sorted(require)
            for other in met:
                if other in pools and other not in require:
                    del pools[other]  # met: never weighed or drawn from again
    return picked
