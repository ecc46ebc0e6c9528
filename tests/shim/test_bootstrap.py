"""``bootstrap(config)`` builds the whole runtime at once; nothing is set on it later."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest

from lotto.commands import Env
from shim.boot import bootstrap
from shim.links import ShimLinks
from shim.runtime import Runtime


def test_the_env_is_complete_without_an_app(runtime: Runtime):
    # The site the calendar events name, and the bot, are known as soon as it is built
    # (they used to be set by create_app, so a runtime without an app had "localhost").
    assert runtime.env.site == urlsplit(runtime.config.mattermost_url).hostname
    assert runtime.env.site != "localhost"
    assert runtime.env.bot_id == runtime.bot_user_id != ""
    assert runtime.autopilot is None  # --autopilot-interval 0


def test_the_env_and_the_runtime_are_immutable(runtime: Runtime):
    with pytest.raises(AttributeError, match="immutable"):
        runtime.env.site = "elsewhere"
    with pytest.raises(AttributeError):
        runtime.env = runtime.env.replace(site="elsewhere")
    variant = runtime.env.replace(site="elsewhere")
    assert isinstance(variant, Env) and variant.site == "elsewhere"
    assert variant.service is runtime.env.service and runtime.env.site != "elsewhere"


def test_signed_links_come_with_a_public_url_and_a_secret(runtime: Runtime):
    assert runtime.env.links is None  # no --public-url in the fixture's configuration
    config = dataclasses.replace(
        runtime.config, public_url="https://lotto.example.com", secret="s" * 32
    )
    other = bootstrap(config)  # its own store connection and client
    try:
        assert isinstance(other.env.links, ShimLinks)
    finally:
        other.close()
