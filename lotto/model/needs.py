"""Needs: ``Require``/``Limit`` maps of need id → count (docs/design.md §2 "Needs").

A user meets a need when their level in its skill is at least the need's
level; everyone meets ``any``. A user counts against *every* need they meet.
Functions here are pure: they never change their arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence

from lotto.model.skill import ANY, EXPERT, LEVEL_NAMES, parse_need_id
from lotto.model.user import User

__all__ = [
    "meets",
    "user_meets",
    "met_needs",
    "needs_matcher",
    "qualified",
    "sorted_needs",
    "unmet",
    "remaining",
    "limit_broken_by",
    "format_need",
    "format_needs",
    "need_words",
    "require_words",
    "limit_words",
]


@functools.lru_cache(maxsize=4096)
def _parsed(nid: str) -> tuple[str, int]:
    # Fillers test every user against every need many times per fill.
    return parse_need_id(nid)


def meets(skill_levels: Mapping[str, int], nid: str) -> bool:
    """True if someone with ``skill_levels`` meets the need ``nid``."""
    skill, level = _parsed(nid)
    if skill == ANY:
        return True
    return skill_levels.get(skill, 0) >= level


def user_meets(user: User, nid: str) -> bool:
    """True if ``user`` meets the need ``nid``."""
    return meets(user.skill_levels, nid)


def met_needs(user: User, needs: Iterable[str]) -> list[str]:
    """The needs among ``needs`` that ``user`` meets, in sorted order."""
    return [nid for nid in sorted_needs(needs) if user_meets(user, nid)]


def needs_matcher(needs: Iterable[str]) -> Callable[[Mapping[str, int]], list[str]]:
    """A function giving the needs among ``needs`` that someone with given skill levels meets.

    Same answers as :func:`meets`, with each need id parsed once and each of
    the person's skills looked up once: a lottery otherwise asks "does this
    user meet this need" hundreds of times per fill. The result lists the
    needs everyone meets first, then the others in no promised order.
    """
    return _matcher(tuple(dict.fromkeys(needs)))


@functools.lru_cache(maxsize=256)
def _matcher(needs: tuple[str, ...]) -> Callable[[Mapping[str, int]], list[str]]:
    # Cached: a forecast fills the same rotation's needs thousands of times.
    always: list[str] = []
    low: list[tuple[str, str, int]] = []
    by_skill: dict[str, list[tuple[int, str]]] = {}
    for nid in needs:
        skill, level = _parsed(nid)
        if skill == ANY:
            always.append(nid)
        elif level <= 0:
            low.append((nid, skill, level))  # met even without the skill: checked directly
        else:
            by_skill.setdefault(skill, []).append((level, nid))

    def match(skill_levels: Mapping[str, int]) -> list[str]:
        met = always[:]
        for skill, have in skill_levels.items():
            for level, nid in by_skill.get(skill, ()):
                if have >= level:
                    met.append(nid)
        for nid, skill, level in low:
            if skill_levels.get(skill, 0) >= level:
                met.append(nid)
        return met

    return match


def qualified(skill_levels: Sequence[Mapping[str, int]], nid: str) -> list[int]:
    """Indices, ascending, of the entries of ``skill_levels`` that meet the need ``nid``."""
    skill, level = _parsed(nid)
    if skill == ANY:
        return list(range(len(skill_levels)))
    return [i for i, levels in enumerate(skill_levels) if levels.get(skill, 0) >= level]


def sorted_needs(needs: Iterable[str]) -> list[str]:
    """Need ids in the original's order: plain string order of the ids.

    (``TEAMFS1-◉`` < ``any`` < ``lead-◉`` < ``webapp-◉``, as the Go plugin listed them.)
    """
    return sorted(needs)


def remaining(needs: Mapping[str, int], users: Iterable[User]) -> dict[str, int]:
    """Each need's count minus the users meeting it (may go ≤ 0), in sorted order."""
    users = list(users)
    return {
        nid: needs[nid] - sum(1 for u in users if user_meets(u, nid)) for nid in sorted_needs(needs)
    }


def unmet(require: Mapping[str, int], users: Iterable[User]) -> dict[str, int]:
    """The ``Require`` needs ``users`` leave unmet, with the missing counts (> 0 only)."""
    return {nid: count for nid, count in remaining(require, users).items() if count > 0}


def limit_broken_by(
    limit: Mapping[str, int], assigned_users: Iterable[User], candidate: User
) -> str | None:
    """The first (sorted) ``Limit`` need that adding ``candidate`` would exceed, or None."""
    left = remaining(limit, assigned_users)
    for nid, count in left.items():
        if count <= 0 and user_meets(candidate, nid):
            return nid
    return None


def format_need(nid: str, count: int, *, bold: bool = False) -> str:
    """One need as text: ``1 any``, or ``**1** any`` with ``bold``."""
    return f"**{count}** {nid}" if bold else f"{count} {nid}"


def format_needs(needs: Mapping[str, int], *, bold: bool = False) -> str:
    """Needs as ``1 any, 2 webapp-◉`` in :func:`sorted_needs` order; empty for no needs.

    The one needs formatter: the insufficient-fill error and the calendar feed use
    the plain form, command replies the ``bold`` one (through the command renderer).
    """
    return ", ".join(format_need(nid, needs[nid], bold=bold) for nid in sorted_needs(needs))


def need_words(nid: str) -> str:
    """A need's skill-level as people say it: ``lead``, ``lead (advanced or better)``,
    ``lead (expert)``; ``any`` is ``person``."""
    skill, level = _parsed(nid)
    if skill == ANY:
        return "person"
    if level <= 1:
        return skill
    if level >= EXPERT:
        return f"{skill} ({LEVEL_NAMES[EXPERT]})"
    return f"{skill} ({LEVEL_NAMES[level]} or better)"


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def require_words(require: Mapping[str, int]) -> str:
    """Requirements as people say them: ``2 people, at least 1 lead (advanced or better)``.

    The head count (the ``any`` need) first, then each skill need; ``""`` for none.
    """
    parts = [_people(require[ANY])] if require.get(ANY, 0) > 0 else []
    parts += [
        f"at least {require[nid]} {need_words(nid)}"
        for nid in sorted_needs(require)
        if nid != ANY and require[nid] > 0
    ]
    return ", ".join(parts)


def limit_words(limit: Mapping[str, int]) -> str:
    """Limits as people say them: ``at most 1 webapp (expert)``, ``no mobile``; ``""`` for none."""
    parts = []
    for nid in sorted_needs(limit):
        count = limit[nid]
        what = "people" if nid == ANY else need_words(nid)
        parts.append(f"no {what}" if count <= 0 else f"at most {count} {what}")
    return ", ".join(parts)
