"""The ``lotto`` command-line program: ``main()`` in-process and ``python -m lotto``
as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

import kvstore
from kvstore.backends import discard_memory
from lotto import PLUGIN_ID
from lotto.cli import main
from lotto.local import default_store_path

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _fresh_default_stores(tmp_path, monkeypatch):
    """Each test starts with empty default stores: its own (already made) per-user file,
    and an empty memory:// server."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default_store_path().parent.mkdir(parents=True)
    kvstore.open(f"sqlite://{default_store_path()}", PLUGIN_ID).close()
    discard_memory("memory://")
    yield
    discard_memory("memory://")


def _lotto(*args: str, env: dict[str, str] | None = None, stdin: str | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lotto", *args],
        cwd=ROOT,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_and_usage_errors(capsys):
    assert main(["--help"]) == 0
    assert "usage: lotto" in capsys.readouterr().out
    assert main([]) == 2
    assert "no command given" in capsys.readouterr().err
    assert main(["--tz", "Mars/Base", "info"]) == 2
    assert "Mars/Base" in capsys.readouterr().err
    assert main(["--as", "no body!", "info"]) == 2
    assert main(["--store"]) == 2
    assert main(["--store", "bogus://nowhere", "info"]) == 2
    assert main(["--file", "/no/such/file"]) == 2
    assert main(["--file", "x", "info"]) == 2


def test_one_command_with_or_without_leading_lotto(capsys):
    assert main(["/lotto", "rotation", "list"]) == 0
    assert "No active rotations" in capsys.readouterr().out
    assert main(["rotation", "help"]) == 0
    assert "Subcommands" in capsys.readouterr().out


def test_a_command_line_given_as_one_quoted_argument(capsys):
    # `lotto "/lotto rotation new A ..."`: a line pasted from Mattermost runs as typed.
    assert main(["/lotto rotation new ONE --beginning 2020-01-01"]) == 0
    assert "Created rotation **ONE**" in capsys.readouterr().out
    assert main(["rotation list"]) == 0
    assert "- ONE" in capsys.readouterr().out


def test_failed_command_exits_1_with_the_error_on_stderr(capsys):
    assert main(["task", "fill", "NOPE#1"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "NOPE#1" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_file_runs_each_line_and_stops_at_the_first_failure(tmp_path, capsys):
    script = tmp_path / "session.lotto"
    script.write_text(
        "# set up\n\n"
        "rotation new ICE --period weekly --beginning 2020-03-05T09:00\n"
        "/lotto user join ICE @ann @bob\n"
        "task fill ICE#7\n"
        "rotation show ICE\n"
    )
    assert main(["--as", "boss", "--tz", "America/Los_Angeles", "--file", str(script)]) == 1
    out, err = capsys.readouterr()
    assert "$ rotation new ICE --period weekly --beginning 2020-03-05T09:00" in out
    assert (
        # In the reader's zone, named (issue 8); the reader's zone is the rotation's here.
        "weekly from Thu 5 Mar 2020 09:00 PST on the America/Los_Angeles clock." in out
    )
    assert "DM to @ann: " in out and "@boss added you" in out
    assert "$ task fill ICE#7" in out and "ICE#7" in err
    assert "$ rotation show ICE" not in out  # stopped at the failure


def test_an_error_follows_its_echoed_command_when_both_streams_share_a_pipe():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    done = subprocess.run(
        [sys.executable, "-m", "lotto", "--file", "-"],
        cwd=ROOT,
        env=env,
        input="rotation list\nrotation show NOPE\n",
        text=True,
        timeout=120,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-2:][0] == "$ rotation show NOPE" and lines[-1].startswith("error: Rotation NOPE")


def test_an_unreachable_store_is_reported_once():
    done = _lotto("--store", "redis://127.0.0.1:1/0", "rotation", "list")
    assert done.returncode == 1
    assert done.stderr.startswith("error: the store failed (") and done.stderr.count("\n") == 1, (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_an_autopilot_run_that_could_not_fill_a_task_exits_1_after_its_report(tmp_path, capsys):
    script = tmp_path / "autopilot.lotto"
    script.write_text(
        "rotation new R --beginning 2020-01-06 --now 2020-01-01\n"
        "rotation set require R --count 3\n"
        "user join R @a @b\n"
        "rotation set autopilot R --create --create-prior 200h --schedule --schedule-prior 100h\n"
        "rotation new Q --beginning 2020-01-06 --now 2020-01-01\n"
        "rotation autopilot R --now 2020-01-01\n"
    )
    assert main(["--file", str(script)]) == 0  # creating R#0 (not due yet) went fine
    capsys.readouterr()
    assert main(["autopilot", "--now", "2020-01-05"]) == 1
    out, err = capsys.readouterr()
    assert "ran autopilot on Q" in out and "R#0 stays pending" in out
    assert err == "error: the autopilot could not do everything: R#0 was not filled.\n"
    assert main(["rotation", "autopilot", "Q", "--now", "2020-01-05"]) == 0
    capsys.readouterr()
    assert main(["rotation", "autopilot", "R", "--now", "2020-01-05", "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["rotation"]["RotationID"] == "R"
    assert "R#0 was not filled" in err


def test_a_file_that_is_not_utf8_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    script = tmp_path / "latin1.lotto"
    script.write_bytes("info\nrotation new CAFÉ\n".encode("latin-1"))
    assert main(["--file", str(script)]) == 2
    err = capsys.readouterr().err
    assert "is not UTF-8 text" in err and "Traceback" not in err
    piped = subprocess.run(
        [sys.executable, "-m", "lotto", "--file", "-"],
        cwd=ROOT,
        input=b"\xff\n",
        capture_output=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")},
    )
    assert piped.returncode == 2 and b"stdin is not UTF-8 text" in piped.stderr
    assert b"Traceback" not in piped.stderr


def test_file_lines_copied_with_a_leading_lotto_run_as_commands(tmp_path, capsys):
    script = tmp_path / "copied.lotto"
    script.write_text("lotto rotation new A --beginning 2020-01-01\n/lotto rotation list\n")
    assert main(["--file", str(script)]) == 0
    out = capsys.readouterr().out
    assert "$ rotation new A --beginning 2020-01-01\nCreated rotation **A**" in out and "- A" in out


def test_json_output_is_plain_json(capsys):
    assert main(["rotation", "new", "R", "--beginning", "2020-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rotation"]["RotationID"] == "R"


def test_json_output_stays_plain_json_when_the_command_sends_dms(capsys):
    # `lotto user join ... --json | jq` must not choke on the welcome DMs.
    assert main(["--as", "boss", "rotation", "new", "R", "--beginning", "2020-01-01"]) == 0
    capsys.readouterr()
    assert main(["--as", "boss", "user", "join", "R", "@ann", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["rotation"]["MattermostUserIDs"] == ["ann"]
    assert "DM to @ann: " in err
    # Without --json the DMs stay on stdout, before the reply.
    assert main(["--as", "boss", "user", "join", "R", "@bob"]) == 0
    out, err = capsys.readouterr()
    assert out.index("DM to @bob: ") < out.index("Added @bob") and err == ""
    # A DM's further lines are indented, so they don't read as the reply.
    assert "DM to @bob: #### Welcome to rotation **R**!\n    @boss added you to **R**." in out


def test_process_state_persists_in_redis_and_env_defaults(redis_url):
    env = {"LOTTO_STORE": redis_url, "LOTTO_USER": "boss", "LOTTO_TZ": "America/Los_Angeles"}
    # Its own name: other tests share this Redis and its default plugin id, and a
    # name an active rotation holds is refused.
    name = "PERSIST" + uuid.uuid4().hex[:6].upper()
    made = _lotto("rotation", "new", name, "--beginning", "2020-03-05T09:00", env=env)
    assert made.returncode == 0, made.stderr
    joined = _lotto("user", "join", name, "@ann", env=env)
    assert "@boss added you" in joined.stdout
    shown = _lotto("rotation", "show", name, env=env)
    # In the reader's zone (LOTTO_TZ), named (issue 8).
    assert shown.returncode == 0 and "from Thu 5 Mar 2020 09:00 PST" in shown.stdout
    assert "@ann" in shown.stdout


def test_records_persist_between_runs_in_the_users_own_file(tmp_path):
    """Issue 16: with HOME an empty directory, a rotation made by one run is listed by the next."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "LOTTO_USER": "boss"}
    without_xdg = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}

    def lotto(*args: str) -> subprocess.CompletedProcess[str]:
        full = {k: v for k, v in without_xdg.items() if not k.startswith("LOTTO_")}
        return subprocess.run(
            [sys.executable, "-m", "lotto", *args],
            cwd=ROOT,
            env={**full, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    made = lotto("rotation", "new", "X", "--period", "weekly")
    assert made.returncode == 0, made.stderr
    path = home / ".local" / "share" / "solar-lottery" / "lotto.db"
    # One line on stderr says where the records are kept, the first time only.
    assert made.stderr == (
        f"lotto: keeping the records in {path} (a new file; --store or LOTTO_STORE "
        "chooses another store)\n"
    )
    assert "Created rotation **X**" in made.stdout
    listed = lotto("rotation", "list")
    assert listed.returncode == 0 and listed.stderr == ""
    assert "- X" in listed.stdout
    # People's schedules: readable by their owner only.
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    # XDG_DATA_HOME moves it; LOTTO_STORE and --store name another store.
    env["XDG_DATA_HOME"] = str(tmp_path / "elsewhere")
    assert "- X" not in lotto("rotation", "list").stdout
    assert (tmp_path / "elsewhere" / "solar-lottery" / "lotto.db").exists()
    env.pop("XDG_DATA_HOME")
    assert "- X" in lotto("--store", f"sqlite://{path}", "rotation", "list").stdout
    assert "- X" not in lotto("--store", "memory://", "rotation", "list").stdout


def test_a_default_store_that_cannot_be_made_is_a_usage_error(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data directory would go")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env["XDG_DATA_HOME"] = str(blocked)
    done = subprocess.run(
        [sys.executable, "-m", "lotto", "rotation", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"lotto: cannot make {blocked / 'solar-lottery'}"), done.stderr
    assert "--store" in done.stderr and "Traceback" not in done.stderr


def test_process_exit_statuses_and_stdin_file():
    bad = _lotto("rotation", "show", "NOPE")
    assert (
        bad.returncode == 1 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    )
    assert _lotto("--tz").returncode == 2
    run = _lotto("--file", "-", stdin="rotation new A --beginning 2020-01-01\nrotation list\n")
    assert run.returncode == 0 and "- A" in run.stdout


@pytest.mark.parametrize("args", [["demo"], ["--store", "memory://", "demo"]])
def test_demo_runs_from_today_as_a_program(args):
    done = _lotto(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Solar Lottery demo: ")
    assert "/lotto rotation new ICE" in done.stdout and "Try it yourself" in done.stdout
    # Its records were in memory: the user's own file was not made.
    assert "keeping the records" not in done.stderr


def test_demo_help_and_bad_arguments(capsys):
    assert main(["demo", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: lotto demo [--now TIME] [--seed N]\n")
    assert main(["demo", "--fast"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "unexpected argument '--fast'" in err
    assert main(["demo", "--now", "yesterday"]) == 2
    assert "bad value 'yesterday' for --now" in capsys.readouterr().err


def test_a_reader_that_stops_early_gets_no_traceback():
    # `lotto demo | head -1`: the pipe closes while the demo is still printing.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lotto", "demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline().startswith(b"Solar Lottery demo")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err
