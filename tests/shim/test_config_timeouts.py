"""The answer bounds of ``lotto serve``: ``--command-timeout`` and ``--health-timeout``."""

from __future__ import annotations

import pytest

from shim.config import load
from shim.errors import ConfigError
from shim.runtime import waiting_time

BASE = {
    "LOTTO_STORE": "redis://127.0.0.1:6379/0",
    "LOTTO_MATTERMOST_URL": "https://chat.example.com/",
    "LOTTO_BOT_TOKEN": "bot",
    "LOTTO_SLASH_TOKEN": "t" * 26,
}


def test_the_bounds_default_to_5_and_1_seconds_and_can_be_set():
    c = load([], BASE)
    assert (c.command_timeout, c.health_timeout) == (5.0, 1.0)
    c = load(["--command-timeout", "3"], {**BASE, "LOTTO_HEALTH_TIMEOUT": "0.5"})
    assert (c.command_timeout, c.health_timeout) == (3.0, 0.5)


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--command-timeout", "0"), ("--command-timeout", "soon"), ("--health-timeout", "-1")],
)
def test_a_bound_must_be_a_positive_number_of_seconds(flag, value):
    with pytest.raises(ConfigError, match=flag):
        load([flag, value], BASE)


def test_most_of_a_bound_is_spent_waiting_the_rest_answering():
    assert waiting_time(5.0) == 4.0
    assert waiting_time(1.0) == 0.75
    assert 0 < waiting_time(0.1) < 0.1
