"""On-call operations: rotation owners and channel, who is on call now, my shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto import api
from lotto.errors import InputError
from lotto.model import keys
from lotto.model.availability import REASON_PERSONAL, overlaps
from lotto.model.hours import is_set
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_SCHEDULED, STATE_STARTED, Task, task_interval
from lotto.model.user import User, placement_clashes
from lotto.service.access import OWNER, PUBLIC
from lotto.service.common import check_users, resolve_rotation, run
from lotto.service.hours import on_call_now
from lotto.service.ops import Ops
from lotto.service.registry import operation
from lotto.service.taskops import load_open_tasks
from lotto.store import Session

__all__ = ["OnCallOps", "MAX_SHIFT_DAYS"]

#: ``user shifts --days`` at most this (ten years): a window past year 9999 is an error.
MAX_SHIFT_DAYS = 3650


def _start(task: Task) -> datetime:
    interval = task_interval(task)
    return interval[0] if interval else datetime.max.replace(tzinfo=UTC)


def on_call(tasks: list[Task], now: datetime) -> tuple[Task | None, Task | None]:
    """The task on call at ``now`` (started, else scheduled, covering ``now``) and the next.

    "Next" is the first open task starting after ``now`` (after the current one's start).
    """
    covering = [
        t
        for t in tasks
        if t.state in (STATE_STARTED, STATE_SCHEDULED)
        and (iv := task_interval(t)) is not None
        and iv[0] <= now < iv[1]
    ]
    # A started task is on call for sure; among equals, the one that began last.
    covering.sort(key=lambda t: (t.state == STATE_STARTED, task_interval(t)[0]))  # type: ignore[index]
    current = covering[-1] if covering else None
    upcoming = sorted(
        (
            t
            for t in tasks
            if t is not current and (iv := task_interval(t)) is not None and iv[0] > now
        ),
        key=lambda t: task_interval(t)[0],  # type: ignore[index]
    )
    return current, (upcoming[0] if upcoming else None)


class OnCallOps(Ops):
    """Mixin of :class:`lotto.service.Service`: owners, channel, now, my shifts."""

    def _change(self, ref: api.RotationRef, change) -> api.RotationResult:
        """Resolve, apply ``change(rotation)``, save. Round trips: 1 batch + commit."""

        def fn(s: Session) -> api.RotationResult:
            rotation = resolve_rotation(s, ref)
            change(rotation)
            s.save_rotation(rotation)
            return api.RotationResult(rotation=rotation)

        return run(self.kv, fn, self.stats)

    @operation(api.RotationSetOwnersRequest, access=OWNER)
    def rotation_set_owners(
        self, req: api.RotationSetOwnersRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Add (or with ``remove`` take away) owners. Round trips: 1 batch + commit."""
        ids = check_users(self.directory, req.user_ids)

        def change(rotation: Rotation) -> None:
            if req.remove:
                rotation.owners = [u for u in rotation.owners if u not in ids]
            else:
                rotation.owners += [u for u in ids if u not in rotation.owners]

        return self._change(req.rotation, change)

    @operation(api.RotationSetChannelRequest, access=OWNER)
    def rotation_set_channel(
        self, req: api.RotationSetChannelRequest, *, actor_id: str, now: datetime
    ) -> api.RotationResult:
        """Set (or with ``off`` remove) the channel the rotation's news is posted in.

        The command layer resolved the channel (``lotto.ports.Channels``).
        Round trips: 1 batch + commit.
        """
        if not req.off and not req.channel_id:
            raise InputError(
                "No channel given: name one (`~town-square`) or use --off.", rotation=req.rotation
            )

        def change(rotation: Rotation) -> None:
            rotation.channel_id = "" if req.off else req.channel_id
            rotation.channel_name = "" if req.off else (req.channel_name or req.channel_id)

        return self._change(req.rotation, change)

    @operation(api.RotationNowRequest, access=PUBLIC)
    def rotation_now(
        self, req: api.RotationNowRequest, *, actor_id: str, now: datetime
    ) -> api.RotationNowResult:
        """Who is on call now, and next.

        Round trips: batch 1 = rotation resolution (with its open-tasks record);
        batch 2 = the open tasks and their users; commit (nothing written).
        """

        def fn(s: Session) -> api.RotationNowResult:
            rotation = resolve_rotation(s, req.rotation)
            tasks = load_open_tasks(s, rotation)
            found = list(tasks.values())
            at = on_call_now(rotation, on_call(found, now), found, now)  # working hours
            current, following = at.current, at.next
            ids = [u for t in (current, following) if t for u in t.mattermost_user_ids]
            users = {u: rec for u in ids if (rec := s.user(u)) is not None}
            return api.RotationNowResult(
                rotation=rotation,
                time=now,
                current=current,
                next=following,
                users=users,
                off_hours=at.off_hours,
                on_call_until=at.on_call_until,
                next_on_call=at.next_on_call,
            )

        return run(self.kv, fn, self.stats)

    @operation(api.UserShiftsRequest, access=PUBLIC)
    def user_shifts(
        self, req: api.UserShiftsRequest, *, actor_id: str, now: datetime
    ) -> api.UserShiftsResult:
        """The user's open tasks over the next ``days`` in every active rotation, and time off.

        Round trips: batch 1 = the user, the active index, every active rotation and
        its open-tasks record; batch 2 = the open tasks of the user's rotations (theirs,
        and those that may have a place offered); commit (nothing written).
        """
        if not 0 < req.days <= MAX_SHIFT_DAYS:
            raise InputError(
                f"--days must be between 1 and {MAX_SHIFT_DAYS} (got {req.days}).", days=req.days
            )
        until = now + timedelta(days=req.days)
        uid = req.user_id

        def fn(s: Session) -> api.UserShiftsResult:
            s.prefetch([keys.user(uid)], follow=keys.follow_active_rotations(""))  # batch 1
            mine: list[str] = []
            others: list[str] = []  # open tasks of the user's rotations: offers to look at
            rotation_of: dict[str, Rotation] = {}
            working: dict[str, api.RotationHours] = {}
            for rid in s.index(keys.ACTIVE_ROTATIONS).ids:
                rotation = s.rotation(rid)
                if rotation is None:
                    continue
                if is_set(rotation.working):
                    zone = rotation.fill_settings.time_zone
                    working[rid] = api.RotationHours(working=rotation.working, time_zone=zone)
                member = uid in rotation.mattermost_user_ids
                for tid, us in s.open_tasks(rotation).tasks.items():
                    (mine if uid in us else others if member else []).append(tid)
                    rotation_of[tid] = rotation
            s.prefetch(keys.task(t) for t in [*mine, *others])  # batch 2
            user = s.user(uid) or User(mattermost_user_id=uid)

            def in_window(tid: str) -> Task | None:
                task = s.task(tid)
                iv = task_interval(task) if task is not None else None
                return task if iv is not None and iv[1] > now and iv[0] < until else None

            tasks = [t for t in map(in_window, mine) if t is not None]
            tasks.sort(key=lambda t: (_start(t), t.task_id))
            offers = []
            for task in (t for t in map(in_window, others) if t is not None):
                open_to_me = [o for o in task.offers if o.to_user_id in ("", uid)]
                # Free then and not resting: the rule ``task take`` applies.
                if open_to_me and not placement_clashes(user, task, rotation_of[task.task_id]):
                    offers.append(task)
            offers.sort(key=lambda t: (_start(t), t.task_id))
            time_off = [
                e for e in user.calendar if e.reason == REASON_PERSONAL and overlaps(e, now, until)
            ]
            return api.UserShiftsResult(
                user_id=uid,
                time=now,
                until=until,
                tasks=tasks,
                time_off=time_off,
                offers=offers,
                hours={
                    t.rotation_id: working[t.rotation_id]
                    for t in [*tasks, *offers]
                    if t.rotation_id in working
                },
            )

        return run(self.kv, fn, self.stats)
