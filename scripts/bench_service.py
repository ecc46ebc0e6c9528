#!/usr/bin/env python3
"""Time the service on memory:// (or --store URL): fill and autopilot a rotation of
30 users × 100 tasks.

Not run by the tests. Prints seconds and Redis round trips per operation, e.g.

    .venv/bin/python scripts/bench_service.py [--store redis://127.0.0.1:6379/0] \
        [--users 30] [--tasks 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kvstore
from lotto import api
from lotto.local import LocalDirectory
from lotto.service import Service

ACTOR = "bench"


def main() -> int:
    """Build the rotation, then time fills and autopilot runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="memory://bench-service")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=100)
    args = parser.parse_args()

    kv = kvstore.open(args.store, "com.mattermost.solar-lottery.bench")
    kv.delete_all()
    try:
        svc = Service(kv, LocalDirectory("UTC"), seed=1)
        now = datetime(2020, 1, 1, tzinfo=UTC)
        ref = api.RotationRef(name="BENCH")
        users = [f"u{i:03d}" for i in range(args.users)]

        def timed(label: str, fn, repeat: int = 1) -> None:
            start = time.perf_counter()
            for i in range(repeat):
                fn(i)
            elapsed = time.perf_counter() - start
            print(
                f"{label:<40} {elapsed:8.3f}s total  {elapsed / repeat * 1000:8.2f} ms/op"
                f"  last op {svc.stats.round_trips} round trips"
            )

        svc.rotation_new(
            api.RotationNewRequest(name="BENCH", beginning=now, period="daily", time_zone="UTC"),
            actor_id=ACTOR,
            now=now,
        )
        svc.user_qualify(
            api.UserQualifyRequest(user_ids=users[: args.users // 3], skills=[("webapp", 2)]),
            actor_id=ACTOR,
            now=now,
        )
        svc.user_join(api.UserJoinRequest(rotation=ref, user_ids=users), actor_id=ACTOR, now=now)
        svc.rotation_set_require(
            api.RotationSetRequireRequest(rotation=ref, skill="webapp", count=1),
            actor_id=ACTOR,
            now=now,
        )
        svc.rotation_set_require(
            api.RotationSetRequireRequest(rotation=ref, skill="any", level=0, count=3),
            actor_id=ACTOR,
            now=now,
        )
        timed(
            f"task new shift × {args.tasks}",
            lambda n: svc.task_new_shift(
                api.TaskNewShiftRequest(rotation=ref, number=n), actor_id=ACTOR, now=now
            ),
            args.tasks,
        )
        timed(
            f"task fill × {args.tasks}",
            lambda n: svc.task_fill(
                api.TaskFillRequest(task_id=f"BENCH#{n}"), actor_id=ACTOR, now=now
            ),
            args.tasks,
        )
        h = timedelta(hours=1)
        svc.rotation_set_autopilot(
            api.RotationSetAutopilotRequest(
                rotation=ref,
                create=True,
                create_prior=48 * h,
                schedule=True,
                schedule_prior=48 * h,
                start_finish=True,
                remind_start=True,
                remind_start_prior=12 * h,
                remind_finish=True,
                remind_finish_prior=12 * h,
            ),
            actor_id=ACTOR,
            now=now,
        )
        timed(
            "autopilot, every 6h for 25 days",
            lambda i: svc.rotation_autopilot(
                api.RotationAutopilotRequest(rotation=ref), actor_id=ACTOR, now=now + i * 6 * h
            ),
            100,
        )
        timed(
            "rotation show",
            lambda i: svc.rotation_show(
                api.RotationShowRequest(rotation=ref), actor_id=ACTOR, now=now
            ),
            20,
        )
    finally:
        kv.delete_all()  # the bench's own plugin id; commit markers expire by themselves
        kv.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
