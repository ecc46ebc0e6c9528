"""Replies that tell the user what happened and what to do next (join, leave, show,
unavailable, needs)."""

from __future__ import annotations

from tests.lotto.commands.helpers import Script, assert_rejected_unchanged


def test_join_names_members_it_skipped_and_leave_names_open_assignments(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06
        user join R @a @b
        task new shift R --number 0
        task assign R#0 @a
    """)
    text = s.run("user join R @a @d --starting 2020-05-01").text
    assert text == "Added @d to rotation **R**. Skipped @a: already in it."
    shown = s.run("user show @a").data.users[0]
    assert shown.last_served.get("R") != 1588291200  # --starting did not touch a member
    text = s.run("user leave R @a @zed").text
    assert text.startswith("Removed @a from rotation **R**. Skipped @zed: not in it. ")
    assert "@a is still assigned to R#0; use `/lotto task unassign R#0 @a`" in text
    assert (
        s.run("user leave R @zed").text
        == "Nothing changed: everyone named is not in rotation **R**."
    )


def test_user_show_lists_the_active_rotations_a_user_is_in(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06
        rotation new Q --beginning 2020-01-06
        rotation new OLD --beginning 2020-01-06
        user join R @a
        user join OLD @a
        rotation archive OLD
    """)
    out = s.run("user show @a @b")
    assert out.data.rotations == {"a": ["R"], "b": []}
    # Times in the reader's zone, said once in the header; no `(none)` (issue 8).
    assert out.text.splitlines()[:3] == [
        "#### @a (times in UTC)",
        "- Skills: none",
        "- Rotations: R",
    ]
    assert "- Rotations: none" in out.text
    s.run("user join Q @a")
    assert "- Rotations: Q, R" in s.run("user show @a").text


def test_unavailable_warns_about_tasks_already_served_then_and_clear_says_when_nothing_was_cleared(
    kv_memory,
):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06
        user join R @a @b
        task new shift R --number 1
        task assign R#1 @a
    """)
    text = s.run("user unavailable @a @b --start 2020-01-14 --finish 2020-01-16").text
    # Time off over a task one is on protects them: off a pending task.
    assert text.splitlines()[0] == (
        "Marked unavailable: @a, @b. Tasks in that time: @a on **R#1**: taken off it (pending); "
        "the autopilot fills the place again."
    )
    assert s.run("user unavailable @b --start 2020-01-01 --finish 2020-01-02").text.splitlines()[
        0
    ] == ("Marked unavailable: @b.")
    text = s.run("user unavailable @a @b --start 2020-01-15 --finish 2020-01-15T01:00 --clear").text
    assert text.splitlines()[0] == "Cleared unavailability of @a, @b."
    text = s.run("user unavailable @a --start 2020-01-15 --finish 2020-01-15T01:00 --clear").text
    assert (
        text.splitlines()[0] == "Nothing to clear: no personal unavailability overlaps that time."
    )


def test_a_need_on_an_unknown_skill_gets_a_note(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06
        user qualify @a --skill webapp
    """)
    assert s.run("rotation set require R --skill webapp").text == (
        "Updated requirements of rotation **R**: 1 person, at least 1 webapp."
    )
    text = s.run("rotation set limit R --skill webap-2 --count 1").text
    assert text.startswith(
        "Updated limits of rotation **R**: at most 1 webap (intermediate or better). "
        "Note: `webap` is not a known skill"
    )
    assert "Note" not in s.run("rotation set limit R --skill webap-2 --clear").text


def test_the_unknown_skill_note_costs_no_extra_round_trip(kv_memory):
    s = Script(kv_memory)
    s.run("rotation new R --beginning 2020-01-06")
    before = kv_memory.round_trips  # the store's own count: every service call of the command
    text = s.run("rotation set require R --skill webap --count 1").text
    assert "is not a known skill" in text
    assert kv_memory.round_trips - before == 2  # one read batch + the commit


def test_assign_refuses_busy_or_resting_users_and_force_says_what_it_overrode(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-06
        rotation set task R --grace 200h
        user join R @a @b @c
        task new shift R --number 0
        task new shift R --number 1
        task assign R#0 @a
        user unavailable @b --start 2020-01-14 --finish 2020-01-15
    """)
    # Issue 13: grace applies to a hand assignment too; refused without --force.
    out = assert_rejected_unchanged(s, "task assign R#1 @a")
    assert out.text == (
        "@a is not available for R#1 (resting after R#0, its grace overlaps R#1); "
        "use --force to assign anyway."
    )
    text = s.run("task assign R#1 @a @b @c --force").text
    assert text == (
        # A shift is called a shift, and no `(none)` after names (issue 8).
        "Assigned @a, @b, @c to shift R#1. --force overrode: "
        "@a (resting after R#0, its grace overlaps R#1); @b (time off overlaps R#1)."
    )
    # @c is on R#1, which falls in the rest after R#0: back to back is refused too.
    out = assert_rejected_unchanged(s, "task assign R#0 @c")
    assert "R#1 falls in the rest after R#0" in out.text
