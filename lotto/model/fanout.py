"""Who of the members who could take an offered place is asked by direct message.

An offer must not message a whole big rotation
(docs/design.md §2 "Trading places"): at most :data:`ASK_AT_MOST` of the
members who could take it (the rules of :mod:`lotto.model.offer`) are asked
directly, the ones the rotation's own fairness puts first — longest since they
last served there (never served: the fair start, as for the queue filler),
ties broken by a generator seeded from the rotation's seed and the task, so the
same records always give the same choice. The rotation's channel hears of the
offer for everyone else.

Withdrawing and offering the same place again does not ask anyone again:
whoever was asked about a place is recorded on the task (:class:`Asked`) and is
not messaged about that place again for :data:`ASK_AGAIN_AFTER`. Because the
choice is the first :data:`ASK_AT_MOST` in fairness order *before* leaving out
those asked lately, offering again and again reaches nobody new either.

Pure functions on records; the service (``lotto.service.offering``) applies them.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from lotto.model.rotation import Rotation
from lotto.model.task import Asked, Task
from lotto.model.user import User, fair_start, last_served_in

__all__ = [
    "ASK_AT_MOST",
    "ASK_AGAIN_AFTER",
    "Fanout",
    "ask_order",
    "choose_asked",
    "record_asked",
]

#: At most this many members are asked directly to take one offered place.
ASK_AT_MOST = 20
#: A member asked about a place is not asked about that same place again for this long.
ASK_AGAIN_AFTER = timedelta(hours=24)
# The task keeps at most this many entries (a bound whatever the clock does).
_ASKED_KEPT = 10 * ASK_AT_MOST


class Fanout(NamedTuple):
    """Whom to ask about an offered place: ``asked`` now; ``again``, chosen but asked about
    it within :data:`ASK_AGAIN_AFTER` (not messaged again); ``eligible``, how many members
    could take it in all."""

    asked: list[str]
    again: list[str]
    eligible: int


def ask_order(rotation: Rotation, task: Task, members: Iterable[User]) -> list[User]:
    """``members`` in the order they are asked: longest since they last served in
    ``rotation`` first (unset: the fair start), ties in an order drawn from a generator
    seeded by the rotation's seed and the task id."""
    default = fair_start(rotation, 0)
    pool = sorted(members, key=lambda u: u.mattermost_user_id)
    random.Random(f"{rotation.fill_settings.seed}:{task.task_id}").shuffle(pool)
    return sorted(pool, key=lambda u: last_served_in(u, rotation, default))  # stable


def choose_asked(
    rotation: Rotation, task: Task, place: str, eligible: list[User], now: datetime
) -> Fanout:
    """Whom to ask about ``place`` (the offerer's id) on ``task``, of the ``eligible``
    members (see the module doc)."""
    chosen = [u.mattermost_user_id for u in ask_order(rotation, task, eligible)[:ASK_AT_MOST]]
    recent = {a.user_id for a in task.asked if a.place == place and _recent(a, now)}
    return Fanout(
        asked=[u for u in chosen if u not in recent],
        again=[u for u in chosen if u in recent],
        eligible=len(eligible),
    )


def record_asked(task: Task, place: str, user_ids: Iterable[str], now: datetime) -> None:
    """Note on ``task`` that ``user_ids`` were asked about ``place`` at ``now``; entries
    older than :data:`ASK_AGAIN_AFTER` are forgotten, so the record stays small."""
    new = list(dict.fromkeys(user_ids))
    kept = [
        a for a in task.asked if _recent(a, now) and not (a.place == place and a.user_id in new)
    ]
    kept += [Asked(user_id=u, place=place, at=now) for u in new]
    task.asked = kept[-_ASKED_KEPT:]


def _recent(asked: Asked, now: datetime) -> bool:
    # Either way round: a command run with an earlier --now must not forget them either.
    return abs(now - asked.at) < ASK_AGAIN_AFTER
