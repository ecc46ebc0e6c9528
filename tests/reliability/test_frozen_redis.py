"""Bounded waits: a frozen Redis (SIGSTOP) never freezes a command, the CLI or ``/healthz``.

Each test freezes a redis-server of its module's own (never the session's
shared one) and always thaws it in a ``finally``. Elapsed times are measured
with the monotonic clock and checked against the configured bounds: a command
answers within ``--command-timeout`` (5 s) with a clean error and changes
nothing, or says that its outcome is unknown; ``/healthz`` answers 503 within
``--health-timeout`` (1 s) even while every command worker thread is stuck.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

import kvstore
from lotto.cli import main as cli
from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster
from tests.reliability.frozen import OwnRedis, own_redis

PLUGIN = "com.mattermost.solar-lottery"
# What a loaded two-core machine may add to a bound (scheduling, HTTP, Python start-up).
SLACK = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    """This module's own redis-server, emptied before each test that uses ``fresh``."""
    with own_redis(str(tmp_path_factory.mktemp("frozen-redis"))) as own:
        yield own


@pytest.fixture
def fresh(server: OwnRedis) -> Iterator[tuple[OwnRedis, redis.Redis]]:
    """The server, empty, and a plain client to look at it with."""
    db = redis.Redis.from_url(server.url)
    db.flushdb()
    yield server, db
    db.client_unpause()
    db.close()


def _snapshot(db: redis.Redis) -> dict[bytes, bytes | None]:
    """Every key with its serialized value (commit markers are transient, left out)."""
    return {k: db.dump(k) for k in sorted(db.keys()) if b"/commit:" not in k}


def test_a_unit_of_work_on_a_frozen_redis_fails_within_its_timeout(fresh):
    server, db = fresh
    kv = kvstore.open(server.url, PLUGIN, timeout=1.0)
    kv.set("a", b"1")
    before = _snapshot(db)
    with server.frozen():
        start = time.monotonic()
        with pytest.raises(kvstore.BackendNoAnswerError) as err:
            kv.run(lambda uow: uow.set("b", uow.get("a")))
        elapsed = time.monotonic() - start
    assert elapsed < 1.0 + SLACK, elapsed
    assert "nothing was written" in str(err.value)
    assert _snapshot(db) == before
    kv.close()


def test_a_commit_that_gets_no_answer_is_reported_as_outcome_unknown(fresh):
    server, db = fresh
    kv = kvstore.open(server.url + "?timeout=1", PLUGIN)  # the URL option
    kv.set("a", b"1")

    def change(uow: kvstore.UnitOfWork) -> None:
        uow.set("b", uow.get("a"))
        # From here Redis answers reads but holds every write: the commit is sent and
        # stays unanswered, as when Redis freezes between the reads and the commit.
        db.client_pause(10_000, all=False)

    start = time.monotonic()
    with pytest.raises(kvstore.BackendOutcomeUnknownError) as err:
        kv.run(change)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0 + SLACK, elapsed
    assert "may or may not have been applied" in str(err.value)
    db.client_unpause()
    kv.close()


def test_the_cli_fails_cleanly_within_the_timeout_and_changes_nothing(fresh, capsys):
    server, db = fresh
    store = ["--store", server.url + "?timeout=2", "--as", "lead"]
    assert cli([*store, "rotation", "new", "ICE"]) == 0
    before = _snapshot(db)
    capsys.readouterr()
    with server.frozen():
        for command in (["rotation", "show", "ICE"], ["rotation", "new", "SET"]):
            start = time.monotonic()
            status = cli([*store, *command])
            elapsed = time.monotonic() - start
            assert status == 1
            assert elapsed < 2.0 + SLACK, (command, elapsed)
            err = capsys.readouterr().err
            assert "did not answer in time; nothing was changed" in err, err
            assert "internal error" not in err and "Traceback" not in err
    assert _snapshot(db) == before


def test_a_command_whose_commit_got_no_answer_says_how_to_look(fresh, monkeypatch):
    server, db = fresh
    kv = kvstore.open(server.url + "?timeout=1", PLUGIN)
    env = Env(kv, LocalDirectory(), RecordingPoster())
    assert execute(env, "lead", "rotation new ICE --task-type ticket").ok
    run_script = kv.backend.eval

    def freeze_then_commit(script: object, *args: object, **kwargs: object) -> object:
        if kwargs.get("op") == "commit":
            # Redis freezes after the command's reads, just as its commit goes out.
            os.kill(server.proc.pid, signal.SIGSTOP)
        return run_script(script, *args, **kwargs)

    monkeypatch.setattr(kv.backend, "eval", freeze_then_commit)
    try:
        start = time.monotonic()
        with kv.deadline():
            outcome = execute(env, "lead", "task new ticket ICE --summary x")
        elapsed = time.monotonic() - start
    finally:
        os.kill(server.proc.pid, signal.SIGCONT)
    assert not outcome.ok
    assert elapsed < 1.0 + SLACK, elapsed
    assert "may or may not have been saved" in outcome.text, outcome.text
    assert "`/lotto task show TASK`" in outcome.text
    kv.close()


def test_the_shim_answers_commands_and_health_probes_within_their_bounds(
    fresh,
    fake_mm,
    start_shim,
):
    server, db = fresh
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    shim = start_shim(fake_mm, server.url, "--autopilot-interval", "0")  # default bounds
    assert "Command failed" not in shim.slash("rotation new ICE", boss).json()["text"]
    shown = shim.slash("rotation show ICE", boss).json()["text"]
    before = _snapshot(db)
    # More commands than the shim has worker threads (2 cores: 6), half of them writes.
    commands = [f"rotation new R{i}" if i % 2 else "rotation show ICE" for i in range(10)]
    replies: dict[int, tuple[float, float, str]] = {}

    def run(i: int) -> None:
        start = time.monotonic()
        r = shim.slash(commands[i], boss)
        replies[i] = (start, time.monotonic(), r.json()["text"] if r.status_code == 200 else "")

    probes: list[tuple[float, float, int, dict]] = []
    with server.frozen():
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
        for t in threads:
            t.start()
        with httpx.Client(base_url=shim.url, timeout=30) as http:
            for _ in range(4):
                start = time.monotonic()
                r = http.get("/healthz")
                probes.append((start, time.monotonic(), r.status_code, r.json()))
        for t in threads:
            t.join(timeout=60)
    durations = {i: end - start for i, (start, end, _) in replies.items()}
    assert len(replies) == len(commands)
    for i, (_, _, text) in replies.items():
        assert "Command failed" in text and "did not answer in time" in text, (commands[i], text)
        assert "internal error" not in text
    assert max(durations.values()) < 5.0, durations
    for start, end, status, body in probes:
        assert status == 503 and body["status"] == "store unreachable", body
        assert end - start < 1.0, end - start
    # The first probe answered while the commands were still waiting for Redis.
    assert probes[0][1] < min(end for _, end, _ in replies.values())
    assert shim.http.get("/healthz").status_code == 200
    assert shim.slash("rotation show ICE", boss).json()["text"] == shown
    assert _snapshot(db) == before
    health = [end - start for start, end, *_ in probes]
    print(
        f"frozen Redis: command answers in {min(durations.values()):.2f}-"
        f"{max(durations.values()):.2f} s, /healthz in {min(health):.3f}-{max(health):.3f} s"
    )
