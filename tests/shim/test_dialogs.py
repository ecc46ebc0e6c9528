"""The time-off form over real HTTP (issue 17): ``/lotto user unavailable`` alone opens an
interactive dialog through the fake Mattermost (validated against the vendored OpenAPI
file); its signed submission makes the time off through the same operation as the
flags, answers bad fields as dialog field errors, and forged or misdirected
submissions are refused and change nothing."""

from __future__ import annotations

import json
import uuid

import pytest

import kvstore
from shim.dialogs import CALLBACK_ID, PATH, form_state
from tests.lotto.helpers import dump
from tests.shim.conftest import ROOT, SECRET, wait_for

PUBLIC = "https://lotto.example.com/oncall"
TEAM = "team000000000000000000000"


@pytest.fixture
def world(fake_mm, redis_url, start_shim, tmp_path):
    """A shim with a public URL; @bob is on ICE#0 (scheduled, 2030-01-03 for a week)."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = plugin_id = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    users = {
        "boss": fake_mm.add_user("boss", roles="system_user system_admin"),
        **{name: fake_mm.add_user(name, time_zone="Europe/Berlin") for name in ("ann", "bob")},
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
        "user join ICE @ann @bob",
        "task new shift ICE --number 0 --force",
        "task assign ICE#0 @bob",
        "task schedule ICE#0",
    ):
        text = shim.slash(line, users["boss"]).json()["text"]
        assert "Command failed" not in text, text
    store = kvstore.open(redis_url, plugin_id)
    yield shim, users, store
    store.close()


def _submit(shim, user: dict, submission: dict, state: str, **extra):
    """POST what Mattermost sends when ``user`` submits the dialog."""
    body = {
        "type": "dialog_submission",
        "callback_id": CALLBACK_ID,
        "state": state,
        "user_id": user["id"],
        "channel_id": "channel0000000000000000000",
        "team_id": TEAM,
        "submission": submission,
        "cancelled": False,
        **extra,
    }
    return shim.http.post(PATH, json=body)


def _records(store) -> dict:
    return {k: v for k, v in dump(store).items() if not k.split("/")[-1].startswith("queue:")}


def test_the_form_opens_and_its_submission_makes_the_time_off(world, fake_mm):
    shim, users, store = world
    bob = users["bob"]
    reply = shim.slash("user unavailable", bob).json()
    assert "The time-off form is open" in reply["text"]
    (opened,) = fake_mm.dialogs
    assert opened["trigger_id"] == "trigger"  # the slash command's
    assert opened["url"] == PUBLIC + PATH
    dialog = opened["dialog"]
    assert [e["name"] for e in dialog["elements"]] == ["start", "end", "note"]
    assert [e["optional"] for e in dialog["elements"]] == [False, False, True]
    state = dialog["state"]
    # A field Mattermost would show under "start", and nothing changed.
    before = _records(store)
    answer = _submit(shim, bob, {"start": "next tuesday", "end": "2030-01-05"}, state)
    assert answer.status_code == 200
    assert set(answer.json()["errors"]) == {"start"}
    answer = _submit(shim, bob, {"start": "2030-01-05", "end": "2030-01-04"}, state)
    assert answer.json()["errors"] == {"end": "Must be after the start."}
    assert _records(store) == before
    # Right: the same operation as the flags, in bob's zone; his place is offered.
    good = {"start": "2030-01-04T10:00", "end": "2030-01-06", "note": "dentist"}
    answer = _submit(shim, bob, good, state)
    assert answer.status_code == 200 and answer.json() == {}, answer.text
    shifts = shim.slash("user shifts --days 3650", bob).json()["text"]
    assert "Fri 4 Jan 2030 10:00" in shifts, shifts
    shown = shim.slash("task show ICE#0", bob).json()["text"]
    assert "away (time off): dentist" in shown, shown
    confirm = wait_for(lambda: [p for p in fake_mm.ephemeral if p["user_id"] == bob["id"]])
    assert "Marked unavailable: @bob" in confirm[-1]["message"]


def test_forged_expired_or_misdirected_submissions_are_refused(world, fake_mm):
    shim, users, store = world
    bob, ann = users["bob"], users["ann"]
    good = {"start": "2030-01-04", "end": "2030-01-06"}
    before = _records(store)
    import time

    valid = form_state(SECRET, bob["id"], time.time())
    forged = json.dumps({**json.loads(valid), "sig": "0" * 64})
    other_key = form_state("another-secret-0123456789abcdef", bob["id"], time.time())
    expired = form_state(SECRET, bob["id"], time.time() - 2 * 24 * 3600)
    for user, state in ((bob, forged), (bob, other_key), (bob, expired), (ann, valid)):
        assert _submit(shim, user, good, state).status_code == 403
    assert _submit(shim, bob, good, "not json").status_code == 403
    assert _records(store) == before
    # Cancelled: nothing to do.
    assert _submit(shim, bob, good, valid, cancelled=True).json() == {}
    assert _records(store) == before


def test_flags_still_work_and_the_plugin_api_explains_them(world):
    shim, users, _ = world
    bob = users["bob"]
    text = shim.slash(
        "user unavailable --start 2030-01-04 --finish 2030-01-05 --note flu", bob
    ).json()["text"]
    assert "Marked unavailable: @bob" in text
    # With no trigger_id (the HTTP API of the original plugin, the CLI), the flags are named.
    answer = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto user unavailable"},
        headers={"Authorization": f"Bearer {SECRET}", "Mattermost-User-ID": bob["id"]},
    )
    assert "--start TIME --finish TIME" in answer.json()["text"]
