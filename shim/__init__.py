"""The Mattermost shim: serves ``/lotto`` slash commands and plugin hooks over HTTP.

Run it with ``lotto serve`` (or ``python -m shim``); see the README section
"Deploy with Mattermost". The service itself lives in ``lotto``; this package
only adapts it to Mattermost (REST client, directory, poster, HTTP endpoints,
autopilot timer, admin log copies).
"""

from shim.config import Config, load
from shim.errors import ShimError

__all__ = ["Config", "ShimError", "load"]
