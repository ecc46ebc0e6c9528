"""Coverage is never silently lost: the autopilot fills offered places nobody took.

An offered place (or part of one) still open the rotation's ``cover_by`` before it
begins is given by the autopilot to a member the rotation's own filler picks
from the free, qualified members — the person who offered it counts as
unavailable, and the pick must fit as any taker must (``lotto.model.offer``).
The offerer, the new person and the channel are told (the notices of a take,
marked as the autopilot's). When nobody can be found, the owners and the
channel get one alert (``alert_offer_open``, once per offer).

With ``cover_by`` set to 0 the autopilot fills nothing and only alerts, 24 h
before, as it always did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto import fillers
from lotto.api import Notice
from lotto.errors import InsufficientError
from lotto.model.offer import offer_span, take_refusal
from lotto.model.rotation import Rotation
from lotto.model.skill import ANY
from lotto.model.task import STATE_FINISHED, Offer, Task
from lotto.model.user import User
from lotto.service.alerts import alert_once
from lotto.service.offering import take_offer
from lotto.service.taskops import fill_rng
from lotto.store import Session

__all__ = ["ALERT_ONLY_BEFORE", "cover_pick", "cover_open_offers"]

#: With ``cover_by`` 0, an offered place still open this close to its start is an alert.
ALERT_ONLY_BEFORE = timedelta(hours=24)


def cover_pick(
    rotation: Rotation, task: Task, offer: Offer, users: dict[str, User], now: datetime
) -> str | None:
    """Whom the rotation's filler puts in ``offer``'s place, or None when nobody fits.

    The filler fills the task as it would be without the offerer, over the offered
    span, needing one person more than stay; the offerer may not be picked.
    """
    span = offer_span(task, offer)
    if span is None:
        return None
    staying = [u for u in task.mattermost_user_ids if u != offer.user_id]
    require = dict(task.require)
    require[ANY] = max(require.get(ANY, 0), len(staying) + 1)
    trial = msgspec.structs.replace(
        task,
        mattermost_user_ids=staying,
        require=require,
        expected_start=span[0],
        expected_duration=span[1] - span[0],
        actual_start=None,
        actual_finish=None,
    )
    # Everyone still on the task stays unpickable; the offerer is away.
    pool = {u: rec for u, rec in users.items() if u != offer.user_id}
    try:
        picks = fillers.fill(rotation, trial, pool, now, fill_rng(rotation, task))
    except InsufficientError:
        return None
    assigned = {u: users[u] for u in task.mattermost_user_ids if u in users}
    for uid in picks:
        if uid not in task.mattermost_user_ids and (
            take_refusal(task, rotation, assigned, offer, users[uid]) is None
        ):
            return uid
    return None


def cover_open_offers(
    session: Session,
    rotation: Rotation,
    tasks: dict[str, Task],
    users: dict[str, User],
    *,
    now: datetime,
    actor_id: str,
) -> tuple[list[str], list[Notice]]:
    """Fill (or alert about) the open offers due for cover at ``now``: returns the users
    placed and the notices. ``users`` holds the members and the tasks' people."""
    cover_by = rotation.autopilot_settings.cover_by
    placed: list[str] = []
    notices: list[Notice] = []
    for task in tasks.values():
        if task.state == STATE_FINISHED:
            continue
        for offer in list(task.offers):
            span = offer_span(task, offer)
            if span is None or now >= span[1]:
                continue
            before = cover_by if cover_by > timedelta(0) else ALERT_ONLY_BEFORE
            if now < span[0] - before:
                continue
            taker = cover_pick(rotation, task, offer, users, now) if cover_by else None
            if taker is not None:
                notices += take_offer(
                    session,
                    rotation,
                    task,
                    offer,
                    users,
                    taker,
                    actor_id=actor_id,
                    by_autopilot=True,
                )
                placed.append(taker)
                continue
            notices += alert_once(
                session,
                rotation,
                task,
                "alert_offer_open",
                actor_id,
                cause=offer.offer_id,
                subject_id=offer.user_id,
                outcome="nobody" if cover_by else "",
                interval=span,
                part=offer.start is not None,
            )
    return placed, notices
