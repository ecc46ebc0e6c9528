#!/usr/bin/env python3
"""Contention on one rotation: N writer threads run join/qualify/leave through the command layer.

Not run by the tests (tests/reliability runs a bounded form). Prints the commands run, the
conflicts the kvstore retried, the failed commands and p50/p99/max latency, e.g.

    .venv/bin/python scripts/bench_contention.py [--writers 32] [--rounds 20] [--store redis://…]

Without ``--store`` it starts a throw-away ``redis-server`` on a free port. Every writer
names the rotation by an abbreviation half of the time (``CONT`` for ``CONTENDED``).
"""

from __future__ import annotations

import argparse
import os
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

import kvstore
from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster

PLUGIN = "com.mattermost.solar-lottery.bench"
ROTATION = "CONTENDED"


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    """A throw-away redis-server on a free loopback port; (process, URL) once it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (sudo apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    probe = kvstore.open(url, PLUGIN)
    deadline = time.monotonic() + 15
    while not probe.ping():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("redis-server did not start")
        time.sleep(0.02)
    probe.close()
    return proc, url


def run(url: str, writers: int, rounds: int, budget: float | None) -> dict[str, float]:
    """Run the load; return the figures."""
    kv = kvstore.open(url, PLUGIN, retry_budget=budget)
    kv.delete_all()
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    out = execute(env, "boss", f"rotation new {ROTATION} --period weekly --beginning 2020-01-06")
    assert out.ok, out.text
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(writers)

    def writer(w: int) -> None:
        start.wait()
        for r in range(rounds):
            user = f"w{w}u{r % 3}"
            name = ROTATION if (w + r) % 2 else ROTATION[:4]
            for line in (
                f"user join {name} @{user}",
                f"user qualify @{user} --skill web-{1 + r % 4}",
                f"user leave {name} @{user}",
            ):
                t0 = time.perf_counter()
                res = execute(env, "boss", line)
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    if not res.ok:
                        failures.append(res.text)

    conflicts0 = kv.conflicts
    t0 = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    figures = {
        "writers": writers,
        "commands": len(latencies),
        "conflicts_retried": kv.conflicts - conflicts0,
        "failures": len(failures),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
        "commands_per_s": len(latencies) / wall,
    }
    for text in failures[:3]:
        print("failed:", text.splitlines()[0][:200], file=sys.stderr)
    kv.delete_all()
    kv.close()
    return figures


def main() -> int:
    """Parse the options, start Redis if needed, run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a redis:// URL (default: start a throw-away server)")
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=20, help="join/qualify/leave per writer")
    parser.add_argument("--budget", type=float, help="retry budget in seconds (default: kvstore's)")
    args = parser.parse_args()
    proc = None
    with tempfile.TemporaryDirectory() as workdir:
        url = args.store
        if url is None:
            proc, url = start_redis(workdir)
        try:
            figures = run(url, args.writers, args.rounds, args.budget)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    print(
        "writers {writers}  commands {commands}  conflicts retried {conflicts_retried}  "
        "failures {failures}  p50 {p50_ms:.0f} ms  p99 {p99_ms:.0f} ms  max {max_ms:.0f} ms  "
        "{commands_per_s:.0f} commands/s".format(**figures)
    )
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
