"""``Service``: one method per ``/lotto`` operation (bodies live in per-noun mixins)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime

from lotto import api
from lotto.model import keys
from lotto.ports import Directory, Store
from lotto.service import taskops
from lotto.service.autopilot import run_autopilot
from lotto.service.calendar_feed import CalendarFeedOps
from lotto.service.common import resolve_rotation, run
from lotto.service.forecast import ForecastOps
from lotto.service.hours import HoursOps
from lotto.service.offers import OfferOps
from lotto.service.oncall import OnCallOps
from lotto.service.page import PageOps
from lotto.service.registry import operation
from lotto.service.rotations import RotationOps
from lotto.service.stats import StatsOps
from lotto.service.tasks import TaskOps
from lotto.service.users import SkillOps, UserOps
from lotto.store import Session

__all__ = ["Service"]


class Service(
    RotationOps,
    TaskOps,
    OfferOps,
    UserOps,
    SkillOps,
    ForecastOps,
    CalendarFeedOps,
    OnCallOps,
    StatsOps,
    PageOps,
    HoursOps,
):
    """Every ``/lotto`` operation over a kvstore and a user directory.

    Each method is ``method(req, *, actor_id, now) -> Result`` (see
    :mod:`lotto.api`) and runs ONE ``kv.run`` unit of work of at most 3 Redis
    round trips (two read batches + the commit; an abbreviated rotation name
    is resolved in the first batch, see ``common.resolve_rotation``).

    Each operation is declared once, with ``@operation(api.XRequest)`` (see
    :mod:`lotto.service.registry`), which also checks its times at the door.

    ``kv`` is a :class:`lotto.ports.Store` (a ``kvstore.KVStore``); ``directory``
    validates user ids and gives the acting user's zone (the default rotation
    zone). Random rotation-id suffixes come from ``rng_factory()`` (default
    ``random.Random(seed)``), so tests are deterministic; fills are seeded from
    the rotation's ``Seed`` and the task id, never from this generator.
    ``stats.round_trips`` (per thread) is the Redis round trips of the last call.
    """

    def __init__(
        self,
        kv: Store,
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

    @operation(api.RotationAutopilotRequest)
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
