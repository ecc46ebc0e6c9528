"""The maps of the code match the tree: every module that docs/design.md §8, the README's
"Code map" and ``lotto/__init__.py``'s docstring name exists.

A path (``lotto/ports.py``, ``shim/page/``) is checked from the repository's root, or,
in a code-map row, from the row's own directory; a bare name in a design item headed by a
package (``**`lotto/model/`** — … `record`, `rotation` …) must be one of that package's
modules or a name one of its modules defines.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import lotto
from tests.test_structure import _modules

ROOT = Path(__file__).resolve().parent.parent
_TICKED = re.compile(r"`([^`\s]+)`")
_BARE = re.compile(r"^[a-z_][a-z0-9_]*$")
_PATH = re.compile(r"^[\w./-]+(?:/|\.py)$")


def _section(text: str, start: str, end: str) -> str:
    body = text.split(start, 1)[1]
    return body.split(end, 1)[0]


def _exists(path: str, base: Path) -> bool:
    return (base / path).exists() or (ROOT / path).exists()


def _names_of(package_dir: Path) -> set[str]:
    """The modules and subpackages of a package directory, and the names they define."""
    dotted = ".".join(package_dir.relative_to(ROOT).parts)
    mods = {m for m in _modules(dotted.partition(".")[0]) if m == dotted or m.startswith(dotted)}
    names = {m.rpartition(".")[2] for m in mods}
    for module in mods:
        names.update(vars(importlib.import_module(module)))
    return names


def _design_items() -> list[tuple[Path, str]]:
    """(package dir, text) of each list item of design §8 headed by a bold package path."""
    text = _section((ROOT / "docs" / "design.md").read_text(encoding="utf-8"), "## 8.", "## 9.")
    items = re.split(r"\n(?=- |\d+\. )", text)
    out = []
    for item in items:
        head = re.match(r"(?:- |\d+\. )\*\*`([\w/]+?)/?`\*\*", item)
        if head and (ROOT / head.group(1)).is_dir():
            out.append((ROOT / head.group(1), item))
    return out


def test_design_section_8_names_only_modules_that_exist():
    items = _design_items()
    assert {p.name for p, _ in items} >= {"kvstore", "lotto", "shim", "model", "service"}
    wrong = []
    for package_dir, item in items:
        known = _names_of(package_dir) | {"kvstore", "lotto", "shim"}
        for token in _TICKED.findall(item):
            token = token.rstrip(".,;:")
            if _PATH.match(token):
                if not _exists(token, package_dir):
                    wrong.append(f"{package_dir.name}: {token}")
            elif _BARE.match(token) and token not in known:
                wrong.append(f"{package_dir.name}: {token}")
    text = _section((ROOT / "docs" / "design.md").read_text(encoding="utf-8"), "## 8.", "## 9.")
    wrong += [
        t for t in _TICKED.findall(text) if "/" in t and _PATH.match(t) and not _exists(t, ROOT)
    ]
    assert wrong == [], wrong


def test_readme_code_map_names_only_files_that_exist():
    text = _section((ROOT / "README.md").read_text(encoding="utf-8"), "## Code map", "\n## ")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) >= 10
    wrong = []
    for row in rows:
        where, what = row.split("|")[1:3]
        wheres = _TICKED.findall(where)
        base = ROOT / wheres[0] if wheres[0].endswith("/") else ROOT
        wrong += [w for w in wheres if not _exists(w, ROOT)]
        wrong += [
            f"{wheres[0]} {t}"
            for t in _TICKED.findall(what)
            if _PATH.match(t) and not _exists(t, base)
        ]
    assert wrong == [], wrong


def test_the_lotto_docstring_names_its_own_modules():
    doc = ast.get_docstring(ast.parse(Path(lotto.__file__).read_text(encoding="utf-8"))) or ""
    named = set(re.findall(r"``(\w+)``", doc))
    children = {p.stem for p in Path(lotto.__file__).parent.iterdir() if p.suffix == ".py"}
    children |= {
        p.name for p in Path(lotto.__file__).parent.iterdir() if (p / "__init__.py").exists()
    }
    assert len(named) >= 10
    assert sorted(named - children) == [], sorted(named - children)
