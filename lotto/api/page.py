"""Request and result of a rotation's page (``rotation page R``, the shim's web page)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto.api._base import Request, RotationRef, _Msg, _Result
from lotto.api.forecasts import ForecastResult
from lotto.api.mentions import of_rotation, of_tasks
from lotto.api.stats import RotationStatsResult
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User

__all__ = [
    "PAGE_PAST_DAYS",
    "PAGE_NEXT_DAYS",
    "PAGE_UPCOMING",
    "ENTRY_KINDS",
    "TimelineEntry",
    "UpcomingTask",
    "RotationPageRequest",
    "RotationPageResult",
]

#: The page's timeline runs from this many days before ``now`` ...
PAGE_PAST_DAYS = 28
#: ... to this many days after it.
PAGE_NEXT_DAYS = 84
#: How many coming tasks the page lists with their people, offers and unfilled needs.
PAGE_UPCOMING = 8

#: Kinds of :class:`TimelineEntry`. ``time_off`` and ``offer`` are made today; the
#: others are reserved for what a rotation will have (issue 17): a member's working
#: hours, the holidays of the rotation's calendar, and overrides (someone covering a
#: stretch of another's shift). The page already draws and lists every kind.
ENTRY_KINDS = ("time_off", "offer", "working_hours", "holiday", "override")


class TimelineEntry(_Msg, kw_only=True):
    """One span on the page's timeline besides the tasks themselves.

    ``user_id`` is the person it concerns ("" for the whole rotation, e.g. a holiday);
    ``task_id`` the task it belongs to (an offer, an override); ``label`` a short text.
    """

    kind: str
    start: datetime
    finish: datetime
    user_id: str = ""
    task_id: str = ""
    label: str = ""


class UpcomingTask(_Msg, kw_only=True):
    """A coming task as the page lists it: the task, and what it still needs
    (``Require`` need id -> people missing; empty when its people meet every need)."""

    task: Task
    unfilled: dict[str, int] = msgspec.field(default_factory=dict)


class RotationPageRequest(Request["RotationPageResult"], kw_only=True):
    """A rotation's page (``rotation page R``; the shim's ``/page/R``).

    ``holder_id``: whom the page's link was given to; when set, the page is refused
    (AccessError) unless they are still a member or an owner. ``forecast=False``
    leaves the forecast out (the command only needs the rotation and who is on call).
    """

    rotation: RotationRef
    holder_id: str = ""
    forecast: bool = True


class RotationPageResult(_Result, kw_only=True):
    """Everything the rotation's page shows, as of ``time``.

    ``current``/``next``: on call now and next (as ``rotation now``); ``upcoming``: the
    coming open tasks (at most :data:`PAGE_UPCOMING`); ``tasks``: every task whose
    interval meets the timeline ``[since, until)``, in start order; ``entries``: time
    off, open offers (and, later, working hours, holidays, overrides) in that window;
    ``users``: the records of the members and of everyone on the tasks shown;
    ``stats``: the fairness report of ``rotation stats`` (its default window);
    ``forecast``: that of ``rotation forecast`` (its defaults), or None with
    ``forecast_note`` saying why (a ticket rotation has no coming shifts).
    """

    rotation: Rotation
    time: datetime
    since: datetime
    until: datetime
    current: Task | None = None
    next: Task | None = None
    upcoming: list[UpcomingTask] = msgspec.field(default_factory=list)
    tasks: list[Task] = msgspec.field(default_factory=list)
    entries: list[TimelineEntry] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)
    stats: RotationStatsResult
    forecast: ForecastResult | None = None
    forecast_note: str = ""

    def _mentions(self) -> Iterable[str]:
        yield from of_rotation(self.rotation)
        yield from of_tasks([self.current, self.next, *self.tasks])
        yield from of_tasks(u.task for u in self.upcoming)
        yield from (e.user_id for e in self.entries)
        yield from self.users
        yield from self.stats.user_ids()
        if self.forecast is not None:
            yield from self.forecast.user_ids()
