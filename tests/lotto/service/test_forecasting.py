"""The pure forecast: probabilities add up, availability and grace count, seeds repeat."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lotto.errors import InputError
from lotto.model.availability import Event
from lotto.model.record import encode
from lotto.model.rotation import FILLER_QUEUE, FillSettings, Rotation, TaskSettings, shift_start_of
from lotto.model.task import STATE_FINISHED, STATE_PENDING, STATE_SCHEDULED, Task, new_shift
from lotto.model.user import User, mark_served
from lotto.service.forecasting import (
    MAX_WORK,
    STATE_PLANNED,
    check_size,
    forecast,
    largest_samples,
    plan_shifts,
)

UTC = UTC
BEGIN = datetime(2020, 1, 6, 9, tzinfo=UTC)  # a Monday
WEEK = timedelta(days=7)


def _rotation(
    members, *, require=None, limit=None, grace=timedelta(0), filler=None, task_type="shift", seed=0
) -> Rotation:
    rot = Rotation(
        rotation_id="R",
        mattermost_user_ids=list(members),
        task_type=task_type,
        task_settings=TaskSettings(require=require or {"any": 1}, limit=limit or {}, grace=grace),
        fill_settings=FillSettings(beginning=BEGIN, period="weekly", seed=seed),
    )
    if filler:
        rot.filler_type = filler
    return rot


def _users(ids, **skills) -> dict[str, User]:
    return {u: User(mattermost_user_id=u, skill_levels=dict(skills.get(u, {}))) for u in ids}


def _by_user(result):
    return {u.user_id: u for u in result.users}


def _run(rot, users, *, tasks=(), now=BEGIN - timedelta(days=1), shifts=6, samples=300, seed=7):
    return forecast(
        rot, list(tasks), users, now, random.Random(seed), shifts=shifts, samples=samples
    )


def test_each_shift_probabilities_sum_to_the_people_it_requires():
    ids = [f"u{i}" for i in range(10)]
    result = _run(_rotation(ids, require={"any": 3}), _users(ids), shifts=8)
    assert [s.task_id for s in result.shifts] == [f"R#{n}" for n in range(8)]
    assert all(s.state == STATE_PLANNED and s.p_insufficient == 0 for s in result.shifts)
    for i in range(8):
        assert sum(u.p_shift[i] for u in result.users) == pytest.approx(3.0)
    assert sum(u.expected_shifts for u in result.users) == pytest.approx(24.0)
    for u in result.users:
        assert u.expected_shifts == pytest.approx(sum(u.p_shift))
        assert max(u.p_shift) <= u.p_any <= min(1.0, sum(u.p_shift)) + 1e-12


def test_users_are_sorted_by_probability_of_serving():
    ids = [f"u{i}" for i in range(12)]
    users = _users(ids)
    users["u5"].last_served["R"] = int((BEGIN - 40 * WEEK).timestamp())  # long overdue
    result = _run(_rotation(ids), users, shifts=3)
    keys = [(-u.p_any, -u.expected_shifts, u.user_id) for u in result.users]
    assert keys == sorted(keys)
    assert result.users[0].user_id == "u5"


def test_a_user_unavailable_over_a_shift_never_serves_in_it():
    ids = ["a", "b", "c"]
    users = _users(ids)
    start2 = shift_start_of(_rotation(ids), 2)
    users["a"].calendar = [
        Event(start=start2 + timedelta(days=1), finish=start2 + timedelta(days=2))
    ]
    result = _by_user(_run(_rotation(ids), users, shifts=4))
    assert result["a"].p_shift[2] == 0.0
    assert all(p > 0 for i, p in enumerate(result["a"].p_shift) if i != 2)


def test_grace_after_a_simulated_shift_keeps_the_user_out_of_the_next_one():
    # Two people, one per shift, a day's grace reaching into the next shift: they must alternate.
    ids = ["a", "b"]
    result = _by_user(_run(_rotation(ids, grace=timedelta(days=1)), _users(ids), shifts=6))
    a = result["a"].p_shift
    assert 0 < a[0] < 1
    for i in range(5):
        assert a[i] + a[i + 1] == pytest.approx(1.0)


def test_a_user_in_grace_after_serving_is_less_likely_next():
    ids = [f"u{i}" for i in range(6)]
    rot = _rotation(ids, grace=timedelta(days=3))
    users = _users(ids)
    served = Task(
        task_id="R#-1",
        rotation_id="R",
        state=STATE_FINISHED,
        expected_start=BEGIN - WEEK,
        expected_duration=WEEK,
        grace=timedelta(days=3),
    )
    mark_served(users["u0"], served, rot)  # LastServed = BEGIN, grace over shift 0's first days
    for u in ids[1:]:
        users[u].last_served["R"] = int((BEGIN - 4 * WEEK).timestamp())
    result = _by_user(_run(rot, users, shifts=3, samples=600))
    assert result["u0"].p_shift[0] == 0.0
    others = [result[u].p_shift[1] for u in ids[1:]]
    assert result["u0"].p_shift[1] < min(others)


def test_same_seed_same_forecast_and_inputs_unchanged():
    ids = [f"u{i}" for i in range(8)]
    rot = _rotation(ids, require={"any": 2}, grace=timedelta(days=10))
    users = _users(ids)
    before = {u: encode(rec) for u, rec in users.items()}
    first = _run(rot, users, seed=3)
    assert _run(rot, users, seed=3) == first
    assert _run(rot, users, seed=4) != first
    assert {u: encode(rec) for u, rec in users.items()} == before


def test_the_queue_filler_gives_certainties():
    ids = ["a", "b", "c", "d"]
    users = _users(ids)
    for age, u in enumerate(ids):  # a waited longest, then b, c, d
        users[u].last_served["R"] = int((BEGIN - (10 - age) * WEEK).timestamp())
    rot = _rotation(ids, require={"any": 2}, filler=FILLER_QUEUE)
    result = _run(rot, users, shifts=4, samples=20)
    for u in result.users:
        assert all(p in (0.0, 1.0) for p in u.p_shift), u
    by = _by_user(result)
    assert by["a"].p_shift == [1.0, 0.0, 1.0, 0.0]
    assert by["c"].p_shift == [0.0, 1.0, 0.0, 1.0]
    assert by["c"].likely_next == 1
    assert by["c"].expected_next_start == result.shifts[1].start


def test_insufficient_fills_are_counted_not_raised():
    ids = ["a", "b"]
    # Both serve shift 0; a 3-day grace keeps them out of shift 1, then they are back.
    rot = _rotation(ids, require={"any": 2}, grace=timedelta(days=3))
    result = _run(rot, _users(ids), shifts=3, samples=50)
    assert [s.p_insufficient for s in result.shifts] == [0.0, 1.0, 0.0]
    assert result.shifts[1].unfilled_needs == {"any": 1.0}
    for u in result.users:
        assert u.p_shift == [1.0, 0.0, 1.0]

    hopeless = _run(_rotation(ids, require={"webapp-◉": 1}), _users(ids), shifts=2, samples=10)
    assert all(s.p_insufficient == 1.0 for s in hopeless.shifts)
    assert all(
        u.p_any == 0 and u.likely_next is None and u.expected_next_start is None
        for u in hopeless.users
    )


def test_existing_shifts_keep_their_users_and_pending_ones_are_topped_up():
    ids = ["a", "b", "c", "d"]
    rot = _rotation(ids, require={"any": 2})
    users = _users(ids)
    # R#0 (finished, served by a and b) is in the rotation's list but not among the open tasks.
    t1 = Task(
        task_id="R#1",
        rotation_id="R",
        state=STATE_SCHEDULED,
        expected_start=BEGIN + WEEK,
        expected_duration=WEEK,
        require={"any": 2},
        mattermost_user_ids=["a", "outsider"],
    )
    t2 = Task(
        task_id="R#2",
        rotation_id="R",
        state=STATE_PENDING,
        expected_start=BEGIN + 2 * WEEK,
        expected_duration=WEEK,
        require={"any": 2},
        mattermost_user_ids=["d"],
    )
    rot.task_ids = ["R#0", "R#1", "R#2"]
    result = _run(rot, users, tasks=[t1, t2], now=BEGIN + timedelta(days=1), shifts=3)
    assert [(s.task_id, s.state) for s in result.shifts] == [
        ("R#1", STATE_SCHEDULED),
        ("R#2", STATE_PENDING),
        ("R#3", STATE_PLANNED),
    ]
    by = _by_user(result)
    assert by["a"].p_shift[0] == by["outsider"].p_shift[0] == 1.0
    assert by["b"].p_shift[0] == 0.0
    assert by["d"].p_shift[1] == 1.0
    assert sum(u.p_shift[1] for u in result.users) == pytest.approx(2.0)
    assert by["outsider"].p_shift[1:] == [0.0, 0.0]  # not a member: only where assigned


def test_plan_skips_finished_shifts_and_overlapped_slots():
    rot = _rotation(["a"])
    ticket = Task(
        task_id="R#x",
        rotation_id="R",
        state=STATE_PENDING,
        expected_start=BEGIN + WEEK + timedelta(days=1),
        expected_duration=timedelta(hours=1),
    )
    rot.task_ids = ["R#0", "R#x"]
    plan = plan_shifts(rot, [ticket], BEGIN + timedelta(hours=1), 3)
    assert [n for n, _ in plan] == [2, 3, 4]  # #0 finished, #1 overlaps the open task


def test_plan_skips_a_shift_of_this_period_that_is_already_over():
    rot = _rotation(["a"])
    rot.task_settings.duration = timedelta(hours=1)
    assert [n for n, _ in plan_shifts(rot, [], BEGIN + timedelta(minutes=30), 2)] == [0, 1]
    assert [n for n, _ in plan_shifts(rot, [], BEGIN + timedelta(hours=2), 2)] == [1, 2]


def test_plan_leaves_out_a_pending_shift_that_has_ended():
    # The autopilot no longer fills a pending shift once its time is over.
    rot = _rotation(["a"])
    rot.task_settings.duration = timedelta(hours=1)
    shift0 = Task(
        task_id="R#0",
        rotation_id="R",
        state=STATE_PENDING,
        expected_start=BEGIN,
        expected_duration=timedelta(hours=1),
    )
    rot.task_ids = ["R#0"]
    assert [n for n, _ in plan_shifts(rot, [shift0], BEGIN + timedelta(minutes=59), 2)] == [0, 1]
    assert [n for n, _ in plan_shifts(rot, [shift0], BEGIN + timedelta(hours=1), 2)] == [1, 2]
    shift0.state = STATE_SCHEDULED  # scheduled people still serve it, as the forecast shows
    assert [n for n, _ in plan_shifts(rot, [shift0], BEGIN + timedelta(hours=1), 2)] == [0, 1]


def test_bad_sizes_and_ticket_rotations_are_input_errors():
    ids = ["a"]
    with pytest.raises(InputError, match="--shifts"):
        _run(_rotation(ids), _users(ids), shifts=0)
    with pytest.raises(InputError, match="--samples"):
        _run(_rotation(ids), _users(ids), samples=0)
    with pytest.raises(InputError, match="at most 1,153 samples of 52 shifts"):
        _run(_rotation(ids), _users(ids), shifts=52, samples=2000)
    with pytest.raises(InputError, match="tickets"):
        _run(_rotation(ids, task_type="ticket"), _users(ids))


def test_a_year_of_a_thousand_samples_is_not_refused():
    # Once refused (at most 20,000 shifts × samples); 300 members are within the bound too.
    for members in (1, 30, 300):
        check_size(members, 52, 1000)
    ids = ["a", "b"]
    result = _run(_rotation(ids), _users(ids), shifts=52, samples=1000)
    assert result.samples == 1000 and len(result.shifts) == 52


@pytest.mark.parametrize(
    ("members", "shifts", "samples", "largest"),
    [
        (400, 52, 1000, "at most 769 samples of 52 shifts"),
        (3000, 52, 200, "at most 102 samples of 52 shifts"),
        (500_000, 52, 1, "at most 32 shifts of 1 sample"),
    ],
)
def test_members_shifts_and_samples_are_bounded_together(members, shifts, samples, largest):
    with pytest.raises(InputError) as err:
        check_size(members, shifts, samples)
    text = str(err.value)
    assert largest in text, text
    assert f"{MAX_WORK:,} members × shifts × samples" in text
    assert err.value.context["largest_samples"] == largest_samples(members, shifts)
    if largest_samples(members, shifts):
        check_size(members, shifts, largest_samples(members, shifts))  # the largest passes


def test_members_without_records_take_part():
    result = _run(_rotation(["a", "b"]), {}, shifts=2)
    assert sum(u.p_shift[0] for u in result.users) == pytest.approx(1.0)
    assert {u.user_id for u in result.users} == {"a", "b"}


def test_planned_shifts_are_built_like_made_ones_description_included():
    rot = _rotation(["a"])
    rot.task_settings.description = "Watch the pager."
    (n, planned), *_ = plan_shifts(rot, [], BEGIN - timedelta(days=1), 1)
    assert planned == new_shift(rot, n)
    assert planned.description == "Watch the pager."
