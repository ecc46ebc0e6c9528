"""Service: ``rotation set hours|holidays``, old records, and ``rotation now`` under hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from lotto import api
from lotto.errors import InputError
from lotto.model.hours import WorkingHours
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from tests.lotto.helpers import dump
from tests.lotto.service.helpers import ACTOR, make_service, ref

NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)  # Mon 09:00 in Berlin


@pytest.fixture
def svc(kv):
    s = make_service(kv, tz="Europe/Berlin")
    s.rotation_new(
        api.RotationNewRequest(name="SUP", beginning=NOW, period="weekly"), actor_id=ACTOR, now=NOW
    )
    return s


def call(svc, req):
    return svc_call(svc, req, NOW)


def svc_call(svc, req, now):
    from lotto.service.registry import dispatch

    return dispatch(svc, req, actor_id=ACTOR, now=now)


def stored(kv) -> Rotation:
    return decode(Rotation, kv.get("rotation:SUP"))


def test_hours_are_stored_and_cleared_in_one_batch_and_a_commit(svc, kv):
    req = api.RotationSetHoursRequest(rotation=ref("SUP"), days=[4, 0, 1], start="9", finish="17")
    res = call(svc, req)
    assert svc.stats.round_trips <= 2
    assert stored(kv).working == res.rotation.working
    assert (res.rotation.working.days, res.rotation.working.start) == ([0, 1, 4], "09:00")
    assert res.rotation.working.finish == "17:00"
    # 00:00-24:00 is the whole day, said the short way.
    whole = api.RotationSetHoursRequest(rotation=ref("SUP"), days=[0], start="0", finish="24:00")
    assert call(svc, whole).rotation.working.start == ""
    cleared = call(svc, api.RotationSetHoursRequest(rotation=ref("SUP"), clear=True))
    assert cleared.rotation.working == WorkingHours()


def test_holidays_keep_what_is_not_named_and_clear_first(svc, kv):
    set_ = api.RotationSetHolidaysRequest
    call(svc, set_(rotation=ref("SUP"), country="de", subdiv="by"))
    call(svc, set_(rotation=ref("SUP"), dates=["2027-12-24"], holiday_shift="move"))
    wh = stored(kv).working
    assert (wh.holiday_country, wh.holiday_subdiv, wh.holiday_dates) == ("DE", "BY", ["2027-12-24"])
    assert wh.holiday_shift == "move"
    wh = call(svc, set_(rotation=ref("SUP"), clear=True, country="FR")).rotation.working
    assert (wh.holiday_country, wh.holiday_subdiv, wh.holiday_dates) == ("FR", "", [])


@pytest.mark.parametrize(
    "req",
    [
        api.RotationSetHoursRequest(rotation=ref("SUP")),
        api.RotationSetHoursRequest(rotation=ref("SUP"), days=[7]),
        api.RotationSetHoursRequest(rotation=ref("SUP"), days=[0], start="09:00"),
        api.RotationSetHoursRequest(rotation=ref("SUP"), days=[0], start="9", finish="09:00"),
        api.RotationSetHolidaysRequest(rotation=ref("SUP")),
        api.RotationSetHolidaysRequest(rotation=ref("SUP"), subdiv="BY"),
        api.RotationSetHolidaysRequest(rotation=ref("SUP"), holiday_shift="later"),
        api.RotationSetHolidaysRequest(rotation=ref("SUP"), country="Germany"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(svc, kv, req):
    before = dump(kv)
    with pytest.raises(InputError):
        call(svc, req)
    assert dump(kv) == before


def test_a_rotation_stored_before_working_hours_decodes_to_every_day(svc, kv):
    raw = msgspec.json.decode(kv.get("rotation:SUP"))
    del raw["Working"]
    old = decode(Rotation, msgspec.json.encode(raw))
    assert old.working == WorkingHours()


def test_rotation_now_off_hours_names_the_next_window(svc):
    call(
        svc,
        api.RotationSetHoursRequest(
            rotation=ref("SUP"), days=[0, 1, 2, 3, 4], start="9", finish="17"
        ),
    )
    call(svc, api.TaskNewShiftRequest(rotation=ref("SUP"), number=0))
    night = NOW + timedelta(hours=10)  # Mon 19:00 Berlin
    res = svc_call(svc, api.RotationNowRequest(rotation=ref("SUP")), night)
    assert res.off_hours and res.current is None
    assert res.next is not None and res.next.task_id == "SUP#0"
    assert res.next_on_call == NOW + timedelta(days=1)  # Tue 09:00
    day = svc_call(svc, api.RotationNowRequest(rotation=ref("SUP")), NOW + timedelta(hours=1))
    # In the hours, a pending shift is no one on call (as without hours).
    assert not day.off_hours and day.current is None and day.on_call_until is None
