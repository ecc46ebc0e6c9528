"""Records every command reads stay bounded as a rotation ages (issue 15).

Finished shifts leave the rotation's ``TaskIDs`` for its ``FinishedNumbers``
ranges, joins and leaves go to ``memberships:<id>``, and a user's old task
events are pruned; what history readers need (the report, the feed) is
still found. Sizes are bytes of the stored JSON, not timings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lotto import api
from lotto.maintenance import check
from lotto.model.membership import MAX_STRETCHES
from lotto.model.task import STATE_FINISHED
from tests.lotto.commands.helpers import Script
from tests.lotto.service.helpers import make_service, ref

T0 = datetime(2030, 1, 1, 9, tzinfo=UTC)
PEOPLE = ("ann", "bob", "cid", "dan")
ROTATION_BOUND = 1_500  # bytes: settings, four members, a few open shifts, one range
USER_BOUND = 9_000  # bytes: ~90 days of daily shifts shared by four, with grace events


def _size(kv, key: str) -> int:
    return len(kv.get(key))


def _daily(kv) -> Script:
    s = Script(kv, actor="lead")
    s.multi(
        f"""
        rotation new DAY --period daily --beginning 2030-01-01T09:00
        rotation set task DAY --grace 12h
        user join DAY {" ".join("@" + p for p in PEOPLE)}
        rotation set autopilot DAY --create --create-prior 20d --schedule --schedule-prior 20d
        rotation set autopilot DAY --start-finish
        """,
        now=T0 - timedelta(days=1),
    )
    return s


def _run_days(s: Script, first: datetime, days: int) -> datetime:
    now = first
    for _ in range(days // 5):
        s.run("rotation autopilot DAY", now=now)
        now += timedelta(days=5)
    return now


def _finished(kv) -> int:
    ranges = json.loads(kv.get("rotation:DAY"))["FinishedNumbers"]
    return sum(b - a + 1 for a, b in ranges)


@pytest.fixture(scope="module")
def aged(tmp_path_factory):
    """A daily rotation run by the autopilot for 1,100 days, with sizes at day 200 and the end."""
    import kvstore

    kv = kvstore.open("memory://bounded-aged", "bounded")
    s = _daily(kv)
    mid = _run_days(s, T0, 200)
    sizes = {"rotation": _size(kv, "rotation:DAY")}
    sizes["user"] = max(_size(kv, f"user:{p}") for p in PEOPLE)
    end = _run_days(s, mid, 900)
    yield kv, s, end, sizes
    kv.delete_all()
    kv.close()


def _started_between(kv, since: str, until: str) -> list[str]:
    """Ids of the finished tasks (read one by one) whose actual start is in the window."""
    out = []
    for key in kv.list_keys(0, 5000):
        if key.startswith("task:"):
            task = json.loads(kv.get(key))
            low = datetime.fromisoformat(since + "T00:00:00+00:00")
            high = datetime.fromisoformat(until + "T00:00:00+00:00")
            start = task["ActualStart"] and datetime.fromisoformat(task["ActualStart"])
            if task["State"] == STATE_FINISHED and start and low <= start < high:
                out.append(task["TaskID"])
    return out


def test_the_rotation_record_stays_small_as_shifts_finish(aged):
    kv, _, _, mid = aged
    assert _finished(kv) >= 1_000
    rotation = json.loads(kv.get("rotation:DAY"))
    assert len(rotation["FinishedNumbers"]) == 1  # one run of numbers
    # Open: the first five (they ended before the first fill) and the shifts made ahead.
    assert len(rotation["TaskIDs"]) <= 30
    assert _size(kv, "rotation:DAY") <= ROTATION_BOUND
    # From day 200 to day 1,100: one more digit in each listed id and in the range, no more.
    assert _size(kv, "rotation:DAY") <= mid["rotation"] + 40


def test_user_records_stay_small_and_keep_their_credit(aged):
    kv, _, end, mid = aged
    largest = max(_size(kv, f"user:{p}") for p in PEOPLE)
    assert largest <= USER_BOUND
    assert largest <= mid["user"] * 1.25
    for p in PEOPLE:
        user = json.loads(kv.get(f"user:{p}"))
        assert all(e["Finish"] >= (end - timedelta(days=100)).isoformat() for e in user["Calendar"])
        # LastServed is the end of their last shift, not of the last one kept on the calendar.
        last = max(
            int(datetime.fromisoformat(t["ActualFinish"]).timestamp())
            for k in kv.list_keys(0, 5000)
            if k.startswith("task:")
            and (t := json.loads(kv.get(k)))["MattermostUserIDs"] == [p]
            and t["State"] == STATE_FINISHED
        )
        assert user["LastServed"]["DAY"] >= last


def test_history_readers_still_find_the_finished_shifts(aged):
    kv, s, end, _ = aged
    stats = s.run("rotation stats DAY", now=end).data
    assert 360 <= stats.shifts <= 366  # a year of daily shifts, all of them finished tasks
    assert sum(m.shifts for m in stats.members) == stats.shifts
    feed = s.run("rotation calendar DAY", now=end).text
    # The last 90 days' finished shifts (and the open ones) are in the feed.
    assert feed.count("BEGIN:VEVENT") >= 90
    early = s.run("rotation stats DAY --since 2030-02-01 --until 2030-03-01", now=end).data
    assert early.shifts == len(_started_between(kv, "2030-02-01", "2030-03-01")) > 20
    assert check(kv) == []


def test_the_next_shift_is_never_made_twice(aged):
    kv, s, end, _ = aged
    out = s.try_("task new shift DAY --number 500", now=end)
    assert not out.ok and "already exists" in out.text


def test_memberships_stay_out_of_the_rotation_record_and_bounded(kv_memory):
    s = Script(kv_memory, actor="lead")
    s.run("rotation new DAY --period daily --beginning 2030-01-01T09:00", now=T0)
    s.run("user join DAY @ann @bob", now=T0)
    svc = make_service(kv_memory)
    rotation_before = _size(kv_memory, "rotation:DAY")
    now = T0
    sizes = []
    for cycle in range(500):
        for req, at in (
            (api.UserJoinRequest(rotation=ref("DAY"), user_ids=["eve"]), now),
            (api.UserLeaveRequest(rotation=ref("DAY"), user_ids=["eve"]), now + timedelta(hours=8)),
        ):
            call = svc.user_join if isinstance(req, api.UserJoinRequest) else svc.user_leave
            call(req, actor_id="lead", now=at)
        now += timedelta(days=1 + cycle % 3)
        if cycle in (100, 499):
            sizes.append(_size(kv_memory, "memberships:DAY"))
    assert _size(kv_memory, "rotation:DAY") == rotation_before
    assert "eve" not in kv_memory.get("rotation:DAY").decode()
    assert sizes[1] == sizes[0]  # capped: the closest stretches merged
    spans = json.loads(kv_memory.get("memberships:DAY"))["Users"]["eve"]
    assert len(spans) == MAX_STRETCHES
    assert spans[0]["Joined"].startswith("2030-01-01")  # the first join is kept
    assert check(kv_memory) == []


def _to_old_layout(kv) -> None:
    """Rewrite DAY as records written before issue 15 were: every task in ``TaskIDs``,
    memberships inside the rotation, no ``memberships:`` record."""
    rotation = json.loads(kv.get("rotation:DAY"))
    finished = [f"DAY#{n}" for a, b in rotation.pop("FinishedNumbers") for n in range(a, b + 1)]
    rotation["TaskIDs"] = sorted([*finished, *rotation["TaskIDs"]], key=lambda t: int(t[4:]))
    rotation["Memberships"] = json.loads(kv.get("memberships:DAY"))["Users"]
    kv.set("rotation:DAY", json.dumps(rotation).encode())
    kv.delete("memberships:DAY")


def test_old_layout_records_still_work_and_move_over_on_write(kv_memory):
    s = _daily(kv_memory)
    end = _run_days(s, T0, 60)
    s.run("user leave DAY @dan", now=end - timedelta(days=20))
    s.run("user join DAY @dan", now=end - timedelta(days=10))

    def seen() -> tuple[object, str]:
        report = s.run("rotation stats DAY", now=end).data
        return report, s.run("rotation calendar DAY", now=end).text

    new = seen()
    _to_old_layout(kv_memory)
    old = json.loads(kv_memory.get("rotation:DAY"))
    assert len(old["TaskIDs"]) > 60 and old["Memberships"]["dan"]
    assert check(kv_memory) == []  # the old layout is consistent too
    assert seen() == new  # the report and the feed read both layouts alike
    s.run("rotation show DAY", now=end)
    # rotation show loaded the open tasks: the finished ones moved to the ranges, once.
    moved = json.loads(kv_memory.get("rotation:DAY"))
    assert len(moved["TaskIDs"]) < 30 and moved["FinishedNumbers"]
    assert moved["Memberships"] == old["Memberships"]  # memberships move on a join or leave
    assert seen() == new
    s.run("user join DAY @eve", now=end)
    assert json.loads(kv_memory.get("rotation:DAY"))["Memberships"] == {}
    spans = json.loads(kv_memory.get("memberships:DAY"))["Users"]
    assert spans["dan"] == old["Memberships"]["dan"] and "eve" in spans
    report = s.run("rotation stats DAY", now=end).data
    assert [m for m in report.members if m.user_id != "eve"] == new[0].members
    assert check(kv_memory) == []
