"""Every fenced block of README.md is an example a test runs, or says why it is not (issue 16).

The convention, read from the README itself: the line just before a block's opening fence is

- ``<!-- example: NAME … -->``: a test runs it. ``try-it`` (each ``$ lotto`` command in a run
  of its own with ``HOME`` an empty directory, the output compared with the README's, dates
  aside), ``demo NOW`` (the lines are in ``lotto demo --now NOW``'s output, in order),
  ``syntax`` (each ``/lotto`` line is a valid command with valid flags: the lines are
  alternatives, not one session), and the worked example and the sessions that continue it
  (``worked-example``, ``forecast``, ``on-call``), replayed by ``tests/lotto/test_cli_readme.py``,
  ``hours``, replayed by ``tests/lotto/test_readme_hours.py``, ``warnings``, by
  ``tests/lotto/commands/test_warnings.py``, ``header`` by ``tests/lotto/test_readme_header.py``
  and ``trading`` by ``tests/lotto/test_cli_readme.py``;
- ``<!-- not run: REASON -->``: set-up or a deployment's shell (systemd units, redis-cli, …).

A block with neither fails here, so a new example cannot be added untested by accident.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lotto.commands.base import convert_value
from lotto.commands.parser import parse_flags, tokenize
from lotto.commands.tree import Command, lookup
from lotto.demo import main as demo_main

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: The examples run by tests/lotto/test_cli_readme.py (test_readme_hours.py, test_warnings.py).
REPLAYED = {"worked-example", "forecast", "on-call", "hours", "warnings", "header", "trading"}
RUN_HERE = {"try-it", "demo", "syntax"}

_MARK = re.compile(r"^<!-- (example|not run): ?(.*?) ?-->$")
# A date as replies show it: "Mon 7 Dec 2026 09:00".
_DATE = re.compile(r"\b[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}\b")


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    lines: list[str]
    kind: str  # "example", "not run" or "" (unmarked)
    what: str  # the example's name and arguments, or why it is not run


def _blocks() -> list[Block]:
    found: list[Block] = []
    lines = README.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start, lang = i, lines[i][3:].strip()
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            mark = _MARK.match(lines[i - 1]) if i else None
            found.append(
                Block(
                    start + 1,
                    lang,
                    lines[start + 1 : end],
                    mark.group(1) if mark else "",
                    mark.group(2) if mark else "",
                )
            )
            i = end + 1
        else:
            i += 1
    return found


def _examples(name: str) -> list[Block]:
    return [b for b in _blocks() if b.kind == "example" and b.what.split()[0] == name]


def test_every_block_is_run_by_a_test_or_marked_not_run():
    blocks = _blocks()
    assert len(blocks) > 10
    unmarked = [f"line {b.line}: {b.lines[0] if b.lines else ''}" for b in blocks if not b.kind]
    assert not unmarked, "README blocks with no <!-- example: … --> or <!-- not run: … -->"
    names = {b.what.split()[0] for b in blocks if b.kind == "example"}
    assert names <= REPLAYED | RUN_HERE, names - REPLAYED - RUN_HERE
    assert names >= RUN_HERE | REPLAYED  # each runner has its block
    assert all(b.what for b in blocks if b.kind == "not run"), "say why a block is not run"


def _without_dates(text: str) -> str:
    return _DATE.sub("<date>", text)


def test_try_it_runs_in_separate_processes_and_the_records_persist(tmp_path):
    (block,) = _examples("try-it")
    expected: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            expected.append((line[2:], []))
        else:
            expected[-1][1].append(line)
    assert expected[0][0] == "source .venv/bin/activate"
    home = tmp_path / "home"
    home.mkdir()  # an empty HOME: the first command makes the user's own file
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    env.pop("XDG_DATA_HOME", None)
    env.update(HOME=str(home), LOTTO_USER="you")
    for command, output in expected[1:]:
        words = shlex.split(command)
        assert words[0] == "lotto"
        done = subprocess.run(
            [sys.executable, "-m", "lotto", *words[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert _without_dates(done.stdout).splitlines() == _without_dates("\n".join(output)).split(
            "\n"
        ), command
    assert (home / ".local" / "share" / "solar-lottery" / "lotto.db").exists()


def test_try_it_dates_are_relative_to_today():
    (block,) = _examples("try-it")
    text = "\n".join(block.lines)
    assert '--beginning "next monday 09:00"' in text
    assert not re.search(r"--beginning \d{4}-", text)


@pytest.mark.parametrize(
    "block", _examples("demo"), ids=lambda b: f"line{b.line}" if isinstance(b, Block) else b
)
def test_demo_excerpts_are_in_the_demos_output(block):
    now = block.what.split()[1]
    out: list[str] = []
    assert demo_main(["--now", now], out=out.append) == 0
    shown = [ln.strip() for chunk in out for ln in chunk.split("\n")]
    at = 0
    for line in block.lines:
        # In order; a command line may carry the demo's "(typed by @bob)" after it.
        at = next(
            (
                i
                for i in range(at, len(shown))
                if shown[i] == line or shown[i].startswith(line + " ")
            ),
            -1,
        )
        assert at >= 0, f"README line {line!r} is not in the demo's output (in this order)"
        at += 1


def _syntax_lines() -> list[str]:
    return [
        re.sub(r"\s+#\s.*$", "", line).strip()
        for block in _examples("syntax")
        for line in block.lines
        if line.strip()
    ]


@pytest.mark.parametrize("line", _syntax_lines())
def test_slash_command_examples_are_valid_commands(line):
    tokens = tokenize(line)
    assert tokens[0] == "/lotto"
    node, rest = lookup(tokens[1:])
    assert isinstance(node, Command), f"{line!r} names no command"
    now = datetime(2026, 1, 7, tzinfo=UTC)
    parsed = parse_flags(rest, node.all_flags, lambda f, raw: convert_value(f, raw, "UTC", now))
    assert parsed.args, line  # every example names its rotation or task
