"""Bounded messages (issue 19 item 1): an offer asks at most 20 members and posts once in the
channel; offering again does not ask them again; one command sends each person (and each
channel) one message, however many tasks or kinds of news it touched.

Before, an offer messaged every member who could take it (2,000 on a 2,001-member
rotation), as often as it was withdrawn and offered again, and time off over several tasks
sent an owner one alert per task and a member one offer per task.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto.commands.render import DIGEST_BREAK
from lotto.service.common import run
from tests.lotto.commands.helpers import Script

NOW = datetime(2030, 1, 1, tzinfo=UTC)
MEMBERS = [f"m{i:02}" for i in range(40)]


def _big(kv, *, channel: bool) -> Script:
    """ICE with 40 members (@boss, plugin admin, owns it); @m00 is on ICE#0 and ICE#1."""
    boss = Script(kv, actor="boss")
    boss.multi(
        f"""
        rotation new ICE --period weekly --beginning 2030-01-07
        user join ICE {" ".join("@" + m for m in MEMBERS)}
        task new shift ICE --number 0
        task new shift ICE --number 1
        task assign ICE#0 @m00
        task assign ICE#1 @m00
        task schedule ICE#0
        task schedule ICE#1
        """,
        now=NOW,
    )
    if channel:
        boss.run("rotation set channel ICE ~ice-team", now=NOW)
    boss.poster.reset()
    return boss


def _offers(script: Script) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for uid, text in script.poster.sent:
        if "offers their place" in text:
            out.setdefault(uid, []).append(text)
    return out


def test_an_offer_asks_the_20_longest_since_they_served_and_posts_once(kv):
    boss = _big(kv, channel=True)

    def served(s):  # half the members served lately: they are asked last
        for m in MEMBERS[20:]:
            user = s.user(m)
            user.last_served["ICE"] = int(NOW.timestamp())
            s.save_user(user)

    run(kv, served)
    out = boss.run("task offer ICE#0 @m00 --note 'dentist'", now=NOW)
    asked = _offers(boss)
    assert len(asked) == 20 and all(len(dms) == 1 for dms in asked.values())
    assert set(MEMBERS[1:20]) <= set(asked)  # never served here, so first in line
    assert out.data.takers == list(asked) and out.data.eligible == 39
    assert "Asked 20 of the 39 members who could take it (those longest since they served)" in (
        out.text
    )
    assert "Posted in ~ice-team for everyone." in out.text
    (post,) = boss.poster.posts
    assert "offers their place" in post[1] and "A member who could take it" in post[1]


def test_without_a_channel_the_reply_says_only_they_were_asked(kv):
    boss = _big(kv, channel=False)
    out = boss.run("task offer ICE#0 @m00", now=NOW)
    assert len(_offers(boss)) == 20 and boss.poster.posts == []
    assert (
        "Only they were asked: the rotation has no channel to tell the other 19 (its owners "
        "can set one with `rotation set channel`)." in out.text
    ), out.text


def test_withdrawing_and_offering_again_asks_nobody_twice_within_a_day(kv):
    boss = _big(kv, channel=True)
    first = boss.run("task offer ICE#0 @m00", now=NOW).data.takers
    for hour in range(1, 6):  # five more rounds: no new direct message at all
        boss.run("task offer ICE#0 @m00 --cancel", now=NOW + timedelta(hours=hour))
        out = boss.run("task offer ICE#0 @m00", now=NOW + timedelta(hours=hour))
        assert out.data.takers == [] and out.data.asked_before == first
        assert "Not asked again (asked about this place in the last 24 h):" in out.text
    assert sum(len(dms) for dms in _offers(boss).values()) == 20
    assert len(boss.poster.posts) == 6  # the channel hears of each offer, once
    # A day later the same place may be put to them again.
    boss.run("task offer ICE#0 @m00 --cancel", now=NOW + timedelta(days=1))
    out = boss.run("task offer ICE#0 @m00", now=NOW + timedelta(days=1, hours=1))
    assert out.data.takers == first


def test_time_off_over_two_tasks_is_one_message_per_person_and_per_channel(kv):
    boss = _big(kv, channel=True)
    boss.run("rotation set owners ICE @m39", now=NOW)
    boss.poster.reset()
    member = Script(kv, actor="m00", admins=False)
    out = member.run("user unavailable --start 2030-01-07 --finish 2030-01-21", now=NOW)
    assert [t.outcome for t in out.data.time_off] == ["offered", "offered"]
    readers = [uid for uid, _ in member.poster.sent]
    assert len(readers) == len(set(readers))  # one direct message each
    by_reader = dict(member.poster.sent)
    # The owners: both alerts in one message; a member asked about both places: one too.
    for owner in ("boss", "m39"):
        assert by_reader[owner].count("#### Alert: @m00 is away during") == 2
        assert DIGEST_BREAK in by_reader[owner]
    offered = [text.count("offers their place") for text in by_reader.values()]
    assert sum(offered) == 40  # 20 asked about each place
    assert 2 in offered  # asked about both places: in one message, with a break between
    (post,) = member.poster.posts  # alerts and offers of both tasks: one channel post
    assert post[1].count("#### Alert") == 2 and post[1].count("offers their place") == 2


def test_an_admin_adding_many_sends_one_welcome_each(kv):
    boss = Script(kv, actor="boss")
    boss.run("rotation new OPS", now=NOW)
    boss.poster.reset()
    boss.run(f"user join OPS {' '.join('@' + m for m in MEMBERS)}", now=NOW)
    readers = [uid for uid, _ in boss.poster.sent]
    assert sorted(readers) == sorted(MEMBERS)
    assert all(text.startswith("#### Welcome to rotation **OPS**!") for _, text in boss.poster.sent)
