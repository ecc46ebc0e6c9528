"""kvstore's layers: each module imports only the ones below it, the layers above the
engines reach them only through the ``Backend`` protocol, and no code reaches into
another object's private attributes (only ``store`` holds the plumbing, privately).

Read from the sources (their ASTs, ``if TYPE_CHECKING:`` imports included), like
tests/test_structure.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kvstore
from tests.test_structure import _imported, _modules

PACKAGE = Path(kvstore.__file__).parent

#: Bottom up. A module may import kvstore modules of lower layers only.
LAYERS: list[tuple[str, ...]] = [
    ("errors",),
    ("keys", "deadline", "scripts", "backends"),
    ("backend",),
    ("redis_backend", "sqlite_backend"),
    ("lock", "lanes"),
    ("queue", "unit"),
    ("retry",),
    ("store",),
    ("",),  # the package itself: kvstore/__init__.py
]
#: What only the engines (and ``store.open``, which picks one) may import.
ENGINE_LIBRARIES = ("redis", "fakeredis", "hiredis", "sqlite3")
ENGINES = ("redis_backend", "sqlite_backend")
ABOVE_ENGINES = ("lock", "queue", "unit", "retry")


def _short(name: str) -> str:
    return name.removeprefix("kvstore").removeprefix(".")


def _layer_of() -> dict[str, int]:
    return {module: i for i, layer in enumerate(LAYERS) for module in layer}


def test_every_module_has_a_layer():
    assert sorted(_short(m) for m in _modules("kvstore")) == sorted(_layer_of())


@pytest.mark.parametrize("module", sorted(_modules("kvstore")))
def test_a_module_imports_only_lower_layers(module):
    layer = _layer_of()
    ours = {_short(dep) for dep in _imported(module, _modules("kvstore")[module])}
    ours = {dep for dep in ours if dep in layer and dep != _short(module)}
    above = sorted(dep for dep in ours if layer[dep] >= layer[_short(module)])
    assert above == [], f"{module} imports modules of its own layer or above"


@pytest.mark.parametrize("module", ABOVE_ENGINES)
def test_the_layers_above_the_engines_use_the_backend_protocol_only(module):
    deps = _imported(f"kvstore.{module}", PACKAGE / f"{module}.py")
    engines = sorted(
        dep
        for dep in deps
        if dep.partition(".")[0] in ENGINE_LIBRARIES or _short(dep) in (*ENGINES, "backends")
    )
    assert engines == []
    assert "kvstore.backend" in deps


@pytest.mark.parametrize("package", ["lotto", "shim"])
def test_the_other_packages_never_reach_under_the_store(package):
    """``KVStore.backend`` is for tests and operators: lotto and shim use the KV API only."""
    found = [
        f"{name}:{node.lineno}"
        for name, path in _modules(package).items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "backend"
    ]
    assert found == []


def _private_names(tree: ast.Module) -> set[str]:
    """``_name``s a module's classes define: methods, and attributes set on ``self``."""
    found: set[str] = set()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            if isinstance(node, ast.FunctionDef):
                found.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                found.add(node.attr)
    return {n for n in found if n.startswith("_") and not n.startswith("__")}


def _is_own(value: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: an object's own attributes."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    return isinstance(value, ast.Call) and getattr(value.func, "id", "") == "super"


def test_no_module_touches_another_objects_privates():
    trees = {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.glob("*.py")}
    privates = set().union(*(_private_names(tree) for tree in trees.values()))
    assert {"_backend", "_ns", "_gates", "_open"} <= privates  # the scan itself works
    found = [
        f"{name}.py:{node.lineno}: .{node.attr}"
        for name, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in privates and not _is_own(node.value)
    ]
    assert found == []
