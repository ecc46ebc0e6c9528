"""Who of the members who could take an offered place is asked (``lotto.model.fanout``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lotto.model.fanout import ASK_AGAIN_AFTER, ASK_AT_MOST, ask_order, choose_asked, record_asked
from lotto.model.rotation import FillSettings, Rotation
from lotto.model.task import Task
from lotto.model.user import User

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _world(n: int, *, seed: int = 1) -> tuple[Rotation, Task, list[User]]:
    ids = [f"u{i:03}" for i in range(n)]
    rotation = Rotation(
        rotation_id="R",
        mattermost_user_ids=ids,
        fill_settings=FillSettings(beginning=NOW, seed=seed),
    )
    return rotation, Task(task_id="R#0", rotation_id="R"), [User(mattermost_user_id=u) for u in ids]


def _ids(users: list[User]) -> list[str]:
    return [u.mattermost_user_id for u in users]


def test_longest_since_they_served_first_never_served_at_the_fair_start():
    rotation, task, users = _world(5)
    served = {"u000": 300, "u001": 100, "u002": 200}  # u003, u004 never served
    for u in users:
        if u.mattermost_user_id in served:
            u.last_served["R"] = int(NOW.timestamp()) + served[u.mattermost_user_id]
    order = _ids(ask_order(rotation, task, users))
    assert set(order[:2]) == {"u003", "u004"}  # the fair start lies before the beginning
    assert order[2:] == ["u001", "u002", "u000"]


def test_ties_are_drawn_from_the_rotations_seed_and_the_task():
    rotation, task, users = _world(40)
    first = _ids(ask_order(rotation, task, users))
    assert first == _ids(ask_order(rotation, task, list(reversed(users))))  # not input order
    assert first != sorted(first)  # nobody is first just for their id
    other_seed = _ids(ask_order(_world(40, seed=2)[0], task, users))
    other_task = _ids(ask_order(rotation, Task(task_id="R#1", rotation_id="R"), users))
    assert first != other_seed and first != other_task


def test_at_most_20_are_asked_and_nobody_twice_about_one_place_within_a_day():
    rotation, task, users = _world(60)
    first = choose_asked(rotation, task, "bob", users, NOW)
    assert len(first.asked) == ASK_AT_MOST and first.again == [] and first.eligible == 60
    record_asked(task, "bob", first.asked, NOW)
    # Offered again an hour later: the same 20 come first, and none is asked again.
    again = choose_asked(rotation, task, "bob", users, NOW + timedelta(hours=1))
    assert again.asked == [] and again.again == first.asked
    # Someone else's place on the same task is another question.
    assert choose_asked(rotation, task, "cat", users, NOW).asked == first.asked
    # A day later they may be asked again.
    later = choose_asked(rotation, task, "bob", users, NOW + ASK_AGAIN_AFTER)
    assert later.asked == first.asked


def test_the_record_of_who_was_asked_stays_small():
    rotation, task, users = _world(60)
    for hour in range(100):
        record_asked(task, "bob", _ids(users[:20]), NOW + timedelta(hours=hour))
    assert len(task.asked) == 20  # one entry per member and place, the latest
    record_asked(task, "cat", ["u001"], NOW + timedelta(days=30))
    assert [(a.user_id, a.place) for a in task.asked] == [("u001", "cat")]
