#!/usr/bin/env python3
"""Benchmark unit-of-work commits on memory:// and, if given, a real Redis.

Usage::

    .venv/bin/python scripts/bench_kvstore.py [URL ...] [--units N] [--records R]
                                              [--threads T] [--shared]

Each unit reads R records with one ``get_many``, rewrites every one of them
and commits: two round trips per unit when nothing conflicts. With
``--shared`` all threads update the same records, so conflicts and retries
show up. Always measures ``memory://``; add e.g. ``redis://127.0.0.1:6379/0``.
A throwaway plugin id is used and its keys are deleted afterwards.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kvstore
from kvstore.backends import discard_memory, redact


def bench(url: str, *, units: int, records: int, threads: int, shared: bool) -> dict[str, float]:
    """Run ``units`` units per thread on ``url``; return throughput and cost figures."""
    plugin_id = f"bench.kvstore.{uuid.uuid4().hex[:8]}"
    setup = kvstore.open(url, plugin_id)
    attempts_used = [0] * threads
    unit_trips = [0] * threads
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

            attempts_used[index] += store.run(tracked, attempts=1000)
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
    if url.startswith("memory://"):
        discard_memory(url)
    return {
        "units_per_s": total / elapsed,
        "trips_per_unit": sum(unit_trips) / total,
        "attempts_per_unit": sum(attempts_used) / total,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark on each URL, print one line per URL."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", nargs="*", help="real Redis URLs to measure besides memory://")
    parser.add_argument("--units", type=int, default=500, help="units of work per thread")
    parser.add_argument("--records", type=int, default=20, help="records read and written per unit")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--shared", action="store_true", help="all threads update the same records")
    args = parser.parse_args(argv)
    urls = [f"memory://bench-{uuid.uuid4().hex}", *args.urls]
    print(
        f"{args.threads} threads x {args.units} units, {args.records} records each, "
        f"shared={args.shared}"
    )
    for url in urls:
        r = bench(
            url, units=args.units, records=args.records, threads=args.threads, shared=args.shared
        )
        label = "memory://" if url.startswith("memory://") else redact(url)
        print(
            f"{label:32} {r['units_per_s']:9.0f} commits/s  "
            f"{r['trips_per_unit']:.2f} round trips/unit (last attempt)  "
            f"{r['attempts_per_unit']:.2f} attempts/unit  {r['seconds']:.2f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
