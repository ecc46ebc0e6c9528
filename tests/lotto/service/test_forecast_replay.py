"""The forecast's prepared tables give exactly the forecast of replaying the records.

The plain way to forecast is to copy every record for each sample, fill each
pending shift with ``lotto.fillers.fill`` and mark the picks served with
``lotto.model.user.mark_served`` (what the forecast did before it reused work
between samples). :func:`_replayed` does that here; the forecast must give the
same numbers from the same generator on generated rotations: skills, limits,
grace, time off, users already assigned, people who never served or "served"
in the future, members without records, and events of a shift on someone not
on it. If a rule of the model ever stops being tabulable the way the forecast
tabulates it (a calendar decided event by event, ``LastServed`` after a pick
given by the record and that pick alone), this is the test that says so.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lotto import api, fillers
from lotto.commands import Env, execute
from lotto.demo import SET_SETUP, run_rotation
from lotto.errors import InsufficientError
from lotto.local import LocalDirectory, RecordingPoster
from lotto.model.availability import REASON_GRACE, REASON_PERSONAL, REASON_TASK, Event
from lotto.model.rotation import (
    FILLER_QUEUE,
    FILLER_SOLAR_LOTTERY,
    FillSettings,
    Rotation,
    TaskSettings,
)
from lotto.model.skill import need_id
from lotto.model.task import STATE_PENDING, STATE_SCHEDULED, new_shift
from lotto.model.user import User, mark_served, trimmed
from lotto.service.forecasting import forecast, plan_shifts

BEGIN = datetime(2021, 3, 1, 9, tzinfo=UTC)
_SKILLS = ("webapp", "server", "lead")
_PERIODS = ("daily", "weekly", "biweekly", "monthly", "36h0m0s")


def _replayed(rotation, open_tasks, users, now, rng, shifts, samples) -> dict[str, object]:
    """The plain replay: records copied per sample, real fills, picks marked served.

    Gives the chance of each shift being left unfilled and, per person, their chance
    of serving each shift, of serving at all and the shift they are likely first on.
    """
    plan = [task for _, task in plan_shifts(rotation, open_tasks, now, shifts)]
    ids = list(
        dict.fromkeys(
            [*rotation.mattermost_user_ids, *(u for t in plan for u in t.mattermost_user_ids)]
        )
    )
    since = min((t.expected_start for t in plan), default=now)
    base = {}
    for uid in ids:
        user = users.get(uid) or User(mattermost_user_id=uid)
        base[uid] = trimmed(user, since)
    served = {uid: [0] * len(plan) for uid in ids}
    first = {uid: [0] * len(plan) for uid in ids}
    insufficient = [0] * len(plan)
    for _ in range(samples):
        sim = {
            uid: msgspec.structs.replace(
                u,
                last_served=dict(u.last_served),
                served_floor=dict(u.served_floor),
                calendar=list(u.calendar),
            )
            for uid, u in base.items()
        }
        seen: set[str] = set()
        for i, task in enumerate(plan):
            picked: list[str] = []
            if task.state == STATE_PENDING:
                try:
                    picked = fillers.fill(rotation, task, sim, now, rng)
                except InsufficientError:
                    insufficient[i] += 1
                for uid in picked:
                    mark_served(sim[uid], task, rotation)
            for uid in [*task.mattermost_user_ids, *picked]:
                served[uid][i] += 1
                if uid not in seen:
                    seen.add(uid)
                    first[uid][i] += 1
    users_out = {}
    for uid in ids:
        cumulative, likely = 0, None
        for i, c in enumerate(first[uid]):
            cumulative += c
            if 2 * cumulative >= samples:
                likely = i
                break
        users_out[uid] = ([c / samples for c in served[uid]], sum(first[uid]) / samples, likely)
    return {"insufficient": [c / samples for c in insufficient], "users": users_out}


def _numbers(result) -> dict[str, object]:
    """The same numbers, from the forecast."""
    return {
        "insufficient": [s.p_insufficient for s in result.shifts],
        "users": {u.user_id: (u.p_shift, u.p_any, u.likely_next) for u in result.users},
    }


def _event(start: datetime, hours: int, reason: str, task_id: str = "", rid: str = "") -> Event:
    return Event(
        start=start,
        finish=start + timedelta(hours=hours),
        reason=reason,
        task_id=task_id,
        rotation_id=rid,
    )


def _scenario(index: int, gen: random.Random):
    rid = f"R{index}"

    def need() -> str:
        return "any" if gen.random() < 0.3 else need_id(gen.choice(_SKILLS), gen.choice((1, 1, 2)))

    rotation = Rotation(
        rotation_id=rid,
        filler_type=FILLER_QUEUE if gen.random() < 0.2 else FILLER_SOLAR_LOTTERY,
        task_settings=TaskSettings(
            require={need(): gen.randint(1, 2) for _ in range(gen.randint(1, 3))},
            limit={need(): gen.choice((0, 1, 1, 2)) for _ in range(gen.randint(0, 2))},
            grace=timedelta(hours=gen.choice((0, 0, 24, 100, 300))),
        ),
        fill_settings=FillSettings(
            beginning=BEGIN, period=gen.choice(_PERIODS), fuzz=gen.choice((0, 0, 1))
        ),
    )
    period_end = new_shift(rotation, 8).expected_start
    users: dict[str, User] = {}
    for k in range(gen.randint(2, 12)):
        uid = f"u{k}"
        rotation.mattermost_user_ids.append(uid)
        if gen.random() < 0.1:
            continue  # a member without a record
        roll = gen.random()
        served = (
            {}
            if roll < 0.3
            else {rid: int((BEGIN + timedelta(days=gen.randint(1, 20))).timestamp())}
            if roll < 0.4
            else {rid: int((BEGIN - timedelta(hours=gen.randint(0, 3000))).timestamp())}
        )
        calendar = []
        for _ in range(gen.choice((0, 0, 1, 2))):
            start = BEGIN + (period_end - BEGIN) * gen.random()
            calendar.append(_event(start, gen.randint(1, 200), REASON_PERSONAL))
        users[uid] = User(
            mattermost_user_id=uid,
            skill_levels={gen.choice(_SKILLS): gen.randint(1, 3) for _ in range(gen.randint(0, 3))},
            last_served=served,
            calendar=sorted(calendar, key=lambda e: (e.start, e.finish)),
        )
    open_tasks = []
    members = [u for u in rotation.mattermost_user_ids if u in users]
    if members and gen.random() < 0.5:
        # Shift 1 already made: scheduled with its people, or pending with some of them.
        task = new_shift(rotation, 1)
        task.state = gen.choice((STATE_SCHEDULED, STATE_PENDING))
        task.mattermost_user_ids = gen.sample(members, k=1)
        for uid in task.mattermost_user_ids:
            mark_served(users[uid], task, rotation)
        if task.state == STATE_PENDING:
            task.require["any"] = task.require.get("any", 0) + 2  # room to top it up
            if gen.random() < 0.5:
                task.mattermost_user_ids.append("outsider")  # not a member, still on it
        rotation.task_ids.append(task.task_id)
        open_tasks.append(task)
        if gen.random() < 0.5:
            # Events of that shift on a member not on it (left behind, e.g. by a hand edit):
            # its task and rest, or only a rest from its end (then they may still be picked
            # for it, which replaces them).
            stray = gen.choice(members)
            if stray not in task.mattermost_user_ids:
                finish = task.expected_start + task.expected_duration
                events = [_event(finish, gen.randint(1, 200), REASON_GRACE, task.task_id, rid)]
                if gen.random() < 0.5:
                    hours = gen.randint(1, 30)
                    events.append(
                        _event(task.expected_start, hours, REASON_TASK, task.task_id, rid)
                    )
                users[stray].calendar = sorted(
                    [*users[stray].calendar, *events], key=lambda e: (e.start, e.finish)
                )
    return rotation, open_tasks, users, BEGIN - timedelta(hours=1)


@pytest.mark.parametrize("index", range(60))
def test_the_forecast_is_the_plain_replay_of_the_records(index):
    rotation, open_tasks, users, now = _scenario(index, random.Random(9000 + index))
    got = forecast(rotation, open_tasks, users, now, random.Random(index), shifts=8, samples=25)
    want = _replayed(rotation, open_tasks, users, now, random.Random(index), 8, 25)
    assert _numbers(got) == want


def test_the_demo_rotation_with_history_is_the_plain_replay(kv_memory):
    env = Env(kv_memory, LocalDirectory("UTC"), RecordingPoster())
    for line in SET_SETUP:
        assert execute(env, "admin", line, now=datetime(2019, 1, 10, tzinfo=UTC)).ok, line
    run_rotation(env, "admin", "SET", 3, lambda _line: None)
    now = datetime(2019, 4, 20, tzinfo=UTC)
    show = env.service.rotation_show(
        api.RotationShowRequest(rotation=api.RotationRef(name="SET")), actor_id="admin", now=now
    )
    got = forecast(
        show.rotation, show.tasks, show.users, now, random.Random(5), shifts=12, samples=30
    )
    want = _replayed(show.rotation, show.tasks, show.users, now, random.Random(5), 12, 30)
    assert _numbers(got) == want
    assert any(0 < p < 1 for u in got.users for p in u.p_shift)  # it did draw


def test_events_of_a_shift_left_on_someone_not_on_it_go_when_they_are_picked_for_it():
    # a carries a three-week rest from R#1 without being on it: it keeps them off R#2..R#4
    # unless a sample picks them for R#1, whose own (shorter) rest then replaces it.
    rotation = Rotation(
        rotation_id="R",
        mattermost_user_ids=["a", "b", "c"],
        fill_settings=FillSettings(beginning=BEGIN, period="weekly"),
    )
    shift1 = new_shift(rotation, 1)
    rotation.task_ids = [shift1.task_id]
    finish = shift1.expected_start + shift1.expected_duration
    users = {u: User(mattermost_user_id=u) for u in rotation.mattermost_user_ids}
    users["a"].calendar = [_event(finish, 21 * 24, REASON_GRACE, shift1.task_id, "R")]
    now = BEGIN - timedelta(hours=1)
    got = forecast(rotation, [shift1], users, now, random.Random(3), shifts=5, samples=300)
    want = _replayed(rotation, [shift1], users, now, random.Random(3), 5, 300)
    assert _numbers(got) == want
    a = next(u for u in got.users if u.user_id == "a")
    assert 0 < a.p_shift[2] < 1 / 3  # free only in the samples that picked them for R#1
