"""Probabilistic forecasts: who is likely to serve in a rotation's next shifts.

:func:`forecast` replays the coming shifts many times over (a Monte-Carlo
simulation): in each sample the rotation's real filler fills every shift that
is still pending, the picked users are marked served (``mark_served``) on
their records, so ``LastServed`` and grace periods shape the later shifts of
the same sample exactly as the autopilot would, and the results are tallied
per user and per shift. Shifts already scheduled or started keep their users;
shifts not made yet are planned as the autopilot would make them.

The real lottery seeds each fill from the rotation's seed and the task id, so
it is repeatable for a given stored state; the forecast instead draws every
fill from the one ``rng`` it is given, treating each future draw as an
independent lottery (the state it will run on is not known yet).

Reusing work between samples: what does not change from one sample to the
next is worked out once per forecast (:class:`_Tables`) — each shift's filler
prepared over the members (``lotto.fillers.prepare``: who meets which need,
everyone's weight from their record), who is kept off which shift by what is
already on their calendar, which later shifts serving a shift keeps a person
off (the events ``mark_served`` puts on them), and the ``LastServed`` serving
a shift gives each person (``mark_served`` on their record). A sample then
only keeps, per person, the ``LastServed`` its picks gave and the shifts they
keep them off. The picks are the same as marking the records served one
pick at a time and filling from them (a test replays that the plain way);
a filler that draws nothing at random (the queue) is replayed once and
counted for every sample.

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
from lotto.fillers._common import assigned_users, free_for, rest_end
from lotto.model.availability import Event
from lotto.model.history import made_task_ids, task_made
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation, holiday_of_shift, shift_number_of
from lotto.model.task import (
    STATE_FINISHED,
    STATE_PENDING,
    Task,
    new_shift,
    overlapping_tasks,
    shift_task_id,
    task_interval,
)
from lotto.model.user import User, mark_served, trimmed

__all__ = [
    "STATE_PLANNED",
    "MAX_SHIFTS",
    "MAX_SAMPLES",
    "MAX_FILLS",
    "MAX_WORK",
    "largest_samples",
    "check_size",
    "plan_shifts",
    "forecast",
]

STATE_PLANNED = "planned"  # a shift the autopilot has not made yet
MAX_SHIFTS = 52
MAX_SAMPLES = 5000
# The bounds on a forecast's work (issue 19), all checked by check_size: a fill costs a
# fixed part plus a part that grows with the members, so both the fills (shifts ×
# samples) and the members × shifts × samples are bounded. Both let 52 shifts × 1,000
# samples through up to 307 members; the largest forecasts allowed take a few seconds.
MAX_FILLS = 60_000
MAX_WORK = 16_000_000


def largest_samples(members: int, shifts: int) -> int:
    """The most samples :func:`check_size` allows for ``shifts`` shifts of ``members`` members."""
    return min(MAX_SAMPLES, MAX_FILLS // shifts, MAX_WORK // (max(1, members) * shifts))


def check_size(members: int, shifts: int, samples: int) -> None:
    """Refuse (InputError) a forecast beyond the bounds, saying the largest one allowed."""
    if not 1 <= shifts <= MAX_SHIFTS:
        raise InputError(
            f"--shifts must be between 1 and {MAX_SHIFTS} (got {shifts}).", shifts=shifts
        )
    if not 1 <= samples <= MAX_SAMPLES:
        raise InputError(
            f"--samples must be between 1 and {MAX_SAMPLES} (got {samples}).", samples=samples
        )
    most = largest_samples(members, shifts)
    if samples <= most:
        return
    if most:
        largest = f"at most {most:,} samples of {shifts} shifts"
    else:
        largest = f"at most {min(MAX_SHIFTS, MAX_WORK // members)} shifts of 1 sample"
    raise InputError(
        f"A forecast of {shifts} shifts × {samples:,} samples over {members:,} members is too "
        f"big: it may make at most {MAX_FILLS:,} fills (shifts × samples) and at most "
        f"{MAX_WORK:,} members × shifts × samples, so {largest} here. Forecast fewer shifts "
        "or use fewer samples.",
        shifts=shifts,
        samples=samples,
        members=members,
        largest_samples=most,
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
    first = max(0, shift_number_of(rotation, now))
    made = set(made_task_ids(rotation, first))
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
        elif tid not in made and not holiday_of_shift(rotation, n):  # a holiday's turn: none
            shift = new_shift(rotation, n)  # as the autopilot would make it
            # A shift of the current period that is already over is not worth forecasting.
            over = _span(shift)[1] <= now
            if not over and not overlapping_tasks(shift, tasks):
                plan.append((n, shift))
    return plan


def _working_copies(
    users: Mapping[str, User], ids: Iterable[str], since: datetime
) -> dict[str, User]:
    """Records for the simulation: every id gets one; calendars lose events over by ``since``
    (``trimmed``: their ``LastServed`` credit stays in the floor).

    A member never stored gets an empty record, as the autopilot would give them.
    """
    out: dict[str, User] = {}
    for uid in ids:
        user = users.get(uid)
        if user is None:
            out[uid] = User(mattermost_user_id=uid)
            continue
        out[uid] = trimmed(user, since)  # the credit of the events dropped stays
    return out


def _copy(user: User) -> User:
    # Only LastServed and the calendar change when a user is marked served;
    # skills are shared with the base record and never written.
    return msgspec.structs.replace(
        user,
        last_served=dict(user.last_served),
        served_floor=dict(user.served_floor),
        calendar=list(user.calendar),
    )


class _Tally:
    """Counts over the samples, by shift and by person (places in ``_Tables.ids``)."""

    def __init__(self, people: int, n_shifts: int) -> None:
        self.served = [[0] * people for _ in range(n_shifts)]
        self.total = [0] * people
        # first[i][p]: samples in which shift i was person p's first; start_sum: their starts.
        self.first = [[0] * people for _ in range(n_shifts)]
        self.start_sum = [0.0] * people
        self.insufficient = [0] * n_shifts
        self.needs: list[dict[str, int]] = [{} for _ in range(n_shifts)]

    def times(self, factor: int) -> None:
        """Every count ``factor`` times over (samples that were all the same)."""
        for rows in (self.served, self.first):
            for row in rows:
                row[:] = [c * factor for c in row]
        self.total = [c * factor for c in self.total]
        self.start_sum = [s * factor for s in self.start_sum]
        self.insufficient = [c * factor for c in self.insufficient]
        self.needs = [{n: c * factor for n, c in needs.items()} for needs in self.needs]


class _Tables:
    """What every sample of one forecast shares, worked out once (see the module doc).

    People are numbered: the rotation's members sorted by id (the fillers' order),
    then anyone else assigned to a planned shift. ``prepared[i]`` is shift ``i``'s
    filler over the members (None when the shift is not pending: it keeps its
    users), without those its calendar events keep off it; ``blocks[i]``: the
    later pending shifts that serving shift ``i`` keeps anyone off; ``own[p][j]``:
    the pending shifts that events of pending shift ``j`` keep person ``p`` off
    though they are not on it (events that go if ``p`` is picked for ``j``).
    """

    def __init__(
        self, rotation: Rotation, plan: list[tuple[int, Task]], base: dict[str, User], now: datetime
    ) -> None:
        members = sorted(set(rotation.mattermost_user_ids))
        self.ids = list(dict.fromkeys([*members, *base]))
        self.rotation = rotation
        place = {uid: p for p, uid in enumerate(self.ids)}
        self.records = [base[uid] for uid in self.ids]
        people = self.records[: len(members)]
        tasks = [task for _, task in plan]
        self.tasks = tasks
        self.fixed = [[place[u] for u in task.mattermost_user_ids] for task in tasks]
        self.starts = [_span(task)[0].timestamp() for task in tasks]
        pending = [i for i, task in enumerate(tasks) if task.state == STATE_PENDING]
        pending_ids = {tasks[i].task_id: i for i in pending}
        rests = [rest_end(rotation, task) for task in tasks]
        # Calendar events of a pending shift on someone not on it go when that person is
        # picked for it (mark_served replaces them): kept apart, per person and shift.
        self.own: dict[int, dict[int, list[int]]] = {}
        static: list[list[Event]] = []
        for p, user in enumerate(people):
            kept = []
            for e in user.calendar:
                j = pending_ids.get(e.task_id)
                if j is None or user.mattermost_user_id in tasks[j].mattermost_user_ids:
                    kept.append(e)
                    continue
                slot = self.own.setdefault(p, {}).setdefault(j, [])
                slot.extend(
                    k for k in pending if k not in slot and not free_for([e], tasks[k], rests[k])
                )
            static.append(kept)
        self.prepared: list[fillers.Prepared | None] = [None] * len(tasks)
        for i in pending:
            task = tasks[i]
            on_it = set(task.mattermost_user_ids)
            absent = {
                p
                for p, user in enumerate(people)
                if user.mattermost_user_id in on_it or not free_for(static[p], task, rests[i])
            }
            self.prepared[i] = fillers.prepare(
                rotation, task, people, assigned_users(task, base), now, absent
            )
        # Serving shift j puts the same events on anyone (mark_served on an empty record).
        self.blocks: list[list[int]] = [[] for _ in tasks]
        for j in pending:
            scratch = User(mattermost_user_id="")
            mark_served(scratch, tasks[j], rotation)
            self.blocks[j] = [
                k for k in pending if k > j and not free_for(scratch.calendar, tasks[k], rests[k])
            ]
        self.random_draws = any(p is not None and p.random_draws for p in self.prepared)
        # after[i][p]: person p's LastServed once marked served on shift i (None: not yet known).
        self.after: list[list[int | None]] = [[None] * len(people) for _ in tasks]

    def served_after(self, p: int, i: int) -> int:
        """Person ``p``'s ``LastServed`` once marked served on shift ``i`` (their record's rule).

        From their record alone: a sample's picks come in shift order, and marking a
        later shift gives what marking the earlier ones first would have.
        """
        value = self.after[i][p]
        if value is None:
            record = _copy(self.records[p])
            mark_served(record, self.tasks[i], self.rotation)
            value = self.after[i][p] = record.last_served.get(self.rotation.rotation_id, 0)
        return value

    def sample(self, rng: random.Random, tally: _Tally) -> None:
        """One replay of the plan, counted into ``tally``."""
        served: dict[int, int] = {}  # person -> LastServed given by this sample's picks
        busy: list[set[int]] = [set() for _ in self.tasks]  # shift -> people kept off it
        picked_by: dict[int, list[int]] = {}  # people with events of their own: shifts picked
        for p, shifts in self.own.items():
            picked_by[p] = []
            for off in shifts.values():
                for k in off:
                    busy[k].add(p)
        seen: set[int] = set()
        counts, firsts, total, start_sum = tally.served, tally.first, tally.total, tally.start_sum
        for i, prepared in enumerate(self.prepared):
            picked: list[int] = []
            if prepared is not None:
                try:
                    picked = prepared.pick(rng, served, busy[i])
                except InsufficientError as err:
                    tally.insufficient[i] += 1
                    need = str(err.context.get("need", ""))
                    tally.needs[i][need] = tally.needs[i].get(need, 0) + 1
                after = self.after[i]
                for p in picked:
                    served[p] = after[p] or self.served_after(p, i)
                    if p in picked_by:
                        self._reblock(p, i, picked_by[p], busy)
                    else:
                        for k in self.blocks[i]:
                            busy[k].add(p)
            shift_counts, shift_firsts, start = counts[i], firsts[i], self.starts[i]
            for p in (*self.fixed[i], *picked):
                shift_counts[p] += 1
                total[p] += 1
                if p not in seen:
                    seen.add(p)
                    shift_firsts[p] += 1
                    start_sum[p] += start

    def _reblock(self, p: int, i: int, picked: list[int], busy: list[set[int]]) -> None:
        # Person p, with events of pending shifts on their calendar, was picked for
        # shift i: its events are replaced by serving it, so work p's later shifts out again.
        picked.append(i)
        off: set[int] = set()
        for j in picked:
            off.update(self.blocks[j])
        for j, shifts in self.own[p].items():
            if j not in picked:
                off.update(shifts)
        for k in range(i + 1, len(self.tasks)):
            if k in off:
                busy[k].add(p)
            else:
                busy[k].discard(p)


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
    same forecast. Refused (InputError) beyond :func:`check_size`.
    """
    check_size(len(set(rotation.mattermost_user_ids)), shifts, samples)
    plan = plan_shifts(rotation, open_tasks, now, shifts)
    ids = list(
        dict.fromkeys(
            [*rotation.mattermost_user_ids, *(u for _, t in plan for u in t.mattermost_user_ids)]
        )
    )
    since = min((_span(t)[0] for _, t in plan), default=now)
    tables = _Tables(rotation, plan, _working_copies(users, ids, since), now)
    tally = _Tally(len(tables.ids), len(plan))
    # Without randomness every sample is the first one again.
    runs = samples if tables.random_draws else 1
    for _ in range(runs):
        tables.sample(rng, tally)
    if runs < samples:
        tally.times(samples)
    return _summarise(rotation, plan, tables.ids, tally, samples)


def _summarise(
    rotation: Rotation, plan: list[tuple[int, Task]], ids: list[str], tally: _Tally, samples: int
) -> Forecast:
    shift_out = []
    for i, (n, task) in enumerate(plan):
        start, finish = _span(task)
        planned = not task_made(rotation, task.task_id)
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
    for p, uid in enumerate(ids):
        firsts = [row[p] for row in tally.first]
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
                tally.start_sum[p] / served_at_all, tz=UTC
            ).replace(microsecond=0)
        user_out.append(
            UserForecast(
                user_id=uid,
                p_shift=[row[p] / samples for row in tally.served],
                p_any=served_at_all / samples,
                expected_shifts=tally.total[p] / samples,
                likely_next=likely,
                expected_next_start=expected_start,
            )
        )
    user_out.sort(key=lambda u: (-u.p_any, -u.expected_shifts, u.user_id))
    return Forecast(
        rotation_id=rotation.rotation_id, samples=samples, shifts=shift_out, users=user_out
    )
