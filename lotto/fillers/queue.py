"""The queue filler (docs/design.md §3): longest-waiting first, no randomness.

Candidates are ordered by ``LastServed`` (unset counts as the rotation's fair
start, one cycle before its Beginning), oldest first, ties by user id. Needs are
served in a fixed order: a need nobody can fill first (so the error names it),
then needs that also have a Limit, then the other skills, then ``any`` — the
same preference the lottery's need weights express. Each need takes the first
candidate in queue order who breaks no Limit; a candidate skipped for a Limit
is out of this fill, as in the lottery.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime

from lotto.fillers._common import Tally, assigned_users, candidates, insufficient
from lotto.model.needs import user_meets
from lotto.model.rotation import Rotation
from lotto.model.skill import ANY
from lotto.model.task import Task
from lotto.model.user import User, fair_start, last_served_in

__all__ = ["fill", "queue_order"]


def queue_order(rotation: Rotation, users: list[User]) -> list[User]:
    """``users`` oldest ``LastServed`` first, ties by id."""
    default = fair_start(rotation, 0)
    return sorted(users, key=lambda u: (last_served_in(u, rotation, default), u.mattermost_user_id))


def _next_need(tally: Tally, pools: Mapping[str, list[User]]) -> str:
    def rank(nid: str) -> int:
        if not pools[nid]:
            return 0
        if nid == ANY:
            return 3
        return 1 if nid in tally.limit else 2

    return min(tally.required(), key=rank)  # min is stable: sorted order breaks ties


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
    del now, rng
    queue = queue_order(rotation, candidates(rotation, task, users))
    tally = Tally(task, assigned_users(task, users))
    pools = {nid: [u for u in queue if user_meets(u, nid)] for nid in tally.required()}
    picked: list[str] = []
    while tally.require:
        nid = _next_need(tally, pools)
        while True:
            if not pools[nid]:
                raise insufficient(tally, nid)
            user = pools[nid][0]
            for other, members in pools.items():
                pools[other] = [m for m in members if m is not user]
            if tally.breaks_limit(user) is None:
                break
        tally.count(user)
        picked.append(user.mattermost_user_id)
    return picked
