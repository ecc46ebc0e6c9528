"""``/lotto autopilot`` (the README's top-level command): every active rotation, as the acting
user."""

from __future__ import annotations

from tests.lotto.commands.helpers import TWO_AUTOPILOT_ROTATIONS, Script, assert_clean_error


def test_autopilot_runs_every_active_rotation_and_reports_each(kv_memory):
    s = Script(kv_memory)
    assert s.run("autopilot").text == "No active rotations: the autopilot had nothing to do."
    s.multi(
        TWO_AUTOPILOT_ROTATIONS
        + """
        rotation new C --beginning 2020-01-10
        rotation archive C
    """
    )
    s.run("autopilot --now 2020-01-02")
    s.poster.reset()
    out = s.run("autopilot --now 2020-01-08")
    a, b = out.text.split("\n\n")
    assert a.startswith("@test-user ran autopilot on A for 2020-01-08.")
    assert "    - failed to fill task A#0: " in a and "A#0 stays pending" in a
    assert b.startswith("@test-user ran autopilot on B for 2020-01-08.")
    assert "Auto-assigned @bob (none) to ticket B#0, transitioned B#0 to scheduled" in b
    assert [r.rotation.rotation_id for r in out.data.results] == ["A", "B"]  # archived C is not run
    assert [uid for uid, _ in s.poster.sent] == ["bob"]
    assert s.run("task show B#0").data.task.state == "scheduled"
    assert '"results"' in s.run("autopilot --json --now 2020-01-09").text


def test_autopilot_is_for_admins_and_takes_no_arguments(kv_memory):
    s = Script(kv_memory, admins=False)
    assert_clean_error(s.try_("autopilot"))
    assert "admin" in s.try_("autopilot").text
    assert_clean_error(Script(kv_memory).try_("autopilot A"))
    assert "`autopilot`" in Script(kv_memory).run("help").text
