"""The on-call line of the channel header over real HTTP (issue 17): the shim's outbox
worker reads the channel and writes its header back through the fake Mattermost (both
validated against the vendored OpenAPI file), at a handoff and when turned off, leaving
the rest of the header as it was; the custom group kept to who is on call, and a
server that refuses custom groups."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.shim.conftest import ROOT, wait_for

TEAM = "team000000000000000000000"
OTHER_LINES = "Runbook: https://wiki.example.com/ice\nEscalate to @lead after 30 min"


@pytest.fixture
def world(fake_mm, redis_url, start_shim, tmp_path):
    """@boss (admin), @ann and @bob in ICE; ~ice-team has a header of its own."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {n: fake_mm.add_user(n) for n in ("ann", "bob")}
    users["boss"] = fake_mm.add_user("boss", roles="system_user system_admin")
    channel = fake_mm.add_channel(TEAM, "ice-team", members=[fake_mm.bot["id"]])
    channel["header"] = OTHER_LINES
    shim = start_shim(fake_mm, redis_url, "--plugin-json", str(path), "--autopilot-interval", "0")
    boss = users["boss"]
    for line in (
        "rotation new ICE --beginning 2030-03-25T09:00 --period weekly --timezone Europe/Berlin",
        "user join ICE @ann @bob",
        "rotation set channel ICE ~ice-team",
        "task new shift ICE --number 0 --force",
        "task new shift ICE --number 1 --force",
        "task assign ICE#0 @ann",
        "task assign ICE#1 @bob",
        "task schedule ICE#0 --now 2030-03-24T09:00",
        "task schedule ICE#1 --now 2030-03-24T09:00",
    ):
        _ok(shim.slash(line, boss))
    return shim, users, channel, fake_mm


def _ok(response) -> str:
    text = response.json()["text"]
    assert "Command failed" not in text, text
    return text


def _header_becomes(fake, channel_id: str, expected: str) -> None:
    wait_for(lambda: fake.channels[channel_id]["header"] == expected)


def test_the_header_line_follows_a_handoff_and_goes_when_turned_off(world):
    shim, users, channel, fake = world
    boss = users["boss"]
    cid = channel["id"]
    _ok(shim.slash("rotation set header ICE --on --now 2030-03-25T07:30", boss))
    _ok(shim.slash("task start ICE#0 --now 2030-03-25T08:00", boss))
    _header_becomes(fake, cid, OTHER_LINES + "\nOn call: @ann until Mon 09:00 CEST · next @bob")
    # The handoff: ICE#0 finishes, ICE#1 starts.
    _ok(shim.slash("task finish ICE#0 --now 2030-04-01T07:00", boss))
    _ok(shim.slash("task start ICE#1 --now 2030-04-01T07:00", boss))
    _header_becomes(fake, cid, OTHER_LINES + "\nOn call: @bob until Mon 09:00 CEST")
    # Someone edits the header meanwhile: their lines stay, above and below the bot's.
    fake.channels[cid]["header"] = "Top line\n" + fake.channels[cid]["header"] + "\nBottom"
    _ok(shim.slash("rotation set header ICE --off", boss))
    _header_becomes(fake, cid, "Top line\n" + OTHER_LINES + "\nBottom")
    # Every change went through PUT /channels/{id}/patch, never a post to the channel.
    assert fake.count(f"PUT /api/v4/channels/{cid}/patch") >= 3
    assert not [p for p in fake.channel_posts(cid) if p.startswith("On call:")]


def test_the_custom_group_is_kept_to_who_is_on_call(world):
    shim, users, channel, fake = world
    boss, ann, bob = users["boss"], users["ann"], users["bob"]
    _ok(shim.slash("rotation set header ICE --on --group ops-oncall --now 2030-03-25T07:30", boss))
    _ok(shim.slash("task start ICE#0 --now 2030-03-25T08:00", boss))
    wait_for(lambda: (fake.group_named("ops-oncall") or (None, set()))[1] == {ann["id"]})
    _ok(shim.slash("task finish ICE#0 --now 2030-04-01T07:00", boss))
    _ok(shim.slash("task start ICE#1 --now 2030-04-01T07:00", boss))
    wait_for(lambda: fake.group_named("ops-oncall")[1] == {bob["id"]})
    _ok(shim.slash("rotation set header ICE --off", boss))
    wait_for(lambda: fake.group_named("ops-oncall")[1] == set())


def test_a_server_without_custom_groups_gets_one_warning_and_the_header_line(world):
    shim, users, channel, fake = world
    boss = users["boss"]
    fake.groups_allowed = False
    _ok(shim.slash("rotation set header ICE --on --group ops-oncall --now 2030-03-25T07:30", boss))
    _ok(shim.slash("task start ICE#0 --now 2030-03-25T08:00", boss))
    _header_becomes(
        fake, channel["id"], OTHER_LINES + "\nOn call: @ann until Mon 09:00 CEST · next @bob"
    )
    assert shim.log().count("refused to keep the custom group @ops-oncall") == 1
    assert fake.groups == {}


def test_the_line_replaces_only_its_own_and_keeps_to_mattermosts_limit():
    from shim.header import HEADER_LIMIT, with_line

    assert with_line("", "On call: @ann") == "On call: @ann"
    assert with_line("A\nOn call: @old\nB", "On call: @ann") == "A\nOn call: @ann\nB"
    assert with_line("A\nOn call: @old\nOn call: @older", "") == "A"
    rest = "x" * (HEADER_LIMIT - 20)
    shortened = with_line(rest, "On call: @ann until Mon 09:00 CET · next @bob")
    assert len(shortened) == HEADER_LIMIT and shortened.endswith("…")
    assert shortened.startswith(rest + "\nOn call: @ann")
    # No room even for the beginning: the line is left out, the header untouched.
    full = "y" * (HEADER_LIMIT - 5)
    assert with_line(full + "\nOn call: @old", "On call: @ann") == full
