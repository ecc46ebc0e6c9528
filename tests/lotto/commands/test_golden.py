"""Golden files: the exact text of every reply and every direct-message kind.

Two readers in two zones (America/Los_Angeles and Europe/Berlin) run the same
session through ``lotto --file``; it crosses the change to daylight-saving time in
both (8 March 2026 in the US, 29 March in the EU), so the same shifts read
``PST``/``PDT`` and ``CET``/``CEST``. Every notice kind is also rendered on its own
for both readers. The session is ``tests/lotto/commands/data/golden/session.lotto``; the texts
are compared with ``tests/lotto/commands/data/golden/*.txt``.

An intended change of wording: regenerate with ``LOTTO_UPDATE_GOLDEN=1 pytest
tests/lotto/commands/test_golden.py`` and review the diff of the golden files.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kvstore.backends import discard_memory
from lotto.cli import main
from lotto.commands import render
from lotto.model.notice import NOTICE_KINDS, Notice
from lotto.model.risks import Risk
from lotto.model.task import Task
from tests.lotto.helpers import HOSTILE_NOTE

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("LOTTO_UPDATE_GOLDEN") == "1"

ZONES = {"la": "America/Los_Angeles", "berlin": "Europe/Berlin"}

# One command of every kind, all with --now, so the texts never depend on the clock.
SESSION = GOLDEN / "session.lotto"


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with LOTTO_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs; if intended, regenerate with LOTTO_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize("reader", sorted(ZONES))
def test_every_reply_in_the_readers_zone(reader, capsys):
    store = f"memory://golden-{uuid.uuid4().hex}"
    argv = ["--store", store, "--as", "ann", "--tz", ZONES[reader], "--file", str(SESSION)]
    try:
        status = main(argv)
    finally:
        discard_memory(store)
    out, err = capsys.readouterr()
    assert status == 0, err
    _check(f"session-{reader}.txt", out)


def _notices() -> list[Notice]:
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)  # 09:00 PST; a week later it is PDT
    finish = start + timedelta(days=7)
    task = Task(
        task_id="ICE#0",
        rotation_id="ICE",
        state="started",
        expected_start=start,
        expected_duration=finish - start,
        mattermost_user_ids=["ann", "bob"],
    )
    base = {
        "user_id": "ann",
        "actor_id": "bob",
        "rotation_id": "ICE",
        "task_id": "ICE#0",
        "task": task,
        "start": start,
        "finish": finish,
        "task_type": "shift",
    }
    out = [Notice(kind=kind, **base) for kind in NOTICE_KINDS]  # type: ignore[arg-type]
    out += [
        Notice(kind="added", **{**base, "added_user_ids": ["cat", "dan"]}),  # type: ignore[arg-type]
        Notice(kind="welcome", **{**base, "first_time": True}),  # type: ignore[arg-type]
        Notice(kind="welcome", **{**base, "actor_id": "ann"}),  # type: ignore[arg-type]
        Notice(
            kind="started",
            **{  # type: ignore[arg-type]
                **base,
                "by_autopilot": True,
                "handover_user_ids": ["cat"],
                "next_task_id": "ICE#1",
                "next_user_ids": ["dan"],
            },
        ),
        Notice(kind="scheduled", **{**base, "by_autopilot": True, "task_type": "ticket"}),  # type: ignore[arg-type]
        Notice(kind="offer", **{**base, "from_user_id": "cat", "note": HOSTILE_NOTE}),  # type: ignore[arg-type]
        Notice(kind="alert_left", **{**base, "subject_id": "cat"}),  # type: ignore[arg-type]
        Notice(
            kind="alert_broken",
            **{  # type: ignore[arg-type]
                **base,
                "risks": [
                    Risk(
                        kind="unmet",
                        rotation_id="ICE",
                        task_id="ICE#0",
                        state="started",
                        need="lead-◈",
                        count=1,
                    ),
                    Risk(
                        kind="gone",
                        rotation_id="ICE",
                        task_id="ICE#1",
                        state="scheduled",
                        user_ids=["cat"],
                    ),
                ],
            },
        ),
        Notice(
            kind="shift_changed",
            **{  # type: ignore[arg-type]
                **base,
                "removed_user_ids": ["cat"],
                "added_user_ids": ["dan"],
                "outcome": "offers_closed",
            },
        ),
    ]
    # One change telling one reader several things: one message (issue 19).
    digest = [n for n in out if n.kind == "digest"][0]
    digest.parts = [n for n in out if n.kind == "finished"][:1] + out[-1:]
    return out


def test_every_notice_kind_for_two_readers():
    def mention(uid: str) -> str:
        return f"@{uid}"

    sections = []
    for zone in sorted(ZONES.values()):
        for n in _notices():
            text = render.notice_text(n, mention, zone)
            sections.append(f"== {n.kind} for a reader in {zone}\n{text}")
    _check("notices.txt", "\n\n".join(sections) + "\n")
    kinds = {n.kind for n in _notices()}
    assert kinds == set(NOTICE_KINDS)


def test_both_readers_see_the_same_session_across_the_dst_change():
    la = (GOLDEN / "session-la.txt").read_text(encoding="utf-8").splitlines()
    berlin = (GOLDEN / "session-berlin.txt").read_text(encoding="utf-8").splitlines()
    # The same commands did the same things: only the times (and their zones) differ.
    assert len(la) == len(berlin)
    assert [x for x in la if x.startswith("$ ")] == [x for x in berlin if x.startswith("$ ")]
    # The first shift starts in winter time and ends in summer time for the LA reader.
    assert any("Mon 2 Mar 2026 09:00 PST to Mon 9 Mar 2026 09:00 PDT" in x for x in la)
    assert any("Mon 2 Mar 2026 18:00 CET to Mon 9 Mar 2026 17:00 CET" in x for x in berlin)
    # The Berlin reader crosses its own change later in the month.
    # (ICE#4 is made by hand so that ICE#2's grace does not run into it: issue 13.)
    assert any("ICE#3** pending, starts Mon 23 Mar 2026 17:00," in x for x in berlin)
    assert any("ICE#4** scheduled, starts Mon 30 Mar 2026 18:00," in x for x in berlin)
    assert any("Mon 30 Mar 2026 18:00 CEST to Mon 6 Apr 2026 18:00 CEST" in x for x in berlin)
    # Lists name the zone once, in the header; no reply speaks of UTC.
    assert "- Open shifts (times in Europe/Berlin):" in berlin
    assert not any("(UTC)" in x or " UTC," in x for x in la + berlin)
