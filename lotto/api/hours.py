"""Requests of ``rotation set hours`` and ``rotation set holidays`` (issue 17).

Both answer with a :class:`lotto.api.RotationResult`; the rules live in
:mod:`lotto.model.hours`.
"""

from __future__ import annotations

from lotto.api._base import Request, RotationRef, _Msg
from lotto.api.rotations import RotationResult
from lotto.model.hours import WorkingHours

__all__ = ["RotationSetHoursRequest", "RotationSetHolidaysRequest", "RotationHours"]


class RotationSetHoursRequest(Request[RotationResult], kw_only=True):
    """``rotation set hours R --days D [--from HH:MM --to HH:MM] | --clear``.

    ``days`` as ``hours.parse_days`` gives them (0 = Monday); ``start``/``finish`` as
    ``hours.parse_clock`` (both or neither: neither means whole days). ``clear`` removes
    the working days and hours (holidays stay).
    """

    rotation: RotationRef
    days: list[int] | None = None
    start: str = ""
    finish: str = ""
    clear: bool = False


class RotationSetHolidaysRequest(Request[RotationResult], kw_only=True):
    """``rotation set holidays R [--country C [--subdiv S]] [--dates D,…] [--holiday-shift
    skip|move] | --clear``: None leaves a setting unchanged; ``clear`` removes every holiday
    (then applies the rest)."""

    rotation: RotationRef
    country: str | None = None
    subdiv: str | None = None
    dates: list[str] | None = None
    holiday_shift: str | None = None
    clear: bool = False


class RotationHours(_Msg, kw_only=True):
    """A rotation's working hours with the zone they are on (for replies that show them)."""

    working: WorkingHours
    time_zone: str
