"""Warnings and the ``alert_broken`` alert: what a change broke, and how to mend it.

Each risk (:class:`lotto.model.risks.Risk`) is one line; every command a line
suggests works in the state the change left (a test runs them).
"""

from __future__ import annotations

from collections.abc import Iterable

from lotto import api
from lotto.commands.render.records import Mention
from lotto.model.needs import need_words
from lotto.model.risks import (
    RISK_GONE,
    RISK_IMPOSSIBLE,
    RISK_NARROW,
    RISK_OVER_LIMIT,
    RISK_UNMET,
    Risk,
)
from lotto.model.skill import ANY, parse_need_id

__all__ = ["risk_line", "warnings_text", "broken_alert", "qualify_hint", "mend_hint"]


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def qualify_hint(need: str) -> str:
    """The command that gives someone the need's skill-level (a placeholder ``@user``)."""
    skill, level = parse_need_id(need)
    return f"`/lotto user qualify @user --skill {skill}-{level}`"


def mend_hint(task_id: str, state: str, user_ids: Iterable[str], mention: Mention) -> str:
    """How to take former members off a task and fill it again, for the task's ``state``."""
    force = "" if state == "pending" else " --force"
    who = " ".join(mention(u) for u in user_ids) or "@user"
    return (
        f"take them off with `/lotto task unassign {task_id} {who}{force}`, then refill it "
        f"with `/lotto task fill {task_id}{force}`"
    )


def risk_line(r: Risk, mention: Mention) -> str:
    """One risk as a sentence, with the command that mends it."""
    tid = r.task_id
    bold = f"**{tid}**"
    if r.kind == RISK_UNMET:
        what = "people" if r.need == ANY else need_words(r.need)
        fix = (
            f"`/lotto task fill {tid} --force` tops it up from the members"
            if r.need == ANY
            else f"assign one by hand (`/lotto task assign {tid} @user --force`) or qualify "
            f"someone ({qualify_hint(r.need)}) and top it up (`/lotto task fill {tid} --force`)"
        )
        return f"{r.state.capitalize()} {bold} now lacks {r.count} {what}: {fix}."
    if r.kind == RISK_OVER_LIMIT:
        return (
            f"{r.state.capitalize()} {bold} now has {r.count} {need_words(r.need)} too many for "
            f"its limit: take someone off with `/lotto task unassign {tid} @user --force`."
        )
    if r.kind == RISK_GONE:
        who = ", ".join(mention(u) for u in r.user_ids)
        return (
            f"{r.state.capitalize()} {bold} still counts on {who}, no longer a member: "
            f"{mend_hint(tid, r.state, r.user_ids, mention)}, or keep them on it."
        )
    if r.kind == RISK_IMPOSSIBLE:
        skill, level = parse_need_id(r.need)
        flag = "any" if r.need == ANY else f"{skill}-{level}"
        asked = _people(r.count) if r.need == ANY else f"at least {r.count} {need_words(r.need)}"
        have = (
            f"the rotation has only {_people(r.have).replace('people', 'members')}"
            if r.need == ANY
            else f"only {r.have} member{' is' if r.have == 1 else 's are'}"
        )
        more = (
            f"add members (`/lotto user join {r.rotation_id} @user`)"
            if r.need == ANY
            else f"qualify someone ({qualify_hint(r.need)})"
        )
        return (
            f"It asks for {asked}, but {have}: no shift can be filled until you {more} or lower "
            f"the count (`/lotto rotation set require {r.rotation_id} --skill {flag} "
            f"--count {r.have}`)."
        )
    if r.kind == RISK_NARROW:
        who = ", ".join(mention(u) for u in r.user_ids)
        return (
            f"Only {who} can ever serve: the skill needs already make up the head count, so "
            f"the other {r.others} member{'s' if r.others != 1 else ''} never will. To let "
            f"everyone take turns, ask for more people than the skills need: "
            f"`/lotto rotation set require {r.rotation_id} --skill any --count {r.count}`."
        )
    return f"{r.kind} {tid}".strip()


def warnings_text(warnings: list[Risk], mention: Mention) -> str:
    """The warnings of a result as a block under the reply ("" when there are none)."""
    if not warnings:
        return ""
    lines = [f"- {risk_line(r, mention)}" for r in warnings]
    return "\n**Warning:**\n" + "\n".join(lines)


def broken_alert(n: api.Notice, mention: Mention, by: str) -> str:
    """The ``alert_broken`` message: which shifts a change broke, one line each."""
    ids = list(dict.fromkeys(f"**{r.task_id}**" for r in n.risks if r.task_id))
    if not ids and n.task_id:
        ids = [f"**{n.task_id}**"]
    kind = n.task_type or "task"
    plural = f"{kind}s" if len(ids) != 1 else kind
    lines = [f"\n- {risk_line(r, mention)}" for r in n.risks]
    return (
        f"#### Alert: a change broke {'a ' + kind if len(ids) == 1 else plural} of "
        f"**{n.rotation_id}**\n"
        f"{by[:1].upper()}{by[1:]} made a change that {plural} {', '.join(ids)} no longer "
        f"{'meets' if len(ids) == 1 else 'meet'}:" + "".join(lines)
    )
