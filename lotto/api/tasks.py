"""Requests and results of the ``task`` commands."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from lotto.api._base import Request, RotationRef, _Result
from lotto.api.mentions import of_task
from lotto.model.task import Offer, Task
from lotto.model.user import User

__all__ = [
    "TaskNewShiftRequest",
    "TaskNewTicketRequest",
    "TaskResult",
    "TaskAssignRequest",
    "TaskUnassignRequest",
    "TaskFillRequest",
    "TaskAssignResult",
    "TaskTransitionRequest",
    "TaskTransitionResult",
    "TaskShowRequest",
    "TaskShowResult",
    "TaskOfferRequest",
    "TaskOfferResult",
    "TaskTakeRequest",
    "TaskTakeResult",
]


class TaskNewShiftRequest(Request["TaskResult"], kw_only=True):
    """``task new shift R [--number N]``; None: the shift of the period containing ``now``."""

    rotation: RotationRef
    number: int | None = None
    #: Make it even wholly in the past or over a year ahead (``risks.check_shift_time``).
    force: bool = False


class TaskNewTicketRequest(Request["TaskResult"], kw_only=True):
    """``task new ticket R [--summary TEXT]``."""

    rotation: RotationRef
    summary: str = ""


class TaskResult(_Result, kw_only=True):
    """A newly made task."""

    task: Task

    def _mentions(self) -> Iterable[str]:
        return of_task(self.task)


class TaskAssignRequest(Request["TaskAssignResult"], kw_only=True):
    """``task assign ID @u… [--force]``."""

    task_id: str
    user_ids: list[str]
    force: bool = False


class TaskUnassignRequest(Request["TaskAssignResult"], kw_only=True):
    """``task unassign ID @u… [--force]``."""

    task_id: str
    user_ids: list[str]
    force: bool = False


class TaskFillRequest(Request["TaskAssignResult"], kw_only=True):
    """``task fill ID [--force]``: ``force`` also tops up a scheduled or started task."""

    task_id: str
    force: bool = False


class TaskAssignResult(_Result, kw_only=True):
    """The task after assign/unassign/fill; ``changed`` = user ids added or removed, in order.

    ``users`` holds the records of the task's users and of ``changed``.
    """

    task: Task
    changed: list[str] = msgspec.field(default_factory=list)
    users: dict[str, User] = msgspec.field(default_factory=dict)
    #: ``shift`` or ``ticket``: the rotation's task type (what to call the task).
    task_type: str = ""
    # assign only: the users added who are not members of the task's rotation.
    non_members: list[str] = msgspec.field(default_factory=list)
    #: assign only: user added with --force -> why they are busy or resting then, in
    #: words (``lotto.model.user.clash_text``): what --force overrode.
    overrode: dict[str, list[str]] = msgspec.field(default_factory=dict)

    def _mentions(self) -> Iterable[str]:
        yield from of_task(self.task)
        yield from self.changed
        yield from self.users
        yield from self.non_members
        yield from self.overrode


class TaskTransitionRequest(Request["TaskTransitionResult"], kw_only=True):
    """``task schedule|start|finish ID``: ``state`` is the target state."""

    task_id: str
    state: str


class TaskTransitionResult(_Result, kw_only=True):
    """The task after a transition and the state it came from."""

    task: Task
    prev_state: str
    #: ``shift`` or ``ticket``: the rotation's task type (what to call the task).
    task_type: str = ""

    def _mentions(self) -> Iterable[str]:
        return of_task(self.task)


class TaskShowRequest(Request["TaskShowResult"], kw_only=True):
    """``task show ID``."""

    task_id: str


class TaskShowResult(_Result, kw_only=True):
    """A task with its assigned users' records."""

    task: Task
    users: dict[str, User] = msgspec.field(default_factory=dict)
    #: ``shift`` or ``ticket``: the rotation's task type (what to call the task).
    task_type: str = ""

    def _mentions(self) -> Iterable[str]:
        yield from of_task(self.task)
        yield from self.users


class TaskOfferRequest(Request["TaskOfferResult"], kw_only=True):
    """``task offer ID [@u] [--to @v] [--note TEXT] [--cancel]``: offer ``user_id``'s place.

    ``to_user_id`` (empty: any member who fits) is the one member it is offered to;
    ``cancel`` withdraws the open offer instead.
    """

    task_id: str
    user_id: str
    note: str = ""
    to_user_id: str = ""
    cancel: bool = False


class TaskOfferResult(_Result, kw_only=True):
    """The task after ``task offer``; ``offer`` is the offer opened or withdrawn.

    ``takers`` are the members who could take it and were asked by direct message
    (at most ``lotto.model.fanout.ASK_AT_MOST``; none on ``cancel``); ``eligible`` how
    many members could take it in all; ``asked_before`` those chosen but not messaged
    again, having been asked about this place lately; ``channel_name`` the rotation's
    channel the offer was posted in (empty: none).
    """

    task: Task
    offer: Offer
    takers: list[str] = msgspec.field(default_factory=list)
    cancelled: bool = False
    eligible: int = 0
    asked_before: list[str] = msgspec.field(default_factory=list)
    channel_name: str = ""

    def _mentions(self) -> Iterable[str]:
        yield from of_task(self.task)
        yield from (self.offer.user_id, self.offer.to_user_id, self.offer.opened_by)
        yield from self.takers
        yield from self.asked_before


class TaskTakeRequest(Request["TaskTakeResult"], kw_only=True):
    """``task take ID [@from]``: the acting user takes ``from_user_id``'s offered place.

    ``from_user_id`` empty: the task's only open offer. ``offer_id`` (set by a
    button) names the very offer meant, so a stale button is refused.
    """

    task_id: str
    from_user_id: str = ""
    offer_id: str = ""


class TaskTakeResult(_Result, kw_only=True):
    """The task after a take: ``taker`` has ``offer.user_id``'s place."""

    task: Task
    offer: Offer
    taker: str
    users: dict[str, User] = msgspec.field(default_factory=dict)

    def _mentions(self) -> Iterable[str]:
        yield from of_task(self.task)
        yield from (self.offer.user_id, self.offer.to_user_id, self.taker)
        yield from self.users
