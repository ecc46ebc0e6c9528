"""docs/design.md §6 defects of the original, checked where a user would see them (commands)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.lotto.commands.helpers import Script

UTC = UTC


def _skills(s: Script, *users: str) -> dict[str, dict[str, int]]:
    res = s.run("user show " + " ".join("@" + u for u in users)).data
    return {u.mattermost_user_id: dict(u.skill_levels) for u in res.users}


def test_qualify_several_users_when_the_first_is_unchanged(kv):
    s = Script(kv)
    s.run("user qualify @ann -s webapp-2")
    out = s.run("user qualify @ann @bob @cid -s webapp-2")
    assert sorted(out.data.changed) == ["bob", "cid"]
    assert _skills(s, "ann", "bob", "cid") == {u: {"webapp": 2} for u in ("ann", "bob", "cid")}


def test_disqualify_several_users_when_the_first_is_unchanged(kv):
    s = Script(kv)
    s.run("user qualify @bob @cid -s webapp,server")
    s.run("user qualify @ann -s server")
    s.run("user disqualify @ann @bob @cid -s webapp")
    assert _skills(s, "ann", "bob", "cid") == {u: {"server": 1} for u in ("ann", "bob", "cid")}


def test_unassign_clears_the_task_and_grace_events(kv):
    s = Script(kv)
    s.multi("""
        rotation new R --beginning 2020-01-06 --period weekly
        rotation set task R --grace 48h
        user join R @ann @bob
        user unavailable @ann --start 2020-03-01 --finish 2020-03-02
        task new shift R --number 0
        task assign R#0 @ann
    """)
    cal = s.run("user show @ann").data.users[0].calendar
    assert sorted(e.reason for e in cal) == ["grace", "personal", "task"]
    s.run("task unassign R#0 @ann")
    cal = s.run("user show @ann").data.users[0].calendar
    assert [e.reason for e in cal] == ["personal"]
    assert s.run("task show R#0").data.task.mattermost_user_ids == []


def test_fixed_duration_period_counts_the_shift_number(kv):
    s = Script(kv)
    s.run("rotation new P --beginning 2020-01-01 --period 36h")
    starts = [s.run(f"task new shift P --number {n}").data.task.expected_start for n in (0, 1, 3)]
    assert starts == [
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 1, 2, 12, tzinfo=UTC),
        datetime(2020, 1, 5, 12, tzinfo=UTC),
    ]
