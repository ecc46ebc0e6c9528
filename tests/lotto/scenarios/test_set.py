"""The SET (sustaining engineering) scenario: monthly shifts with skills, limits and grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto.demo import SET_SETUP, SET_TEAMS
from lotto.model.needs import user_meets
from tests.lotto.commands.helpers import Script

UTC = UTC
REQUIRE = {"any": 5, "lead-◉": 1, "mobile-◉": 1, "server-◉": 1, "webapp-◉": 1}
LIMIT = {
    "TEAMFS1-◉": 1,
    "TEAMFS2-◉": 1,
    "TEAMFS3-◉": 1,
    "TEAMMOBILE-◉": 1,
    "TEAMPERF-◉": 1,
    "TEAMSRE-◉": 1,
    "any": 6,
    "lead-◉": 1,
}
LEADS = [u for u in SET_TEAMS if u.endswith("lead")]


def _setup(kv) -> Script:
    # The original's SET scenario of 2019, run as at its start.
    s = Script(kv, tz="America/Los_Angeles", now=datetime(2019, 1, 1, tzinfo=UTC))
    for line in SET_SETUP:
        s.run(line)
    s.run("rotation set fill SET --seed 3131961071")
    return s


def _check_fill(s: Script, task) -> None:
    users = {
        u.mattermost_user_id: u
        for u in s.run(
            "user show " + " ".join("@" + u for u in task.mattermost_user_ids)
        ).data.users
    }
    assert len(users) == 5
    for nid, count in task.require.items():
        assert sum(user_meets(u, nid) for u in users.values()) >= count, nid
    for nid, count in task.limit.items():
        assert sum(user_meets(u, nid) for u in users.values()) <= count, nid


def _shift(s: Script, n: int, start: datetime, hours: int):
    # --force: made whatever the time, as in the original.
    task = s.run(f"task new shift SET --number {n} --force").data.task
    assert task.task_id == f"SET#{n}"
    assert task.expected_start == start
    assert task.expected_duration == timedelta(hours=hours)
    assert task.require == REQUIRE
    assert task.limit == LIMIT
    filled = s.run(f"task fill SET#{n}")
    assert filled.text.startswith("Auto-assigned @") and filled.text.endswith(f" to shift SET#{n}")
    _check_fill(s, filled.data.task)
    return filled.data.task


def test_set_shifts_follow_pacific_wall_clock_and_meet_needs(kv):
    s = _setup(kv)
    shift0 = _shift(s, 0, datetime(2019, 1, 16, 8, tzinfo=UTC), 744)

    # The served user's calendar: the task, then 300h of grace after it.
    who = shift0.mattermost_user_ids[0]
    user = s.run(f"user show @{who}").data.users[0]
    assert [(e.start, e.finish, e.reason, e.task_id, e.rotation_id) for e in user.calendar] == [
        (
            datetime(2019, 1, 16, 8, tzinfo=UTC),
            datetime(2019, 2, 16, 8, tzinfo=UTC),
            "task",
            "SET#0",
            "SET",
        ),
        (
            datetime(2019, 2, 16, 8, tzinfo=UTC),
            datetime(2019, 2, 28, 20, tzinfo=UTC),
            "grace",
            "SET#0",
            "SET",
        ),
    ]

    # Personal unavailability, given in the acting user's zone (PST and PDT).
    s.run("user unavailable @fs3lead --start 2019-02-20T11:00 --finish 2019-03-30T09:30")
    cal = s.run("user show @fs3lead").data.users[0].calendar
    assert [(e.start, e.finish, e.reason) for e in cal] == [
        (
            datetime(2019, 2, 20, 19, tzinfo=UTC),
            datetime(2019, 3, 30, 16, 30, tzinfo=UTC),
            "personal",
        )
    ]

    # Leave exactly one lead available for shift 1 (and none of its teammates, so its
    # team's limit cannot block it): it must be picked, and nobody unavailable is.
    free = [lead for lead in LEADS if lead not in shift0.mattermost_user_ids and lead != "fs3lead"]
    keep = free[0]
    team = SET_TEAMS[keep].split(",")[0]
    away = [
        u
        for u in SET_TEAMS
        if u != keep
        and u != "fs3lead"
        and u not in shift0.mattermost_user_ids
        and (u in LEADS or SET_TEAMS[u].split(",")[0] == team)
    ]
    s.run(
        "user unavailable "
        + " ".join("@" + u for u in away)
        + " --start 2019-02-16 --finish 2019-03-16"
    )
    # Shift 1 ends at local midnight after the March DST change: 671h, not 672h.
    shift1 = _shift(s, 1, datetime(2019, 2, 16, 8, tzinfo=UTC), 671)
    assert "fs3lead" not in shift1.mattermost_user_ids
    assert not set(away) & set(shift1.mattermost_user_ids)
    assert keep in shift1.mattermost_user_ids
    assert not set(shift0.mattermost_user_ids) & set(shift1.mattermost_user_ids)  # grace

    _shift(s, 2, datetime(2019, 3, 16, 7, tzinfo=UTC), 744)
    shift3 = _shift(s, 3, datetime(2019, 4, 16, 7, tzinfo=UTC), 720)
    _shift(s, 4, datetime(2019, 5, 16, 7, tzinfo=UTC), 744)
    assert shift3.expected_start == datetime(2019, 4, 16, 7, tzinfo=UTC)
