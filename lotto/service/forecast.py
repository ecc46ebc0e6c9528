"""Forecast operations: who is likely to serve in a rotation's next shifts (read-only).

The unit of work only reads (rotation, open tasks, users); the simulation
runs after it, on the loaded records, so a long forecast never holds a unit
of work open and a retry never repeats it.
"""

from __future__ import annotations

import random
from datetime import datetime

from lotto import api
from lotto.errors import NotFoundError
from lotto.model import keys
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.user import User
from lotto.service.access import PUBLIC
from lotto.service.common import check_users, out_of_range, resolve_rotation, run
from lotto.service.forecasting import forecast
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.taskops import load_open_tasks
from lotto.store import Session

__all__ = ["ForecastOps", "forecast_inputs", "simulate"]


def _load(
    session: Session, ref: api.RotationRef, user_ids: list[str]
) -> tuple[Rotation, list[Task], dict[str, User]]:
    """The rotation, its open tasks and the stored records of members, assignees and ``user_ids``.

    Round trips: batch 1 = rotation resolution (+ ``user_ids``); batch 2 = see
    :func:`forecast_inputs`.
    """
    rotation = resolve_rotation(session, ref, [keys.user(u) for u in user_ids])
    return (rotation, *forecast_inputs(session, rotation, user_ids))


def forecast_inputs(
    session: Session, rotation: Rotation, user_ids: list[str], extra_keys=()
) -> tuple[list[Task], dict[str, User]]:
    """The open tasks and the stored records of members, assignees and ``user_ids``.

    Round trips: ONE batch = the open tasks, their assigned users, the members and
    ``extra_keys``. A member never stored is left out here; the forecast treats them
    as a new user, as the autopilot would.
    """
    member_keys = [keys.user(u) for u in rotation.mattermost_user_ids]
    tasks = load_open_tasks(session, rotation, [*member_keys, *extra_keys])
    ids = [
        *rotation.mattermost_user_ids,
        *user_ids,
        *(u for t in tasks.values() for u in t.mattermost_user_ids),
    ]
    users: dict[str, User] = {}
    for uid in dict.fromkeys(ids):
        record = session.user(uid)
        if record is not None:
            users[uid] = record
    return list(tasks.values()), users


def simulate(
    rotation: Rotation,
    tasks: list[Task],
    users: dict[str, User],
    req: api.RotationForecastRequest,
    now: datetime,
) -> api.ForecastResult:
    """The forecast ``req`` asks for, from loaded records (pure: after the unit of work)."""
    seed = rotation.fill_settings.seed if req.seed is None else req.seed
    # A generator of its own: the forecast never touches the lottery's fill seeds.
    rng = random.Random(f"forecast/{seed}")
    try:
        result = forecast(rotation, tasks, users, now, rng, shifts=req.shifts, samples=req.samples)
    except OverflowError:
        raise out_of_range() from None
    return api.ForecastResult(rotation=rotation, seed=seed, forecast=result)


class ForecastOps(Ops):
    """Mixin of :class:`lotto.service.Service`: forecasts of rotations and users."""

    @operation(api.RotationForecastRequest, access=PUBLIC)
    def rotation_forecast(
        self, req: api.RotationForecastRequest, *, actor_id: str, now: datetime
    ) -> api.ForecastResult:
        """Simulate the rotation's next ``req.shifts`` shifts ``req.samples`` times.

        Round trips: 2 read batches (see ``_load``). Nothing is written, except the
        one-time open-tasks repair of a rotation stored without that record (as
        ``rotation_show`` does).
        """
        rotation, tasks, users = run(self.kv, lambda s: _load(s, req.rotation, []), self.stats)
        return simulate(rotation, tasks, users, req, now)

    @operation(api.UserForecastRequest, access=PUBLIC)
    def user_forecast(
        self, req: api.UserForecastRequest, *, actor_id: str, now: datetime
    ) -> api.ForecastResult:
        """The rotation's forecast for ``req.user_ids`` only (in the order given).

        NotFoundError for a user who is neither a member of the rotation nor
        assigned to one of the forecast's shifts. Round trips: as ``rotation_forecast``.
        """
        ids = check_users(self.directory, req.user_ids)
        rotation, tasks, users = run(self.kv, lambda s: _load(s, req.rotation, ids), self.stats)
        result = simulate(rotation, tasks, users, req, now)
        by_id = {u.user_id: u for u in result.forecast.users}
        missing = [u for u in ids if u not in by_id]
        if missing:
            rid = rotation.rotation_id
            raise NotFoundError(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in rotation "
                f"{rid}, so there is nothing to forecast; see `rotation show {rid}` or join with "
                f"`user join {rid}`.",
                rotation_id=rid,
                user_ids=missing,
            )
        result.forecast.users = [by_id[u] for u in ids]
        return result
