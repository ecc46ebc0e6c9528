"""``/lotto skill …``: the known skills."""

from __future__ import annotations

from lotto import api
from lotto.commands import render
from lotto.commands.base import Ctx, Reply
from lotto.commands.tree import PUBLIC, command, group
from lotto.model.skill import parse_skill

__all__: list[str] = []

group(("skill",), "the known skills")


def _skill_arg(ctx: Ctx) -> str:
    return parse_skill(ctx.one_arg("a skill name"))


@command(
    ("skill", "new"),
    "SKILL",
    "add a known skill",
    request=api.SkillNewRequest,
)
def skill_new(ctx: Ctx) -> Reply:
    """Add a known skill."""
    skill = _skill_arg(ctx)
    res = ctx.call(api.SkillNewRequest(skill=skill))
    return res, render.skill_added(skill, res.changed)


@command(
    ("skill", "delete"),
    "SKILL",
    "remove a known skill (users keep theirs)",
    request=api.SkillDeleteRequest,
)
def skill_delete(ctx: Ctx) -> Reply:
    """Remove a known skill."""
    skill = _skill_arg(ctx)
    res = ctx.call(api.SkillDeleteRequest(skill=skill))
    return res, render.skill_deleted(skill)


@command(
    ("skill", "list"),
    "",
    "list the known skills",
    access=PUBLIC,
    read_only=True,
    request=api.SkillListRequest,
)
def skill_list(ctx: Ctx) -> Reply:
    """List known skills."""
    ctx.no_args()
    res = ctx.call(api.SkillListRequest())
    return res, render.skill_list(res.skills)
