"""Overrides: who is on call instead of whom for part of a task; the one rule of "who is on
call at t".

An :class:`~lotto.model.task.Override` (kept on its task) says that from its
``start`` to its ``finish`` its ``user_id`` is on call in the place of
``replaces``; outside that span the task keeps its people. ``task cover`` makes
one, and so does taking an offered part of a shift (time off over part of it).
Every view of who is on call — ``rotation now``, ``user shifts``, the calendar
feeds, the messages at a start — asks :func:`on_call_at` or
:func:`overrides_in`, never the task's user list alone.

An override applies while the person it replaces is on the task: if their place
moves to someone else by a take, the override moves with it
(:func:`move_overrides`); if they are taken off the task it no longer applies.

Pure functions on records; the service (``lotto.service.covers``) applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lotto.errors import InputError, NotFoundError, StateError
from lotto.model.availability import REASON_TASK, Event, add_events
from lotto.model.offer import Refusal, take_refusal
from lotto.model.rotation import Rotation
from lotto.model.task import STATE_FINISHED, Offer, Override, Task, task_interval
from lotto.model.timeutil import intervals_overlap
from lotto.model.user import User

__all__ = [
    "on_call_at",
    "overrides_in",
    "covering",
    "in_feed",
    "check_span",
    "cover_refusal",
    "add_override",
    "remove_override",
    "move_overrides",
    "cover_event",
    "find_cover",
]


def _applies(task: Task, override: Override) -> bool:
    return override.replaces in task.mattermost_user_ids


def on_call_at(task: Task, t: datetime) -> list[str]:
    """Who of ``task`` is on call at ``t``: its people, each override covering ``t`` putting
    its user in the place of the one it replaces (the one home of this rule)."""
    people = list(task.mattermost_user_ids)
    for o in task.overrides:
        if o.start <= t < o.finish and o.replaces in people:
            people[people.index(o.replaces)] = o.user_id
    return list(dict.fromkeys(people))


def overrides_in(task: Task, start: datetime, finish: datetime) -> list[Override]:
    """The overrides of ``task`` that apply and share time with ``[start, finish)``, by start."""
    found = [
        o
        for o in task.overrides
        if _applies(task, o) and intervals_overlap(o.start, o.finish, start, finish)
    ]
    return sorted(found, key=lambda o: (o.start, o.user_id))


def in_feed(task: Task, user_id: str) -> bool:
    """Whether ``task`` concerns ``user_id``'s own calendar: they are on it, or cover part."""
    return user_id in task.mattermost_user_ids or bool(covering(task, user_id))


def covering(task: Task, user_id: str) -> list[Override]:
    """The overrides of ``task`` in which ``user_id`` covers for someone (that apply)."""
    return [o for o in task.overrides if o.user_id == user_id and _applies(task, o)]


def check_span(task: Task, start: datetime, finish: datetime, now: datetime) -> None:
    """Raise unless ``[start, finish)`` may be covered on ``task``: InputError when it is empty,
    not inside the task's interval or already over; StateError once the task is finished."""
    tid = task.task_id
    if task.state == STATE_FINISHED:
        raise StateError(
            f"{tid} is finished: there is nothing left to cover. Nothing was changed.",
            task_id=tid,
            state=task.state,
        )
    if finish <= start:
        raise InputError("--to must be after --from. Nothing was changed.", task_id=tid)
    interval = task_interval(task)
    if interval is None or start < interval[0] or finish > interval[1]:
        raise InputError(
            f"The span to cover must lie within {tid}'s time; see `task show {tid}` for when it "
            "starts and ends (a span running into the next shift is covered there, by a second "
            "`task cover`). Nothing was changed.",
            task_id=tid,
        )
    if finish <= now:
        raise InputError(
            f"That part of {tid} is already over: cover a span that has not ended yet. "
            "Nothing was changed.",
            task_id=tid,
        )


def cover_refusal(
    task: Task,
    rotation: Rotation,
    assigned: Mapping[str, User],
    replaces: str,
    cover: User,
    start: datetime,
    finish: datetime,
) -> Refusal | None:
    """Why ``cover`` may not be on call in ``replaces``'s place on ``task`` over the span, or
    None when they may: the rules of taking an offered place (``lotto.model.offer``), over
    the span only, and no other override of either of them there."""
    uid = cover.mattermost_user_id
    if replaces not in task.mattermost_user_ids:
        return Refusal(f"{replaces} is not on {task.task_id}")
    for o in task.overrides:
        if not (_applies(task, o) and intervals_overlap(o.start, o.finish, start, finish)):
            continue
        if o.replaces == replaces:
            return Refusal(f"{o.user_id} already covers for {replaces} over part of that span")
        if o.user_id == uid:
            return Refusal(f"{uid} already covers for {o.replaces} over part of that span")
    part = Offer(offer_id="", user_id=replaces, offered_at=start, start=start, finish=finish)
    return take_refusal(task, rotation, assigned, part, cover)


def cover_event(task: Task, override: Override) -> Event:
    """The calendar event that keeps an override's user busy over its span."""
    return Event(
        start=override.start,
        finish=override.finish,
        reason=REASON_TASK,
        task_id=task.task_id,
        rotation_id=task.rotation_id,
    )


def add_override(task: Task, override: Override, cover: User) -> None:
    """Put ``override`` on ``task`` and its span on the covering user's calendar (in place)."""
    task.overrides.append(override)
    cover.calendar = add_events(cover.calendar, [cover_event(task, override)])


def remove_override(task: Task, override: Override, cover: User | None) -> None:
    """Take ``override`` off ``task`` and its span off the covering user's calendar."""
    task.overrides = [o for o in task.overrides if o.override_id != override.override_id]
    if cover is not None:
        event = cover_event(task, override)
        cover.calendar = [e for e in cover.calendar if e != event]


def move_overrides(task: Task, from_user: str, to_user: str) -> None:
    """The overrides of ``from_user``'s place now cover ``to_user``'s (their place moved)."""
    for o in task.overrides:
        if o.replaces == from_user:
            o.replaces = to_user


def find_cover(
    task: Task,
    user_id: str,
    start: datetime | None = None,
    actor_id: str = "",
    for_user_id: str = "",
) -> list[Override]:
    """``user_id``'s overrides on ``task`` (only the one starting at ``start`` when given;
    only those for ``for_user_id`` unless the actor is the coverer); NotFoundError when
    there is none."""
    found = [o for o in task.overrides if o.user_id == user_id]
    if start is not None:
        found = [o for o in found if o.start == start]
    if for_user_id and user_id != actor_id:
        found = [o for o in found if o.replaces == for_user_id]
    if not found:
        raise NotFoundError(
            f"{user_id} covers nothing on {task.task_id}; see `task show {task.task_id}`. "
            "Nothing was changed.",
            task_id=task.task_id,
            user_ids=[user_id],
        )
    return found
