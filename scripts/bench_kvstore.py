#!/usr/bin/env python3
"""Benchmark unit-of-work commits and command latency on memory://, SQLite and Redis.

Usage::

    .venv/bin/python scripts/bench_kvstore.py [STORE ...] [--units N] [--records R]
                                              [--threads T] [--shared] [--commands C]

STORE is ``memory`` (an in-process fakeredis server), ``sqlite`` (a new file in
a temporary directory) or a URL (``redis://127.0.0.1:6379/0``, ``sqlite:///…``);
the default is ``memory sqlite``. For each store it prints one row:

- commits/s: each unit reads R records with one ``get_many``, rewrites every
  one of them and commits (two round trips when nothing conflicts), T threads
  at once; with ``--shared`` all threads update the same records, so conflicts
  and retries show up. Also the median and 99th-percentile time of one unit.
- command latency: C ``/lotto user join`` and C ``rotation show`` commands
  through the command layer (the service, the store, rendering), one at a
  time; their median and 99th-percentile times.

A throwaway plugin id is used and its keys are deleted afterwards. Not part of
the test suite. Absolute times depend on the machine; compare rows of one run,
or runs of one store with ``--vs``-style pairing, never figures across machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kvstore
from kvstore.backends import discard_memory, redact


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(0.99 * (len(ordered) - 1))]


def bench(url: str, *, units: int, records: int, threads: int, shared: bool) -> dict[str, float]:
    """Run ``units`` units per thread on ``url``; return throughput and cost figures."""
    plugin_id = f"bench.kvstore.{uuid.uuid4().hex[:8]}"
    setup = kvstore.open(url, plugin_id)
    attempts_used = [0] * threads
    unit_trips = [0] * threads
    latencies: list[list[float]] = [[] for _ in range(threads)]
    start_line = threading.Barrier(threads + 1)

    def keys_for(worker: int) -> list[str]:
        owner = "shared" if shared else f"w{worker}"
        return [f"user:{owner}-{i}" for i in range(records)]

    def worker(index: int) -> None:
        store = kvstore.open(url, plugin_id)
        keys = keys_for(index)

        def unit(uow: kvstore.UnitOfWork) -> int:
            values = uow.get_many(keys)
            for key, value in values.items():
                count = int(value or b"0")
                uow.set(key, str(count + 1).encode())
            return uow.attempt

        start_line.wait()
        for _ in range(units):
            box: list[kvstore.UnitOfWork] = []

            # box is bound now: the unit runs within this iteration.
            def tracked(uow: kvstore.UnitOfWork, box: list[kvstore.UnitOfWork] = box) -> int:
                box.append(uow)
                return unit(uow)

            began = time.perf_counter()
            attempts_used[index] += store.run(tracked, attempts=1000)
            latencies[index].append(time.perf_counter() - began)
            unit_trips[index] += box[-1].round_trips
        store.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    start_line.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began

    total = units * threads
    expected = total if shared else units
    check = setup.get(keys_for(0)[0])
    assert check == str(expected).encode(), f"lost updates: {check!r} != {expected}"
    setup.delete_all()
    setup.close()
    every = [s for per_thread in latencies for s in per_thread]
    return {
        "units_per_s": total / elapsed,
        "unit_p50_ms": 1000 * statistics.median(every),
        "unit_p99_ms": 1000 * _p99(every),
        "trips_per_unit": sum(unit_trips) / total,
        "attempts_per_unit": sum(attempts_used) / total,
        "seconds": elapsed,
    }


def bench_commands(url: str, *, count: int) -> dict[str, float]:
    """``count`` joins and ``count`` shows of one rotation through the command layer."""
    from lotto.commands import Env, execute
    from lotto.local import LocalDirectory, RecordingPoster

    kv = kvstore.open(url, f"bench.commands.{uuid.uuid4().hex[:8]}")
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    assert execute(env, "boss", "rotation new BENCH --period weekly").ok
    joins: list[float] = []
    shows: list[float] = []
    for i in range(count):
        for line, into in ((f"user join BENCH @u{i}", joins), ("rotation show BENCH", shows)):
            began = time.perf_counter()
            with kv.deadline():
                out = execute(env, "boss", line)
            into.append(time.perf_counter() - began)
            assert out.ok, out.text
    kv.delete_all()
    kv.close()
    return {
        "join_p50_ms": 1000 * statistics.median(joins),
        "join_p99_ms": 1000 * _p99(joins),
        "show_p50_ms": 1000 * statistics.median(shows),
        "show_p99_ms": 1000 * _p99(shows),
    }


def _resolve(store: str, folder: str) -> tuple[str, str]:
    """(label, URL) of a STORE argument."""
    if store == "memory":
        return "memory://", f"memory://bench-{uuid.uuid4().hex}"
    if store == "sqlite":
        return "sqlite (a new file)", f"sqlite://{folder}/bench-{uuid.uuid4().hex[:8]}.db"
    return redact(store), store


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmarks on each store, print one row per store."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "stores", nargs="*", help="memory, sqlite, or store URLs [default: memory sqlite]"
    )
    parser.add_argument("--units", type=int, default=500, help="units of work per thread")
    parser.add_argument("--records", type=int, default=20, help="records read and written per unit")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--shared", action="store_true", help="all threads update the same records")
    parser.add_argument("--commands", type=int, default=50, help="joins and shows to time")
    args = parser.parse_args(argv)
    print(
        f"{args.threads} threads x {args.units} units, {args.records} records each, "
        f"shared={args.shared}; {args.commands} joins and shows one at a time"
    )
    print(
        f"{'store':28} {'commits/s':>10} {'unit p50':>9} {'unit p99':>9} {'trips':>6} "
        f"{'tries':>6} {'join p50':>9} {'join p99':>9} {'show p50':>9} {'show p99':>9}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-kvstore-") as folder:
        for store in args.stores or ["memory", "sqlite"]:
            label, url = _resolve(store, folder)
            units = bench(
                url,
                units=args.units,
                records=args.records,
                threads=args.threads,
                shared=args.shared,
            )
            commands = bench_commands(url, count=args.commands) if args.commands > 0 else {}
            row = f"{label:28} {units['units_per_s']:10.0f} {units['unit_p50_ms']:7.2f}ms"
            row += f" {units['unit_p99_ms']:7.2f}ms {units['trips_per_unit']:6.2f}"
            row += f" {units['attempts_per_unit']:6.2f}"
            for name in ("join_p50_ms", "join_p99_ms", "show_p50_ms", "show_p99_ms"):
                row += f" {commands[name]:7.2f}ms" if name in commands else f" {'-':>9}"
            print(row)
            if url.startswith("memory://"):
                discard_memory(url)
    print("trips: round trips per unit (last attempt); tries: attempts per unit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
