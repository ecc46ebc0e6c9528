"""Long outputs (issue 8): ``rotation show`` and ``user show`` stay short on big records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import kvstore
from lotto import api
from lotto.model.index import OpenTasks
from lotto.model.task import new_shift
from lotto.model.user import User
from lotto.store import Session
from tests.conftest import PLUGIN_ID, _fresh_memory_url, discard_memory
from tests.lotto.commands.helpers import Script, assert_rejected_unchanged
from tests.lotto.service.helpers import ACTOR, make_service

NOW = datetime(2020, 1, 1, tzinfo=UTC)
MEMBERS = [f"u{i:03d}" for i in range(300)]


@pytest.fixture(scope="module")
def big_store():
    """BIG: 300 members (100 with webapp), 500 open daily shifts.

    Written as records in one unit of work (500 ``task new shift`` commands would
    take most of a minute); ``rotation show`` then reads them as any other.
    """
    url = _fresh_memory_url()
    kv = kvstore.open(url, PLUGIN_ID)
    make_service(kv).rotation_new(
        api.RotationNewRequest(name="BIG", beginning=NOW, period="daily", time_zone="UTC"),
        actor_id=ACTOR,
        now=NOW,
    )

    def build(uow) -> None:
        s = Session(uow)
        rot = s.rotation("BIG")
        rot.mattermost_user_ids = list(MEMBERS)
        for i, uid in enumerate(MEMBERS):
            s.save_user(User(mattermost_user_id=uid, skill_levels={"webapp": 2} if i < 100 else {}))
        tasks = [new_shift(rot, n) for n in range(500)]
        for task in tasks:
            s.save_task(task)
        rot.task_ids = [t.task_id for t in tasks]
        s.save_rotation(rot)
        s.save_open_tasks("BIG", OpenTasks(tasks={t.task_id: [] for t in tasks}))
        s.flush()

    kv.run(build)
    yield kv
    kv.close()
    discard_memory(url)


def test_rotation_show_of_a_big_rotation_is_short(big_store):
    text = Script(big_store).run("rotation show BIG", now=NOW).text
    assert len(text) < 3000, len(text)
    assert "- Members (300), by skill: webapp 100, no skills 200." in text
    assert "`/lotto rotation show BIG --members` lists them." in text
    assert "- Open tasks (500), the next 10:" in text
    shown = [line for line in text.splitlines() if line.startswith("  - **BIG#")]
    assert [line.split("**")[1] for line in shown] == [f"BIG#{n}" for n in range(10)]
    assert "… and 490 more: `/lotto rotation show BIG --tasks all` lists them" in text
    assert "@u000" not in text


def test_rotation_show_flags_give_the_rest(big_store):
    s = Script(big_store)
    some = s.run("rotation show BIG --tasks 3", now=NOW).text
    assert sum(line.startswith("  - **BIG#") for line in some.splitlines()) == 3
    assert "… and 497 more" in some
    every = s.run("rotation show BIG --tasks all --members", now=NOW).text
    assert sum(line.startswith("  - **BIG#") for line in every.splitlines()) == 500
    assert "more:" not in every
    members = next(line for line in every.splitlines() if line.startswith("- Members (300): "))
    assert members.count("@u") == 300 and "@u000 (webapp-" in members


@pytest.mark.parametrize("bad", ["many", "-3", "2.5"])
def test_rotation_show_tasks_must_be_a_number_or_all(big_store, bad):
    out = assert_rejected_unchanged(Script(big_store), f"rotation show BIG --tasks {bad}")
    assert "--tasks" in out.text and "all" in out.text


def test_small_rotation_show_lists_members_and_tasks_by_name(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new ICE --beginning 2020-01-06
        user join ICE @ann @bob
        task new shift ICE --number 0
    """)
    text = s.run("rotation show ICE").text
    assert "- Members (2): @ann (none), @bob (none)" in text
    assert "- Open tasks:\n  - **ICE#0** pending" in text


def test_user_show_lists_the_last_five_past_shifts(kv_memory):
    s = Script(kv_memory)
    s.run("rotation new D --beginning 2020-01-01 --period daily", now=NOW)
    s.run("user join D @ann", now=NOW)
    for n in range(8):
        s.run(f"task new shift D --number {n}", now=NOW)
        s.run(f"task assign D#{n} @ann", now=NOW)
    s.run("task new shift D --number 20", now=NOW)
    s.run("task assign D#20 @ann", now=NOW)
    later = datetime(2020, 1, 15, tzinfo=UTC)
    text = s.run("user show @ann", now=later).text
    shifts = [line for line in text.splitlines() if ": task D#" in line]
    assert [line.rsplit(" ", 1)[1] for line in shifts] == [
        "D#3",
        "D#4",
        "D#5",
        "D#6",
        "D#7",
        "D#20",
    ]
    assert "- … and 3 earlier past shifts: `/lotto user show @ann --history` lists them." in text
    full = s.run("user show @ann --history", now=later).text
    assert sum(": task D#" in line for line in full.splitlines()) == 9
    assert "earlier past shift" not in full
