"""Rest (grace) that holds (issue 13 item 2): everywhere a person is placed, on the wall clock.

OPS is weekly from Monday 4 January 2027 09:00 in Europe/Berlin with a one-week
grace: OPS#10 runs Mon 15 to Mon 22 March, OPS#11 to Mon 29 March (the EU moves
to summer time on Sunday 28 March), OPS#12 from Mon 29 March 09:00 CEST.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto.model import rotation as rotations
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
SETUP = """
    rotation new OPS --beginning 2027-01-04T09:00 --period weekly
    rotation set task OPS --grace 1w
    user join OPS @alice @bob @chloe @dan
"""


def _ops(kv) -> tuple[Script, Script]:
    admin = Script(kv, tz="Europe/Berlin")
    admin.multi(SETUP, now=NOW)
    return admin, Script(kv, tz="Europe/Berlin", admins=False)


def test_a_week_of_grace_ends_at_the_handover_time_across_dst():
    rotation = rotations.Rotation(
        rotation_id="OPS",
        fill_settings=rotations.FillSettings(time_zone="Europe/Berlin"),
    )
    end = datetime(2027, 3, 22, 8, tzinfo=UTC)  # Mon 22 Mar 09:00 CET
    # Mon 29 Mar 09:00 CEST, not 10:00 (168 hours later).
    assert rotations.rest_until(rotation, end, timedelta(weeks=1)) == datetime(
        2027, 3, 29, 7, tzinfo=UTC
    )
    # Lengths that are not whole days stay absolute.
    assert rotations.rest_until(rotation, end, timedelta(hours=36)) == end + timedelta(hours=36)


def test_after_a_dst_change_the_rest_does_not_make_someone_look_busy_for_an_offer(kv_memory):
    admin, members = _ops(kv_memory)
    admin.multi(
        """
        task new shift OPS --number 10
        task new shift OPS --number 12
        task assign OPS#10 @alice
        task assign OPS#12 @bob
        """,
        now=NOW,
    )
    shown = admin.run("user show @alice", now=NOW).text
    assert "Mon 22 Mar 2027 09:00 to Mon 29 Mar 2027 09:00: grace OPS#10" in shown
    out = members.run("task offer OPS#12", actor="bob", now=NOW)
    assert "alice" in out.data.takers
    assert "OPS#12" in members.run("user shifts", actor="alice", now=NOW).text
    members.run("task take OPS#12", actor="alice", now=NOW)


def test_take_refuses_a_shift_whose_rest_runs_into_your_next_one(kv_memory):
    admin, members = _ops(kv_memory)
    admin.multi(
        """
        task new shift OPS --number 15
        task new shift OPS --number 16
        task assign OPS#15 @alice
        task assign OPS#16 @chloe
        """,
        now=NOW,
    )
    out = members.run("task offer OPS#15", actor="alice", now=NOW)
    assert "chloe" not in out.data.takers  # only people out of grace are asked
    assert (
        "OPS#15" not in members.run("user shifts", actor="chloe", now=NOW).text.split("Offered")[-1]
    )
    chloe = Script(kv_memory, tz="Europe/Berlin", admins=False, actor="chloe")
    refused = assert_rejected_unchanged(chloe, "task take OPS#15 @alice", now=NOW)
    assert "OPS#16 falls in the rest after OPS#15" in refused.text
    # An owner may still put chloe there, and is told what that overrides.
    text = admin.run("task assign OPS#15 @chloe --force", now=NOW).text
    assert "--force overrode: @chloe (OPS#16 falls in the rest after OPS#15)" in text


def test_fill_skips_people_whose_rest_would_run_into_their_next_shift(kv_memory):
    admin, _ = _ops(kv_memory)
    admin.multi(
        """
        task new shift OPS --number 15
        task new shift OPS --number 16
        task assign OPS#16 @chloe
        user unavailable @alice @bob @dan --start 2027-04-19 --finish 2027-04-26
        """,
        now=NOW,
    )
    # Only chloe is free during OPS#15, but its rest would run into her OPS#16.
    out = admin.try_("task fill OPS#15", now=NOW)
    assert not out.ok and "insufficient" in out.text
