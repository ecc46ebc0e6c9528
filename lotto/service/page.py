"""A rotation's page: on call now, the coming tasks, a timeline, fairness and forecast (read-only).

The page reuses the builders of the commands it sums up, so its numbers are
theirs (one home per rule): ``rotation now`` (:func:`lotto.service.oncall.on_call`),
``rotation stats`` (``stats_inputs`` and :func:`lotto.service.fairness.rotation_stats`,
default window) and ``rotation forecast`` (``forecast_inputs`` and ``simulate``,
default sizes). :func:`timeline_entries` is the one place that turns records into
the timeline's spans besides tasks: time off, open offers, the rotation's working
windows and holidays (kinds in :data:`lotto.api.ENTRY_KINDS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta

from lotto import api
from lotto.errors import LottoError
from lotto.model import hours
from lotto.model.availability import REASON_PERSONAL
from lotto.model.needs import unmet
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation
from lotto.model.task import STATE_FINISHED, Task, task_interval
from lotto.model.timeutil import get_zone, localize
from lotto.model.user import User
from lotto.service.access import PUBLIC, check_link_holder
from lotto.service.common import resolve_rotation, run
from lotto.service.fairness import rotation_stats
from lotto.service.forecast import forecast_inputs, simulate
from lotto.service.oncall import on_call
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.stats import (
    speculative_keys,
    stats_inputs,
    stats_keys,
    stats_memberships,
    stats_window,
)
from lotto.store import Session

__all__ = ["PageOps", "timeline_entries", "upcoming_tasks"]


def _meets(task: Task, since: datetime, until: datetime) -> bool:
    iv = task_interval(task)
    return iv is not None and iv[1] > since and iv[0] < until


def _start(task: Task) -> datetime:
    iv = task_interval(task)
    assert iv is not None  # only tasks with an interval get here
    return iv[0]


def timeline_entries(
    rotation: Rotation,
    tasks: Iterable[Task],
    users: Mapping[str, User],
    since: datetime,
    until: datetime,
) -> list[api.TimelineEntry]:
    """The timeline's spans besides the tasks, within ``[since, until)``, by start.

    Each member's time off (personal events), each open offer of a place (over
    its task's interval), and the rotation's own: its working windows when it has
    working days or hours (``working_hours``) and each holiday it skips (``holiday``,
    the whole day on the rotation's clock).
    """
    entries: list[api.TimelineEntry] = _calendar_entries(rotation, since, until)
    for uid in rotation.mattermost_user_ids:
        user = users.get(uid)
        for event in user.calendar if user else ():
            if event.reason == REASON_PERSONAL and event.finish > since and event.start < until:
                entries.append(
                    api.TimelineEntry(
                        kind="time_off",
                        start=event.start,
                        finish=event.finish,
                        user_id=uid,
                        label="time off",
                    )
                )
    for task in tasks:
        iv = task_interval(task)
        if iv is None:
            continue
        for offer in task.offers:
            entries.append(
                api.TimelineEntry(
                    kind="offer",
                    start=iv[0],
                    finish=iv[1],
                    user_id=offer.user_id,
                    task_id=task.task_id,
                    label=offer.note,
                )
            )
    entries.sort(key=lambda e: (e.start, e.kind, e.user_id, e.task_id))
    return entries


def _calendar_entries(
    rotation: Rotation, since: datetime, until: datetime
) -> list[api.TimelineEntry]:
    """The rotation's working windows and holidays within ``[since, until)``."""
    wh = rotation.working
    if not hours.is_set(wh):
        return []
    zone = rotation.fill_settings.time_zone or "UTC"
    out: list[api.TimelineEntry] = []
    if wh.days or wh.start:
        for start, finish in hours.windows(wh, zone, since, until):
            label = hours.format_rule(wh, zone)
            out.append(
                api.TimelineEntry(kind="working_hours", start=start, finish=finish, label=label)
            )
    if hours.has_holidays(wh):
        tz = get_zone(zone)
        day, last = since.astimezone(tz).date(), until.astimezone(tz).date()
        while day <= last:
            name = hours.holiday_name(wh, day)
            if name:
                start = localize(datetime.combine(day, time()), tz)
                finish = localize(datetime.combine(day + timedelta(days=1), time()), tz)
                out.append(
                    api.TimelineEntry(
                        kind="holiday",
                        start=max(start, since),
                        finish=min(finish, until),
                        label=name,
                    )
                )
            day += timedelta(days=1)
    return out


def upcoming_tasks(
    tasks: Iterable[Task], users: Mapping[str, User], now: datetime, limit: int
) -> list[api.UpcomingTask]:
    """The first ``limit`` open tasks starting after ``now``, with their unfilled needs."""
    coming = sorted(
        (t for t in tasks if t.state != STATE_FINISHED and _after(t, now)),
        key=lambda t: (_start(t), t.task_id),
    )[:limit]
    out = []
    for task in coming:
        people = [users.get(u) or User(mattermost_user_id=u) for u in task.mattermost_user_ids]
        out.append(api.UpcomingTask(task=task, unfilled=unmet(task.require, people)))
    return out


def _after(task: Task, now: datetime) -> bool:
    iv = task_interval(task)
    return iv is not None and iv[0] > now


class PageOps(Ops):
    """Mixin of :class:`lotto.service.Service`: a rotation's page."""

    @operation(api.RotationPageRequest, access=PUBLIC)
    def rotation_page(
        self, req: api.RotationPageRequest, *, actor_id: str, now: datetime
    ) -> api.RotationPageResult:
        """Everything the rotation's page shows (see :class:`lotto.api.RotationPageResult`).

        AccessError when ``req.holder_id`` may no longer hold the rotation's links.
        Round trips: batch 1 = rotation resolution (with its open-tasks record);
        batch 2 = the open tasks and their users, the members, and what the fairness
        report reads (the tasks of its year, which hold the timeline's past four
        weeks, and the former members); nothing is written except the one-time
        open-tasks repair of ``rotation_show``. The forecast runs after the unit.
        """
        stats_req = api.RotationStatsRequest(rotation=req.rotation)
        since, until = stats_window(stats_req, now)
        low = now - timedelta(days=api.PAGE_PAST_DAYS)
        high = now + timedelta(days=api.PAGE_NEXT_DAYS)

        def fn(s: Session):
            rotation = resolve_rotation(s, req.rotation, speculative_keys(req.rotation))
            check_link_holder(rotation, req.holder_id)
            recorded = stats_memberships(s, rotation)
            # One batch: the forecast's reads carry the report's along.
            extra = stats_keys(rotation, since, until, recorded)
            open_tasks, users = forecast_inputs(s, rotation, [], extra)
            window_tasks, people, _ = stats_inputs(s, rotation, since, until)  # cached: no read
            return rotation, open_tasks, window_tasks, {**people, **users}, recorded

        rotation, open_tasks, window_tasks, users, recorded = run(self.kv, fn, self.stats)
        stats = rotation_stats(
            rotation,
            window_tasks,
            users,
            since=since,
            until=until,
            now=now,
            memberships=recorded,
        )
        by_id = {t.task_id: t for t in window_tasks}
        by_id.update((t.task_id, t) for t in open_tasks)
        shown = sorted(
            (t for t in by_id.values() if _meets(t, low, high)),
            key=lambda t: (_start(t), t.task_id),
        )
        current, following = on_call(open_tasks, now)
        forecast, note = None, ""
        if rotation.task_type == TASK_TYPE_TICKET:
            note = "Tickets come on demand, so there are no coming shifts to forecast."
        elif not req.forecast:
            note = "Not asked for."
        else:
            try:
                forecast = simulate(
                    rotation,
                    open_tasks,
                    users,
                    api.RotationForecastRequest(rotation=req.rotation),
                    now,
                )
            except LottoError as err:
                note = err.message
        return api.RotationPageResult(
            rotation=rotation,
            time=now,
            since=low,
            until=high,
            current=current,
            next=following,
            upcoming=upcoming_tasks(open_tasks, users, now, api.PAGE_UPCOMING),
            tasks=shown,
            entries=timeline_entries(rotation, shown, users, low, high),
            users=users,
            stats=stats,
            forecast=forecast,
            forecast_note=note,
        )
