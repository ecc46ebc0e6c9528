"""Service: rotations (new, list, show, archive, settings), name resolution, info."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lotto import api
from lotto.errors import AmbiguousError, BadTimeError, InputError, LottoError, NotFoundError
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from lotto.store import OpenTasks
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc


@pytest.fixture
def svc(kv):
    return make_service(kv, tz="America/Los_Angeles")


def new(svc, name, **kw):
    return svc.rotation_new(
        api.RotationNewRequest(name=name, **kw), actor_id=ACTOR, now=NOW
    ).rotation


def stored(kv, rid) -> Rotation:
    return decode(Rotation, kv.get(f"rotation:{rid}"))


def test_new_rotation_defaults(svc, kv):
    r = new(svc, "SET")
    assert r.rotation_id == "SET"
    assert stored(kv, "SET") == r
    assert r.task_settings.require == {"any": 1}
    assert r.fill_settings.period == "weekly"
    assert r.fill_settings.beginning == NOW
    assert r.fill_settings.time_zone == "America/Los_Angeles"  # the acting user's zone
    assert decode(OpenTasks, kv.get("index:open_tasks:SET")).tasks == {}
    assert kv.get("index:active_rotations") == b'{"IDs":["SET"]}'


def test_default_beginning_is_now_to_the_minute(svc):
    r = svc.rotation_new(
        api.RotationNewRequest(name="NOW"),
        actor_id=ACTOR,
        now=datetime(2020, 1, 1, 12, 34, 56, 789, tzinfo=UTC),
    )
    assert r.rotation.fill_settings.beginning == datetime(2020, 1, 1, 12, 34, tzinfo=UTC)


def test_new_rotation_options(svc):
    r = new(
        svc,
        "ICE",
        beginning=utc(2020, 3, 5, 17),
        period="Monthly",
        time_zone="Europe/Paris",
        task_type="ticket",
        filler_type="queue",
        seed=5,
        fuzz=2,
    )
    fs = r.fill_settings
    assert (fs.beginning, fs.period, fs.time_zone, fs.seed, fs.fuzz) == (
        utc(2020, 3, 5, 17),
        "monthly",
        "Europe/Paris",
        5,
        2,
    )
    assert (r.task_type, r.filler_type) == ("ticket", "queue")


def test_taken_name_gets_a_random_suffix_reproducibly(kv):
    # Issue 8 changed this: an ACTIVE rotation's name (in any case) is refused;
    # only a name an archived rotation still holds gets a suffixed id.
    a = make_service(kv, seed=42)
    assert new(a, "SET").rotation_id == "SET"
    for taken in ("SET", "set"):
        with pytest.raises(InputError, match="already exists"):
            new(a, taken)
    a.rotation_archive(
        api.RotationArchiveRequest(rotation=ref("SET", exact=True)), actor_id=ACTOR, now=NOW
    )
    second = new(a, "SET").rotation_id
    assert re.fullmatch(r"SET-[a-z0-9]{7}", second)
    a.rotation_archive(
        api.RotationArchiveRequest(rotation=ref(second, exact=True)), actor_id=ACTOR, now=NOW
    )
    third = new(a, "SET").rotation_id
    assert third not in ("SET", second) and third.startswith("SET-")
    # Same seed, same calls, same suffixes (on a fresh store).
    kv.delete_all()
    other = make_service(kv, seed=42)
    new(other, "SET")
    for taken in ("SET", "set"):
        with pytest.raises(InputError):
            new(other, taken)
    other.rotation_archive(
        api.RotationArchiveRequest(rotation=ref("SET", exact=True)), actor_id=ACTOR, now=NOW
    )
    assert new(other, "SET").rotation_id == second


@pytest.mark.parametrize(
    "kw, error",
    [
        ({"name": "has space"}, InputError),
        ({"name": "a#b"}, InputError),
        ({"name": ""}, InputError),
        ({"name": "X", "task_type": "chore"}, InputError),
        ({"name": "X", "filler_type": "hat"}, InputError),
        ({"name": "X", "time_zone": "Mars/Base"}, BadTimeError),
        ({"name": "X", "period": "sometimes"}, BadTimeError),
        ({"name": "X", "fuzz": -1}, InputError),
    ],
)
def test_new_rotation_bad_input_changes_nothing(svc, kv, kw, error):
    new(svc, "KEEP")
    before = dump(kv)
    with pytest.raises(error) as info:
        svc.rotation_new(api.RotationNewRequest(**kw), actor_id=ACTOR, now=NOW)
    assert str(info.value)
    assert dump(kv) == before


def test_list_and_info(svc):
    for name in ("b", "a", "c"):
        new(svc, name)
    svc.skill_new(api.SkillNewRequest(skill="webapp"), actor_id=ACTOR, now=NOW)
    assert svc.rotation_list(api.RotationListRequest(), actor_id=ACTOR, now=NOW).rotation_ids == [
        "a",
        "b",
        "c",
    ]
    info = svc.info(api.InfoRequest(), actor_id=ACTOR, now=NOW)
    assert info.rotation_ids == ["a", "b", "c"] and info.skills == ["webapp"]


def test_name_resolution(svc):
    for name in ("SET", "SET-mobile", "ICE"):
        new(svc, name)

    def show(name, exact=False):
        req = api.RotationShowRequest(rotation=ref(name, exact))
        return svc.rotation_show(req, actor_id=ACTOR, now=NOW).rotation.rotation_id

    assert show("SET") == "SET"  # exact id wins over the substring matches
    assert show("mob") == "SET-mobile"
    assert show("IC") == "ICE"
    with pytest.raises(AmbiguousError, match="SET, SET-mobile"):
        show("E")
    with pytest.raises(NotFoundError, match="ZZZ"):
        show("ZZZ")
    with pytest.raises(NotFoundError, match="exact"):
        show("IC", exact=True)
    assert show("ICE", exact=True) == "ICE"


def test_archive_removes_from_active_index(svc, kv):
    new(svc, "OLD")
    new(svc, "NEW")
    r = svc.rotation_archive(
        api.RotationArchiveRequest(rotation=ref("OLD")), actor_id=ACTOR, now=NOW
    ).rotation
    assert r.is_archived and stored(kv, "OLD").is_archived
    assert svc.rotation_list(api.RotationListRequest(), actor_id=ACTOR, now=NOW).rotation_ids == [
        "NEW"
    ]
    with pytest.raises(NotFoundError):
        svc.rotation_show(api.RotationShowRequest(rotation=ref("OLD")), actor_id=ACTOR, now=NOW)


def test_set_autopilot_fill_task(svc, kv):
    new(svc, "R")
    h = timedelta(hours=1)
    r = svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("R"), create=True, create_prior=10 * h, schedule=True, remind_start=True
        ),
        actor_id=ACTOR,
        now=NOW,
    ).rotation
    ap = r.autopilot_settings
    assert (ap.create, ap.create_prior, ap.schedule, ap.remind_start, ap.start_finish) == (
        True,
        10 * h,
        True,
        True,
        False,
    )
    r = svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(rotation=ref("R"), off=True, start_finish=True),
        actor_id=ACTOR,
        now=NOW,
    ).rotation
    ap = r.autopilot_settings
    assert (ap.create, ap.schedule, ap.remind_start, ap.start_finish, ap.create_prior) == (
        False,
        False,
        False,
        True,
        10 * h,
    )
    r = svc.rotation_set_fill(
        api.RotationSetFillRequest(rotation=ref("R"), seed=99), actor_id=ACTOR, now=NOW
    ).rotation
    assert (r.fill_settings.seed, r.fill_settings.fuzz) == (99, 0)
    r = svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), duration=30 * h, grace=5 * h),
        actor_id=ACTOR,
        now=NOW,
    ).rotation
    assert (r.task_settings.duration, r.task_settings.grace) == (30 * h, 5 * h)
    assert stored(kv, "R") == r


def test_set_require_and_limit(svc, kv):
    new(svc, "R")

    def set_need(kind, skill, level=1, count=1, clear=False):
        cls = api.RotationSetRequireRequest if kind == "require" else api.RotationSetLimitRequest
        method = svc.rotation_set_require if kind == "require" else svc.rotation_set_limit
        return method(
            cls(rotation=ref("R"), skill=skill, level=level, count=count, clear=clear),
            actor_id=ACTOR,
            now=NOW,
        ).rotation.task_settings

    ts = set_need("require", "webapp", 3, 2)
    assert ts.require == {"any": 1, "webapp-◈": 2}
    ts = set_need("require", "any", 0, 5)
    assert ts.require == {"any": 5, "webapp-◈": 2}
    ts = set_need("limit", "lead", 1, 1)
    assert ts.limit == {"lead-◉": 1}
    ts = set_need("require", "webapp", 3, clear=True)
    assert ts.require == {"any": 5}
    assert stored(kv, "R").task_settings == ts


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.rotation_set_task(
            api.RotationSetTaskRequest(rotation=ref("R"), duration=timedelta(hours=-1)),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.rotation_set_fill(
            api.RotationSetFillRequest(rotation=ref("R"), fuzz=-2), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.rotation_set_require(
            api.RotationSetRequireRequest(rotation=ref("R"), skill="web app"),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.rotation_set_limit(
            api.RotationSetLimitRequest(rotation=ref("R"), skill="x", count=-1),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.rotation_set_autopilot(
            api.RotationSetAutopilotRequest(rotation=ref("R"), create_prior=timedelta(hours=-1)),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.rotation_set_task(
            api.RotationSetTaskRequest(rotation=ref("NOPE"), grace=timedelta(1)),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.rotation_archive(
            api.RotationArchiveRequest(rotation=ref("")), actor_id=ACTOR, now=NOW
        ),
    ],
)
def test_bad_settings_change_nothing(svc, kv, call):
    new(svc, "R")
    before = dump(kv)
    with pytest.raises(LottoError) as info:
        call(svc)
    assert str(info.value)
    assert dump(kv) == before


def test_show_lists_members_and_open_tasks(svc):
    new(svc, "R", beginning=utc(2020, 1, 1), period="weekly", time_zone="UTC")
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["u1", "u2"]), actor_id=ACTOR, now=NOW
    )
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    shown = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert sorted(shown.users) == ["u1", "u2"]
    assert [t.task_id for t in shown.tasks] == ["R#0"]
