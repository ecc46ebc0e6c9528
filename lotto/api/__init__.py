"""The service's request and result types: one request and one result per operation.

The command layer parses the command line, resolves ``@username`` to user ids
through the directory and parses times, durations and skill-levels; requests
therefore carry ready values (aware UTC ``datetime``, ``timedelta``,
``(skill, level)`` tuples, user ids). Rotations are referred to by a
:class:`RotationRef` holding the raw text the user typed, because resolving a
name (unique substring over active rotations, exact id wins) has to happen
inside the service's unit of work.

Results carry records and ids, never Markdown, plus a list of :class:`Notice`
values: structured descriptions of direct messages that the command layer
renders and posts *after* the unit of work committed (a retried unit of work
must never DM twice). Every result struct has a ``notices`` field, so a caller
can treat them uniformly.

Every service operation is called as
``op(req: XRequest, *, actor: Actor, now: datetime) -> XResult``.
"""

from __future__ import annotations

from lotto.api import (
    _base,
    autopilot,
    calendar,
    forecasts,
    hours,
    page,
    rotations,
    skills,
    stats,
    tasks,
    users,
)
from lotto.api._base import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.autopilot import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.calendar import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.forecasts import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.hours import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.page import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.rotations import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.skills import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.stats import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.tasks import *  # noqa: F403 - re-exported, listed in __all__
from lotto.api.users import *  # noqa: F403 - re-exported, listed in __all__

__all__ = [
    *_base.__all__,
    *rotations.__all__,
    *autopilot.__all__,
    *tasks.__all__,
    *users.__all__,
    *skills.__all__,
    *forecasts.__all__,
    *calendar.__all__,
    *stats.__all__,
    *page.__all__,
    *hours.__all__,
]
