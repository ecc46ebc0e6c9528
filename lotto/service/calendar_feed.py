"""The calendar feed: a rotation's open tasks and its recently finished ones (read-only).

Finished tasks are not in the open-tasks record, and loading every task the
rotation ever had would grow without bound. Task ids are derivable instead:
shift ``R#N`` starts in period N, so the shifts that can have ended within
the history window are the numbers from the period containing the window's
start to the current one; tickets (``R#SEQ``) are numbered in creation
order, so the recent ones are the last ids made (``lotto.model.history`` keeps
finished tasks as ranges of numbers, out of ``TaskIDs``). Either way at most
:data:`MAX_FINISHED` ids are read, in the same batch as the open tasks.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from lotto import api
from lotto.model import keys
from lotto.model.history import finished_ids_newest_first, made_task_ids
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, shift_number_of
from lotto.model.task import STATE_FINISHED, Task, task_interval, task_number
from lotto.service.access import PUBLIC, check_link_holder
from lotto.service.common import resolve_rotation, run
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.taskops import load_open_tasks
from lotto.store import Session

__all__ = ["CalendarFeedOps", "MAX_FINISHED", "finished_candidates"]

# Upper bound of finished task ids read per feed (a daily rotation has ~91 in 90 days;
# an hourly one would have thousands, and a feed must stay one cheap MGET).
MAX_FINISHED = 400


def finished_candidates(rotation: Rotation, open_ids: set[str], now: datetime) -> list[str]:
    """Ids of the rotation's tasks that may have finished within the history window.

    Newest last; at most :data:`MAX_FINISHED` of them; open tasks excluded.
    """
    if rotation.task_type == TASK_TYPE_TICKET:
        # The newest finished tickets (and, in an old record, the listed ones not open).
        newest = list(itertools.islice(finished_ids_newest_first(rotation), MAX_FINISHED))
        listed = [t for t in rotation.task_ids if t not in open_ids]
        return _by_number([*reversed(newest), *listed])[-MAX_FINISHED:]
    since = now - timedelta(days=api.CALENDAR_HISTORY_DAYS)
    if rotation.fill_settings.beginning is None:
        return []  # no shift numbers without a beginning
    first = shift_number_of(rotation, since)
    # A shift finished early may belong to the next period; one more covers it.
    last = shift_number_of(rotation, now) + 1
    if last < 0:
        return []
    made = [t for t in made_task_ids(rotation, max(first, 0), last) if t not in open_ids]
    return _by_number(made)[-MAX_FINISHED:]


def _by_number(task_ids: list[str]) -> list[str]:
    numbered = {(n, t) for t in task_ids if (n := task_number(t)) is not None}
    return [t for _, t in sorted(numbered)]


def _recent(task: Task, since: datetime) -> bool:
    interval = task_interval(task)
    return interval is not None and interval[1] >= since


class CalendarFeedOps(Ops):
    """Mixin of :class:`lotto.service.Service`: the calendar feed of a rotation."""

    @operation(api.RotationCalendarRequest, access=PUBLIC)
    def rotation_calendar(
        self, req: api.RotationCalendarRequest, *, actor_id: str, now: datetime
    ) -> api.RotationCalendarResult:
        """The rotation's open tasks and those finished in the last 90 days (creation order).

        With ``req.user_id`` only the tasks that user is assigned to; with
        ``req.holder_id``, AccessError unless that link holder is still a member or an
        owner (``access.check_link_holder``). Round trips:
        batch 1 = rotation resolution; batch 2 = the open tasks, their users and
        the finished-task candidates (see :func:`finished_candidates`); nothing is
        written except the one-time open-tasks repair of ``rotation_show``.
        """

        def fn(s: Session) -> api.RotationCalendarResult:
            rotation = resolve_rotation(s, req.rotation)
            check_link_holder(rotation, req.holder_id)
            open_ids = set(s.open_tasks(rotation).tasks)
            candidates = finished_candidates(rotation, open_ids, now)
            tasks = load_open_tasks(s, rotation, [keys.task(t) for t in candidates])
            since = now - timedelta(days=api.CALENDAR_HISTORY_DAYS)
            for tid in candidates:
                task = s.task(tid)
                if task is not None and task.state == STATE_FINISHED and _recent(task, since):
                    tasks[tid] = task
            # Finished ones by number, then the open ones in creation order.
            order = {t: i for i, t in enumerate(dict.fromkeys([*candidates, *rotation.task_ids]))}
            chosen = sorted(tasks.values(), key=lambda t: order.get(t.task_id, len(order)))
            if req.user_id:
                chosen = [t for t in chosen if req.user_id in t.mattermost_user_ids]
            return api.RotationCalendarResult(rotation=rotation, user_id=req.user_id, tasks=chosen)

        return run(self.kv, fn, self.stats)
