"""The filler dispatcher: rules that hold for every fill type."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lotto import fillers
from lotto.model.rotation import FILLER_QUEUE, FILLER_SOLAR_LOTTERY, FillSettings, Rotation
from lotto.model.task import Task
from lotto.model.user import User

NOW = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("filler_type", [FILLER_SOLAR_LOTTERY, FILLER_QUEUE])
@pytest.mark.parametrize("members", [["a", "b"], []])
def test_a_require_of_zero_asks_for_nobody(filler_type, members):
    rotation = Rotation(
        rotation_id="R",
        filler_type=filler_type,
        mattermost_user_ids=members,
        fill_settings=FillSettings(beginning=NOW),
    )
    task = Task(
        task_id="R#0",
        rotation_id="R",
        expected_start=NOW,
        expected_duration=timedelta(hours=1),
        require={"any": 0, "webapp-◉": -1},
    )
    users = {u: User(mattermost_user_id=u) for u in members}
    assert fillers.fill(rotation, task, users, NOW, random.Random(1)) == []
    assert task.require == {"any": 0, "webapp-◉": -1}  # the caller's task is not changed
