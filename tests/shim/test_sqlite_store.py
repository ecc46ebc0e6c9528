"""``lotto serve --store sqlite:///…``: a single-replica deployment without Redis.

The shim runs commands in its worker threads, delivers the outbox and runs the
autopilot on one SQLite file, while a ``lotto-store`` process reads the same
file; the records outlive a restart.
"""

from __future__ import annotations

import subprocess
import sys

import kvstore
from lotto import PLUGIN_ID
from lotto.model import keys
from lotto.model.record import decode
from lotto.model.rotation import Rotation
from tests.shim.conftest import ROOT, shim_env, wait_for


def test_a_shim_on_a_sqlite_file_serves_commands_and_delivers(fake_mm, start_shim, tmp_path):
    url = f"sqlite://{tmp_path / 'lotto.db'}"
    boss = fake_mm.add_user("boss", roles="system_user system_admin")
    alice = fake_mm.add_user("alice")
    shim = start_shim(fake_mm, url)
    for line in ("rotation new HELP --task-type ticket", "user join HELP @alice"):
        reply = shim.slash(line, boss).json()["text"]
        assert "Command failed" not in reply, reply
    # The outbox on the file is delivered like on Redis.
    wait_for(lambda: any("Welcome to rotation **HELP**" in m for m in fake_mm.dms(alice["id"])))
    assert shim.http.get("/healthz").status_code == 200
    # An operator's tool reads the same file while the shim runs.
    check = subprocess.run(
        [sys.executable, "-m", "lotto.maintenance", "--store", url, "check"],
        cwd=ROOT,
        env=shim_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (check.returncode, check.stdout) == (0, ""), check.stderr
    assert "are consistent" in check.stderr
    shim.stop()
    # Stopped and started again, it finds everything where it was.
    again = start_shim(fake_mm, url)
    shown = again.slash("rotation show HELP", boss).json()["text"]
    assert "Command failed" not in shown and "@alice" in shown, shown
    with kvstore.open(url, PLUGIN_ID) as kv:
        rotation = decode(Rotation, kv.get(keys.rotation("HELP")))
    assert rotation.mattermost_user_ids == [alice["id"]]
