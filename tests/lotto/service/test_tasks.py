"""Service: tasks — shifts, tickets, assign/unassign, fill, transitions, show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lotto import api
from lotto.errors import (
    InputError,
    InsufficientError,
    LimitError,
    NotFoundError,
    OverlapError,
    StateError,
)
from lotto.model.availability import REASON_GRACE, REASON_TASK
from lotto.model.record import decode, encode
from lotto.model.rotation import Rotation
from lotto.model.task import Task
from lotto.model.timeutil import format_time, parse_time
from lotto.model.user import User
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc

H = timedelta(hours=1)


@pytest.fixture
def svc(kv):
    s = make_service(kv)
    s.rotation_new(
        api.RotationNewRequest(
            name="R", beginning=utc(2020, 1, 6, 9), period="weekly", time_zone="UTC"
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    return s


def user(kv, uid) -> User:
    return decode(User, kv.get(f"user:{uid}"))


def task(kv, tid) -> Task:
    return decode(Task, kv.get(f"task:{tid}"))


def shift(svc, number=None, rotation="R"):
    return svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref(rotation), number=number), actor_id=ACTOR, now=NOW
    ).task


def join(svc, *uids, rotation="R"):
    return svc.user_join(
        api.UserJoinRequest(rotation=ref(rotation), user_ids=list(uids)), actor_id=ACTOR, now=NOW
    )


def assign(svc, tid, *uids, force=False):
    return svc.task_assign(
        api.TaskAssignRequest(task_id=tid, user_ids=list(uids), force=force),
        actor_id=ACTOR,
        now=NOW,
    )


def move(svc, tid, state, now=NOW):
    return svc.task_transition(
        api.TaskTransitionRequest(task_id=tid, state=state), actor_id=ACTOR, now=now
    )


def fails_unchanged(kv, error, call, match=None):
    before = dump(kv)
    with pytest.raises(error, match=match) as info:
        call()
    assert dump(kv) == before
    return info.value


# ----------------------------------------------------------------------------- shifts and tickets


def test_new_shift(svc, kv):
    t = shift(svc, 2)
    assert t.task_id == "R#2" and t.state == "pending"
    assert t.expected_start == utc(2020, 1, 20, 9) and t.expected_duration == 168 * H
    assert t.require == {"any": 1}
    assert task(kv, "R#2") == t
    shown = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert shown.rotation.task_ids == ["R#2"] and [x.task_id for x in shown.tasks] == ["R#2"]


def test_new_shift_default_number(svc):
    # NOW (2020-01-01) is before the beginning: shift 0 first, then the next free one.
    assert shift(svc).task_id == "R#0"
    assert shift(svc).task_id == "R#1"


def test_shift_keeps_local_wall_clock_across_dst(kv):
    svc = make_service(kv)
    svc.rotation_new(
        api.RotationNewRequest(
            name="ICE",
            beginning=parse_time("2020-03-05T09:00PST"),
            period="weekly",
            time_zone="America/Los_Angeles",
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("ICE"), duration=30 * timedelta(minutes=1)),
        actor_id=ACTOR,
        now=NOW,
    )
    t = shift(svc, 1, rotation="ICE")
    assert format_time(t.expected_start) == "2020-03-12T16:00"
    assert t.expected_duration == timedelta(minutes=30)


def test_existing_and_overlapping_shifts(svc, kv):
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), duration=300 * H, force=True),
        actor_id=ACTOR,
        now=NOW,
    )
    shift(svc, 0)
    fails_unchanged(kv, OverlapError, lambda: shift(svc, 0), match="already exists")
    err = fails_unchanged(kv, OverlapError, lambda: shift(svc, 1), match="overlap R#0")
    assert err.overlapping == ["R#0"]
    assert shift(svc, 3).task_id == "R#3"  # 300h from 01-27 does not reach back into R#0


def test_overlap_with_a_finished_neighbour(svc, kv):
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), duration=200 * H, force=True),
        actor_id=ACTOR,
        now=NOW,
    )
    join(svc, "a")
    shift(svc, 0)
    assign(svc, "R#0", "a")
    for state, when in (
        ("scheduled", NOW),
        ("started", utc(2020, 1, 6, 9)),
        ("finished", utc(2020, 1, 20)),
    ):
        move(svc, "R#0", state, when)
    fails_unchanged(kv, OverlapError, lambda: shift(svc, 1), match="R#0")


def test_ticket_sequence(kv):
    svc = make_service(kv)
    svc.rotation_new(api.RotationNewRequest(name="T", task_type="ticket"), actor_id=ACTOR, now=NOW)

    def ticket(summary=""):
        return svc.task_new_ticket(
            api.TaskNewTicketRequest(rotation=ref("T"), summary=summary), actor_id=ACTOR, now=NOW
        ).task

    first, second = ticket("disk full"), ticket()
    assert (first.task_id, second.task_id) == ("T#1", "T#2")
    assert first.summary == "disk full" and first.expected_start == NOW
    assert first.expected_duration == timedelta(minutes=30)
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("T"), duration=2 * H), actor_id=ACTOR, now=NOW
    )
    third = ticket()
    assert third.task_id == "T#3" and third.expected_duration == 2 * H
    fails_unchanged(kv, InputError, lambda: shift(svc, 0, rotation="T"), match="tickets")


def test_a_shift_rotation_refuses_tickets(svc, kv):
    # A ticket here would take the id R#N of a future shift N (which could then never be made).
    shift(svc, 0)
    err = fails_unchanged(
        kv,
        InputError,
        lambda: svc.task_new_ticket(
            api.TaskNewTicketRequest(rotation=ref("R"), summary="coffee"), actor_id=ACTOR, now=NOW
        ),
        match="makes shifts, not tickets",
    )
    assert "--task-type ticket" in err.message and err.context["rotation_id"] == "R"
    assert shift(svc, 1).task_id == "R#1"


def test_ticket_ids_skip_ids_taken_in_a_legacy_mixed_rotation(svc, kv):
    # Stores written before the one-kind rule may hold shifts on a ticket rotation.
    shift(svc, 1)
    rotation = decode(Rotation, kv.get("rotation:R"))
    rotation.task_type = "ticket"
    kv.set("rotation:R", encode(rotation))
    t = svc.task_new_ticket(
        api.TaskNewTicketRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW
    ).task
    assert t.task_id == "R#2"


# ----------------------------------------------------------------------------- assign / unassign


def test_assign_marks_served_and_fills_calendar(svc, kv):
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), grace=48 * H), actor_id=ACTOR, now=NOW
    )
    shift(svc, 0)
    result = assign(svc, "R#0", "a", "b")
    assert result.changed == ["a", "b"] and result.task.mattermost_user_ids == ["a", "b"]
    assert {n.kind for n in result.notices} == {"welcome_new"}  # pending: no task DMs
    a = user(kv, "a")
    end = utc(2020, 1, 13, 9)
    assert a.last_served == {"R": int(end.timestamp())}
    assert [(e.reason, e.start, e.finish, e.task_id) for e in a.calendar] == [
        (REASON_TASK, utc(2020, 1, 6, 9), end, "R#0"),
        (REASON_GRACE, end, end + 48 * H, "R#0"),
    ]
    again = assign(svc, "R#0", "a")
    assert again.changed == []


def test_assign_limit(svc, kv):
    svc.user_qualify(
        api.UserQualifyRequest(user_ids=["lead1", "lead2"], skills=[("lead", 2)]),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_limit(
        api.RotationSetLimitRequest(rotation=ref("R"), skill="lead", level=1, count=1),
        actor_id=ACTOR,
        now=NOW,
    )
    shift(svc, 0)
    assign(svc, "R#0", "lead1")
    err = fails_unchanged(
        kv, LimitError, lambda: assign(svc, "R#0", "x", "lead2"), match="lead-◉.*--force"
    )
    assert err.user_id == "lead2"
    assert assign(svc, "R#0", "lead2", force=True).task.mattermost_user_ids == ["lead1", "lead2"]


def test_assign_states(svc, kv):
    shift(svc, 0)
    assign(svc, "R#0", "a")
    move(svc, "R#0", "scheduled")
    fails_unchanged(kv, StateError, lambda: assign(svc, "R#0", "b"), match="--force")
    result = assign(svc, "R#0", "b", force=True)
    kinds = sorted((n.kind, n.user_id) for n in result.notices if n.kind != "welcome_new")
    assert kinds == [("added", "a"), ("assigned", "b")]
    assert [n.added_user_ids for n in result.notices if n.kind == "added"] == [["b"]]
    move(svc, "R#0", "started")
    move(svc, "R#0", "finished", utc(2020, 1, 8))
    fails_unchanged(kv, StateError, lambda: assign(svc, "R#0", "c", force=True), match="finished")


def test_unassign_removes_events(svc, kv):
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), grace=48 * H), actor_id=ACTOR, now=NOW
    )
    shift(svc, 0)
    assign(svc, "R#0", "a", "b")
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=["a"], start=utc(2020, 3, 1), finish=utc(2020, 3, 2)),
        actor_id=ACTOR,
        now=NOW,
    )
    result = svc.task_unassign(
        api.TaskUnassignRequest(task_id="R#0", user_ids=["a"]), actor_id=ACTOR, now=NOW
    )
    assert (
        result.changed == ["a"]
        and result.task.mattermost_user_ids == ["b"]
        and result.notices == []
    )
    a = user(kv, "a")
    assert [e.reason for e in a.calendar] == ["personal"]  # task and grace events gone
    assert len(user(kv, "b").calendar) == 2
    fails_unchanged(
        kv,
        NotFoundError,
        lambda: svc.task_unassign(
            api.TaskUnassignRequest(task_id="R#0", user_ids=["a"]), actor_id=ACTOR, now=NOW
        ),
        match="not assigned",
    )


def test_unassign_started_task_needs_force_and_notifies(svc, kv):
    shift(svc, 0)
    assign(svc, "R#0", "a", "b")
    move(svc, "R#0", "scheduled")
    move(svc, "R#0", "started", utc(2020, 1, 6, 9))
    req = api.TaskUnassignRequest(task_id="R#0", user_ids=["b"])
    fails_unchanged(kv, StateError, lambda: svc.task_unassign(req, actor_id=ACTOR, now=NOW))
    forced = api.TaskUnassignRequest(task_id="R#0", user_ids=["b"], force=True)
    result = svc.task_unassign(forced, actor_id=ACTOR, now=NOW)
    assert [(n.kind, n.user_id) for n in result.notices] == [("unassigned", "b")]
    assert user(kv, "b").calendar == []


def test_unknown_users_and_tasks(svc, kv):
    shift(svc, 0)
    fails_unchanged(kv, NotFoundError, lambda: assign(svc, "R#0", "?ghost1"), match="ghost1")
    fails_unchanged(kv, NotFoundError, lambda: assign(svc, "R#9", "a"), match="R#9")
    fails_unchanged(kv, NotFoundError, lambda: assign(svc, "Q#0", "a"))
    fails_unchanged(kv, InputError, lambda: assign(svc, "R0", "a"), match="task id")
    fails_unchanged(kv, InputError, lambda: assign(svc, "R#0"), match="No users")


# ----------------------------------------------------------------------------- fill


def test_fill_is_reproducible(kv):
    results = []
    for _ in range(2):
        kv.delete_all()
        svc = make_service(kv)
        svc.rotation_new(
            api.RotationNewRequest(name="R", beginning=utc(2020, 1, 6), seed=11),
            actor_id=ACTOR,
            now=NOW,
        )
        join(svc, *(f"u{i}" for i in range(12)))
        svc.rotation_set_require(
            api.RotationSetRequireRequest(rotation=ref("R"), skill="any", level=0, count=3),
            actor_id=ACTOR,
            now=NOW,
        )
        shift(svc, 0)
        filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
        assert len(filled.changed) == 3 and filled.task.mattermost_user_ids == filled.changed
        assert sorted(filled.users) == sorted(filled.changed)
        results.append(filled.changed)
        assert all(
            user(kv, u).last_served["R"] == int(utc(2020, 1, 13).timestamp())
            for u in filled.changed
        )
    assert results[0] == results[1]


def test_fill_insufficient_changes_nothing(kv):
    svc = make_service(kv)
    svc.rotation_new(
        api.RotationNewRequest(
            name="ICE", beginning=parse_time("2020-03-05T09:00PST"), time_zone="America/Los_Angeles"
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_task(
        api.RotationSetTaskRequest(
            rotation=ref("ICE"), duration=timedelta(minutes=30), grace=336 * H
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_require(
        api.RotationSetRequireRequest(rotation=ref("ICE"), skill="any", level=0, count=2),
        actor_id=ACTOR,
        now=NOW,
    )
    join(svc, *(f"u{i}" for i in range(5)), rotation="ICE")
    for n in (1, 2):
        shift(svc, n, rotation="ICE")
        svc.task_fill(api.TaskFillRequest(task_id=f"ICE#{n}"), actor_id=ACTOR, now=NOW)
        move(svc, f"ICE#{n}", "scheduled")
    shift(svc, 3, rotation="ICE")
    err = fails_unchanged(
        kv,
        InsufficientError,
        lambda: svc.task_fill(api.TaskFillRequest(task_id="ICE#3"), actor_id=ACTOR, now=NOW),
    )
    assert str(err) == (
        "failed to fill task ICE#3: failed to fill ICE#3, filling need **1** any, "
        "unfilled needs 1 any: insufficient"
    )


def test_fill_only_pending(svc, kv):
    join(svc, "a")
    shift(svc, 0)
    svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    move(svc, "R#0", "scheduled")
    fails_unchanged(
        kv,
        StateError,
        lambda: svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW),
    )


# ----------------------------------------------------------------------------- transitions and show


def test_transitions_notify_and_stamp_times(svc, kv):
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), grace=24 * H), actor_id=ACTOR, now=NOW
    )
    shift(svc, 0)
    assign(svc, "R#0", "a", "b")
    kinds = []
    for state, when in (
        ("scheduled", NOW),
        ("started", utc(2020, 1, 6, 10)),
        ("finished", utc(2020, 1, 10)),
    ):
        result = move(svc, "R#0", state, when)
        assert result.task.state == state
        kinds += [(n.kind, n.user_id) for n in result.notices]
    assert kinds == [
        ("scheduled", "a"),
        ("scheduled", "b"),
        ("started", "a"),
        ("started", "b"),
        ("finished", "a"),
        ("finished", "b"),
    ]
    t = task(kv, "R#0")
    assert (t.actual_start, t.actual_finish) == (utc(2020, 1, 6, 10), utc(2020, 1, 10))
    a = user(kv, "a")
    assert a.last_served["R"] == int(utc(2020, 1, 10).timestamp())
    assert [(e.reason, e.start, e.finish) for e in a.calendar] == [
        ("task", utc(2020, 1, 6, 10), utc(2020, 1, 10)),
        ("grace", utc(2020, 1, 10), utc(2020, 1, 11)),
    ]
    shown = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert shown.tasks == []  # finished tasks are not open


def test_bad_transitions(svc, kv):
    shift(svc, 0)
    fails_unchanged(kv, StateError, lambda: move(svc, "R#0", "started"), match="one step")
    fails_unchanged(kv, InputError, lambda: move(svc, "R#0", "pending"))
    fails_unchanged(kv, InputError, lambda: move(svc, "R#0", "done"))
    move(svc, "R#0", "scheduled")
    before = dump(kv)
    again = move(svc, "R#0", "scheduled")
    assert again.prev_state == "scheduled" and again.notices == [] and dump(kv) == before


def test_task_show(svc):
    shift(svc, 0)
    assign(svc, "R#0", "a")
    shown = svc.task_show(api.TaskShowRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert shown.task.mattermost_user_ids == ["a"] and list(shown.users) == ["a"]


def test_rotation_without_open_tasks_record_is_repaired(svc, kv):
    # A rotation stored without index:open_tasks (e.g. by the Go plugin): every task id is
    # checked once, finished ones dropped, and the record written back.
    for n in (0, 1):
        shift(svc, n)
    assign(svc, "R#0", "a")
    for state, when in (
        ("scheduled", NOW),
        ("started", utc(2020, 1, 6, 9)),
        ("finished", utc(2020, 1, 8)),
    ):
        move(svc, "R#0", state, when)
    assign(svc, "R#1", "b")
    kv.delete("index:open_tasks:R")
    shown = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert [t.task_id for t in shown.tasks] == ["R#1"]
    from lotto.store import OpenTasks

    assert decode(OpenTasks, kv.get("index:open_tasks:R")).tasks == {"R#1": ["b"]}
    shown = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert svc.stats.round_trips <= 2  # back to the normal cost


def test_store_conflict_becomes_a_lotto_error():
    import kvstore.errors
    from lotto.errors import ConflictError

    class Busy:
        def run(self, fn, *, attempts=5):
            raise kvstore.errors.CommitConflictError(
                "kept changing", attempts=attempts, key="rotation:R"
            )

    svc = make_service(Busy())
    with pytest.raises(ConflictError, match="run the command again"):
        svc.skill_list(api.SkillListRequest(), actor_id=ACTOR, now=NOW)


def test_assign_result_names_the_time_off_that_clashes_with_the_task(svc):
    """The service, not the command layer, finds the added users' clashing unavailability:
    refused without --force, and with it the result says what was overridden."""
    t = shift(svc, 0)
    assert t.expected_start is not None
    start, finish = t.expected_start, t.expected_start + t.expected_duration
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=["a"], start=start, finish=finish),
        actor_id=ACTOR,
        now=NOW,
    )
    with pytest.raises(OverlapError):
        assign(svc, "R#0", "a", "b")
    result = assign(svc, "R#0", "a", "b", force=True)
    assert list(result.overrode) == ["a"] and result.overrode["a"]
