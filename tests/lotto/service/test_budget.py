"""Service: the round-trip budget (≤ 3 per command) and no lost updates under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from lotto import api
from lotto.errors import InputError
from lotto.model.index import Index
from lotto.model.record import decode
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc

USERS = [f"user{i:02d}" for i in range(30)]
TASKS = 50
TICKETS = 20
BUDGET = 3


@pytest.fixture
def big(kv):
    """Rotation BIG: 30 members with skills, 50 daily shifts, 5 of them filled and scheduled;
    ticket rotation TIX: the same members, 20 open tickets."""
    svc = make_service(kv)
    svc.rotation_new(
        api.RotationNewRequest(
            name="BIG", beginning=utc(2020, 1, 1), period="daily", time_zone="UTC"
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.user_qualify(
        api.UserQualifyRequest(user_ids=USERS[:10], skills=[("webapp", 2)]), actor_id=ACTOR, now=NOW
    )
    svc.user_join(api.UserJoinRequest(rotation=ref("BIG"), user_ids=USERS), actor_id=ACTOR, now=NOW)
    svc.rotation_set_require(
        api.RotationSetRequireRequest(rotation=ref("BIG"), skill="webapp", level=1, count=1),
        actor_id=ACTOR,
        now=NOW,
    )
    h = timedelta(hours=1)
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("BIG"),
            create=True,
            create_prior=60 * 24 * h,
            schedule=True,
            schedule_prior=120 * h,
            start_finish=True,
            remind_start=True,
            remind_start_prior=24 * h,
            remind_finish=True,
            remind_finish_prior=24 * h,
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    for n in range(TASKS):
        svc.task_new_shift(
            api.TaskNewShiftRequest(rotation=ref("BIG"), number=n), actor_id=ACTOR, now=NOW
        )
        assert svc.stats.round_trips <= BUDGET
    # Tickets live on their own rotation (a rotation has shifts or tickets, not both).
    svc.rotation_new(
        api.RotationNewRequest(name="TIX", task_type="ticket"), actor_id=ACTOR, now=NOW
    )
    svc.user_join(api.UserJoinRequest(rotation=ref("TIX"), user_ids=USERS), actor_id=ACTOR, now=NOW)
    for _ in range(TICKETS):
        svc.task_new_ticket(api.TaskNewTicketRequest(rotation=ref("TIX")), actor_id=ACTOR, now=NOW)
    for n in range(5):
        svc.task_fill(api.TaskFillRequest(task_id=f"BIG#{n}"), actor_id=ACTOR, now=NOW)
        svc.task_transition(
            api.TaskTransitionRequest(task_id=f"BIG#{n}", state="scheduled"),
            actor_id=ACTOR,
            now=NOW,
        )
    return svc


def test_fill_big_rotation_within_budget(big):
    result = big.task_fill(api.TaskFillRequest(task_id="BIG#20"), actor_id=ACTOR, now=NOW)
    assert result.changed
    assert big.stats.round_trips <= BUDGET


def test_autopilot_big_rotation_within_budget(big):
    result = big.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("BIG")), actor_id=ACTOR, now=utc(2020, 1, 2, 12)
    )
    acted = {s.name: s.task_ids for s in result.steps}
    assert acted[api.STEP_START] and acted[api.STEP_FILL_SCHEDULE] and acted[api.STEP_CREATE]
    assert big.stats.round_trips <= BUDGET


def test_assign_within_budget(big):
    big.task_assign(
        api.TaskAssignRequest(task_id="BIG#3", user_ids=["user29", "newcomer"], force=True),
        actor_id=ACTOR,
        now=NOW,
    )
    assert big.stats.round_trips <= BUDGET


def _new_taken(svc) -> None:
    with pytest.raises(InputError, match="already exists"):
        svc.rotation_new(api.RotationNewRequest(name="big"), actor_id=ACTOR, now=NOW)


@pytest.mark.parametrize(
    "name, call",
    [
        ("info", lambda s: s.info(api.InfoRequest(), actor_id=ACTOR, now=NOW)),
        (
            "rotation list",
            lambda s: s.rotation_list(api.RotationListRequest(), actor_id=ACTOR, now=NOW),
        ),
        (
            "rotation show",
            lambda s: s.rotation_show(
                api.RotationShowRequest(rotation=ref("BIG")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "rotation stats",
            lambda s: s.rotation_stats(
                api.RotationStatsRequest(rotation=ref("BIG")), actor_id=ACTOR, now=utc(2020, 2, 1)
            ),
        ),
        ("rotation new taken (refused)", lambda s: _new_taken(s)),
        (
            "set task",
            lambda s: s.rotation_set_task(
                api.RotationSetTaskRequest(rotation=ref("BIG"), grace=timedelta(1)),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "new shift",
            lambda s: s.task_new_shift(
                api.TaskNewShiftRequest(rotation=ref("BIG")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "new ticket",
            lambda s: s.task_new_ticket(
                api.TaskNewTicketRequest(rotation=ref("TIX")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "unassign",
            lambda s: s.task_unassign(
                api.TaskUnassignRequest(
                    task_id="BIG#0",
                    user_ids=list(
                        s.task_show(
                            api.TaskShowRequest(task_id="BIG#0"), actor_id=ACTOR, now=NOW
                        ).task.mattermost_user_ids
                    ),
                    force=True,
                ),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "start",
            lambda s: s.task_transition(
                api.TaskTransitionRequest(task_id="BIG#0", state="started"), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "task show",
            lambda s: s.task_show(api.TaskShowRequest(task_id="BIG#0"), actor_id=ACTOR, now=NOW),
        ),
        (
            "qualify",
            lambda s: s.user_qualify(
                api.UserQualifyRequest(user_ids=USERS, skills=[("lead", 1)]),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "unavailable",
            lambda s: s.user_unavailable(
                api.UserUnavailableRequest(
                    user_ids=USERS, start=utc(2020, 5, 1), finish=utc(2020, 5, 2)
                ),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "join",
            lambda s: s.user_join(
                api.UserJoinRequest(rotation=ref("BIG"), user_ids=["x", "y"]),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "leave",
            lambda s: s.user_leave(
                api.UserLeaveRequest(rotation=ref("BIG"), user_ids=USERS[:3]),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            # Every member leaves, some while assigned: the alerts read their tasks.
            "leave while assigned",
            lambda s: s.user_leave(
                api.UserLeaveRequest(rotation=ref("BIG"), user_ids=USERS),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "set owners",
            lambda s: s.rotation_set_owners(
                api.RotationSetOwnersRequest(rotation=ref("BIG"), user_ids=USERS[:5]),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "set channel",
            lambda s: s.rotation_set_channel(
                api.RotationSetChannelRequest(
                    rotation=ref("BIG"), channel_id="c", channel_name="c"
                ),
                actor_id=ACTOR,
                now=NOW,
            ),
        ),
        (
            "now",
            lambda s: s.rotation_now(
                api.RotationNowRequest(rotation=ref("BIG")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "my shifts",
            lambda s: s.user_shifts(
                api.UserShiftsRequest(user_id=USERS[0], days=3650), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "page",
            lambda s: s.rotation_page(
                api.RotationPageRequest(rotation=ref("BIG")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "page of a ticket rotation",
            lambda s: s.rotation_page(
                api.RotationPageRequest(rotation=ref("TIX")), actor_id=ACTOR, now=NOW
            ),
        ),
        (
            "archive",
            lambda s: s.rotation_archive(
                api.RotationArchiveRequest(rotation=ref("BIG")), actor_id=ACTOR, now=NOW
            ),
        ),
    ],
)
def test_every_command_within_budget(big, name, call):
    call(big)
    assert big.stats.round_trips <= BUDGET, name


@pytest.mark.parametrize("name", ["BI", "IG", "BIG", "big", "iG"])
def test_abbreviated_names_cost_no_more_than_exact_ids(big, name):
    calls = [
        lambda: big.rotation_show(
            api.RotationShowRequest(rotation=ref(name)), actor_id=ACTOR, now=NOW
        ),
        lambda: big.rotation_autopilot(
            api.RotationAutopilotRequest(rotation=ref(name)),
            actor_id=ACTOR,
            now=NOW + timedelta(days=3),
        ),
        lambda: big.task_new_shift(
            api.TaskNewShiftRequest(rotation=ref(name), number=TASKS + 500, force=True),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda: big.rotation_set_fill(
            api.RotationSetFillRequest(rotation=ref(name), seed=3), actor_id=ACTOR, now=NOW
        ),
    ]
    for call in calls:
        call()
        assert big.stats.round_trips <= BUDGET


def _together(n: int, work) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors


def test_concurrent_qualify_loses_no_skill(kv):
    svc = make_service(kv)
    n = 8
    _together(
        n,
        lambda i: svc.user_qualify(
            api.UserQualifyRequest(user_ids=[f"q{i}"], skills=[(f"skill{i}", 1)]),
            actor_id=ACTOR,
            now=NOW,
        ),
    )
    assert decode(Index, kv.get("index:skills")).ids == sorted(f"skill{i}" for i in range(n))


def test_concurrent_rotation_new_loses_no_rotation(kv):
    svc = make_service(kv)
    n = 8
    _together(
        n,
        lambda i: svc.rotation_new(api.RotationNewRequest(name=f"rot{i}"), actor_id=ACTOR, now=NOW),
    )
    assert decode(Index, kv.get("index:active_rotations")).ids == sorted(
        f"rot{i}" for i in range(n)
    )


def test_concurrent_same_name_creates_one_rotation(kv):
    # Issue 8: a taken active name is refused (it used to get a random suffix).
    n = 4
    services = [make_service(kv, seed=i) for i in range(n)]
    refused: list[InputError] = []

    def work(i: int) -> None:
        try:
            services[i].rotation_new(api.RotationNewRequest(name="SAME"), actor_id=ACTOR, now=NOW)
        except InputError as err:
            refused.append(err)

    _together(n, work)
    assert decode(Index, kv.get("index:active_rotations")).ids == ["SAME"]
    assert len(refused) == n - 1 and all("already exists" in e.message for e in refused)
