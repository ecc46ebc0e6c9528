#!/usr/bin/env python3
"""Time the rendering of a rotation's page: 300 members, 1,000 tasks on the timeline.

Not run by the tests. Builds the service's page result in memory (records made
here, the fairness report by its real builder, a forecast of 6 shifts for every
member), then times ``shim.page.html.render_page`` alone: the target is a median
under 100 ms. Times depend on the machine; on a shared one compare runs with
``farm-bench --vs`` rather than quoting one figure, e.g.

    .venv/bin/python scripts/bench_page.py [--members 300] [--tasks 1000] [--repeat 20]
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

from lotto import api
from lotto.api.forecasts import Forecast, ShiftForecast, UserForecast
from lotto.model.availability import REASON_PERSONAL, Event
from lotto.model.rotation import FillSettings, Rotation
from lotto.model.task import Offer, Task
from lotto.model.user import User
from lotto.service.fairness import rotation_stats
from lotto.service.page import timeline_entries, upcoming_tasks
from shim.page import known_zones
from shim.page.html import View, render_page

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def build(members: int, tasks: int, seed: int = 1) -> api.RotationPageResult:
    """A page result for a rotation of ``members`` with ``tasks`` in the timeline's window."""
    rng = random.Random(seed)
    ids = [f"user{i:03d}" for i in range(members)]
    since, until = (
        NOW - timedelta(days=api.PAGE_PAST_DAYS),
        NOW + timedelta(days=api.PAGE_NEXT_DAYS),
    )
    step = (until - since) / tasks
    rotation = Rotation(
        rotation_id="BIG",
        mattermost_user_ids=ids,
        fill_settings=FillSettings(beginning=since, period="daily", time_zone="Europe/Berlin"),
        owners=[ids[0]],
    )
    users = {
        u: User(
            mattermost_user_id=u,
            skill_levels={"webapp": 1 + i % 4, "server": 1 + (i * 7) % 4},
            last_served={"BIG": int((NOW - timedelta(days=rng.randint(1, 90))).timestamp())},
            calendar=[
                Event(
                    start=NOW + timedelta(days=rng.randint(-20, 70)),
                    finish=NOW + timedelta(days=rng.randint(71, 80)),
                    reason=REASON_PERSONAL,
                )
            ],
        )
        for i, u in enumerate(ids)
    }
    made = []
    for n in range(tasks):
        start = since + n * step
        state = "finished" if start + step < NOW else "started" if start < NOW else "pending"
        if start > NOW + timedelta(days=14):
            state = "pending"
        elif start > NOW:
            state = "scheduled"
        people = rng.sample(ids, 2) if state != "pending" or n % 3 else []
        task = Task(
            task_id=f"BIG#{n}",
            rotation_id="BIG",
            state=state,
            expected_start=start,
            expected_duration=step,
            actual_start=start if state in ("started", "finished") else None,
            actual_finish=start + step if state == "finished" else None,
            mattermost_user_ids=people,
            require={"any": 2},
        )
        if state == "scheduled" and n % 5 == 0:
            task.offers = [Offer(offer_id=f"o{n}", user_id=people[0], offered_at=NOW, note="swap?")]
        made.append(task)
    stats = rotation_stats(
        rotation, made, users, since=NOW - timedelta(days=365), until=NOW, now=NOW
    )
    coming = [t for t in made if t.expected_start and t.expected_start > NOW][:6]
    shifts = [
        ShiftForecast(
            task_id=t.task_id,
            number=int(t.task_id.split("#")[1]),
            start=t.expected_start,
            finish=t.expected_start + step,
            state=t.state,
        )
        for t in coming
        if t.expected_start
    ]
    fc_users = [
        UserForecast(
            user_id=u,
            p_shift=[rng.random() * 2 / members for _ in shifts],
            p_any=rng.random(),
            expected_shifts=rng.random(),
        )
        for u in ids
    ]
    forecast = api.ForecastResult(
        rotation=rotation,
        seed=0,
        forecast=Forecast(rotation_id="BIG", samples=200, shifts=shifts, users=fc_users),
    )
    return api.RotationPageResult(
        rotation=rotation,
        time=NOW,
        since=since,
        until=until,
        current=next((t for t in made if t.state == "started"), None),
        next=coming[0] if coming else None,
        upcoming=upcoming_tasks(made, users, NOW, api.PAGE_UPCOMING),
        tasks=made,
        entries=timeline_entries(rotation, made, users, since, until),
        users=users,
        stats=stats,
        forecast=forecast,
    )


def main() -> int:
    """Print the median and worst time to render the page, and whether it meets the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    res = build(args.members, args.tasks)
    view = View(
        zone="America/Los_Angeles",
        mention=lambda u: "@" + u,
        zones=known_zones(),
        highlight="user007",
        hidden={"by": "user000", "exp": "1900000000", "sig": "0" * 64},
        expires=NOW + timedelta(days=365),
    )
    render_page(res, view)  # warm caches (zones, imports)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        text = render_page(res, view)
        times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1000
    print(
        f"page render, {args.members} members x {args.tasks} tasks: median {median:.1f} ms, "
        f"worst {max(times) * 1000:.1f} ms, {len(text.encode()) / 1024:.0f} KiB "
        f"(target: median < 100 ms)"
    )
    return 0 if median < 100 else 1


if __name__ == "__main__":
    sys.exit(main())
