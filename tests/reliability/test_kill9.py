"""``kill -9`` in the middle of things: a command process, and redis-server itself.

- Command processes (``python -m lotto --store redis://… --file F``, and the same on a
  ``sqlite://`` file) running commands that each write several records are killed at
  random points (after a random number of commands has started, plus a random fraction
  of a command's time); after every kill ``lotto-store check`` must find 0 problems:
  0 partial commits.
- redis-server, with ``appendonly yes`` and ``appendfsync always`` in its own temporary
  directory, is killed while writers run; every change a writer saw acknowledged is
  still there after the restart (0 acknowledged writes lost), and check finds 0 problems.

The kill points come from a seeded generator; the process is killed, never waited for
with a sleep. ``LOTTO_RELIABILITY=full`` runs many more kills.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kvstore
from lotto import PLUGIN_ID
from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster
from lotto.model import keys
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from lotto.model.user import User
from tests.reliability.support import RedisServer, check_problems, scale

ROOT = Path(__file__).parents[2]

# One rotation's life: every line but the first writes two or more records in one commit.
LIFE = """\
rotation new {r} --period weekly --beginning 2020-01-06
user join {r} @a{n} @b{n} @c{n} @d{n} --starting 2019-12-01
user qualify @a{n} @b{n} --skill web-2
rotation set require {r} --skill web-1 --count 2
task new shift {r} --number 0
task fill {r}#0
task schedule {r}#0
task start {r}#0
task finish {r}#0
task new shift {r} --number 1
task assign {r}#1 @c{n} @d{n}
task unassign {r}#1 @d{n}
user unavailable @c{n} --start 2020-02-01 --finish 2020-02-03
user leave {r} @d{n}
rotation archive {r}
"""


def _commands(run: int, rotations: int) -> list[str]:
    lines: list[str] = []
    for k in range(rotations):
        lines += LIFE.format(r=f"K{run}X{k}", n=f"{run}x{k}").splitlines()
    return lines


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _kill_during(proc: subprocess.Popen[str], after: int, rng: random.Random) -> int:
    """Kill ``proc`` once ``after`` commands have started, a random moment into the next
    one; the number of commands that had started (the process may end first)."""
    started = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("$ "):
            started += 1
            if started >= after:
                # a random point inside this command: reading, committing or printing
                time.sleep(rng.uniform(0, 0.03))
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    return started


@contextlib.contextmanager
def _store(engine: str, tmp_path: Path) -> Iterator[str]:
    """A store for command processes: its own redis-server (AOF, fsync always) or a file."""
    if engine == "sqlite":
        yield f"sqlite://{tmp_path / 'kill9.db'}"
        return
    with RedisServer(tmp_path).running() as server:
        yield server.url


@pytest.mark.parametrize("engine", ["redis", "sqlite"])
def test_killed_command_processes_leave_no_partial_commit(tmp_path, engine):
    kills = scale(8, 80)
    rng = random.Random(10)
    with _store(engine, tmp_path) as url:
        kv = kvstore.open(url, PLUGIN_ID)
        total = 0
        for run in range(kills):
            lines = _commands(run, 4)
            script = tmp_path / f"run{run}.txt"
            script.write_text("\n".join(lines) + "\n")
            proc = subprocess.Popen(
                [sys.executable, "-m", "lotto", "--store", url, "--as", "boss"]
                + ["--file", str(script)],
                cwd=ROOT,
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            total += _kill_during(proc, rng.randint(1, len(lines)), rng)
            assert check_problems(kv) == [], f"after kill {run}"
        print(f"\n{kills} command processes killed after {total} commands had started; 0 problems")
        # and the operators' tool agrees
        out = subprocess.run(
            [sys.executable, "-m", "lotto.maintenance", "--store", url, "check"],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        kv.close()


def test_killed_redis_server_keeps_every_acknowledged_write(tmp_path):
    """Writers join/qualify users on one rotation; redis-server is killed -9 under them,
    restarted from its append-only file, and the writers go on (their commands fail
    cleanly while it is down). Every acknowledged change survives."""
    kills, writers = scale(3, 20), 4
    rng = random.Random(20)
    server = RedisServer(tmp_path)
    server.start()
    try:
        kv = kvstore.open(server.url, PLUGIN_ID)
        env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
        assert execute(env, "boss", "rotation new AOF --beginning 2020-01-06").ok
        member: dict[str, bool] = {}
        skills: dict[str, int] = {}
        unknown: set[tuple[bool, str]] = set()
        acked = [0]
        failed = [0]
        book = threading.Lock()
        stop = threading.Event()

        def writer(w: int) -> None:
            wrng = random.Random(w)
            while not stop.is_set():
                user = f"w{w}u{wrng.randrange(4)}"
                verb = wrng.choice(["join", "leave", "qualify"])
                level = wrng.randint(1, 4)
                line = {
                    "join": f"user join AOF @{user}",
                    "leave": f"user leave AOF @{user}",
                    "qualify": f"user qualify @{user} --skill web-{level}",
                }[verb]
                out = execute(env, "boss", line)
                what = (verb == "qualify", user)
                with book:
                    if not out.ok:
                        # Refused while Redis was down; if the reply of its commit was
                        # lost the change may have landed, so this user's state is
                        # unknown until its next acknowledged command.
                        failed[0] += 1
                        unknown.add(what)
                        assert "internal error" not in out.text, out.text
                        continue
                    acked[0] += 1
                    unknown.discard(what)
                    if verb == "qualify":
                        skills[user] = level
                    else:
                        member[user] = verb == "join"

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        try:
            for _ in range(kills):
                # let some acknowledged writes happen, then pull the plug
                target = acked[0] + rng.randint(20, 80)
                deadline = time.monotonic() + 60
                while acked[0] < target:
                    assert time.monotonic() < deadline, "the writers made no progress"
                    time.sleep(0.005)  # polling the counter, bounded by the deadline
                server.kill()
                server.start()
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        with book:
            rotation = decode(Rotation, kv.get(keys.rotation("AOF")))
            known = {u: m for u, m in member.items() if (False, u) not in unknown}
            stored = set(rotation.mattermost_user_ids)
            assert {u for u in known if u in stored} == {u for u, m in known.items() if m}
            for user, level in skills.items():
                if (True, user) not in unknown:
                    assert decode(User, kv.get(keys.user(user))).skill_levels == {"web": level}
            print(
                f"\n{kills} redis-server kills: {acked[0]} acknowledged commands, all kept; "
                f"{failed[0]} refused while it was down"
            )
        assert check_problems(kv) == []
        kv.close()
    finally:
        server.kill()


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_acknowledged_write_survives_a_kill_right_after_it(tmp_path, when):
    """The narrowest case: kill -9 immediately after (or before) one acknowledged command."""
    server = RedisServer(tmp_path)
    with server.running():
        kv = kvstore.open(server.url, PLUGIN_ID)
        env = Env(kv, LocalDirectory("UTC"), RecordingPoster())
        assert execute(env, "boss", "rotation new ONE --beginning 2020-01-06").ok
        if when == "after":
            assert execute(env, "boss", "user join ONE @ann").ok
        server.kill()
        server.start()
        rotation = decode(Rotation, kv.get(keys.rotation("ONE")))
        assert rotation.mattermost_user_ids == (["ann"] if when == "after" else [])
        kv.close()
