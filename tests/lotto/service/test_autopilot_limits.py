"""Autopilot: a run stays bounded however short the period and long the create-prior."""

from __future__ import annotations

from datetime import timedelta

from lotto import api
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from lotto.service.autopilot import MAX_CREATE_AHEAD
from tests.lotto.service.helpers import ACTOR, NOW, make_service, ref, utc


def _autopilot(svc, now=NOW):
    return svc.rotation_autopilot(
        api.RotationAutopilotRequest(rotation=ref("R")), actor_id=ACTOR, now=now
    )


def test_a_one_minute_period_creates_a_bounded_number_of_shifts(kv):
    # "--period 1m" (one minute, a plausible slip for monthly) with docs/design.md §4's
    # create-prior of 800h would be 48 000 shifts, made one by one with an
    # overlap check against all the others: the tick never finished.
    svc = make_service(kv)
    svc.rotation_new(
        api.RotationNewRequest(name="R", beginning=utc(2020, 1, 1), period="1m", time_zone="UTC"),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("R"), create=True, create_prior=timedelta(hours=800)
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    first = _autopilot(svc)
    create = next(s for s in first.steps if s.name == api.STEP_CREATE)
    assert len(create.task_ids) == MAX_CREATE_AHEAD
    assert (
        create.task_ids[0] == "R#720" and create.task_ids[-1] == f"R#{720 + MAX_CREATE_AHEAD - 1}"
    )
    again = next(s for s in _autopilot(svc).steps if s.name == api.STEP_CREATE)
    assert again.task_ids == []  # the same time: nothing more (idempotent)
    later = next(
        s for s in _autopilot(svc, NOW + timedelta(minutes=2)).steps if s.name == api.STEP_CREATE
    )
    assert later.task_ids == [f"R#{720 + MAX_CREATE_AHEAD}", f"R#{721 + MAX_CREATE_AHEAD}"]
    assert len(decode(Rotation, kv.get("rotation:R")).task_ids) == MAX_CREATE_AHEAD + 2


def test_a_weekly_rotation_still_creates_everything_its_prior_asks_for(kv):
    svc = make_service(kv)
    svc.rotation_new(
        api.RotationNewRequest(
            name="R", beginning=utc(2020, 1, 1), period="weekly", time_zone="UTC"
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    svc.rotation_set_autopilot(
        api.RotationSetAutopilotRequest(
            rotation=ref("R"), create=True, create_prior=timedelta(days=7 * 52)
        ),
        actor_id=ACTOR,
        now=NOW,
    )
    create = next(s for s in _autopilot(svc).steps if s.name == api.STEP_CREATE)
    assert create.task_ids == [f"R#{n}" for n in range(53)]  # #52 starts 12h before now + 364 days
