"""Service: odd but valid inputs — zero counts, naive times, tiny periods."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from lotto import api
from lotto.errors import BadTimeError
from lotto.forecast import forecast
from lotto.record import decode
from lotto.rotation import FILLER_QUEUE
from lotto.task import Task
from tests.lotto.test_service_support import ACTOR, NOW, dump, make_service, ref, utc


def _rotation(svc, name="R", **kw):
    kw.setdefault("beginning", utc(2020, 1, 6, 9))
    kw.setdefault("time_zone", "UTC")
    return svc.rotation_new(api.RotationNewRequest(name=name, **kw), actor_id=ACTOR, now=NOW).rotation


def _require(svc, skill, count, level=0, name="R"):
    svc.rotation_set_require(api.RotationSetRequireRequest(rotation=ref(name), skill=skill, level=level,
                                                           count=count), actor_id=ACTOR, now=NOW)


@pytest.mark.parametrize("filler", ["solar-lottery", FILLER_QUEUE])
@pytest.mark.parametrize("members", [[], ["u1", "u2"]])
def test_a_require_of_zero_needs_nobody(kv, filler, members):
    svc = make_service(kv)
    _rotation(svc, filler_type=filler)
    if members:
        svc.user_join(api.UserJoinRequest(rotation=ref("R"), user_ids=members), actor_id=ACTOR, now=NOW)
    _require(svc, "any", 0)
    svc.task_new_shift(api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW)
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert filled.changed == [] and filled.task.mattermost_user_ids == []


@pytest.mark.parametrize("filler", ["solar-lottery", FILLER_QUEUE])
def test_a_require_of_zero_next_to_a_real_one_adds_only_what_is_needed(kv, filler):
    svc = make_service(kv)
    _rotation(svc, filler_type=filler)
    svc.user_join(api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b", "c"]), actor_id=ACTOR, now=NOW)
    svc.user_qualify(api.UserQualifyRequest(user_ids=["a", "b"], skills=[("web", 1)]), actor_id=ACTOR, now=NOW)
    _require(svc, "any", 0)
    _require(svc, "web", 1, level=1)
    svc.task_new_shift(api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW)
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert len(filled.changed) == 1 and filled.changed[0] in ("a", "b")


def test_forecast_of_a_require_of_zero_fills_nobody(kv):
    svc = make_service(kv)
    rotation = _rotation(svc)
    svc.user_join(api.UserJoinRequest(rotation=ref("R"), user_ids=["u1", "u2"]), actor_id=ACTOR, now=NOW)
    _require(svc, "any", 0)
    rotation = svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW).rotation
    result = forecast(rotation, [], {}, NOW, random.Random(1), shifts=3, samples=20)
    assert all(s.p_insufficient == 0 for s in result.shifts)
    assert all(u.p_any == 0 for u in result.users)


# ----------------------------------------------------------------------------- naive times


def _naive_calls(n: datetime):
    return [
        lambda s: s.rotation_new(api.RotationNewRequest(name="N"), actor_id=ACTOR, now=n),
        lambda s: s.rotation_new(api.RotationNewRequest(name="N", beginning=n), actor_id=ACTOR, now=NOW),
        lambda s: s.user_join(api.UserJoinRequest(rotation=ref("R"), user_ids=["u"], starting=n),
                              actor_id=ACTOR, now=NOW),
        lambda s: s.user_unavailable(api.UserUnavailableRequest(user_ids=["u"], start=n,
                                                                finish=n + timedelta(hours=1)),
                                     actor_id=ACTOR, now=NOW),
        lambda s: s.task_new_shift(api.TaskNewShiftRequest(rotation=ref("R")), actor_id=ACTOR, now=n),
        lambda s: s.rotation_autopilot(api.RotationAutopilotRequest(rotation=ref("R")), actor_id=ACTOR, now=n),
    ]


@pytest.mark.parametrize("index", range(len(_naive_calls(datetime(2020, 1, 1)))))
def test_a_naive_time_is_refused_and_changes_nothing(kv, index):
    # Stored naive, a time would later crash every comparison with an aware one
    # (the autopilot of that rotation would fail on every tick).
    svc = make_service(kv)
    _rotation(svc)
    before = dump(kv)
    with pytest.raises(BadTimeError, match="time zone"):
        _naive_calls(datetime(2020, 1, 1, 12))[index](svc)
    assert dump(kv) == before


def test_an_aware_time_in_another_zone_is_stored_in_utc(kv):
    from datetime import timezone

    svc = make_service(kv)
    plus2 = timezone(timedelta(hours=2))
    _rotation(svc, name="P", beginning=datetime(2020, 1, 6, 11, tzinfo=plus2))
    assert b'"Beginning":"2020-01-06T09:00:00Z"' in kv.get("rotation:P")
