"""Issue 10 finding 4 and the suite's concurrent writers: contention never fails a command.

Many writers run join/leave/qualify on ONE rotation (named by its id or an
abbreviation) against the session's real redis-server, through the command layer
in-process and through a shim process, and from eight processes sharing one SQLite
file. Each writer owns its users, so the final
state of every user follows from that writer's acknowledged commands alone: the
test keeps that bookkeeping and at the end compares it with the store (0 lost
updates), runs ``lotto-store check`` (0 problems), and requires that no command
failed (0 conflicts surfaced). The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import threading
import time
import uuid

import pytest

import kvstore
from lotto import PLUGIN_ID
from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster
from lotto.model import keys
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from lotto.model.user import User
from tests.reliability.support import FULL, check_problems, fresh_plugin, scale
from tests.shim.conftest import ROOT

ROTATION = "CONTENDED"
WAIT = 300


class Book:
    """What the acknowledged commands say the store must hold, per user."""

    def __init__(self) -> None:
        self.member: dict[str, bool] = {}
        self.skills: dict[str, dict[str, int]] = {}
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()

    def record(self, took: float, ok: bool, text: str) -> None:
        with self._lock:
            self.latencies.append(took)
            if not ok:
                self.failures.append(text)

    def figures(self, conflicts: int | None) -> str:
        lat = sorted(self.latencies)
        p99 = lat[int(0.99 * (len(lat) - 1))]
        retried = "" if conflicts is None else f"  conflicts retried {conflicts}"
        return (
            f"commands {len(lat)}{retried}  failures {len(self.failures)}"
            f"  p50 {1000 * statistics.median(lat):.0f} ms  p99 {1000 * p99:.0f} ms"
            f"  max {1000 * lat[-1]:.0f} ms"
        )


def _script(rng: random.Random, writer: int, rounds: int) -> list[tuple[str, str, str, int]]:
    """(verb, user, skill, level) steps of one writer; its users are its own."""
    steps = []
    for _ in range(rounds):
        user = f"w{writer}u{rng.randrange(3)}"
        verb = rng.choice(["join", "join", "leave", "qualify"])
        steps.append((verb, user, rng.choice(["web", "db", "ops"]), rng.randint(1, 4)))
    return steps


def _line(verb: str, user: str, skill: str, level: int, rng: random.Random) -> str:
    name = rng.choice([ROTATION, ROTATION[:4], "TEND", f"--rotation {ROTATION}"])
    if name.startswith("--"):
        return {
            "join": f"user join @{user} {name}",
            "leave": f"user leave @{user} {name}",
        }.get(verb, f"user qualify @{user} --skill {skill}-{level}")
    return {
        "join": f"user join {name} @{user}",
        "leave": f"user leave {name} @{user}",
    }.get(verb, f"user qualify @{user} --skill {skill}-{level}")


def _apply(book: Book, verb: str, user: str, skill: str, level: int) -> None:
    if verb == "qualify":
        book.skills.setdefault(user, {})[skill] = level
    else:
        book.member[user] = verb == "join"


def _run_writers(writers: int, rounds: int, run_one, book: Book, seed: int) -> None:
    start = threading.Barrier(writers, timeout=60)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        rng = random.Random(seed * 1000 + w)
        try:
            start.wait()
            for verb, user, skill, level in _script(rng, w, rounds):
                t0 = time.perf_counter()
                ok, text = run_one(w, user, _line(verb, user, skill, level, rng))
                book.record(time.perf_counter() - t0, ok, text)
                if ok:  # only acknowledged changes count
                    _apply(book, verb, user, skill, level)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert not errors, errors[:3]


def _assert_matches(kv: kvstore.KVStore, book: Book, user_key=lambda u: u) -> None:
    rotation = decode(Rotation, kv.get(keys.rotation(ROTATION)))
    expected = sorted(user_key(u) for u, member in book.member.items() if member)
    assert sorted(rotation.mattermost_user_ids) == expected
    for user, skills in book.skills.items():
        stored = decode(User, kv.get(keys.user(user_key(user))))
        assert stored.skill_levels == skills, user
    assert check_problems(kv) == []


def test_many_writers_in_process_lose_nothing_and_never_fail(redis_url):
    writers, rounds = scale(32, 64), scale(12, 60)
    kv = kvstore.open(redis_url, fresh_plugin())
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    assert execute(env, "boss", f"rotation new {ROTATION} --beginning 2020-01-06").ok
    book = Book()

    def run_one(_w: int, _user: str, line: str) -> tuple[bool, str]:
        out = execute(env, "boss", line)
        return out.ok, out.text

    _run_writers(writers, rounds, run_one, book, seed=1)
    print(f"\nin-process, {writers} writers: {book.figures(kv.conflicts)}")
    assert book.failures == []
    assert kv.conflicts > 0  # the writers really did collide
    _assert_matches(kv, book)
    kv.delete_all()
    kv.close()


@pytest.fixture
def plugin_json(tmp_path):
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.rel-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    return str(path), manifest["id"]


def test_many_users_through_the_shim_lose_nothing_and_never_fail(
    fake_mm,
    redis_url,
    start_shim,
    plugin_json,
):
    writers, rounds = scale(32, 48), scale(6, 40)
    path, plugin_id = plugin_json
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    users = {
        f"w{w}u{k}": fake_mm.add_user(f"w{w}u{k}", roles="system_user system_admin")
        for w in range(writers)
        for k in range(3)
    }
    shim = start_shim(fake_mm, redis_url, "--plugin-json", path, "--autopilot-interval", "0")
    reply = shim.slash(f"rotation new {ROTATION} --beginning 2020-01-06", boss).json()["text"]
    assert "Command failed" not in reply, reply
    book = Book()
    # One HTTP client per writer, made before the clock starts (making one costs CPU).
    clients = [type(shim)(shim.proc, shim.url, shim.log_path) for _ in range(writers)]

    def run_one(w: int, user: str, line: str) -> tuple[bool, str]:
        r = clients[w].slash(line, users[user])
        text = r.json()["text"] if r.status_code == 200 else r.text
        return r.status_code == 200 and "Command failed" not in text, text

    try:
        _run_writers(writers, rounds, run_one, book, seed=2)
    finally:
        for client in clients:
            client.http.close()
    kv = kvstore.open(redis_url, plugin_id)
    print(f"\nthrough the shim, {writers} users: {book.figures(None)}")
    assert book.failures == [], book.failures[:3]
    _assert_matches(kv, book, user_key=lambda u: users[u]["id"])
    kv.delete_all()
    kv.close()


def _process_writer(url: str, writer: int, rounds: int, start, results) -> None:
    """One writer process of the SQLite test: its own store, its own users; reports
    (acknowledged steps, failures, latencies, conflicts retried) on ``results``."""
    kv = kvstore.open(url, PLUGIN_ID)
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    rng = random.Random(3000 + writer)
    acked: list[tuple[str, str, str, int]] = []
    failures: list[str] = []
    latencies: list[float] = []
    start.wait()
    for verb, user, skill, level in _script(rng, writer, rounds):
        t0 = time.perf_counter()
        out = execute(env, "boss", _line(verb, user, skill, level, rng))
        latencies.append(time.perf_counter() - t0)
        if out.ok:
            acked.append((verb, user, skill, level))
        else:
            failures.append(out.text)
    kv.close()
    results.put((acked, failures, latencies, kv.conflicts))


def test_eight_processes_writing_one_rotation_through_sqlite_lose_nothing(tmp_path):
    """Issue 16: several processes share one SQLite file (as `lotto` commands and `lotto
    serve` do): 0 lost updates, 0 failed commands, no "database is locked" anywhere."""
    processes, rounds = 8, scale(40, 200)
    url = f"sqlite://{tmp_path / 'shared.db'}"
    kv = kvstore.open(url, PLUGIN_ID)
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    assert execute(env, "boss", f"rotation new {ROTATION} --beginning 2020-01-06").ok
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(processes + 1, timeout=120), ctx.Queue()
    pool = [
        ctx.Process(target=_process_writer, args=(url, w, rounds, start, results))
        for w in range(processes)
    ]
    for proc in pool:
        proc.start()
    start.wait()
    reports = [results.get(timeout=WAIT) for _ in pool]
    for proc in pool:
        proc.join(timeout=60)
    assert [proc.exitcode for proc in pool] == [0] * processes
    book = Book()
    for acked, failures, latencies, _ in reports:
        book.failures += failures
        book.latencies += latencies
        for step in acked:
            _apply(book, *step)
    conflicts = sum(report[3] for report in reports)
    print(f"\nSQLite, {processes} processes: {book.figures(conflicts)}")
    assert book.failures == [], book.failures[:3]
    assert conflicts > 0  # the processes really did collide
    assert len(book.latencies) == processes * rounds
    _assert_matches(kv, book)
    kv.close()


def test_the_long_form_switch_is_read():
    assert scale(1, 2) == (2 if FULL else 1)


def test_the_shim_retry_budget_is_a_setting_within_the_command_bound():
    from shim.config import load
    from shim.errors import ConfigError

    base = {
        "LOTTO_STORE": "redis://127.0.0.1:6379/0",
        "LOTTO_MATTERMOST_URL": "https://chat.example.com/",
        "LOTTO_BOT_TOKEN": "bot",
        "LOTTO_SLASH_TOKEN": "t" * 26,
    }
    assert load([], base).retry_budget == 2.0
    assert load(["--retry-budget", "0.5"], base).retry_budget == 0.5
    assert load([], {**base, "LOTTO_RETRY_BUDGET": "3"}).retry_budget == 3.0
    for bad in ("5", "-1", "soon"):
        with pytest.raises(ConfigError, match="retry-budget"):
            load(["--retry-budget", bad], base)
