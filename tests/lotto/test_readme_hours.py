"""The README's "Working days, hours and holidays" example prints what the README shows."""

from __future__ import annotations

from tests.lotto.test_cli_readme import _block_after, _replies, _run_file


def test_the_working_hours_example_prints_what_the_readme_shows(tmp_path, capsys):
    block = _block_after("### Working days, hours and holidays", "text")
    expected: list[tuple[str, list[str]]] = []
    for line in block:
        if line.startswith("$ lotto "):
            expected.append((line.removeprefix("$ lotto "), []))
        else:
            expected[-1][1].append(line)
    assert len(expected) >= 10
    env = {"LOTTO_USER": "lead", "LOTTO_TZ": "Europe/Berlin"}
    out = _run_file(tmp_path, capsys, env, [cmd for cmd, _ in expected])
    assert _replies(out) == expected
