"""``rotation stats``: the fairness report, on a rotation computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lotto import api
from lotto.model.membership import Membership
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.service.fairness import rotation_stats
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged

DAY = timedelta(days=1)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _serve(s: Script, n: int, who: str, start: str, finish: str | None) -> None:
    s.run(f"task new shift ICE --number {n}", now=at("2020-01-01"))
    s.run(f"task assign ICE#{n} @{who}", now=at("2020-01-01"))
    s.run(f"task schedule ICE#{n}", now=at("2020-01-01"))
    s.run(f"task start ICE#{n}", now=at(start))
    if finish is not None:
        s.run(f"task finish ICE#{n}", now=at(finish))


@pytest.fixture
def ice(kv_memory):
    """Weekly shifts from Mon 2020-01-06, one person each.

    ann, bob, cid join on 01-06, dan on 01-20; bob leaves on 02-03; cid is away
    02-04..02-08. Shifts: #0 ann, #1 ann, #2 bob, #3 cid, #4 ann (started 02-03, not
    finished by "now", 02-07).
    """
    s = Script(kv_memory)
    s.run("rotation new ICE --beginning 2020-01-06 --period weekly", now=at("2020-01-01"))
    s.run("user join ICE @ann @bob @cid", now=at("2020-01-06"))
    s.run("user join ICE @dan", now=at("2020-01-20"))
    _serve(s, 0, "ann", "2020-01-06", "2020-01-13")
    _serve(s, 1, "ann", "2020-01-13", "2020-01-20")
    _serve(s, 2, "bob", "2020-01-20", "2020-01-27")
    _serve(s, 3, "cid", "2020-01-27", "2020-02-03")
    s.run("user leave ICE @bob", now=at("2020-02-03"))
    _serve(s, 4, "ann", "2020-02-03", None)
    s.run("user unavailable @cid --start 2020-02-04 --finish 2020-02-08", now=at("2020-02-01"))
    return s


def _report(s: Script, extra: str = "") -> api.RotationStatsResult:
    out = s.run(
        f"rotation stats ICE --since 2020-01-06 --until 2020-02-10{extra}", now=at("2020-02-07")
    )
    return out.data


def test_shares_differences_and_waits_by_hand(ice):
    res = _report(ice)
    by = {m.user_id: m for m in res.members}
    former = {m.user_id: m for m in res.former}
    assert sorted(by) == ["ann", "cid", "dan"] and sorted(former) == ["bob"]
    assert res.shifts == 5
    # Time in the rotation up to now (02-07), less time away:
    # ann 01-06..02-07 = 32 days; bob 01-06..02-03 = 28; cid 32 - 3 (02-04..02-07) = 29;
    # dan 01-20..02-07 = 18. In all 107 days; 5 shifts shared out by those.
    assert by["ann"].available == 32 * DAY and former["bob"].available == 28 * DAY
    assert by["cid"].available == 29 * DAY and by["dan"].available == 18 * DAY
    assert by["ann"].fair_shifts == pytest.approx(5 * 32 / 107)
    assert former["bob"].fair_shifts == pytest.approx(5 * 28 / 107)
    assert by["cid"].fair_shifts == pytest.approx(5 * 29 / 107)
    assert by["dan"].fair_shifts == pytest.approx(5 * 18 / 107)
    assert [by["ann"].shifts, former["bob"].shifts, by["cid"].shifts, by["dan"].shifts] == [
        3,
        1,
        1,
        0,
    ]
    assert by["ann"].difference == pytest.approx(3 - 5 * 32 / 107)
    assert by["dan"].difference == pytest.approx(-5 * 18 / 107)
    # ann: 7 + 7 days, and the started #4 counts 4 days up to now.
    assert by["ann"].served == 18 * DAY and res.served == 32 * DAY
    assert by["ann"].fair_served == (32 * DAY) * (32 / 107)
    # ann's waits: #0 ends 01-13 as #1 starts (0), #1 ends 01-20, #4 starts 02-03 (14 days).
    assert (by["ann"].shortest_wait, by["ann"].longest_wait) == (timedelta(0), 14 * DAY)
    assert by["ann"].current_wait == timedelta(0)  # on shift now
    assert by["cid"].current_wait == 4 * DAY and by["cid"].longest_wait is None
    assert by["dan"].current_wait == 18 * DAY and by["dan"].last_served is None
    assert former["bob"].current_wait is None and former["bob"].last_served == at("2020-01-27")
    assert (res.most_over, res.most_under) == ("ann", "dan")
    assert res.spread == pytest.approx((3 - 5 * 32 / 107) + 5 * 18 / 107)
    assert by["ann"].task_ids == ["ICE#0", "ICE#1", "ICE#4"]


def test_report_text(ice):
    text = ice.run(
        "rotation stats ICE --since 2020-01-06 --until 2020-02-10", now=at("2020-02-07")
    ).text
    assert (
        "#### Fairness of rotation ICE: Mon 6 Jan 2020 00:00 to Mon 10 Feb 2020 00:00 "
        "(times in UTC)"
    ) in text
    assert "Spread 2.3 shifts between the most over-served, @ann (+1.5)" in text
    assert "the most under-served, @dan (-0.8)" in text
    ann = next(line for line in text.splitlines() if line.startswith("| @ann"))
    # "Last served" counts shifts that ended: #4 is still on (issue 13).
    assert ann.startswith("| @ann | 3 | 432.0 | 1.5 | +1.5 | Mon 20 Jan 2020 00:00 | - |")
    members, former = text.split("Left the rotation but served in this time:")
    assert "| @bob |" in former and "| @bob |" not in members
    assert "| @dan | 0 | 0.0 | 0.8 | -0.8 | never |" in members


def test_window_leaves_out_shifts_before_it(ice):
    res = ice.run(
        "rotation stats ICE --since 2020-01-20 --until 2020-02-10", now=at("2020-02-07")
    ).data
    by = {m.user_id: m for m in res.members}
    assert res.shifts == 3 and by["ann"].shifts == 1 and by["ann"].task_ids == ["ICE#4"]


def test_default_window_is_the_last_365_days(ice):
    res = ice.run("rotation stats ICE", now=at("2021-01-20")).data
    assert res.until == at("2021-01-20") and res.since == at("2021-01-20") - 365 * DAY
    assert res.shifts == 2  # #0, #1 and #2 began before 2020-01-21 (2020 is a leap year)


def test_anyone_may_run_it_and_it_changes_nothing(ice):
    member = Script(ice.kv, actor="dan", admins=False)
    assert member.run("rotation stats ICE --json", now=at("2020-02-07")).is_json


def test_since_after_until_is_refused(ice):
    out = assert_rejected_unchanged(
        ice, "rotation stats ICE --since 2020-02-01 --until 2020-01-01", now=at("2020-02-07")
    )
    assert "--since must be before --until" in out.text


def test_members_from_before_memberships_were_recorded():
    """A member without a membership record counts from the rotation's beginning; a former
    one without a record, up to the end of their last shift in the window."""
    rot = Rotation(rotation_id="R", mattermost_user_ids=["old", "new"])
    rot.fill_settings.beginning = at("2020-01-10")
    rot.memberships = {"new": [Membership(joined=at("2020-01-20"))]}
    gone = Task(
        task_id="R#0",
        rotation_id="R",
        state="finished",
        actual_start=at("2020-01-10"),
        actual_finish=at("2020-01-15"),
        mattermost_user_ids=["gone"],
    )
    res = rotation_stats(
        rot, [gone], {}, since=at("2020-01-01"), until=at("2020-02-01"), now=at("2020-02-01")
    )
    by = {m.user_id: m for m in [*res.members, *res.former]}
    assert by["old"].available == 22 * DAY  # 01-10..02-01
    assert by["new"].available == 12 * DAY  # 01-20..02-01
    assert by["gone"].available == 14 * DAY  # 01-01..01-15
    assert [m.user_id for m in res.former] == ["gone"]
    assert by["gone"].fair_shifts == pytest.approx(14 / 48)


def _leads_rotation() -> tuple[Rotation, list[Task], dict]:
    """42 weekly shifts of two people, at least one a lead; 3 leads of 8 members (issue 13)."""
    from lotto.model.skill import need_id
    from lotto.model.user import User

    leads, others = ["anna", "chloe", "farah"], ["ben", "dan", "emma", "gus", "hana"]
    rot = Rotation(rotation_id="OPS", mattermost_user_ids=[*leads, *others])
    rot.fill_settings.beginning = at("2027-01-04")
    rot.task_settings.require = {"any": 2, need_id("lead", 1): 1}
    users = {u: User(mattermost_user_id=u, skill_levels={"lead": 1}) for u in leads}
    users |= {u: User(mattermost_user_id=u) for u in others}
    tasks = []
    for n in range(42):
        start = at("2027-01-04") + 7 * n * DAY
        # chloe leads 18 shifts, anna and farah 12 each; the others in turn.
        lead = "chloe" if n % 7 < 3 else ("anna" if n % 7 < 5 else "farah")
        tasks.append(
            Task(
                task_id=f"OPS#{n}",
                rotation_id="OPS",
                state="finished",
                actual_start=start,
                actual_finish=start + 7 * DAY,
                mattermost_user_ids=[lead, others[n % 5]],
            )
        )
    return rot, tasks, users


def test_fair_share_per_requirement_slot():
    rot, tasks, users = _leads_rotation()
    since, now = at("2027-01-04"), at("2027-10-25")
    res = rotation_stats(rot, tasks, users, since=since, until=now, now=now)
    by = {m.user_id: m for m in res.members}
    # Leads share the lead slot's 42 places; the other five share the remaining 42.
    assert [(p.need, p.per_shift, p.places, p.user_ids) for p in res.pools] == [
        ("lead-◉", 1, 42, ["anna", "chloe", "farah"]),
        ("", 1, 42, ["ben", "dan", "emma", "gus", "hana"]),
    ]
    assert by["chloe"].fair_shifts == pytest.approx(14)
    assert by["ben"].fair_shifts == pytest.approx(8.4)
    assert by["chloe"].difference == pytest.approx(18 - 14)
    assert by["anna"].difference == pytest.approx(12 - 14)
    # Against their own pool: chloe is 4 over, anna and farah 2 under; nobody else is off.
    assert (res.most_over, res.most_under) == ("chloe", "anna")
    assert res.spread == pytest.approx(6)


def test_report_in_the_readers_zone_with_last_and_next_shift(kv_memory):
    s = Script(kv_memory, tz="America/Los_Angeles")
    s.run("rotation new ICE --beginning 2020-01-06T00:00Z --period weekly", now=at("2020-01-01"))
    s.run("user join ICE @ann @bob", now=at("2020-01-01"))
    _serve(s, 0, "ann", "2020-01-06", "2020-01-13")
    s.run("task new shift ICE --number 8", now=at("2020-01-01"))
    s.run("task assign ICE#8 @ann", now=at("2020-01-01"))
    res = s.run("rotation stats ICE --since 2020-01-01", now=at("2020-02-01"))
    ann = next(m for m in res.data.members if m.user_id == "ann")
    assert ann.last_served == at("2020-01-13")  # not ICE#8's end: it is still to come
    assert (ann.next_task_id, ann.next_start) == ("ICE#8", at("2020-03-02"))
    text = res.text
    assert "(UTC)" not in text and "(times in America/Los_Angeles)" in text
    assert "| Last served | Next shift |" in text
    row = next(line for line in text.splitlines() if line.startswith("| @ann"))
    # 2020-01-13 00:00 UTC is the 12th at 16:00 in Los Angeles.
    assert "| Sun 12 Jan 2020 16:00 | ICE#8 Sun 1 Mar 2020 16:00 |" in row
    assert "Fair shares: all 1 place shared by everyone; each split by time" in text
    shown = s.run("user show @ann", now=at("2020-02-01")).text
    assert "- Last served: ICE Sun 12 Jan 2020 16:00" in shown
    assert "- Next shift: ICE#8 Sun 1 Mar 2020 16:00" in shown
