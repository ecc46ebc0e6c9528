"""Publishing shifts ahead keeps both fillers fair (issue 13, not a timing).

A year of weekly shifts (52) for 8 people is run through the autopilot, as a
real rotation is, for seeds 0–9 with shifts filled and scheduled 0, 2, 9 and 12
weeks before they start. Every transition (schedule, start, finish) used to
rewrite ``LastServed`` with *that* shift's end, so starting an earlier shift
wiped the credit of a later one already scheduled: the queue then gave people
shifts back to back (spread 13 at 9 weeks ahead) and the lottery's per-person
spread grew from ~2.5 shifts (0 weeks ahead) to ~9 (12 weeks ahead).

The runs happen at the shifts' starts (and, when filling at the last moment, an
hour before): a shift lasts a minute short of its week so that the run at the
next start finishes it on time, as a run every few minutes would in production.
"""

from __future__ import annotations

import collections
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from tests.lotto.commands.helpers import Script

PEOPLE = ("anna", "ben", "chloe", "dan", "emma", "farah", "gus", "hana")
LEADS = ("anna", "chloe", "farah")
OTHERS = tuple(p for p in PEOPLE if p not in LEADS)
SHIFTS = 52
SEEDS = range(10)
AHEAD_WEEKS = (0, 2, 9, 12)
BEGIN = datetime(2027, 1, 4, 9, tzinfo=UTC)


def _year(kv, filler: str, ahead: int, seed: int) -> list[tuple[str, ...]]:
    """The people on shifts 0..51 when each is filled ``ahead`` weeks before it starts."""
    kv.delete_all()
    s = Script(kv)
    setup = BEGIN - timedelta(weeks=ahead + 3)
    s.run(
        f"rotation new OPS --beginning 2027-01-04T09:00 --period weekly --seed {seed} "
        f"--fill-type {filler}",
        now=setup,
    )
    if filler == "queue":
        s.run("rotation set require OPS --count 1", now=setup)
    else:
        s.run("rotation set require OPS --count 2", now=setup)
        s.run("rotation set require OPS -s lead --count 1", now=setup)
        s.run("user qualify " + " ".join(f"@{u}" for u in LEADS) + " -s lead", now=setup)
    s.run("rotation set task OPS --duration 10079m", now=setup)
    s.run("user join OPS " + " ".join(f"@{u}" for u in PEOPLE), now=setup)
    s.run(
        f"rotation set autopilot OPS --create --create-prior {(ahead + 1) * 7}d2h --schedule "
        f"--schedule-prior {ahead * 7}d2h --start-finish",
        now=setup,
    )
    for week in range(-(ahead + 2), SHIFTS):
        start = BEGIN + timedelta(weeks=week)
        if ahead == 0:  # filled and scheduled just before the start
            s.run("rotation autopilot OPS", now=start - timedelta(hours=1))
        s.run("rotation autopilot OPS", now=start)
    return [tuple(s.run(f"task show OPS#{n}").data.task.mattermost_user_ids) for n in range(SHIFTS)]


def _spread(shifts: list[tuple[str, ...]], people: tuple[str, ...]) -> int:
    served = collections.Counter(u for on in shifts for u in on)
    return max(served[u] for u in people) - min(served[u] for u in people)


@pytest.mark.parametrize("ahead", AHEAD_WEEKS)
def test_queue_published_ahead_never_back_to_back(kv_memory, ahead):
    for seed in SEEDS:
        shifts = _year(kv_memory, "queue", ahead, seed)
        assert all(len(on) == 1 for on in shifts), shifts
        # One person a shift, eight people, nobody away: someone else is always free.
        twice = [n for n in range(1, SHIFTS) if set(shifts[n]) & set(shifts[n - 1])]
        assert twice == [], f"seed {seed}: back to back on shifts {twice}"
        assert _spread(shifts, PEOPLE) <= 1, (seed, collections.Counter(shifts))


def test_lottery_published_ahead_as_fair_as_at_the_last_moment(kv_memory):
    spreads: dict[int, dict[str, float]] = {}
    for ahead in AHEAD_WEEKS:
        leads, others = [], []
        for seed in SEEDS:
            shifts = _year(kv_memory, "solar-lottery", ahead, seed)
            assert all(len(on) == 2 and set(on) & set(LEADS) for on in shifts), (seed, shifts)
            leads.append(_spread(shifts, LEADS))
            others.append(_spread(shifts, OTHERS))
        spreads[ahead] = {"leads": statistics.mean(leads), "others": statistics.mean(others)}
    print("mean per-person spread by weeks ahead:", spreads)
    for ahead in AHEAD_WEEKS[1:]:
        for group in ("leads", "others"):
            assert spreads[ahead][group] <= 1.2 * spreads[0][group], (ahead, group, spreads)
