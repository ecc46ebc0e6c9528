#!/usr/bin/env python3
"""The benchmark table: every figure the README's "Performance" section quotes, in one run.

Run it with ``./scripts/bench`` (or ``.venv/bin/python scripts/bench.py``)::

    ./scripts/bench [--repeat 3] [--only mix,show,...] [--json out.json] [--quick]
                    [--serve-args "--workers 2"] [--clients 32] [--seconds 10]

It starts its own ``redis-server`` on a free loopback port (no persistence) and
a fake Mattermost (answering like the real one, without validating bodies, so
its CPU does not count against the shim), runs each scenario ``--repeat`` times
and prints one table: scenario, figure, min, median, max. Not part of the test
suite (tests guard the mechanisms; figures depend on the machine). On a shared
machine compare two checkouts run side by side (e.g. ``farm-bench --vs``) rather
than quoting one figure. About 5 minutes on 2 cores with the defaults.

Scenarios (``--only`` picks some):

- ``mix``: ``lotto serve`` on that Redis, ``--clients`` threads for ``--seconds``:
  40% ``rotation show X``, 30% ``task show X#1``, 30% ``user join|leave X``;
  commands/s, p99, and the shim's CPU (user + system) per command;
- ``trips``: store round trips of ``user join`` and ``rotation show`` as ``lotto serve``
  runs them, and of the outbox worker delivering the join's message (Redis);
- ``show``: ``rotation show`` of a rotation with 1,000 tasks and 300 members,
  in-process through the command layer, on Redis;
- ``fill``: one fill of a task with 20 need lines among 10,000 users;
- ``flat``: bytes read from and sent to Redis and time of ``rotation show``,
  ``task show`` and ``user join`` at 10 and at 10,000 finished tasks;
- ``forecast``: 52 shifts × 1,000 samples of the demo's SET (30 people) and of a
  300-member rotation, the whole service call;
- ``page``: rendering the rotation page, 300 members × 1,000 tasks;
- ``kvstore``: unit-of-work commits/s on memory://, SQLite and Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import httpx  # noqa: E402
import redis  # noqa: E402

import kvstore  # noqa: E402
from lotto.commands import Env, execute  # noqa: E402
from lotto.local import LocalDirectory, RecordingPoster  # noqa: E402
from lotto.model import keys  # noqa: E402
from lotto.model.index import OpenTasks  # noqa: E402
from lotto.model.rotation import FillSettings, Rotation, TaskSettings  # noqa: E402
from lotto.model.task import Task  # noqa: E402
from lotto.model.user import User  # noqa: E402

Figures = dict[str, float]
NOW = datetime(2031, 6, 2, 12, tzinfo=UTC)
SLASH_TOKEN = "benchslashtoken0123456789a"  # 26 characters, like Mattermost's
SECRET = "bench-secret-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[int(q * (len(ordered) - 1))]


@contextmanager
def own_redis(workdir: Path) -> Iterator[str]:
    """A throw-away ``redis-server`` (no persistence) on a free port: its URL."""
    binary = shutil.which("redis-server")
    if not binary:
        raise SystemExit("redis-server is missing: run ./scripts/test once, or apt-get install it")
    port = _free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    proc = subprocess.Popen(
        [*args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)  # waiting for the server to listen
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


# --- records built directly (the same shapes the service writes) -------------------------


def build_rotation(
    kv: kvstore.KVStore, *, members: int, finished: int, upcoming: int = 0, name: str = "BIG"
) -> list[str]:
    """Write rotation ``name`` with ``members`` people and ``finished`` finished daily
    shifts (two people each) ending before NOW, then ``upcoming`` pending ones; its user ids."""
    from lotto.service.common import run

    rng = random.Random(7)
    ids = [f"u{i:05d}" for i in range(members)]
    begin = NOW - timedelta(days=finished + 1)
    rotation = Rotation(
        rotation_id=name,
        mattermost_user_ids=ids,
        fill_settings=FillSettings(beginning=begin, period="daily", time_zone="Europe/Berlin"),
        task_settings=TaskSettings(seq=finished + upcoming, require={"any": 2}),
        owners=[ids[0]],
    )
    tasks = []
    for n in range(finished + upcoming):
        start = begin + timedelta(days=n)
        done = n < finished
        tasks.append(
            Task(
                task_id=f"{name}#{n}",
                rotation_id=name,
                state="finished" if done else "pending",
                expected_start=start,
                expected_duration=timedelta(days=1),
                actual_start=start if done else None,
                actual_finish=start + timedelta(days=1) if done else None,
                mattermost_user_ids=rng.sample(ids, 2) if done else [],
                require={"any": 2},
            )
        )
    # The layout the service writes: finished tasks as a range of numbers, the open ones
    # listed and in the rotation's open-tasks record.
    rotation.task_ids = [t.task_id for t in tasks[finished:]]
    rotation.finished_numbers = [(0, finished - 1)] if finished else []
    open_tasks = OpenTasks(tasks={t.task_id: [] for t in tasks[finished:]})
    users = {u: User(mattermost_user_id=u, skill_levels={"any": 1}) for u in ids}
    for t in tasks:
        for u in t.mattermost_user_ids:
            last = users[u].last_served.get(name, 0)
            end = int((t.actual_finish or NOW).timestamp())
            users[u].last_served[name] = max(last, end)

    def write_batch(records: list[tuple[str, object]]) -> None:
        def unit(session):
            for key, record in records:
                session.put(key, record)

        run(kv, unit)

    batch: list[tuple[str, object]] = [
        (keys.rotation(name), rotation),
        (keys.open_tasks(name), open_tasks),
    ]
    for record in [*tasks, *users.values()]:
        key = (
            keys.task(record.task_id)
            if isinstance(record, Task)
            else keys.user(record.mattermost_user_id)
        )
        batch.append((key, record))
        if len(batch) >= 500:
            write_batch(batch)
            batch = []
    write_batch(batch)

    def index(session):
        active = session.index(keys.ACTIVE_ROTATIONS)
        if name not in active.ids:
            active.ids.append(name)
            session.save_index(keys.ACTIVE_ROTATIONS, active)

    run(kv, index)
    return ids


def _env(kv: kvstore.KVStore) -> Env:
    return Env(kv, LocalDirectory("UTC"), RecordingPoster())


def _run_ok(env: Env, actor: str, line: str, now: datetime = NOW) -> None:
    with env.kv.deadline():
        out = execute(env, actor, line, now=now)
    if not out.ok:
        raise SystemExit(f"bench command failed: {line}: {out.text[:300]}")


def _timed_ms(fn: Callable[[], object], times: int) -> float:
    """The median of ``times`` runs of ``fn``, in milliseconds."""
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return 1000 * statistics.median(samples)


# --- scenarios -------------------------------------------------------------------------


def scenario_show(ctx: dict) -> Figures:
    """``rotation show`` at 1,000 tasks / 300 members, in-process (the command layer, Redis)."""
    kv = kvstore.open(ctx["redis"], f"bench.show.{random.randrange(10**9)}")
    ids = build_rotation(kv, members=300, finished=940, upcoming=60)
    env = _env(kv)
    show = _timed_ms(lambda: _run_ok(env, ids[0], "rotation show BIG"), 20)
    kv.delete_all()
    kv.close()
    return {"rotation show, 1,000 tasks / 300 members (ms)": show}


def scenario_fill(ctx: dict) -> Figures:
    """One fill of 20 need lines among 10,000 users (the filler alone)."""
    from lotto import fillers

    rng = random.Random(3)
    skills = [f"s{i:02d}" for i in range(20)]
    ids = [f"u{i:05d}" for i in range(10_000)]
    users = {
        u: User(
            mattermost_user_id=u,
            skill_levels={s: rng.randint(1, 4) for s in rng.sample(skills, 3)},
            last_served={"BIG": int((NOW - timedelta(days=rng.randint(1, 400))).timestamp())},
        )
        for u in ids
    }
    rotation = Rotation(rotation_id="BIG", mattermost_user_ids=ids)
    need = {f"{s}-{1 + i % 3}": 1 for i, s in enumerate(skills)}
    task = Task(
        task_id="BIG#1",
        rotation_id="BIG",
        state="pending",
        expected_start=NOW + timedelta(days=1),
        expected_duration=timedelta(days=7),
        require=need,
    )
    fill = _timed_ms(lambda: fillers.fill(rotation, task, users, NOW, random.Random(1)), 10)
    return {"fill 20 need lines from 10,000 users (ms)": fill}


def _redis_bytes(client: redis.Redis) -> tuple[int, int]:
    info = client.info("stats")
    return int(info["total_net_input_bytes"]), int(info["total_net_output_bytes"])


def scenario_flat(ctx: dict) -> Figures:
    """Bytes and time of common commands at 10 and 10,000 finished tasks (Redis)."""
    out: Figures = {}
    client = redis.Redis.from_url(ctx["redis"])
    lines = ("rotation show BIG", "task show BIG#{last}", "user join BIG @{newcomer}")
    per: dict[int, dict[str, tuple[float, float, float]]] = {}
    for finished in (10, ctx["flat_tasks"]):
        plugin = f"bench.flat.{finished}.{random.randrange(10**9)}"
        kv = kvstore.open(ctx["redis"], plugin)
        ids = build_rotation(kv, members=30, finished=finished)
        env = _env(kv)
        per[finished] = {}
        for template in lines:
            sent = read = 0
            times = []
            for i in range(10):
                line = template.format(last=finished - 1, newcomer=f"new{i}")
                before = _redis_bytes(client)
                began = time.perf_counter()
                _run_ok(env, ids[0], line)
                times.append(time.perf_counter() - began)
                after = _redis_bytes(client)
                sent += after[0] - before[0]
                read += after[1] - before[1]
            per[finished][template] = (read / 10, sent / 10, 1000 * statistics.median(times))
        kv.delete_all()
        kv.close()
    big = ctx["flat_tasks"]
    for template in lines:
        name = " ".join(template.split()[:2])
        small, large = per[10][template], per[big][template]
        out[f"{name}: KB read at {big:,} tasks"] = large[0] / 1024
        out[f"{name}: KB sent at {big:,} tasks"] = large[1] / 1024
        out[f"{name}: ms at {big:,} tasks"] = large[2]
        out[f"{name}: bytes read, {big:,} ÷ 10 tasks"] = large[0] / max(small[0], 1)
        out[f"{name}: time, {big:,} ÷ 10 tasks"] = large[2] / max(small[2], 1e-6)
    client.close()
    return out


def scenario_trips(ctx: dict) -> Figures:
    """Store round trips of one ``user join`` and one ``rotation show`` on Redis, as
    ``lotto serve`` runs them (the command's unit of work; committed messages only wake
    the outbox worker), and of delivering the join's welcome (one message) afterwards."""
    kv = kvstore.open(ctx["redis"], f"bench.trips.{random.randrange(10**9)}")
    woken: list[int] = []
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster(), deliver=lambda: woken.append(1))
    _run_ok(env, "boss", "rotation new TRIPS --period weekly")
    out: Figures = {}
    for label, line in (
        ("user join", "user join TRIPS @ann"),
        ("rotation show", "rotation show TRIPS"),
    ):
        before = kv.round_trips
        _run_ok(env, "boss", line)
        out[f"round trips per {label}"] = kv.round_trips - before
        if label == "user join":
            before = kv.round_trips
            env.deliver_now()
            out["round trips delivering its welcome (outbox worker)"] = kv.round_trips - before
    kv.delete_all()
    kv.close()
    return out


def scenario_forecast(ctx: dict) -> Figures:
    """52 × 1,000 forecasts of SET (30 people) and of 300 members (service call)."""
    import bench_forecast

    from lotto import api
    from lotto.demo import SET_SETUP, run_rotation

    out: Figures = {}
    for label, setup, name, members in (
        ("SET, 30 people", SET_SETUP, "SET", 30),
        ("300 members", bench_forecast._big_setup(300), "BIG", 300),
    ):
        kv = kvstore.open(f"memory://bench-fc-{random.random()}", "bench.forecast")
        env = _env(kv)
        setup_time = datetime(2019, 1, 10, tzinfo=UTC)
        for line in setup:
            _run_ok(env, bench_forecast.ACTOR, line, now=setup_time)
        run_rotation(env, bench_forecast.ACTOR, name, 3, lambda _line: None)
        now = (
            setup_time + timedelta(weeks=3) if members == 300 else datetime(2019, 4, 20, tzinfo=UTC)
        )
        req = api.RotationForecastRequest(
            rotation=api.RotationRef(name=name), shifts=52, samples=1000
        )
        began = time.perf_counter()
        env.service.rotation_forecast(req, actor_id=bench_forecast.ACTOR, now=now)
        out[f"forecast 52 × 1,000, {label} (s)"] = time.perf_counter() - began
        kv.delete_all()
        kv.close()
    return out


def scenario_page(ctx: dict) -> Figures:
    """Rendering the rotation page, 300 members × 1,000 tasks."""
    import bench_page

    from shim.page import known_zones
    from shim.page.html import View, render_page

    result = bench_page.build(300, 1000)
    view = View(zone="America/Los_Angeles", mention=lambda u: "@" + u, zones=known_zones())
    render_page(result, view)  # warm caches (zones, imports)
    ms = _timed_ms(lambda: render_page(result, view), 10)
    return {"page render, 300 members × 1,000 tasks (ms)": ms}


def scenario_kvstore(ctx: dict) -> Figures:
    """Unit-of-work commits/s (20 records read and rewritten, 4 threads) per engine."""
    import bench_kvstore

    out: Figures = {}
    for label, url in (
        ("memory://", f"memory://bench-kv-{random.random()}"),
        ("SQLite", f"sqlite://{ctx['tmp']}/bench-{random.randrange(10**9)}.db"),
        ("Redis", ctx["redis"]),
    ):
        figures = bench_kvstore.bench(url, units=150, records=20, threads=4, shared=False)
        out[f"commits/s, {label}"] = figures["units_per_s"]
    return out


def scenario_mix(ctx: dict) -> Figures:
    """``lotto serve`` under the mix from ``--clients`` threads for ``--seconds``."""
    from tests.shim.fake_mattermost import FakeMattermost

    fake = FakeMattermost(None).start()
    fake.post_delay = 0.02
    boss = fake.add_user("boss", roles="system_user system_admin")
    users = [fake.add_user(f"mix{i:02d}") for i in range(ctx["clients"])]
    plugin = tempfile.NamedTemporaryFile("w", suffix=".json", dir=ctx["tmp"], delete=False)
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = f"com.mattermost.solar-lottery.bench-{random.randrange(10**9)}"
    json.dump(manifest, plugin)
    plugin.close()
    port = _free_port()
    lotto = Path(sys.executable).with_name("lotto")
    args = [str(lotto), "serve", "--listen", f"127.0.0.1:{port}", "--store", ctx["redis"]]
    args += ["--mattermost-url", fake.url, "--bot-token", fake.bot_token]
    args += ["--slash-token", SLASH_TOKEN, "--secret", SECRET, "--plugin-json", plugin.name]
    args += ["--autopilot-interval", "0", *shlex.split(ctx["serve_args"])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env["LOTTO_CACHE_TTL"] = "3600"
    log = open(Path(ctx["tmp"]) / f"shim-{port}.log", "wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1000):
            if proc.poll() is not None:
                raise SystemExit(f"lotto serve exited: see {log.name}")
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)  # waiting for the shim to listen
        http = httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=200))

        def slash(text: str, user: dict) -> None:
            form = {
                "channel_id": "channel0000000000000000000",
                "channel_name": "town-square",
                "command": "/lotto",
                "response_url": "http://127.0.0.1:1/hooks/commands/x",
                "team_domain": "team",
                "team_id": "team000000000000000000000",
                "text": text,
                "token": SLASH_TOKEN,
                "trigger_id": "trigger",
                "user_id": user["id"],
                "user_name": user["username"],
            }
            reply = http.post("/api/v1/slash", data=form)
            if reply.status_code != 200 or "Command failed" in reply.text:
                raise SystemExit(f"mix command failed: {text}: {reply.text[:300]}")

        slash("rotation new MIX --beginning 2030-01-07T09:00", boss)
        slash("user join MIX " + " ".join("@" + u["username"] for u in users[:8]), boss)
        slash("task new shift MIX --number 1 --force", boss)
        cpu_before = _cpu_seconds(proc.pid)
        stop = time.monotonic() + ctx["seconds"]
        latencies: list[list[float]] = [[] for _ in users]

        def client(i: int) -> None:
            rng = random.Random(i)
            joined = i < 8
            while time.monotonic() < stop:
                r = rng.random()
                if r < 0.4:
                    line = "rotation show MIX"
                elif r < 0.7:
                    line = "task show MIX#1"
                else:
                    line = (
                        "user leave MIX" if joined else "user join MIX"
                    ) + f" @{users[i]['username']}"
                    joined = not joined
                began = time.perf_counter()
                slash(line, users[i])
                latencies[i].append(time.perf_counter() - began)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(users))]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        cpu = _cpu_seconds(proc.pid) - cpu_before
        every = [s for per in latencies for s in per]
        http.close()
        return {
            "serve mix: commands/s": len(every) / elapsed,
            "serve mix: p50 (ms)": 1000 * statistics.median(every),
            "serve mix: p99 (ms)": 1000 * _p(every, 0.99),
            "serve mix: shim CPU per command (ms)": 1000 * cpu / len(every),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        fake.stop()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children that were waited for (``/proc``)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(c) for c in children.read_text().split()]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


SCENARIOS: dict[str, Callable[[dict], Figures]] = {
    "mix": scenario_mix,
    "trips": scenario_trips,
    "show": scenario_show,
    "fill": scenario_fill,
    "flat": scenario_flat,
    "forecast": scenario_forecast,
    "page": scenario_page,
    "kvstore": scenario_kvstore,
}


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios, print the table, optionally write it as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario")
    parser.add_argument(
        "--only", default="", help="comma-separated scenarios: " + ",".join(SCENARIOS)
    )
    parser.add_argument("--json", help="also write the table to this file")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve-args", default="", help="extra `lotto serve` flags for mix")
    parser.add_argument("--flat-tasks", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1 run, 4 s mix, 1,000 flat tasks")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.seconds, args.flat_tasks = 1, 4.0, 1000
    chosen = [s for s in args.only.split(",") if s] or list(SCENARIOS)
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, own_redis(Path(tmp)) as url:
        ctx = {
            "redis": url,
            "tmp": tmp,
            "clients": args.clients,
            "seconds": args.seconds,
            "serve_args": args.serve_args,
            "flat_tasks": args.flat_tasks,
        }
        for name in chosen:
            began = time.perf_counter()
            for _ in range(args.repeat):
                for figure, value in SCENARIOS[name](ctx).items():
                    rows.setdefault(f"{name}\t{figure}", []).append(value)
            print(f"[{name}: {time.perf_counter() - began:.0f} s]", file=sys.stderr)
    table = [
        {
            "scenario": key.split("\t")[0],
            "figure": key.split("\t")[1],
            "min": min(v),
            "median": statistics.median(v),
            "max": max(v),
            "runs": len(v),
        }
        for key, v in rows.items()
    ]
    width = max(len(r["figure"]) for r in table)
    print(f"| {'scenario':<9} | {'figure':<{width}} | {'min':>9} | {'median':>9} | {'max':>9} |")
    print(f"|{'-' * 11}|{'-' * (width + 2)}|{'-' * 11}|{'-' * 11}|{'-' * 11}|")
    for r in table:
        cells = " | ".join(f"{r[k]:>9.{_digits(r['median'])}f}" for k in ("min", "median", "max"))
        print(f"| {r['scenario']:<9} | {r['figure']:<{width}} | {cells} |")
    if args.json:
        meta = {"when": datetime.now(UTC).isoformat(), "cpus": os.cpu_count(), "args": vars(args)}
        Path(args.json).write_text(json.dumps({"meta": meta, "rows": table}, indent=2))
    return 0


def _digits(value: float) -> int:
    return 0 if value >= 100 else 1 if value >= 10 else 2


if __name__ == "__main__":
    sys.exit(main())
