"""The ice-breaker scenarios of the original's tests, replayed through ``/lotto`` commands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump

SETUP = """
    rotation new ICE --period weekly --beginning 2020-03-05T09:00PST --seed=1
    rotation set task ICE --duration 30m
    rotation set require ICE --count 2
    user join ICE @test-user1 @test-user2 @test-user3 @test-user4 @test-user5
    user join ICE @test-user6 @test-user7 @test-user8 @test-user9 @test-user10
"""

# A shift is called a shift, and no `(none)` after names without skills (issue 8).
FILL_RE = re.compile(r"^Auto-assigned (@test-user\d+), (@test-user\d+) to shift ICE#1$")


def test_ice_breaker_manual(kv):
    # As the original's test: on the wall clock, so starting ICE#1 "now" makes its pair
    # last served long after ICE#2's time; its 2020 shifts are then past (--force).
    s = Script(kv, tz="America/Los_Angeles", now=None)
    s.multi(SETUP)
    s.poster.reset()

    task = s.run("/lotto task new shift ICE --number 1 --force").data.task
    assert task.task_id == "ICE#1"
    assert task.state == "pending"
    # 09:00 Pacific daylight time: the wall-clock time of the beginning, kept across DST.
    assert task.expected_start == datetime(2020, 3, 12, 16, 0, tzinfo=UTC)
    assert task.expected_duration == timedelta(minutes=30)
    assert task.require == {"any": 2}

    out = s.run("/lotto task fill ICE#1")
    match = FILL_RE.match(out.text)
    assert match, out.text
    first, second = match.group(1)[1:], match.group(2)[1:]
    assert first != second
    assert out.data.task.mattermost_user_ids == [first, second]

    s.multi("""
        /lotto task schedule ICE#1
        /lotto task start ICE#1
        /lotto task new shift ICE -n 2 --force
        /lotto task fill ICE#2
        /lotto task schedule ICE#2
        /lotto task finish ICE#1
    """)
    ice2 = s.run("task show ICE#2").data.task.mattermost_user_ids
    assert len(ice2) == 2 and not set(ice2) & {first, second}  # ICE#1's pair is busy then

    sent = s.poster.sent
    assert [uid for uid, _ in sent] == [first, second, first, second, *ice2, first, second]
    kinds = ["scheduled"] * 2 + ["started"] * 2 + ["scheduled"] * 2 + ["finished"] * 2
    tasks = ["ICE#1"] * 4 + ["ICE#2"] * 2 + ["ICE#1"] * 2
    for (_, text), kind, tid in zip(sent, kinds, tasks, strict=True):
        assert f"**{tid}**" in text and "@test-user " in text, text
        assert kind in text, text
        assert "TODO" not in text


def test_ice_breaker_insufficient(kv):
    s = Script(kv, tz="America/Los_Angeles")
    s.multi("""
        rotation new ICE --beginning 2020-03-05T09:00PST --period weekly
        # 2 week grace period so we run out of users by ICE#3
        rotation set task ICE --grace 336h --duration 30m
        rotation set require ICE --count 2
        user join ICE @test-user1 @test-user2 @test-user3 @test-user4 @test-user5
        task new shift ICE --number 1
        task fill ICE#1
        task schedule ICE#1
        task new shift ICE --number 2
        task fill ICE#2
        task schedule ICE#2
        task new shift ICE --number 3
    """)
    before = dump(kv)
    out = s.try_("/lotto task fill ICE#3")
    assert_clean_error(out)
    assert out.text == (
        "failed to fill task ICE#3: failed to fill ICE#3, filling need **1** any, "
        "unfilled needs 1 any: insufficient"
    )
    assert dump(kv) == before
    assert s.run("task show ICE#3").data.task.mattermost_user_ids == []
