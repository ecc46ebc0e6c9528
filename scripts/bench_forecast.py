#!/usr/bin/env python3
"""Time forecasts on the SET rotation of the demo (30 users, skills, limits, 300h grace).

Not run by the tests. Builds SET on memory:// (or --store URL) through ``/lotto``
commands, fills a few shifts so calendars and LastServed have history, then times
the pure simulation and the whole service call, e.g.

    .venv/bin/python scripts/bench_forecast.py [--samples 200] [--shifts 12] [--history 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kvstore
from lotto import api
from lotto.commands import Env, execute
from lotto.demo import SET_SETUP, run_rotation
from lotto.local import LocalDirectory, RecordingPoster
from lotto.service.forecasting import forecast

ACTOR = "bench"


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    """Set SET up, then print the median and worst time of each forecast path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="memory://bench-forecast")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--shifts", type=int, default=12)
    parser.add_argument("--history", type=int, default=3, help="shifts filled before forecasting")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    kv = kvstore.open(args.store, "com.mattermost.solar-lottery.bench")
    kv.delete_all()
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    setup_time = datetime(2019, 1, 10, tzinfo=UTC)
    try:
        for line in SET_SETUP:
            out = execute(env, ACTOR, line, now=setup_time)
            if not out.ok:
                raise SystemExit(f"setup failed: {line}: {out.text}")
        run_rotation(env, ACTOR, "SET", args.history, lambda _line: None)
        now = datetime(2019, 1 + args.history, 20, tzinfo=UTC) if args.history < 12 else setup_time
        svc = env.service
        req = api.RotationForecastRequest(
            rotation=api.RotationRef(name="SET"), shifts=args.shifts, samples=args.samples
        )
        show = svc.rotation_show(
            api.RotationShowRequest(rotation=req.rotation), actor_id=ACTOR, now=now
        )
        pure = _timed(
            lambda: forecast(
                show.rotation,
                show.tasks,
                show.users,
                now,
                random.Random(1),
                shifts=args.shifts,
                samples=args.samples,
            ),
            args.repeat,
        )
        whole = _timed(lambda: svc.rotation_forecast(req, actor_id=ACTOR, now=now), args.repeat)
        result = svc.rotation_forecast(req, actor_id=ACTOR, now=now)
        label = (
            f"S={args.samples} × N={args.shifts}, {len(show.rotation.mattermost_user_ids)} users"
        )
        for name, times in (("pure forecast", pure), ("service rotation_forecast", whole)):
            print(
                f"{name:<28} {label}: median {statistics.median(times) * 1000:7.1f} ms, "
                f"worst {max(times) * 1000:7.1f} ms"
            )
        print(f"round trips of the service call: {svc.stats.round_trips}")
        unfilled = [
            f"{s.task_id} {s.p_insufficient:.0%}"
            for s in result.forecast.shifts
            if s.p_insufficient
        ]
        print("shifts that may not fill: " + (", ".join(unfilled) or "none"))
    finally:
        kv.delete_all()
        kv.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
