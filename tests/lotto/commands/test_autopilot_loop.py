"""``/lotto autopilot`` and the timer's ``autopilot_all`` share one every-rotation loop."""

from __future__ import annotations

from datetime import UTC, datetime

from lotto.commands import autopilot_all
from lotto.model import keys
from tests.lotto.commands.helpers import TWO_AUTOPILOT_ROTATIONS, Script

_UNREADABLE = "autopilot on A: The stored record task:A#0 can not be read"


def _two_rotations_one_unreadable(kv) -> Script:
    s = Script(kv)
    s.multi(TWO_AUTOPILOT_ROTATIONS)
    s.run("autopilot --now 2020-01-02")  # creates A#0 and B#0
    kv.set(keys.task("A#0"), b"{not json")  # A's run now fails as a whole
    s.poster.reset()
    return s


def test_the_command_reports_a_failing_rotation_and_runs_the_others(kv_memory):
    s = _two_rotations_one_unreadable(kv_memory)
    out = s.run("autopilot --now 2020-01-08")
    failed, done = out.text.split("\n\n")
    assert failed.startswith(_UNREADABLE) and "\n" not in failed
    assert out.data.errors["A"] == failed.removeprefix("autopilot on A: ")
    assert done.startswith("@test-user ran autopilot on B for Wed 8 Jan 2020 00:00 UTC.")
    assert [r.rotation.rotation_id for r in out.data.results] == ["B"]
    assert [uid for uid, _ in s.poster.sent] == ["bob"]
    assert s.run("task show B#0").data.task.state == "scheduled"


def test_the_timer_reports_the_same_failure_and_runs_the_others(kv_memory):
    s = _two_rotations_one_unreadable(kv_memory)
    failed, done = autopilot_all(s.env, datetime(2020, 1, 8, tzinfo=UTC))
    assert not failed.ok and failed.text.startswith(_UNREADABLE) and failed.data is None
    assert "\n" not in failed.text  # one paragraph, as in the command's reply
    assert done.ok and done.text.startswith("autopilot ran on B for Wed 8 Jan 2020 00:00 UTC.")
    assert [uid for uid, _ in s.poster.sent] == ["bob"]
    assert s.run("task show B#0").data.task.state == "scheduled"


def test_the_loop_is_the_services_and_hears_of_each_rotation_as_it_is_done(kv_memory):
    s = _two_rotations_one_unreadable(kv_memory)
    heard: list[tuple[str, bool, str]] = []
    res = s.env.service.autopilot_all(
        actor_id="",
        now=datetime(2020, 1, 8, tzinfo=UTC),
        each=lambda rid, run, error: heard.append((rid, run is not None, error[:30])),
    )
    assert [r.rotation.rotation_id for r in res.results] == ["B"]
    # Without a describe, an error keeps the service's own words.
    assert res.errors["A"].startswith("The stored record task:A#0 can not be read")
    assert heard == [("A", False, res.errors["A"][:30]), ("B", True, "")]
    assert res.notices == res.results[0].notices != []
