"""Text that cannot be encoded (lone surrogates, bytes that are not UTF-8) is bad input.

The command layer refuses it before anything runs, whoever calls it; the CLI
refuses it in its arguments, its environment and ``--file`` input with a usage
error. Never an internal error, and nothing changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kvstore
from kvstore.backends import discard_memory
from lotto import PLUGIN_ID
from lotto.cli import main
from lotto.commands import Env, execute
from lotto.local import LocalDirectory, RecordingPoster, default_store_path

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


@pytest.mark.parametrize(
    "line",
    [
        "rotation new \ud800",
        "rotation list \ud800",
        "rotation new ICE --period \udcff",
        "task new ticket ICE --summary 'a \udfff b'",
        "\ud83d",
        "user show @\udcff",
    ],
)
def test_the_command_layer_refuses_lone_surrogates(kv_memory, line):
    env = Env(kv_memory, LocalDirectory(), RecordingPoster())
    assert execute(env, "lead", "rotation new ICE --task-type ticket").ok
    before = {k: kv_memory.get(k) for k in kv_memory.list_keys(0, 1000)}
    outcome = execute(env, "lead", line)
    assert not outcome.ok
    assert "not valid Unicode" in outcome.text, outcome.text
    assert "internal error" not in outcome.text
    outcome.text.encode("utf-8")  # the error itself can be sent anywhere
    assert {k: kv_memory.get(k) for k in kv_memory.list_keys(0, 1000)} == before
    assert env.poster.sent == []


def test_the_cli_refuses_arguments_that_are_not_utf8(capsys):
    # What Python makes of the argument $'\xff' (bytes that are not UTF-8).
    assert main(["rotation", "new", "\udcff"]) == 2
    err = capsys.readouterr().err
    assert "argument 3 is not valid UTF-8 text (byte 0xff)" in err, err
    assert main(["--as", "le\udce9d", "info"]) == 2
    assert "argument 2 is not valid UTF-8" in capsys.readouterr().err
    assert main(["rotation", "list"]) == 0
    assert "No active rotations" in capsys.readouterr().out


def test_the_cli_refuses_environment_settings_that_are_not_utf8(capsys, monkeypatch):
    monkeypatch.setenv("LOTTO_USER", "le\udce9d")
    assert main(["info"]) == 2
    assert "LOTTO_USER is not valid UTF-8 text (byte 0xe9)" in capsys.readouterr().err


def test_the_cli_refuses_file_input_that_is_not_utf8(tmp_path, capsys):
    for data in (b"rotation new A\xff\n", b"rotation new \xed\xa0\x80\n"):
        path = tmp_path / "commands.txt"
        path.write_bytes(b"rotation new OK\n" + data)
        assert main(["--file", str(path)]) == 2
        assert "is not UTF-8 text" in capsys.readouterr().err
    assert main(["rotation", "list"]) == 0
    assert "No active rotations" in capsys.readouterr().out  # nothing of the file ran


def test_the_cli_refuses_lines_from_a_text_stdin_with_surrogates(monkeypatch, capsys):
    class TextOnly:  # a stdin without a byte buffer (an embedding host's)
        def read(self) -> str:
            return "rotation new OK\nrotation new \udcff\n"

    monkeypatch.setattr(sys, "stdin", TextOnly())
    assert main(["--file", "-"]) == 2
    assert "not valid UTF-8" in capsys.readouterr().err


def test_a_real_lotto_process_refuses_bytes_that_are_not_utf8():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    proc = subprocess.run(
        [sys.executable, "-m", "lotto", "rotation", "new", b"\xff"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, err
    assert "argument 3 is not valid UTF-8 text (byte 0xff)" in err
    assert "internal error" not in err and "Traceback" not in err
