"""``/lotto rotation set hours|holidays``: working days, hours and holidays (issue 17)."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import ROTATION_FLAG, Ctx, Reply
from lotto.commands.parser import Flag
from lotto.commands.tree import OWNER, command
from lotto.model.holiday import parse_dates
from lotto.model.hours import parse_days

__all__: list[str] = []


@command(
    ("rotation", "set", "hours"),
    "R --days DAYS [--from HH:MM --to HH:MM] | --clear",
    "set the rotation's working days and hours (on its clock)",
    flags=(
        ROTATION_FLAG,
        Flag("days", "str", "working days: mon-fri, mon,wed,fri, weekdays, …", value_name="DAYS"),
        Flag(
            "from", "str", "start of the working hours (default: the whole day)", value_name="HH:MM"
        ),
        Flag(
            "to",
            "str",
            "end of the working hours (before --from: past midnight)",
            value_name="HH:MM",
        ),
        Flag("clear", "bool", "remove the working days and hours (every day, all day)"),
    ),
    access=OWNER,
    request=api.RotationSetHoursRequest,
    details=(
        "A daily rotation then has shifts on working days only, numbered without gaps; any "
        "shift is on call only within the working hours of working days, on the rotation's "
        "clock (`rotation now` outside them says who is next, and when). Shifts already made "
        "keep their times."
    ),
)
def rotation_set_hours(ctx: Ctx) -> Reply:
    """Set the working days and hours."""
    days = ctx.flag("days")
    res = ctx.call(
        api.RotationSetHoursRequest(
            rotation=ctx.rotation(),
            days=parse_days(days) if days is not None else None,
            start=ctx.flag("from") or "",
            finish=ctx.flag("to") or "",
            clear=bool(ctx.flag("clear", False)),
        )
    )
    return res, render.hours_changed(res.rotation)


@command(
    ("rotation", "set", "holidays"),
    "R [--country C [--subdiv S]] [--dates D,…] [--holiday-shift skip|move] | --clear",
    "set the public holidays the rotation does not work",
    flags=(
        ROTATION_FLAG,
        Flag("country", "str", "a country's public holidays (ISO code: DE, FR, US…)"),
        Flag("subdiv", "str", "its state or region (DE: BY, BE…)"),
        Flag("dates", "str", "more days off: 2027-12-24,2027-12-31", value_name="D,…"),
        Flag(
            "holiday-shift",
            "choice",
            "daily rotations: skip the holiday's turn (default) or move it to the next working day",
            choices=("skip", "move"),
        ),
        Flag("clear", "bool", "remove every holiday first"),
    ),
    access=OWNER,
    request=api.RotationSetHolidaysRequest,
    details=(
        "Nobody is on call on a holiday. A daily rotation makes no shift that day: with skip "
        "(the default) its number is a turn never made and later shifts keep their days; with "
        "move the turn goes to the next working day and later numbers follow it. Holidays come "
        "from the `holidays` package; `rotation show` lists the next ones."
    ),
)
def rotation_set_holidays(ctx: Ctx) -> Reply:
    """Set the holidays."""
    dates = ctx.flag("dates")
    res = ctx.call(
        api.RotationSetHolidaysRequest(
            rotation=ctx.rotation(),
            country=ctx.flag("country"),
            subdiv=ctx.flag("subdiv"),
            dates=parse_dates(dates) if dates is not None else None,
            holiday_shift=ctx.flag("holiday-shift"),
            clear=bool(ctx.flag("clear", False)),
        )
    )
    return res, render.holidays_changed(res.rotation)
