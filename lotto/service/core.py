"""``Service``: one method per ``/lotto`` operation (bodies live in per-noun mixins)."""

from __future__ import annotations

import functools
import inspect
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from lotto import api
from lotto.errors import BadTimeError
from lotto.model import keys
from lotto.ports import Directory
from lotto.service import taskops
from lotto.service.autopilot import run_autopilot
from lotto.service.calendar_feed import CalendarFeedOps
from lotto.service.common import resolve_rotation, run
from lotto.service.forecast import ForecastOps
from lotto.service.rotations import RotationOps
from lotto.service.tasks import TaskOps
from lotto.service.users import SkillOps, UserOps
from lotto.store import Session

__all__ = ["Service"]


class Service(RotationOps, TaskOps, UserOps, SkillOps, ForecastOps, CalendarFeedOps):
    """Every ``/lotto`` operation over a kvstore and a user directory.

    Each method is ``method(req, *, actor_id, now) -> Result`` (see
    :mod:`lotto.api`) and runs ONE ``kv.run`` unit of work of at most 3 Redis
    round trips (two read batches + the commit; an abbreviated rotation name
    is resolved in the first batch, see ``common.resolve_rotation``).

    ``kv`` is a ``kvstore.KVStore`` (only ``run`` is used); ``directory``
    validates user ids and gives the acting user's zone (the default rotation
    zone). Random rotation-id suffixes come from ``rng_factory()`` (default
    ``random.Random(seed)``), so tests are deterministic; fills are seeded from
    the rotation's ``Seed`` and the task id, never from this generator.
    ``stats.round_trips`` (per thread) is the Redis round trips of the last call.
    """

    def __init__(
        self,
        kv: Any,
        directory: Directory,
        *,
        seed: int | None = None,
        rng_factory: Callable[[], random.Random] | None = None,
    ) -> None:
        self.kv = kv
        self.directory = directory
        self._id_rng = rng_factory() if rng_factory else random.Random(seed)
        # Per-thread measurements of the last call (``stats.round_trips``), for tests and benches.
        self.stats = threading.local()

    def rotation_autopilot(
        self, req: api.RotationAutopilotRequest, *, actor_id: str, now: datetime
    ) -> api.AutopilotResult:
        """Run the autopilot once for a rotation at ``now`` (docs/design.md §4).

        Round trips: batch 1 = rotation resolution (rotation + open-tasks
        record); batch 2 = the open tasks, every member and every user
        assigned to an open task (one MGET however big the rotation); commit.
        Finished tasks are never loaded.
        """

        def fn(s: Session) -> api.AutopilotResult:
            rotation = resolve_rotation(s, req.rotation)
            tasks = taskops.load_open_tasks(
                s, rotation, [keys.user(u) for u in rotation.mattermost_user_ids]
            )
            ids = [
                *rotation.mattermost_user_ids,
                *(u for t in tasks.values() for u in t.mattermost_user_ids),
            ]
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            steps, more, mentioned = run_autopilot(
                s, rotation, tasks, users, now=now, actor_id=actor_id
            )
            return api.AutopilotResult(
                rotation=rotation, time=now, steps=steps, users=mentioned, notices=notices + more
            )

        return run(self.kv, fn, self.stats)


def _utc(value: datetime, what: str) -> datetime:
    """``value`` in UTC; BadTimeError for a naive time (it would be stored ambiguously and,
    read back, break every comparison with the aware times everything else uses)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadTimeError(
            f"The time {what} ({value.isoformat()}) has no time zone, so it is ambiguous: "
            "give an aware datetime (e.g. with tzinfo=timezone.utc); nothing was changed.",
            field=what,
        )
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _utc_request(req: Any) -> Any:
    """``req`` with every datetime field in UTC (a copy if anything changed)."""
    if not isinstance(req, msgspec.Struct):
        return req
    changes = {
        name: _utc(value, name)
        for name in req.__struct_fields__
        if isinstance(value := getattr(req, name), datetime)
    }
    changes = {name: value for name, value in changes.items() if value is not getattr(req, name)}
    return msgspec.structs.replace(req, **changes) if changes else req


def _aware_times(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(self: Service, req: Any, *, actor_id: str, now: datetime) -> Any:
        return method(self, _utc_request(req), actor_id=actor_id, now=_utc(now, "now"))

    return checked


# Every operation checks its times at the door, before its unit of work.
for _name in [n for n in dir(Service) if not n.startswith("_")]:
    _method = getattr(Service, _name)
    if callable(_method) and "now" in inspect.signature(_method).parameters:
        setattr(Service, _name, _aware_times(_method))
del _name, _method
