"""Issue 17, the on-call line of the channel header, through the command layer:
``rotation set header``, the line at every start and handoff, across a DST change,
taken out when turned off or when the rotation moves channel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.lotto.commands.helpers import Script, assert_clean_error


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ice(kv_memory):
    """ICE: weekly from Mon 22 Mar 2027 09:00 Berlin (DST begins Sun 28 Mar), @ann on
    ICE#0, @bob on ICE#1, posting to ~ice-team."""
    s = Script(kv_memory, actor="boss")
    s.multi(
        """
        rotation new ICE --beginning 2027-03-22T09:00 --period weekly --timezone Europe/Berlin
        user join ICE @ann @bob
        rotation set channel ICE ~ice-team
        task new shift ICE --number 0
        task new shift ICE --number 1
        task assign ICE#0 @ann
        task assign ICE#1 @bob
    """,
        now=at("2027-03-20T12:00"),
    )
    s.poster.reset()
    return s


def test_the_line_follows_every_start_and_handoff_across_dst(ice):
    out = ice.run("rotation set header ICE --on", now=at("2027-03-20T12:00"))
    assert "keeps an `On call: …` line in the header of ~ice-team" in out.text
    assert ice.poster.headers == {
        "ice-team": "On call: nobody now · next @ann from Mon 22 Mar 09:00 CET"
    }
    ice.run("task schedule ICE#0", now=at("2027-03-21T08:00"))
    ice.run("task start ICE#0", now=at("2027-03-22T08:00"))
    # ICE#0 ends after the change to summer time: the header names CEST.
    assert ice.poster.headers["ice-team"] == "On call: @ann until Mon 09:00 CEST · next @bob"
    ice.run("task schedule ICE#1", now=at("2027-03-28T08:00"))
    ice.run("task finish ICE#0", now=at("2027-03-29T07:00"))
    ice.run("task start ICE#1", now=at("2027-03-29T07:00"))
    assert ice.poster.headers["ice-team"] == "On call: @bob until Mon 09:00 CEST"
    # Nothing else goes to the channel: the header is not a post.
    assert not [t for _, t in ice.poster.posts if t.startswith("On call:")]


def test_a_change_that_leaves_the_line_as_it_is_sends_nothing(ice):
    ice.run("rotation set header ICE --on", now=at("2027-03-20T12:00"))
    ice.poster.reset()
    out = ice.run("user qualify @ann --skill webapp", now=at("2027-03-20T12:00"))
    assert not [n for n in out.notices if n.kind == "header"]
    ice.run("rotation set fill ICE --seed 7", now=at("2027-03-20T12:00"))
    assert ice.poster.headers == {}


def test_off_takes_the_line_out_and_a_new_channel_gets_it(ice):
    ice.run("rotation set header ICE --on", now=at("2027-03-22T10:00"))
    ice.run("rotation set channel ICE ~ops", now=at("2027-03-22T10:00"))
    assert ice.poster.headers == {
        "ice-team": "",
        "ops": "On call: nobody now · next @bob from Mon 29 Mar 09:00 CEST",
    }
    out = ice.run("rotation set header ICE --off", now=at("2027-03-22T10:00"))
    assert "the line it kept is taken out" in out.text
    assert ice.poster.headers["ops"] == ""


def test_header_needs_a_channel_and_a_group_name_mattermost_takes(kv_memory):
    s = Script(kv_memory, actor="boss")
    s.run("rotation new TIX --beginning 2027-03-22")
    for line in (
        "rotation set header TIX --on",
        "rotation set header TIX",
        "rotation set header TIX --on --off",
        "rotation set header TIX --group Ops!",
    ):
        out = s.try_(line)
        assert not out.ok, line
        assert_clean_error(out)
    assert "rotation set channel TIX ~channel" in s.try_("rotation set header TIX --on").text
    s.run("rotation set header TIX --group @ops-oncall")
    assert s.run("rotation show TIX --json").data.rotation.header.group == "ops-oncall"


def test_a_cover_puts_its_person_in_the_line_for_its_span(ice):
    """A one-day override inside ICE#0 (issue 17's covers): the line names the cover
    until the cover ends, and the shift's own person again once it is cancelled."""
    ice.run("task schedule ICE#0", now=at("2027-03-21T08:00"))
    ice.run("rotation set header ICE --on", now=at("2027-03-22T07:00"))
    ice.run("task start ICE#0", now=at("2027-03-22T08:00"))
    assert ice.poster.headers["ice-team"] == "On call: @ann until Mon 09:00 CEST · next @bob"
    cover = "task cover ICE#0 @bob --for @ann --from 2027-03-24T09:00 --to 2027-03-25T09:00"
    ice.run(cover, now=at("2027-03-24T09:00"))
    # --from and --to are on the acting user's clock (UTC here).
    assert ice.poster.headers["ice-team"] == (
        "On call: @bob until Thu 10:00 CET · next @bob from Mon 09:00 CEST"
    )
    ice.run(cover + " --cancel", now=at("2027-03-24T12:00"))
    assert ice.poster.headers["ice-team"] == "On call: @ann until Mon 09:00 CEST · next @bob"
