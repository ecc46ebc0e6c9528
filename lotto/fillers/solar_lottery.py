"""The solar-lottery filler (docs/design.md §3): weighted random picks, longest-waiting favoured.

A user's weight is ``2 ** ((forTime − lastServed) / D)`` with D the doubling
period; a member who never served counts at the rotation's fair start
(``lotto.model.user.fair_start``). Weights are kept as base-2 logarithms and
shifted by their maximum before exponentiating, so users idle for hundreds of
periods neither overflow nor drown the arithmetic; the resulting probabilities
are the same as with plain weights.

A fill is the inner loop of a forecast (thousands per command), so it is
arranged for speed: need ids are parsed once per fill, candidates are
numbered, each open Require need keeps a pool of candidate numbers whose
draw weights are updated as people leave, and a Limit is checked against
the set of needs already full. The draws themselves — how many, in what
order, over which members with which float weights — are exactly those of
the plain algorithm of docs/design.md §3 step 6; ``tests/lotto/fillers/test_golden.py``
pins them.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping
from datetime import datetime

from lotto.fillers._common import assigned_users, candidates, for_time, insufficient_error
from lotto.model.needs import needs_matcher, qualified
from lotto.model.rotation import Rotation, doubling_period
from lotto.model.skill import ANY
from lotto.model.task import Task
from lotto.model.user import User, fair_start

__all__ = ["fill", "user_log2_weights", "NEGLIGIBLE_WEIGHT", "VERY_LARGE_WEIGHT"]

NEGLIGIBLE_WEIGHT = 1e-12
VERY_LARGE_WEIGHT = 1e12
_LOG2_NEGLIGIBLE = math.log2(NEGLIGIBLE_WEIGHT)
_LOG2_VERY_LARGE = math.log2(VERY_LARGE_WEIGHT)
_LOG2_LIMIT_BOOST = math.log2(10)


def user_log2_weights(rotation: Rotation, users: list[User], when: datetime) -> dict[str, float]:
    """log2 of each user's lottery weight at ``when`` (docs/design.md §3 steps 3–4)."""
    return {
        user.mattermost_user_id: w
        for user, w in zip(users, _log2_weight_list(rotation, users, when), strict=True)
    }


def _log2_weight_list(rotation: Rotation, users: list[User], when: datetime) -> list[float]:
    period = doubling_period(rotation).total_seconds()
    now_ts = when.timestamp()
    # Never served: one cycle before the beginning (the fair start, a deliberate
    # change from the original, which counted the beginning itself).
    default = fair_start(rotation, now_ts)
    rid = rotation.rotation_id
    weights = []
    for user in users:
        served = user.last_served.get(rid, 0)  # as user.last_served_in, inlined: hot
        if served <= 0:
            served = default
        # Not due yet (e.g. joined with a future start): picked only if nobody else is left.
        weights.append(_LOG2_NEGLIGIBLE if served > now_ts else (now_ts - served) / period)
    return weights


def _choose(keys: list[str], log2_weights: list[float], rng: random.Random) -> str:
    top = max(log2_weights)
    return rng.choices(keys, weights=[2.0 ** (w - top) for w in log2_weights])[0]


class _Pool:
    """The candidates (indices) who meet one Require need, with their draw weights cached.

    The need's weight (the log2 mean of its members' weights) and the draw
    among its members both use ``e = 2 ** (w − top)`` (top: the members'
    largest log2 weight) of the same members in the same order. They are kept
    up to date as members leave instead of being recomputed per draw: while
    ``top`` stays (it mostly does — many users tie for it), the other ``e``
    are unchanged and the cumulative sums before the leaver too. Every float
    is produced by the same operations, in the same order, as the plain
    formulas, so the picks are identical.
    """

    __slots__ = ("members", "_values", "_top", "_exps", "_cum", "_log2_mean")

    def __init__(self, members: list[int], log2w: list[float]) -> None:
        self.members = members
        self._values = [log2w[i] for i in members]
        self._top = 0.0
        self._exps: list[float] | None = None  # None: recompute from _values
        self._cum: list[float] = []  # a prefix of the cumulative sums of _exps
        self._log2_mean: float | None = None

    def remove(self, index: int) -> None:
        """Take candidate ``index`` out (it must be a member)."""
        at = self.members.index(index)
        del self.members[at]
        value = self._values.pop(at)
        self._log2_mean = None
        if self._exps is None:
            return
        if value == self._top and (not self._values or max(self._values) != value):
            self._exps = None  # the top left: every e changes
            return
        del self._exps[at]
        del self._cum[at:]

    def _weights(self) -> list[float]:
        if self._exps is None:
            values = self._values
            self._top = top = max(values)
            self._exps = [2.0 ** (v - top) for v in values]
            self._cum = []
        return self._exps

    def draw(self, rng: random.Random) -> int:
        """A member, at random by weight (one ``rng.choices`` call, as the plain form makes)."""
        exps = self._weights()
        cum = self._cum
        done = len(cum)
        if done < len(exps):
            # Continue the running sum from the last valid entry: the same additions
            # rng.choices(weights=exps) would make.
            if done:
                cum.extend(list(itertools.accumulate(exps[done:], initial=cum[-1]))[1:])
            else:
                cum.extend(itertools.accumulate(exps))
        return rng.choices(self.members, cum_weights=cum)[0]

    def log2_mean(self) -> float:
        """log2 of the mean weight of the members (not empty)."""
        if self._log2_mean is None:
            exps = self._weights()
            self._log2_mean = self._top + math.log2(sum(exps) / len(exps))
        return self._log2_mean


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
    require = dict(task.require)
    limit = dict(task.limit)
    match = needs_matcher([*require, *limit])
    # Users already assigned count first, even if they break a limit (docs/design.md §3 step 5).
    for user in assigned_users(task, users):
        _count(match(user.skill_levels), require, limit)
    full = {nid for nid, count in limit.items() if count <= 0}
    pool = candidates(rotation, task, users)
    log2w = _log2_weight_list(rotation, pool, for_time(task, now))
    levels = [user.skill_levels for user in pool]
    pools = {nid: _Pool(qualified(levels, nid), log2w) for nid in sorted(require)}
    picked: list[str] = []
    while require:
        open_needs = sorted(require)
        nid = _choose(open_needs, [_need_log2_weight(n, pools[n], limit) for n in open_needs], rng)
        need_pool = pools[nid]
        while True:
            if not need_pool.members:
                raise insufficient_error(task.task_id, require, nid)
            i = need_pool.draw(rng)
            met = match(levels[i])
            # Accepted or skipped for a Limit, the user leaves every pool now.
            for other in met:
                if other in pools:
                    pools[other].remove(i)
            if full.isdisjoint(met):
                break
        _count(met, require, limit, full)
        picked.append(pool[i].mattermost_user_id)
        for other in met:
            if other in pools and other not in require:
                del pools[other]  # met: never weighed or drawn from again, so stop updating it
    return picked


def _need_log2_weight(nid: str, pool: _Pool, limit: Mapping[str, int]) -> float:
    if not pool.members:
        return _LOG2_VERY_LARGE  # hopeless: fail fast
    if nid == ANY:
        return _LOG2_NEGLIGIBLE  # filled last: specific skills first
    weight = pool.log2_mean()
    if nid in limit:
        weight += _LOG2_LIMIT_BOOST
    return weight


def _count(
    met: list[str], require: dict[str, int], limit: dict[str, int], full: set[str] | None = None
) -> None:
    """Count a user meeting ``met`` against Require and Limit (docs/design.md §3 step 6).

    Require needs now met are dropped; Limit needs used up join ``full``.
    """
    for nid in met:
        if nid in require:
            require[nid] -= 1
        if nid in limit:
            limit[nid] -= 1
            if full is not None and limit[nid] <= 0:
                full.add(nid)
    # Rebuilt in place, keeping the order: the insufficient error lists the open needs from it.
    still_open = {nid: count for nid, count in require.items() if count > 0}
    if len(still_open) != len(require):
        require.clear()
        require.update(still_open)
