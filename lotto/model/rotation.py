"""Rotations: the record and its pure helpers (no store access here)."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from lotto.errors import InputError
from lotto.model import hours, timeutil
from lotto.model.hours import WorkingHours
from lotto.model.membership import Membership
from lotto.model.record import Record, StoredTime

__all__ = [
    "Rotation",
    "TaskSettings",
    "FillSettings",
    "AutopilotSettings",
    "FILLER_SOLAR_LOTTERY",
    "FILLER_QUEUE",
    "TASK_TYPE_SHIFT",
    "TASK_TYPE_TICKET",
    "may_hold_links",
    "shift_start_of",
    "shift_duration_of",
    "shift_number_of",
    "numbers_working_days",
    "holiday_of_shift",
    "skipped_beginning",
    "doubling_period",
    "rest_until",
]

FILLER_SOLAR_LOTTERY = "solar-lottery"
FILLER_QUEUE = "queue"
TASK_TYPE_SHIFT = "shift"
TASK_TYPE_TICKET = "ticket"


class TaskSettings(Record):
    """Defaults copied into every new task of the rotation."""

    seq: int = 0  # ticket counter: the last ticket number handed out
    require: dict[str, int] = msgspec.field(default_factory=lambda: {"any": 1})
    limit: dict[str, int] = msgspec.field(default_factory=dict)
    duration: timedelta = timedelta(0)  # 0: a shift lasts until the next period start
    grace: timedelta = timedelta(0)
    description: str = ""


class FillSettings(Record):
    """How tasks are filled and when shifts begin."""

    beginning: StoredTime | None = None
    # "daily" | "weekly" | "biweekly" | "monthly", or a fixed length in Go's form ("36h0m0s").
    period: str = "weekly"
    seed: int = 0
    fuzz: int = 0
    # IANA zone whose wall clock shift starts follow (added after the original's fields).
    time_zone: str = "UTC"
    # The wall-clock time of the beginning as asked for on time_zone's clock
    # ("2021-03-14T02:30"), which shifts of daily…monthly periods keep even when the
    # beginning itself fell in a daylight-saving gap; "" (older records): the
    # beginning's own local time.
    beginning_wall: str = ""


class AutopilotSettings(Record):
    """Which autopilot steps run, and how far ahead of the task times."""

    create: bool = False
    create_prior: timedelta = timedelta(0)
    schedule: bool = False
    schedule_prior: timedelta = timedelta(0)
    start_finish: bool = False
    remind_start: bool = False
    remind_start_prior: timedelta = timedelta(0)
    remind_finish: bool = False
    remind_finish_prior: timedelta = timedelta(0)


class Rotation(Record):
    """A rotation: its members, its tasks, and its settings (docs/design.md §2)."""

    rotation_id: str
    is_archived: bool = False
    filler_type: str = FILLER_SOLAR_LOTTERY
    task_type: str = TASK_TYPE_SHIFT
    mattermost_user_ids: list[str] = msgspec.field(default_factory=list)
    # The tasks not finished yet, in creation order (older records: every task, until a
    # command that loads the open tasks moves the finished ones to ``finished_numbers``).
    task_ids: list[str] = msgspec.field(default_factory=list)
    task_settings: TaskSettings = msgspec.field(default_factory=TaskSettings)
    fill_settings: FillSettings = msgspec.field(default_factory=FillSettings)
    autopilot_settings: AutopilotSettings = msgspec.field(default_factory=AutopilotSettings)
    # Added after the original's fields. Owners (user ids) may run the admin
    # commands that concern this rotation; the creator is the first.
    owners: list[str] = msgspec.field(default_factory=list)
    # The channel the bot posts the rotation's news to (empty: none): its id, and its
    # name as people know it (``~name``), kept for showing where posts go.
    channel_id: str = ""
    channel_name: str = ""
    # Legacy (records written before issue 15): user id -> when they joined and left.
    # Memberships now have their own record (``memberships:<id>``,
    # ``lotto.model.membership``); a join or leave moves these there.
    memberships: dict[str, list[Membership]] = msgspec.field(default_factory=dict)
    # Working days, hours and holidays (issue 17; lotto.model.hours): the defaults
    # mean every day, all day.
    working: WorkingHours = msgspec.field(default_factory=WorkingHours)
    # The numbers N of the finished tasks ``R#N``, as sorted, merged, inclusive
    # ``(first, last)`` ranges (issue 15; ``lotto.model.history``): finished tasks
    # leave ``task_ids`` so the record every command reads stays small.
    finished_numbers: list[tuple[int, int]] = msgspec.field(default_factory=list)


def may_hold_links(rotation: Rotation, user_id: str) -> bool:
    """Whether ``user_id`` may hold the rotation's private links (feed and page URLs).

    Its members and owners: a link stops working once its holder is neither (left
    the rotation, or is no longer an owner).
    """
    return bool(user_id) and (user_id in rotation.mattermost_user_ids or user_id in rotation.owners)


def _beginning(rotation: Rotation) -> datetime:
    beginning = rotation.fill_settings.beginning
    if beginning is None:
        raise InputError(
            f"rotation {rotation.rotation_id} has no beginning time: set one with "
            "rotation new --beginning.",
            rotation_id=rotation.rotation_id,
        )
    return beginning


def numbers_working_days(rotation: Rotation) -> bool:
    """True if the rotation is daily with working days or holidays: its shift N is then on
    the N-th counted day from the beginning's (``lotto.model.hours``), not the N-th day."""
    wh = rotation.working
    return bool(wh.days or hours.has_holidays(wh)) and (
        timeutil.parse_period(rotation.fill_settings.period) == timeutil.PERIOD_DAILY
    )


def _wall(rotation: Rotation) -> datetime:
    """The beginning on the rotation's wall clock (naive), as asked for."""
    fs = rotation.fill_settings
    if fs.beginning_wall:
        return timeutil.parse_wall(fs.beginning_wall)
    return _beginning(rotation).astimezone(timeutil.get_zone(fs.time_zone)).replace(tzinfo=None)


def _day_start(rotation: Rotation, n: int) -> datetime:
    wall = _wall(rotation)
    day = hours.day_of_shift(rotation.working, wall.date(), n)
    return timeutil.localize(datetime.combine(day, wall.time()), rotation.fill_settings.time_zone)


def shift_start_of(rotation: Rotation, n: int) -> datetime:
    """Start (UTC) of shift ``n`` of ``rotation``, on its zone's wall clock (docs/design.md §2).

    The one mapping of shift numbers to times: task creation, the autopilot, forecasts
    and the calendar feed all come here.
    """
    fs = rotation.fill_settings
    if numbers_working_days(rotation):
        return _day_start(rotation, n)
    return timeutil.shift_start(_beginning(rotation), fs.period, fs.time_zone, n, fs.beginning_wall)


def shift_duration_of(rotation: Rotation, n: int) -> timedelta:
    """Duration of shift ``n``: the rotation's ``Duration`` if set, else until the next start
    (one day, to the same wall-clock time, for a daily rotation with working days)."""
    fs = rotation.fill_settings
    if numbers_working_days(rotation) and rotation.task_settings.duration <= timedelta(0):
        start = _day_start(rotation, n)
        wall = _wall(rotation)
        local_day = start.astimezone(timeutil.get_zone(fs.time_zone)).date()
        after = datetime.combine(local_day + timedelta(days=1), wall.time())
        return timeutil.localize(after, fs.time_zone) - start
    return timeutil.shift_duration(
        _beginning(rotation),
        fs.period,
        fs.time_zone,
        n,
        rotation.task_settings.duration,
        fs.beginning_wall,
    )


def shift_number_of(rotation: Rotation, t: datetime) -> int:
    """Number of the period of ``rotation`` containing ``t`` (negative before its beginning)."""
    fs = rotation.fill_settings
    if numbers_working_days(rotation):
        wh, first = rotation.working, _wall(rotation).date()
        day = t.astimezone(timeutil.get_zone(fs.time_zone)).date()
        n = hours.days_counted_before(wh, first, day)
        return n if hours.day_counted(wh, day) and _day_start(rotation, n) <= t else n - 1
    return timeutil.shift_number_at(
        _beginning(rotation), fs.period, fs.time_zone, t, fs.beginning_wall
    )


def holiday_of_shift(rotation: Rotation, n: int) -> str:
    """The holiday shift ``n`` falls on when it is a turn never made, else ``""``.

    Only daily rotations that ``skip`` holidays have such numbers (``lotto.model.hours``).
    """
    wh = rotation.working
    if wh.holiday_shift != hours.HOLIDAY_SKIP or not hours.has_holidays(wh):
        return ""
    if not numbers_working_days(rotation):
        return ""
    day = hours.day_of_shift(wh, _wall(rotation).date(), n)
    return hours.holiday_name(wh, day)


def skipped_beginning(rotation: Rotation) -> str:
    """The wall-clock beginning asked for when daylight saving skips it that day, else ``""``.

    The first shift then starts after the gap (RFC 5545: 02:30 → 03:30 EDT); later
    shifts of a daily…monthly period keep the asked-for time.
    """
    fs = rotation.fill_settings
    if not fs.beginning_wall or timeutil.wall_exists(fs.beginning_wall, fs.time_zone):
        return ""
    return fs.beginning_wall


def doubling_period(rotation: Rotation) -> timedelta:
    """The lottery's doubling period: (1 + Fuzz) × the average period length (docs/design.md §3)."""
    fs = rotation.fill_settings
    try:
        return (1 + max(fs.fuzz, 0)) * timeutil.average_period(fs.period)
    except OverflowError:
        # A fuzz so large the product leaves timedelta's range: every weight is
        # then ~1, a fair draw, which is what the largest representable D gives.
        return timedelta.max


def rest_until(rotation: Rotation, task_end: datetime, grace: timedelta | None = None) -> datetime:
    """When the rest (grace) after a task of ``rotation`` ending at ``task_end`` is over.

    ``grace`` defaults to the rotation's task setting. A grace of whole days or
    weeks is counted on the rotation's wall clock (docs/design.md §2 "Grace"):
    a week after a Monday 09:00 handover ends Monday 09:00 local, even across a
    daylight-saving change; other lengths are absolute time.
    """
    rest = rotation.task_settings.grace if grace is None else grace
    return timeutil.add_wall(task_end, rest, rotation.fill_settings.time_zone or "UTC")
