"""Fake Mattermost servers that answer slowly (``Delaying``) or not until released (``Stalling``).

Both are the OpenAPI-checked :class:`tests.shim.fake_mattermost.FakeMattermost`; user
ids derive from usernames, so two fakes given the same users agree on their ids.
"""

from __future__ import annotations

import threading
import time

from tests.shim.fake_mattermost import FakeMattermost

__all__ = ["DelayingMattermost", "StallingMattermost"]


class DelayingMattermost(FakeMattermost):
    """Every request is answered ``delay`` seconds late (0 at first): a slow server."""

    delay = 0.0

    def handle(self, method, path, headers, raw):
        """Wait ``delay`` seconds (the simulated slowness, not a synchronisation), then answer."""
        if self.delay:
            time.sleep(self.delay)
        return super().handle(method, path, headers, raw)


class StallingMattermost(FakeMattermost):
    """Once :meth:`stall` is called, every request waits until :attr:`release` is set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.waiting = 0

    def stall(self) -> None:
        """From now on every request waits for :attr:`release` (at most two minutes)."""
        self.stalled.set()

    def handle(self, method, path, headers, raw):
        """Answer, after :attr:`release` once stalled."""
        if self.stalled.is_set():
            with self.lock:
                self.waiting += 1
            self.release.wait(timeout=120)
        return super().handle(method, path, headers, raw)
