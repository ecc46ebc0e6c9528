"""The solar-lottery filler (docs/design.md §3): rules, the original's cases, properties, stats."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotto.demo import SET_TEAMS
from lotto.errors import InsufficientError
from lotto.fillers import fill, solar_lottery
from lotto.model.availability import REASON_GRACE, REASON_PERSONAL, Event
from lotto.model.needs import user_meets
from lotto.model.rotation import (
    FillSettings,
    Rotation,
    TaskSettings,
    shift_duration_of,
    shift_start_of,
)
from lotto.model.skill import need_id, parse_skill_level
from lotto.model.task import Task
from lotto.model.timeutil import parse_time
from lotto.model.user import User, mark_served

UTC = UTC
LA = "America/Los_Angeles"


def utc(text: str) -> datetime:
    return parse_time(text, "UTC")


def mkuser(uid: str, skills: str = "", last: datetime | None = None, rid: str = "R") -> User:
    levels = {}
    for part in filter(None, skills.split(",")):
        skill, level = parse_skill_level(part)
        levels[skill] = level
    served = {rid: int(last.timestamp())} if last else {}
    return User(mattermost_user_id=uid, skill_levels=levels, last_served=served)


def rotation(
    members, *, rid="R", period="weekly", beginning="2020-01-01", **task_settings
) -> Rotation:
    return Rotation(
        rotation_id=rid,
        mattermost_user_ids=[u.mattermost_user_id for u in members],
        task_settings=TaskSettings(**task_settings),
        fill_settings=FillSettings(beginning=utc(beginning), period=period),
    )


def task_for(r: Rotation, n: int, **kw) -> Task:
    fields = dict(
        task_id=f"{r.rotation_id}#{n}",
        rotation_id=r.rotation_id,
        expected_start=shift_start_of(r, n),
        expected_duration=shift_duration_of(r, n),
        grace=r.task_settings.grace,
        require=dict(r.task_settings.require),
        limit=dict(r.task_settings.limit),
    )
    fields.update(kw)
    return Task(**fields)


def by_id(users) -> dict[str, User]:
    return {u.mattermost_user_id: u for u in users}


def check_fill(task: Task, users: dict[str, User], picked: list[str]) -> None:
    """Every Require met, no Limit broken by the picks, picks distinct and new."""
    assert len(set(picked)) == len(picked)
    assert not set(picked) & set(task.mattermost_user_ids)
    team = [users[u] for u in task.mattermost_user_ids + picked]
    for nid, count in task.require.items():
        assert sum(user_meets(u, nid) for u in team) >= count, nid
    pre = [users[u] for u in task.mattermost_user_ids]
    for nid, count in task.limit.items():
        added = sum(user_meets(users[u], nid) for u in picked)
        assert added <= max(0, count - sum(user_meets(u, nid) for u in pre)), nid


# ---- ICE (weekly, any 2) ---------------------------------------------------------


def ice(n_users: int, **task_settings) -> tuple[Rotation, dict[str, User]]:
    members = [mkuser(f"test-user{i}") for i in range(1, n_users + 1)]
    r = Rotation(
        rotation_id="ICE",
        mattermost_user_ids=[u.mattermost_user_id for u in members],
        task_settings=TaskSettings(require={"any": 2}, **task_settings),
        fill_settings=FillSettings(
            beginning=parse_time("2020-03-05T09:00PST", LA), period="weekly", time_zone=LA
        ),
    )
    return r, by_id(members)


def test_ice_fill_picks_two_of_ten():
    r, users = ice(10, duration=timedelta(minutes=30))
    task = task_for(r, 1)
    picked = fill(r, task, users, utc("2020-03-06"), random.Random(1))
    assert len(picked) == 2
    assert set(picked) <= set(users)


def test_ice_insufficient_exact_message_and_nothing_assigned():
    r, users = ice(5, duration=timedelta(minutes=30), grace=timedelta(hours=336))
    rng = random.Random(r.fill_settings.seed)
    for n in (1, 2):
        task = task_for(r, n)
        task.mattermost_user_ids = fill(r, task, users, utc("2020-03-06"), rng)
        for uid in task.mattermost_user_ids:
            mark_served(users[uid], task, r)
    third = task_for(r, 3)
    before = (third.mattermost_user_ids[:], {u: users[u].calendar[:] for u in users})
    with pytest.raises(InsufficientError) as err:
        fill(r, third, users, utc("2020-03-06"), rng)
    assert str(err.value) == (
        "failed to fill ICE#3, filling need **1** any, unfilled needs 1 any: insufficient"
    )
    assert err.value.task_id == "ICE#3" and err.value.unmet == {"any": 1}
    assert (third.mattermost_user_ids, {u: users[u].calendar for u in users}) == before


def test_insufficient_names_the_hopeless_need_and_all_unmet():
    w = mkuser("w", "webapp")
    r = rotation([w], require={"webapp-◉": 2, "server-◉": 1})
    with pytest.raises(InsufficientError) as err:
        fill(r, task_for(r, 1), by_id([w]), utc("2020-01-01"), random.Random(0))
    assert str(err.value) == (
        "failed to fill R#1, filling need **1** server-◉, "
        "unfilled needs 1 server-◉, 2 webapp-◉: insufficient"
    )


# ---- the original's fill cases (server/sl/filler/solarlottery/fill_test.go) -------

LONG_AGO, RECENTLY = utc("2010-01-01"), utc("2020-01-01")


@pytest.mark.parametrize(
    ("require", "limit", "assigned", "pool", "expected"),
    [
        # happy accepted: the one idle for ten years wins
        (
            {"mobile-◉": 1},
            {},
            [],
            [mkuser("mobile1", "mobile", LONG_AGO), mkuser("mobile2", "mobile", RECENTLY)],
            ["mobile1"],
        ),
        # accepted, another maxed out: guru is likelier but the server limit is used up
        (
            {"mobile-◉": 1, "server-◉": 1},
            {"server-◉": 1},
            [mkuser("server1", "server")],
            [
                mkuser("guru", "server-4,webapp-3,mobile-2", LONG_AGO),
                mkuser("mobile2", "mobile", RECENTLY),
            ],
            ["mobile2"],
        ),
        # no-op on pre-assigned users who meet everything
        (
            {"mobile-◉": 2},
            {"any": 2},
            [mkuser("mobile1", "mobile"), mkuser("mobile2", "mobile")],
            [mkuser("webapp2", "webapp"), mkuser("guru", "server-4,mobile-2")],
            [],
        ),
    ],
)
def test_original_cases_succeed(require, limit, assigned, pool, expected):
    r = rotation(assigned + pool, beginning="2020-01-01")
    task = task_for(
        r,
        8,
        require=require,
        limit=limit,
        mattermost_user_ids=[u.mattermost_user_id for u in assigned],
    )
    users = by_id(assigned + pool)
    for seed in range(20):
        picked = fill(r, task, users, utc("2020-03-01"), random.Random(seed))
        assert picked == expected
        check_fill(task, users, picked)


@pytest.mark.parametrize(
    ("limit", "assigned", "pool"),
    [
        ({}, [], [mkuser("server1", "server"), mkuser("mobile1", "mobile")]),
        (
            {},
            [mkuser("mobile1", "mobile")],
            [mkuser("server1", "server"), mkuser("server2", "server")],
        ),
        (
            {"any": 1},
            [mkuser("mobile1", "mobile")],
            [mkuser("mobile2", "mobile"), mkuser("guru", "server-4,mobile-2")],
        ),
    ],
    ids=["insufficient simple", "insufficient with assigned", "limit"],
)
def test_original_cases_insufficient(limit, assigned, pool):
    r = rotation(assigned + pool)
    task = task_for(
        r,
        8,
        require={"mobile-◉": 2},
        limit=limit,
        mattermost_user_ids=[u.mattermost_user_id for u in assigned],
    )
    with pytest.raises(InsufficientError) as err:
        fill(r, task, by_id(assigned + pool), utc("2020-03-01"), random.Random(0))
    assert err.value.need == "mobile-◉" and err.value.unmet == {"mobile-◉": 1}
    assert "filling need **1** mobile-◉, unfilled needs 1 mobile-◉: insufficient" in str(err.value)


# ---- SET (monthly, skills, per-team limits) --------------------------------------

SET_USERS = SET_TEAMS  # the original's 30 SET users with their skills (one list, in lotto.demo)
TEAMS = ("TEAMFS1", "TEAMFS2", "TEAMFS3", "TEAMPERF", "TEAMSRE", "TEAMMOBILE")


def set_rotation(seed: int = 0) -> tuple[Rotation, dict[str, User]]:
    members = [mkuser(uid, skills, rid="SET") for uid, skills in SET_USERS.items()]
    r = Rotation(
        rotation_id="SET",
        mattermost_user_ids=[u.mattermost_user_id for u in members],
        task_settings=TaskSettings(
            grace=timedelta(hours=300),
            require={"any": 5, "webapp-◉": 1, "server-◉": 1, "mobile-◉": 1, "lead-◉": 1},
            limit={"any": 6, "lead-◉": 1} | {need_id(team, 1): 1 for team in TEAMS},
        ),
        fill_settings=FillSettings(
            beginning=parse_time("2019-01-16", LA), period="monthly", time_zone=LA, seed=seed
        ),
    )
    return r, by_id(members)


def run_set(
    r: Rotation, users: dict[str, User], shifts: int, rng: random.Random
) -> list[list[str]]:
    filled = []
    for n in range(shifts):
        task = task_for(r, n)
        picked = fill(r, task, users, task.expected_start, rng)
        check_fill(task, users, picked)
        task.mattermost_user_ids = picked
        for uid in picked:
            mark_served(users[uid], task, r)
        filled.append(picked)
    return filled


@pytest.mark.parametrize("seed", range(5))
def test_set_year_meets_every_require_and_limit(seed):
    r, users = set_rotation(seed)
    filled = run_set(r, users, 12, random.Random(seed))
    assert all(len(team) == 5 for team in filled)
    # One per team at most, and exactly one lead, in every shift.
    for team in filled:
        assert sum(users[u].skill_levels.get("lead", 0) > 0 for u in team) == 1
        for t in TEAMS:
            assert sum(t in users[u].skill_levels for u in team) <= 1


def test_set_personal_unavailability_keeps_user_out():
    for seed in range(10):
        r, users = set_rotation(seed)
        fs3lead = users["fs3lead"]
        fs3lead.last_served["SET"] = 1  # long ago: by far the heaviest candidate
        fs3lead.calendar = [
            Event(
                start=parse_time("2019-02-20T11:00", LA),
                finish=parse_time("2019-03-30T09:30", LA),
                reason=REASON_PERSONAL,
            )
        ]
        shift1 = task_for(r, 1)
        assert "fs3lead" not in fill(r, shift1, users, shift1.expected_start, random.Random(seed))
        shift3 = task_for(r, 3)
        assert "fs3lead" in fill(r, shift3, users, shift3.expected_start, random.Random(seed))


def test_grace_of_another_rotation_also_excludes():
    a, b = mkuser("a", last=utc("2000-01-01")), mkuser("b")
    r = rotation([a, b])
    task = task_for(r, 3)
    a.calendar = [
        Event(
            start=task.expected_start - timedelta(days=1),
            finish=task.expected_start + timedelta(minutes=1),
            reason=REASON_GRACE,
            task_id="OTHER#1",
            rotation_id="OTHER",
        )
    ]
    assert fill(r, task, by_id([a, b]), utc("2020-01-01"), random.Random(0)) == ["b"]


# ---- properties -------------------------------------------------------------------

SKILLS = ("webapp", "server", "mobile")


@st.composite
def scenarios(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    members = []
    for i in range(n):
        levels = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 4), max_size=3))
        days = draw(st.integers(min_value=-400, max_value=60))
        members.append(
            User(
                mattermost_user_id=f"u{i:02d}",
                skill_levels=levels,
                last_served={"R": int((utc("2020-06-01") + timedelta(days=days)).timestamp())},
            )
        )
    need = st.sampled_from([need_id(s, lv) for s in SKILLS for lv in (1, 2, 3)] + ["any"])
    require = draw(st.dictionaries(need, st.integers(1, 3), max_size=4))
    limit = draw(st.dictionaries(need, st.integers(0, 4), max_size=3))
    ids = [u.mattermost_user_id for u in members]
    assigned = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
    return members, require, limit, assigned, draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.sampled_from(["solar-lottery", "queue"]))
def test_every_fill_meets_require_and_breaks_no_limit(scenario, filler_type):
    members, require, limit, assigned, seed = scenario
    r = rotation(members, period="weekly", beginning="2019-01-01")
    r.filler_type = filler_type
    task = task_for(r, 74, require=require, limit=limit, mattermost_user_ids=assigned)
    users = by_id(members)
    try:
        picked = fill(r, task, users, utc("2020-06-01"), random.Random(seed))
    except InsufficientError as err:
        assert str(err).startswith("failed to fill R#74, filling need **")
        assert str(err).endswith(": insufficient")
        assert err.need in err.unmet and err.unmet[err.need] > 0
        return
    check_fill(task, users, picked)


# ---- determinism and weights -------------------------------------------------------


def test_same_seed_same_result_regardless_of_input_order():
    r, users = set_rotation()
    task = task_for(r, 0)
    first = fill(r, task, users, task.expected_start, random.Random(42))
    shuffled_ids = r.mattermost_user_ids[:]
    random.Random(7).shuffle(shuffled_ids)
    r2 = Rotation(
        rotation_id="SET",
        mattermost_user_ids=shuffled_ids,
        task_settings=r.task_settings,
        fill_settings=r.fill_settings,
    )
    users2 = {uid: users[uid] for uid in reversed(list(users))}
    assert fill(r2, task, users2, task.expected_start, random.Random(42)) == first
    results = {
        tuple(fill(r, task, users, task.expected_start, random.Random(s))) for s in range(10)
    }
    assert len(results) > 1  # the seed matters


def test_fill_is_pure():
    r, users = set_rotation()
    task = task_for(r, 0)
    snapshot = (repr(r), repr(task), repr(users))
    fill(r, task, users, task.expected_start, random.Random(1))
    assert (repr(r), repr(task), repr(users)) == snapshot


def test_specific_needs_before_any():
    members = [mkuser(f"p{i}", last=utc("2019-01-01")) for i in range(5)] + [mkuser("w", "webapp")]
    r = rotation(members, require={"webapp-◉": 1, "any": 3})
    for seed in range(30):
        picked = fill(r, task_for(r, 5), by_id(members), utc("2020-01-01"), random.Random(seed))
        assert picked[0] == "w" and len(picked) == 3


def test_future_last_served_is_picked_only_when_nobody_else_is_left():
    future, due = mkuser("future", last=utc("2030-01-01")), mkuser("due")
    r = rotation([future, due], require={"any": 1})
    for seed in range(50):
        assert fill(
            r, task_for(r, 5), by_id([future, due]), utc("2020-01-01"), random.Random(seed)
        ) == ["due"]
    r = rotation([future], require={"any": 1})
    assert fill(r, task_for(r, 5), by_id([future]), utc("2020-01-01"), random.Random(0)) == [
        "future"
    ]


def test_huge_idle_times_do_not_overflow():
    # 50 years with a daily period: weights of 2**18000 in plain floats.
    old, older = mkuser("old", last=utc("1971-01-01")), mkuser("older", last=utc("1970-01-02"))
    r = rotation([old, older], period="daily", require={"any": 1})
    w = solar_lottery.user_log2_weights(r, [old, older], utc("2020-01-01"))
    assert w["older"] > w["old"] > 17000
    picks = Counter(
        fill(r, task_for(r, 5), by_id([old, older]), utc("2020-01-01"), random.Random(s))[0]
        for s in range(20)
    )
    assert picks == {"older": 20}  # 2**364 times likelier


def test_lottery_odds_double_every_period():
    # forTime − lastServed = 2 doubling periods → weight 4; = 0 → weight 1; so P(idle) = 0.8.
    # With N = 4000 draws the count's standard deviation is sqrt(N·0.8·0.2) ≈ 25, so the
    # ratio 4 maps to a count of 3200 ± 100 at 4σ: ratio in [3.3, 4.9].
    r = rotation([], period="weekly", beginning="2020-01-01", require={"any": 1})
    task = task_for(r, 10)
    when = task.expected_start
    idle = mkuser("idle", last=when - timedelta(hours=2 * 168))
    busy = mkuser("busy", last=when)
    r.mattermost_user_ids = ["idle", "busy"]
    rng = random.Random(2024)
    counts = Counter(fill(r, task, by_id([idle, busy]), when, rng)[0] for _ in range(4000))
    ratio = counts["idle"] / counts["busy"]
    print(f"idle/busy picks: {counts['idle']}/{counts['busy']} = {ratio:.2f}")
    assert 3.3 <= ratio <= 4.9


def test_fuzz_stretches_the_doubling_period():
    # Fuzz 1 doubles D: two periods of idleness now weigh 2, not 4 → P(idle) = 2/3.
    r = rotation([], period="weekly", beginning="2020-01-01", require={"any": 1})
    r.fill_settings.fuzz = 1
    task = task_for(r, 10)
    when = task.expected_start
    w = solar_lottery.user_log2_weights(
        r, [mkuser("idle", last=when - timedelta(hours=336)), mkuser("busy", last=when)], when
    )
    assert w == {"idle": pytest.approx(1.0), "busy": 0.0}


def test_needs_with_a_limit_are_filled_first_ten_times_as_often():
    # Two needs with equal pools; the limited one is chosen first with odds 10:1 (p ≈ 0.909,
    # σ over 2000 fills ≈ 0.0064; bounds at ±5σ).
    a, b = mkuser("a", "alpha"), mkuser("b", "beta")
    r = rotation([a, b], require={"alpha-◉": 1, "beta-◉": 1}, limit={"alpha-◉": 1})
    rng = random.Random(99)
    first = Counter(
        fill(r, task_for(r, 3), by_id([a, b]), utc("2020-01-01"), rng)[0] for _ in range(2000)
    )
    share = first["a"] / 2000
    print(f"limited need first: {share:.3f}")
    assert 0.877 <= share <= 0.941


def test_unset_last_served_counts_as_the_beginning():
    r = rotation([], beginning="2020-01-01", require={"any": 1})
    when = utc("2020-01-15")
    fresh, served = mkuser("fresh"), mkuser("served", last=utc("2020-01-08"))
    w = solar_lottery.user_log2_weights(r, [fresh, served], when)
    assert w == {"fresh": pytest.approx(2.0), "served": pytest.approx(1.0)}
