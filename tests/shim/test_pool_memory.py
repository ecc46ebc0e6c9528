"""The shim's memory stays bounded through a 10,000-member rotation's show, stats, calendar
and offer (issue 19's memory bound), measured on a real ``lotto serve`` and its workers.

Measured before: eight shows, stats and calendars of a 10,000-member rotation took the
shim to 3.25 GB. Now the show, stats and calendar of such a rotation are heavy commands,
run in a worker process (replaced when it grows past ``shim.pool.RECYCLE_RSS``), and the
offer asks 20 people.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

import kvstore
from shim.pool import BUSY
from tests.shim.fake_mattermost import make_id
from tests.shim.test_pool import _ok, _pool

MEMBERS = 10_000
BOUND = 500 * 2**20  # bytes
FLAGS = (
    "--autopilot-interval", "0", "--debug-endpoints", "--workers", "1",
    "--command-timeout", "240", "--heavy-timeout", "600", "--cache-ttl", "3600",
)  # fmt: skip


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # a worker replaced meanwhile
        pass
    return 0


def _seed(store: kvstore.KVStore, members: list[str]) -> None:
    """Make every member a member of BIG, as 10,000 joins would (the records only)."""
    rotation = json.loads(store.get("rotation:BIG") or b"{}")
    user = json.loads(store.get(f"user:{members[0]}") or b"{}")
    rotation["MattermostUserIDs"] = members
    records = {f"user:{m}": json.dumps({**user, "MattermostUserID": m}) for m in members}
    records["rotation:BIG"] = json.dumps(rotation)
    store.run(lambda uow: [uow.set(k, v.encode()) for k, v in records.items()])


def test_rss_stays_under_500_mb_through_a_10000_member_rotation(
    fake_mm, redis_url, start_shim, plugin_json
):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    names = [f"m{n:05d}" for n in range(MEMBERS)]
    for name in names:
        fake_mm.add_user(name)
    members = [make_id(n) for n in names]
    shim = start_shim(fake_mm, redis_url, *FLAGS, "--plugin-json", plugin_json)
    # The fake validates 10,000 profiles against the OpenAPI file: slow on a busy machine.
    shim.http.close()
    shim.http = httpx.Client(base_url=shim.url, timeout=600)
    _ok(shim.slash("rotation new BIG --beginning 2030-01-07T09:00", boss))
    _ok(shim.slash(f"user join BIG @{names[0]}", boss))
    _ok(shim.slash("task new shift BIG --number 0 --force", boss))
    _ok(shim.slash(f"task assign BIG#0 @{names[0]}", boss))
    plugin_id = json.loads(open(plugin_json).read())["id"]
    store = kvstore.open(redis_url, plugin_id)
    try:
        _seed(store, members)
    finally:
        store.close()

    peaks: dict[str, int] = {"shim": 0, "workers": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):  # a measurement, not a synchronisation
            peaks["shim"] = max(peaks["shim"], _rss(shim.proc.pid))
            for pid in _pool(shim)["pids"]:
                peaks["workers"] = max(peaks["workers"], _rss(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        assert f"Members ({MEMBERS})" in _ok(shim.slash("rotation show BIG", boss))
        _ok(shim.slash("rotation stats BIG", boss))
        assert "BEGIN:VCALENDAR" in _ok(shim.slash("rotation calendar BIG", boss))
        # Eight members at once, as in the attack: one runs, the others are told it is busy.
        lines = ["rotation show BIG", "rotation stats BIG", "rotation calendar BIG"] * 3
        with ThreadPoolExecutor(8) as ex:
            who = [{"id": m, "username": n} for m, n in zip(members[1:9], names[1:9], strict=True)]
            texts = [r.json()["text"] for r in ex.map(shim.slash, lines[:8], who)]
        assert all("Command failed" not in t or BUSY in t for t in texts), texts
        offer = _ok(shim.slash("task offer BIG#0", {"id": members[0], "username": names[0]}))
        assert "Asked 20 of the" in offer, offer
    finally:
        done.set()
        sampler.join()
    print(
        f"peak RSS: shim {peaks['shim'] / 2**20:.0f} MB, worker {peaks['workers'] / 2**20:.0f} MB"
    )
    assert 0 < peaks["shim"] < BOUND, peaks
    assert 0 < peaks["workers"] < BOUND, peaks
