"""Trading shifts: ``task offer`` and ``task take`` (rules: lotto.model.offer)."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.errors import NotFoundError
from lotto.model import keys
from lotto.model.offer import find_offer, offer_of
from lotto.model.usertext import check_text
from lotto.service import taskops
from lotto.service.access import PUBLIC, SELF_OR_OWNER
from lotto.service.common import check_users, load_task, run
from lotto.service.offering import open_offer, take_offer, withdraw_offer
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["OfferOps", "new_offer_id"]


def new_offer_id(ops: Ops) -> str:
    """A fresh offer id from the service's seeded generator (drawn before the unit of work)."""
    return f"{ops._id_rng.getrandbits(64):016x}"


class OfferOps(Ops):
    """Mixin of :class:`lotto.service.Service`: trading shifts."""

    @operation(api.TaskOfferRequest, access=SELF_OR_OWNER)
    def task_offer(
        self, req: api.TaskOfferRequest, *, actor_id: str, now: datetime
    ) -> api.TaskOfferResult:
        """Offer ``user_id``'s place on a pending or scheduled task (or withdraw the offer).

        Round trips: batch 1 = task + rotation + the offerer; batch 2 = the task's
        users and the rotation's members (one MGET); commit.
        """
        check_text(req.note, "note")
        ids = check_users(
            self.directory, [req.user_id, *([req.to_user_id] if req.to_user_id else [])]
        )
        offer_id = new_offer_id(self)

        def fn(s: Session) -> api.TaskOfferResult:
            task, rotation = load_task(s, req.task_id, [keys.user(u) for u in ids])
            if req.cancel:
                offer = offer_of(task, req.user_id)
                if offer is None:
                    raise NotFoundError(
                        f"{req.user_id} has no open offer on {task.task_id} to withdraw; see "
                        f"`task show {task.task_id}`.",
                        task_id=task.task_id,
                        user_ids=[req.user_id],
                    )
                withdraw_offer(s, task, offer)
                return api.TaskOfferResult(task=task, offer=offer, cancelled=True)
            members = rotation.mattermost_user_ids
            s.prefetch(keys.user(u) for u in [*task.mattermost_user_ids, *members])  # batch 2
            users = {u: rec for u in [*task.mattermost_user_ids, *members] if (rec := s.user(u))}
            offer, fanout, notices = open_offer(
                s,
                rotation,
                task,
                req.user_id,
                users,
                [users[u] for u in members if u in users],
                offer_id=offer_id,
                now=now,
                actor_id=actor_id,
                note=req.note,
                to_user_id=req.to_user_id,
            )
            posted = any(n.channel_id for n in notices)
            return api.TaskOfferResult(
                task=task,
                offer=offer,
                takers=fanout.asked,
                notices=notices,
                eligible=fanout.eligible,
                asked_before=fanout.again,
                channel_name=rotation.channel_name if posted else "",
            )

        return run(self.kv, fn, self.stats)

    @operation(api.TaskTakeRequest, access=PUBLIC)
    def task_take(
        self, req: api.TaskTakeRequest, *, actor_id: str, now: datetime
    ) -> api.TaskTakeResult:
        """The acting user takes an offered place, in one unit of work (see offering.take_offer).

        Two members taking one offer at once: the unit of work's optimistic commit
        lets exactly one win; the other re-runs, finds the offer gone and is refused.
        Round trips: batch 1 = task + rotation + the taker; batch 2 = the task's users; commit.
        """
        check_users(self.directory, [actor_id])

        def fn(s: Session) -> api.TaskTakeResult:
            task, rotation = load_task(s, req.task_id, [keys.user(actor_id)])
            offer = find_offer(task, req.from_user_id, req.offer_id)
            s.prefetch(keys.user(u) for u in task.mattermost_user_ids)  # batch 2
            notices: list[api.Notice] = []
            users = taskops.users_of(s, [*task.mattermost_user_ids, actor_id], actor_id, notices)
            notices += take_offer(s, rotation, task, offer, users, actor_id, actor_id=actor_id)
            shown = {u: users[u] for u in task.mattermost_user_ids}
            return api.TaskTakeResult(
                task=task, offer=offer, taker=actor_id, users=shown, notices=notices
            )

        return run(self.kv, fn, self.stats)
