"""Fixtures of the reliability suite: the shim's fake Mattermost and ``lotto serve`` processes."""

from tests.shim.conftest import fake_mm, openapi, start_shim

__all__ = ["fake_mm", "openapi", "start_shim"]
