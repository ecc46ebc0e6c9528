"""Comments cite docs/design.md by section; every citation must point at something that exists.

``docs/design.md §3 step 5`` needs a ``## 3.`` section with a step ``5.``; ``§2 "Needs"``
needs a ``### Needs`` subsection in §2. No source file may cite a document outside the
repository (the behaviour reference the port started from is not part of it).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "docs" / "design.md"
_SOURCES = ("kvstore", "lotto", "shim", "tests", "scripts", ".ci")
# "docs/design.md §3 step 5", "§3 steps 3–4", '§2 "Task states"', "§2, §5"
_CITE = re.compile(r"design\.md §(\d+)(?: steps? (\d+)(?:[–-](\d+))?| \"([^\"]+)\")?")


def _sources() -> list[Path]:
    files = [p for d in _SOURCES for p in (ROOT / d).rglob("*") if p.is_file()]
    return [p for p in files if p.suffix in ("", ".py", ".sh") and "__pycache__" not in p.parts]


def _sections() -> dict[str, str]:
    """Top-level section number → its text."""
    parts = re.split(r"^## (\d+)\. .*$", DESIGN.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _citations() -> list[tuple[str, re.Match[str]]]:
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [(f"{path.relative_to(ROOT)}", m) for m in _CITE.finditer(text)]
    return found


def test_sources_cite_design_md():
    assert len(_citations()) >= 30


def test_every_cited_section_step_and_subsection_exists():
    sections = _sections()
    wrong = []
    for where, m in _citations():
        number, first, last, title = m.groups()
        body = sections.get(number)
        if body is None:
            wrong.append(f"{where}: {m.group(0)} (no section {number})")
            continue
        for step in filter(None, (first, last)):
            if not re.search(rf"^{step}\. ", body, flags=re.M):
                wrong.append(f"{where}: {m.group(0)} (no step {step} in §{number})")
        if title and not re.search(rf"^### {re.escape(title)}$", body, flags=re.M):
            wrong.append(f"{where}: {m.group(0)} (no subsection {title!r} in §{number})")
    assert not wrong, "\n".join(wrong)


def test_no_source_cites_a_document_outside_the_repository():
    outside = re.compile(r"\bSPEC(?:\.md)?\b|/work/shared|\.\./shared")
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in _sources()
        if path != Path(__file__).resolve()
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert not hits, "\n".join(hits)
