"""Two shim replicas on one Redis: every autopilot tick runs exactly once."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.shim.conftest import SECRET, wait_for

LA = "America/Los_Angeles"
YEAR = str(365 * 24 * 3600)  # an interval so long the timer never fires during a test


def _tick_both(shims, tick, now):
    """Send the same tick to both replicas at once; their answers."""

    def fire(shim):
        r = shim.http.post(
            "/debug/autopilot",
            json={"tick": tick, "now": now},
            headers={"Authorization": f"Bearer {SECRET}"},
        )
        assert r.status_code == 200, r.text
        return r.json()

    with ThreadPoolExecutor(len(shims)) as pool:
        return list(pool.map(fire, shims))


def test_each_tick_runs_once_across_replicas(fake_mm, redis_url, start_shim, plugin_json):
    boss = fake_mm.add_user("test-user", time_zone=LA, roles="system_user system_admin")
    members = [fake_mm.add_user(f"test-user{i}", time_zone=LA) for i in range(1, 9)]
    flags = ("--plugin-json", plugin_json, "--debug-endpoints", "--autopilot-interval", YEAR)
    a = start_shim(fake_mm, redis_url, *flags)
    b = start_shim(fake_mm, redis_url, *flags)
    setup = [
        "rotation new TEST --period biweekly --beginning 2020-01-05T09:30",
        "rotation set task TEST --grace 400h",
        "rotation set require TEST --skill any --count 2",
        "rotation set autopilot TEST --create --create-prior 800h --schedule --schedule-prior 100h "
        "--start-finish --remind-start --remind-start-prior 24h "
        "--remind-finish --remind-finish-prior 24h",
        "user join TEST "
        + " ".join(f"@{m['username']}" for m in members)
        + " --starting 2020-01-01",
    ]
    for line in setup:
        text = a.slash(line, boss).json()["text"]
        assert "Command failed" not in text, text
    # noon in Los Angeles = 20:00 UTC, on 2020-01-01 .. 2020-01-05
    for day in range(1, 6):
        answers = _tick_both([a, b], 1000 + day, f"2020-01-0{day}T20:00:00Z")
        assert sorted(x["ran"] for x in answers) == [False, True], answers
        assert [x["rotations"] for x in answers if x["ran"]] == [1]
        assert [x["reason"] for x in answers if not x["ran"]] == ["taken by another replica"]
        # the same tick again: both find it taken
        assert [x["ran"] for x in _tick_both([a, b], 1000 + day, f"2020-01-0{day}T20:00:00Z")] == [
            False,
            False,
        ]

    def dms_with(marker):
        return [m for u in members for m in fake_mm.dms(u["id"]) if marker in m]

    # TEST#0 scheduled on 01-02, reminded on 01-04, started on 01-05: each once, to its 2 users
    # (a shift is called a shift: issue 8)
    wait_for(lambda: len(dms_with("Your shift **TEST#0** has started")) >= 2)
    assert len(dms_with("scheduled for shift **TEST#0**")) == 2
    assert len(dms_with("Reminder: your shift **TEST#0** starts soon")) == 2
    assert len(dms_with("Your shift **TEST#0** has started")) == 2
    show = a.slash("task show TEST#0", boss).json()["text"]
    assert "started" in show


def test_timer_ticks_run_once_across_replicas(fake_mm, redis_url, start_shim, plugin_json):
    admin = fake_mm.add_user("opsadmin")
    flags = (
        "--plugin-json",
        plugin_json,
        "--autopilot-interval",
        "1",
        "--admin-log-level",
        "debug",
        "--admin-user-ids",
        admin["id"],
    )
    start_shim(fake_mm, redis_url, *flags)
    start_shim(fake_mm, redis_url, *flags)
    pattern = re.compile(r"autopilot tick (\d+) ran")

    def ticks():
        return [int(m.group(1)) for msg in fake_mm.dms(admin["id"]) for m in pattern.finditer(msg)]

    wait_for(lambda: len(set(ticks())) >= 4, timeout=20)
    counts = Counter(ticks())
    assert max(counts.values()) == 1, counts
    assert sum("shim started" in m for m in fake_mm.dms(admin["id"])) == 2
