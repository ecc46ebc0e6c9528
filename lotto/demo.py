"""``lotto demo``: a year of two rotations on the in-memory store, through ``/lotto`` commands.

- "Ice breaker" (ICE): weekly, two people out of thirty, 30 minutes.
- "SET", the sustaining-engineering rotation of the original's tests: monthly,
  five people with skill requirements and at most one person per team.

Every step is a ``/lotto`` command run through :func:`lotto.commands.execute`,
so the demo exercises exactly what a user would type.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable

from lotto import PLUGIN_ID, api
from lotto.model.task import shift_task_id

__all__ = ["main", "ICE_SETUP", "SET_SETUP", "SET_TEAMS", "ICE_USERS", "run_rotation"]

ICE_USERS = (
    "aaron ada alan alice amir anna ben beth carl chen dana dave eve fay gus hana ivan "
    "jane jorge kim lena liam mia nora omar pia raj sam tara zoe"
).split()

ICE_SETUP = [
    "rotation new ICE --period weekly --beginning 2020-03-05T09:00PST --seed 1",
    "rotation set task ICE --duration 30m",
    "rotation set require ICE --count 2",
    "user join ICE " + " ".join("@" + u for u in ICE_USERS[:15]),
    "user join ICE " + " ".join("@" + u for u in ICE_USERS[15:]),
]

# The SET scenario of the original's tests: skills per person, one team skill each.
SET_TEAMS = {
    "fs1lead": "TEAMFS1,lead-3,server-3,webapp-2",
    "fs1sde2-1": "TEAMFS1,server-2,webapp-2,mobile-1",
    "fs1sde2-2": "TEAMFS1,server-2,webapp-1",
    "fs1sde1-1": "TEAMFS1,webapp-2",
    "fs1sde1-2": "TEAMFS1,server-2,webapp-1",
    "fs2lead": "TEAMFS2,lead-3,server-3,webapp-3",
    "fs2sde2-1": "TEAMFS2,server-3,webapp-2",
    "fs2sde1-1": "TEAMFS2,webapp-2",
    "fs2sde1-2": "TEAMFS2,server-1,webapp-2",
    "fs2sde1-3": "TEAMFS2,server-2,webapp-1",
    "fs3lead": "TEAMFS3,lead-3,server-1,webapp-3,mobile-2",
    "fs3sde2-1": "TEAMFS3,server-3,webapp-2",
    "fs3sde2-2": "TEAMFS3,server-1,webapp-3",
    "fs3sde1-1": "TEAMFS3,webapp-2",
    "fs3sde1-2": "TEAMFS3,server-1,webapp-2",
    "fs3sde1-3": "TEAMFS3,server-1,webapp-1",
    "mobilelead": "TEAMMOBILE,lead-3,webapp-3,mobile-3",
    "mobilesde2-1": "TEAMMOBILE,mobile-3,webapp-2",
    "mobilesde2-2": "TEAMMOBILE,mobile-2,webapp-2",
    "mobilesde1-1": "TEAMMOBILE,mobile-2",
    "perflead": "TEAMPERF,lead-2,server-3,webapp-2",
    "perfsde3-1": "TEAMPERF,server-4",
    "perfsde3-2": "TEAMPERF,server-3,webapp-2",
    "perfsde3-3": "TEAMPERF,webapp-3,mobile-3",
    "perfsde2-1": "TEAMPERF,server-3",
    "perfsde1-1": "TEAMPERF,server-2,webapp-1",
    "srelead": "TEAMSRE,lead-2,server-1,webapp-1,sre-3",
    "sre2-1": "TEAMSRE,sre-3,webapp-1",
    "sre2-2": "TEAMSRE,sre-3,mobile-1",
    "sre1-1": "TEAMSRE,sre-1,server-1",
}

SET_SETUP = [
    "rotation new SET --beginning 2019-01-16 --period monthly",
    "rotation set task SET --grace 300h",
    *(
        f"rotation set require SET -s {s} --count {n}"
        for s, n in (("any", 5), ("webapp", 1), ("server", 1), ("mobile", 1), ("lead", 1))
    ),
    *(
        f"rotation set limit SET -s {s} --count {n}"
        for s, n in (
            ("any", 6),
            ("lead", 1),
            ("TEAMFS1", 1),
            ("TEAMFS2", 1),
            ("TEAMFS3", 1),
            ("TEAMPERF", 1),
            ("TEAMSRE", 1),
            ("TEAMMOBILE", 1),
        )
    ),
    *(f"user qualify @{user} -s {skills}" for user, skills in SET_TEAMS.items()),
    "user join SET " + " ".join("@" + u for u in list(SET_TEAMS)[:15]),
    "user join SET " + " ".join("@" + u for u in list(SET_TEAMS)[15:]),
]


class _CountingPoster:
    """Counts direct messages instead of printing them (a year makes hundreds)."""

    def __init__(self) -> None:
        self.count = 0

    def dm(self, user_id: str, message: str) -> None:
        """Count the message."""
        self.count += 1

    def post(self, channel_id: str, channel_name: str, message: str) -> None:
        """Count the channel post."""
        self.count += 1


def run_rotation(
    env, actor: str, rotation_id: str, shifts: int, out: Callable[[str], None], *, retries: int = 3
) -> collections.Counter:
    """Make, fill and schedule shifts 0..shifts-1; returns how often each user served.

    A fill that cannot meet every requirement (everyone qualified is resting)
    is retried with a new seed, like the original's fairness harness.
    """
    from lotto.commands import execute

    served: collections.Counter = collections.Counter()
    for n in range(shifts):
        task_id = shift_task_id(rotation_id, n)
        # --force: the demo replays dates long past.
        _must(execute(env, actor, f"task new shift {rotation_id} --number {n} --force"))
        for attempt in range(retries + 1):
            filled = execute(env, actor, f"task fill {task_id}")
            if filled.ok:
                break
            if attempt == retries:
                raise SystemExit(f"demo: {task_id}: {filled.text}")
            _must(
                execute(env, actor, f"rotation set fill {rotation_id} --seed {1000 * n + attempt}")
            )
        _must(execute(env, actor, f"task schedule {task_id}"))
        assert isinstance(filled.data, api.TaskAssignResult)  # what `task fill` answers
        task = filled.data.task
        served.update(task.mattermost_user_ids)
        assert task.expected_start is not None  # a shift's start is known when it is made
        start = task.expected_start.strftime("%Y-%m-%d %H:%M")
        out(f"  {task_id:<7} {start} UTC  " + ", ".join("@" + u for u in task.mattermost_user_ids))
    return served


def _must(outcome) -> None:
    if not outcome.ok:
        raise SystemExit(f"demo: {outcome.text}")


def _counts(served: collections.Counter, members: list[str], out: Callable[[str], None]) -> None:
    out("  shifts served per person:")
    ranked = sorted(members, key=lambda u: (-served[u], u))
    width = max(len(u) for u in members) + 1
    for i in range(0, len(ranked), 3):
        out(
            "    "
            + "".join(f"@{u:<{width}} {served[u]:>2}    " for u in ranked[i : i + 3]).rstrip()
        )


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run the demo and print it; returns the exit status."""
    import kvstore
    from lotto.commands import Env, execute
    from lotto.local import LocalDirectory

    if argv:
        usage = (
            "usage: lotto demo\n\nRuns a year of two example rotations (ICE and SET) through "
            "/lotto commands on an in-memory store and prints every shift and how many "
            "shifts each person served. It takes no arguments."
        )
        if argv in (["-h"], ["--help"]):
            out(usage)
            return 0
        print(f"lotto demo: unexpected argument {argv[0]!r}\n\n{usage}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    kv = kvstore.open("memory://lotto-demo", PLUGIN_ID)
    kv.delete_all()
    poster = _CountingPoster()
    env = Env(kv, LocalDirectory("America/Los_Angeles"), poster)
    actor = "demo"
    try:
        out("Ice breaker (ICE): weekly from 2020-03-05 09:00 Pacific, 2 of 30 people, 30 minutes")
        for line in ICE_SETUP:
            _must(execute(env, actor, line))
        ice = run_rotation(env, actor, "ICE", 52, out)
        _counts(ice, ICE_USERS, out)
        out("")
        out(
            "Sustaining engineering (SET): monthly from 2019-01-16, 5 people: a lead, webapp, "
            "server and mobile skills, at most one per team, 12 days 12 h of rest after a shift"
        )
        for line in SET_SETUP:
            _must(execute(env, actor, line))
        set_served = run_rotation(env, actor, "SET", 12, out)
        _counts(set_served, list(SET_TEAMS), out)
    finally:
        kv.delete_all()
        kv.close()
    out("")
    out(
        f"{poster.count} direct messages would have been sent; "
        f"done in {time.perf_counter() - began:.1f}s."
    )
    return 0
