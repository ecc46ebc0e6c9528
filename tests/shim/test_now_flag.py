"""``--now`` over real HTTP (issue 19 item 6): a plain member cannot date changes.

Measured before: as carol, ``user leave OTHER --now 2001-01-01`` then ``user join OTHER
--now 2000-01-01`` stored a membership history that ran backwards, and ``rotation stats``
followed it. Now both are refused with one paragraph and change nothing; a command that only
looks still takes ``--now`` from anyone, and a plugin admin may still use it to change.
"""

from __future__ import annotations

import json
import uuid

import kvstore
from tests.lotto.helpers import dump
from tests.shim.conftest import ROOT


def _text(response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["text"]


def test_a_member_cannot_rewrite_their_history_with_now(fake_mm, redis_url, start_shim, tmp_path):
    manifest = json.loads((ROOT / "plugin.json").read_text())
    manifest["id"] = plugin_id = f"com.mattermost.solar-lottery.test-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "plugin.json"
    path.write_text(json.dumps(manifest))
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    carol = fake_mm.add_user("carol")
    shim = start_shim(fake_mm, redis_url, "--plugin-json", str(path), "--autopilot-interval", "0")
    assert "Command failed" not in _text(shim.slash("rotation new OTHER", boss))
    assert "Command failed" not in _text(shim.slash("user join OTHER", carol))
    store = kvstore.open(redis_url, plugin_id)
    try:
        before = dump(store)
        for line in ("user leave OTHER --now 2001-01-01", "user join OTHER --now 2000-01-01"):
            text = _text(shim.slash(line, carol))
            assert "Command failed" in text, text
            assert "only plugin admins may use `--now`" in text, text
            assert "Nothing was changed." in text and "Traceback" not in text
            error = text.split("Command failed. Error: ", 1)[1].strip()
            assert "\n" not in error, error  # one paragraph
        assert dump(store) == before
        # Looking is for anyone, at any time; changing at another time is for admins.
        text = _text(shim.slash("rotation stats OTHER --now 2001-01-01", carol))
        assert "Command failed" not in text, text
        assert dump(store) == before
        text = _text(shim.slash("user leave OTHER @carol --now 2031-01-01", boss))
        assert "Command failed" not in text, text
        assert dump(store) != before
    finally:
        store.close()
