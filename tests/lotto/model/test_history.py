"""The rotation's task history (finished numbers as ranges), memberships and calendar pruning."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from lotto.model import history
from lotto.model.availability import REASON_PERSONAL, Event
from lotto.model.hours import WorkingHours
from lotto.model.membership import (
    MAX_STRETCHES,
    Memberships,
    record_joined,
    record_left,
    stretches,
)
from lotto.model.rotation import FillSettings, Rotation
from lotto.model.task import Task, default_shift_number
from lotto.model.user import SERVED_EVENTS_KEPT, User, mark_served

T0 = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def test_finished_numbers_merge_into_one_range_in_any_order():
    rotation = Rotation(rotation_id="R", task_ids=[f"R#{n}" for n in range(200)])
    order = list(range(200))
    random.Random(4).shuffle(order)
    for n in order[:150]:
        assert history.record_finished(rotation, f"R#{n}")
    assert len(rotation.task_ids) == 50
    assert all(history.task_made(rotation, f"R#{n}") for n in range(200))
    for n in order[150:]:
        history.record_finished(rotation, f"R#{n}")
    assert rotation.finished_numbers == [(0, 199)] and rotation.task_ids == []
    assert history.made_count(rotation) == 200
    assert not history.task_made(rotation, "R#200")
    assert not history.task_made(rotation, "OTHER#5")


def test_made_task_ids_reads_only_the_window_asked_for():
    rotation = Rotation(rotation_id="R", finished_numbers=[(0, 9_999)], task_ids=["R#10000"])
    assert history.made_task_ids(rotation, 5_000, 5_002) == ["R#5000", "R#5001", "R#5002"]
    assert history.made_task_ids(rotation, 9_999, 10_001) == ["R#9999", "R#10000"]
    newest = history.finished_ids_newest_first(rotation)
    assert [next(newest) for _ in range(2)] == ["R#9999", "R#9998"]


def test_an_id_of_another_form_stays_listed():
    rotation = Rotation(rotation_id="R", task_ids=["R#x", "R#1"])
    assert not history.record_finished(rotation, "R#x")
    assert history.record_finished(rotation, "R#1")
    assert rotation.task_ids == ["R#x"] and history.made_task_ids(rotation) == ["R#1", "R#x"]


def test_an_old_record_moves_its_finished_tasks_once():
    rotation = Rotation(rotation_id="R", task_ids=["R#0", "R#1", "R#2", "R#3"])
    assert history.move_finished(rotation, {"R#3": []})
    assert rotation.task_ids == ["R#3"] and rotation.finished_numbers == [(0, 2)]
    assert not history.move_finished(rotation, {"R#3": []})


def test_a_gap_of_skipped_holidays_closes_and_the_next_shift_is_not_made_twice():
    # Weekdays with Good Friday and Easter Monday 2027 (turns 19 and 20) skipped.
    rotation = Rotation(
        rotation_id="S",
        fill_settings=FillSettings(beginning=T0, period="daily"),
        working=WorkingHours(days=[0, 1, 2, 3, 4], holiday_dates=["2027-03-26", "2027-03-29"]),
    )
    for n in [*range(19), *range(21, 30)]:
        rotation.task_ids.append(f"S#{n}")
        history.record_finished(rotation, f"S#{n}")
    assert rotation.finished_numbers == [(0, 29)]
    assert default_shift_number(rotation, T0) == 30


def test_memberships_keep_at_most_so_many_stretches_merging_the_closest():
    rec = Memberships(rotation_id="R")
    at = T0
    for i in range(MAX_STRETCHES * 3):
        record_joined(rec, "eve", at)
        record_left(rec, "eve", at + timedelta(hours=1), None)
        at += timedelta(days=1 if i != 5 else 30)  # one long gap stays a gap
    spans = rec.users["eve"]
    assert len(spans) == MAX_STRETCHES
    assert spans[0].joined == T0 and spans[-1].left == at - timedelta(days=1, hours=-1)
    gaps = [b.joined - a.left for a, b in zip(spans, spans[1:], strict=False) if a.left]
    assert max(gaps) >= timedelta(days=29)


def test_a_member_from_before_memberships_leaves_from_the_beginning():
    rec = Memberships(rotation_id="R")
    record_left(rec, "old", T0 + timedelta(days=3), T0)
    assert rec.users["old"][0].joined == T0
    assert stretches({"x": rec.users["old"]}, rec).keys() == {"x", "old"}


def _shift(n: int) -> Task:
    start = T0 + timedelta(days=n)
    return Task(
        task_id=f"R#{n}",
        rotation_id="R",
        state="started",
        expected_start=start,
        expected_duration=timedelta(days=1),
        actual_start=start,
        grace=timedelta(hours=12),
    )


def test_old_task_events_are_pruned_and_the_credit_and_time_off_kept():
    away = Event(
        start=T0 - timedelta(days=400), finish=T0 - timedelta(days=399), reason=REASON_PERSONAL
    )
    user = User(mattermost_user_id="ann", calendar=[away])
    rotation = Rotation(rotation_id="R")
    for n in range(0, 1_000, 4):
        mark_served(user, _shift(n), rotation)
    kept = SERVED_EVENTS_KEPT.days // 4 + 1
    assert len([e for e in user.calendar if e.task_id]) <= 2 * kept
    assert user.calendar[0] == away  # time off is the person's own
    assert user.last_served["R"] == int((T0 + timedelta(days=997)).timestamp())
    # The credit of the dropped shifts is the floor: dropping the last one kept gives it back.
    oldest = min(e.start for e in user.calendar if e.task_id)
    assert user.served_floor["R"] == max(
        int((T0 + timedelta(days=n + 1)).timestamp())
        for n in range(0, 1_000, 4)
        if T0 + timedelta(days=n) < oldest
    )
