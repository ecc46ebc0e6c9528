"""``rotation forecast`` and ``user forecast`` through ``lotto.commands.execute``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lotto.commands import Env, execute
from lotto.local import LocalDirectory
from tests.lotto.commands.helpers import Script, assert_clean_error, assert_rejected_unchanged
from tests.lotto.helpers import dump

NOW = datetime(2020, 3, 1, 12, tzinfo=UTC)
MEMBERS = ["ann", "bob", "cid", "dee", "eve", "fay"]
SETUP = [
    "rotation new ICE --period weekly --beginning 2020-03-05T09:00 --seed 5",
    "rotation set require ICE --count 2",
    "user join ICE " + " ".join("@" + u for u in MEMBERS),
]


def _script(kv, **kw) -> Script:
    s = Script(kv, **kw)
    for line in SETUP:
        s.run(line, now=NOW)
    return s


def _json(out) -> dict:
    assert out.is_json
    return json.loads(out.text[len("```json\n") : -len("\n```")])


def _rows(text: str) -> dict[str, list[str]]:
    """Table rows keyed by their first cell."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|:"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_rotation_forecast_text_shape(kv):
    s = _script(kv)
    out = s.run("rotation forecast ICE --shifts 3 --samples 100", now=NOW)
    assert out.text.startswith(
        "#### Forecast for rotation ICE: next 3 shifts, 100 simulated futures (seed 5)"
    )
    rows = _rows(out.text)
    assert rows["User"] == [
        "At least once",
        "Expected shifts",
        "Likely next",
        "ICE#0",
        "ICE#1",
        "ICE#2",
    ]
    assert [rows[f"ICE#{n}"][1:] for n in range(3)] == [["planned", "0%"]] * 3
    assert rows["ICE#0"][0] == "2020-03-05T09:00"
    users = {k: v for k, v in rows.items() if k.startswith("@")}
    assert sorted(users) == sorted("@" + u for u in MEMBERS)
    # Two of six people per shift: the expected numbers add up to 2 per shift.
    assert sum(float(v[1]) for v in users.values()) == pytest.approx(6.0, abs=0.03)
    for cells in users.values():
        assert all(c.endswith("%") for c in cells[3:])


def test_json_is_the_result_struct_and_the_seed_repeats(kv):
    s = _script(kv)
    data = _json(s.run("rotation forecast ICE --shifts 4 --samples 60 --json", now=NOW))
    fc = data["forecast"]
    assert data["seed"] == 5 and fc["samples"] == 60 and fc["rotation_id"] == "ICE"
    assert [sh["task_id"] for sh in fc["shifts"]] == ["ICE#0", "ICE#1", "ICE#2", "ICE#3"]
    for i in range(4):
        assert sum(u["p_shift"][i] for u in fc["users"]) == pytest.approx(2.0)
    again = _json(s.run("rotation forecast ICE --shifts 4 --samples 60 --json", now=NOW))
    assert again == data
    other = _json(s.run("rotation forecast ICE --shifts 4 --samples 60 --seed 9 --json", now=NOW))
    assert other["seed"] == 9 and other["forecast"] != fc


def test_forecast_changes_nothing_and_costs_at_most_three_round_trips(kv):
    s = _script(kv)
    s.poster.reset()
    before = dump(kv)
    s.run("rotation forecast ICE", now=NOW)
    assert 0 < s.env.service.stats.round_trips <= 3
    s.run("user forecast @ann @bob -r ICE", now=NOW)
    assert 0 < s.env.service.stats.round_trips <= 3
    assert dump(kv) == before
    assert s.poster.sent == []


@pytest.mark.parametrize(
    "line",
    [
        "rotation forecast ICE --shifts 0",
        "rotation forecast ICE --shifts 53",
        "rotation forecast ICE --samples 0",
        "rotation forecast ICE --shifts 40 --samples 5000",
        "rotation forecast ICE --samples lots",
        "rotation forecast ICE --seed x",
        "rotation forecast ICE --bogus",
        "rotation forecast NOPE",
        "rotation forecast",
        "rotation forecast -r IC",
        "user forecast @zed ICE",
        "user forecast @ann",
        "user forecast @ann ICE --shifts -2",
    ],
)
def test_bad_input_is_a_clean_error_that_changes_nothing(kv, line):
    assert_rejected_unchanged(_script(kv), line, now=NOW)


def test_ticket_rotations_have_nothing_to_forecast(kv):
    s = _script(kv)
    s.run("rotation new HELP --task-type ticket", now=NOW)
    s.run("user join HELP @ann @bob", now=NOW)
    s.run("task new ticket HELP --summary 'disk full'", now=NOW)
    out = s.try_("rotation forecast HELP", now=NOW)
    assert_clean_error(out)
    assert "tickets" in out.text
    # the rest of a ticket rotation works as usual
    shown = s.run("rotation show HELP", now=NOW).text
    assert "**HELP#1** pending" in shown and "tickets last 30 min" in shown


def test_scheduled_shifts_keep_their_people(kv):
    s = _script(kv)
    s.run("task new shift ICE --number 0", now=NOW)
    s.run("task assign ICE#0 @ann @bob", now=NOW)
    s.run("task schedule ICE#0", now=NOW)
    rows = _rows(s.run("rotation forecast ICE --shifts 2", now=NOW).text)
    assert rows["ICE#0"][1] == "scheduled" and rows["ICE#1"][1] == "planned"
    assert rows["@ann"][3] == rows["@bob"][3] == "100%"
    assert rows["@cid"][3] == "0%"
    assert rows["@ann"][2] == "ICE#0 (2020-03-05T09:00)"


def test_user_forecast_defaults_to_the_acting_user_and_is_public(kv):
    s = _script(kv)
    env = Env(kv, LocalDirectory("UTC", admins=False), s.poster)
    assert not execute(env, "ann", "rotation set fill ICE --seed 1", now=NOW).ok  # admin-only
    mine = execute(env, "ann", "user forecast ICE --shifts 2", now=NOW)
    assert mine.ok, mine.text
    assert mine.text.startswith("#### Forecast for @ann in rotation ICE: next 2 shifts")
    assert [k for k in _rows(mine.text) if k.startswith("@")] == ["@ann"]
    theirs = execute(env, "ann", "rotation forecast ICE --shifts 2 --json", now=NOW)
    assert theirs.ok and len(theirs.data.forecast.users) == len(MEMBERS)
    by_user = {u.user_id: u for u in theirs.data.forecast.users}
    assert mine.data.forecast.users == [by_user["ann"]]
