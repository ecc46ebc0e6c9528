"""``rotation calendar`` through ``lotto.commands.execute``: the feed's tasks, URLs, errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from lotto.commands import Env, execute
from lotto.local import LocalDirectory
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged
from tests.lotto.helpers import dump, parse, unescape

NOW = datetime(2020, 3, 1, 12, tzinfo=UTC)
SETUP = [
    "rotation new ICE --period weekly --beginning 2020-01-02T09:00 --seed 5",
    "user join ICE @ann @bob @cid",
]


def _script(kv, **kw) -> Script:
    s = Script(kv, **kw)
    for line in SETUP:
        s.run(line, now=NOW)
    return s


def _served(s: Script, n: int, users: str, *, finish: datetime | None = None) -> None:
    """Make shift ICE#n with ``users`` and run it; finished at ``finish`` when given."""
    start = datetime(2020, 1, 2, 9, tzinfo=UTC) + timedelta(weeks=n)
    s.run(f"task new shift ICE --number {n}", now=start - timedelta(days=1))
    s.run(f"task assign ICE#{n} {users}", now=start - timedelta(days=1))
    s.run(f"task schedule ICE#{n}", now=start - timedelta(days=1))
    s.run(f"task start ICE#{n}", now=start)
    if finish is not None:
        s.run(f"task finish ICE#{n}", now=finish)


def _events(text: str) -> list[dict[str, str]]:
    block = re.search(r"^(`{3,})text\n(.*?)\r\n\1$", text, re.S | re.M)
    assert block, text
    return parse(block.group(2) + "\r\n")


def _uids(events) -> list[str]:
    return [e["UID"].partition(".")[0] for e in events]


def test_the_feed_has_open_tasks_and_tasks_finished_in_the_last_90_days(kv):
    s = _script(kv)
    _served(s, 0, "@ann", finish=datetime(2020, 1, 9, 9, tzinfo=UTC))
    _served(s, 1, "@bob", finish=datetime(2020, 1, 16, 9, tzinfo=UTC))
    _served(s, 2, "@cid")  # still started
    s.run("task new shift ICE --number 3 --force", now=NOW)  # pending, already over
    later = datetime(2020, 4, 10, tzinfo=UTC)  # 90 days after Jan 11: ICE#0 is out
    out = s.run("rotation calendar ICE", now=later)
    assert out.text.startswith("#### Calendar of rotation ICE: 3 tasks")
    events = _events(out.text)
    assert _uids(events) == ["ICE#1", "ICE#2", "ICE#3"]
    assert [unescape(e["SUMMARY"]) for e in events] == [
        "ICE#1: @bob",
        "ICE#2: @cid",
        "ICE#3 (pending, nobody yet)",
    ]
    assert [e["STATUS"] for e in events] == ["CONFIRMED", "CONFIRMED", "TENTATIVE"]
    assert events[0]["DTSTART"] == "20200109T090000Z" and events[0]["DTEND"] == "20200116T090000Z"
    assert all(e["DTSTAMP"] == "20200410T000000Z" for e in events)
    # Earlier, ICE#0 was still recent.
    assert _uids(_events(s.run("rotation calendar ICE", now=NOW).text))[0] == "ICE#0"


def test_a_personal_feed_and_the_json_struct(kv):
    s = _script(kv)
    _served(s, 0, "@ann @bob", finish=datetime(2020, 1, 9, 9, tzinfo=UTC))
    _served(s, 1, "@bob")
    out = s.run("rotation calendar @ann ICE", now=NOW)
    assert out.text.startswith("#### Calendar of rotation ICE for @ann: 1 task\n")
    assert _uids(_events(out.text)) == ["ICE#0"]
    data = json.loads(s.run("rotation calendar ICE @bob --json", now=NOW).text[8:-4])
    assert data["user_id"] == "bob" and data["rotation"]["RotationID"] == "ICE"
    assert [t["TaskID"] for t in data["tasks"]] == ["ICE#0", "ICE#1"]


def test_reading_the_feed_changes_nothing_and_costs_at_most_three_round_trips(kv):
    s = _script(kv)
    for n in range(30):  # many finished shifts: they are read in the same batch
        _served(
            s,
            n,
            "@ann",
            finish=datetime(2020, 1, 2, 9, tzinfo=UTC) + timedelta(weeks=n, days=6),
        )
    s.run("task new shift ICE --number 30", now=NOW)
    s.poster.reset()
    before = dump(kv)
    when = datetime(2020, 8, 1, tzinfo=UTC)
    events = _events(s.run("rotation calendar IC", now=when).text)
    assert 0 < s.env.service.stats.round_trips <= 3
    # 90 days before Aug 1 is May 3: shifts from ICE#17 (finished May 6) on.
    assert _uids(events) == [f"ICE#{n}" for n in range(17, 31)]
    s.run("rotation calendar -r ICE @ann", now=when)
    assert 0 < s.env.service.stats.round_trips <= 3
    assert dump(kv) == before
    assert s.poster.sent == []


def test_ticket_rotations_list_their_recent_tickets(kv):
    s = _script(kv)
    s.run("rotation new HELP --task-type ticket", now=NOW)
    s.run("task new ticket HELP --summary 'disk full; again'", now=NOW)
    s.run("task new ticket HELP --summary 'old one'", now=NOW - timedelta(days=200))
    s.run("task assign HELP#2 @ann", now=NOW - timedelta(days=200))
    s.run("task schedule HELP#2", now=NOW - timedelta(days=200))
    s.run("task start HELP#2", now=NOW - timedelta(days=200))
    s.run("task finish HELP#2", now=NOW - timedelta(days=199))
    recent = NOW - timedelta(days=10)
    for line in (
        "task new ticket HELP --summary recent",
        "task assign HELP#3 @bob",
        "task schedule HELP#3",
        "task start HELP#3",
        "task finish HELP#3",
    ):
        s.run(line, now=recent)
    events = _events(s.run("rotation calendar HELP", now=NOW).text)
    assert _uids(events) == ["HELP#3", "HELP#1"]  # in start order; HELP#2 ended too long ago
    assert unescape(events[1]["DESCRIPTION"]).splitlines()[-1] == "disk full; again"


class _Links:
    """A server's links as the command layer sees them (the shim signs real ones)."""

    def __init__(self, base: str | None = "https://lotto.example") -> None:
        self.base = base
        self.calls: list[tuple[str, ...]] = []

    def feed(self, rotation_id: str, user_id: str, holder_id: str) -> str | None:
        self.calls.append((rotation_id, user_id, holder_id))
        return self.base and f"{self.base}/{rotation_id}.ics?user={user_id}&by={holder_id}"

    def page(self, rotation_id: str, holder_id: str) -> str | None:
        return self.base and f"{self.base}/page/{rotation_id}?by={holder_id}"

    def chart(self, kind: str, rotation_id: str, params: dict[str, str]) -> str | None:
        return self.base and f"{self.base}/chart/{rotation_id}/{kind}.png"


def test_with_a_feed_server_members_get_subscription_urls_given_to_them(kv):
    s = _script(kv)
    links = _Links()
    env = Env(kv, LocalDirectory("UTC", admins=False), s.poster, links=links)
    out = execute(env, "ann", "rotation calendar IC", now=NOW)  # anyone may run it
    assert out.ok, out.text
    assert links.calls == [("ICE", "", "ann"), ("ICE", "ann", "ann")]
    assert "- Every shift: https://lotto.example/ICE.ics?user=&by=ann\n" in out.text
    assert "- Your shifts (@ann): https://lotto.example/ICE.ics?user=ann&by=ann\n" in out.text
    assert "BEGIN:VCALENDAR" not in out.text and "a year" in out.text
    links.calls.clear()
    out = execute(env, "ann", "rotation calendar ICE @bob", now=NOW)
    assert links.calls == [("ICE", "bob", "ann")] and "- Shifts of @bob: " in out.text
    # A server that has no URL to offer falls back to the calendar text.
    env = Env(kv, LocalDirectory("UTC"), s.poster, links=_Links(None))
    assert "BEGIN:VCALENDAR" in execute(env, "ann", "rotation calendar ICE", now=NOW).text


def test_someone_who_is_neither_member_nor_owner_gets_no_url_but_the_text(kv):
    s = _script(kv)
    links = _Links()
    env = Env(kv, LocalDirectory("UTC", admins=False), s.poster, links=links)
    out = execute(env, "dan", "rotation calendar ICE", now=NOW)
    assert out.ok, out.text
    assert links.calls == [] and "BEGIN:VCALENDAR" in out.text
    assert "are for its members and owners" in out.text and "user join ICE" in out.text


@pytest.mark.parametrize(
    "line",
    [
        "rotation calendar",
        "rotation calendar NOPE",
        "rotation calendar ICE @",
        "rotation calendar ICE @ann @bob",
        "rotation calendar ICE HELP",
        "rotation calendar -r IC",
        "rotation calendar ICE --bogus",
    ],
)
def test_bad_input_is_a_clean_error_that_changes_nothing(kv, line):
    assert_rejected_unchanged(_script(kv), line, now=NOW)


def test_the_finished_tasks_read_are_bounded_and_recent():
    from lotto.model.rotation import FillSettings, Rotation
    from lotto.service.calendar_feed import MAX_FINISHED, finished_candidates

    hourly = Rotation(
        rotation_id="H",
        task_ids=[f"H#{n}" for n in range(5000)],
        fill_settings=FillSettings(beginning=NOW - timedelta(hours=4000), period="1h0m0s"),
    )
    ids = finished_candidates(hourly, {"H#3999"}, NOW)
    assert len(ids) == MAX_FINISHED and "H#3999" not in ids
    assert ids[-1] == "H#4001"  # the current period's shift and the next one, newest last
    weekly = Rotation(
        rotation_id="W",
        task_ids=["W#0", "W#50", "W#51", "W#2", "W#60", "W#x"],
        fill_settings=FillSettings(beginning=NOW - timedelta(weeks=52), period="weekly"),
    )
    # 90 days back is within period 39; the current one is 52.
    assert finished_candidates(weekly, {"W#51"}, NOW) == ["W#50"]
