"""``lotto.ical``: RFC 5545 text of a rotation's tasks (escaping, folding, events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lotto.ical import escape_text, fold_line, format_utc, render_calendar
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from tests.lotto.helpers import parse, unescape, unfold

NOW = datetime(2020, 3, 10, 8, 30, tzinfo=UTC)
T0 = datetime(2020, 3, 5, 17, tzinfo=UTC)
WEEK = timedelta(days=7)
DOMAIN = "com.mattermost.solar-lottery"


def _rotation() -> Rotation:
    return Rotation(rotation_id="SET")


def _task(n: int, state: str = "pending", users: tuple[str, ...] = (), **kw) -> Task:
    return Task(
        task_id=f"SET#{n}",
        rotation_id="SET",
        state=state,
        expected_start=T0 + n * WEEK,
        expected_duration=WEEK,
        mattermost_user_ids=list(users),
        require={"any": 2},
        **kw,
    )


def test_escaping_of_text_values():
    assert escape_text("a\\b;c,d\ne\r\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    assert unescape(escape_text("x;y,z\\n\nw")) == "x;y,z\\n\nw"


def test_short_lines_are_not_folded_and_end_in_crlf():
    assert fold_line("SUMMARY:hi") == "SUMMARY:hi\r\n"
    assert fold_line("X" * 75) == "X" * 75 + "\r\n"


@pytest.mark.parametrize("char", ["a", "é", "◈", "😀"])
def test_folding_keeps_pieces_within_75_octets_and_never_splits_a_character(char):
    line = "DESCRIPTION:" + char * 200
    folded = fold_line(line)
    pieces = folded[:-2].split("\r\n")
    assert len(pieces) > 1
    for i, piece in enumerate(pieces):
        assert len(piece.encode("utf-8")) <= 75
        assert i == 0 or piece.startswith(" ")
    # Pieces are valid UTF-8 on their own, and unfolding restores the line.
    for piece in pieces:
        piece.encode("utf-8").decode("utf-8")
    assert folded[:-2].replace("\r\n ", "") == line
    # Greedy: a piece is only cut when the next character would not fit.
    width = len(char.encode("utf-8"))
    assert len(pieces[0].encode("utf-8")) > 75 - width


def test_one_event_per_task_with_stable_uids_and_utc_times():
    tasks = [_task(0, "finished", ("alice",)), _task(1, "scheduled", ("alice", "bob")), _task(2)]
    tasks[0].actual_start, tasks[0].actual_finish = T0, T0 + timedelta(days=6, hours=3)
    text = render_calendar(_rotation(), tasks, domain=DOMAIN, now=NOW)
    events = parse(text)
    assert [e["UID"] for e in events] == [f"SET#{n}@{DOMAIN}" for n in range(3)]
    assert all(e["DTSTAMP"] == "20200310T083000Z" for e in events)
    assert events[0]["DTSTART"] == "20200305T170000Z" and events[0]["DTEND"] == "20200311T200000Z"
    assert events[1]["DTSTART"] == "20200312T170000Z" and events[1]["DTEND"] == "20200319T170000Z"
    # A later refresh (other clock, reordered input) keeps every UID.
    again = parse(render_calendar(_rotation(), tasks[::-1], domain=DOMAIN, now=NOW + WEEK))
    assert [e["UID"] for e in again] == [e["UID"] for e in events]
    assert again[0]["DTSTAMP"] == "20200317T083000Z"


def test_summary_status_and_description_follow_the_task():
    tasks = [_task(0, "started", ("alice", "bob")), _task(1), _task(2, users=("carol",))]
    tasks[0].actual_start = T0 + timedelta(hours=2)
    names = {"alice": "@alice", "bob": "@bob", "carol": "@carol"}
    events = parse(render_calendar(_rotation(), tasks, domain=DOMAIN, now=NOW, mention=names.get))
    assert [unescape(e["SUMMARY"]) for e in events] == [
        "SET#0: @alice, @bob",
        "SET#1 (pending, nobody yet)",
        "SET#2: @carol",
    ]
    assert [e["STATUS"] for e in events] == ["CONFIRMED", "TENTATIVE", "TENTATIVE"]
    # started: actual start + expected duration
    assert events[0]["DTSTART"] == "20200305T190000Z" and events[0]["DTEND"] == "20200312T190000Z"
    assert unescape(events[0]["DESCRIPTION"]).splitlines() == ["State: started", "Require: 2 any"]


def test_special_characters_in_descriptions_survive_a_round_trip():
    text_in = "Pager: +1 555; runbook, see C:\\ops\nand ◈◈ experts " + "x" * 80
    task = _task(0, "scheduled", ("alice",), description=text_in)
    text = render_calendar(_rotation(), [task], domain=DOMAIN, now=NOW)
    assert all(len(piece.encode()) <= 75 for piece in text.split("\r\n"))
    (event,) = parse(text)
    assert unescape(event["DESCRIPTION"]).endswith(text_in)


def test_a_personal_feed_keeps_only_that_users_tasks():
    tasks = [
        _task(0, "scheduled", ("alice",)),
        _task(1, "scheduled", ("bob",)),
        _task(2, users=("bob", "alice")),
    ]
    events = parse(render_calendar(_rotation(), tasks, domain=DOMAIN, now=NOW, user_id="alice"))
    assert [e["UID"] for e in events] == [f"SET#0@{DOMAIN}", f"SET#2@{DOMAIN}"]
    assert "X-WR-CALNAME:SET rotation (@alice)" in unfold(
        render_calendar(_rotation(), tasks, domain=DOMAIN, now=NOW, user_id="alice")
    )


def test_tasks_without_a_time_are_left_out_and_zero_length_ones_have_no_end():
    untimed = Task(task_id="SET#9", rotation_id="SET")
    instant = _task(1, "scheduled", ("alice",))
    instant.expected_duration = timedelta(0)
    events = parse(render_calendar(_rotation(), [untimed, instant], domain=DOMAIN, now=NOW))
    assert len(events) == 1 and "DTEND" not in events[0]
    assert parse(render_calendar(_rotation(), [], domain=DOMAIN, now=NOW)) == []


def test_times_in_other_zones_are_written_in_utc():
    la = timezone(timedelta(hours=-8))
    assert format_utc(datetime(2020, 3, 5, 9, tzinfo=la)) == "20200305T170000Z"
