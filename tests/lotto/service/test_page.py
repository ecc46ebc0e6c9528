"""Service: a rotation's page shows the commands' own numbers, read in one unit of work."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lotto import api
from lotto.errors import AccessError
from lotto.model.timeutil import get_zone
from tests.lotto.commands.helpers import Script
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import utc

NOW = utc(2020, 3, 20, 12)
DAY = timedelta(days=1)


@pytest.fixture
def ice(kv):
    """ICE, weekly from 2020-01-02 09:00 UTC: four members, past shifts served, one pending,
    one scheduled with a place offered, and time off in the window."""
    s = Script(kv)
    start = utc(2019, 12, 20)
    s.multi(
        """
        rotation new ICE --period weekly --beginning 2020-01-02T09:00 --seed 3
        rotation set require ICE --count 2
        user qualify @ann @bob -s webapp-2
        user join ICE @ann @bob @cid @dan
        """,
        now=start,
    )
    for n in range(11):  # ICE#0..#10: 2020-01-02 .. 2020-03-12, served and finished
        at = utc(2020, 1, 2, 9) + n * timedelta(weeks=1)
        s.run(f"task new shift ICE --number {n}", now=at - DAY)
        s.run(f"task fill ICE#{n}", now=at - DAY)
        s.run(f"task schedule ICE#{n}", now=at - DAY)
        s.run(f"task start ICE#{n}", now=at)
        s.run(f"task finish ICE#{n}", now=at + timedelta(weeks=1) - timedelta(minutes=1))
    s.run("task new shift ICE --number 11", now=NOW - DAY)  # 03-19: started now
    s.run("task assign ICE#11 @ann @cid", now=NOW - DAY)
    s.run("task schedule ICE#11", now=NOW - DAY)
    s.run("task start ICE#11", now=utc(2020, 3, 19, 9))
    s.run("task new shift ICE --number 12", now=NOW)  # 03-26: scheduled, bob offers
    s.run("task assign ICE#12 @bob @dan", now=NOW)
    s.run("task schedule ICE#12", now=NOW)
    s.run('task offer ICE#12 --note "dentist"', now=NOW, actor="bob")
    s.run("task new shift ICE --number 13", now=NOW)  # 04-02: pending, nobody
    s.run("user unavailable @cid --start 2020-04-06 --finish 2020-04-10", now=NOW)
    return s


def _page(s: Script, **kw) -> api.RotationPageResult:
    req = api.RotationPageRequest(rotation=api.RotationRef(name="ICE"), **kw)
    return s.env.service.rotation_page(req, actor_id="test-user", now=NOW)


def test_the_page_has_the_numbers_of_stats_forecast_and_now(ice):
    page = _page(ice)
    svc = ice.env.service
    ref = api.RotationRef(name="ICE")
    stats = svc.rotation_stats(api.RotationStatsRequest(rotation=ref), actor_id="x", now=NOW)
    forecast = svc.rotation_forecast(
        api.RotationForecastRequest(rotation=ref), actor_id="x", now=NOW
    )
    now = svc.rotation_now(api.RotationNowRequest(rotation=ref), actor_id="x", now=NOW)
    assert page.stats == stats
    assert page.forecast == forecast
    assert page.current == now.current and page.next == now.next
    assert page.current is not None and page.current.task_id == "ICE#11"


def test_the_timeline_has_tasks_of_the_window_time_off_and_offers(ice):
    page = _page(ice)
    assert page.since == NOW - timedelta(days=28) and page.until == NOW + timedelta(days=84)
    ids = [t.task_id for t in page.tasks]
    # 4 weeks back reaches ICE#7 (02-20, finished) ; ICE#6 ended before the window.
    assert ids == ["ICE#7", "ICE#8", "ICE#9", "ICE#10", "ICE#11", "ICE#12", "ICE#13"]
    assert {t.task_id: t.state for t in page.tasks}["ICE#13"] == "pending"
    kinds = [(e.kind, e.user_id, e.task_id, e.label) for e in page.entries]
    assert ("offer", "bob", "ICE#12", "dentist") in kinds
    assert ("time_off", "cid", "", "time off") in kinds
    assert [u.task.task_id for u in page.upcoming] == ["ICE#12", "ICE#13"]
    assert page.upcoming[0].unfilled == {} and page.upcoming[1].unfilled == {"any": 2}


def test_the_timeline_shows_the_working_hours_and_the_holidays_skipped(ice):
    """Working windows on the rotation's clock, weekdays only, and each holiday in the window
    (Germany's, and the extra date) as a whole day."""
    ice.multi(
        """
        rotation set hours ICE --days mon-fri --from 09:00 --to 17:00
        rotation set holidays ICE --country DE --dates 2020-04-20
        """,
        now=NOW,
    )
    ice.run("rotation set task ICE --duration 1w", now=NOW)
    kv_rotation = ice.env.service.rotation_show(
        api.RotationShowRequest(rotation=api.RotationRef(name="ICE")), actor_id="x", now=NOW
    ).rotation
    zone = kv_rotation.fill_settings.time_zone
    page = _page(ice)
    holidays = [(e.start, e.finish, e.label) for e in page.entries if e.kind == "holiday"]
    assert [label for *_, label in holidays] == [
        "Good Friday",
        "Easter Monday",
        "holiday",  # the extra date, 20 Apr
        "Labor Day",
        "Ascension Day",
        "Pentecost Monday",
    ]
    start, finish, _ = holidays[0]
    assert finish - start == DAY and start.astimezone(get_zone(zone)).hour == 0
    windows = [(e.start, e.finish) for e in page.entries if e.kind == "working_hours"]
    assert windows and all(e.label for e in page.entries if e.kind == "working_hours")
    local = [(a.astimezone(get_zone(zone)), b.astimezone(get_zone(zone))) for a, b in windows]
    assert all(a.hour == 9 and b.hour == 17 and a.weekday() < 5 for a, b in local[1:-1])
    days = {a.date() for a, _ in local}
    assert date(2020, 4, 10) not in days and date(2020, 4, 13) not in days  # Easter
    assert date(2020, 3, 30) in days and date(2020, 3, 28) not in days  # a Monday, a Saturday


def test_reading_the_page_is_two_round_trips_and_changes_nothing(ice, kv):
    before = dump(kv)
    _page(ice)
    assert ice.env.service.stats.round_trips == 2
    assert dump(kv) == before


def test_a_link_holder_must_still_be_a_member_or_owner(ice):
    assert _page(ice, holder_id="ann").rotation.rotation_id == "ICE"
    assert _page(ice, holder_id="test-user").rotation.rotation_id == "ICE"  # creator: owner
    with pytest.raises(AccessError):
        _page(ice, holder_id="zed")
    ice.run("user leave ICE @dan", now=NOW)
    with pytest.raises(AccessError):
        _page(ice, holder_id="dan")


def test_without_the_forecast_and_for_tickets_the_page_says_why(ice, kv):
    assert _page(ice, forecast=False).forecast is None
    ice.run("rotation new HELP --task-type ticket", now=NOW)
    ice.run("user join HELP @ann", now=NOW)
    ice.run('task new ticket HELP --summary "disk full"', now=NOW)
    req = api.RotationPageRequest(rotation=api.RotationRef(name="HELP"))
    page = ice.env.service.rotation_page(req, actor_id="x", now=NOW + DAY)
    assert page.forecast is None and "on demand" in page.forecast_note
    assert [t.summary for t in page.tasks] == ["disk full"]
