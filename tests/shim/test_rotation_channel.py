"""A rotation's channel over real HTTP: ``rotation set channel`` finds the channel
through Mattermost in the team the command came from, refuses a channel the bot is not in,
and the bot's posts about shifts and alerts land in that channel (and only there)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.shim.conftest import ROOT, wait_for

TEAM = "team000000000000000000000"  # the team every test slash command comes from


@pytest.fixture
def world(fake_mm, redis_url, start_shim, tmp_path):
    """Users and channels in the fake Mattermost, and one shim serving them."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        "lead": fake_mm.add_user("lead"),
        "ann": fake_mm.add_user("ann"),
        "bob": fake_mm.add_user("bob"),
    }
    bot = fake_mm.bot["id"]
    channels = {
        "ice": fake_mm.add_channel(TEAM, "ice-team", members=[bot, users["lead"]["id"]]),
        "other": fake_mm.add_channel("team-b0000000000000000000", "ice-team", members=[bot]),
        "quiet": fake_mm.add_channel(TEAM, "quiet", members=[users["lead"]["id"]]),
    }
    shim = start_shim(fake_mm, redis_url, "--plugin-json", str(path), "--autopilot-interval", "0")
    return shim, users, channels, fake_mm


def _ok(response) -> str:
    text = response.json()["text"]
    assert "Command failed" not in text, text
    return text


def _posts(fake, channel_id: str, count: int) -> list[str]:
    """The channel's posts, once there are ``count`` of them."""
    posts = wait_for(lambda: len(fake.channel_posts(channel_id)) >= count)
    assert posts
    return fake.channel_posts(channel_id)


def test_channel_posts_land_in_the_rotations_channel(world):
    shim, users, channels, fake = world
    boss, lead = users["boss"], users["lead"]
    _ok(shim.slash("rotation new ICE --beginning 2030-01-07T09:00", boss))
    _ok(shim.slash("rotation set owners ICE @lead", boss))
    _ok(shim.slash("user join ICE @ann @bob", boss))
    # The owner (not a plugin admin) sets the channel by its name in this team.
    text = _ok(shim.slash("rotation set channel ICE ~ice-team", lead))
    assert "now posts to ~ice-team" in text
    assert "- Channel: ~ice-team" in _ok(shim.slash("rotation show ICE", lead))
    _ok(shim.slash("task new shift ICE --number 0 --force", lead))
    _ok(shim.slash("task fill ICE#0", lead))
    _ok(shim.slash("task schedule ICE#0", lead))
    _ok(shim.slash("task start ICE#0 --now 2030-01-07T09:00", boss))  # --now: admins only
    # The outbox worker posts them right after the commands (never in their threads).
    posts = _posts(fake, channels["ice"]["id"], 2)
    # A shift is called a shift (issue 8).
    assert [p.split(":")[0] for p in posts] == [
        "Shift **ICE#0** is scheduled",
        "Shift **ICE#0** has started",
    ]
    assert "is scheduled: @" in posts[0] and "has started: on call now @" in posts[1]
    # Nothing went to the other team's channel of the same name, nor to the quiet one.
    assert fake.channel_posts(channels["other"]["id"]) == []
    assert fake.channel_posts(channels["quiet"]["id"]) == []
    # A member leaving while assigned: the channel and the other owner are alerted.
    _ok(shim.slash("user leave ICE @bob", lead))
    alert = _posts(fake, channels["ice"]["id"], 3)[-1]
    assert alert.startswith("#### Alert: @bob left **ICE** but is still on shift **ICE#0**")
    wait_for(lambda: any(m.startswith("#### Alert: @bob left") for m in fake.dms(boss["id"])))
    assert fake.violations == []


def test_a_channel_the_bot_is_not_in_is_refused_and_nothing_changes(world):
    shim, users, channels, fake = world
    boss = users["boss"]
    _ok(shim.slash("rotation new ICE --beginning 2030-01-07T09:00", boss))
    text = shim.slash("rotation set channel ICE ~quiet", boss).json()["text"]
    assert "Command failed" in text
    assert "@lottobot is not a member of ~quiet" in text and "/invite @lottobot" in text
    assert "- Channel:" not in _ok(shim.slash("rotation show ICE", boss))
    text = shim.slash("rotation set channel ICE ~no-such", boss).json()["text"]
    assert "Channel ~no-such not found in this team" in text
    # By id works too (here: a channel of another team the bot is in).
    text = _ok(shim.slash(f"rotation set channel ICE {channels['other']['id']}", boss))
    assert "now posts to ~ice-team" in text
    assert "- Channel: ~ice-team" in _ok(shim.slash("rotation show ICE", boss))
    assert fake.violations == []


def test_only_owners_and_admins_may_set_the_channel(world):
    shim, users, _, fake = world
    _ok(shim.slash("rotation new ICE --beginning 2030-01-07T09:00", users["boss"]))
    _ok(shim.slash("rotation set owners ICE @lead", users["boss"]))
    text = shim.slash("rotation set channel ICE ~ice-team", users["ann"]).json()["text"]
    assert "Command failed" in text
    assert "ask an owner of ICE: @boss, @lead, or a plugin admin" in text
    assert fake.violations == []
