"""Commands resolve @names and render users in directory batches, not one request per user."""

from __future__ import annotations

from datetime import UTC

from lotto.commands import Env, execute
from lotto.local import RecordingPoster
from shim.directory import MattermostDirectory
from shim.mattermost import MattermostClient


def test_joining_and_showing_many_users_are_one_batch_each(fake_mm, kv_memory):
    admin = fake_mm.add_user("lead", roles="system_admin system_user")
    members = [fake_mm.add_user(f"member{i}") for i in range(12)]
    client = MattermostClient(fake_mm.url, fake_mm.bot_token, timeout=2, backoff=0.001)
    try:
        directory = MattermostDirectory(client)
        env = Env(kv_memory, directory, RecordingPoster())
        assert execute(env, admin["id"], "rotation new R --beginning 2020-01-06").ok
        fake_mm.calls.clear()
        joined = execute(
            env, admin["id"], "user join R " + " ".join(f"@{m['username']}" for m in members)
        )
        assert joined.ok, joined.text
        assert not any(c.startswith("GET /api/v4/users/username/") for c in fake_mm.calls)
        assert fake_mm.count("POST /api/v4/users/usernames") == 1

        directory.invalidate()  # a cold cache, as after the profile TTL
        fake_mm.calls.clear()
        # --members: beyond 10 members `rotation show` gives a count by skill (issue 8).
        shown = execute(env, admin["id"], "rotation show R --members")
        assert shown.ok, shown.text
        assert all(f"@{m['username']}" in shown.text for m in members)
        per_user = [
            c for c in fake_mm.calls if any(c == f"GET /api/v4/users/{m['id']}" for m in members)
        ]
        assert per_user == []
        assert fake_mm.count("POST /api/v4/users/ids") == 1
    finally:
        client.close()


def test_the_autopilot_timer_renders_its_reports_and_dms_from_one_batch(fake_mm, kv_memory):
    from datetime import datetime

    from lotto.commands import autopilot_all

    admin = fake_mm.add_user("lead", roles="system_admin system_user")
    members = [fake_mm.add_user(f"crew{i}") for i in range(6)]
    client = MattermostClient(fake_mm.url, fake_mm.bot_token, timeout=2, backoff=0.001)
    try:
        directory = MattermostDirectory(client)
        env = Env(kv_memory, directory, RecordingPoster(), bot_id=admin["id"])
        for line in (
            "rotation new R --beginning 2020-01-06",
            "rotation set require R --count 3",
            # R#0 (01-06) is made on 01-02 and due for filling from 01-03.
            "rotation set autopilot R --create --create-prior 200h --schedule --schedule-prior 72h",
            "user join R " + " ".join(f"@{m['username']}" for m in members),
        ):
            assert execute(env, admin["id"], line, now=datetime(2020, 1, 1, tzinfo=UTC)).ok, line
        assert all(o.ok for o in autopilot_all(env, datetime(2020, 1, 2, tzinfo=UTC)))

        directory.invalidate()
        fake_mm.calls.clear()
        outcomes = autopilot_all(env, datetime(2020, 1, 3, tzinfo=UTC))
        assert all(o.ok for o in outcomes) and "Auto-assigned" in outcomes[0].text
        per_user = [
            c for c in fake_mm.calls if any(c == f"GET /api/v4/users/{m['id']}" for m in members)
        ]
        assert per_user == []
    finally:
        client.close()
