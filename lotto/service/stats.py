"""``rotation stats``: the fairness report, read in one unit of work."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.errors import BadTimeError
from lotto.model import keys
from lotto.model.membership import Membership, stretches
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User
from lotto.service.access import PUBLIC
from lotto.service.common import resolve_rotation, run
from lotto.service.fairness import DEFAULT_WINDOW, rotation_stats, window_task_ids
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = [
    "StatsOps",
    "stats_window",
    "speculative_keys",
    "stats_memberships",
    "stats_keys",
    "stats_inputs",
]


def stats_window(req: api.RotationStatsRequest, now: datetime) -> tuple[datetime, datetime]:
    """``(since, until)`` of a report: ``until`` defaults to now, ``since`` to a year before."""
    until = req.until or now
    since = req.since or until - DEFAULT_WINDOW
    if since >= until:
        raise BadTimeError(
            "--since must be before --until (the report covers the time between them); "
            "nothing was changed.",
            since=since,
            until=until,
        )
    return since, until


def _people(rotation: Rotation, recorded: dict[str, list[Membership]]) -> list[str]:
    # The members and everyone the rotation recorded as having been one.
    return list(dict.fromkeys([*rotation.mattermost_user_ids, *recorded]))


def speculative_keys(ref: api.RotationRef) -> list[str]:
    """Keys a report reads that can go with the rotation's resolution (batch 1): the
    memberships of the rotation ``ref`` names when it is an exact id (the usual case)."""
    return [keys.memberships(ref.name.strip())] if ref.name.strip() else []


def stats_memberships(s: Session, rotation: Rotation) -> dict[str, list[Membership]]:
    """Who joined and left when (no read when :func:`speculative_keys` fetched it already)."""
    return stretches(rotation.memberships, s.memberships(rotation.rotation_id))


def stats_keys(
    rotation: Rotation, since: datetime, until: datetime, recorded: dict[str, list[Membership]]
) -> list[str]:
    """The keys a report reads: the tasks that may have started in the window (see
    ``fairness.window_task_ids``) and the records of the members and former members."""
    tids = window_task_ids(rotation, since, until)
    people = _people(rotation, recorded)
    return [*(keys.task(t) for t in tids), *(keys.user(u) for u in people)]


def stats_inputs(
    s: Session, rotation: Rotation, since: datetime, until: datetime
) -> tuple[list[Task], dict[str, User], dict[str, list[Membership]]]:
    """The tasks, user records and memberships a report is computed from (ONE batch:
    :func:`stats_keys`, none when a caller prefetched them already; one more first
    when the memberships were not read with the rotation)."""
    recorded = stats_memberships(s, rotation)
    s.prefetch(stats_keys(rotation, since, until, recorded))
    tasks = [t for tid in window_task_ids(rotation, since, until) if (t := s.task(tid)) is not None]
    people = _people(rotation, recorded)
    users = {u: rec for u in people if (rec := s.user(u)) is not None}
    return tasks, users, recorded


class StatsOps(Ops):
    """Mixin of :class:`lotto.service.Service`: the fairness report."""

    @operation(api.RotationStatsRequest, access=PUBLIC)
    def rotation_stats(
        self, req: api.RotationStatsRequest, *, actor_id: str, now: datetime
    ) -> api.RotationStatsResult:
        """Shifts and time served per person in a window, against their fair share.

        Round trips: batch 1 = rotation resolution; batch 2 = the tasks that may
        have started in the window (see ``fairness.window_task_ids``: a shift
        rotation's window only, a ticket rotation's every ticket) with the
        records of the members and of everyone the rotation recorded as having
        been one; nothing is written.
        """
        since, until = stats_window(req, now)

        def fn(s: Session) -> api.RotationStatsResult:
            rotation = resolve_rotation(s, req.rotation, speculative_keys(req.rotation))
            tasks, users, recorded = stats_inputs(s, rotation, since, until)
            return rotation_stats(
                rotation, tasks, users, since=since, until=until, now=now, memberships=recorded
            )

        return run(self.kv, fn, self.stats)
