"""Probabilistic forecasts: who is likely to serve in a rotation's next shifts.

:func:`forecast` replays the coming shifts many times over (a Monte-Carlo
simulation): in each sample the rotation's real filler fills every shift that
is still pending, the picked users are marked served on private copies of
their records (so ``LastServed`` and grace periods shape the later shifts of
the same sample, exactly as the autopilot would), and the results are tallied
per user and per shift. Shifts already scheduled or started keep their users;
shifts not made yet are planned as the autopilot would make them.

The real lottery seeds each fill from the rotation's seed and the task id, so
it is repeatable for a given stored state; the forecast instead draws every
fill from the one ``rng`` it is given, treating each future draw as an
independent lottery (the state it will run on is not known yet).

Pure: no store, no clock. A shift whose fill fails (nobody left who meets a
need) is counted as insufficient, left unfilled in that sample, and the
sample goes on.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

import msgspec

from lotto import fillers
from lotto.api.forecasts import Forecast, ShiftForecast, UserForecast
from lotto.errors import InputError, InsufficientError
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, shift_number_of
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    Task,
    new_shift,
    overlapping_tasks,
    shift_task_id,
    task_interval,
)
from lotto.model.user import User, mark_served

__all__ = [
    "STATE_PLANNED",
    "MAX_SHIFTS",
    "MAX_SAMPLES",
    "MAX_FILLS",
    "plan_shifts",
    "forecast",
]

STATE_PLANNED = "planned"  # a shift the autopilot has not made yet
MAX_SHIFTS = 52
MAX_SAMPLES = 5000
# shifts × samples: bounds the time of one forecast (a few seconds on a 30-person rotation).
MAX_FILLS = 20000


def _check_sizes(shifts: int, samples: int) -> None:
    if not 1 <= shifts <= MAX_SHIFTS:
        raise InputError(
            f"--shifts must be between 1 and {MAX_SHIFTS} (got {shifts}).", shifts=shifts
        )
    if not 1 <= samples <= MAX_SAMPLES:
        raise InputError(
            f"--samples must be between 1 and {MAX_SAMPLES} (got {samples}).", samples=samples
        )
    if shifts * samples > MAX_FILLS:
        raise InputError(
            f"--shifts × --samples must be at most {MAX_FILLS} (got {shifts} × {samples}); "
            "forecast fewer shifts or use fewer samples.",
            shifts=shifts,
            samples=samples,
        )


def _span(task: Task) -> tuple[datetime, datetime]:
    """The interval of a planned shift: ``plan_shifts`` keeps only tasks that have one."""
    interval = task_interval(task)
    if interval is None:
        raise ValueError(f"{task.task_id} has no start time, so it can not be planned")
    return interval


def plan_shifts(
    rotation: Rotation, open_tasks: Iterable[Task], now: datetime, count: int
) -> list[tuple[int, Task]]:
    """The next ``count`` shifts from the period containing ``now``, as ``(number, task)``.

    An open shift is taken as it is, unless it is pending and already over at
    ``now`` (the autopilot no longer fills those); a finished one is skipped; a
    shift not made yet is planned like the autopilot's create step would make
    it, and skipped where that step would skip it (an open task overlaps it) or
    when it would already be over at ``now``.
    """
    if rotation.task_type == TASK_TYPE_TICKET:
        raise InputError(
            f"Rotation {rotation.rotation_id} makes tickets on demand, so there are no future "
            "shifts to forecast.",
            rotation_id=rotation.rotation_id,
        )
    tasks = [t for t in open_tasks if t.state != STATE_FINISHED]
    by_id = {t.task_id: t for t in tasks}
    made = set(rotation.task_ids)
    first = max(0, shift_number_of(rotation, now))
    plan: list[tuple[int, Task]] = []
    # Each skipped number is explained by an existing task, so this bound is never the limit
    # in practice; it only guards against a pathological record.
    for n in range(first, first + count * 4 + len(made) + len(tasks)):
        if len(plan) == count:
            break
        tid = shift_task_id(rotation.rotation_id, n)
        if tid in by_id:
            task = by_id[tid]
            interval = task_interval(task)  # a task without a start can't be placed
            if interval is not None and not (task.state == STATE_PENDING and interval[1] <= now):
                plan.append((n, task))
        elif tid not in made:
            shift = new_shift(rotation, n)  # as the autopilot would make it
            # A shift of the current period that is already over is not worth forecasting.
            over = _span(shift)[1] <= now
            if not over and not overlapping_tasks(shift, tasks):
                plan.append((n, shift))
    return plan


def _working_copies(
    users: Mapping[str, User], ids: Iterable[str], since: datetime
) -> dict[str, User]:
    """Records for the simulation: every id gets one; calendars lose events over before ``since``.

    A member never stored gets an empty record, as the autopilot would give them.
    """
    out: dict[str, User] = {}
    for uid in ids:
        user = users.get(uid)
        if user is None:
            out[uid] = User(mattermost_user_id=uid)
            continue
        calendar = [e for e in user.calendar if e.finish > since]
        out[uid] = msgspec.structs.replace(
            user, last_served=dict(user.last_served), calendar=calendar
        )
    return out


def _sample_copy(user: User) -> User:
    # Only LastServed and the calendar change when a user is marked served;
    # skills are shared with the base record and never written.
    return msgspec.structs.replace(
        user, last_served=dict(user.last_served), calendar=list(user.calendar)
    )


class _Tally:
    def __init__(self, ids: list[str], n_shifts: int) -> None:
        self.served = {uid: [0] * n_shifts for uid in ids}
        self.total = dict.fromkeys(ids, 0)
        # first[uid][i]: samples in which shift i was the user's first; start_sum: their starts.
        self.first = {uid: [0] * n_shifts for uid in ids}
        self.start_sum = dict.fromkeys(ids, 0.0)
        self.insufficient = [0] * n_shifts
        self.needs: list[dict[str, int]] = [{} for _ in range(n_shifts)]


def forecast(
    rotation: Rotation,
    open_tasks: Iterable[Task],
    users: Mapping[str, User],
    now: datetime,
    rng: random.Random,
    *,
    shifts: int = 6,
    samples: int = 200,
) -> Forecast:
    """Simulate ``samples`` futures of the next ``shifts`` shifts and tally who serves.

    ``users`` holds the records of the rotation's members and of users
    assigned to its open tasks (missing members count as never-stored users).
    Nothing passed in is changed. Same inputs and same ``rng`` state give the
    same forecast.
    """
    _check_sizes(shifts, samples)
    plan = plan_shifts(rotation, open_tasks, now, shifts)
    ids = list(
        dict.fromkeys(
            [*rotation.mattermost_user_ids, *(u for _, t in plan for u in t.mattermost_user_ids)]
        )
    )
    since = min((_span(t)[0] for _, t in plan), default=now)
    base = _working_copies(users, ids, since)
    starts = [_span(t)[0].timestamp() for _, t in plan]
    tally = _Tally(ids, len(plan))
    for _ in range(samples):
        _one_sample(rotation, plan, base, now, rng, tally, starts)
    return _summarise(rotation, plan, ids, tally, samples)


def _one_sample(
    rotation: Rotation,
    plan: list[tuple[int, Task]],
    base: dict[str, User],
    now: datetime,
    rng: random.Random,
    tally: _Tally,
    starts: list[float],
) -> None:
    sim = {uid: _sample_copy(u) for uid, u in base.items()}
    seen: set[str] = set()
    for i, (_, task) in enumerate(plan):
        picked: list[str] = []
        if task.state == STATE_PENDING:
            try:
                picked = fillers.fill(rotation, task, sim, now, rng)
            except InsufficientError as err:
                tally.insufficient[i] += 1
                need = str(err.context.get("need", ""))
                tally.needs[i][need] = tally.needs[i].get(need, 0) + 1
            for uid in picked:
                mark_served(sim[uid], task)
        for uid in [*task.mattermost_user_ids, *picked]:
            tally.served[uid][i] += 1
            tally.total[uid] += 1
            if uid not in seen:
                seen.add(uid)
                tally.first[uid][i] += 1
                tally.start_sum[uid] += starts[i]


def _summarise(
    rotation: Rotation, plan: list[tuple[int, Task]], ids: list[str], tally: _Tally, samples: int
) -> Forecast:
    shift_out = []
    for i, (n, task) in enumerate(plan):
        start, finish = _span(task)
        planned = task.task_id not in rotation.task_ids
        shift_out.append(
            ShiftForecast(
                task_id=task.task_id,
                number=n,
                start=start,
                finish=finish,
                state=STATE_PLANNED if planned else task.state,
                assigned=list(task.mattermost_user_ids),
                p_insufficient=tally.insufficient[i] / samples,
                unfilled_needs={nid: c / samples for nid, c in sorted(tally.needs[i].items())},
            )
        )
    user_out = []
    for uid in ids:
        firsts = tally.first[uid]
        served_at_all = sum(firsts)
        likely, cumulative = None, 0
        for i, c in enumerate(firsts):
            cumulative += c
            if 2 * cumulative >= samples:
                likely = i
                break
        expected_start = None
        if served_at_all:
            expected_start = datetime.fromtimestamp(
                tally.start_sum[uid] / served_at_all, tz=UTC
            ).replace(microsecond=0)
        user_out.append(
            UserForecast(
                user_id=uid,
                p_shift=[c / samples for c in tally.served[uid]],
                p_any=served_at_all / samples,
                expected_shifts=tally.total[uid] / samples,
                likely_next=likely,
                expected_next_start=expected_start,
            )
        )
    user_out.sort(key=lambda u: (-u.p_any, -u.expected_shifts, u.user_id))
    return Forecast(
        rotation_id=rotation.rotation_id, samples=samples, shifts=shift_out, users=user_out
    )
