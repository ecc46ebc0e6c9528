"""Issue 9 through the command layer: rotation owners, the rotation channel, alerts,
``user shifts`` and ``rotation now``, and who may run what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lotto import api
from lotto.errors import AccessError
from lotto.model.notice import ALERT_KINDS
from lotto.model.user import User
from lotto.service import access
from lotto.service.common import run
from lotto.service.registry import dispatch
from lotto.store import Session
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


HOUR = timedelta(hours=1)


@pytest.fixture
def team(kv_memory):
    """@boss (plugin admin) made ICE and TIX; @lead owns ICE; @ann, @bob are members.

    Returns (admin script, lead script, ann script) on one store.
    """
    boss = Script(kv_memory, actor="boss")
    boss.multi("""
        rotation new ICE --beginning 2020-01-06 --period weekly
        rotation new TIX --beginning 2020-01-06
        rotation set owners ICE @lead
        user join ICE @ann @bob
        user join TIX @ann
    """)
    lead = Script(kv_memory, actor="lead", admins=False)
    lead.env = boss.env.__class__(kv_memory, lead.directory, boss.poster)
    ann = Script(kv_memory, actor="ann", admins=False)
    ann.env = boss.env.__class__(kv_memory, ann.directory, boss.poster)
    boss.poster.reset()
    return boss, lead, ann


# ----------------------------------------------------------------------------- 1. owners


def test_the_creator_is_the_first_owner_and_show_lists_owners(team):
    boss, lead, _ = team
    show = boss.run("rotation show ICE").text
    assert "- Owners: @boss, @lead" in show
    assert boss.run("rotation show ICE", actor="boss").data.rotation.owners == ["boss", "lead"]
    out = lead.run("rotation set owners ICE @boss --remove")
    assert out.text == "Owners of rotation **ICE**: @lead."
    assert "- Owners: @lead" in boss.run("rotation show ICE").text


OWNER_LINES = [
    "rotation set fill ICE --seed 3",
    "rotation set require ICE --count 2",
    "rotation set limit ICE --count 2",
    "rotation set task ICE --grace 1h",
    "rotation set autopilot ICE --schedule",
    "rotation set channel ICE ~ice-team",
    "rotation set owners ICE @ann",
    "user join ICE @carol",
    "user leave ICE @bob",
    "task new shift ICE --number 0",
    "rotation autopilot ICE",
    "rotation archive ICE",
]


@pytest.mark.parametrize("line", OWNER_LINES)
def test_an_owner_may_run_the_admin_commands_of_their_rotation(team, line):
    _, lead, _ = team
    out = lead.try_(line, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert out.ok, out.text


def test_an_owner_may_fill_assign_and_move_their_rotations_tasks(team):
    _, lead, _ = team
    lead.run("task new shift ICE --number 0")
    lead.run("task assign ICE#0 @ann")
    lead.run("task unassign ICE#0 @ann")
    lead.run("task fill ICE#0")
    lead.run("task schedule ICE#0")
    # At the time the clock says (`--now` is for plugin admins on changing commands).
    lead.run("task start ICE#0", now=datetime(2020, 1, 6, tzinfo=UTC))
    lead.run("task finish ICE#0", now=datetime(2020, 1, 13, tzinfo=UTC))


@pytest.mark.parametrize(
    "line",
    [
        "rotation set fill TIX --seed 3",
        "task new shift TIX --number 0",
        "user join TIX @bob",
        "rotation set owners TIX @lead",
    ],
)
def test_an_owner_of_one_rotation_is_refused_on_another_naming_its_owners(team, line):
    boss, lead, _ = team
    before = dump(boss.kv)
    out = lead.try_(line)
    assert_clean_error(out)
    assert "ask an owner of TIX: @boss, or a plugin admin. Nothing was changed." in out.text
    assert dump(boss.kv) == before


def test_a_task_of_another_rotation_is_refused_too(team):
    boss, lead, _ = team
    boss.run("task new shift TIX --number 0")
    before = dump(boss.kv)
    out = lead.try_("task fill TIX#0")
    assert_clean_error(out)
    assert "only plugin admins and the owners of rotation TIX may do this" in out.text
    assert dump(boss.kv) == before


def test_a_member_is_refused_with_the_owners_names(team):
    boss, _, ann = team
    before = dump(boss.kv)
    out = ann.try_("rotation set require ICE --count 2")
    assert_clean_error(out)
    assert "ask an owner of ICE: @boss, @lead, or a plugin admin" in out.text
    out = ann.try_("user leave ICE @bob")
    assert "ask an owner of ICE: @boss, @lead, or a plugin admin" in out.text
    assert dump(boss.kv) == before


def test_owners_stay_plugin_admin_free_outside_rotations(team):
    """Owner rights concern one rotation: skills, qualifying and other users' time off
    still need a plugin admin."""
    _, lead, _ = team
    for line in (
        "skill new webapp",
        "user qualify @ann -s webapp",
        "rotation new NEW",
        "user unavailable @ann --start 2020-02-01 --finish 2020-02-02",
    ):
        out = lead.try_(line)
        assert_clean_error(out)
        assert "admins" in out.text


def test_an_owners_only_call_that_concerns_no_rotation_is_refused_before_its_commit(team):
    boss, _, _ = team
    before = dump(boss.kv)
    # An owners-only unit of work (as an OWNER operation runs for a member) that saves a
    # record without resolving the rotation it concerns.
    user = User(mattermost_user_id="lead")

    def save(session: Session) -> None:
        session.save_user(user)

    with pytest.raises(AccessError), access.granted(access.Grant("lead")):
        run(boss.kv, save)
    assert dump(boss.kv) == before


def test_the_service_refuses_a_member_whoever_calls_it(team):
    boss, _, _ = team
    before = dump(boss.kv)
    with pytest.raises(AccessError):
        dispatch(
            boss.env.service,
            api.TaskNewShiftRequest(rotation=api.RotationRef(name="TIX"), number=0),
            actor=api.Actor(user_id="lead"),
            now=at("2020-01-01T00:00"),
        )
    assert dump(boss.kv) == before


# ----------------------------------------------------------------------------- 2. channel


def test_channel_posts_scheduled_and_started_with_the_handover(team):
    boss, lead, _ = team
    out = lead.run("rotation set channel ICE ~ice-team")
    assert out.text.startswith("Rotation **ICE** now posts to ~ice-team")
    assert "- Channel: ~ice-team" in boss.run("rotation show ICE").text
    lead.multi("""
        task new shift ICE --number 0
        task new shift ICE --number 1
        task assign ICE#0 @ann
        task assign ICE#1 @bob
        rotation set autopilot ICE --schedule --schedule-prior 72h --start-finish
    """)
    boss.poster.reset()
    # 01-13T00:00 schedules ICE#1; 01-13T01:00 finishes ICE#0 and starts ICE#1.
    for when in ("2020-01-05T00:00", "2020-01-06T00:00", "2020-01-13T00:00", "2020-01-13T01:00"):
        lead.run("rotation autopilot ICE", now=datetime.fromisoformat(when).replace(tzinfo=UTC))
    posts = [text for channel, text in boss.poster.posts if channel == "ice-team"]
    # Issue 8: a shift is called a shift, times are named in the reader's (here the
    # rotation's) zone, and what the autopilot did says so.
    assert posts == [
        "Shift **ICE#0** is scheduled: @ann, from Mon 6 Jan 2020 00:00 UTC to "
        "Mon 13 Jan 2020 00:00 UTC. Scheduled by the autopilot.",
        "Shift **ICE#0** has started: on call now @ann, until Mon 13 Jan 2020 00:00 UTC. "
        "Started by the autopilot.",
        "Shift **ICE#1** is scheduled: @bob, from Mon 13 Jan 2020 00:00 UTC to "
        "Mon 20 Jan 2020 00:00 UTC. Scheduled by the autopilot.",
        "Shift **ICE#1** has started: on call now @bob, until Mon 20 Jan 2020 01:00 UTC, "
        "handing over from @ann. Started by the autopilot.",
    ]
    # --off: no more posts.
    assert lead.run("rotation set channel ICE --off").text == (
        "Rotation **ICE** no longer posts to a channel."
    )
    assert "- Channel:" not in boss.run("rotation show ICE").text


def test_a_channel_is_required_unless_off(team):
    _, lead, _ = team
    for line in ("rotation set channel ICE", "rotation set channel ICE ~a --off"):
        assert_clean_error(lead.try_(line))


# ----------------------------------------------------------------------------- 4. alerts


AUTOPILOT = (
    "rotation set autopilot ICE --create --create-prior 168h --schedule --schedule-prior 72h "
    "--start-finish"
)


def _month(script: Script, start: str = "2020-01-01") -> None:
    """Run the autopilot every 6 hours for 31 days."""
    t0 = at(f"{start}T00:00")
    for i in range(31 * 4):
        when = t0.replace() + (i * (at("2020-01-01T06:00") - at("2020-01-01T00:00")))
        script.try_("rotation autopilot ICE", now=when)


def test_no_alert_in_a_month_when_nothing_is_wrong(team):
    boss, lead, _ = team
    lead.multi("""
        rotation set channel ICE ~ice-team
    """)
    lead.run(AUTOPILOT)
    boss.poster.reset()
    _month(lead)
    kinds = [t.split("\n")[0] for _, t in boss.poster.posts]
    assert kinds and not any(k.startswith("#### Alert") for k in kinds)
    assert not any(text.startswith("#### Alert") for _, text in boss.poster.sent)


def test_every_alert_kind_fires_once_per_cause_in_an_autopilot_month(team):
    """ICE needs 2 people and has 2 members: shifts fill until @bob leaves while on one
    (alert_left); then nobody can fill the next (alert_unfilled, once, although the
    autopilot tries every 6 hours), which ends unstaffed (alert_skipped, once)."""
    boss, lead, _ = team
    lead.multi("""
        rotation set channel ICE ~ice-team
        rotation set require ICE --count 2
    """)
    lead.run(AUTOPILOT)
    boss.poster.reset()
    _month(lead, "2020-01-01")
    lead.run("user leave ICE @bob", now=at("2020-02-01T00:00"))
    _month(lead, "2020-02-01")
    alerts = [t for c, t in boss.poster.posts if t.startswith("#### Alert")]
    heads = [t.split("\n")[0] for t in alerts]
    left = [h for h in heads if h.startswith("#### Alert: @bob left **ICE** but is still on")]
    assert left and len(left) == len(set(left))  # once per task @bob was on
    unfilled = [h for h in heads if "could not be filled" in h]
    skipped = [h for h in heads if "was skipped unstaffed" in h]
    assert unfilled and len(unfilled) == len(set(unfilled))  # once per task
    assert skipped and len(skipped) == len(set(skipped))
    assert {h.split("**")[1] for h in skipped} <= {h.split("**")[1] for h in unfilled}
    text = next(t for t in alerts if "could not be filled" in t)
    assert "still needs 1 person" in text and "`/lotto user join ICE @user`" in text
    assert "`/lotto rotation set require ICE --skill any --count N`" in text
    # The owners not running the autopilot (@boss) get each alert as a DM too.
    dms = [t for u, t in boss.poster.sent if u == "boss" and t.startswith("#### Alert")]
    assert dms == alerts
    assert not [u for u, t in boss.poster.sent if t.startswith("#### Alert") and u != "boss"]


def test_an_offer_still_open_a_day_before_the_start_alerts_once(team):
    """The autopilot runs every 6 hours; a member's offered place on ICE#1 is still open
    24 h before it starts: one alert (owners and channel), not one a tick."""
    boss, lead, _ = team
    lead.run("rotation set channel ICE ~ice-team")
    lead.run(AUTOPILOT)
    lead.try_("rotation autopilot ICE", now=at("2020-01-09T00:00"))  # ICE#1 made
    lead.try_("rotation autopilot ICE", now=at("2020-01-10T00:00"))  # ICE#1 scheduled
    shift = boss.run("task show ICE#1").data.task
    (who,) = shift.mattermost_user_ids
    assert shift.state == "scheduled"
    boss.run(f"task offer ICE#1 @{who} --note dentist", now=at("2020-01-10T06:00"))
    offer_id = shift_offer_id(boss, "ICE#1")
    boss.poster.reset()
    for hour in range(6, 6 * 12, 6):  # 2020-01-10T12:00 .. 2020-01-13T00:00 (the start)
        lead.try_("rotation autopilot ICE", now=at("2020-01-10T06:00") + hour * HOUR)
    alerts = [t for _, t in boss.poster.posts if t.startswith("#### Alert")]
    assert len(alerts) == 1, alerts
    assert alerts[0].startswith(f"#### Alert: nobody has taken @{who}'s place on shift **ICE#1**")
    dms = [u for u, t in boss.poster.sent if t.startswith("#### Alert: nobody has taken")]
    assert sorted(dms) == ["boss"]  # the owners but @lead, whose run it was
    assert boss.run("task show ICE#1").data.task.alerts_sent == [f"alert_offer_open:{offer_id}"]


def shift_offer_id(script: Script, task_id: str) -> str:
    """The id of the one open offer on ``task_id``."""
    (offer,) = script.run(f"task show {task_id}").data.task.offers
    return offer.offer_id


def test_the_time_off_alert_builder_goes_once(team):
    """Item 5 (time off) triggers it; the builder, its record and its rendering are here."""
    from lotto.commands.render import notice_text
    from lotto.service.alerts import alert_once
    from lotto.service.common import load_task, run

    boss, lead, _ = team
    lead.run("rotation set channel ICE ~ice-team")
    lead.run("task new shift ICE --number 0")
    lead.run("task assign ICE#0 @ann")

    def time_off(s):
        task, rotation = load_task(s, "ICE#0")
        notices = alert_once(
            s, rotation, task, "alert_time_off", "ann", cause="ann", subject_id="ann"
        )
        return api.TaskResult(task=task, notices=notices)

    first = run(boss.kv, time_off).notices
    again = run(boss.kv, time_off).notices
    assert [(n.user_id, n.channel_id) for n in first] == [
        ("boss", ""),
        ("lead", ""),
        ("", "ice-team"),
    ]
    assert again == []
    assert boss.run("task show ICE#0").data.task.alerts_sent == ["alert_time_off:ann"]
    text = notice_text(first[0], lambda u: f"@{u}", "UTC")
    assert text.startswith("#### Alert: @ann is away during shift **ICE#0**")  # issue 8


def test_alert_kinds_are_notice_kinds():
    assert set(ALERT_KINDS) <= set(api.NOTICE_KINDS)


# ----------------------------------------------------------------------------- 6. now, shifts


def test_rotation_now_and_user_shifts(team):
    boss, lead, ann = team
    lead.multi("""
        task new shift ICE --number 0
        task new shift ICE --number 1
        task assign ICE#0 @ann
        task assign ICE#1 @bob
        task schedule ICE#0
    """)
    boss.run("task new shift TIX --number 3")
    boss.run("task assign TIX#3 @ann")
    ann.run("user unavailable --start 2020-01-20 --finish 2020-01-22")
    out = ann.run("rotation now ICE", now=at("2020-01-07T00:00"))
    assert out.text == (
        "#### On call in ICE at Tue 7 Jan 2020 00:00 (times in UTC)\n"
        "- Now: **ICE#0** (scheduled) Mon 6 Jan 2020 00:00 to Mon 13 Jan 2020 00:00: @ann\n"
        "- Next: **ICE#1** (pending) Mon 13 Jan 2020 00:00 to Mon 20 Jan 2020 00:00: @bob"
    )
    lead.run("task start ICE#0", now=at("2020-01-06T01:00"))
    data = ann.run("rotation now ICE", now=at("2020-01-07T00:00")).data
    assert data.current.task_id == "ICE#0" and data.current.state == "started"
    assert ann.run("rotation now ICE", now=at("2020-03-01T00:00")).text.endswith(
        "- Now: nobody (no started or scheduled task covers this time)\n- Next: none scheduled yet"
    )
    out = ann.run("user shifts", now=at("2020-01-07T00:00"))
    assert out.text == (
        "#### Shifts of @ann from Tue 7 Jan 2020 00:00 to Sat 7 Mar 2020 00:00 (times in UTC)\n"
        "- Tasks:\n"
        "  - **ICE#0** (started) Mon 6 Jan 2020 01:00 to Mon 13 Jan 2020 01:00: @ann\n"
        "  - **TIX#3** (pending) Mon 27 Jan 2020 00:00 to Mon 3 Feb 2020 00:00: @ann\n"
        "- Time off:\n"
        "  - Mon 20 Jan 2020 00:00 to Wed 22 Jan 2020 00:00: personal"
    )
    # Someone else's, a shorter window.
    out = ann.run("user shifts @bob --days 10", now=at("2020-01-07T00:00"))
    assert "**ICE#1** (pending)" in out.text and "- Time off: none" in out.text
    out = ann.run("user shifts @bob --days 3", now=at("2020-01-07T00:00"))
    assert "- Tasks: none" in out.text
    assert_clean_error(ann.try_("user shifts --days 0"))
    assert_clean_error(ann.try_("user shifts @ann @bob"))


def test_user_shifts_lists_the_offered_places_the_user_could_take(team):
    boss, _, ann = team
    boss.multi("""
        task new shift ICE --number 1
        task assign ICE#1 @bob
        task schedule ICE#1
    """)
    now = at("2020-01-07T00:00")
    assert "Places offered" not in ann.run("user shifts", now=now).text
    boss.run("task offer ICE#1 @bob --note dentist", now=now)
    text = ann.run("user shifts", now=now).text
    assert "- Places offered that you could take (`task take` checks your skills):" in text
    assert "**ICE#1** (scheduled)" in text and "`/lotto task take ICE#1 @bob`" in text
    assert [t.task_id for t in ann.run("user shifts", now=now).data.offers] == ["ICE#1"]
    # Not to the one who offered it, nor to someone away then, nor past the window.
    assert boss.run("user shifts @bob", now=now).data.offers == []
    assert ann.run("user shifts --days 3", now=now).data.offers == []
    ann.run("user unavailable --start 2020-01-14 --finish 2020-01-15", now=now)
    assert ann.run("user shifts", now=now).data.offers == []


def test_an_owner_may_offer_a_members_place_and_others_may_not(team):
    boss, lead, ann = team
    boss.multi("""
        task new shift ICE --number 1
        task assign ICE#1 @bob
        task schedule ICE#1
    """)
    now = at("2020-01-07T00:00")
    refused = ann.try_("task offer ICE#1 @bob", now=now)
    assert not refused.ok and "ask an owner of ICE: @boss, @lead" in refused.text
    assert boss.run("task show ICE#1").data.task.offers == []
    lead.run("task offer ICE#1 @bob --note 'covering for bob'", now=now)
    (offer,) = boss.run("task show ICE#1").data.task.offers
    assert (offer.user_id, offer.opened_by) == ("bob", "lead")
