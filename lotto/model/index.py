"""Index records: the active rotations, the known skills, and each rotation's open tasks."""

from __future__ import annotations

import msgspec

from lotto.model.record import Record

__all__ = ["Index", "OpenTasks"]


class Index(Record):
    """A sorted set of ids stored as one record (``index:active_rotations``, ``index:skills``)."""

    ids: list[str] = msgspec.field(default_factory=list)


class OpenTasks(Record):
    """A rotation's unfinished tasks: task id → ids of the users assigned to it.

    Kept next to the rotation (``index:open_tasks:<id>``) so commands that need
    only the open tasks (autopilot, shift overlap checks, show) load those and
    their users in one batch instead of every task the rotation ever had. It is
    updated in the same unit of work as the tasks, so it never drifts. A
    rotation without this record (e.g. stored by the Go plugin) is treated as
    having every task in ``TaskIDs`` open.
    """

    tasks: dict[str, list[str]] = msgspec.field(default_factory=dict)
