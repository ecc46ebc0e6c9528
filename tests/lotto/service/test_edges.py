"""Service: odd but valid inputs — zero counts, naive times, tiny periods."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from lotto import api
from lotto.errors import BadTimeError
from lotto.local import LocalDirectory
from lotto.model.rotation import FILLER_QUEUE
from lotto.ports import Profile
from lotto.service.forecasting import forecast
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc


def _rotation(svc, name="R", **kw):
    kw.setdefault("beginning", utc(2020, 1, 6, 9))
    kw.setdefault("time_zone", "UTC")
    return svc.rotation_new(
        api.RotationNewRequest(name=name, **kw), actor_id=ACTOR, now=NOW
    ).rotation


def _require(svc, skill, count, level=0, name="R"):
    svc.rotation_set_require(
        api.RotationSetRequireRequest(rotation=ref(name), skill=skill, level=level, count=count),
        actor_id=ACTOR,
        now=NOW,
    )


@pytest.mark.parametrize("filler", ["solar-lottery", FILLER_QUEUE])
@pytest.mark.parametrize("members", [[], ["u1", "u2"]])
def test_a_require_of_zero_needs_nobody(kv, filler, members):
    svc = make_service(kv)
    _rotation(svc, filler_type=filler)
    if members:
        svc.user_join(
            api.UserJoinRequest(rotation=ref("R"), user_ids=members), actor_id=ACTOR, now=NOW
        )
    _require(svc, "any", 0)
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert filled.changed == [] and filled.task.mattermost_user_ids == []


@pytest.mark.parametrize("filler", ["solar-lottery", FILLER_QUEUE])
def test_a_require_of_zero_next_to_a_real_one_adds_only_what_is_needed(kv, filler):
    svc = make_service(kv)
    _rotation(svc, filler_type=filler)
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b", "c"]), actor_id=ACTOR, now=NOW
    )
    svc.user_qualify(
        api.UserQualifyRequest(user_ids=["a", "b"], skills=[("web", 1)]), actor_id=ACTOR, now=NOW
    )
    _require(svc, "any", 0)
    _require(svc, "web", 1, level=1)
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW)
    assert len(filled.changed) == 1 and filled.changed[0] in ("a", "b")


def test_forecast_of_a_require_of_zero_fills_nobody(kv):
    svc = make_service(kv)
    rotation = _rotation(svc)
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["u1", "u2"]), actor_id=ACTOR, now=NOW
    )
    _require(svc, "any", 0)
    rotation = svc.rotation_show(
        api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW
    ).rotation
    result = forecast(rotation, [], {}, NOW, random.Random(1), shifts=3, samples=20)
    assert all(s.p_insufficient == 0 for s in result.shifts)
    assert all(u.p_any == 0 for u in result.users)


# ----------------------------------------------------------------------------- naive times


def _naive_calls(n: datetime):
    return [
        lambda s: s.rotation_new(api.RotationNewRequest(name="N"), actor_id=ACTOR, now=n),
        lambda s: s.rotation_new(
            api.RotationNewRequest(name="N", beginning=n), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.user_join(
            api.UserJoinRequest(rotation=ref("R"), user_ids=["u"], starting=n),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.user_unavailable(
            api.UserUnavailableRequest(user_ids=["u"], start=n, finish=n + timedelta(hours=1)),
            actor_id=ACTOR,
            now=NOW,
        ),
        lambda s: s.task_new_shift(
            api.TaskNewShiftRequest(rotation=ref("R")), actor_id=ACTOR, now=n
        ),
        lambda s: s.rotation_autopilot(
            api.RotationAutopilotRequest(rotation=ref("R")), actor_id=ACTOR, now=n
        ),
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


# ----------------------------------------------------------------------------- forecast


def test_forecast_changes_nothing_stored_and_not_the_fills(kv):
    svc = make_service(kv)
    _rotation(svc)
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=[f"u{i}" for i in range(5)]),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_task(
        api.RotationSetTaskRequest(rotation=ref("R"), grace=timedelta(days=10)),
        actor_id=ACTOR,
        now=NOW,
    )
    for n in (0, 1):
        svc.task_new_shift(
            api.TaskNewShiftRequest(rotation=ref("R"), number=n), actor_id=ACTOR, now=NOW
        )
    svc.task_assign(api.TaskAssignRequest(task_id="R#1", user_ids=["u0"]), actor_id=ACTOR, now=NOW)
    before = dump(kv)
    for seed in (None, 3):
        svc.rotation_forecast(
            api.RotationForecastRequest(rotation=ref("R"), shifts=8, samples=50, seed=seed),
            actor_id=ACTOR,
            now=NOW,
        )
        svc.user_forecast(
            api.UserForecastRequest(rotation=ref("R"), user_ids=["u0", "u3"], seed=seed),
            actor_id=ACTOR,
            now=NOW,
        )
    assert dump(kv) == before
    # The real fill is the same with or without forecasts run before it.
    filled = svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW).changed
    kv.delete_all()
    for key, value in before.items():
        kv.set(key, value)
    assert (
        svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW).changed == filled
    )


# ----------------------------------------------------------------------------- huge values


def test_a_huge_fuzz_makes_a_fair_draw_not_a_date_error(kv):
    # (1 + 10**9) weeks does not fit a timedelta: every fill and forecast of the
    # rotation used to fail with "a date ... is outside the supported range".
    svc = make_service(kv)
    _rotation(svc)
    svc.user_join(
        api.UserJoinRequest(rotation=ref("R"), user_ids=["a", "b", "c"]), actor_id=ACTOR, now=NOW
    )
    svc.rotation_set_fill(
        api.RotationSetFillRequest(rotation=ref("R"), fuzz=10**9), actor_id=ACTOR, now=NOW
    )
    svc.task_new_shift(
        api.TaskNewShiftRequest(rotation=ref("R"), number=0), actor_id=ACTOR, now=NOW
    )
    assert (
        len(svc.task_fill(api.TaskFillRequest(task_id="R#0"), actor_id=ACTOR, now=NOW).changed) == 1
    )
    result = svc.rotation_forecast(
        api.RotationForecastRequest(rotation=ref("R"), shifts=2, samples=30),
        actor_id=ACTOR,
        now=NOW,
    )
    assert [s.p_insufficient for s in result.forecast.shifts] == [0.0, 0.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.task_new_shift(
            api.TaskNewShiftRequest(rotation=ref("R"), number=10**6), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.rotation_autopilot(
            api.RotationAutopilotRequest(rotation=ref("R")),
            actor_id=ACTOR,
            now=datetime(9999, 12, 31, 23, tzinfo=NOW.tzinfo),
        ),
    ],
)
def test_times_out_of_range_are_a_bad_time_error_and_change_nothing(kv, call):
    svc = make_service(kv)
    _rotation(svc)
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("R"), create=True, create_prior=timedelta(days=30)
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    before = dump(kv)
    with pytest.raises(BadTimeError, match="range"):
        call(svc)
    assert dump(kv) == before


def test_a_forecast_out_of_range_is_a_bad_time_error(kv):
    svc = make_service(kv)
    _rotation(svc)
    with pytest.raises(BadTimeError, match="range"):
        svc.rotation_forecast(
            api.RotationForecastRequest(rotation=ref("R"), shifts=3, samples=5),
            actor_id=ACTOR,
            now=datetime(9999, 12, 20, tzinfo=NOW.tzinfo),
        )


# ------------------------------------------------------------------------- names too long to store


class _KnowsLongIds(LocalDirectory):
    """A local directory where ids longer than its 64 characters are users too, so that the
    store's key-length check, not the directory, is what refuses them."""

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Every non-empty id is a user."""
        return {u: Profile(user_id=u, username=u, time_zone=self.tz) for u in user_ids if u}


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.task_show(
            api.TaskShowRequest(task_id="R#" + "1" * 200), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.task_fill(
            api.TaskFillRequest(task_id="R" * 200 + "#1"), actor_id=ACTOR, now=NOW
        ),
        lambda s: s.user_show(api.UserShowRequest(user_ids=["u" * 200]), actor_id=ACTOR, now=NOW),
        lambda s: s.user_join(
            api.UserJoinRequest(rotation=ref("R"), user_ids=["u" * 200]), actor_id=ACTOR, now=NOW
        ),
    ],
)
def test_a_name_too_long_to_be_a_key_is_an_input_error(kv, call):
    from lotto.errors import InputError

    svc = make_service(kv, directory=_KnowsLongIds())
    _rotation(svc)
    before = dump(kv)
    with pytest.raises(InputError, match="too long"):
        call(svc)
    assert dump(kv) == before


# ----------------------------------------------------------------------------- unreadable records


@pytest.mark.parametrize("raw", [b"not json", b'{"RotationID": 5}', b"[]"])
def test_an_unreadable_record_is_a_lotto_error_naming_the_key(kv, raw):
    from lotto.errors import LottoError

    svc = make_service(kv)
    _rotation(svc)
    kv.set("rotation:R", raw)
    before = dump(kv)
    with pytest.raises(LottoError, match="rotation:R") as info:
        svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert "lotto-store check" in str(info.value)
    assert dump(kv) == before


def test_a_stored_time_without_a_zone_is_refused_as_unreadable(kv):
    """A hand-edited record with a naive time must not reach the service's time arithmetic."""
    from lotto.errors import LottoError

    svc = make_service(kv)
    _rotation(svc)
    stored = kv.get("rotation:R")
    assert b'Z"' in stored  # times are written with their zone
    kv.set("rotation:R", stored.replace(b'Z"', b'"', 1))
    before = dump(kv)
    with pytest.raises(LottoError, match="rotation:R"):
        svc.rotation_show(api.RotationShowRequest(rotation=ref("R")), actor_id=ACTOR, now=NOW)
    assert dump(kv) == before
