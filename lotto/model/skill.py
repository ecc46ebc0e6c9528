"""Skill levels and skill-level spellings (docs/design.md §2 "Skill levels").

A level is an int: 1 beginner ``◉``, 2 intermediate ``▣``, 3 advanced ``◈``,
4 expert ``◈◈``; 0 means "any level" and only goes with the special skill
``any``. A need id (the key of a ``Require``/``Limit`` map) is
``skill-SYMBOL`` (``webapp-◉``), or ``any``.
"""

from __future__ import annotations

import re

from lotto.errors import BadSkillError

__all__ = [
    "ANY",
    "ANY_LEVEL",
    "BEGINNER",
    "INTERMEDIATE",
    "ADVANCED",
    "EXPERT",
    "LEVELS",
    "LEVEL_NAMES",
    "LEVEL_SYMBOLS",
    "MAX_SKILL_NAME",
    "parse_level",
    "parse_skill",
    "parse_skill_level",
    "need_id",
    "parse_need_id",
    "format_skill_level",
]

ANY = "any"
ANY_LEVEL = 0
BEGINNER, INTERMEDIATE, ADVANCED, EXPERT = 1, 2, 3, 4
LEVELS = (BEGINNER, INTERMEDIATE, ADVANCED, EXPERT)

LEVEL_NAMES: dict[int, str] = {
    BEGINNER: "beginner",
    INTERMEDIATE: "intermediate",
    ADVANCED: "advanced",
    EXPERT: "expert",
}
LEVEL_SYMBOLS: dict[int, str] = {
    BEGINNER: "◉",
    INTERMEDIATE: "▣",
    ADVANCED: "◈",
    EXPERT: "◈◈",
}

# Every accepted spelling of a level: digit, name, symbol, and name+symbol
# (the original accepted "beginner◉" too).
_LEVEL_SPELLINGS: dict[str, int] = {}
for _level in LEVELS:
    for _spelling in (
        str(_level),
        LEVEL_NAMES[_level],
        LEVEL_SYMBOLS[_level],
        LEVEL_NAMES[_level] + LEVEL_SYMBOLS[_level],
    ):
        _LEVEL_SPELLINGS[_spelling] = _level

# A skill name: no blanks, and none of the characters the command language
# uses as separators ("-" level, "," lists, "@" users, "#" task ids).
_SKILL_RE = re.compile(r"^[^\s\-,@#]+$")

MAX_SKILL_NAME = 64  # characters; skill names are kept in indexes and shown in tables

_LEVEL_HELP = "a level is 1-4, beginner, intermediate, advanced, expert, or ◉ ▣ ◈ ◈◈"


def parse_level(text: str) -> int:
    """Parse a level spelled as a number, a name or a symbol; 1..4 (BadSkillError otherwise)."""
    level = _LEVEL_SPELLINGS.get(text.strip().lower())
    if level is None:
        raise BadSkillError(f"{text!r} is not a valid skill level: {_LEVEL_HELP}.", level=text)
    return level


def parse_skill(text: str) -> str:
    """Validate a bare skill name (no level); returns it stripped.

    The one home of the skill-name syntax: the command layer parses flags with it
    and the service checks the names of every request with it.
    """
    skill = text.strip()
    if len(skill) > MAX_SKILL_NAME:
        raise BadSkillError(
            f"skill names are at most {MAX_SKILL_NAME} characters long.", skill=text
        )
    if not _SKILL_RE.match(skill):
        raise BadSkillError(
            f"{text!r} is not a valid skill name: use letters, digits or symbols, "
            "without spaces, '-', ',', '@' or '#'.",
            skill=text,
        )
    return skill


def parse_skill_level(text: str) -> tuple[str, int]:
    """Parse ``skill[-level]`` → ``(skill, level)``; a bare skill is level 1, ``any`` is level 0.

    Also accepts a canonical need id (``webapp-◉``) and ``any``.
    """
    raw = text.strip()
    if raw.lower() == ANY:
        return ANY, ANY_LEVEL
    parts = raw.split("-")
    if len(parts) > 2:
        raise BadSkillError(
            f"{text!r} is not a valid skill-level: write it as skill or skill-level, "
            "e.g. webapp or webapp-2.",
            skill_level=text,
        )
    skill = parse_skill(parts[0])
    if skill.lower() == ANY:
        raise BadSkillError(
            f"{text!r} is not valid: the skill 'any' matches every user and takes no level.",
            skill_level=text,
        )
    level = parse_level(parts[1]) if len(parts) == 2 else BEGINNER
    return skill, level


def need_id(skill: str, level: int) -> str:
    """The canonical need id of a skill-level: ``webapp-◉``, or ``any``."""
    if skill == ANY:
        return ANY
    if level not in LEVEL_SYMBOLS:
        raise BadSkillError(
            f"level {level!r} of skill {skill!r} is not valid: {_LEVEL_HELP}.",
            skill=skill,
            level=level,
        )
    return f"{skill}-{LEVEL_SYMBOLS[level]}"


def parse_need_id(nid: str) -> tuple[str, int]:
    """Inverse of :func:`need_id` (also accepts any other skill-level spelling)."""
    return parse_skill_level(nid)


def format_skill_level(skill: str, level: int) -> str:
    """User-facing form of a skill-level (``webapp-◈``; ``any``)."""
    return need_id(skill, level)
