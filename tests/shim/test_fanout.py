"""One member's offer on a 2,001-member rotation, through the shim, the fake Mattermost and a
real redis-server (issue 19 items 1 and 5).

Measured before: the offer queued one outbox entry per member who could take it (2,000 of
121 KB each with a 60,000-character note, Redis 2 MB → 264 MB), withdrawing and offering
again queued as many again, and the note reached every DM and the channel as Markdown (a
bot heading, a live ``@all``, a link).
"""

from __future__ import annotations

import redis

from lotto.model.outbox import OUTBOX_QUEUE
from tests.lotto.helpers import HOSTILE_NOTE, live_markup

TEAM = "team000000000000000000000"
MEMBERS = 2001
# The hostile note, padded to the longest note there may be.
NOTE = HOSTILE_NOTE + " " + "y" * (500 - len(HOSTILE_NOTE) - 1)


def _ok(result: tuple[bool, str]) -> str:
    ok, text = result
    assert ok, text
    return text


def _drain(runtime) -> None:
    for _ in range(100):
        if not runtime.outbox.deliver_once().waiting:
            return
    raise AssertionError("the outbox did not drain")


def test_an_offer_on_a_2001_member_rotation_asks_20_and_posts_once(fake_mm, runtime, redis_url):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    people = [fake_mm.add_user(f"m{i:04}") for i in range(MEMBERS)]
    offerer = people[0]
    channel = fake_mm.add_channel(TEAM, "big-team", members=[fake_mm.bot["id"]])
    # Profiles cached, as in a running shim, so commands run while Mattermost is down.
    runtime.directory.by_ids([boss["id"], *(p["id"] for p in people)])
    runtime.directory.by_usernames([p["username"] for p in people])
    _ok(runtime.execute(boss["id"], "rotation new BIG --beginning 2030-01-07T09:00"))
    _ok(runtime.execute(boss["id"], "rotation set channel BIG ~big-team", team_id=TEAM))
    client = redis.Redis.from_url(redis_url)
    outbox = f"{runtime.config.plugin_id}/queue:{OUTBOX_QUEUE}"
    fake_mm.down()  # nothing leaves the outbox: what a command queues stays to be counted
    try:
        names = " ".join(f"@{p['username']}" for p in people)
        _ok(runtime.execute(boss["id"], f"user join BIG {names}"))
        assert client.llen(outbox) == MEMBERS  # one welcome each, nothing more
        for line in (
            "task new shift BIG --number 0 --force",
            f"task assign BIG#0 @{offerer['username']}",
        ):
            _ok(runtime.execute(boss["id"], line))
        client.delete(outbox)  # the set-up's messages are not what is measured
        before = client.info("memory")["used_memory"]

        # A 60,000-character note is refused: nothing is stored or queued.
        ok, text = runtime.execute(offerer["id"], f'task offer BIG#0 --note "{"x" * 60_000}"')
        assert not ok and "at most 500 characters" in text, text[:300]
        assert client.llen(outbox) == 0

        text = _ok(runtime.execute(offerer["id"], f"task offer BIG#0 --note '{NOTE}'"))
        assert "Asked 20 of the 2000 members who could take it" in text, text
        assert "Posted in ~big-team for everyone" in text
        queued = client.llen(outbox)
        grown = client.info("memory")["used_memory"] - before
        assert queued <= 25, queued
        assert queued == 21  # 20 direct messages and one channel post
        assert grown < 5 * 2**20, grown

        # Withdrawn and offered again: the same 20 are not messaged again; one channel post.
        _ok(runtime.execute(offerer["id"], "task offer BIG#0 --cancel"))
        text = _ok(runtime.execute(offerer["id"], f"task offer BIG#0 --note '{NOTE}'"))
        assert "Not asked again (asked about this place in the last 24 h)" in text, text
        assert client.llen(outbox) == queued + 1
    finally:
        fake_mm.up()
        client.close()
    _drain(runtime)

    offers = {
        p["username"]: [m for m in fake_mm.dms(p["id"]) if "offers their place" in m]
        for p in people[1:]
    }
    asked = {name: dms for name, dms in offers.items() if dms}
    assert len(asked) == 20 and all(len(dms) == 1 for dms in asked.values())
    posts = fake_mm.channel_posts(channel["id"])
    assert len(posts) == 2 and all("offers their place" in p for p in posts)
    # The bot's copy of the hostile note, in a DM and in the channel: quoted, inert.
    for message in [*next(iter(asked.values())), posts[0]]:
        _check_inert(message)


def _check_inert(message: str) -> None:
    """The note is in ``message`` as quoted text, and adds nothing Mattermost acts on."""
    lines = message.splitlines()
    quoted = "\n".join(line for line in lines if line.startswith(">"))
    for word in ("You have been scheduled for shift", "ICE#7", "re-login", "evil.example"):
        assert word in quoted, (word, message)
        assert not any(word in line for line in lines if not line.startswith(">")), message
    assert live_markup(quoted) == [], quoted
    # The only heading is the bot's own first line; no live @all, no link anywhere.
    assert [p for p in live_markup(message) if "offers their place" not in p] == [], message
    assert lines[0].startswith("###### @m0000 offers their place on shift **BIG#0**")
