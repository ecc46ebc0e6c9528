"""The shim delivers the outbox to Mattermost: after outages, after lost replies, once;
never in a command's own thread (the command only wakes the worker)."""

from __future__ import annotations

from collections import Counter

from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from shim.outbox import OUTBOX_PROP
from shim.runtime import Runtime
from tests.shim.fake_mattermost import FakeMattermost


def _setup(fake_mm: FakeMattermost, rt: Runtime) -> tuple[dict, list[dict]]:
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    people = [fake_mm.add_user(f"p{i}") for i in range(3)]
    ok, text = rt.execute(boss["id"], "rotation new ICE --beginning 2030-01-07T09:00")
    assert ok, text
    rt.directory.by_ids([u["id"] for u in people])  # profiles cached, as in a running shim
    return boss, people


def _outbox_posts(fake_mm: FakeMattermost) -> Counter[str]:
    return Counter(p["props"][OUTBOX_PROP] for p in fake_mm.posts_with_prop(OUTBOX_PROP))


def test_messages_committed_while_mattermost_is_down_arrive_once_it_is_back(fake_mm, runtime):
    boss, people = _setup(fake_mm, runtime)
    fake_mm.down()
    try:
        for p in people:
            ok, text = runtime.execute(boss["id"], f"user join ICE @{p['username']}")
            assert ok, text
        # One welcome per join (issue 8).
        assert runtime.store.queue(OUTBOX_QUEUE).length() == 3
        assert runtime.outbox.deliver_once().retry
    finally:
        fake_mm.up()
    report = runtime.outbox.deliver_once()
    assert (report.sent, report.waiting) == (3, 0)
    for p in people:
        dms = fake_mm.dms(p["id"])
        assert [m.split("\n")[0] for m in dms] == ["#### Welcome to rotation **ICE**!"]
    counts = _outbox_posts(fake_mm)
    assert len(counts) == 3 and set(counts.values()) == {1}


def test_a_post_whose_answer_was_lost_is_not_posted_again(fake_mm, runtime):
    boss, people = _setup(fake_mm, runtime)
    ok, text = runtime.execute(boss["id"], f"user join ICE @{people[0]['username']}")
    assert ok, text
    fake_mm.drop_reply_next.append("POST /api/v4/posts")
    assert runtime.outbox.deliver_once().retry
    # The DM (one welcome per join, issue 8) went through but the shim never heard so:
    # it is still waiting.
    assert runtime.store.queue(OUTBOX_QUEUE).length() == 1
    assert len(fake_mm.dms(people[0]["id"])) == 1
    report = runtime.outbox.deliver_once()
    assert (report.sent, report.waiting) == (1, 0)
    assert [m.split("\n")[0] for m in fake_mm.dms(people[0]["id"])] == [
        "#### Welcome to rotation **ICE**!",
    ]
    assert set(_outbox_posts(fake_mm).values()) == {1}
    # It looked the channel up instead of posting blindly.
    assert any("/posts?since=" in call for call in fake_mm.calls)


def test_a_message_mattermost_refuses_for_good_is_set_aside(fake_mm, runtime):
    boss, people = _setup(fake_mm, runtime)
    ghost = fake_mm.add_user("ghost")
    runtime.directory.by_ids([ghost["id"]])
    with fake_mm.lock:
        del fake_mm.users[ghost["id"]]  # deleted after we cached it: its DM channel fails
    ok, text = runtime.execute(boss["id"], f"user join ICE @ghost @{people[0]['username']}")
    assert ok, text
    report = runtime.outbox.deliver_once()
    assert (report.sent, report.dead, report.waiting) == (1, 1, 0)
    assert runtime.store.queue(OUTBOX_QUEUE).length() == 0
    assert runtime.store.queue(DEAD_QUEUE).length() == 1  # one welcome per join (issue 8)
    assert len(fake_mm.dms(people[0]["id"])) == 1


def test_a_command_only_wakes_the_worker_and_never_delivers_itself(fake_mm, runtime):
    """Issue 15: delivery inside the command's deadline left the lease held for 30 s."""
    boss, people = _setup(fake_mm, runtime)
    posts = len(fake_mm.posts)
    ok, text = runtime.execute(boss["id"], f"user join ICE @{people[0]['username']}")
    assert ok, text
    assert len(fake_mm.posts) == posts  # nothing was posted from the command's thread
    assert runtime.store.queue(OUTBOX_QUEUE).length() == 1
    assert runtime.outbox._kicked.is_set()  # the worker was woken
    assert runtime.outbox.deliver_once().sent == 1
