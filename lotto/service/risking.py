"""Risks found inside a unit of work: what a change broke, and what to alert about.

The rules are :mod:`lotto.model.risks`'; this module reads the records they need.
"""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.model import keys
from lotto.model.availability import REASON_TASK
from lotto.model.risks import Risk, broken_tasks, needs_risks, newly_broken
from lotto.model.rotation import Rotation
from lotto.model.task import rotation_id_of
from lotto.model.user import User
from lotto.service.alerts import alert_broken
from lotto.store import Session

__all__ = ["broken_by_change", "needs_warnings"]


def broken_by_change(
    s: Session, before: dict[str, User], now: datetime, actor_id: str
) -> tuple[list[Risk], list[api.Notice]]:
    """The shifts (not over at ``now``) that the users' records changing from ``before`` to
    what the session holds now broke, and one alert per rotation naming them.

    Round trips: batch 2 = the shifts (from the users' calendars) and their rotations;
    batch 3 = the other people on them (each only when needed).
    """
    task_ids = sorted(
        {
            e.task_id
            for user in before.values()
            for e in user.calendar
            if e.reason == REASON_TASK and e.task_id and e.finish > now
        }
    )
    if not task_ids:
        return [], []
    rids = sorted({rotation_id_of(t) for t in task_ids})
    s.prefetch([*(keys.task(t) for t in task_ids), *(keys.rotation(r) for r in rids)])
    tasks = [t for tid in task_ids if (t := s.task(tid)) is not None]
    s.prefetch(keys.user(u) for t in tasks for u in t.mattermost_user_ids)
    after = {u: rec for t in tasks for u in t.mattermost_user_ids if (rec := s.user(u))}
    old = {**after, **before}
    warnings: list[Risk] = []
    notices: list[api.Notice] = []
    for rid in rids:
        rotation = s.rotation(rid)
        if rotation is None or rotation.is_archived:
            continue
        mine = [t for t in tasks if t.rotation_id == rid]
        broke = newly_broken(broken_tasks(rotation, mine, old), broken_tasks(rotation, mine, after))
        warnings += broke
        notices += alert_broken(rotation, broke, actor_id)
    return warnings, notices


def needs_warnings(s: Session, rotation: Rotation) -> list[Risk]:
    """What the rotation's requirements mean for its members (impossible, narrow).

    Round trips: one batch, the members' records (none when already read).
    """
    s.prefetch(keys.user(u) for u in rotation.mattermost_user_ids)
    users: dict[str, User] = {
        u: rec for u in rotation.mattermost_user_ids if (rec := s.user(u)) is not None
    }
    return needs_risks(rotation, users)
