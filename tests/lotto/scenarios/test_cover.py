"""Issue 17: overrides for any span (``task cover``, time off over part of a shift).

The weekly shift OPS#3 runs Mon 25 Oct 2027 09:00 CEST to Mon 1 Nov 2027 09:00 CET in
Berlin: it crosses the end of summer time (Sun 31 Oct, 03:00 CEST → 02:00 CET) and the
end of October, and so does the one-day cover inside it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lotto import api
from lotto.ical import render_calendar
from lotto.maintenance.check import check
from tests.lotto.commands.helpers import Script, assert_clean_error, assert_rejected_unchanged
from tests.lotto.helpers import dump

BERLIN = "Europe/Berlin"
SETUP = """
    rotation new OPS --period weekly --beginning 2027-10-04T09:00 --seed 1
    rotation set owners OPS @lead
    rotation set channel OPS ~ops
    user join OPS @ann @bob @cat
    task new shift OPS --number 3
    task assign OPS#3 @bob
    task schedule OPS#3
"""
BEFORE = datetime(2027, 10, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def ops(kv_memory):
    """An admin script in Berlin; OPS#3 (scheduled) has @bob; @ann, @cat are free."""
    admin = Script(kv_memory, tz=BERLIN, actor="boss")
    admin.multi(SETUP, now=BEFORE)
    admin.poster.reset()
    return admin


def _now_line(script: Script, when: datetime) -> str:
    text = script.run("rotation now OPS", now=when).text
    return next(line for line in text.splitlines() if line.startswith("- Now:"))


def _feed(script: Script, user_id: str) -> str:
    req = api.RotationCalendarRequest(rotation=api.RotationRef(name="OPS"), user_id=user_id)
    res = script.env.service.rotation_calendar(req, actor_id="boss", now=BEFORE)
    return render_calendar(
        res.rotation, res.tasks, namespace="t", site="x", now=BEFORE, user_id=user_id
    )


def test_a_one_day_cover_inside_a_weekly_shift_before_during_and_after(ops):
    members = Script(ops.kv, tz=BERLIN, admins=False)
    members.env = ops.env.__class__(ops.kv, members.directory, ops.poster)
    out = members.run(
        "task cover OPS#3 @cat --from 2027-10-31T00:00 --to 2027-11-01T00:00",
        actor="bob",
        now=BEFORE,
    )
    assert out.text.startswith(
        "@cat covers for @bob on **OPS#3** from Sun 31 Oct 2027 00:00 CEST to "
        "Mon 1 Nov 2027 00:00 CET; outside that, @bob stays on call."
    )
    (override,) = out.data.task.overrides
    assert (override.start, override.finish) == (utc("2027-10-30T22:00"), utc("2027-10-31T23:00"))
    # 25 hours: the night the clocks go back is an hour longer.
    assert override.finish - override.start == utc("2027-10-02T01:00") - utc("2027-10-01T00:00")
    # The shift keeps its people; only the rule "who is on call at t" changes.
    assert out.data.task.mattermost_user_ids == ["bob"]

    before = _now_line(ops, utc("2027-10-30T21:59"))  # Sat 30 Oct 23:59 CEST
    during_dst = _now_line(ops, utc("2027-10-31T01:30"))  # 02:30 CET, after the change
    last_hour = _now_line(ops, utc("2027-10-31T22:59"))  # Sun 31 Oct 23:59 CET
    after = _now_line(ops, utc("2027-10-31T23:00"))  # Mon 1 Nov 00:00 CET, a new month
    assert before.startswith("- Now: **OPS#3** (scheduled)") and ": @bob;" in before
    assert before.endswith("; @cat covers for @bob Sun 31 Oct 2027 00:00 to Mon 1 Nov 2027 00:00")
    for line in (during_dst, last_hour):
        assert line.startswith(
            "- Now: @cat (covering for @bob until Mon 1 Nov 2027 00:00) on **OPS#3** (scheduled)"
        ), line
        assert line.endswith(": @bob"), line
    assert after.startswith("- Now: **OPS#3** (scheduled)") and "covers" not in after

    # @cat's and @bob's shifts say so; the calendar feed has the cover as its own event.
    cat = ops.run("user shifts @cat --days 60", now=BEFORE).text
    assert (
        "- Covering:\n  - **OPS#3** Sun 31 Oct 2027 00:00 to Mon 1 Nov 2027 00:00: for @bob" in cat
    )
    bob = ops.run("user shifts @bob --days 60", now=BEFORE).text
    assert "; @cat covers for @bob Sun 31 Oct 2027 00:00 to Mon 1 Nov 2027 00:00" in bob
    shown = ops.run("task show OPS#3", now=BEFORE).text
    assert "- Covered: @cat for @bob, Sun 31 Oct 2027 00:00–Mon 1 Nov 2027 00:00" in shown
    # The cover keeps @cat busy: a fill or a take elsewhere then would skip them.
    cat_record = ops.run("user show @cat", now=BEFORE).data.users[0]
    assert [(e.task_id, e.start) for e in cat_record.calendar] == [("OPS#3", override.start)]
    assert check(ops.kv) == []  # the store's own check knows covers

    # Told: @cat (DM), the channel; @bob ran it and reads the reply.
    assert [u for u, _ in ops.poster.sent] == ["cat"]
    assert ops.poster.sent[0][1] == (
        "@bob set you to cover for them on shift **OPS#3**: you are on call "
        "Sun 31 Oct 2027 00:00–Mon 1 Nov 2027 00:00 CET."
    )
    (post,) = [t for c, t in ops.poster.posts if c == "ops"]
    assert post.startswith("@cat covers for @bob on shift **OPS#3**, Sun 31 Oct 2027 00:00")


def test_the_start_message_and_feed_show_the_cover_and_cancel_undoes_it(ops):
    ops.run(
        "task cover OPS#3 @cat --for @bob --from 2027-10-25T09:00 --to 2027-10-26T09:00",
        now=BEFORE,
    )
    ops.poster.reset()
    ops.run("task start OPS#3", now=utc("2027-10-25T07:00"))
    (post,) = [t for c, t in ops.poster.posts if c == "ops"]
    assert "on call now @cat, until Mon 1 Nov 2027 09:00 CET" in post
    assert "Covering: @cat for @bob, Mon 25 Oct 2027 09:00–Tue 26 Oct 2027 09:00 CEST." in post
    for user_id in ("", "cat", "bob"):
        ics = _feed(ops, user_id)
        assert "SUMMARY:OPS#3 cover: @cat for @bob" in ics
        assert ("SUMMARY:OPS#3: @bob" in ics) == (user_id != "cat")
    assert "SUMMARY" not in _feed(ops, "ann")

    out = ops.run("task cover OPS#3 @cat --cancel --for @bob", now=utc("2027-10-25T08:00"))
    assert out.text.startswith("Removed the cover on **OPS#3**: @cat for @bob")
    assert out.data.task.overrides == []
    assert ops.run("user show @cat", now=BEFORE).data.users[0].calendar == []
    assert _now_line(ops, utc("2027-10-25T08:30")).startswith("- Now: **OPS#3** (started)")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("task cover OPS#3 @cat --from 2027-10-20 --to 2027-10-26", "must lie within OPS#3"),
        ("task cover OPS#3 @cat --from 2027-10-27 --to 2027-10-26", "--to must be after --from"),
        ("task cover OPS#3 @bob --for @bob --from 2027-10-26 --to 2027-10-27", "already on"),
        ("task cover OPS#3 @zed --for @bob --from 2027-10-26 --to 2027-10-27", "not a member"),
        ("task cover OPS#3 @cat --for @ann --from 2027-10-26 --to 2027-10-27", "not on OPS#3"),
        ("task cover OPS#3 @cat --for @bob", "Say when"),
    ],
)
def test_a_cover_that_does_not_fit_is_refused_and_changes_nothing(ops, line, says):
    out = assert_rejected_unchanged(ops, line, now=BEFORE)
    assert says in out.text, out.text


def test_a_cover_over_someone_else_busy_or_by_a_stranger_is_refused(ops):
    ops.run("user unavailable @cat --start 2027-10-26 --finish 2027-10-27", now=BEFORE)
    out = ops.try_("task cover OPS#3 @cat --for @bob --from 2027-10-26 --to 2027-10-27", now=BEFORE)
    assert_clean_error(out)
    assert "@cat is not available then (time off overlaps OPS#3)" in out.text
    stranger = Script(ops.kv, tz=BERLIN, admins=False)
    before = dump(ops.kv)
    out = stranger.try_(
        "task cover OPS#3 @ann --for @bob --from 2027-10-26 --to 2027-10-27",
        actor="ann",
        now=BEFORE,
    )
    assert_clean_error(out)
    assert "owners of rotation OPS" in out.text
    # Without --for, the place covered is the acting user's: @ann has none there.
    out = stranger.try_(
        "task cover OPS#3 @ann --from 2027-10-26 --to 2027-10-27", actor="ann", now=BEFORE
    )
    assert "@ann is not on OPS#3" in out.text
    assert dump(ops.kv) == before


def test_time_off_for_part_of_a_shift_offers_only_that_part_and_taking_it_covers_it(ops):
    """The issue's example: a one-day absence inside the week offers that day, not the week,
    and the one command sends each person one message."""
    ops.poster.reset()
    out = ops.run("user unavailable @bob --start 2027-10-31 --finish 2027-11-01", now=BEFORE)
    assert (
        "@bob on Sun 31 Oct 2027 00:00–Mon 1 Nov 2027 00:00 CET of **OPS#3**: only that part is "
        "offered; whoever takes it covers it (@cat, @ann)"
    ) in out.text
    task = ops.run("task show OPS#3", now=BEFORE).data.task
    (offer,) = task.offers
    assert (offer.start, offer.finish) == (utc("2027-10-30T22:00"), utc("2027-10-31T23:00"))
    readers = [u for u, _ in ops.poster.sent] + [c for c, _ in ops.poster.posts]
    assert sorted(readers) == ["ann", "cat", "lead", "ops"]  # one message each
    (ann_dm,) = [t for u, t in ops.poster.sent if u == "ann"]
    assert ann_dm.startswith(
        "###### @bob offers part of their place: Sun 31 Oct 2027 00:00–Mon 1 Nov 2027 00:00 CET "
        "of shift **OPS#3**"
    )
    (channel,) = [t for c, t in ops.poster.posts if c == "ops"]
    assert "away during shift **OPS#3**" in channel and "offers part of their place" in channel

    ops.poster.reset()
    out = ops.run("task take OPS#3", actor="ann", now=BEFORE)
    task = out.data.task
    assert task.mattermost_user_ids == ["bob"] and task.offers == []
    assert [(o.user_id, o.replaces) for o in task.overrides] == [("ann", "bob")]
    assert _now_line(ops, utc("2027-10-31T12:00")).startswith("- Now: @ann (covering for @bob")
    assert ": @bob" in _now_line(ops, utc("2027-10-30T12:00"))
    (bob_dm,) = [t for u, t in ops.poster.sent if u == "bob"]
    assert "@ann took your place on **OPS#3** (Sun 31 Oct 2027 00:00–Mon 1 Nov 2027 00:00 CET" in (
        bob_dm
    )
    assert "only); you are off call then." in bob_dm


def test_time_off_over_part_of_a_started_shift_offers_what_is_still_to_come(ops):
    ops.run("task start OPS#3", now=utc("2027-10-25T07:00"))
    out = ops.run(
        "user unavailable @bob --start 2027-10-29 --finish 2027-11-03",
        now=utc("2027-10-30T10:00"),
    )
    assert "of **OPS#3**: only that part is offered" in out.text
    (offer,) = ops.run("task show OPS#3", now=BEFORE).data.task.offers
    # From now (the shift already runs) to its end: what is left of the week.
    assert (offer.start, offer.finish) == (utc("2027-10-30T10:00"), utc("2027-11-01T08:00"))
    ops.run("task take OPS#3 @bob", actor="cat", now=utc("2027-10-30T11:00"))
    assert _now_line(ops, utc("2027-10-31T12:00")).startswith("- Now: @cat (covering for @bob")
