"""Skill levels: spellings, canonical need ids, and bad input."""

from __future__ import annotations

import pytest

from lotto.errors import BadSkillError, InputError
from lotto.model.skill import (
    LEVEL_NAMES,
    LEVEL_SYMBOLS,
    format_skill_level,
    need_id,
    parse_level,
    parse_need_id,
    parse_skill_level,
)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("1", 1),
        ("beginner", 1),
        ("◉", 1),
        ("beginner◉", 1),
        ("2", 2),
        ("intermediate", 2),
        ("▣", 2),
        ("3", 3),
        ("advanced", 3),
        ("◈", 3),
        ("Advanced", 3),
        ("4", 4),
        ("expert", 4),
        ("◈◈", 4),
    ],
)
def test_parse_level_spellings(text, level):
    assert parse_level(text) == level


@pytest.mark.parametrize("text", ["0", "5", "", "guru", "-1", "◈◈◈"])
def test_parse_level_rejects(text):
    with pytest.raises(BadSkillError) as err:
        parse_level(text)
    assert "not a valid skill level" in str(err.value)
    assert isinstance(err.value, InputError)


def test_level_tables_cover_four_levels():
    assert LEVEL_SYMBOLS == {1: "◉", 2: "▣", 3: "◈", 4: "◈◈"}
    assert LEVEL_NAMES[4] == "expert"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("webapp-3", ("webapp", 3)),
        ("webapp-advanced", ("webapp", 3)),
        ("webapp-◈", ("webapp", 3)),
        ("webapp", ("webapp", 1)),
        ("any", ("any", 0)),
        ("ANY", ("any", 0)),
        ("lead-◈◈", ("lead", 4)),
    ],
)
def test_parse_skill_level(text, expected):
    assert parse_skill_level(text) == expected


@pytest.mark.parametrize("text", ["a-b-c", "webapp-9", "", "we bapp", "any-2", "-2", "x,y", "@bob"])
def test_parse_skill_level_rejects(text):
    with pytest.raises(BadSkillError):
        parse_skill_level(text)


def test_need_ids_round_trip():
    assert need_id("webapp", 1) == "webapp-◉"
    assert need_id("any", 0) == "any"
    for level in range(1, 5):
        nid = need_id("server", level)
        assert parse_need_id(nid) == ("server", level)
    assert format_skill_level("lead", 3) == "lead-◈"


def test_need_id_rejects_level_zero_for_a_real_skill():
    with pytest.raises(BadSkillError):
        need_id("webapp", 0)
