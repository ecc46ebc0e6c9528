"""Rendering of direct messages and of user skills."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from lotto import api
from lotto.commands.render import notice_text, skills_text
from lotto.model.user import User

UTC = UTC


def _mention(uid: str) -> str:
    return f"@{uid}-name"


@pytest.mark.parametrize("kind", api.NOTICE_KINDS)
def test_every_notice_kind_names_the_actor_and_its_subject(kind):
    n = api.Notice(
        kind=kind,
        user_id="ann",
        actor_id="boss",
        rotation_id="ICE",
        task_id="ICE#3",
        start=datetime(2020, 3, 12, 16, tzinfo=UTC),
        finish=datetime(2020, 3, 12, 16, 30, tzinfo=UTC),
        added_user_ids=["bob"],
    )
    if kind == "alert_broken":  # what the change broke, shift by shift
        n.risks = [
            api.Risk(
                kind="unmet",
                rotation_id="ICE",
                task_id="ICE#3",
                state="scheduled",
                need="lead-◈",
                count=1,
            )
        ]
    if kind == "digest":  # several notices to one reader, as one message
        n.parts = [msgspec.structs.replace(n, kind=k) for k in ("assigned", "offer")]
    text = notice_text(n, _mention, "America/Los_Angeles")
    assert "TODO" not in text and "None" not in text
    subject = "**ICE**" if kind in ("welcome", "left") else "**ICE#3**"
    if kind != "welcome_new":
        assert subject in text, text
    assert "@boss-name" in text, text  # reminders too (design.md §5: DMs name the actor)
    if kind in ("scheduled", "remind_start", "assigned"):
        # In the reader's zone, named (issue 8): no longer `2020-03-12T09:00 (America/...)`.
        assert "Thu 12 Mar 2020 09:00 PDT" in text, text
    if kind == "added":
        assert "@bob-name" in text


def test_autopilot_notices_without_an_actor():
    n = api.Notice(
        kind="started",
        user_id="ann",
        actor_id="",
        task_id="ICE#3",
        finish=datetime(2020, 3, 12, 16, 30, tzinfo=UTC),
    )
    assert (
        notice_text(n, _mention, "UTC")
        .splitlines()[1]
        .startswith("The autopilot started **ICE#3**")
    )
    n = api.Notice(
        kind="remind_finish",
        user_id="ann",
        actor_id="",
        task_id="ICE#3",
        finish=datetime(2020, 3, 12, 16, 30, tzinfo=UTC),
    )
    assert notice_text(n, _mention, "UTC").splitlines()[1] == (
        "The autopilot reminds you: **ICE#3** finishes at Thu 12 Mar 2020 16:30 UTC."
    )


def test_skills_are_sorted_by_name_with_level_symbols():
    user = User(
        mattermost_user_id="u", skill_levels={"webapp": 3, "TEAMFS1": 1, "server": 4, "lead": 2}
    )
    # Levels in words (issue 8); the glyph form is kept for tight lists, with a legend.
    assert skills_text(user) == (
        "TEAMFS1 (beginner), lead (intermediate), server (expert), webapp (advanced)"
    )
    assert skills_text(user, glyphs=True) == "TEAMFS1-◉, lead-▣, server-◈◈, webapp-◈"
    assert skills_text(User(mattermost_user_id="v")) == ""
