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
        log.error("copied")  # the DM to the unknown admin fails and is logged by shim.poster: not copied
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
