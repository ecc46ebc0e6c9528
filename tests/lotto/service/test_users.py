"""Service: users (qualify, disqualify, show, unavailable, join, leave) and skills."""

from __future__ import annotations

import pytest

from lotto import api
from lotto.errors import BadSkillError, BadTimeError, LottoError, NotFoundError
from lotto.model.record import decode
from lotto.model.user import User
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc


@pytest.fixture
def svc(kv):
    s = make_service(kv)
    s.rotation_new(
        api.RotationNewRequest(name="R", beginning=utc(2020, 1, 6)), actor_id=ACTOR, now=NOW
    )
    return s


def user(kv, uid) -> User:
    return decode(User, kv.get(f"user:{uid}"))


def qualify(svc, uids, skills):
    return svc.user_qualify(
        api.UserQualifyRequest(user_ids=uids, skills=skills), actor_id=ACTOR, now=NOW
    )


def skills(svc):
    return svc.skill_list(api.SkillListRequest(), actor_id=ACTOR, now=NOW).skills


def test_qualify_every_user_even_after_an_unchanged_one(svc, kv):
    # Regression (docs/design.md §6): the original stopped at the first user whose skills
    # did not change.
    qualify(svc, ["a"], [("webapp", 2)])
    result = qualify(svc, ["a", "b", "c"], [("webapp", 2)])
    assert result.changed == ["b", "c"]
    assert [user(kv, u).skill_levels for u in "abc"] == [{"webapp": 2}] * 3
    qualify(svc, ["c"], [("server", 1), ("lead", 4)])
    assert user(kv, "c").skill_levels == {"webapp": 2, "server": 1, "lead": 4}
    assert skills(svc) == ["lead", "server", "webapp"]


def test_disqualify_every_user_even_after_an_unchanged_one(svc, kv):
    qualify(svc, ["b", "c"], [("webapp", 1), ("server", 2)])
    result = svc.user_disqualify(
        api.UserDisqualifyRequest(user_ids=["a", "b", "c"], skills=["webapp"]),
        actor_id=ACTOR,
        now=NOW,
    )
    assert result.changed == ["b", "c"]
    assert user(kv, "b").skill_levels == {"server": 2} == user(kv, "c").skill_levels
    assert kv.get("user:a") is None  # an unchanged, never-seen user is not stored


@pytest.mark.parametrize(
    "call",
    [
        lambda s: qualify(s, ["a", "?ghost"], [("webapp", 1)]),
        lambda s: qualify(s, ["a"], [("web app", 1)]),
        lambda s: qualify(s, ["a"], [("any", 1)]),
        lambda s: qualify(s, ["a"], [("webapp", 7)]),
        lambda s: qualify(s, ["a"], []),
        lambda s: qualify(s, [], [("webapp", 1)]),
        lambda s: s.user_disqualify(
            api.UserDisqualifyRequest(user_ids=["a"], skills=[]), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.user_unavailable(
            api.UserUnavailableRequest(
                user_ids=["a"], start=utc(2020, 2, 2), finish=utc(2020, 2, 1)
            ),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.user_join(
            api.UserJoinRequest(rotation=ref("NOPE"), user_ids=["a"]), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.skill_delete(api.SkillDeleteRequest(skill="nothing"), actor_id=ACTOR, now=NOW),
        lambda s: s.skill_new(api.SkillNewRequest(skill="any"), actor_id=ACTOR, now=NOW),
    ],
)
def test_bad_user_commands_change_nothing(svc, kv, call):
    qualify(svc, ["a"], [("server", 1)])
    before = dump(kv)
    with pytest.raises(LottoError) as info:
        call(svc)
    assert str(info.value) and "\n" not in str(info.value)
    assert dump(kv) == before


def test_join_and_leave(svc, kv):
    result = svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b"], starting=utc(2020, 2, 1)),
        actor_id=ACTOR,
        now=NOW,
    )
    assert result.changed == ["a", "b"] and result.rotation.mattermost_user_ids == ["a", "b"]
    assert sorted((n.kind, n.user_id) for n in result.notices) == [
        ("welcome", "a"),
        ("welcome", "b"),
        ("welcome_new", "a"),
        ("welcome_new", "b"),
    ]
    assert all(n.rotation_id == "R" for n in result.notices if n.kind == "welcome")
    assert user(kv, "a").last_served == {"R": int(utc(2020, 2, 1).timestamp())}
    again = svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["b", "c"]), actor_id=ACTOR, now=NOW
    )
    assert again.changed == ["c"] and [n.kind for n in again.notices] == ["welcome_new", "welcome"]
    # No --starting, members have served: mid-queue, at their median (issue 8; the original
    # left it unset, the rotation's beginning).
    assert user(kv, "c").last_served == {"R": int(utc(2020, 2, 1).timestamp())}
    assert again.starts == {"c": "median"}
    left = svc.user_leave(
        api.UserLeaveRequest(rotation=ref("R"), user_ids=["a"]), actor_id=ACTOR, now=NOW
    )
    assert left.rotation.mattermost_user_ids == ["b", "c"]
    assert [(n.kind, n.user_id) for n in left.notices] == [("left", "a")]


def test_join_starting_applies_only_to_users_it_adds(svc, kv):
    # As in the original: a member named again is left alone (the reply says "already in").
    svc.user_join(api.UserJoinRequest(rotation=ref("R"), user_ids=["a"]), actor_id=ACTOR, now=NOW)
    before = kv.get("user:a")
    res = svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b"], starting=utc(2020, 5, 1)),
        actor_id=ACTOR,
        now=NOW,
    )
    assert res.changed == ["b"]
    assert kv.get("user:a") == before and "R" not in user(kv, "a").last_served
    assert user(kv, "b").last_served == {"R": int(utc(2020, 5, 1).timestamp())}


def test_leave_skips_non_members_keeps_last_served_and_reports_open_assignments(svc, kv):
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b"], starting=utc(2020, 1, 1)),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    svc.task_assign(api.TaskAssignRequest(task_id="R#0", user_ids=["a"]), actor_id=ACTOR, now=NOW)
    res = svc.user_leave(
        api.UserLeaveRequest(rotation=ref("R"), user_ids=["a", "zed"]), actor_id=ACTOR, now=NOW
    )
    assert res.changed == ["a"] and res.rotation.mattermost_user_ids == ["b"]
    assert res.assigned == {"a": ["R#0"]}
    assert [(n.kind, n.user_id) for n in res.notices] == [("left", "a")]
    # Leaving keeps LastServed (issue 8; the original forgot it).
    assert "R" in user(kv, "a").last_served and "R" in user(kv, "b").last_served
    task = svc.task_show(api.TaskShowRequest(task_id="R#0"), actor_id=ACTOR, now=NOW).task
    assert task.mattermost_user_ids == ["a"]  # leaving does not unassign
    before = dump(kv)
    nobody = svc.user_leave(
        api.UserLeaveRequest(rotation=ref("R"), user_ids=["zed"]), actor_id=ACTOR, now=NOW
    )
    assert nobody.changed == [] and not nobody.notices and dump(kv) == before


def test_show_users(svc, kv):
    qualify(svc, ["a"], [("webapp", 3)])
    shown = svc.user_show(api.UserShowRequest(user_ids=["a", "new"]), actor_id=ACTOR, now=NOW)
    assert [u.skill_levels for u in shown.users] == [{"webapp": 3}, {}]
    assert kv.get("user:new") is None


def test_unavailable_add_and_clear(svc, kv):
    req = api.UserUnavailableRequest(
        user_ids=["a", "b"], start=utc(2020, 2, 1), finish=utc(2020, 2, 5)
    )
    result = svc.user_unavailable(req, actor_id=ACTOR, now=NOW)
    assert result.changed == ["a", "b"]
    assert [(e.reason, e.start, e.finish) for e in user(kv, "a").calendar] == [
        ("personal", utc(2020, 2, 1), utc(2020, 2, 5))
    ]
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=["a"], start=utc(2020, 1, 1), finish=utc(2020, 1, 2)),
        actor_id=ACTOR,
        now=NOW,
    )
    assert [e.start for e in user(kv, "a").calendar] == [utc(2020, 1, 1), utc(2020, 2, 1)]  # sorted
    clear = api.UserUnavailableRequest(
        user_ids=["a"], start=utc(2020, 2, 3), finish=utc(2020, 2, 4), clear=True
    )
    assert svc.user_unavailable(clear, actor_id=ACTOR, now=NOW).changed == ["a"]
    assert [e.start for e in user(kv, "a").calendar] == [utc(2020, 1, 1)]


def test_personal_unavailability_keeps_user_out_of_fill(svc, kv):
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b"]), actor_id=ACTOR, now=NOW
    )
    svc.user_unavailable(
        api.UserUnavailableRequest(user_ids=["a"], start=utc(2020, 1, 6), finish=utc(2020, 1, 8)),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert filled.changed == ["b"]


def test_skills(svc):
    assert skills(svc) == []
    assert svc.skill_new(api.SkillNewRequest(skill="webapp"), actor_id=ACTOR, now=NOW).skills == [
        "webapp"
    ]
    assert svc.skill_new(api.SkillNewRequest(skill="webapp"), actor_id=ACTOR, now=NOW).skills == [
        "webapp"
    ]
    qualify(svc, ["a"], [("mobile", 1)])
    assert skills(svc) == ["mobile", "webapp"]
    assert svc.skill_delete(
        api.SkillDeleteRequest(skill="webapp"), actor_id=ACTOR, now=NOW
    ).skills == ["mobile"]
    with pytest.raises(BadSkillError):
        svc.skill_new(api.SkillNewRequest(skill="a,b"), actor_id=ACTOR, now=NOW)
    with pytest.raises(NotFoundError, match="skill list"):
        svc.skill_delete(api.SkillDeleteRequest(skill="webapp"), actor_id=ACTOR, now=NOW)


def test_unknown_zone_is_refused_before_anything(svc):
    with pytest.raises(BadTimeError):
        svc.rotation_new(
            api.RotationNewRequest(name="Z", time_zone="Nowhere/City"), actor_id=ACTOR, now=NOW
        )
