"""``lotto demo`` teaches (issue 16): the ``/lotto`` commands it runs, the messages people get
in their own zones, dates from today, and what to try next; the same output for the same now
and seed."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from lotto.demo import main

ROOT = Path(__file__).parents[2]
WINTER = "2026-12-04T10:00:00Z"  # a Friday; the rotation begins on Monday the 7th
SUMMER = "2027-06-02T10:00:00Z"  # a Wednesday, in daylight-saving time on both sides


def _demo(*argv: str) -> str:
    lines: list[str] = []
    assert main(list(argv), out=lines.append) == 0
    return "\n".join(lines)


def _without_timing(text: str) -> str:
    return re.sub(r"commands in [0-9.]+ s", "commands in … s", text)


def test_the_demo_shows_the_commands_it_runs_and_their_replies():
    out = _demo("--now", WINTER)
    assert out.startswith(
        "Solar Lottery demo: a team of six shares a weekly on-call shift, from today "
        "(Fri 4 Dec 2026)."
    )
    for command in (
        '/lotto rotation new ICE --period weekly --beginning "next monday 09:00" '
        "--timezone Europe/Berlin --seed 1",
        "/lotto rotation set require ICE --count 2",
        "/lotto user join ICE @ann @bob @cid @dan @eve @fay",
        "/lotto rotation set autopilot ICE --create",
        "/lotto rotation autopilot ICE",
        "/lotto rotation now ICE  (typed by @bob)",
        "/lotto user forecast ICE --shifts 4  (typed by @bob)",
        "/lotto rotation stats ICE",
    ):
        assert command in out, command
    # Each command is followed by its reply, indented.
    assert (
        "Created rotation **ICE**: shifts weekly from Mon 7 Dec 2026 09:00 CET on the "
        "Europe/Berlin clock." in out
    )
    assert "    @lead ran autopilot on ICE for Fri 4 Dec 2026 11:00 CET." in out
    # @bob's own replies are on his clock.
    assert "#### On call in ICE at Mon 28 Dec 2026 04:00 (times in America/New_York)" in out


def test_messages_are_shown_for_two_readers_in_their_own_zones():
    out = _demo("--now", WINTER)
    ann = re.search(
        r"DM to @ann \(Europe/Berlin\):\n    ###### You have been scheduled.*\n(.*)", out
    )
    bob = re.search(
        r"DM to @bob \(America/New_York\):\n    ###### You have been scheduled.*\n(.*)", out
    )
    assert ann and bob, out
    # The same 09:00-17:00 Berlin shift: CET for @ann, 03:00-11:00 EST for @bob.
    assert "09:00 CET to" in ann.group(1) and "17:00 CET." in ann.group(1)
    assert "03:00 EST to" in bob.group(1) and "11:00 EST." in bob.group(1)
    assert "DM to @bob (America/New_York):\n    ###### Reminder: your shift" in out
    assert re.search(r"What people received: \d+ direct messages in all", out)


def test_dates_start_from_the_given_now():
    out = _demo("--now", SUMMER)
    assert "from today (Wed 2 Jun 2027)" in out
    assert "shifts weekly from Mon 7 Jun 2027 09:00 CEST" in out
    assert "EDT to" in out and not re.search(r"\bEST\b", out)
    assert "2026" not in out and "2019" not in out and "2020" not in out


def test_a_year_later_the_fairness_report_covers_every_member():
    out = _demo("--now", WINTER)
    stats = out[out.index("/lotto rotation stats ICE") :]
    assert re.search(r"\n    (\d+) shifts served", stats)
    served = [int(n) for n in re.findall(r"^    \| @\w+ \| (\d+) \|", stats, re.M)]
    assert len(served) == 6
    # 52 or 53 weekly shifts of two people in the year (the window ends on a tick).
    assert sum(served) in (104, 106)


def test_the_same_now_and_seed_give_the_same_demo_and_another_seed_another_draw():
    first = _without_timing(_demo("--now", WINTER))
    assert _without_timing(_demo("--now", WINTER, "--seed", "1")) == first
    assert _without_timing(_demo("--now", WINTER, "--seed", "7")) != first


def test_it_ends_with_what_to_try_next_and_those_commands_work(tmp_path):
    out = _demo("--now", WINTER)
    tail = out[out.index("Try it yourself") :]
    assert tail.splitlines()[-1].startswith("(The demo ran ")
    commands = [ln.strip() for ln in tail.splitlines() if ln.strip().startswith("lotto ")]
    assert len(commands) == 3
    # Each in a run of its own, with HOME an empty directory: the records persist between runs.
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env.pop("XDG_DATA_HOME", None)
    env.update(HOME=str(home), LOTTO_USER="me")
    replies = []
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "lotto", *shlex.split(command)[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        replies.append(done.stdout)
    assert "Created rotation **MINE**" in replies[0]
    assert "- Members (2):" in replies[2] or ("@me" in replies[2] and "@you" in replies[2])
    assert (home / ".local" / "share" / "solar-lottery" / "lotto.db").exists()
