"""The forecast is calibrated: its chances are how often the real lottery picks people.

The real lottery is the service's own fill (``task fill``, seeded by the
rotation's seed and the task id, marking the people it assigns as served)
run on a small rotation with skills, a limit, rest after each shift long
enough to keep people off the next two, and a member who has waited longer,
once per rotation seed (a fill that cannot be met leaves its shift unfilled). Over many seeds how
often each person serves each shift must match the forecast's chance within
the sampling error of both; the same check against a forecast that forgets
the rest between shifts must fail, so the check can tell.
"""

from __future__ import annotations

import collections
import random
from datetime import UTC, datetime, timedelta

import msgspec

from lotto import api
from lotto.api.forecasts import Forecast
from lotto.service.forecasting import forecast
from tests.lotto.commands.helpers import Script
from tests.lotto.service.helpers import ACTOR

NOW = datetime(2020, 1, 1, tzinfo=UTC)
SETUP = """
rotation new CAL --beginning 2020-01-06T09:00 --period weekly --timezone UTC
rotation set task CAL --grace 8d
rotation set require CAL -s any --count 2
rotation set require CAL -s webapp --count 1
rotation set limit CAL -s server --count 1
user qualify @ann @bob @cat -s webapp-2
user qualify @fay -s webapp-1
user qualify @bob @dan @eve -s server-1
user join CAL @ann @bob @cat @dan @eve @fay
user join CAL @gus --starting 2019-11-04T09:00
"""
SEEDS = 300
SHIFTS = 4
SAMPLES = 5000


def _real_frequencies(script: Script) -> dict[tuple[str, int], float]:
    """How often each person was assigned each shift over SEEDS real fills of the rotation."""
    kv = script.kv
    template = {key: kv.get(key) for key in kv.list_keys(0, 1000)}
    served: collections.Counter[tuple[str, int]] = collections.Counter()
    for seed in range(SEEDS):
        kv.delete_all()
        for key, value in template.items():
            kv.set(key, value)
        script.run(f"rotation set fill CAL --seed {seed}", now=NOW)
        for n in range(SHIFTS):
            script.run(f"task new shift CAL --number {n}", now=NOW)
            filled = script.try_(f"task fill CAL#{n}", now=NOW)
            if filled.ok:  # else nobody is assigned: the shift stays unfilled, as forecast
                served.update((uid, n) for uid in filled.data.task.mattermost_user_ids)
            else:
                assert "insufficient" in filled.text, filled.text
                served[("", n)] += 1
    kv.delete_all()
    for key, value in template.items():
        kv.set(key, value)
    return {cell: count / SEEDS for cell, count in served.items()}


def _z_scores(result: Forecast, real: dict[tuple[str, int], float]) -> list[float]:
    """Per person and shift (and per shift left unfilled): the gap in standard errors."""
    cells = [((u.user_id, n), p) for u in result.users for n, p in enumerate(u.p_shift)]
    cells += [(("", n), s.p_insufficient) for n, s in enumerate(result.shifts)]
    scores = []
    for cell, p in cells:
        spread = (p * (1 - p) * (1 / SEEDS + 1 / SAMPLES)) ** 0.5
        f = real.get(cell, 0.0)
        scores.append((f - p) / spread if spread else (0.0 if f == p else 1e9))
    return scores


def test_the_forecast_matches_the_real_lottery_over_many_seeds(kv_memory):
    script = Script(kv_memory)
    script.multi(SETUP, now=NOW)
    real = _real_frequencies(script)
    svc = script.env.service
    req = api.RotationForecastRequest(
        rotation=api.RotationRef(name="CAL"), shifts=SHIFTS, samples=SAMPLES, seed=11
    )
    result = svc.rotation_forecast(req, actor_id=ACTOR, now=NOW)
    assert len(result.forecast.users) == 7
    assert {s.task_id for s in result.forecast.shifts} == {f"CAL#{n}" for n in range(SHIFTS)}
    scores = _z_scores(result.forecast, real)
    # 32 cells: sampling error alone gives a mean square near 1 and no cell beyond ~3.5.
    assert max(abs(z) for z in scores) < 4.5, scores
    assert sum(z * z for z in scores) / len(scores) < 2.0, scores

    # A forecast without the rest after each shift is visibly off: the check has power.
    show = svc.rotation_show(
        api.RotationShowRequest(rotation=req.rotation), actor_id=ACTOR, now=NOW
    )
    restless = msgspec.structs.replace(
        show.rotation,
        task_settings=msgspec.structs.replace(show.rotation.task_settings, grace=timedelta(0)),
    )
    wrong = forecast(
        restless, show.tasks, show.users, NOW, random.Random(11), shifts=SHIFTS, samples=SAMPLES
    )
    wrong_scores = _z_scores(wrong, real)
    assert sum(z * z for z in wrong_scores) / len(wrong_scores) > 4, wrong_scores
