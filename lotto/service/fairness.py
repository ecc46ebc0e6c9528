"""The fairness report of a rotation: who served how much, against their fair share.

Pure: no store, no clock. :func:`window_task_ids` says which of a rotation's
tasks can matter for a window (so the service reads only those, in one batch);
:func:`rotation_stats` computes the report from the records.

The rules, in one place:

- A task counts for the people on it when it was started (or finished) and its
  interval starts in the window ``[since, until)``; it lasts its actual span (a
  started task counts up to ``now`` and at most its expected duration).
- A person's *available time* is their time in the rotation within the window,
  up to ``now``, less their personal unavailability. Members from before the
  rotation recorded its memberships count as members since its beginning; a
  former member without a record, up to the end of their last shift in the window.
- The places served in the window are split in *pools* by the rotation's
  requirements: the people who can fill a skill slot (a Require need other than
  ``any``; someone meeting several joins the first, in need order) share that
  slot's places (its count × the shifts), everyone else shares the remainder.
  Within a pool places (and hours) are shared in proportion to available time:
  that is the *fair share*; the *difference* is served − share, so each person
  is measured against their own pool.
- *Last served* is the end of a person's latest shift in the window that ended
  by ``now``; *next shift* their first shift of the rotation starting after ``now``.
- A *wait* runs from the end of one of a person's shifts to the start of their
  next; the *current wait* from their last shift in the window (or, with none,
  from their joining or the window's start) to the window's end, for members only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from lotto.api.stats import MemberStats, RotationStatsResult, SharePool
from lotto.model.availability import REASON_PERSONAL
from lotto.model.history import made_task_ids
from lotto.model.membership import Membership
from lotto.model.needs import qualified, sorted_needs
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, shift_number_of
from lotto.model.skill import ANY
from lotto.model.task import STATE_FINISHED, STATE_STARTED, Task, task_interval
from lotto.model.user import User, next_shift

__all__ = ["DEFAULT_WINDOW", "window_task_ids", "rotation_stats"]

#: The window when no ``--since`` is given: the year before ``--until``.
DEFAULT_WINDOW = timedelta(days=365)

# Shifts started this many periods off their own are still found (a late start, a DST jump).
_MARGIN = 2

Span = tuple[datetime, datetime]


def window_task_ids(rotation: Rotation, since: datetime, until: datetime) -> list[str]:
    """The rotation's task ids that may have started in ``[since, until)``.

    A shift's number says its period, so only the window's shifts (and a margin)
    are read; tickets carry no time in their id, so all of them are.
    """
    fs = rotation.fill_settings
    if rotation.task_type == TASK_TYPE_TICKET or fs.beginning is None:
        return made_task_ids(rotation)
    low = shift_number_of(rotation, since) - _MARGIN
    high = shift_number_of(rotation, until) + _MARGIN
    return made_task_ids(rotation, max(low, 0), high)


def _served_span(task: Task, now: datetime) -> Span | None:
    """The span a started or finished task was served (None for other tasks)."""
    if task.state not in (STATE_STARTED, STATE_FINISHED):
        return None
    interval = task_interval(task)
    if interval is None:
        return None
    start, finish = interval
    if task.state == STATE_STARTED:
        finish = max(start, min(finish, now))
    return start, finish


def _clip(spans: Iterable[Span], low: datetime, high: datetime) -> list[Span]:
    """``spans`` cut to ``[low, high)``, empty ones dropped, sorted and merged."""
    cut = sorted((max(a, low), min(b, high)) for a, b in spans if min(b, high) > max(a, low))
    merged: list[Span] = []
    for a, b in cut:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _length(spans: Iterable[Span]) -> timedelta:
    return sum((b - a for a, b in spans), timedelta(0))


def _available(
    membership: list[Span], user: User | None, since: datetime, end: datetime
) -> timedelta:
    """Time in the rotation within ``[since, end)`` less personal unavailability."""
    inside = _clip(membership, since, end)
    if user is None:
        return _length(inside)
    away = [(e.start, e.finish) for e in user.calendar if e.reason == REASON_PERSONAL]
    lost = sum(
        (_length(_clip(away, a, b)) for a, b in inside),
        timedelta(0),
    )
    return _length(inside) - lost


def _membership(
    rotation: Rotation,
    recorded_all: Mapping[str, list[Membership]],
    uid: str,
    served: list[Span],
    since: datetime,
    end: datetime,
) -> list[Span]:
    """When ``uid`` was a member (see the module's rules for people without a record)."""
    recorded = recorded_all.get(uid)
    if recorded:
        return [(m.joined, m.left if m.left is not None else end) for m in recorded]
    if uid in rotation.mattermost_user_ids:
        return [(rotation.fill_settings.beginning or since, end)]
    return [(since, max(b for _, b in served))] if served else []


def _pools(
    rotation: Rotation, people: list[str], users: Mapping[str, User], shifts: int, places: int
) -> list[SharePool]:
    """The pools the window's ``places`` (person-shifts over ``shifts`` shifts) are split in."""
    require = rotation.task_settings.require
    levels = [users[u].skill_levels if u in users else {} for u in people]
    taken: set[int] = set()
    pools = []
    left = places
    for nid in sorted_needs(n for n, c in require.items() if n != ANY and c > 0):
        mine = [i for i in qualified(levels, nid) if i not in taken]
        if not mine:
            continue  # nobody can fill it: its places fall to the rest
        taken.update(mine)
        share = min(left, require[nid] * shifts)
        left -= share
        pools.append(
            SharePool(
                need=nid,
                per_shift=require[nid],
                places=share,
                user_ids=[people[i] for i in mine],
            )
        )
    rest = [u for i, u in enumerate(people) if i not in taken]
    if rest or not pools:
        per_shift = max(0, max(require.get(ANY, 0), 1) - sum(p.per_shift for p in pools))
        pools.append(SharePool(per_shift=per_shift, places=left, user_ids=rest))
    return pools


def _waits(served: list[Span]) -> list[timedelta]:
    return [max(timedelta(0), served[i + 1][0] - served[i][1]) for i in range(len(served) - 1)]


def rotation_stats(
    rotation: Rotation,
    tasks: Iterable[Task],
    users: Mapping[str, User],
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    memberships: Mapping[str, list[Membership]] | None = None,
) -> RotationStatsResult:
    """The fairness report of ``rotation`` over ``[since, until)`` (rules: see the module).

    ``tasks`` may hold tasks outside the window (they are skipped); ``users``
    the records of whoever is known (a missing one has no unavailability);
    ``memberships`` who joined and left when (``lotto.model.membership.stretches``;
    None: only what an old rotation record holds).
    """
    recorded = rotation.memberships if memberships is None else memberships
    end = max(since, min(until, now))
    served: dict[str, list[tuple[datetime, datetime, str]]] = {}
    counted: set[str] = set()
    ended: set[str] = set()  # counted tasks over by now (a started one may not be)
    for task in tasks:
        span = _served_span(task, now)
        if span is None or not since <= span[0] < until:
            continue
        counted.add(task.task_id)
        interval = task_interval(task)
        if task.state == STATE_FINISHED or (interval is not None and interval[1] <= now):
            ended.add(task.task_id)
        for uid in dict.fromkeys(task.mattermost_user_ids):
            served.setdefault(uid, []).append((*span, task.task_id))
    members = list(dict.fromkeys(rotation.mattermost_user_ids))
    former = sorted(u for u in served if u not in members)
    people = members + former
    ordered = {u: sorted(served.get(u, [])) for u in people}
    spans = {u: [(a, b) for a, b, _ in ordered[u]] for u in people}
    stay = {u: _membership(rotation, recorded, u, spans[u], since, end) for u in people}
    available = {u: _available(stay[u], users.get(u), since, end) for u in people}
    total_shifts = sum(len(s) for s in spans.values())
    pools = _pools(rotation, people, users, len(counted), total_shifts)
    stats: dict[str, MemberStats] = {}
    for pool in pools:
        # Time served counted once per person on a shift, like the shifts.
        pool_served = sum((_length(spans[u]) for u in pool.user_ids), timedelta(0))
        weight = sum((available[u] for u in pool.user_ids), timedelta(0))
        for uid in pool.user_ids:
            part = available[uid] / weight if weight > timedelta(0) else 0.0
            stats[uid] = _member(
                rotation, uid, ordered[uid], stay[uid], members, (since, end, now), ended, users
            )
            stats[uid].available = available[uid]
            stats[uid].fair_shifts = pool.places * part
            stats[uid].fair_served = pool_served * part
            stats[uid].difference = len(spans[uid]) - pool.places * part
    total_served = sum((_length(s) for s in spans.values()), timedelta(0))
    listed = [stats[u] for u in members]
    result = RotationStatsResult(
        rotation_id=rotation.rotation_id,
        since=since,
        until=until,
        shifts=len(counted),
        served=total_served,
        members=listed,
        former=[stats[u] for u in former],
        pools=pools,
    )
    if listed:
        over = max(listed, key=lambda m: m.difference)
        under = min(listed, key=lambda m: m.difference)
        result.spread = over.difference - under.difference
        result.most_over, result.most_under = over.user_id, under.user_id
    return result


def _member(
    rotation: Rotation,
    uid: str,
    ordered: list[tuple[datetime, datetime, str]],
    stay: list[Span],
    members: list[str],
    times: tuple[datetime, datetime, datetime],
    ended_ids: set[str],
    users: Mapping[str, User],
) -> MemberStats:
    """A person's shifts, waits, last and next shift (their share is set by the caller)."""
    since, end, now = times
    mine = [(a, b) for a, b, _ in ordered]
    waits = _waits(mine)
    current = None
    if uid in members:
        joined = [a for a, _ in stay if a <= end]
        start = mine[-1][1] if mine else max([since, *joined])
        current = max(timedelta(0), end - start)
    ended = [b for _, b, tid in ordered if tid in ended_ids]
    user = users.get(uid)
    coming = next_shift(user, rotation.rotation_id, now) if user is not None else None
    return MemberStats(
        user_id=uid,
        shifts=len(mine),
        served=_length(mine),
        last_served=max(ended, default=None),
        longest_wait=max(waits) if waits else None,
        shortest_wait=min(waits) if waits else None,
        current_wait=current,
        task_ids=[tid for _, _, tid in ordered],
        next_task_id=coming.task_id if coming else "",
        next_start=coming.start if coming else None,
    )
