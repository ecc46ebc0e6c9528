"""Log lines copied to the plugin admins as DMs, through the real poster and the fake server."""

from __future__ import annotations

import logging

from shim.adminlog import AdminLogHandler
from shim.directory import MattermostPoster
from shim.mattermost import MattermostClient
from tests.shim.conftest import wait_for


def _handler(fake_mm, admins):
    client = MattermostClient(fake_mm.url, fake_mm.bot_token, backoff=0.001)
    return AdminLogHandler(MattermostPoster(client, fake_mm.bot["id"]), lambda: admins), client


def test_lines_at_or_above_the_level_reach_every_admin(fake_mm):
    one, two = fake_mm.add_user("admin1"), fake_mm.add_user("admin2")
    handler, client = _handler(fake_mm, frozenset({one["id"], two["id"]}))
    handler.configure("warn", verbose=False)
    log = logging.getLogger("shim.test.adminlog")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        log.info("quiet")
        log.warning("loud %s", "enough")
        log.error("worse", extra={"ctx": {"rotation": "ICE"}})
        wait_for(lambda: len(fake_mm.dms(one["id"])) == 2 and len(fake_mm.dms(two["id"])) == 2)
        assert fake_mm.dms(one["id"]) == ["**warning**: loud enough", "**error**: worse"]
        handler.configure("error", verbose=True)
        log.error("with context", extra={"ctx": {"rotation": "ICE"}})
        wait_for(lambda: len(fake_mm.dms(one["id"])) == 3)
        last = fake_mm.dms(one["id"])[-1]
        assert last.startswith("**error**: with context\n")
        assert "- logger: `shim.test.adminlog`" in last and "- rotation: `ICE`" in last
    finally:
        log.removeHandler(handler)
        handler.close()
        client.close()


def test_none_turns_copying_off_and_poster_failures_do_not_loop(fake_mm):
    admin = fake_mm.add_user("admin3")
    handler, client = _handler(fake_mm, frozenset({admin["id"], "nosuchuser00000000000000000"}))
    log = logging.getLogger("shim.test.adminlog2")
    log.addHandler(handler)
    poster_log = logging.getLogger("shim.poster")
    poster_log.addHandler(handler)
    try:
        handler.configure("none", verbose=False)
        log.error("not copied")
        handler.configure("error", verbose=False)
        log.error(
            "copied"
        )  # the DM to the unknown admin fails and is logged by shim.poster: not copied
        wait_for(lambda: fake_mm.dms(admin["id"]))
        handler.close()
        assert fake_mm.dms(admin["id"]) == ["**error**: copied"]
    finally:
        log.removeHandler(handler)
        poster_log.removeHandler(handler)
        client.close()


def test_lines_logged_while_sending_are_not_copied(fake_mm):
    admin = fake_mm.add_user("admin4")
    log = logging.getLogger("shim.test.adminlog3")

    def recipients():
        log.warning("looking up the admins")  # runs on the sender thread: must not loop
        return frozenset({admin["id"]})

    client = MattermostClient(fake_mm.url, fake_mm.bot_token, backoff=0.001)
    handler = AdminLogHandler(MattermostPoster(client, fake_mm.bot["id"]), recipients)
    handler.configure("warn", verbose=False)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        log.error("only this")
        wait_for(lambda: fake_mm.dms(admin["id"]))
        handler.close()  # sends whatever is still queued
        assert fake_mm.dms(admin["id"]) == ["**error**: only this"]
    finally:
        log.removeHandler(handler)
        client.close()


class _Clock:
    """A hand-moved clock for the repeat window (no sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_repeats_are_sent_once_an_hour_with_a_count():
    from lotto.local import RecordingPoster

    poster, clock = RecordingPoster(), _Clock()
    handler = AdminLogHandler(poster, lambda: frozenset({"admin"}), clock=clock)
    handler.configure("error", verbose=False)
    log = logging.getLogger("shim.test.adminlog4")
    other = logging.getLogger("shim.test.adminlog5")
    for logger in (log, other):
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        # a failure recurring every minute, its report header's time changing each time
        for minute in range(60):
            clock.now = 1000.0 + 60 * minute
            log.error(
                "autopilot failed: autopilot ran on A for 2020-01-14T12:%02d. A#0 insufficient",
                minute,
            )
        log.error(
            "autopilot failed: autopilot ran on B for 2020-01-14T12:59. B#0 insufficient"
        )  # another text
        other.error(
            "autopilot failed: autopilot ran on A for 2020-01-14T12:59. A#0 insufficient"
        )  # another logger
        clock.now = 1000.0 + 3600  # an hour after the first copy
        log.error("autopilot failed: autopilot ran on A for 2020-01-14T13:00. A#0 insufficient")
        log.error("autopilot failed: autopilot ran on A for 2020-01-14T13:00. A#0 insufficient")
        clock.now += 3600
        log.error("autopilot failed: autopilot ran on A for 2020-01-14T14:00. A#0 insufficient")
        handler.close()  # sends what is queued
    finally:
        for logger in (log, other):
            logger.removeHandler(handler)
    assert [text for _, text in poster.sent] == [
        "**error**: autopilot failed: autopilot ran on A for 2020-01-14T12:00. A#0 insufficient",
        "**error**: autopilot failed: autopilot ran on B for 2020-01-14T12:59. B#0 insufficient",
        "**error**: autopilot failed: autopilot ran on A for 2020-01-14T12:59. A#0 insufficient",
        "**error**: autopilot failed: autopilot ran on A for 2020-01-14T13:00. A#0 insufficient"
        " (repeated 59 times in the last hour)",
        "**error**: autopilot failed: autopilot ran on A for 2020-01-14T14:00. A#0 insufficient"
        " (repeated 1 times in the last hour)",
    ]
    assert {uid for uid, _ in poster.sent} == {"admin"}


def test_lines_below_the_level_do_not_count_as_repeats():
    from lotto.local import RecordingPoster

    poster, clock = RecordingPoster(), _Clock()
    handler = AdminLogHandler(poster, lambda: frozenset({"admin"}), clock=clock)
    handler.configure("error", verbose=True)
    log = logging.getLogger("shim.test.adminlog6")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        log.warning("disk at 90%")  # below the level: not sent, not remembered
        handler.configure("warn", verbose=True)
        log.warning("disk at 90%")
        log.warning("disk at 90%")
        clock.now += 3600
        log.warning("disk at 90%", extra={"ctx": {"host": "a"}})
        handler.close()
    finally:
        log.removeHandler(handler)
    texts = [text for _, text in poster.sent]
    assert len(texts) == 2 and texts[0].startswith("**warning**: disk at 90%\n")
    assert texts[1].startswith("**warning**: disk at 90% (repeated 1 times in the last hour)\n")
    assert "- host: `a`" in texts[1]


def test_distinct_messages_are_remembered_up_to_a_bound(monkeypatch):
    import shim.adminlog
    from lotto.local import RecordingPoster

    monkeypatch.setattr(shim.adminlog, "_MAX_KEYS", 3)
    poster, clock = RecordingPoster(), _Clock()
    handler = AdminLogHandler(poster, lambda: frozenset({"admin"}), clock=clock)
    handler.configure("error", verbose=False)
    log = logging.getLogger("shim.test.adminlog7")
    log.addHandler(handler)
    try:
        for n in range(5):
            clock.now += 1
            log.error("failure %d", n)
        log.error("failure 4")  # recent: still held back
        assert len(handler._recent) <= 3
        handler.close()
    finally:
        log.removeHandler(handler)
    assert [text for _, text in poster.sent] == [f"**error**: failure {n}" for n in range(5)]
