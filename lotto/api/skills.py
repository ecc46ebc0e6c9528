"""Requests and results of the ``skill`` commands."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lotto.api._base import Request, _Result

__all__ = [
    "SkillNewRequest",
    "SkillDeleteRequest",
    "SkillListRequest",
    "SkillsResult",
]


class SkillNewRequest(Request["SkillsResult"], kw_only=True):
    """``skill new SKILL``."""

    skill: str


class SkillDeleteRequest(Request["SkillsResult"], kw_only=True):
    """``skill delete SKILL``."""

    skill: str


class SkillListRequest(Request["SkillsResult"], kw_only=True):
    """``skill list``."""


class SkillsResult(_Result, kw_only=True):
    """Known skills after the command, sorted."""

    skills: list[str] = msgspec.field(default_factory=list)
    # False when the command found nothing to change (e.g. the skill was already known).
    changed: bool = True

    def _mentions(self) -> Iterable[str]:
        return ()
