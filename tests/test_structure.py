"""The shape of the code: modules import on their own, no package has an import cycle,
imports go one way (``shim -> lotto -> kvstore``), and every exported name exists and
is documented. (The layers inside ``kvstore`` are tests/kvstore/test_layers.py.)

The import graph is read from the sources (their ASTs), so a cycle is found even when
today's import order happens to hide it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kvstore", "lotto", "shim")
# Libraries only the shim (HTTP) and kvstore (Redis) may use.
_NOT_IN_LOTTO = ("redis", "fakeredis", "hiredis", "httpx", "starlette", "uvicorn")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` (``__main__`` modules left out) and its source file."""
    found = {_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}
    return {name: path for name, path in found.items() if not name.endswith("__main__")}


def _all_modules() -> list[str]:
    return [name for package in PACKAGES for name in _modules(package)]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST, *, type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth; ``if TYPE_CHECKING:`` bodies only if asked."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    children: Iterator[ast.AST] = ast.iter_child_nodes(node)
    if isinstance(node, ast.If) and _is_type_checking(node.test) and not type_checking:
        children = iter(node.orelse)
    for child in children:
        yield from _import_nodes(child, type_checking=type_checking)


def _imported(module: str, path: Path, *, type_checking: bool = True) -> set[str]:
    """Dotted names ``module`` imports; ``from a import b`` gives ``a.b`` when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    known = {name for package in PACKAGES for name in _modules(package)}
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _import_nodes(tree, type_checking=type_checking):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = module.split(".")
            anchor = parts if is_package else parts[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            out.add(sub if sub in known else base)
    return out


def _top(name: str) -> str:
    return name.partition(".")[0]


# ----------------------------------------------------------------------------- fresh imports

# The child below forks once per module from an interpreter that has loaded none of our
# packages, so each import starts from a clean sys.modules, as `python -c "import m"` would.
# Third-party libraries are loaded once before forking: this keeps the test fast and cannot
# hide an import-order dependency between our own modules.
_FORK_EACH = r"""
import importlib, os, sys, traceback
OURS = {"kvstore", "lotto", "shim"}
for lib in ("msgspec", "dateutil.parser", "redis", "redis.asyncio", "fakeredis", "httpx",
            "starlette.applications", "uvicorn"):
    try:
        importlib.import_module(lib)
    except ImportError:
        pass
assert not [m for m in sys.modules if m.partition(".")[0] in OURS], "loaded too early"
def start(name):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        status = 0
        try:
            importlib.import_module(name)
        except BaseException:
            status = 1
            os.write(write, traceback.format_exc(limit=-3).encode()[-4000:])
        os._exit(status)
    os.close(write)
    return pid, (name, read)
pending, running, failed = sys.argv[:0:-1], {}, []
while pending or running:
    while pending and len(running) < (os.cpu_count() or 1):
        pid, job = start(pending.pop())
        running[pid] = job
    pid, status = os.wait()
    status = os.waitstatus_to_exitcode(status)
    name, read = running.pop(pid)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode(errors="replace")
    if status != 0:
        failed.append(f"{name}: exit status {status}\n{message}")
print("\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own_in_a_fresh_interpreter():
    modules = _all_modules()
    assert len(modules) > 50 and "lotto.service.autopilot" in modules
    proc = subprocess.run(
        [sys.executable, "-c", _FORK_EACH, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"modules that fail to import on their own:\n{proc.stdout}"
    assert proc.stderr == "", proc.stderr


# ----------------------------------------------------------------------------- import graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(_cycles(graph)) == [["a", "b", "c"], ["e"]]


def test_import_graph_resolves_relative_and_submodule_imports(tmp_path):
    source = tmp_path / "__init__.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import api\n"
        "from .model.keys import rotation_key\n"
        "from lotto.service import Service\n"
        "if TYPE_CHECKING:\n"
        "    import shim\n"
        "def f():\n"
        "    import kvstore.unit\n"
    )
    got = _imported("lotto", source, type_checking=False)
    assert {"lotto.api", "lotto.model.keys", "lotto.service", "kvstore.unit"} <= got
    assert "shim" not in got and "shim" in _imported("lotto", source)


@pytest.mark.parametrize(
    ("package", "type_checking", "edges"),
    [
        # Imports made only for the type checker count too: a cycle of types is a cycle.
        ("kvstore", True, 30),
        ("lotto", True, 50),
        ("shim", True, 30),
    ],
)
def test_no_package_has_an_import_cycle(package, type_checking, edges):
    modules = _modules(package)
    graph = {
        name: {dep for dep in _imported(name, path, type_checking=type_checking) if dep in modules}
        for name, path in modules.items()
    }
    assert sum(len(deps) for deps in graph.values()) > edges  # the graph really was read
    assert _cycles(graph) == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("kvstore", ("lotto", "shim")),
        ("lotto", ("shim", *_NOT_IN_LOTTO)),
    ],
)
def test_imports_go_one_way(package, forbidden):
    wrong = {
        name: sorted(dep for dep in _imported(name, path) if _top(dep) in forbidden)
        for name, path in _modules(package).items()
    }
    assert {name: deps for name, deps in wrong.items() if deps} == {}


# ----------------------------------------------------------------------------- exports


@cache
def _docstrings(module: str) -> dict[str, str | None]:
    """Docstrings of the top-level functions and classes defined in ``module``'s source."""
    path = _modules(_top(module)).get(module)
    if path is None:
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name: ast.get_docstring(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _undocumented(obj: object) -> bool:
    if not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return False
    home = getattr(obj, "__module__", "") or ""
    if _top(home) not in PACKAGES:
        return False  # re-exported from a library: its docs are the library's
    name = getattr(obj, "__name__", "")
    docs = _docstrings(home)
    if name in docs:
        return not docs[name]
    # Defined some other way (e.g. built by a factory): its runtime docstring counts.
    return not (obj.__doc__ or "").strip()


@pytest.mark.parametrize("module", _all_modules())
def test_exported_names_exist_and_are_documented(module):
    mod = importlib.import_module(module)
    exported = getattr(mod, "__all__", None)
    if exported is None:
        return  # nothing promised
    assert len(set(exported)) == len(exported), "a name twice in __all__"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == [], f"{module}.__all__ names what the module lacks"
    undocumented = [name for name in exported if _undocumented(getattr(mod, name))]
    assert undocumented == [], f"{module}: exported but without a docstring"


# ----------------------------------------------------------------------------- error names


def _error_classes() -> dict[str, list[str]]:
    """Exception class name -> the modules of our packages that define one of that name."""
    found: dict[str, list[str]] = {}
    for module in _all_modules():
        for name, obj in vars(importlib.import_module(module)).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module
                and obj.__name__ == name
                and not name.startswith("_")  # private: no one imports it
            ):
                found.setdefault(name, []).append(module)
    return found


def test_error_names_are_distinct_across_packages():
    """One name, one error: ``from x.errors import NotFoundError`` never needs an ``as``."""
    found = _error_classes()
    assert {"KVError", "LottoError", "ShimError", "NotFoundError"} <= set(found)
    assert {name: where for name, where in found.items() if len(where) > 1} == {}
