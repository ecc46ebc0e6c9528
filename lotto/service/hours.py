"""Working days, hours and holidays of a rotation (issue 17): the settings, and who is on
call when the hours say so. The rules themselves are :mod:`lotto.model.hours`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto import api
from lotto.errors import InputError
from lotto.model import hours
from lotto.model.holiday import check_country
from lotto.model.rotation import Rotation
from lotto.model.task import Task, task_interval
from lotto.model.timeutil import get_zone
from lotto.service.access import OWNER
from lotto.service.common import resolve_rotation, run
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["HoursOps", "OnCallNow", "on_call_now", "next_holidays", "NEXT_HOLIDAYS"]

#: ``rotation show`` lists this many of the next holidays a rotation skips.
NEXT_HOLIDAYS = 3
# Windows looked at for the next person on call (a year of working days, and then some).
_MAX_WINDOWS = 400


class OnCallNow(msgspec.Struct, kw_only=True):
    """Who is on call at a time under the rotation's hours (see :func:`on_call_now`)."""

    current: Task | None = None
    next: Task | None = None
    off_hours: bool = False
    on_call_until: datetime | None = None  # the current window's end (hours set)
    next_on_call: datetime | None = None  # when ``next`` is on call (off hours)


def on_call_now(
    rotation: Rotation,
    covering: tuple[Task | None, Task | None],
    tasks: Iterable[Task],
    now: datetime,
) -> OnCallNow:
    """``covering`` (the task covering ``now`` and the next, ``oncall.on_call``) under the
    rotation's working hours: outside them nobody is on call, and the next person is the
    one whose task first overlaps a working window, from that window's start."""
    current, following = covering
    wh, zone = rotation.working, rotation.fill_settings.time_zone
    if not hours.is_set(wh):
        return OnCallNow(current=current, next=following)
    if hours.on_call_at(wh, zone, now):
        window = hours.next_window(wh, zone, now)
        iv = task_interval(current) if current is not None else None
        until = min(window[1], iv[1]) if window and iv else None
        return OnCallNow(current=current, next=following, on_call_until=until)
    spans = [(iv, t) for t in tasks if (iv := task_interval(t)) is not None and iv[1] > now]
    when = now
    for _ in range(_MAX_WINDOWS if spans else 0):
        window = hours.next_window(wh, zone, when)
        if window is None:
            break
        start, end = max(window[0], now), window[1]
        hits = [
            (max(start, iv[0]), t.task_id, t) for iv, t in spans if iv[0] < end and iv[1] > start
        ]
        if hits:
            at, _, task = min(hits, key=lambda h: (h[0], h[1]))
            return OnCallNow(next=task, off_hours=True, next_on_call=at)
        if all(iv[1] <= end for iv, _ in spans):
            break
        when = end
    return OnCallNow(off_hours=True)


def next_holidays(rotation: Rotation, now: datetime) -> list[tuple[str, str]]:
    """The next :data:`NEXT_HOLIDAYS` holidays (ISO date, name) on the rotation's working
    weekdays, from today on its clock."""
    wh = rotation.working
    if not hours.has_holidays(wh):
        return []
    today = now.astimezone(get_zone(rotation.fill_settings.time_zone)).date()
    return [(d.isoformat(), name) for d, name in hours.upcoming_holidays(wh, today, NEXT_HOLIDAYS)]


def _check_shift(value: str) -> str:
    if value not in (hours.HOLIDAY_SKIP, hours.HOLIDAY_MOVE):
        raise InputError(
            f"{value!r} is not a holiday rule: use skip (the holiday's turn is not made) or "
            "move (it moves to the next working day).",
            holiday_shift=value,
        )
    return value


class HoursOps(Ops):
    """Mixin of :class:`lotto.service.Service`: ``rotation set hours|holidays``."""

    def _set_working(self, ref: api.RotationRef, change) -> api.RotationResult:
        """Resolve, apply ``change(rotation.working)``, save. Round trips: 1 batch + commit."""

        def fn(s: Session) -> api.RotationResult:
            rotation = resolve_rotation(s, ref)
            change(rotation.working)
            s.save_rotation(rotation)
            return api.RotationResult(rotation=rotation)

        return run(self.kv, fn, self.stats)

    @operation(api.RotationSetHoursRequest, access=OWNER)
    def rotation_set_hours(
        self, req: api.RotationSetHoursRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Set (or with ``clear`` remove) the working days and hours. Round trips: 1 + commit."""
        if not req.clear:
            if not req.days or any(not 0 <= d <= 6 for d in req.days):
                raise InputError(
                    "working days are required: `--days mon-fri` (or `--clear`).", days=req.days
                )
            if bool(req.start) != bool(req.finish):
                raise InputError(
                    "give both `--from` and `--to` (e.g. `--from 09:00 --to 17:00`), or neither "
                    "for whole days.",
                    start=req.start,
                    finish=req.finish,
                )
            start = hours.parse_clock(req.start) if req.start else ""
            if start and start == hours.parse_clock(req.finish, finish=True):
                raise InputError(
                    f"--from and --to are both {start}: a working window needs a length.",
                    start=start,
                )

        def change(wh: hours.WorkingHours) -> None:
            if req.clear:
                wh.days, wh.start, wh.finish = [], "", ""
                return
            wh.days = sorted(set(req.days or []))
            if req.start:
                wh.start = hours.parse_clock(req.start)
                wh.finish = hours.parse_clock(req.finish, finish=True)
                if (wh.start, wh.finish) == ("00:00", "24:00"):
                    wh.start, wh.finish = "", ""  # the whole day, said the short way
            else:
                wh.start, wh.finish = "", ""

        return self._set_working(req.rotation, change)

    @operation(api.RotationSetHolidaysRequest, access=OWNER)
    def rotation_set_holidays(
        self, req: api.RotationSetHolidaysRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Set the holidays (a country's, and/or dates) and how daily rotations treat them;
        ``clear`` first removes them all. Round trips: 1 batch + commit."""
        shift = _check_shift(req.holiday_shift) if req.holiday_shift is not None else None
        nothing = req.country is None and req.subdiv is None and req.dates is None
        if nothing and shift is None and not req.clear:
            raise InputError(
                "say which holidays: `--country DE [--subdiv BY]`, `--dates 2027-12-24,…`, "
                "`--holiday-shift skip|move`, or `--clear`.",
                rotation=req.rotation,
            )

        def change(wh: hours.WorkingHours) -> None:
            if req.clear:
                wh.holiday_country, wh.holiday_subdiv, wh.holiday_dates = "", "", []
            if req.country is not None or req.subdiv is not None:
                country = req.country if req.country is not None else wh.holiday_country
                if not country:
                    raise InputError(
                        "a subdivision needs its country: `--country DE --subdiv BY`.",
                        subdiv=req.subdiv,
                    )
                wh.holiday_country, wh.holiday_subdiv = check_country(country, req.subdiv or "")
            if req.dates is not None:
                wh.holiday_dates = sorted(set(req.dates))
            if shift is not None:
                wh.holiday_shift = shift

        return self._set_working(req.rotation, change)
