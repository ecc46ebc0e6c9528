"""Requests and results of the forecasts."""

from __future__ import annotations

import msgspec

from lotto.forecast import Forecast
from lotto.rotation import Rotation
from lotto.api._base import RotationRef, _Msg, _Result

__all__ = [
    "RotationForecastRequest",
    "UserForecastRequest",
    "ForecastResult",
]


class RotationForecastRequest(_Msg, kw_only=True):
    """``rotation forecast R [--shifts N] [--samples N] [--seed N]``; seed None = the rotation's."""

    rotation: RotationRef
    shifts: int = 6
    samples: int = 200
    seed: int | None = None


class UserForecastRequest(RotationForecastRequest, kw_only=True):
    """``user forecast [@u…] R …``: the rotation's forecast, for these users only."""

    user_ids: list[str] = msgspec.field(default_factory=list)


class ForecastResult(_Result, kw_only=True):
    """A forecast of the rotation's next shifts (see :mod:`lotto.forecast`) and the seed it used."""

    rotation: Rotation
    seed: int
    forecast: Forecast
