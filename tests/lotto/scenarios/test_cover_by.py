"""Issue 17: coverage is never silently lost — an offered place nobody took is filled by
the autopilot ``--cover-by`` (24 h by default) before it begins.

A daily Berlin rotation: OPS#26 runs Sun 31 Oct 2027 12:00 CET to Mon 1 Nov 12:00 (the
month ends inside it). Summer time ended that very night, so 24 h before its start is
Sat 30 Oct 13:00 CEST on the wall clock, not 12:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lotto.maintenance.check import check
from tests.lotto.commands.helpers import Script

BERLIN = "Europe/Berlin"
SETUP = """
    rotation new OPS --period daily --beginning 2027-10-05T12:00 --seed 3
    rotation set owners OPS @lead
    rotation set channel OPS ~ops
    user join OPS @ann @bob @cat @dan
    rotation set autopilot OPS --start-finish
    task new shift OPS --number 26
    task assign OPS#26 @bob
    task schedule OPS#26
"""
NOW = datetime(2027, 10, 20, tzinfo=UTC)
START = datetime(2027, 10, 31, 11, tzinfo=UTC)  # Sun 31 Oct 12:00 CET


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ops(kv_memory):
    admin = Script(kv_memory, tz=BERLIN, actor="boss")
    admin.multi(SETUP, now=NOW)
    assert admin.run("task show OPS#26", now=NOW).data.task.expected_start == START
    admin.run("task offer OPS#26 @bob --note 'moving house'", now=NOW)
    admin.poster.reset()
    return admin


def test_an_untaken_offer_is_filled_24_hours_before_the_start_across_the_dst_change(ops):
    ops.run("rotation autopilot OPS", now=utc("2027-10-30T10:00"))  # Sat 12:00 CEST: 25 h
    task = ops.run("task show OPS#26", now=NOW).data.task
    assert task.mattermost_user_ids == ["bob"] and len(task.offers) == 1
    assert ops.poster.sent == [] and ops.poster.posts == []

    out = ops.run("rotation autopilot OPS", now=utc("2027-10-30T11:00"))  # Sat 13:00 CEST
    task = ops.run("task show OPS#26", now=NOW).data.task
    (taker,) = task.mattermost_user_ids
    assert taker in ("ann", "cat", "dan") and task.offers == []
    assert taker in out.data.users  # the report names whom the autopilot placed
    told = {u: t for u, t in ops.poster.sent}
    assert told["bob"].startswith(
        f"Nobody took your offered place on **OPS#26** (from Sun 31 Oct 2027 12:00 CET to "
        f"Mon 1 Nov 2027 12:00 CET) in time, so the autopilot gave it to @{taker}; you are no "
        "longer on it."
    )
    assert told[taker].startswith("The autopilot gave you @bob's place on **OPS#26**")
    (post,) = [t for c, t in ops.poster.posts if c == "ops"]
    assert "The autopilot gave @bob's offered place on shift **OPS#26**" in post
    assert f"to @{taker}." in post
    assert "lead" not in told  # filled: nothing to alert the owners about
    bob = ops.run("user show @bob", now=NOW).data.users[0]
    assert [e.task_id for e in bob.calendar] == []  # his credit and events went back
    assert check(ops.kv) == []

    # The shift then starts with the new person on it.
    ops.run("rotation autopilot OPS", now=START)
    started = ops.run("task show OPS#26", now=NOW).data.task
    assert started.state == "started" and started.mattermost_user_ids == [taker]


def test_the_filler_skips_the_offerer_and_the_busy_and_nobody_left_is_one_alert(ops):
    for who in ("ann", "cat", "dan"):
        ops.run(f"user unavailable @{who} --start 2027-10-31 --finish 2027-11-02", now=NOW)
    ops.poster.reset()
    for hour in range(0, 24, 6):  # every 6 h from 24 h before the start
        ops.run("rotation autopilot OPS", now=utc("2027-10-30T11:00") + timedelta(hours=hour))
    task = ops.run("task show OPS#26", now=NOW).data.task
    assert task.mattermost_user_ids == ["bob"] and len(task.offers) == 1
    alerts = [t for _, t in ops.poster.posts if t.startswith("#### Alert")]
    assert len(alerts) == 1, alerts
    assert alerts[0].startswith("#### Alert: nobody could be found for @bob's place on shift")
    assert "found no free member who fits" in alerts[0]
    dms = [u for u, t in ops.poster.sent if t.startswith("#### Alert")]
    assert dms == ["lead"]  # the owners but @boss, whose run it was

    # Someone free joins later: the next tick fills it after all.
    ops.run("user join OPS @eve", now=NOW)
    ops.run("rotation autopilot OPS", now=utc("2027-10-31T06:00"))
    assert ops.run("task show OPS#26", now=NOW).data.task.mattermost_user_ids == ["eve"]


def test_an_offered_part_is_filled_as_a_cover(ops):
    ops.run("task offer OPS#26 @bob --cancel", now=NOW)
    ops.run("user unavailable @bob --start 2027-11-01 --finish 2027-11-02", now=NOW)
    (offer,) = ops.run("task show OPS#26", now=NOW).data.task.offers
    assert offer.start == utc("2027-10-31T23:00")  # Mon 1 Nov 00:00 CET, the new month
    ops.run("rotation autopilot OPS", now=utc("2027-10-30T22:59"))  # 24 h 1 min before
    assert ops.run("task show OPS#26", now=NOW).data.task.overrides == []
    ops.run("rotation autopilot OPS", now=utc("2027-10-30T23:00"))
    task = ops.run("task show OPS#26", now=NOW).data.task
    (cover,) = task.overrides
    assert task.mattermost_user_ids == ["bob"] and cover.replaces == "bob"
    assert (cover.start, cover.finish) == (utc("2027-10-31T23:00"), utc("2027-11-01T11:00"))


def test_cover_by_is_a_setting(ops):
    out = ops.run("rotation set autopilot OPS --cover-by 48h", now=NOW)
    assert "cover-by 2 days" in out.text
    ops.run("rotation autopilot OPS", now=utc("2027-10-29T11:00"))
    assert ops.run("task show OPS#26", now=NOW).data.task.offers == []
