"""Names (issue 8): rotation names in any case, suggestions, a forgotten ``@``, taken names,
assigning a non-member, and the forecast's stated limits."""

from __future__ import annotations

import pytest

from lotto.service.forecasting import MAX_FILLS, MAX_SAMPLES, MAX_SHIFTS, MAX_WORK
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged


@pytest.fixture
def s(kv_memory):
    script = Script(kv_memory)
    script.multi("""
        rotation new ICE --beginning 2020-01-06
        rotation new ICEBERG --beginning 2020-01-06
        rotation new SET --beginning 2020-01-06
        user join ICE @ann @bob
        task new shift ICE --number 0
    """)
    return script


@pytest.mark.parametrize(
    "name, rid",
    [("ice", "ICE"), ("Ice", "ICE"), ("ICE", "ICE"), ("set", "SET"), ("berg", "ICEBERG")],
)
def test_names_match_in_any_case_when_unambiguous(s, name, rid):
    assert s.run(f"rotation show {name} --json").data.rotation.rotation_id == rid


def test_a_name_matching_several_in_any_case_is_still_ambiguous(s):
    out = assert_rejected_unchanged(s, "rotation show ce")
    assert "ambiguous" in out.text and "ICE, ICEBERG" in out.text


@pytest.mark.parametrize("line", ["rotation show ICX", "rotation show SEX", "user join ICX"])
def test_an_unknown_name_suggests_the_closest(s, line):
    out = assert_rejected_unchanged(s, line)
    expected = "SET" if "SEX" in line else "ICE"
    assert f"did you mean {expected}?" in out.text


def test_an_unknown_name_far_from_every_id_suggests_nothing(s):
    out = assert_rejected_unchanged(s, "rotation show QQQQQQQ")
    assert "did you mean" not in out.text and "not found" in out.text


def test_exact_rotation_flag_suggests_the_id_in_its_case(s):
    out = assert_rejected_unchanged(s, "rotation show -r ice")
    assert "did you mean ICE?" in out.text


@pytest.mark.parametrize(
    "line",
    ["user join ICE ann", "user leave ICE ann", "user join -r ICE ann", "user join ICE @bob ann"],
)
def test_a_user_without_at_is_pointed_out(s, line):
    out = assert_rejected_unchanged(s, line)
    assert "did you mean `@ann`?" in out.text


@pytest.mark.parametrize("name", ["ICE", "ice", "Iceberg"])
def test_new_rotation_with_an_active_name_is_refused(s, name):
    out = assert_rejected_unchanged(s, f"rotation new {name}")
    assert "already exists" in out.text and "rotation archive" in out.text


def test_a_name_held_by_an_archived_rotation_gets_a_suffix_and_says_so(s):
    s.run("rotation archive SET")
    out = s.run("rotation new SET")
    rid = out.data.rotation.rotation_id
    assert rid.startswith("SET-")
    assert (
        f"The name SET belongs to an archived rotation, so this one's id is **{rid}**" in out.text
    )


def test_assigning_a_non_member_says_so(s):
    out = s.run("task assign ICE#0 @cid @ann")
    assert out.data.non_members == ["cid"]
    assert "@cid is not a member of rotation **ICE**" in out.text
    assert "/lotto user join ICE @cid" in out.text
    member = s.run("task assign ICE#0 @bob")
    assert member.data.non_members == [] and "not a member" not in member.text


@pytest.mark.parametrize("path", ["rotation forecast", "user forecast"])
def test_forecast_help_states_its_limits(s, path):
    text = s.run(f"{path} help").text
    assert f"at most {MAX_SHIFTS} shifts and {MAX_SAMPLES} samples" in text
    assert f"at most {MAX_FILLS:,} shifts × samples" in text
    assert f"at most {MAX_WORK:,} members × shifts × samples" in text
    assert "nobody joins or leaves" in text and "unavailability already entered" in text
    assert "shift rotations only" in text
