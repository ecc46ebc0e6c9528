"""The ``lotto`` package's constants agree with the plugin manifest."""

from __future__ import annotations

import json
from pathlib import Path

from lotto import PLUGIN_ID


def test_plugin_id_matches_plugin_json():
    plugin = json.loads((Path(__file__).parents[2] / "plugin.json").read_text())
    assert PLUGIN_ID == plugin["id"]
