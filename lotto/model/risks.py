"""Risks: what a change breaks in a rotation, as data (docs/design.md §2 "Risks").

Pure functions of records. A change that can break shifts already scheduled
(taking skills away, a member leaving) compares :func:`broken_tasks` before and
after it and reports what is newly broken (:func:`newly_broken`); a change of a
rotation's requirements checks them against its members (:func:`needs_risks`).
The service puts the risks in the result's ``warnings`` and, for broken shifts,
alerts the owners at once; the command layer renders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import msgspec

from lotto.errors import NeedsForceError
from lotto.model.needs import remaining, user_meets
from lotto.model.rotation import TASK_TYPE_TICKET, Rotation
from lotto.model.skill import ANY
from lotto.model.task import STATE_SCHEDULED, STATE_STARTED, Task, task_interval
from lotto.model.timeutil import (
    PERIOD_BIWEEKLY,
    PERIOD_DAILY,
    PERIOD_MONTHLY,
    PERIOD_WEEKLY,
    format_duration,
    format_time,
    parse_duration,
    parse_period,
)
from lotto.model.user import User

__all__ = [
    "Risk",
    "RISK_UNMET",
    "RISK_OVER_LIMIT",
    "RISK_GONE",
    "RISK_IMPOSSIBLE",
    "RISK_NARROW",
    "RISK_KINDS",
    "broken_tasks",
    "newly_broken",
    "needs_risks",
    "who_can_serve",
    "FAR_AHEAD",
    "longest_period",
    "check_duration",
    "check_shift_time",
    "check_time_off",
]

RISK_UNMET = "unmet"  # a scheduled/started shift no longer meets a Require need
RISK_OVER_LIMIT = "over_limit"  # a scheduled/started shift now exceeds a Limit need
RISK_GONE = "gone"  # people on a scheduled/started shift are no longer members
RISK_IMPOSSIBLE = "impossible"  # a Require need asks for more members than meet it
RISK_NARROW = "narrow"  # the requirements let only some members ever serve
RISK_KINDS = (RISK_UNMET, RISK_OVER_LIMIT, RISK_GONE, RISK_IMPOSSIBLE, RISK_NARROW)

_AT_RISK = (STATE_SCHEDULED, STATE_STARTED)


class Risk(msgspec.Struct, kw_only=True):
    """One thing a change broke or made doubtful (``kind`` one of :data:`RISK_KINDS`).

    ``count``: unmet, how many people the need still lacks; over_limit, how many
    too many; impossible, how many it asks for (``have``: how many members meet
    it); narrow, the ``any`` count that would let everyone serve. ``user_ids``: gone,
    the former members still on the shift; narrow, the members who can serve
    (``others``: how many never can).
    """

    kind: str
    rotation_id: str = ""
    task_id: str = ""
    state: str = ""
    need: str = ""
    count: int = 0
    have: int = 0
    user_ids: list[str] = msgspec.field(default_factory=list)
    others: int = 0

    def key(self) -> tuple[str, str, str]:
        """What tells two risks apart when comparing before and after a change."""
        return (self.kind, self.task_id, self.need)


def broken_tasks(
    rotation: Rotation, tasks: Iterable[Task], users: Mapping[str, User]
) -> list[Risk]:
    """What is wrong with the scheduled and started shifts among ``tasks``, by task.

    ``users`` holds the assigned people's records (a missing one counts as a
    person without skills); ``rotation`` gives the current members.
    """
    members = set(rotation.mattermost_user_ids)
    out: list[Risk] = []
    for task in tasks:
        if task.state not in _AT_RISK:
            continue
        people = [users.get(u) or User(mattermost_user_id=u) for u in task.mattermost_user_ids]
        rid, tid, state = task.rotation_id, task.task_id, task.state
        for nid, left in remaining(task.require, people).items():
            if left > 0:
                out.append(
                    Risk(
                        kind=RISK_UNMET,
                        rotation_id=rid,
                        task_id=tid,
                        state=state,
                        need=nid,
                        count=left,
                    )
                )
        for nid, left in remaining(task.limit, people).items():
            if left < 0:
                out.append(
                    Risk(
                        kind=RISK_OVER_LIMIT,
                        rotation_id=rid,
                        task_id=tid,
                        state=state,
                        need=nid,
                        count=-left,
                    )
                )
        gone = [u for u in task.mattermost_user_ids if u not in members]
        if gone:
            out.append(
                Risk(kind=RISK_GONE, rotation_id=rid, task_id=tid, state=state, user_ids=gone)
            )
    return out


def newly_broken(before: Iterable[Risk], after: Iterable[Risk]) -> list[Risk]:
    """The risks of ``after`` that ``before`` did not have (what the change broke)."""
    seen = {r.key() for r in before}
    return [r for r in after if r.key() not in seen]


def who_can_serve(rotation: Rotation, users: Mapping[str, User]) -> list[str]:
    """The members the rotation's requirements let serve at all, sorted.

    A fill meets the skill needs first and ``any`` last (docs/design.md §3), and
    whoever meets a skill need also counts for ``any``: when the ``any`` count is
    no more than the largest skill count, ``any`` is always met by then and only
    members meeting a skill need are ever drawn. Members meeting a Limit of 0
    never are.
    """
    ts = rotation.task_settings
    members = sorted(set(rotation.mattermost_user_ids))
    records = {u: users.get(u) or User(mattermost_user_id=u) for u in members}
    skills = {nid: c for nid, c in ts.require.items() if nid != ANY and c > 0}
    barred = [nid for nid, c in ts.limit.items() if c <= 0]
    out = []
    for uid in members:
        user = records[uid]
        if any(user_meets(user, nid) for nid in barred):
            continue
        if skills and ts.require.get(ANY, 0) <= max(skills.values()):
            if not any(user_meets(user, nid) for nid in skills):
                continue
        out.append(uid)
    return out


def needs_risks(rotation: Rotation, users: Mapping[str, User]) -> list[Risk]:
    """What is wrong with the rotation's requirements for its current members.

    A Require need asking for more people than the members meeting it can never
    be met (``impossible``); requirements that let only some members ever serve
    are ``narrow``. ``users`` holds the members' records.
    """
    rid = rotation.rotation_id
    members = sorted(set(rotation.mattermost_user_ids))
    records = [users.get(u) or User(mattermost_user_id=u) for u in members]
    out: list[Risk] = []
    if not records:
        return []  # a rotation being set up: members come after its requirements
    for nid, count in sorted(rotation.task_settings.require.items()):
        have = sum(1 for u in records if user_meets(u, nid))
        if count > have:
            out.append(
                Risk(kind=RISK_IMPOSSIBLE, rotation_id=rid, need=nid, count=count, have=have)
            )
    serving = who_can_serve(rotation, users)
    skills = [c for nid, c in rotation.task_settings.require.items() if nid != ANY and c > 0]
    if serving and len(serving) < len(members) and skills:
        out.append(
            Risk(
                kind=RISK_NARROW,
                rotation_id=rid,
                user_ids=serving,
                others=len(members) - len(serving),
                count=max(skills) + 1,  # the `any` count that lets everyone serve
            )
        )
    return out


# ----------------------------------------------------------------------------- likely mistakes
# Changes refused without --force: each is far more often a typo than meant.

#: A shift starting further ahead than this is most likely a wrong --number.
FAR_AHEAD = timedelta(days=366)

_LONGEST = {
    PERIOD_DAILY: timedelta(days=1),
    PERIOD_WEEKLY: timedelta(days=7),
    PERIOD_BIWEEKLY: timedelta(days=14),
    PERIOD_MONTHLY: timedelta(days=31),
}


def longest_period(period: str) -> timedelta:
    """The longest a period of the rotation can be: a day, a week, two weeks, 31 days,
    or the fixed length (a daylight-saving hour is not counted)."""
    p = parse_period(period)
    return _LONGEST.get(p) or parse_duration(p)


def _force(message: str, **context: object) -> NeedsForceError:
    return NeedsForceError(f"{message} Add `--force` to do it anyway.", flag="force", **context)


def check_duration(rotation: Rotation, duration: timedelta, *, force: bool) -> None:
    """NeedsForceError unless ``force``: shifts longer than the rotation's period overlap
    the next ones (the autopilot then skips every other shift)."""
    if force or rotation.task_type == TASK_TYPE_TICKET or duration <= timedelta(0):
        return
    longest = longest_period(rotation.fill_settings.period)
    if duration > longest:
        raise _force(
            f"A --duration of {format_duration(duration)} is longer than the rotation's "
            f"period ({format_duration(longest)}): each shift would overlap the next, and "
            "overlapping shifts are never made. Use at most the period (0: a whole period).",
            overrides=["duration longer than the period"],
            duration=duration,
        )


def check_shift_time(rotation: Rotation, task: Task, now: datetime, *, force: bool) -> None:
    """NeedsForceError unless ``force``: a shift wholly in the past at ``now`` (nobody can
    serve it) or starting more than :data:`FAR_AHEAD` after it (most likely a typo)."""
    interval = task_interval(task)
    if force or interval is None:
        return
    zone = rotation.fill_settings.time_zone or "UTC"
    start, finish = interval
    when = f"{format_time(start, zone)} to {format_time(finish, zone)} ({zone})"
    if finish <= now:
        raise _force(
            f"Shift {task.task_id} ({when}) is wholly in the past: nobody can serve it now, "
            "and the autopilot would only report it skipped.",
            overrides=["shift in the past"],
            task_id=task.task_id,
        )
    if start - now > FAR_AHEAD:
        raise _force(
            f"Shift {task.task_id} would start {format_time(start, zone)} ({zone}), more than "
            "a year from now: check --number.",
            overrides=["shift more than a year ahead"],
            task_id=task.task_id,
        )


def check_time_off(start: datetime, finish: datetime, now: datetime, *, force: bool) -> None:
    """NeedsForceError unless ``force``: time off wholly in the past protects nobody."""
    if force or finish > now:
        return
    raise _force(
        f"That time off ({format_time(start)} to {format_time(finish)} UTC) is wholly in the "
        "past: it keeps nobody off a shift. Check the dates (and the year).",
        overrides=["time off in the past"],
    )
