#!/usr/bin/env python3
"""Write tests/lotto/fillers/data/filler_golden.json: the fillers' picks for the golden scenarios.

The scenarios live in ``tests/lotto/fillers/test_golden.py``; this records what the
current fillers pick for them. Run it only when the picks are meant to change (a
deliberate change of the lottery), never to make a failing optimisation pass:

    .venv/bin/python scripts/make_filler_golden.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lotto.fillers.test_golden import GOLDEN_PATH, compute_golden  # noqa: E402


def main() -> int:
    """Compute the golden outcomes and write them, one scenario per line."""
    golden = compute_golden()
    lines = [
        f"{json.dumps(name)}: {json.dumps(value, ensure_ascii=False, separators=(',', ':'))}"
        for name, value in golden.items()
    ]
    GOLDEN_PATH.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN_PATH.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
    print(
        f"wrote {len(golden)} scenarios, {GOLDEN_PATH.stat().st_size} bytes to "
        f"{GOLDEN_PATH.relative_to(ROOT)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
