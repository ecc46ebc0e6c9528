"""Round trips of a command as ``lotto serve`` runs it (issue 15): its unit of work only.

A command reads in prefetch batches and commits; the messages it committed only wake
the outbox worker (``Env(deliver=...)``), which delivers them later, outside the
command. ``scripts/bench`` reports the same figures on Redis.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster

NOW = datetime(2030, 3, 4, 9, tzinfo=UTC)

# (line, round trips): the batch resolving the rotation (with what is known to be
# needed), at most one more batch of what that names, and the commit. A join reads
# the members once someone served (the newcomer starts at their median); a leave
# the open tasks (the leaver's assignments).
BUDGETS = [
    ("user join ICE @cy", 3),
    ("user leave ICE @bob", 3),
    ("rotation show ICE", 2),
    ("task show ICE#0", 2),
    ("task assign ICE#1 @ann", 3),
    ("user show @ann", 2),
]


@pytest.mark.parametrize("line, budget", BUDGETS)
def test_a_command_costs_its_unit_of_work_and_delivers_nothing_itself(kv, line, budget):
    woken: list[str] = []
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster(), deliver=lambda: woken.append(line))
    for setup in (
        "rotation new ICE --beginning 2030-03-04 --period weekly",
        "user join ICE @ann @bob",
        "task new shift ICE --number 0",
        "task new shift ICE --number 1",
        "task assign ICE#0 @bob",
    ):
        assert execute(env, "boss", setup, now=NOW).ok
    woken.clear()
    before = kv.round_trips
    out = execute(env, "boss", line, now=NOW)
    assert out.ok, out.text
    assert kv.round_trips - before <= budget, line
    # Messages committed: the worker is woken once; nothing was delivered in the command.
    assert woken == ([line] if out.notices else [])
    assert env.poster.sent == [] and env.poster.posts == []


def test_the_welcome_of_a_join_is_delivered_by_the_worker_in_one_round(kv):
    env = Env(kv, LocalDirectory("UTC"), RecordingPoster(), deliver=lambda: None)
    assert execute(env, "boss", "rotation new ICE --beginning 2030-03-04", now=NOW).ok
    assert execute(env, "boss", "user join ICE @ann", now=NOW).ok
    before = kv.round_trips
    report = env.deliver_now()
    assert report.sent == 1 and [u for u, _ in env.poster.sent] == ["ann"]
    # lease, route, peek, note the attempt, pop, look again, length, release
    assert kv.round_trips - before <= 9
