"""Working days, hours and holidays in words (issue 17): replies and the lines other
replies add (``rotation show``, ``rotation now``, ``user shifts``)."""

from __future__ import annotations

from datetime import date, datetime

from lotto import api
from lotto.model import hours
from lotto.model.rotation import Rotation, numbers_working_days
from lotto.model.timeutil import PERIOD_DAILY, get_zone, parse_period

__all__ = [
    "hours_changed",
    "holidays_changed",
    "hours_lines",
    "hours_phrase",
    "on_call_note",
    "working_phrase",
    "off_hours_reason",
    "fmt_day",
]


def fmt_day(day: date | str) -> str:
    """``Fri 26 Mar 2027``."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{d:%a} {d.day} {d:%b %Y}"


def hours_phrase(wh: hours.WorkingHours, zone: str) -> str:
    """``Mon–Fri 09:00–17:00 Europe/Berlin time`` (``hours.format_window``)."""
    return hours.format_window(wh, zone)


def _holiday_source(wh: hours.WorkingHours) -> str:
    parts = []
    if wh.holiday_country:
        where = (
            f"{wh.holiday_country}-{wh.holiday_subdiv}" if wh.holiday_subdiv else wh.holiday_country
        )
        parts.append(f"the public holidays of {where}")
    if wh.holiday_dates:
        parts.append(", ".join(wh.holiday_dates))
    return " and ".join(parts)


def _daily(rot: Rotation) -> bool:
    return parse_period(rot.fill_settings.period) == PERIOD_DAILY


def hours_changed(rot: Rotation) -> str:
    """The reply of ``rotation set hours``."""
    wh, zone = rot.working, rot.fill_settings.time_zone
    rid = f"**{rot.rotation_id}**"
    if not (wh.days or wh.start):
        return f"Rotation {rid} works every day, all day." + _made_note(rot)
    text = f"Rotation {rid} works {hours_phrase(wh, zone)}: "
    if numbers_working_days(rot):
        text += f"its daily shifts are on {hours.format_days(wh.days)} only, and "
    text += "people are on call only within those hours."
    return text + _made_note(rot)


def holidays_changed(rot: Rotation) -> str:
    """The reply of ``rotation set holidays``."""
    wh = rot.working
    rid = f"**{rot.rotation_id}**"
    if not hours.has_holidays(wh):
        return f"Rotation {rid} has no holidays."
    text = f"Rotation {rid} does not work on {_holiday_source(wh)}: nobody is on call then"
    if _daily(rot):
        text += (
            "; a holiday's daily turn is skipped"
            if wh.holiday_shift == hours.HOLIDAY_SKIP
            else "; a holiday's daily turn moves to the next working day"
        )
    return text + "." + _made_note(rot)


def _made_note(rot: Rotation) -> str:
    if not (rot.task_ids or rot.finished_numbers) or not _daily(rot):
        return ""
    return " Shifts already made keep their times."


def hours_lines(rot: Rotation, next_holidays: list[tuple[str, str]]) -> list[str]:
    """``rotation show``'s lines for the working hours and holidays (none without them)."""
    wh, zone = rot.working, rot.fill_settings.time_zone
    lines = []
    if wh.days or wh.start:
        lines.append(f"- Working hours: {hours_phrase(wh, zone)}; on call only then")
    if hours.has_holidays(wh):
        rule = f", daily turns: {wh.holiday_shift}" if _daily(rot) else ""
        coming = ", ".join(f"{fmt_day(d)} {name}" for d, name in next_holidays) or "none this year"
        lines.append(f"- Holidays: {_holiday_source(wh)}{rule}; next skipped: {coming}")
    return lines


def working_phrase(wh: hours.WorkingHours, zone: str) -> str:
    """``Mon–Fri 09:00–17:00 Europe/Berlin time, not on holidays`` (``hours.format_rule``)."""
    return hours.format_rule(wh, zone)


def off_hours_reason(rot: Rotation, when: datetime) -> str:
    """Why nobody is on call at ``when``: the holiday it is, or the working hours."""
    zone = rot.fill_settings.time_zone
    name = hours.holiday_name(rot.working, when.astimezone(get_zone(zone)).date())
    if name:
        return f"a holiday ({name}) on the {zone} clock"
    return f"outside the working hours ({working_phrase(rot.working, zone)})"


def on_call_note(h: api.RotationHours | None) -> str:
    """`` (on call Mon–Fri 09:00–17:00 Europe/Berlin time, not on holidays)`` for a task of a
    rotation with working hours or holidays; ``""`` otherwise."""
    if h is None or not hours.is_set(h.working):
        return ""
    return f" (on call {working_phrase(h.working, h.time_zone)})"
