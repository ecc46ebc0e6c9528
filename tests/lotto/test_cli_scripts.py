"""The scripts of ``scripts/``: each benchmark runs with small arguments, says what it measures."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

# Small arguments so each run takes well under a second.
BENCHES = {
    "bench_forecast.py": (
        ["--samples", "10", "--shifts", "2", "--history", "1", "--repeat", "1"],
        "service rotation_forecast",
    ),
    "bench_contention.py": (["--writers", "4", "--rounds", "2"], "conflicts retried"),
    "bench_kvstore.py": (["--units", "20", "--records", "3", "--threads", "2"], "commits/s"),
    "bench_service.py": (["--users", "6", "--tasks", "4"], "autopilot, every 6h"),
    "bench_page.py": (["--members", "20", "--tasks", "30", "--repeat", "2"], "page render"),
    "bench_heavy.py": (
        ["--probes", "4", "--rounds", "2", "--members", "5", "--shifts", "2"],
        "p95 ratio",
    ),
}


def test_every_bench_script_is_listed_here():
    assert sorted(p.name for p in (ROOT / "scripts").glob("bench_*.py")) == sorted(BENCHES)


@pytest.mark.parametrize("name", sorted(BENCHES))
def test_bench_script_runs_and_has_a_docstring(name):
    path = ROOT / "scripts" / name
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and len(doc.splitlines()) >= 3, f"{name} needs a docstring saying what it measures"
    args, expected = BENCHES[name]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOTTO_")}
    done = subprocess.run(
        [sys.executable, str(path), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout and "Traceback" not in done.stderr
