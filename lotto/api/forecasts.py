"""Requests and results of the forecasts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec

from lotto.api._base import Request, RotationRef, _Result
from lotto.model.rotation import Rotation

__all__ = [
    "ShiftForecast",
    "UserForecast",
    "Forecast",
    "RotationForecastRequest",
    "UserForecastRequest",
    "ForecastResult",
]


class ShiftForecast(msgspec.Struct, kw_only=True):
    """One of the forecast's shifts.

    ``state`` is the task's state, or ``planned`` for a shift not made yet;
    ``assigned`` are the users already on it (they serve in every sample).
    ``p_insufficient`` is the share of samples whose fill failed;
    ``unfilled_needs`` maps the need that could not be filled to its share.
    """

    task_id: str
    number: int
    start: datetime
    finish: datetime
    state: str
    assigned: list[str] = msgspec.field(default_factory=list)
    p_insufficient: float = 0.0
    unfilled_needs: dict[str, float] = msgspec.field(default_factory=dict)


class UserForecast(msgspec.Struct, kw_only=True):
    """One user's outlook over the forecast's shifts.

    ``p_shift[i]``: probability of serving in shift ``i``; ``p_any``: of
    serving at least once; ``expected_shifts``: mean number of shifts served.
    ``likely_next``: the median index of the user's first shift (the first
    ``i`` with P(first shift ≤ i) ≥ ½), None when that is beyond the window;
    ``expected_next_start``: mean start of the first shift, over the samples
    in which the user serves at all (None if never).
    """

    user_id: str
    p_shift: list[float]
    p_any: float
    expected_shifts: float
    likely_next: int | None = None
    expected_next_start: datetime | None = None


class Forecast(msgspec.Struct, kw_only=True):
    """Result of :func:`forecast`: the shifts, and users sorted by likelihood of serving."""

    rotation_id: str
    samples: int
    shifts: list[ShiftForecast]
    users: list[UserForecast]


class RotationForecastRequest(Request["ForecastResult"], kw_only=True):
    """``rotation forecast R [--shifts N] [--samples N] [--seed N]``; seed None = the rotation's."""

    rotation: RotationRef
    shifts: int = 6
    samples: int = 200
    seed: int | None = None


class UserForecastRequest(RotationForecastRequest, kw_only=True):
    """``user forecast [@u…] R …``: the rotation's forecast, for these users only."""

    user_ids: list[str] = msgspec.field(default_factory=list)


class ForecastResult(_Result, kw_only=True):
    """A forecast of the next shifts (see :mod:`lotto.service.forecasting`) and its seed."""

    rotation: Rotation
    seed: int
    forecast: Forecast

    def _mentions(self) -> Iterable[str]:
        for shift in self.forecast.shifts:
            yield from shift.assigned
        for user in self.forecast.users:
            yield user.user_id
