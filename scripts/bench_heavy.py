#!/usr/bin/env python3
"""Another user's light commands while six maximum forecasts run (issue 19's "bounded heavy work").

Not run by the tests. Starts a throw-away ``redis-server``, the fake Mattermost of the
test suite and a real ``lotto serve --workers N``; makes a rotation of 300 members; then
measures a probe user's ``skill list`` / ``task show`` latency (alternating, one at a
time) idle, and while six users keep asking for the largest forecast allowed (52 shifts
× 1,025 samples over 300 members; those told "busy" ask again after a short pause), the
two phases taking turns ``--rounds`` times. Prints p50/p95/max of both phases and the
ratio of the p95s (target ≤ 2×), e.g.

    .venv/bin/python scripts/bench_heavy.py [--workers 2] [--probes 200] [--rounds 10] \
        [--json out.json]

Times depend on the machine; on a shared one say so next to any figure quoted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_contention import start_redis

from lotto.service.forecasting import largest_samples
from shim.pool import BUSY
from tests.shim.fake_mattermost import FakeMattermost

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "benchslashtoken0123456789abcdef"
MEMBERS = 300
SHIFTS = 52
FORECASTERS = 6


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _slash(http: httpx.Client, user: dict, text: str) -> str:
    form = {"token": TOKEN, "team_id": "team000000000000000000000", "user_id": user["id"]}
    r = http.post("/api/v1/slash", data={**form, "command": "/lotto", "text": text})
    r.raise_for_status()
    return str(r.json()["text"])


def _serve(
    fake: FakeMattermost, store: str, workdir: str, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    """``lotto serve`` on a free port; (process, URL) once ``/healthz`` answers 200."""
    port = _port()
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = "com.mattermost.solar-lottery.bench-heavy"
    (Path(workdir) / "plugin.json").write_text(json.dumps(manifest))
    lotto = Path(sys.executable).with_name("lotto")
    cmd = [str(lotto), "serve"] if lotto.exists() else [sys.executable, "-m", "shim"]
    proc = subprocess.Popen(
        [
            *cmd,
            *("--listen", f"127.0.0.1:{port}", "--store", store),
            *("--mattermost-url", fake.url, "--bot-token", fake.bot_token),
            *("--slash-token", TOKEN, "--plugin-json", str(Path(workdir) / "plugin.json")),
            *("--autopilot-interval", "0", "--workers", str(workers)),
            *("--command-timeout", "30", "--heavy-timeout", "120"),
        ],
        cwd=ROOT,
        stderr=open(Path(workdir) / "shim.log", "wb"),
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("lotto serve did not start; see " + str(Path(workdir) / "shim.log"))


def _probe(http: httpx.Client, user: dict, count: int) -> list[float]:
    times = []
    for n in range(count):
        line = "skill list" if n % 2 else "task show F300#0"
        start = time.perf_counter()
        text = _slash(http, user, line)
        times.append((time.perf_counter() - start) * 1000)
        if "Command failed" in text:
            raise SystemExit(f"the probe failed: {text}")
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[int(0.95 * (len(ordered) - 1))],
        "max": ordered[-1],
    }


def main() -> int:
    """Run the benchmark; print the table (and write JSON with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=10, help="idle and loaded phases, taking turns")
    ap.add_argument("--members", type=int, default=MEMBERS)
    ap.add_argument("--shifts", type=int, default=SHIFTS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    members, shifts = args.members, args.shifts
    samples = largest_samples(members, shifts)
    with tempfile.TemporaryDirectory() as workdir:
        redis_proc, store = start_redis(workdir)
        fake = FakeMattermost().start()
        shim = None
        try:
            boss = fake.add_user("boss", roles="system_user system_admin")
            probe = fake.add_user("probe")
            crowd = [fake.add_user(f"f{n}") for n in range(FORECASTERS)]
            names = [fake.add_user(f"m{n:03}")["username"] for n in range(members)]
            shim, url = _serve(fake, store, workdir, args.workers)
            http = httpx.Client(base_url=url, timeout=300)
            for line in (
                "rotation new F300 --beginning 2030-01-07T09:00",
                "user join F300 " + " ".join(f"@{n}" for n in names),
                "task new shift F300 --number 0 --force",
            ):
                if "Command failed" in (text := _slash(http, boss, line)):
                    raise SystemExit(text)
            _probe(http, probe, 10)  # warm: the probe's profile is cached
            go, stop = threading.Event(), threading.Event()
            counts = {"forecasts": 0, "busy": 0, "failed": 0, "in_flight": 0}
            lock = threading.Lock()
            forecast = f"rotation forecast F300 --shifts {shifts} --samples {samples}"

            def forecaster(user: dict) -> None:
                with httpx.Client(base_url=http.base_url, timeout=300) as own:
                    while go.wait() and not stop.is_set():
                        with lock:
                            counts["in_flight"] += 1
                        text = _slash(own, user, forecast)
                        kind = "busy" if BUSY in text else "failed"
                        kind = kind if kind == "busy" or "Command failed" in text else "forecasts"
                        with lock:
                            counts[kind] += 1
                            counts["in_flight"] -= 1
                        if kind == "busy":
                            stop.wait(0.2)  # ask again in a moment, as a person would

            threads = [threading.Thread(target=forecaster, args=(u,)) for u in crowd]
            for t in threads:
                t.start()
            # Idle and loaded phases take turns, so the machine's other load falls on both.
            idle: list[float] = []
            loaded: list[float] = []
            per_round = max(1, args.probes // args.rounds)
            for _ in range(args.rounds):
                go.clear()
                while counts["in_flight"]:  # let the running forecasts answer first
                    time.sleep(0.05)
                idle += _probe(http, probe, per_round)
                go.set()
                while not counts["in_flight"]:
                    time.sleep(0.01)
                time.sleep(0.5)  # the forecasts are under way in the workers
                loaded += _probe(http, probe, per_round)
            stop.set()
            go.set()
            for t in threads:
                t.join()
        finally:
            if shim is not None:
                shim.terminate()
                shim.wait(30)
            fake.stop()
            redis_proc.terminate()
            redis_proc.wait(10)
    a, b = _summary(idle), _summary(loaded)
    ratio = b["p95"] / a["p95"]
    print(f"lotto serve --workers {args.workers}; probe: skill list / task show, one at a time")
    print(f"six clients asking for rotation forecast ({shifts} × {samples}, {members} members)")
    print("| phase | probes | p50 ms | p95 ms | max ms |")
    print("|---|--:|--:|--:|--:|")
    for name, times, s in (("idle", idle, a), ("6 forecasts", loaded, b)):
        print(f"| {name} | {len(times)} | {s['p50']:.1f} | {s['p95']:.1f} | {s['max']:.1f} |")
    print(
        f"p95 ratio loaded/idle: {ratio:.2f}× (target ≤ 2×); forecasts answered "
        f"{counts['forecasts']}, busy answers {counts['busy']}, failed {counts['failed']}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"workers": args.workers, "idle": a, "loaded": b, "ratio": ratio, **counts})
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
