"""The solar-lottery filler (SPEC §3): weighted random picks favouring whoever waited longest.

A user's weight is ``2 ** ((forTime − lastServed) / D)`` with D the doubling
period. Weights are kept as base-2 logarithms and shifted by their maximum
before exponentiating, so users idle for hundreds of periods neither overflow
nor drown the arithmetic; the resulting probabilities are the same as with
plain weights.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import datetime

from lotto.fillers._common import (
    Tally,
    assigned_users,
    candidates,
    for_time,
    insufficient,
    last_served,
)
from lotto.needs import user_meets
from lotto.rotation import Rotation, doubling_period
from lotto.skill import ANY
from lotto.task import Task
from lotto.user import User

__all__ = ["fill", "user_log2_weights", "NEGLIGIBLE_WEIGHT", "VERY_LARGE_WEIGHT"]

NEGLIGIBLE_WEIGHT = 1e-12
VERY_LARGE_WEIGHT = 1e12
_LOG2_NEGLIGIBLE = math.log2(NEGLIGIBLE_WEIGHT)
_LOG2_VERY_LARGE = math.log2(VERY_LARGE_WEIGHT)
_LOG2_LIMIT_BOOST = math.log2(10)


def user_log2_weights(
    rotation: Rotation, users: list[User], when: datetime
) -> dict[str, float]:
    """log2 of each user's lottery weight at ``when`` (SPEC §3 steps 3–4)."""
    period = doubling_period(rotation).total_seconds()
    now_ts = when.timestamp()
    beginning = rotation.fill_settings.beginning
    # No beginning (never happens for stored rotations) → unset LastServed weighs 1.
    default = int(beginning.timestamp()) if beginning is not None else int(now_ts)
    weights = {}
    for user in users:
        served = last_served(user, rotation, default)
        if served > now_ts:
            # Not due yet (e.g. joined with a future start): picked only if nobody else is left.
            weights[user.mattermost_user_id] = _LOG2_NEGLIGIBLE
        else:
            weights[user.mattermost_user_id] = (now_ts - served) / period
    return weights


def _choose(keys: list[str], log2_weights: list[float], rng: random.Random) -> str:
    top = max(log2_weights)
    return rng.choices(keys, weights=[2.0 ** (w - top) for w in log2_weights])[0]


def _log2_mean(values: list[float]) -> float:
    top = max(values)
    return top + math.log2(sum(2.0 ** (v - top) for v in values) / len(values))


def _need_log2_weight(
    nid: str, pool: list[User], tally: Tally, log2w: Mapping[str, float]
) -> float:
    if not pool:
        return _LOG2_VERY_LARGE  # hopeless: fail fast
    if nid == ANY:
        return _LOG2_NEGLIGIBLE  # filled last: specific skills first
    weight = _log2_mean([log2w[u.mattermost_user_id] for u in pool])
    if nid in tally.limit:
        weight += _LOG2_LIMIT_BOOST
    return weight


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
    tally = Tally(task, assigned_users(task, users))
    log2w = user_log2_weights(rotation, pool, for_time(task, now))
    pools = {nid: [u for u in pool if user_meets(u, nid)] for nid in tally.required()}
    picked: list[str] = []
    while tally.require:
        needs = tally.required()
        weights = [_need_log2_weight(nid, pools[nid], tally, log2w) for nid in needs]
        nid = _choose(needs, weights, rng)
        while True:
            need_pool = pools[nid]
            if not need_pool:
                raise insufficient(tally, nid)
            uid = _choose(
                [u.mattermost_user_id for u in need_pool],
                [log2w[u.mattermost_user_id] for u in need_pool],
                rng,
            )
            user = users[uid]
            # Accepted or skipped for a Limit, the user leaves every pool now.
            for other, members in pools.items():
                pools[other] = [m for m in members if m is not user]
            if tally.breaks_limit(user) is None:
                break
        tally.count(user)
        picked.append(uid)
    return picked
