"""The queue filler: oldest LastServed first, same availability/Require/Limit rules."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lotto.errors import InputError, InsufficientError
from lotto.fillers import fill, queue
from lotto.model.availability import REASON_PERSONAL, Event
from lotto.model.rotation import FILLER_QUEUE, FillSettings, Rotation, TaskSettings
from lotto.model.task import Task
from lotto.model.timeutil import parse_time
from lotto.model.user import User, mark_served

UTC = UTC


def utc(text: str) -> datetime:
    return parse_time(text, "UTC")


def mkuser(uid: str, last: str | None = None, **skills: int) -> User:
    served = {"Q": int(utc(last).timestamp())} if last else {}
    return User(mattermost_user_id=uid, skill_levels=skills, last_served=served)


def setup(members, require, limit=None, assigned=()):
    r = Rotation(
        rotation_id="Q",
        filler_type=FILLER_QUEUE,
        mattermost_user_ids=[u.mattermost_user_id for u in members],
        task_settings=TaskSettings(require=require, limit=limit or {}),
        fill_settings=FillSettings(beginning=utc("2020-01-01"), period="weekly"),
    )
    task = Task(
        task_id="Q#4",
        rotation_id="Q",
        expected_start=utc("2020-01-29"),
        expected_duration=timedelta(days=7),
        require=dict(require),
        limit=dict(limit or {}),
        mattermost_user_ids=list(assigned),
    )
    return r, task, {u.mattermost_user_id: u for u in members}


def test_oldest_first_ties_by_id_and_unset_counts_as_beginning():
    members = [
        mkuser("d", "2020-01-10"),
        mkuser("c"),
        mkuser("b", "2019-12-01"),
        mkuser("a"),
        mkuser("e", "2020-01-02"),
    ]
    r, task, users = setup(members, {"any": 5})
    assert fill(r, task, users, utc("2020-01-28"), random.Random(0)) == ["b", "a", "c", "e", "d"]
    assert [u.mattermost_user_id for u in queue.queue_order(r, members)] == [
        "b",
        "a",
        "c",
        "e",
        "d",
    ]


def test_no_randomness():
    members = [mkuser(f"u{i}", f"2019-12-{10 + i}", webapp=i % 3) for i in range(10)]
    r, task, users = setup(members, {"webapp-◉": 2, "any": 3})
    results = {tuple(fill(r, task, users, utc("2020-01-28"), random.Random(s))) for s in range(10)}
    assert len(results) == 1
    assert queue.fill(r, task, users, utc("2020-01-28")) == list(results.pop())


def test_skills_first_then_any_in_queue_order():
    members = [
        mkuser("a", "2019-01-01"),
        mkuser("b", "2019-02-01"),
        mkuser("w1", "2019-06-01", webapp=1),
        mkuser("w2", "2019-05-01", webapp=2),
    ]
    r, task, users = setup(members, {"webapp-◉": 1, "any": 3})
    assert fill(r, task, users, utc("2020-01-28"), random.Random(0)) == ["w2", "a", "b"]


def test_limited_need_first_and_limit_skips_candidates():
    members = [
        mkuser("lead-old", "2019-01-01", lead=1, server=1),
        mkuser("lead-new", "2019-03-01", lead=1),
        mkuser("srv", "2019-08-01", server=1),
    ]
    r, task, users = setup(members, {"lead-◉": 1, "server-◉": 1}, {"lead-◉": 1})
    assert fill(r, task, users, utc("2020-01-28"), None) == ["lead-old"]
    # lead-old already assigned uses up the lead limit: the older lead-new is skipped.
    r, task, users = setup(members, {"any": 2}, {"lead-◉": 1}, assigned=["lead-old"])
    assert fill(r, task, users, utc("2020-01-28"), None) == ["srv"]
    r, task, users = setup(members, {"any": 3}, {"lead-◉": 1}, assigned=["lead-old"])
    with pytest.raises(InsufficientError) as err:
        fill(r, task, users, utc("2020-01-28"), None)
    assert (
        str(err.value)
        == "failed to fill Q#4, filling need **1** any, unfilled needs 1 any: insufficient"
    )


def test_unavailable_users_are_skipped():
    members = [mkuser("a", "2019-01-01"), mkuser("b", "2019-02-01"), mkuser("c", "2019-03-01")]
    members[0].calendar = [
        Event(start=utc("2020-02-01"), finish=utc("2020-02-02"), reason=REASON_PERSONAL)
    ]
    r, task, users = setup(members, {"any": 2})
    assert fill(r, task, users, utc("2020-01-28"), None) == ["b", "c"]


def test_queue_rotates_through_everyone():
    members = [mkuser(f"u{i}") for i in range(6)]
    r, _, users = setup(members, {"any": 2})
    seen = []
    for n in range(6):
        start = utc("2020-01-01") + timedelta(days=7 * n)
        task = Task(
            task_id=f"Q#{n}",
            rotation_id="Q",
            expected_start=start,
            expected_duration=timedelta(days=7),
            require={"any": 2},
        )
        task.mattermost_user_ids = fill(r, task, users, start, None)
        for uid in task.mattermost_user_ids:
            mark_served(users[uid], task, r)
        seen.append(task.mattermost_user_ids)
    assert seen[:3] == [["u0", "u1"], ["u2", "u3"], ["u4", "u5"]]
    assert seen[3:] == seen[:3]


def test_unknown_filler_type():
    r, task, users = setup([mkuser("a")], {"any": 1})
    r.filler_type = "magic"
    with pytest.raises(InputError, match="unknown fill type 'magic'"):
        fill(r, task, users, utc("2020-01-28"), random.Random(0))
