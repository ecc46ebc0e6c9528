"""lotto and shim call every operation with an Actor, so the service's access rule applies.

An operation also takes a bare ``actor_id=`` (in-process code acting with full rights:
tests, a console tool); code that acts for a user, or for the bot, must not use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lotto.service.registry import handlers

ROOT = Path(__file__).resolve().parents[2]

# Entry points into the operations besides the operations themselves.
_ENTRIES = {"dispatch", "call_service", "autopilot_all", "op"}


def _operation_names() -> set[str]:
    return {handler.__name__ for handler in handlers().values()} | _ENTRIES


def _calls_with_actor_id(source: str, where: str, names: set[str]) -> list[str]:
    tree = ast.parse(source, filename=where)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in names and any(k.arg == "actor_id" for k in node.keywords):
            found.append(f"{where}:{node.lineno} {name}(..., actor_id=...)")
    return found


def test_lotto_and_shim_call_operations_with_an_actor():
    names = _operation_names()
    found = [
        hit
        for package in ("lotto", "shim")
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in _calls_with_actor_id(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), names
        )
    ]
    assert found == []


def test_the_scan_finds_a_bare_actor_id():
    names = _operation_names()
    probe = "svc.task_show(req, actor_id='u', now=now)\ndispatch(svc, req, actor=a, now=now)\n"
    assert _calls_with_actor_id(probe, "probe.py", names) == [
        "probe.py:1 task_show(..., actor_id=...)"
    ]
