"""Trading shifts: `task offer`, `task take`, time off that protects you."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import redis

import kvstore
from lotto.maintenance.check import check
from lotto.service.common import run
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump

NOW = datetime(2020, 3, 1, tzinfo=UTC)
SETUP = """
    rotation new ICE --period weekly --beginning 2020-03-05 --seed=1
    rotation set require ICE --count 1
    user join ICE @ann @bob @cat
    task new shift ICE --number 1
    task assign ICE#1 @bob
"""


def _setup(kv, *, schedule: bool = True, channel: str = "") -> tuple[Script, Script]:
    """An admin script and a members' script (no admins) on one store; ICE#1 has @bob."""
    admin = Script(kv)
    admin.multi(SETUP, now=NOW)
    if schedule:
        admin.run("task schedule ICE#1", now=NOW)
    if channel:
        _set_channel(kv, channel)
    admin.poster.reset()
    return admin, Script(kv, admins=False)


def _set_channel(kv, channel_id: str) -> None:
    # `rotation set channel` is another helper's command; the record field is shared.
    def fn(s):
        rotation = s.rotation("ICE")
        rotation.channel_id, rotation.channel_name = channel_id, "ice-team"
        s.save_rotation(rotation)

    run(kv, fn)


def _dms(script: Script, user: str) -> list[str]:
    return [text for uid, text in script.poster.sent if uid == user]


def test_offer_tells_who_could_take_it_and_take_swaps_in_one_go(kv):
    admin, members = _setup(kv, channel="chan-ice")
    out = members.run("task offer ICE#1 --note 'family visit'", actor="bob", now=NOW)
    assert "Offered @bob's place on **ICE#1**" in out.text
    assert out.data.takers == ["ann", "cat"]
    for who in ("ann", "cat"):
        (dm,) = _dms(members, who)
        assert "@bob offers their place on shift **ICE#1**" in dm and "family visit" in dm
        assert "`/lotto task take ICE#1 @bob`" in dm
    assert [c for c, _ in members.poster.posts] == ["chan-ice"]
    shown = admin.run("task show ICE#1", now=NOW).text
    assert "- Offered: @bob's place (since Sun 1 Mar 2020 00:00): family visit" in shown
    assert "offered: @bob" in admin.run("rotation show ICE", now=NOW).text

    members.poster.reset()
    out = members.run("task take ICE#1", actor="cat", now=NOW)
    assert out.text.startswith("@cat took @bob's place on **ICE#1**")
    task = admin.run("task show ICE#1", now=NOW).data.task
    assert task.mattermost_user_ids == ["cat"] and task.offers == []
    bob = admin.run("user show @bob", now=NOW).data.users[0]
    cat = admin.run("user show @cat", now=NOW).data.users[0]
    assert [e.task_id for e in bob.calendar] == []
    assert "ICE" not in bob.last_served  # his credit back: as before he was assigned
    assert [e.task_id for e in cat.calendar] == ["ICE#1"]
    assert cat.last_served["ICE"] == int(datetime(2020, 3, 19, tzinfo=UTC).timestamp())
    assert "@cat took your place on **ICE#1**" in _dms(members, "bob")[0]
    assert "You took @bob's place on **ICE#1**" in _dms(members, "cat")[0]
    (post,) = [t for c, t in members.poster.posts if c == "chan-ice"]
    assert "@cat took @bob's place on shift **ICE#1**" in post
    # The offer is gone: taking it again is refused and changes nothing.
    before = dump(kv)
    again = members.try_("task take ICE#1", actor="ann", now=NOW)
    assert_clean_error(again)
    assert "no open offer" in again.text
    assert dump(kv) == before


def test_take_is_refused_for_a_member_who_does_not_fit(kv):
    admin, members = _setup(kv)
    admin.run("user join ICE @dan", now=NOW)
    admin.run("user unavailable @dan --start 2020-03-12 --finish 2020-03-13", now=NOW)
    members.run("task offer ICE#1", actor="bob", now=NOW)
    before = dump(kv)
    for actor, why in (
        ("dan", "@dan is not available then (time off overlaps ICE#1)"),
        ("eve", "@eve is not a member of ICE"),
        ("bob", "@bob is already on ICE#1"),
    ):
        out = members.try_("task take ICE#1", actor=actor, now=NOW)
        assert_clean_error(out)
        assert why in out.text, out.text
    assert dump(kv) == before


def test_a_take_that_would_break_a_limit_is_refused_and_changes_nothing(kv):
    admin = Script(kv)
    admin.multi(
        """
        rotation new ICE --period weekly --beginning 2020-03-05 --seed=1
        rotation set require ICE --count 2
        rotation set limit ICE --skill lead-1 --count 1
        user join ICE @ann @bob @cat
        user qualify @ann @cat --skill lead-1
        task new shift ICE --number 1
        task assign ICE#1 @ann @bob
        task schedule ICE#1
        """,
        now=NOW,
    )
    members = Script(kv, admins=False)
    out = members.run("task offer ICE#1", actor="bob", now=NOW)
    assert out.data.takers == []  # @cat would make two leads
    assert "Nobody could take it now" in out.text
    before = dump(kv)
    refused = members.try_("task take ICE#1", actor="cat", now=NOW)
    assert_clean_error(refused)
    assert "@cat would break ICE#1's limit lead-◉ (at most 1)" in refused.text
    assert dump(kv) == before


def test_two_members_taking_one_offer_at_once_exactly_one_wins(redis_url, plugin_id):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    kv = kvstore.open(redis_url, plugin_id)
    try:
        admin, members = _setup(kv)
        members.run("task offer ICE#1", actor="bob", now=NOW)
        barrier = threading.Barrier(2)
        outcomes = {}

        def take(who: str) -> None:
            barrier.wait()
            outcomes[who] = members.try_("task take ICE#1", actor=who, now=NOW)

        threads = [threading.Thread(target=take, args=(w,)) for w in ("ann", "cat")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [w for w, out in outcomes.items() if out.ok]
        assert len(winners) == 1, {w: o.text for w, o in outcomes.items()}
        (loser,) = {"ann", "cat"} - set(winners)
        assert "no open offer" in outcomes[loser].text
        task = admin.run("task show ICE#1", now=NOW).data.task
        assert task.mattermost_user_ids == winners and task.offers == []
        assert check(kv) == []
    finally:
        kv.close()


def test_members_offer_their_own_place_only(kv):
    _, members = _setup(kv)
    out = members.try_("task offer ICE#1 @bob", actor="ann", now=NOW)
    assert_clean_error(out)
    # Issue 9: the rotation's owners (and plugin admins) may offer for someone.
    assert "only plugin admins and the owners of rotation ICE may do this" in out.text
    out = members.try_("task offer ICE#1", actor="ann", now=NOW)
    assert "@ann is not assigned to ICE#1" in out.text
    members.run("task offer ICE#1 --to @cat", actor="bob", now=NOW)
    refused = members.try_("task take ICE#1", actor="ann", now=NOW)
    assert "offered to @cat only" in refused.text
    members.run("task offer ICE#1 --cancel", actor="bob", now=NOW)
    assert "no open offer" in members.try_("task take ICE#1", actor="cat", now=NOW).text


def test_time_off_over_a_pending_task_releases_it_and_the_autopilot_fills_it_again(kv):
    admin, members = _setup(kv, schedule=False)
    admin.run("rotation set autopilot ICE --schedule --schedule-prior 100h", now=NOW)
    out = members.run(
        "user unavailable --start 2020-03-11 --finish 2020-03-14", actor="bob", now=NOW
    )
    assert "@bob on **ICE#1**: taken off it (pending); the autopilot fills the place again" in (
        out.text
    )
    assert admin.run("task show ICE#1", now=NOW).data.task.mattermost_user_ids == []
    bob = admin.run("user show @bob", now=NOW).data.users[0]
    assert "ICE" not in bob.last_served and [e.reason for e in bob.calendar] == ["personal"]
    admin.run("rotation autopilot ICE", now=datetime(2020, 3, 9, tzinfo=UTC))
    task = admin.run("task show ICE#1", now=NOW).data.task
    assert task.state == "scheduled"
    assert len(task.mattermost_user_ids) == 1 and task.mattermost_user_ids != ["bob"]


def test_time_off_over_a_scheduled_task_opens_an_offer_and_alerts(kv):
    admin, members = _setup(kv, channel="chan-ice")

    def owners(s):
        rotation = s.rotation("ICE")
        rotation.owners = ["lead"]
        s.save_rotation(rotation)

    run(kv, owners)
    out = members.run(
        "user unavailable --start 2020-03-11 --finish 2020-03-14", actor="bob", now=NOW
    )
    assert "@bob on **ICE#1**: scheduled: the place is offered" in out.text
    task = admin.run("task show ICE#1", now=NOW).data.task
    assert task.mattermost_user_ids == ["bob"] and [o.user_id for o in task.offers] == ["bob"]
    (alert,) = _dms(members, "lead")
    assert "@bob is away during **ICE#1**" in alert and "offered" in alert
    posts = [t for c, t in members.poster.posts if c == "chan-ice"]
    assert any("@bob is away during shift **ICE#1**" in p for p in posts)
    assert any("@bob offers their place on shift **ICE#1**" in p for p in posts)
    assert _dms(members, "ann") and _dms(members, "cat")
    members.run("task take ICE#1", actor="ann", now=NOW)
    assert admin.run("task show ICE#1", now=NOW).data.task.mattermost_user_ids == ["ann"]


def test_time_off_over_a_started_task_leaves_it_and_alerts(kv):
    admin, members = _setup(kv, channel="chan-ice")
    admin.run("task start ICE#1", now=datetime(2020, 3, 12, tzinfo=UTC))
    members.poster.reset()
    out = members.run(
        "user unavailable --start 2020-03-13 --finish 2020-03-14", actor="bob", now=NOW
    )
    assert "@bob on **ICE#1**: already started: left as it is" in out.text
    task = admin.run("task show ICE#1", now=NOW).data.task
    assert task.mattermost_user_ids == ["bob"] and task.offers == []
    (post,) = [t for c, t in members.poster.posts if c == "chan-ice"]
    assert "has already started" in post


def test_offer_take_and_time_off_stay_within_the_round_trip_budget(kv):
    admin, members = _setup(kv)
    stats = members.env.service.stats
    members.run("task offer ICE#1", actor="bob", now=NOW)
    assert stats.round_trips <= 3
    members.run("task take ICE#1", actor="ann", now=NOW)
    assert stats.round_trips <= 3
    members.run("user unavailable --start 2020-03-11 --finish 2020-03-14", actor="ann", now=NOW)
    assert stats.round_trips <= 3  # users; the task, its rotation and members; commit
    assert admin.run("task show ICE#1", now=NOW).data.task.offers[0].user_id == "ann"


def test_an_offer_ends_when_its_task_starts(kv):
    admin, members = _setup(kv)
    members.run("task offer ICE#1", actor="bob", now=NOW)
    admin.run("task start ICE#1", now=datetime(2020, 3, 12, tzinfo=UTC))
    assert admin.run("task show ICE#1", now=NOW).data.task.offers == []
    out = members.try_("task take ICE#1", actor="ann", now=NOW)
    assert_clean_error(out)
    assert "ICE#1 is started: its places can no longer be taken" in out.text
    out = members.try_("task offer ICE#1", actor="bob", now=NOW)
    assert "only places on pending or scheduled tasks can be offered" in out.text
