"""``rotation stats``: the fairness report, read in one unit of work."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.errors import BadTimeError
from lotto.model import keys
from lotto.service.common import resolve_rotation, run
from lotto.service.fairness import DEFAULT_WINDOW, rotation_stats, window_task_ids
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["StatsOps"]


class StatsOps(Ops):
    """Mixin of :class:`lotto.service.Service`: the fairness report."""

    @operation(api.RotationStatsRequest)
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
        until = req.until or now
        since = req.since or until - DEFAULT_WINDOW
        if since >= until:
            raise BadTimeError(
                "--since must be before --until (the report covers the time between them); "
                "nothing was changed.",
                since=since,
                until=until,
            )

        def fn(s: Session) -> api.RotationStatsResult:
            rotation = resolve_rotation(s, req.rotation)
            tids = window_task_ids(rotation, since, until)
            people = dict.fromkeys([*rotation.mattermost_user_ids, *rotation.memberships])
            s.prefetch([*(keys.task(t) for t in tids), *(keys.user(u) for u in people)])
            tasks = [t for tid in tids if (t := s.task(tid)) is not None]
            users = {u: rec for u in people if (rec := s.user(u)) is not None}
            return rotation_stats(rotation, tasks, users, since=since, until=until, now=now)

        return run(self.kv, fn, self.stats)
