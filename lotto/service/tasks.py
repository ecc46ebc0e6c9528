"""Task commands: new shift/ticket, assign, unassign, fill, transition, show."""

from __future__ import annotations

from datetime import datetime

from lotto import api
from lotto.errors import InputError
from lotto.model import keys
from lotto.model.history import task_made
from lotto.model.risks import check_shift_time
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    STATE_SCHEDULED,
    STATE_STARTED,
    default_shift_number,
    shift_task_id,
    task_interval,
)
from lotto.model.usertext import check_text
from lotto.service import taskops
from lotto.service.access import OWNER, PUBLIC
from lotto.service.common import check_users, load_task, notice, resolve_rotation, run
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.store import Session

__all__ = ["TaskOps"]

_NEIGHBOURS = 2  # finished shifts this many numbers either side are checked for overlap
_TRANSITION_TARGETS = (STATE_SCHEDULED, STATE_STARTED, STATE_FINISHED)


class TaskOps(Ops):
    """Mixin of :class:`lotto.service.Service`: task commands."""

    @operation(api.TaskNewShiftRequest, access=OWNER)
    def task_new_shift(
        self, req: api.TaskNewShiftRequest, *, actor_id: str, now: datetime
    ) -> api.TaskResult:
        """Make shift N (default: the current period's, or the next not yet made); one wholly
        in the past or starting over a year ahead needs ``force``.

        Round trips: batch 1 = rotation resolution; batch 2 = the open tasks plus
        shifts N±2 (finished shifts near N are the only finished tasks it could
        overlap); commit.
        """
        if req.number is not None and req.number < 0:
            raise InputError(
                f"--number must not be negative (got {req.number}).", number=req.number
            )

        def fn(s: Session) -> api.TaskResult:
            rotation = resolve_rotation(s, req.rotation)
            number = req.number if req.number is not None else default_shift_number(rotation, now)
            near = [
                shift_task_id(rotation.rotation_id, n)
                for n in range(number - _NEIGHBOURS, number + _NEIGHBOURS + 1)
            ]
            near = [t for t in near if task_made(rotation, t)]
            open_tasks = taskops.load_open_tasks(s, rotation, [keys.task(t) for t in near])
            others = dict(open_tasks)
            for tid in near:
                task = s.task(tid)
                if task is not None:
                    others.setdefault(tid, task)
            task = taskops.make_shift(s, rotation, number, others.values())
            check_shift_time(rotation, task, now, force=req.force)
            return api.TaskResult(task=task)

        return run(self.kv, fn, self.stats)

    @operation(api.TaskNewTicketRequest, access=OWNER)
    def task_new_ticket(
        self, req: api.TaskNewTicketRequest, *, actor_id: str, now: datetime
    ) -> api.TaskResult:
        """Make the next ticket. Round trips: batch 1 = rotation resolution; commit."""
        check_text(req.summary, "summary")

        def fn(s: Session) -> api.TaskResult:
            rotation = resolve_rotation(s, req.rotation)
            return api.TaskResult(task=taskops.make_ticket(s, rotation, req.summary, now))

        return run(self.kv, fn, self.stats)

    @operation(api.TaskAssignRequest, access=OWNER)
    def task_assign(
        self, req: api.TaskAssignRequest, *, actor_id: str, now: datetime
    ) -> api.TaskAssignResult:
        """Assign users. Round trips: batch 1 = task + rotation + requested users;
        batch 2 = users already assigned; commit."""
        ids = check_users(self.directory, req.user_ids)

        def fn(s: Session) -> api.TaskAssignResult:
            task, rotation = load_task(s, req.task_id, [keys.user(u) for u in ids])
            s.prefetch(keys.user(u) for u in task.mattermost_user_ids)  # batch 2
            notices: list[api.Notice] = []
            users = taskops.users_of(s, [*task.mattermost_user_ids, *ids], actor_id, notices)
            added, more, overrode = taskops.assign(
                s, rotation, task, ids, users, force=req.force, actor_id=actor_id
            )
            members = set(rotation.mattermost_user_ids)
            return api.TaskAssignResult(
                task=task,
                changed=added,
                users=users,
                notices=notices + more,
                task_type=rotation.task_type,
                non_members=[u for u in added if u not in members],
                overrode=overrode,
            )

        return run(self.kv, fn, self.stats)

    @operation(api.TaskUnassignRequest, access=OWNER)
    def task_unassign(
        self, req: api.TaskUnassignRequest, *, actor_id: str, now: datetime
    ) -> api.TaskAssignResult:
        """Unassign users and drop their events for the task.
        Round trips: batch 1 = task + rotation + requested users; commit."""
        ids = check_users(self.directory, req.user_ids)

        def fn(s: Session) -> api.TaskAssignResult:
            task, rotation = load_task(s, req.task_id, [keys.user(u) for u in ids])
            s.prefetch(keys.user(u) for u in task.mattermost_user_ids)  # batch 2 (usually cached)
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            removed, more = taskops.unassign(
                s, rotation, task, ids, users, force=req.force, actor_id=actor_id
            )
            users.update(
                {u: rec for u in task.mattermost_user_ids if (rec := s.user(u)) is not None}
            )
            return api.TaskAssignResult(
                task=task,
                changed=removed,
                users=users,
                notices=notices + more,
                task_type=rotation.task_type,
            )

        return run(self.kv, fn, self.stats)

    @operation(api.TaskFillRequest, access=OWNER)
    def task_fill(
        self, req: api.TaskFillRequest, *, actor_id: str, now: datetime
    ) -> api.TaskAssignResult:
        """Auto-assign users to a pending task (with ``force`` top up a scheduled or
        started one: its newcomers are told, and the channel).

        Round trips: batch 1 = task + rotation (id derived from the task id);
        batch 2 = every member's and assigned user's record (one MGET however
        many members); commit. Tasks other than this one are never loaded.
        """

        def fn(s: Session) -> api.TaskAssignResult:
            task, rotation = load_task(s, req.task_id)
            ids = list(dict.fromkeys([*rotation.mattermost_user_ids, *task.mattermost_user_ids]))
            s.prefetch(keys.user(u) for u in ids)  # batch 2
            notices: list[api.Notice] = []
            users = taskops.users_of(s, ids, actor_id, notices)
            added = taskops.fill(s, rotation, task, users, now, force=req.force)
            if added and task.state != STATE_PENDING:
                # Topping up a scheduled or started task: as if each was assigned by hand.
                interval = task_interval(task)
                notices += [
                    notice(
                        "assigned",
                        u,
                        actor_id,
                        task=task,
                        interval=interval,
                        task_type=rotation.task_type,
                    )
                    for u in added
                ]
                notices += taskops.changed_post(rotation, task, actor_id, added=added)
            shown = {u: users[u] for u in task.mattermost_user_ids}
            return api.TaskAssignResult(
                task=task,
                changed=added,
                users=shown,
                notices=notices,
                task_type=rotation.task_type,
            )

        return run(self.kv, fn, self.stats)

    @operation(api.TaskTransitionRequest, access=OWNER)
    def task_transition(
        self, req: api.TaskTransitionRequest, *, actor_id: str, now: datetime
    ) -> api.TaskTransitionResult:
        """Move a task to scheduled/started/finished.
        Round trips: batch 1 = task + rotation; batch 2 = assigned users; commit."""
        if req.state not in _TRANSITION_TARGETS:
            raise InputError(
                f"Can not transition a task to {req.state!r}: use schedule, start or finish.",
                state=req.state,
            )

        def fn(s: Session) -> api.TaskTransitionResult:
            task, rotation = load_task(s, req.task_id)
            s.prefetch(keys.user(u) for u in task.mattermost_user_ids)  # batch 2
            notices: list[api.Notice] = []
            users = taskops.users_of(s, task.mattermost_user_ids, actor_id, notices)
            prev, more = taskops.transition(
                s, rotation, task, req.state, users, now=now, actor_id=actor_id
            )
            return api.TaskTransitionResult(
                task=task, prev_state=prev, notices=notices + more, task_type=rotation.task_type
            )

        return run(self.kv, fn, self.stats)

    @operation(api.TaskShowRequest, access=PUBLIC)
    def task_show(
        self, req: api.TaskShowRequest, *, actor_id: str, now: datetime
    ) -> api.TaskShowResult:
        """A task and its users. Round trips: batch 1 = task; batch 2 = its users."""

        def fn(s: Session) -> api.TaskShowResult:
            task, rotation = load_task(s, req.task_id)
            s.prefetch(keys.user(u) for u in task.mattermost_user_ids)
            users = {u: rec for u in task.mattermost_user_ids if (rec := s.user(u)) is not None}
            return api.TaskShowResult(task=task, users=users, task_type=rotation.task_type)

        return run(self.kv, fn, self.stats)
