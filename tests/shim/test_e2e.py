"""End to end: ``python -m shim`` as a subprocess, a real redis-server, the fake Mattermost.

Slash commands are posted form-encoded exactly as Mattermost sends them; the
checks look at the HTTP replies, the DMs the fake server received, and the
records stored in Redis.
"""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from tests.shim.conftest import ROOT, SECRET, SLASH_TOKEN, wait_for

LA = "America/Los_Angeles"


@pytest.fixture
def plugin_json(tmp_path):
    """A plugin.json with a unique id, so each test has its own Redis namespace."""
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    return str(path), manifest["id"]


@pytest.fixture
def world(fake_mm, redis_url, start_shim, plugin_json):
    """Users in the fake Mattermost and one shim serving them."""
    users = {
        "boss": fake_mm.add_user("boss", time_zone=LA, roles="system_user system_admin"),
        "alice": fake_mm.add_user("alice", time_zone=LA, automatic=True),
        "bob": fake_mm.add_user("bob"),
        "carol": fake_mm.add_user("carol", time_zone="Europe/Berlin"),
    }
    path, plugin_id = plugin_json
    shim = start_shim(
        fake_mm,
        redis_url,
        "--plugin-json",
        path,
        "--admin-user-ids",
        users["carol"]["id"],
        "--autopilot-interval",
        "0",
    )
    db = redis.Redis.from_url(redis_url)
    yield shim, users, fake_mm, db, plugin_id
    db.close()


def _stored(db, plugin_id, key):
    raw = db.get(f"{plugin_id}:{key}")
    return None if raw is None else json.loads(raw)


def test_slash_reply_echoes_the_command_and_its_output(world):
    shim, users, *_ = world
    r = shim.slash("info", users["bob"])
    assert r.status_code == 200
    body = r.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("```\n/lotto info\n```\n")
    assert "Solar Lottery" in body["text"]
    assert body["extra_responses"] == []


def test_times_are_read_in_the_users_profile_zone(world):
    shim, users, _, db, plugin_id = world
    r = shim.slash("rotation new TEST --beginning 2020-03-05T09:00", users["boss"])
    assert "Command failed" not in r.json()["text"], r.json()["text"]
    rotation = _stored(db, plugin_id, "rotation:TEST")
    assert rotation["FillSettings"]["Beginning"].startswith("2020-03-05T17:00:00")
    assert rotation["FillSettings"]["TimeZone"] == LA
    # carol is in Berlin: the same wall-clock time is 08:00 UTC
    shim.slash("rotation new EU --beginning 2020-03-05T09:00", users["carol"])
    assert _stored(db, plugin_id, "rotation:EU")["FillSettings"]["Beginning"].startswith(
        "2020-03-05T08:00:00"
    )
    # alice's zone is her automatic one (useAutomaticTimezone)
    r = shim.slash(
        "user unavailable --start 2020-03-05T09:00 --finish 2020-03-06T09:00 --force",
        users["alice"],
    )
    assert "Command failed" not in r.json()["text"], r.json()["text"]
    event = _stored(db, plugin_id, f"user:{users['alice']['id']}")["Calendar"][0]
    assert event["Start"].startswith("2020-03-05T17:00:00") and event["Reason"] == "personal"


def test_wrong_token_is_401_and_nothing_runs(world):
    shim, users, fake, db, plugin_id = world
    before = len(fake.calls)
    r = shim.slash("rotation new SNEAKY", users["boss"], token="not-the-token")
    assert r.status_code == 401
    assert "token" in r.json()["error"]
    r = shim.http.post(
        "/api/v1/slash", data={"user_id": users["boss"]["id"], "text": "rotation new SNEAKY"}
    )
    assert r.status_code == 401
    assert _stored(db, plugin_id, "rotation:SNEAKY") is None
    assert len(fake.calls) == before  # not even a user lookup


def test_non_admin_is_refused_and_admins_by_role_or_setting_are_not(world):
    shim, users, _, db, plugin_id = world
    r = shim.slash("rotation new NOPE", users["bob"])
    assert r.status_code == 200
    assert "Command failed. Error: **" in r.json()["text"]
    assert "admin" in r.json()["text"]
    assert _stored(db, plugin_id, "rotation:NOPE") is None
    for name, rotation in (("carol", "BYSETTING"), ("boss", "BYROLE")):
        r = shim.slash(f"rotation new {rotation}", users[name])
        assert "Command failed" not in r.json()["text"], r.json()["text"]
        assert _stored(db, plugin_id, f"rotation:{rotation}") is not None
    # public and self-service commands work for everyone
    assert "BYROLE" in shim.slash("rotation list", users["bob"]).json()["text"]
    r = shim.slash("user join BYROLE", users["bob"])
    assert "Command failed" not in r.json()["text"], r.json()["text"]
    r = shim.slash(f"user join BYROLE @{users['alice']['username']}", users["bob"])
    assert "Command failed" in r.json()["text"]


def test_direct_messages_reach_the_users(world):
    shim, users, fake, *_ = world
    # Tickets need a ticket rotation (a rotation has shifts or tickets, not both).
    for line in (
        "rotation new HELP --task-type ticket",
        "user join HELP @alice @bob",
        "task new ticket HELP --summary coffee",
        "task assign HELP#1 @alice",
        "task schedule HELP#1",
    ):
        r = shim.slash(line, users["boss"])
        assert "Command failed" not in r.json()["text"], r.json()["text"]
    wait_for(lambda: any("HELP#1" in m for m in fake.dms(users["alice"]["id"])))
    alice = fake.dms(users["alice"]["id"])
    assert any(m.startswith("#### Welcome to rotation **HELP**") for m in alice)
    assert any("scheduled" in m and "HELP#1" in m for m in alice)
    assert not any("HELP#1" in m for m in fake.dms(users["bob"]["id"]))
    assert fake.count("POST /api/v4/posts") == len(fake.posts) >= 3


def test_execute_command_reports_success_as_success(world):
    shim, users, *_ = world
    auth = {"Authorization": f"Bearer {SECRET}", "Mattermost-User-ID": users["boss"]["id"]}
    r = shim.http.post(
        "/api/v1/execute_command", json={"command": "/lotto rotation new API"}, headers=auth
    )
    assert r.status_code == 200, r.text
    assert "Command failed" not in r.json()["text"]
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto rotation new API"},
        headers={**auth, "Mattermost-User-ID": users["bob"]["id"]},
    )
    assert r.status_code == 400
    assert "Command failed" in r.json()["text"]
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto info"},
        headers={"Mattermost-User-ID": users["boss"]["id"]},
    )
    assert r.status_code == 401
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto info"},
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    assert r.status_code == 401


def test_plugin_hooks(world):
    shim, users, *_ = world
    auth = {"Authorization": f"Bearer {SECRET}"}
    r = shim.http.post("/hooks/OnActivate", headers=auth)
    assert r.status_code == 200 and r.json()["ok"] is True
    args = {
        "user_id": users["bob"]["id"],
        "channel_id": "c",
        "team_id": "t",
        "command": "/lotto rotation new HOOK",
    }
    assert (
        "Command failed"
        in shim.http.post("/hooks/ExecuteCommand", json={"args": args}, headers=auth).json()["text"]
    )
    r = shim.http.post(
        "/hooks/OnConfigurationChange",
        headers=auth,
        json={
            "AdminUserIDs": users["bob"]["id"],
            "AdminLogLevel": "none",
            "AdminLogVerbose": False,
        },
    )
    assert r.status_code == 200
    r = shim.http.post("/hooks/ExecuteCommand", json={"args": args}, headers=auth)
    assert r.status_code == 200
    assert r.json()["text"].startswith("```\n/lotto rotation new HOOK\n```\n")
    assert "Command failed" not in r.json()["text"], r.json()["text"]
    r = shim.http.post("/hooks/OnConfigurationChange", headers=auth, json={"AdminLogLevel": "loud"})
    assert r.status_code == 400
    r = shim.http.post(
        "/hooks/OnConfigurationChange", headers=auth, json={"AdminLogLevel": "Warning"}
    )
    assert r.status_code == 200  # spelled as --admin-log-level accepts it
    assert shim.http.post("/hooks/OnActivate").status_code == 401
    r = shim.http.get(
        "/api/v1/authorized", headers={**auth, "Mattermost-User-ID": users["bob"]["id"]}
    )
    assert r.json() == {"is_authorized": True}
    assert shim.http.get("/api/v1/authorized").status_code == 401


HOSTILE = [  # (method, path, httpx kwargs, expected status)
    ("POST", "/api/v1/slash", {"json": {"token": "x"}}, 415),
    (
        "POST",
        "/api/v1/slash",
        {
            "content": b"token=" + b"a" * 200_000,
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        413,
    ),
    (
        "POST",
        "/api/v1/slash",
        {
            "content": b"\xff\xfe=\xff",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        400,
    ),
    (
        "POST",
        "/api/v1/slash",
        {
            "content": "&".join(f"f{i}=1" for i in range(500)).encode(),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        400,
    ),
    (
        "POST",
        "/hooks/ExecuteCommand",
        {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("POST", "/hooks/ExecuteCommand", {"json": [1, 2]}, 400),
    ("POST", "/hooks/ExecuteCommand", {"json": {"args": {"command": "/lotto info"}}}, 400),
    ("POST", "/hooks/ExecuteCommand", {"json": {"args": {"user_id": "u"}}}, 400),
    (
        "POST",
        "/hooks/ExecuteCommand",
        {"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}},
        413,
    ),
    (
        "POST",
        "/hooks/ExecuteCommand",
        {"content": b"[" * 50_000, "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("POST", "/hooks/ExecuteCommand", {"data": {"command": "/lotto info"}}, 415),
    (
        "POST",
        "/api/v1/execute_command",
        {"json": {"text": "info"}, "headers": {"Mattermost-User-ID": "u"}},
        400,
    ),
    (
        "POST",
        "/api/v1/execute_command",
        {"json": {"command": 7}, "headers": {"Mattermost-User-ID": "u"}},
        400,
    ),
    ("POST", "/hooks/OnConfigurationChange", {"json": {"AdminLogVerbose": "yes"}}, 400),
    ("POST", "/debug/autopilot", {"json": {}}, 404),
    ("GET", "/api/v1/slash", {}, 405),
    ("GET", "/nope", {}, 404),
]


def test_hostile_requests_are_rejected_cleanly(world):
    shim, users, *_ = world
    for method, path, kwargs, status in HOSTILE:
        kwargs = dict(kwargs)
        headers = {"Authorization": f"Bearer {SECRET}", **kwargs.pop("headers", {})}
        r = shim.http.request(method, path, headers=headers, **kwargs)
        assert r.status_code == status, (method, path, r.text)
        assert "Traceback" not in r.text and len(r.text) < 500
    # a chunked body (no Content-Length) is capped while it streams
    chunks = (b"text=" + b"a" * 30_000 for _ in range(4))
    r = shim.http.post(
        "/api/v1/slash",
        content=chunks,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert shim.http.get("/healthz").status_code == 200
    assert "Traceback" not in shim.log()


def test_missing_user_id_is_400(world):
    shim, users, *_ = world
    r = shim.http.post("/api/v1/slash", data={"token": SLASH_TOKEN, "text": "info"})
    assert r.status_code == 400 and r.json()["error"] == "missing user_id"


def test_unknown_or_malformed_acting_user_is_refused_and_nothing_runs(world):
    shim, users, fake, db, plugin_id = world
    ghost = {"id": "ghost000000000000000000000", "username": "ghost"}  # well formed, unknown
    r = shim.slash("rotation new GHOST", ghost)
    assert (r.status_code, r.json()["kind"]) == (403, "UnknownUserError")
    gone = fake.add_user("gone", deleted=True, roles="system_user system_admin")
    r = shim.slash("rotation new GHOST", gone)
    assert r.status_code == 403
    auth = {"Authorization": f"Bearer {SECRET}"}
    args = {"user_id": ghost["id"], "command": "/lotto rotation new GHOST"}
    assert (
        shim.http.post("/hooks/ExecuteCommand", json={"args": args}, headers=auth).status_code
        == 403
    )
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto rotation new GHOST"},
        headers={**auth, "Mattermost-User-ID": ghost["id"]},
    )
    assert r.status_code == 403
    before = len(fake.calls)
    for bad in (
        "x" * 5000,
        "../../users/me",
        users["boss"]["id"] + "\x00",
        users["boss"]["id"].upper(),
    ):
        r = shim.slash("rotation new GHOST", {"id": bad, "username": "boss"})
        assert r.status_code == 400 and r.json()["error"] == "malformed user_id", bad
    assert len(fake.calls) == before  # refused before any lookup
    assert _stored(db, plugin_id, "rotation:GHOST") is None
    assert "Traceback" not in shim.log()


def test_admin_log_lines_are_dmed_to_admins(fake_mm, redis_url, start_shim, plugin_json):
    """Admins are the AdminUserIDs and Mattermost's system admins (GET /users?role=system_admin)."""
    admin = fake_mm.add_user("logadmin")
    sysadmin = fake_mm.add_user(
        "sysadmin", roles="system_user system_admin"
    )  # an admin by role only
    start_shim(
        fake_mm,
        redis_url,
        "--plugin-json",
        plugin_json[0],
        "--admin-user-ids",
        admin["id"],
        "--admin-log-level",
        "info",
        "--admin-log-verbose",
        "true",
        "--autopilot-interval",
        "0",
    )
    messages = wait_for(lambda: fake_mm.dms(admin["id"]))
    assert "shim started as bot lottobot" in messages[0]
    assert "- logger: `shim.runtime`" in messages[0]
    assert wait_for(lambda: fake_mm.dms(sysadmin["id"]))[0] == messages[0]


def test_healthz_is_503_when_redis_is_down(fake_mm, start_shim, plugin_json):
    from tests.shim.conftest import free_port

    shim = start_shim(
        fake_mm,
        f"redis://:hunter2@127.0.0.1:{free_port()}/0",
        "--plugin-json",
        plugin_json[0],
        wait_healthy=False,
    )
    r = shim.http.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "store unreachable"
    assert (
        "does not answer yet" in shim.log() and "hunter2" not in shim.log()
    )  # the password is masked


def test_a_mattermost_outage_fails_the_command_cleanly(world):
    shim, users, fake, *_ = world
    fake.fail_next = [503] * 6  # more than the client's retry budget (3 attempts)
    r = shim.slash("rotation list", users["bob"])
    assert r.status_code == 200
    text = r.json()["text"]
    assert "Command failed. Error: **Mattermost did not answer a user lookup" in text
    assert "Traceback" not in text and "Traceback" not in shim.log()
    fake.fail_next = []
    assert "Command failed" not in shim.slash("rotation list", users["bob"]).json()["text"]


def test_control_characters_and_huge_headers_are_refused_and_nothing_changes(world):
    shim, users, fake, db, plugin_id = world
    before = sorted(db.keys(f"{plugin_id}:*"))
    for text in (
        "rotation new A\x00B",
        "rotation new \u202eEVIL",
        "rotation new X\x1b[31m",
        "info\x7f",
    ):
        r = shim.slash(text, users["boss"])
        assert r.status_code == 400, (text, r.text)
        assert "control character" in r.json()["error"] and len(r.text) < 300
    auth = {"Authorization": f"Bearer {SECRET}"}
    args = {"user_id": users["boss"]["id"], "command": "/lotto rotation new \u2066BAD"}
    assert (
        shim.http.post("/hooks/ExecuteCommand", json={"args": args}, headers=auth).status_code
        == 400
    )
    r = shim.http.post(
        "/api/v1/execute_command",
        json={"command": "/lotto rotation new A\x00"},
        headers={**auth, "Mattermost-User-ID": users["boss"]["id"]},
    )
    assert r.status_code == 400
    r = shim.http.get("/healthz", headers={"X-Padding": "a" * 20_000})
    assert r.status_code == 431 and len(r.text) < 200
    r = shim.http.post(
        "/api/v1/slash", data={"token": "x"}, headers={"Authorization": "Token " + "t" * 20_000}
    )
    assert r.status_code == 431
    assert sorted(db.keys(f"{plugin_id}:*")) == before
    # ordinary Unicode is welcome
    r = shim.slash("rotation new Café-☕ --beginning 2020-01-06", users["boss"])
    assert r.status_code == 200 and "Command failed" not in r.json()["text"], r.json()["text"]
    assert "Traceback" not in shim.log()
