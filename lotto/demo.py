"""``lotto demo``: a team's weekly on-call rotation from today, told by its ``/lotto`` commands.

It shows each command a team lead would type and its reply, lets the autopilot
run the rotation for four weeks, prints a few of the direct messages people
received (each in its reader's time zone: @ann in Europe/Berlin, @bob in
America/New_York), jumps a year ahead to show how fair the lottery was, and
ends with what to try next. Every step goes through
:func:`lotto.commands.execute` on a store of its own in memory, so the demo
exercises exactly what a user would type. Given ``--now`` and ``--seed`` it
prints the same every time (the tests pass a fixed now).

The module also keeps the original's SET scenario (:data:`SET_SETUP`,
:func:`run_rotation`), which the tests and benchmarks replay.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime

from lotto import PLUGIN_ID, api
from lotto.model.task import shift_task_id
from lotto.model.timeutil import get_zone

__all__ = ["main", "SET_SETUP", "SET_TEAMS", "TEAM", "ZONES", "run_rotation"]

#: The demo's team; @lead runs the rotation.
TEAM = ("ann", "bob", "cid", "dan", "eve", "fay")
#: Where each reads Mattermost (the rotation itself is on the Berlin clock).
ZONES = {
    "lead": "Europe/Berlin",
    "ann": "Europe/Berlin",
    "bob": "America/New_York",
    "cid": "Europe/Berlin",
    "dan": "America/New_York",
    "eve": "Europe/Berlin",
    "fay": "America/New_York",
}

_SETUP = (
    'rotation new ICE --period weekly --beginning "next monday 09:00" '
    "--timezone Europe/Berlin --seed {seed}",
    "rotation set task ICE --duration 8h",
    "rotation set require ICE --count 2",
    "user join ICE " + " ".join("@" + u for u in TEAM),
    "rotation set autopilot ICE --create --create-prior 2w --schedule --schedule-prior 3d "
    "--remind-start --remind-start-prior 1d --start-finish",
)

_TRY_NEXT = """\
Try it yourself (records kept in a file of your own, see the README's "Try it"):
    source .venv/bin/activate
    lotto rotation new MINE --period weekly --beginning "next monday 09:00"
    lotto user join MINE @me @you
    lotto rotation show MINE
Then `lotto help` lists every command; the README's "For people on call" shows
swaps, time off and who is on call now, and "Deploy with Mattermost" the set-up
for your team."""

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


class _Demo:
    """One run of the demo: the store, the team's directory, and what was sent."""

    def __init__(self, out: Callable[[str], None]) -> None:
        import kvstore
        from lotto.commands import Env
        from lotto.local import LocalDirectory, RecordingPoster

        self.out = out
        self.kv = kvstore.open("memory://lotto-demo", PLUGIN_ID)
        self.kv.delete_all()
        self.poster = RecordingPoster()
        self.env = Env(self.kv, LocalDirectory("Europe/Berlin", zones=ZONES), self.poster)
        #: Every direct message, in order: (reader, text).
        self.sent: list[tuple[str, str]] = []
        self.count = 0  # commands run

    def run(self, line: str, now: datetime, *, show: bool = True, actor: str = "lead"):
        """Run ``line`` as ``actor`` at ``now``; print it and its reply when ``show``."""
        from lotto.commands import execute

        outcome = execute(self.env, actor, line, now=now)
        self.count += 1
        if not outcome.ok:
            raise SystemExit(f"demo: /lotto {line}: {outcome.text}")
        self.sent += [(who[1:], text) for who, text in self.poster.in_order if who[0] == "@"]
        self.poster.reset()
        if show:
            who = "" if actor == "lead" else f"  (typed by @{actor})"
            self.out(f"  /lotto {line}{who}")
            self.out(_indent(outcome.text, "    "))
        return outcome

    def first(self, reader: str, heading: str) -> str | None:
        """The first message ``reader`` received whose first line contains ``heading``."""
        for who, text in self.sent:
            if who == reader and heading in text.split("\n", 1)[0]:
                return text
        return None

    def close(self) -> None:
        """Forget the demo's records."""
        self.kv.delete_all()
        self.kv.close()


def _ticks(now: datetime, days: int) -> list[datetime]:
    """09:00 and 17:01 on the Berlin clock for ``days`` days after ``now``: when shifts
    start, and the first minute after they end (finishing is due once the end has passed)."""
    from lotto.model.timeutil import localize

    zone = "Europe/Berlin"
    today = now.astimezone(get_zone(zone)).date()
    ticks = [
        localize(datetime.combine(today + timedelta(days=d), clock), zone)
        for d in range(days + 1)
        for clock in (dtime(9, 0), dtime(17, 1))
    ]
    return [t for t in ticks if now < t <= now + timedelta(days=days)]


def _is_start(at: datetime) -> bool:
    """Whether ``at`` is a Monday 09:00 on the Berlin clock (when a shift starts)."""
    local = at.astimezone(get_zone("Europe/Berlin"))
    return local.weekday() == 0 and local.hour == 9


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else "" for line in text.rstrip("\n").split("\n"))


def _usage() -> str:
    return (
        "usage: lotto demo [--now TIME] [--seed N]\n\n"
        "Shows a team's weekly on-call rotation from today through the /lotto commands "
        "that run it: the set-up, four weeks of the autopilot, a few of the direct messages "
        "people get (in Berlin and in New York), and a year later how fair it was. Runs on a "
        "store of its own in memory. --now TIME (RFC 3339, e.g. 2026-01-07T10:00:00Z) "
        "starts it at another time, --seed N draws another lottery (default 1)."
    )


def _options(argv: list[str]) -> tuple[datetime | None, int] | str:
    """``(now, seed)`` from ``argv``, or the problem with it."""
    now: datetime | None = None
    seed = 1
    rest = list(argv)
    while rest:
        flag = rest.pop(0)
        if flag not in ("--now", "--seed") or not rest:
            return f"unexpected argument {flag!r}"
        value = rest.pop(0)
        try:
            if flag == "--seed":
                seed = int(value)
            else:
                now = datetime.fromisoformat(value)
                now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        except ValueError:
            return f"bad value {value!r} for {flag}"
    return now, seed


def main(
    argv: list[str] | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """Run the demo and print it; returns the exit status."""
    if argv in (["-h"], ["--help"]):
        out(_usage())
        return 0
    options = _options(argv or [])
    if isinstance(options, str):
        print(f"lotto demo: {options}\n\n{_usage()}", file=sys.stderr)
        return 2
    began = time.perf_counter()
    now, seed = options
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    demo = _Demo(out)
    try:
        _tell(demo, now, seed)
    finally:
        demo.close()
    out("")
    out(_TRY_NEXT)
    out(f"(The demo ran {demo.count} commands in {time.perf_counter() - began:.1f} s.)")
    return 0


def _tell(demo: _Demo, now: datetime, seed: int) -> None:
    out = demo.out
    today = now.astimezone(get_zone("Europe/Berlin")).strftime("%a %-d %b %Y")
    out(f"Solar Lottery demo: a team of six shares a weekly on-call shift, from today ({today}).")
    out("Each step is a /lotto command as @lead would type it in Mattermost, with its reply;")
    out("@ann reads Mattermost in Europe/Berlin, @bob in America/New_York.")
    out("")
    out("1. @lead sets up the rotation: weekly from next Monday 09:00 Berlin time, 8 hours,")
    out("   two people a shift, and the autopilot to create, fill, remind, start and finish.")
    for line in _SETUP:
        demo.run(line.format(seed=seed), now)
    out("")
    out("2. The autopilot runs it: in Mattermost every minute; here at 09:00 and 17:01 Berlin time")
    out("   every day, when shifts start and just after they end. Its first run, now:")
    demo.run("rotation autopilot ICE", now)
    ticks = _ticks(now, 366)
    # Four weeks on, the Monday morning a shift has just started.
    during = [t for t in ticks if t < now + timedelta(days=28) and _is_start(t)][-1]
    month = [t for t in ticks if t <= during]
    for tick in month:
        demo.run("rotation autopilot ICE", tick, show=False)
    out(f"   ... and {len(month)} more runs over four weeks. An hour into a shift, @bob asks")
    out("   who is on call, on his own clock:")
    demo.run("rotation now ICE", during + timedelta(hours=1), actor="bob")
    out("   and how likely he is to serve in the next four shifts:")
    demo.run("user forecast ICE --shifts 4", during + timedelta(hours=1), actor="bob")
    out("")
    out(
        f"3. What people received: {len(demo.sent)} direct messages in all. "
        "A few of them, each in its reader's zone:"
    )
    for reader, heading in (
        ("ann", "Welcome"),
        ("ann", "You have been scheduled"),
        ("bob", "You have been scheduled"),
        ("bob", "starts soon"),
    ):
        text = demo.first(reader, heading)
        if text is not None:
            out(f"  DM to @{reader} ({ZONES[reader]}):")
            out(_indent(text, "    "))
    out("")
    out("4. A year on (the autopilot kept running every day): how fair has the lottery been?")
    for tick in ticks[len(month) :]:
        demo.run("rotation autopilot ICE", tick, show=False)
    demo.run("rotation stats ICE", ticks[-1] + timedelta(hours=1))
