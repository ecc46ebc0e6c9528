"""The profile cache has a real bound: LRU with a TTL, O(1) per operation (issue 19 item 3).

Before, ``MattermostDirectory._remember`` rebuilt both of its dicts on every insert
once 10,000 profiles were cached and never dropped a live one: 3-4 ms per insert,
and ``rotation show`` on 10,000 members took 9.75 s.
"""

from __future__ import annotations

import json
import time

import pytest

from shim.cache import TTLCache
from shim.directory import MattermostDirectory
from tests.shim.fake_mattermost import make_id


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_bound_is_kept_and_the_least_recently_used_go_first():
    cache: TTLCache[int, str] = TTLCache(3, ttl=60)
    for k in range(3):
        cache.put(k, f"v{k}")
    assert cache.get(0) == "v0"  # 0 is now the most recently used
    cache.put(3, "v3")
    assert len(cache) == 3 and cache.evictions == 1
    assert cache.get(1) is None  # the least recently used went
    assert [cache.get(k) for k in (0, 2, 3)] == ["v0", "v2", "v3"]
    cache.put(2, "new")  # replacing is no growth
    assert len(cache) == 3 and cache.get(2) == "new"


def test_entries_expire_and_expired_ones_are_dropped_without_counting_as_evictions():
    clock = _Clock()
    cache: TTLCache[str, int] = TTLCache(100, ttl=30, clock=clock)
    cache.put("a", 1)
    clock.now = 10
    cache.put("b", 2)
    assert cache.get("a") == 1  # a hit does not extend the entry's life
    clock.now = 30
    assert cache.get("a") is None and cache.get("b") == 2
    clock.now = 45
    cache.put("c", 3)  # "b" (expired at 40) is dropped on the way
    assert len(cache) == 1 and cache.evictions == 0


def test_a_zero_bound_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        TTLCache(0, ttl=1)


class _Users:
    """A Mattermost client stand-in that makes up users and counts what it was asked."""

    def __init__(self) -> None:
        self.fetched = 0

    def users_by_ids(self, ids: list[str]) -> list[dict]:
        self.fetched += len(ids)
        return [{"id": i, "username": f"user-{i}"} for i in ids]


def test_two_hundred_thousand_profiles_through_the_directory_stay_bounded():
    # Quadratic as before (20,000-entry dict copies on each of 190,000 inserts), this
    # would run for hours; O(1) per insert, it takes about a second.
    users = _Users()
    directory = MattermostDirectory(users, ttl=3600, max_entries=10_000)  # type: ignore[arg-type]
    ids = [f"{n:026d}" for n in range(200_000)]
    for start in range(0, len(ids), 1000):
        assert len(directory.by_ids(ids[start : start + 1000])) == 1000
    assert directory.cached_count() == 10_000
    assert users.fetched == 200_000
    directory.by_ids(ids[-10_000:])  # the most recent 10,000 are all still there
    assert users.fetched == 200_000
    directory.by_ids(ids[:1])  # the oldest went long ago
    assert users.fetched == 200_001


def _big_rotation(runtime, first: str, members: list[str]) -> None:
    """A rotation BIG with ``members`` (user ids), written straight into the store: joining
    10,000 people through commands is another issue's subject (bounded fan-out)."""
    boss = runtime.directory.by_username("boss")
    assert runtime.execute(boss.user_id, "rotation new BIG")[0]
    assert runtime.execute(boss.user_id, f"user join BIG @{first}")[0]
    store = runtime.store
    rotation = json.loads(store.get("rotation:BIG"))
    user = json.loads(store.get(f"user:{members[0]}"))
    rotation["MattermostUserIDs"] = members
    records = {f"user:{m}": json.dumps({**user, "MattermostUserID": m}) for m in members}
    records["rotation:BIG"] = json.dumps(rotation)
    store.run(lambda uow: [uow.set(k, v.encode()) for k, v in records.items()])


def test_rotation_show_on_ten_thousand_members_fetches_once_and_stays_bounded(fake_mm, runtime):
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    names = [f"m{n:05d}" for n in range(10_000)]
    for name in names:
        fake_mm.add_user(name)
    members = [make_id(name) for name in names]
    _big_rotation(runtime, names[0], members)
    runtime.directory.invalidate()
    deadline = time.monotonic() + 120  # the fake validates 10,000 profiles against OpenAPI
    ok, text = runtime.execute(boss["id"], "rotation show BIG", deadline)
    assert ok, text
    assert "Members (10000)" in text, text[:500]
    assert fake_mm.count("POST /api/v4/users/ids") == 1  # every member in one request
    # The rotation plus the acting user and the bot are more than the bound: it holds.
    assert runtime.directory.cached_count() == runtime.config.cache_size == 10_000
    ok, _ = runtime.execute(boss["id"], "rotation show BIG", time.monotonic() + 120)
    assert ok
    # Again: only what the bound pushed out is fetched, in one small request.
    assert fake_mm.count("POST /api/v4/users/ids") == 2
