"""The fast helpers behind the lottery agree exactly with the plain definitions they replace."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lotto.fillers.solar_lottery import _Pool
from lotto.model.availability import Event, any_clash, any_overlapping, clashes, overlapping
from lotto.model.needs import meets, needs_matcher, qualified
from lotto.model.skill import need_id

SKILLS = ("webapp", "server", "lead")
NEEDS = ["any", "ANY"] + [need_id(s, lv) for s in SKILLS for lv in (1, 2, 3, 4)] + ["webapp-2"]
skill_levels = st.dictionaries(st.sampled_from(SKILLS + ("other",)), st.integers(-1, 5), max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(NEEDS), max_size=8), skill_levels)
def test_matcher_gives_the_needs_meets_accepts(needs, levels):
    met = needs_matcher(needs)(levels)
    assert len(met) == len(set(met))  # a need listed twice is met once
    assert set(met) == {nid for nid in needs if meets(levels, nid)}


@settings(max_examples=200, deadline=None)
@given(st.lists(skill_levels, max_size=10), st.sampled_from(NEEDS))
def test_qualified_lists_the_indices_meeting_a_need_in_order(people, nid):
    assert qualified(people, nid) == [i for i, levels in enumerate(people) if meets(levels, nid)]


T0 = datetime(2020, 1, 1, tzinfo=UTC)
hours = st.integers(-50, 50).map(lambda h: T0 + timedelta(hours=h))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(hours, st.integers(0, 30)), max_size=6), hours, st.integers(0, 30))
def test_any_overlapping_agrees_with_overlapping_on_unsorted_calendars(spans, start, length):
    # Unsorted on purpose, zero-length events and touching ends included.
    calendar = [Event(start=s, finish=s + timedelta(hours=n)) for s, n in spans]
    finish = start + timedelta(hours=length)
    assert any_overlapping(calendar, start, finish) == bool(overlapping(calendar, start, finish))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(hours, st.integers(0, 30), st.sampled_from(["task", "grace", "personal"])),
        max_size=6,
    ),
    hours,
    st.integers(0, 30),
    st.one_of(st.none(), st.integers(-5, 30)),
)
def test_any_clash_agrees_with_clashes(spans, start, length, rest):
    calendar = [Event(start=s, finish=s + timedelta(hours=n), reason=r) for s, n, r in spans]
    finish = start + timedelta(hours=length)
    until = None if rest is None else finish + timedelta(hours=rest)
    assert any_clash(calendar, start, finish, until) == bool(
        clashes(calendar, start, finish, until)
    )


def _plain_log2_mean(values: list[float]) -> float:
    top = max(values)
    return top + math.log2(sum(2.0 ** (v - top) for v in values) / len(values))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25, -39.86]), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
    st.integers(0, 2**32),
)
def test_pool_kept_up_to_date_draws_and_weighs_as_if_recomputed(log2w, order, seed):
    # Ties at the top are common (everyone never served) and decide when the cache survives.
    pool = _Pool(list(range(len(log2w))), log2w)
    leaving = list(range(len(log2w)))
    order.shuffle(leaving)
    for index in leaving:
        members = list(pool.members)
        values = [log2w[i] for i in members]
        top = max(values)
        assert pool.log2_mean() == _plain_log2_mean(values)
        mine, plain = random.Random(seed), random.Random(seed)
        assert (
            pool.draw(mine) == plain.choices(members, weights=[2.0 ** (v - top) for v in values])[0]
        )
        assert mine.getstate() == plain.getstate()
        pool.remove(index)
    assert pool.members == []


def test_needs_from_one_pass_over_skills_equal_each_person_tested_against_each_need():
    from lotto.fillers._common import Needs
    from lotto.model.needs import needs_matcher, qualified
    from lotto.model.task import Task

    rng = random.Random(11)
    skills = ["db", "web", "ops"]
    levels = [
        {s: rng.randint(-1, 4) for s in rng.sample(skills, rng.randint(0, 3))} for _ in range(300)
    ]
    require = {"any": 1, "db-1": 1, "web-3": 2, "ops-1": 1, "db-4": 1}
    absent = {3, 17, 40}
    needs = Needs(Task(task_id="R#1", rotation_id="R", require=require), levels, absent=absent)
    for nid in require:
        assert needs.qualified[nid] == [i for i in qualified(levels, nid) if i not in absent], nid
    match = needs_matcher(list(require))
    assert all(m is None for m in needs.met)  # worked out only when asked
    assert [needs.met_of(i) for i in range(len(levels))] == [match(lv) for lv in levels]
