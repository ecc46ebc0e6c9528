"""kvstore's helpers (locks, units of work) use KVStore's public methods only."""

from __future__ import annotations

import ast
from pathlib import Path

import kvstore

PACKAGE = Path(kvstore.__file__).parent


def _store_privates() -> set[str]:
    tree = ast.parse((PACKAGE / "store.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "KVStore")
    names = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    names |= {
        n.attr
        for n in ast.walk(cls)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self"
    }
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_module_but_store_touches_kvstore_privates():
    privates = _store_privates()
    assert {"_call", "_client", "_prefix"} <= privates  # the scan itself works
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "store.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in privates:
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert not found, found
