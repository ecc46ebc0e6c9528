"""The README's worked example and forecast, run through ``lotto --file``, print what it shows.

The commands, the acting user, the zone and the expected output are all read from
README.md itself, so an edit to either the README or the replies that makes them
disagree fails here.
"""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path

from kvstore.backends import discard_memory
from lotto.cli import main

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str, lang: str) -> list[str]:
    """The lines of the first ```lang fenced block after ``marker``."""
    start = README.index(marker)
    match = re.compile(rf"^```{lang}\n(.*?)^```", re.M | re.S).search(README, start)
    assert match, f"no ```{lang} block after {marker!r}"
    return match.group(1).splitlines()


def _worked_example() -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = {}
    commands: list[str] = []
    for line in _block_after("### A worked example", "sh"):
        if line.startswith("export "):
            env.update(word.split("=", 1) for word in shlex.split(line)[1:])
        elif line.startswith("lotto "):
            commands.append(line.removeprefix("lotto "))
    return env, commands


def _replies(out: str) -> list[tuple[str, list[str]]]:
    """``--file`` output as (command, reply lines), leaving out the DMs and their indented lines."""
    sections: list[tuple[str, list[str]]] = []
    in_dm = False
    for line in out.splitlines():
        if line.startswith("$ "):
            sections.append((line[2:], []))
            in_dm = False
        elif line.startswith(("DM to @", "Post to ~")):
            in_dm = True
        elif in_dm and line.startswith("    "):
            continue
        else:
            in_dm = False
            sections[-1][1].append(line)
    return sections


def _run_file(tmp_path, capsys, env: dict[str, str], lines: list[str]) -> str:
    script = tmp_path / "readme.lotto"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = f"memory://readme-{uuid.uuid4().hex}"  # a store of its own, empty
    try:
        status = main(
            [
                "--store",
                store,
                "--as",
                env["LOTTO_USER"],
                "--tz",
                env["LOTTO_TZ"],
                "--file",
                str(script),
            ]
        )
    finally:
        discard_memory(store)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_the_worked_example_prints_what_the_readme_shows(tmp_path, capsys):
    env, commands = _worked_example()
    # The records in the user's own file, no server needed (issue 16).
    assert "LOTTO_STORE" not in env and commands[0].startswith("rotation new ICE")
    expected = _block_after("Output (", "text")
    # The same session without Redis, as the README suggests: the commands in a file.
    out = _run_file(tmp_path, capsys, env, commands)
    replies = _replies(out)
    assert [cmd for cmd, _ in replies] == commands
    assert [line for _, reply in replies for line in reply] == expected
    # Each command's DMs came first and are the ones the README says were left out.
    assert "DM to @ann: #### Welcome to rotation **ICE**!" in out
    assert (
        "###### You have been scheduled for shift **ICE#1**" in out
    )  # a shift is a shift (issue 8)


def test_the_forecast_example_continues_the_worked_example(tmp_path, capsys):
    env, commands = _worked_example()
    block = _block_after("Continuing the worked example", "text")
    assert block[0].startswith("$ lotto ")
    forecast_cmd = block[0].removeprefix("$ lotto ")
    out = _run_file(tmp_path, capsys, env, commands + [forecast_cmd])
    cmd, reply = _replies(out)[-1]
    assert cmd == forecast_cmd
    assert reply == block[1:]


def test_the_on_call_example_continues_the_worked_example(tmp_path, capsys):
    env, commands = _worked_example()
    block = _block_after("### My shifts, and who is on call now", "text")
    expected: list[tuple[str, list[str]]] = []
    for line in block:
        if line.startswith("$ lotto "):
            expected.append((line.removeprefix("$ lotto "), []))
        else:
            expected[-1][1].append(line)
    out = _run_file(tmp_path, capsys, env, commands + [cmd for cmd, _ in expected])
    assert _replies(out)[len(commands) :] == expected


def _expand(item: str) -> set[str]:
    """``rotation list|show`` -> {"rotation list", "rotation show"}."""
    *head, last = item.split()
    return {" ".join([*head, alt]) for alt in last.split("|")}


def test_who_may_do_what_lists_exactly_the_public_and_self_service_commands():
    from lotto.commands.tree import OWNER, PUBLIC, ROOT, SELF, SELF_OR_OWNER, Group

    def walk(node):
        if isinstance(node, Group):
            for child in node.children.values():
                yield from walk(child)
        else:
            yield node

    text = " ".join(README.split())
    sentence = re.search(r"Anyone may run (`info`.*?) for themselves;", text).group(1)
    # "`info`, …, and `user join|leave|unavailable`, `task offer` for themselves"
    public_text, _, self_text = sentence.rpartition(", and ")
    listed_public = set().union(*map(_expand, re.findall(r"`([^`]+)`", public_text)))
    listed_self = set().union(*map(_expand, re.findall(r"`([^`]+)`", self_text)))
    access = {" ".join(c.path): c.access for c in walk(ROOT)}
    assert listed_public == {p for p, a in access.items() if a == PUBLIC}
    assert listed_self == {p for p, a in access.items() if a in (SELF, SELF_OR_OWNER)}
    # Owners: their rotation's commands, and `user join|leave`, `task offer` for others.
    found = re.search(r"may also run, on that rotation only, (.*?), and (.*?) for others;", text)
    owner_part = re.findall(r"`([^`]+)`", found.group(1))
    others_part = re.findall(r"`([^`]+)`", found.group(2))
    assert set().union(*map(_expand, owner_part)) == {p for p, a in access.items() if a == OWNER}
    assert set().union(*map(_expand, others_part)) == {
        p for p, a in access.items() if a == SELF_OR_OWNER
    }


def test_operating_lists_every_kind_of_problem_check_reports():
    from lotto.maintenance.check import KINDS

    start = README.index("`check` looks for:") + len("`check` looks for:")
    section = README[start : README.index("`repair` only rewrites")]
    assert set(re.findall(r"`([a-z_]+)`", section)) == set(KINDS)


def test_the_covers_and_swaps_example_prints_what_the_readme_shows(tmp_path, capsys):
    """Each line of the example runs as its ``--as`` user (default @lead) on one store."""
    block = _block_after("### Covers, swaps, and offers nobody takes", "text")
    expected: list[tuple[str, list[str]]] = []
    runs: list[tuple[str, str]] = []
    for line in block:
        if line.startswith("$ lotto "):
            words = line.removeprefix("$ lotto ").split(" ")
            who = words[1] if words[0] == "--as" else "lead"
            cmd = " ".join(words[2:] if words[0] == "--as" else words)
            runs.append((who, cmd))
            expected.append((cmd, []))
        else:
            expected[-1][1].append(line)
    store = f"sqlite:///{tmp_path / 'readme.db'}"
    got: list[tuple[str, list[str]]] = []
    for who, cmd in runs:
        script = tmp_path / "line.lotto"
        script.write_text(cmd + "\n", encoding="utf-8")
        argv = ["--store", store, "--as", who, "--tz", "Europe/Berlin", "--file", str(script)]
        assert main(argv) == 0
        out, err = capsys.readouterr()
        assert not err, err
        # (a DM's quoted note breaks its indented lines with blank ones: those go too)
        got += [(c, [x for x in r if x and not x.startswith("    ")]) for c, r in _replies(out)]
    assert got == expected
