"""``lotto.ical``: RFC 5545 text of a rotation's tasks, read back by two iCalendar readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lotto.commands import execute
from lotto.ical import event_uid, render_calendar
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import parse, unfold

NOW = datetime(2020, 3, 10, 8, 30, tzinfo=UTC)
T0 = datetime(2020, 3, 5, 17, tzinfo=UTC)
WEEK = timedelta(days=7)
NS = "com.mattermost.solar-lottery"
SITE = "chat.example.com"


def _cal(tasks, **kw) -> str:
    return render_calendar(_rotation(), tasks, namespace=NS, site=SITE, now=NOW, **kw)


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


def test_lines_end_in_crlf_and_are_folded_within_75_octets():
    long = "Pager: +1 555; runbook, see C:\\ops\nand ◈◈ experts 😀 " + "é" * 80
    text = _cal([_task(0, "scheduled", ("alice",), description=long)])
    pieces = text[:-2].split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    for piece in pieces:  # every piece is valid UTF-8 on its own
        piece.encode("utf-8").decode("utf-8")
    (event,) = parse(text)
    assert event["DESCRIPTION"].endswith(long)


def test_one_event_per_task_with_uids_naming_the_deployment_and_utc_times():
    tasks = [_task(0, "finished", ("alice",)), _task(1, "scheduled", ("alice", "bob")), _task(2)]
    tasks[0].actual_start, tasks[0].actual_finish = T0, T0 + timedelta(days=6, hours=3)
    events = parse(_cal(tasks))
    assert [e["UID"] for e in events] == [f"SET#{n}.{NS}@{SITE}" for n in range(3)]
    assert all(e["DTSTAMP"] == "20200310T083000Z" for e in events)
    assert events[0]["DTSTART"] == "20200305T170000Z" and events[0]["DTEND"] == "20200311T200000Z"
    assert events[1]["DTSTART"] == "20200312T170000Z" and events[1]["DTEND"] == "20200319T170000Z"
    # A later refresh (other clock, reordered input) keeps every UID.
    again = parse(
        render_calendar(_rotation(), tasks[::-1], namespace=NS, site=SITE, now=NOW + WEEK)
    )
    assert [e["UID"] for e in again] == [e["UID"] for e in events]
    assert again[0]["DTSTAMP"] == "20200317T083000Z"
    # Another deployment (site or namespace) never shares a UID with this one.
    assert event_uid("SET#0", NS, "other.example.com") != events[0]["UID"]
    assert event_uid("SET#0", NS + ".staging", SITE) != events[0]["UID"]


def test_title_status_and_description_follow_the_task():
    tasks = [_task(0, "started", ("alice", "bob")), _task(1), _task(2, users=("carol",))]
    tasks[0].actual_start = T0 + timedelta(hours=2)
    names = {"alice": "@alice", "bob": "@bob", "carol": "@carol"}
    events = parse(_cal(tasks, mention=names.get))
    assert [e["SUMMARY"] for e in events] == [
        "SET#0: @alice, @bob",
        "SET#1 (pending, nobody yet)",
        "SET#2: @carol",
    ]
    assert [e["STATUS"] for e in events] == ["CONFIRMED", "TENTATIVE", "TENTATIVE"]
    assert events[0]["DTSTART"] == "20200305T190000Z" and events[0]["DTEND"] == "20200312T190000Z"
    assert events[0]["DESCRIPTION"].splitlines() == ["State: started", "Require: 2 any"]


def test_a_tickets_summary_is_in_the_event_title():
    ticket = _task(4, "scheduled", ("bob",), summary="disk full; again")
    ticket.task_id = "SET#4"
    (event,) = parse(_cal([ticket], mention=lambda u: "@" + u))
    assert event["SUMMARY"] == "SET#4 disk full; again: @bob"


def test_sequence_and_last_modified_come_from_the_task():
    fresh, revised = _task(0, "scheduled", ("alice",)), _task(1, "scheduled", ("bob",))
    revised.sequence, revised.modified = 3, datetime(2020, 3, 9, 12, tzinfo=UTC)
    events = parse(_cal([fresh, revised]))
    assert events[0]["SEQUENCE"] == "0" and "LAST-MODIFIED" not in events[0]
    assert events[1]["SEQUENCE"] == "3" and events[1]["LAST-MODIFIED"] == "20200309T120000Z"


def test_a_personal_feed_keeps_only_that_users_tasks():
    tasks = [
        _task(0, "scheduled", ("alice",)),
        _task(1, "scheduled", ("bob",)),
        _task(2, users=("bob", "alice")),
    ]
    text = _cal(tasks, user_id="alice")
    assert [e["UID"].partition(".")[0] for e in parse(text)] == ["SET#0", "SET#2"]
    assert "X-WR-CALNAME:SET rotation (@alice)" in unfold(text)


def test_tasks_without_a_time_are_left_out_and_zero_length_ones_have_no_end():
    untimed = Task(task_id="SET#9", rotation_id="SET")
    instant = _task(1, "scheduled", ("alice",))
    instant.expected_duration = timedelta(0)
    events = parse(_cal([untimed, instant]))
    assert len(events) == 1 and "DTEND" not in events[0]
    assert parse(_cal([])) == []


def test_times_in_other_zones_are_written_in_utc():
    la = timezone(timedelta(hours=-8))
    task = _task(0, "scheduled", ("alice",))
    task.expected_start = datetime(2020, 3, 5, 9, tzinfo=la)
    (event,) = parse(_cal([task]))
    assert event["DTSTART"] == "20200305T170000Z"


def _feed(s: Script, now: datetime) -> dict[str, dict[str, str]]:
    out = execute(s.env, "lead", "rotation calendar ICE", now=now)
    assert out.ok, out.text
    # The CLI prints the feed with its own CRLF line ends, ready to save as a .ics file.
    body = out.text.split("```text\n", 1)[1].rsplit("\r\n```", 1)[0] + "\r\n"
    return {e["UID"].partition(".")[0]: e for e in parse(body)}


def test_changed_events_carry_a_higher_sequence_and_their_modification_time(kv):
    s = Script(kv)
    t0 = datetime(2020, 3, 1, 12, tzinfo=UTC)
    for line in (
        "rotation new ICE --period weekly --beginning 2020-03-05T09:00",
        "user join ICE @ann @bob @cid",
        "task new shift ICE --number 0",
        "task new shift ICE --number 1",
    ):
        s.run(line, now=t0)
    first = _feed(s, t0)
    assert {uid: e["SEQUENCE"] for uid, e in first.items()} == {"ICE#0": "0", "ICE#1": "0"}
    assert first["ICE#0"]["LAST-MODIFIED"] == "20200301T120000Z"
    t1 = t0 + timedelta(hours=5)
    s.run("task assign ICE#0 @ann", now=t1)
    second = _feed(s, t1)
    assert int(second["ICE#0"]["SEQUENCE"]) > int(first["ICE#0"]["SEQUENCE"])
    assert second["ICE#0"]["LAST-MODIFIED"] == "20200301T170000Z"
    assert second["ICE#1"] == {**first["ICE#1"], "DTSTAMP": second["ICE#1"]["DTSTAMP"]}
    t2 = t1 + timedelta(hours=1)
    s.run("task schedule ICE#0", now=t2)
    third = _feed(s, t2)
    assert int(third["ICE#0"]["SEQUENCE"]) > int(second["ICE#0"]["SEQUENCE"])
    assert third["ICE#0"]["STATUS"] == "CONFIRMED"
    # A save that changes nothing the event shows (a place offered) is no revision.
    s.run("task offer ICE#0", now=t2 + timedelta(hours=1), actor="ann")
    fourth = _feed(s, t2 + timedelta(hours=1))
    assert fourth["ICE#0"]["SEQUENCE"] == third["ICE#0"]["SEQUENCE"]
    assert fourth["ICE#0"]["LAST-MODIFIED"] == third["ICE#0"]["LAST-MODIFIED"]
