"""The command <-> service boundary is typed: mypy holds a request to its result.

mypy (run by ./scripts/test, configured in pyproject.toml) also checks a typed subset of
the tests; here it runs on small snippets to show that what it would let through at the
boundary fails: a typo in a result's attribute, and an operation returning another result
than its request names.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parent.parent


def _mypy(tmp_path: Path, source: str, name: str) -> tuple[str, int]:
    # One file per snippet: mypy's cache must never take one for another.
    snippet = tmp_path / f"{name}.py"
    snippet.write_text(textwrap.dedent(source), encoding="utf-8")
    out, err, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            str(snippet),
        ]
    )
    return out + err, status


def test_a_typo_in_a_result_attribute_fails_the_type_check(tmp_path):
    good = """
        from lotto import api
        from lotto.commands.base import Ctx

        def count(ctx: Ctx) -> int:
            res = ctx.call(api.RotationListRequest())
            return len(res.rotation_ids)
    """
    out, status = _mypy(tmp_path, good, "good")
    assert status == 0, out
    out, status = _mypy(tmp_path, good.replace("res.rotation_ids", "res.rotation_idz"), "typo")
    assert status == 1
    assert '"RotationListResult" has no attribute "rotation_idz"' in out


def test_an_operation_must_return_the_result_its_request_names(tmp_path):
    out, status = _mypy(
        tmp_path,
        """
        from datetime import datetime
        from lotto import api
        from lotto.service.registry import operation

        class Ops:
            @operation(api.RotationShowRequest)
            def show(
                self, req: api.RotationShowRequest, *, actor_id: str, now: datetime
            ) -> api.RotationListResult:
                raise NotImplementedError
        """,
        "wrong_result",
    )
    assert status == 1
    assert "RotationShowResult" in out and "arg-type" in out
