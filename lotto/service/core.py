"""``Service``: one method per ``/lotto`` operation (bodies live in per-noun mixins)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime

from kvstore import FencedStore, Lock
from lotto import api
from lotto.errors import LottoError
from lotto.model import keys
from lotto.ports import Directory, Store
from lotto.service import access, taskops
from lotto.service.access import ADMIN, OWNER
from lotto.service.autopilot import run_autopilot
from lotto.service.calendar_feed import CalendarFeedOps
from lotto.service.common import resolve_rotation, run
from lotto.service.forecast import ForecastOps
from lotto.service.hours import HoursOps
from lotto.service.offers import OfferOps
from lotto.service.oncall import OnCallOps
from lotto.service.page import PageOps
from lotto.service.registry import actor_of, dispatch, operation
from lotto.service.rotations import RotationOps
from lotto.service.stats import StatsOps
from lotto.service.tasks import TaskOps
from lotto.service.users import SkillOps, UserOps
from lotto.store import Session

__all__ = ["Service"]

log = logging.getLogger("lotto.service")

#: ``each(rotation_id, result, error)`` after each rotation of ``autopilot_all``: its
#: result, or None and the error's text.
EachRun = Callable[[str, "api.AutopilotResult | None", str], None]


def _message(exc: Exception, rotation_id: str) -> str:
    return str(exc)


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

    Each method is called ``method(req, *, actor, now) -> Result`` (see
    :mod:`lotto.api`; its body gets ``actor_id``) and runs ONE ``kv.run`` unit of
    work of at most 3 Redis round trips (two read batches + the commit; an abbreviated rotation name
    is resolved in the first batch, see ``common.resolve_rotation``).

    Each operation is declared once, with ``@operation(api.XRequest, access=LEVEL)``
    (see :mod:`lotto.service.registry`), which also applies who may call it and
    checks its times at the door.

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

    @operation(api.RotationAutopilotRequest, access=OWNER)
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

    def autopilot_all(
        self,
        *,
        actor: api.Actor | None = None,
        actor_id: str | None = None,
        now: datetime,
        fence: Lock | None = None,
        describe: Callable[[Exception, str], str] = _message,
        each: EachRun | None = None,
    ) -> api.AutopilotAllResult:
        """Run the autopilot of every active rotation at ``now``, one unit of work each.

        The rotations are listed first: if that fails, this raises and nothing runs.
        Each rotation then runs on its own and ``each`` hears of it as soon as it is
        done (so its messages can go out before the next starts). One that fails does
        not stop the others: ``describe(error, rotation_id)`` gives the text kept in
        the result's ``errors``, and an unexpected failure is logged with its traceback.

        ``fence`` (a ``kvstore.Lock``, the run lock of the caller's timer) makes every
        rotation's commit check that the lock is still held: a run that outlived its
        lease saves nothing and sends nothing (``kvstore.lock`` explains the fencing).

        Plugin admins only (the timer acts as its bot, with full rights): AccessError
        before anything runs.
        """
        who = actor_of(actor, actor_id)
        access.admit(ADMIN, who, None)
        service = self if fence is None else Service(FencedStore(self.kv, fence), self.directory)
        listing = dispatch(service, api.RotationListRequest(), actor=who, now=now)
        out = api.AutopilotAllResult()
        for rid in listing.rotation_ids:
            req = api.RotationAutopilotRequest(rotation=api.RotationRef(name=rid, exact=True))
            try:
                res = dispatch(service, req, actor=who, now=now)
            except Exception as exc:  # one rotation's failure is reported, the rest go on
                if not isinstance(exc, LottoError):
                    log.exception("autopilot failed for rotation %s", rid)
                out.errors[rid] = describe(exc, rid)
                if each is not None:
                    each(rid, None, out.errors[rid])
                continue
            out.results.append(res)
            out.notices.extend(res.notices)
            if each is not None:
                each(rid, res, "")
        return out
