"""Issue 17: ``task swap`` — two people trade their shifts in one step, or cancel.

New York, weekly shifts from Monday 09:00: OPS#3 runs Mon 25 Oct to Mon 1 Nov 2027 (the
month ends inside it), OPS#4 Mon 1 Nov to Mon 8 Nov (summer time ends on Sun 7 Nov).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotto.maintenance.check import check
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump

NY = "America/New_York"
SETUP = """
    rotation new OPS --period weekly --beginning 2027-10-04T09:00 --seed 1
    rotation set owners OPS @lead
    rotation set channel OPS ~ops
    user join OPS @ann @bob @cat
    user qualify @ann @bob -s db-2
    rotation set require OPS -s db-2 --count 1
    task new shift OPS --number 3
    task new shift OPS --number 4
    task assign OPS#3 @ann
    task assign OPS#4 @bob
    task schedule OPS#3
    task schedule OPS#4
"""
NOW = datetime(2027, 10, 1, tzinfo=UTC)


@pytest.fixture
def ops(kv_memory):
    """(admin, members) scripts in New York on one store; OPS#3 has @ann, OPS#4 @bob."""
    admin = Script(kv_memory, tz=NY, actor="boss")
    admin.multi(SETUP, now=NOW)
    admin.poster.reset()
    members = Script(kv_memory, tz=NY, admins=False)
    members.env = admin.env.__class__(kv_memory, members.directory, admin.poster)
    return admin, members


def _people(admin: Script, tid: str) -> list[str]:
    return admin.run(f"task show {tid}", now=NOW).data.task.mattermost_user_ids


def test_a_swap_proposed_and_accepted_moves_both_at_once(ops):
    admin, members = ops
    out = members.run("task swap OPS#3 @ann OPS#4 @bob", actor="ann", now=NOW)
    assert out.text.startswith("Proposed to swap @ann on **OPS#3** with @bob on **OPS#4**.")
    assert _people(admin, "OPS#3") == ["ann"] and _people(admin, "OPS#4") == ["bob"]
    (dm,) = admin.poster.sent
    assert dm[0] == "bob"
    assert dm[1].startswith("###### @ann proposes to swap shifts with you\n@ann would take your")
    assert "theirs on shift **OPS#3** (Mon 25 Oct 2027 09:00–Mon 1 Nov 2027 09:00 EDT)" in dm[1]
    assert admin.poster.posts == []  # the channel hears once, when it is done
    shown = admin.run("task show OPS#4", now=NOW).text
    assert "- Swap proposed: @ann on OPS#3 with @bob on OPS#4" in shown

    # Only the one it is proposed to may accept.
    refused = members.try_("task swap OPS#3 --accept", actor="ann", now=NOW)
    assert_clean_error(refused)
    assert "Only the person a swap is proposed to may accept it" in refused.text
    refused = members.try_("task swap OPS#3 --accept", actor="cat", now=NOW)
    assert "no open swap on OPS#3 for @cat" in refused.text

    admin.poster.reset()
    out = members.run("task swap OPS#4 --accept", actor="bob", now=NOW)
    assert out.text.startswith("Swapped: @bob is now on **OPS#3** and @ann on **OPS#4**.")
    assert _people(admin, "OPS#3") == ["bob"] and _people(admin, "OPS#4") == ["ann"]
    tasks = [admin.run(f"task show {t}", now=NOW).data.task for t in ("OPS#3", "OPS#4")]
    assert [t.swaps for t in tasks] == [[], []]
    ann, bob = admin.run("user show @ann @bob", now=NOW).data.users
    assert [e.task_id for e in ann.calendar] == ["OPS#4"]
    assert [e.task_id for e in bob.calendar] == ["OPS#3"]
    # The credit follows the shifts: each is counted as serving the one they now have.
    assert ann.last_served["OPS"] == int(datetime(2027, 11, 8, 14, tzinfo=UTC).timestamp())
    assert bob.last_served["OPS"] == int(datetime(2027, 11, 1, 13, tzinfo=UTC).timestamp())
    assert [u for u, _ in admin.poster.sent] == ["ann"]  # @bob reads the reply
    assert [c for c, _ in admin.poster.posts] == ["ops"]  # the channel hears it once
    (post,) = [t for _, t in admin.poster.posts]
    assert post.startswith("@bob accepted the swap: @bob is now on shift **OPS#3**")
    assert check(admin.kv) == []  # the store is consistent (open tasks, calendars)


def test_a_swap_cancelled_by_either_side_moves_nobody(ops):
    admin, members = ops
    members.run("task swap OPS#3 OPS#4 @bob", actor="ann", now=NOW)  # `@me` left out
    before = {t: _people(admin, t) for t in ("OPS#3", "OPS#4")}
    admin.poster.reset()
    out = members.run("task swap OPS#4 --cancel", actor="bob", now=NOW)
    assert (
        out.text == "Cancelled the swap of @ann on **OPS#3** with @bob on **OPS#4**; nobody moved."
    )
    assert {t: _people(admin, t) for t in before} == before
    (dm,) = admin.poster.sent
    assert dm == (
        "ann",
        "@bob cancelled the swap of @ann on shift **OPS#3** with @bob on **OPS#4**; nobody moved.",
    )
    out = members.try_("task swap OPS#4 --accept", actor="bob", now=NOW)
    assert_clean_error(out)
    assert "no open swap on OPS#4" in out.text
    # Proposed again and withdrawn by the proposer this time.
    members.run("task swap OPS#3 @ann OPS#4 @bob", actor="ann", now=NOW)
    members.run("task swap OPS#3 --cancel", actor="ann", now=NOW)
    assert admin.run("task show OPS#3", now=NOW).data.task.swaps == []


@pytest.mark.parametrize(
    ("actor", "line", "says"),
    [
        ("cat", "task swap OPS#3 @ann OPS#4 @bob", "Only someone on one of the shifts"),
        ("cat", "task swap OPS#3 OPS#4 @bob", "@cat is not on OPS#3"),
        ("ann", "task swap OPS#3 OPS#3 @ann", "two different tasks"),
        ("ann", "task swap OPS#3 OPS#4 @cat", "@cat is not on OPS#4"),
        ("ann", "task swap OPS#3", "name your task and theirs"),
    ],
)
def test_a_swap_nobody_may_make_is_refused_and_changes_nothing(ops, actor, line, says):
    _, members = ops
    before = dump(members.kv)
    out = members.try_(line, actor=actor, now=NOW)
    assert_clean_error(out)
    assert says in out.text, out.text
    assert dump(members.kv) == before


def test_accepting_checks_skills_and_clashes_for_both_again(ops):
    admin, members = ops
    members.run("task swap OPS#3 @ann OPS#4 @bob", actor="ann", now=NOW)
    # Since the proposal @bob lost the skill OPS#3 needs, and @ann is away in OPS#4.
    admin.run("user disqualify @bob -s db", now=NOW)
    before = dump(admin.kv)
    out = members.try_("task swap OPS#4 --accept", actor="bob", now=NOW)
    assert_clean_error(out)
    assert "with @bob instead of @ann, OPS#3 would lack 1 db-" in out.text
    assert dump(admin.kv) == before
    admin.run("user qualify @bob -s db-2", now=NOW)
    admin.run("user unavailable @ann --start 2027-11-07 --finish 2027-11-08", now=NOW)
    out = members.try_("task swap OPS#4 --accept", actor="bob", now=NOW)
    assert "@ann is not available then (time off overlaps OPS#4)" in out.text
    assert _people(admin, "OPS#3") == ["ann"]


def test_a_swap_stays_within_the_round_trip_budget(ops):
    admin, members = ops
    stats = members.env.service.stats
    members.run("task swap OPS#3 @ann OPS#4 @bob", actor="ann", now=NOW)
    assert stats.round_trips <= 3
    members.run("task swap OPS#4 --accept", actor="bob", now=NOW)
    assert stats.round_trips <= 3
