"""The "Accept swap" button over real HTTP: ``lotto serve``, the fake Mattermost, Redis.

@ann proposes to swap her OPS#0 for @bob's OPS#1 (weekly in New York, from Monday
28 Oct 2030; OPS#0 ends with the month, OPS#1 crosses the end of summer time on
3 Nov): @bob's direct message carries an "Accept swap" button signed like the Take
button (its own key); a click by @bob moves both in one step, posts once to the
channel and takes the button off. A forged, misdirected or take-signed context is
refused with 403 and changes nothing; a cancelled swap's button says it is gone.
"""

from __future__ import annotations

import json
import uuid

import pytest

import kvstore
from shim import actions
from shim.swapbutton import BUTTON, PATH, sign
from tests.lotto.helpers import dump
from tests.shim.conftest import ROOT, SECRET, wait_for

PUBLIC = "https://lotto.example.com/oncall"
TEAM = "team000000000000000000000"  # the team every test slash command comes from


@pytest.fixture
def proposed(fake_mm, redis_url, start_shim, tmp_path):
    """A shim with a public URL; @ann (OPS#0) proposed to swap with @bob (OPS#1)."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = plugin_id = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        **{name: fake_mm.add_user(name) for name in ("ann", "bob", "cat")},
    }
    channel = fake_mm.add_channel(TEAM, "ops-team", members=[fake_mm.bot["id"]])
    shim = start_shim(
        fake_mm,
        redis_url,
        "--plugin-json",
        str(path),
        "--autopilot-interval",
        "0",
        LOTTO_PUBLIC_URL=PUBLIC,
    )
    for line in (
        "rotation new OPS --beginning 2030-10-28T09:00",
        "rotation set channel OPS ~ops-team",
        "user join OPS @ann @bob @cat",
        "task new shift OPS --number 0 --force",
        "task new shift OPS --number 1 --force",
        "task assign OPS#0 @ann",
        "task assign OPS#1 @bob",
        "task schedule OPS#0",
        "task schedule OPS#1",
    ):
        text = shim.slash(line, users["boss"]).json()["text"]
        assert "Command failed" not in text, text
    text = shim.slash("task swap OPS#0 @ann OPS#1 @bob", users["ann"]).json()["text"]
    assert "Proposed to swap @ann on **OPS#0** with @bob on **OPS#1**" in text, text
    store = kvstore.open(redis_url, plugin_id)
    yield shim, users, store, channel
    store.close()


def _button_post(fake_mm, user) -> dict:
    name = "__".join(sorted((fake_mm.bot["id"], user["id"])))

    def find():
        with fake_mm.lock:
            dm = [c["id"] for c in fake_mm.channels.values() if c["name"] == name]
        posts = [p for p in fake_mm.posts_with_prop("attachments") if p["channel_id"] in dm]
        return posts[-1] if posts else None

    return wait_for(find)


def _click(shim, post: dict, user: dict, context):
    """The callback Mattermost sends for a click (the shape pinned in test_offer_buttons)."""
    body = {
        "user_id": user["id"],
        "user_name": user["username"],
        "post_id": post["id"],
        "channel_id": post["channel_id"],
        "team_id": "team000000000000000000000",
        "type": "",
        "context": context,
    }
    return shim.http.post(PATH, json=body)


def _records(store) -> dict:
    return {k: v for k, v in dump(store).items() if not k.split("/")[-1].startswith("queue:")}


def _people(shim, users, tid: str) -> str:
    show = shim.slash(f"task show {tid}", users["boss"]).json()["text"]
    return next(line for line in show.splitlines() if line.startswith("- Assigned:"))


def test_the_button_accepts_the_swap_in_one_step(proposed, fake_mm):
    shim, users, store, channel = proposed
    post = _button_post(fake_mm, users["bob"])
    assert post["message"].startswith("###### @ann proposes to swap shifts with you")
    (action,) = post["props"]["attachments"][0]["actions"]
    assert action["name"] == BUTTON and action["integration"]["url"] == PUBLIC + PATH
    context = action["integration"]["context"]
    assert context["task"] == "OPS#0" and context["user"] == users["bob"]["id"]

    before = _records(store)
    forged = [
        {**context, "task": "OPS#1"},
        {**context, "swap": "0" * 16},
        {k: v for k, v in context.items() if k != "sig"},
        {**context, "sig": actions.sign(SECRET, context)},  # signed as a take: another key
        "not an object",
    ]
    for ctx in forged:
        r = _click(shim, post, users["bob"], ctx)
        assert r.status_code == 403, (ctx, r.text)
    r = _click(shim, post, users["cat"], context)  # sent to @bob, clicked by @cat
    assert r.status_code == 403 and r.json()["kind"] == "ForbiddenError"
    assert _records(store) == before

    r = _click(shim, post, users["bob"], context)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["update"]["message"].startswith(
        "Swapped: @bob is now on **OPS#0** and @ann on **OPS#1**."
    )
    assert answer["update"]["props"] == {}  # the button goes
    assert _people(shim, users, "OPS#0") == "- Assigned: @bob"
    assert _people(shim, users, "OPS#1") == "- Assigned: @ann"
    wait_for(lambda: any("accepted the swap" in m for m in fake_mm.dms(users["ann"]["id"])))

    def posted():
        return [t for t in fake_mm.channel_posts(channel["id"]) if "accepted the swap" in t] or None

    (post_text,) = wait_for(posted)
    assert "@bob is now on shift **OPS#0**" in post_text

    # Clicked again: the swap is gone; nothing changes.
    before = _records(store)
    r = _click(shim, post, users["bob"], context)
    assert r.status_code == 200 and "no open swap on OPS#0" in r.json()["ephemeral_text"]
    assert "update" not in r.json()
    assert _records(store) == before


def test_a_cancelled_swaps_button_changes_nothing(proposed, fake_mm):
    shim, users, store, _ = proposed
    post = _button_post(fake_mm, users["bob"])
    context = post["props"]["attachments"][0]["actions"][0]["integration"]["context"]
    text = shim.slash("task swap OPS#0 --cancel", users["ann"]).json()["text"]
    assert "Cancelled the swap" in text, text
    before = _records(store)
    r = _click(shim, post, users["bob"], context)
    assert r.status_code == 200 and "no open swap on OPS#0" in r.json()["ephemeral_text"]
    assert _records(store) == before
    assert _people(shim, users, "OPS#0") == "- Assigned: @ann"


def test_swap_contexts_bind_their_fields():
    good = {"task": "OPS#0", "swap": "ab", "user": "u1", "exp": "4102444800"}
    good["sig"] = sign(SECRET, good)
    from shim.swapbutton import verify

    assert verify(SECRET, good, "u1", 0)["swap"] == "ab"
    with pytest.raises(Exception, match="expired"):
        verify(SECRET, good, "u1", 4102444800)
    with pytest.raises(Exception, match="someone else"):
        verify(SECRET, good, "u2", 0)
