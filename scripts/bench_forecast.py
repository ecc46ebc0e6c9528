#!/usr/bin/env python3
"""Time forecasts: the demo's SET rotation (30 users, skills, limits, 300h grace) or a big one.

Not run by the tests. Builds the rotation on memory:// (or --store URL) through
``/lotto`` commands, fills a few shifts so calendars and LastServed have history,
then times the pure simulation and the whole service call. The targets are 52
shifts × 1,000 samples (the defaults) in ≤ 2 s for SET and ≤ 5 s for 300 members:

    .venv/bin/python scripts/bench_forecast.py [--samples 1000] [--shifts 52] [--history 3]
    .venv/bin/python scripts/bench_forecast.py --members 300   # BIG: weekly, 2 a shift

Times depend on the machine; on a shared one compare runs side by side (the same
command on two checkouts, interleaved) rather than quoting one figure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kvstore
from lotto import api
from lotto.commands import Env, execute
from lotto.demo import SET_SETUP, run_rotation
from lotto.local import LocalDirectory, RecordingPoster
from lotto.service.forecasting import forecast

ACTOR = "bench"


def _big_setup(members: int) -> list[str]:
    """BIG: ``members`` people, a third of them with webapp, two a shift, weekly."""
    ids = [f"@big{i:03d}" for i in range(members)]
    return [
        "rotation new BIG --beginning 2019-01-14 --period weekly",
        "rotation set require BIG -s any --count 2",
        *(
            f"user qualify {' '.join(ids[i : i + 50 : 3])} -s webapp-2"
            for i in range(0, members, 50)
        ),
        *(f"user join BIG {' '.join(ids[i : i + 50])}" for i in range(0, members, 50)),
    ]


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
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--shifts", type=int, default=52)
    parser.add_argument(
        "--members", type=int, default=0, help="forecast BIG, N members, instead of SET"
    )
    parser.add_argument("--history", type=int, default=3, help="shifts filled before forecasting")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    kv = kvstore.open(args.store, "com.mattermost.solar-lottery.bench")
    kv.delete_all()
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
    setup_time = datetime(2019, 1, 10, tzinfo=UTC)
    try:
        name = "BIG" if args.members else "SET"
        for line in _big_setup(args.members) if args.members else SET_SETUP:
            out = execute(env, ACTOR, line, now=setup_time)
            if not out.ok:
                raise SystemExit(f"setup failed: {line}: {out.text}")
        run_rotation(env, ACTOR, name, args.history, lambda _line: None)
        now = datetime(2019, 1 + args.history, 20, tzinfo=UTC) if args.history < 12 else setup_time
        if args.members:
            now = setup_time + timedelta(weeks=args.history)
        svc = env.service
        req = api.RotationForecastRequest(
            rotation=api.RotationRef(name=name), shifts=args.shifts, samples=args.samples
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
