"""Needs: who meets what, unmet requirements, limits and the error text form."""

from __future__ import annotations

import pytest

from lotto.errors import BadSkillError
from lotto.model.needs import (
    format_need,
    format_needs,
    limit_broken_by,
    meets,
    met_needs,
    remaining,
    sorted_needs,
    unmet,
    user_meets,
)
from lotto.model.user import User


def user(uid: str, **skills: int) -> User:
    return User(mattermost_user_id=uid, skill_levels=dict(skills))


GURU = user("guru", server=4, webapp=3, mobile=2)
SERVER1 = user("server1", server=1)
WEBAPP1 = user("webapp1", webapp=1, server=1)
NOBODY = user("nobody")


@pytest.mark.parametrize(
    ("who", "nid", "expected"),
    [
        (GURU, "server-▣", True),
        (GURU, "other-▣", False),
        (WEBAPP1, "server-◉", True),
        (WEBAPP1, "server-▣", False),
        (GURU, "server-◈◈", True),
        (GURU, "mobile-◈", False),
        (NOBODY, "any", True),
        (NOBODY, "webapp-◉", False),
    ],
)
def test_user_meets(who, nid, expected):
    assert user_meets(who, nid) is expected


def test_meets_accepts_other_spellings_and_rejects_garbage():
    assert meets({"webapp": 2}, "webapp-2")
    with pytest.raises(BadSkillError):
        meets({}, "web-app-x")


def test_a_user_counts_against_every_need_they_meet():
    require = {"any": 2, "server-◉": 1, "webapp-◉": 1, "server-◈◈": 1}
    assert list(remaining(require, [GURU]).items()) == [
        ("any", 1),
        ("server-◈◈", 0),
        ("server-◉", 0),
        ("webapp-◉", 0),
    ]
    assert unmet(require, [GURU]) == {"any": 1}
    assert list(unmet(require, [SERVER1])) == ["any", "server-◈◈", "webapp-◉"]
    assert unmet(require, [SERVER1]) == {"webapp-◉": 1, "server-◈◈": 1, "any": 1}
    assert unmet(require, [GURU, SERVER1]) == {}
    assert unmet(require, []) == require


def test_met_needs_is_sorted_like_the_original():
    assert met_needs(WEBAPP1, ["webapp-◉", "any", "server-◉", "mobile-◉"]) == [
        "any",
        "server-◉",
        "webapp-◉",
    ]
    # Go listed needs in plain id order (uppercase skills first, then "any").
    assert sorted_needs(["webapp-◉", "any", "TEAMFS1-◉", "lead-◉"]) == [
        "TEAMFS1-◉",
        "any",
        "lead-◉",
        "webapp-◉",
    ]


def test_limit_broken_by():
    limit = {"any": 3, "server-◉": 1}
    assert limit_broken_by(limit, [], SERVER1) is None
    assert limit_broken_by(limit, [SERVER1], WEBAPP1) == "server-◉"
    assert limit_broken_by(limit, [SERVER1], user("m", mobile=1)) is None
    assert limit_broken_by(limit, [SERVER1, user("a"), user("b")], user("c")) == "any"
    assert limit_broken_by({}, [GURU, GURU], GURU) is None
    assert limit_broken_by({"lead-◉": 0}, [], user("l", lead=2)) == "lead-◉"


def test_format_needs_matches_the_insufficient_error_pieces():
    assert format_need("any", 1, bold=True) == "**1** any"
    assert format_needs({"any": 1}) == "1 any"
    assert format_needs({"webapp-◉": 2, "lead-◈": 1, "any": 1}) == "1 any, 1 lead-◈, 2 webapp-◉"
    assert (
        format_needs({"webapp-◉": 1, "server-◉": 3}, bold=True) == "**3** server-◉, **1** webapp-◉"
    )
    assert format_needs({}) == ""
