"""The "Take this shift" button over real HTTP: ``lotto serve``, the fake Mattermost, Redis.

An offer's direct messages carry a Mattermost interactive message button whose
callback (the shape Mattermost documents for interactive messages, pinned in
``_click`` below) runs ``task take`` as the clicking user. A forged, altered,
misdirected or replayed context is refused with 403 and changes nothing.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

import kvstore
from lotto.model.notice import Notice
from lotto.model.outbox import OutboxMessage
from shim.actions import BUTTON, PATH, context_for, sign, verify
from shim.errors import ForbiddenError
from tests.lotto.helpers import dump
from tests.shim.conftest import ROOT, SECRET, wait_for

PUBLIC = "https://lotto.example.com/oncall"


@pytest.fixture
def offered(fake_mm, redis_url, start_shim, tmp_path):
    """A shim with a public URL; ICE#0 (scheduled) has @bob, who offered his place."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = plugin_id = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        **{name: fake_mm.add_user(name) for name in ("ann", "bob", "cat")},
    }
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
        "rotation new ICE --beginning 2030-01-03T09:00",
        "user join ICE @ann @bob @cat",
        "task new shift ICE --number 0 --force",
        "task assign ICE#0 @bob",
        "task schedule ICE#0",
    ):
        text = shim.slash(line, users["boss"]).json()["text"]
        assert "Command failed" not in text, text
    text = shim.slash("task offer ICE#0", users["bob"]).json()["text"]
    assert "Offered @bob's place on **ICE#0**" in text, text
    store = kvstore.open(redis_url, plugin_id)
    yield shim, users, store
    store.close()


def _button_post(fake_mm, user) -> dict:
    """The offer DM to ``user``, with its button."""

    name = "__".join(sorted((fake_mm.bot["id"], user["id"])))

    def find():
        with fake_mm.lock:
            dm = [c["id"] for c in fake_mm.channels.values() if c["name"] == name]
        posts = [p for p in fake_mm.posts_with_prop("attachments") if p["channel_id"] in dm]
        return posts[-1] if posts else None

    return wait_for(find)


def _click(shim, post: dict, user: dict, context: dict):
    """POST the callback Mattermost sends when ``user`` clicks the button (see shim.actions:
    user_id, post_id, channel_id, team_id and the action's context, as JSON)."""
    action = post["props"]["attachments"][0]["actions"][0]
    assert action["integration"]["url"] == PUBLIC + PATH
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


def test_the_button_takes_the_shift_and_updates_the_message(offered, fake_mm):
    shim, users, store = offered
    post = _button_post(fake_mm, users["ann"])
    assert "@bob offers their place on shift **ICE#0**" in post["message"]
    (action,) = post["props"]["attachments"][0]["actions"]
    assert action["name"] == BUTTON and action["id"] == "take"
    context = action["integration"]["context"]
    assert context["task"] == "ICE#0" and context["user"] == users["ann"]["id"]
    r = _click(shim, post, users["ann"], context)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["update"]["message"].startswith("@ann took @bob's place on **ICE#0**")
    assert answer["update"]["props"] == {}  # the button goes
    show = shim.slash("task show ICE#0", users["boss"]).json()["text"]
    assert "- Assigned: @ann" in show and "Offered" not in show
    wait_for(lambda: any("@ann took your place" in m for m in fake_mm.dms(users["bob"]["id"])))

    # Replayed (the same click again) and @cat's own button: the offer is gone.
    before = _records(store)
    for who, ctx in (("ann", context), ("cat", _context(fake_mm, users["cat"]))):
        r = _click(shim, post, users[who], ctx)
        assert r.status_code == 403, r.text
        assert r.json()["kind"] == "ForbiddenError" and "Traceback" not in r.text
    assert _records(store) == before


def _context(fake_mm, user) -> dict:
    return _button_post(fake_mm, user)["props"]["attachments"][0]["actions"][0]["integration"][
        "context"
    ]


def test_forged_or_misdirected_contexts_are_refused_and_change_nothing(offered, fake_mm):
    shim, users, store = offered
    post = _button_post(fake_mm, users["ann"])
    good = _context(fake_mm, users["ann"])
    before = _records(store)
    forged = [
        {**good, "task": "ICE#1"},  # another task, same signature
        {**good, "sig": good["sig"][:-1] + ("0" if good["sig"][-1] != "0" else "1")},
        {k: v for k, v in good.items() if k != "sig"},
        {**good, "exp": str(int(good["exp"]) + 3600)},
        {"task": "ICE#0"},
        "not an object",
    ]
    for ctx in forged:
        r = _click(shim, post, users["ann"], ctx)
        assert r.status_code == 403, (ctx, r.text)
    # Ann's button clicked by @cat: it was made for ann's message.
    assert _click(shim, post, users["cat"], good).status_code == 403
    assert _records(store) == before
    # A click by someone who does not fit (@bob himself, via a channel-wide context) is
    # answered with the reason and changes nothing.
    channel_wide = {**good, "user": ""}
    channel_wide["sig"] = sign(SECRET, channel_wide)
    r = _click(shim, post, users["bob"], channel_wide)
    assert r.status_code == 200 and "@bob is already on ICE#0" in r.json()["ephemeral_text"]
    assert "update" not in r.json()
    assert _records(store) == before


def test_contexts_expire_and_bind_their_fields():
    from datetime import UTC, datetime

    notice = Notice(
        kind="offer",
        user_id="u" * 26,
        actor_id="b" * 26,
        task_id="ICE#0",
        start=datetime(2030, 1, 3, 9, tzinfo=UTC),
        from_user_id="b" * 26,
        offer_id="abc",
    )
    message = OutboxMessage(message_id="m", created=datetime(2029, 1, 1, tzinfo=UTC), notice=notice)
    ctx = context_for(SECRET, message)
    assert verify(SECRET, ctx, "u" * 26, time.time())["offer"] == "abc"
    with pytest.raises(ForbiddenError, match="expired"):
        verify(SECRET, ctx, "u" * 26, datetime(2030, 1, 3, 9, 1, tzinfo=UTC).timestamp())
    with pytest.raises(ForbiddenError):
        verify("another-secret-0123456789", ctx, "u" * 26, time.time())
    with pytest.raises(ForbiddenError, match="someone else"):
        verify(SECRET, ctx, "x" * 26, time.time())


def test_a_digest_of_offers_has_a_button_for_each_and_a_take_keeps_the_post(
    fake_mm, redis_url, start_shim, tmp_path
):
    """Time off over two shifts is one message to each member who could take them (issue
    19), with one button per place; taking one leaves the post and the other button."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    ann, bob = fake_mm.add_user("ann"), fake_mm.add_user("bob")
    shim = start_shim(
        fake_mm, redis_url, "--plugin-json", str(path), "--autopilot-interval", "0",
        LOTTO_PUBLIC_URL=PUBLIC,
    )  # fmt: skip
    for line in (
        "rotation new ICE --beginning 2030-01-03T09:00",
        "user join ICE @ann @bob",
        "task new shift ICE --number 0 --force",
        "task new shift ICE --number 1 --force",
        "task assign ICE#0 @bob",
        "task assign ICE#1 @bob",
        "task schedule ICE#0",
        "task schedule ICE#1",
    ):
        text = shim.slash(line, boss).json()["text"]
        assert "Command failed" not in text, text
    text = shim.slash("user unavailable --start 2030-01-03 --finish 2030-01-17", bob).json()
    assert "Command failed" not in text["text"], text
    post = _button_post(fake_mm, ann)
    assert post["message"].count("@bob offers their place on shift **ICE#") == 2
    assert len([m for m in fake_mm.dms(ann["id"]) if "offers their place" in m]) == 1
    actions = post["props"]["attachments"][0]["actions"]
    assert [a["name"] for a in actions] == ["Take ICE#0", "Take ICE#1"]
    assert len({a["id"] for a in actions}) == 2
    contexts = [a["integration"]["context"] for a in actions]
    assert [(c["task"], c["keep"]) for c in contexts] == [("ICE#0", "1"), ("ICE#1", "1")]
    # A context without its `keep` (the whole post would be replaced) is not ours.
    dropped = {k: v for k, v in contexts[0].items() if k != "keep"}
    assert _click(shim, post, ann, dropped).status_code == 403
    r = _click(shim, post, ann, contexts[0])
    assert r.status_code == 200, r.text
    assert "update" not in r.json()  # the post keeps its text and the other button
    assert r.json()["ephemeral_text"].startswith("@ann took @bob's place on **ICE#0**")
    assert "- Assigned: @ann" in shim.slash("task show ICE#0", boss).json()["text"]
    assert "Offered: @bob's place" in shim.slash("task show ICE#1", boss).json()["text"]
