"""Overrides for any span: ``task cover`` (rules: lotto.model.override)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lotto import api
from lotto.errors import AmbiguousError, InputError, LimitError, StateError
from lotto.model import keys
from lotto.model.override import (
    add_override,
    check_span,
    cover_refusal,
    find_cover,
    remove_override,
)
from lotto.model.rotation import Rotation
from lotto.model.task import Override, Task
from lotto.service import taskops
from lotto.service.access import SELF_OR_OWNER
from lotto.service.common import channel_notice, check_users, load_task, notice, run
from lotto.service.offers import new_offer_id
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["CoverOps"]


def _replaced(task: Task, for_user_id: str, actor_id: str) -> str:
    """Whose place is covered: the one named, else the task's only person, else the actor."""
    if for_user_id:
        return for_user_id
    if len(task.mattermost_user_ids) == 1:
        return task.mattermost_user_ids[0]
    if actor_id in task.mattermost_user_ids:
        return actor_id
    raise AmbiguousError(
        f"{task.task_id} has several people ({', '.join(task.mattermost_user_ids)}): say whose "
        f"place is covered with `--for @user`. Nothing was changed.",
        task_id=task.task_id,
        user_ids=list(task.mattermost_user_ids),
    )


class CoverOps(Ops):
    """Mixin of :class:`lotto.service.Service`: overrides for part of a task."""

    @operation(api.TaskCoverRequest, access=SELF_OR_OWNER)
    def task_cover(
        self, req: api.TaskCoverRequest, *, actor_id: str, now: datetime
    ) -> api.TaskCoverResult:
        """``cover_user_id`` is on call in ``user_id``'s place on the task from ``start``
        to ``finish`` (or with ``cancel`` no longer), in one unit of work; the coverer,
        the one covered for and the rotation's channel are told.

        Round trips: batch 1 = task + rotation + the coverer; batch 2 = the task's users
        and the rotation's members; commit.
        """
        ids = check_users(
            self.directory, [req.cover_user_id, *([req.user_id] if req.user_id else [])]
        )
        override_id = new_offer_id(self)

        def fn(s: Session) -> api.TaskCoverResult:
            task, rotation = load_task(s, req.task_id, [keys.user(u) for u in ids])
            s.prefetch(
                keys.user(u)
                for u in [*task.mattermost_user_ids, *(o.user_id for o in task.overrides)]
            )  # batch 2
            notices: list[api.Notice] = []
            everyone = [*task.mattermost_user_ids, *ids]
            users = taskops.users_of(s, everyone, actor_id, notices)
            tt = rotation.task_type
            if req.cancel:
                gone = find_cover(task, req.cover_user_id, req.start, actor_id, req.user_id)
                for o in gone:
                    cover = users.get(o.user_id) or s.user(o.user_id)
                    remove_override(task, o, cover)
                    if cover is not None:
                        s.save_user(cover)
                    notices += _told(rotation, task, o, actor_id, "cover_cancelled")
                s.save_task(task)
                return api.TaskCoverResult(
                    task=task, overrides=gone, cancelled=True, notices=notices, task_type=tt
                )
            if req.start is None or req.finish is None:
                raise InputError(
                    "Say when: `task cover ID @who --from T --to T` (times in your zone, e.g. "
                    "`--from 2027-11-10 --to 2027-11-11`). Nothing was changed."
                )
            check_span(task, req.start, req.finish, now)
            replaces = _replaced(task, req.user_id, actor_id)
            assigned = {u: users[u] for u in task.mattermost_user_ids}
            refusal = cover_refusal(
                task, rotation, assigned, replaces, users[req.cover_user_id], req.start, req.finish
            )
            if refusal is not None:
                text = (
                    f"Can not have {req.cover_user_id} cover for {replaces} on {task.task_id}: "
                    f"{refusal.reason}. Nothing was changed."
                )
                context = {"task_id": task.task_id, "user_ids": [req.cover_user_id, replaces]}
                if refusal.limit:
                    raise LimitError(text, need=refusal.limit, **context)
                raise StateError(text, **context)
            override = Override(
                override_id=override_id,
                user_id=req.cover_user_id,
                replaces=replaces,
                start=req.start,
                finish=req.finish,
                by=actor_id,
            )
            add_override(task, override, users[req.cover_user_id])
            s.save_user(users[req.cover_user_id])
            s.save_task(task)
            notices += _told(rotation, task, override, actor_id, "cover")
            return api.TaskCoverResult(
                task=task, overrides=[override], notices=notices, task_type=tt
            )

        return run(self.kv, fn, self.stats)


def _told(
    rotation: Rotation, task: Task, o: Override, actor_id: str, kind: str
) -> list[api.Notice]:
    """The coverer and the one covered for (unless they did it) and the channel hear of it."""
    fields: dict[str, Any] = {
        "subject_id": o.user_id,
        "from_user_id": o.replaces,
        "part": True,
        "task_type": rotation.task_type,
    }
    span = (o.start, o.finish)
    out = [
        notice(kind, u, actor_id, task=task, interval=span, **fields)
        for u in dict.fromkeys([o.user_id, o.replaces])
        if u != actor_id
    ]
    return out + channel_notice(rotation, kind, actor_id, task=task, interval=span, **fields)
