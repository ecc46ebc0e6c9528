"""Users: the stored record (skills, last-served times, calendar)."""

from __future__ import annotations

import msgspec

from lotto.calendar import Event
from lotto.record import Record

__all__ = ["User"]


class User(Record):
    """A person's scheduling record; profile data (name, zone) comes from the directory."""

    mattermost_user_id: str
    skill_levels: dict[str, int] = msgspec.field(default_factory=dict)
    # rotation id -> unix seconds of the end of the last task served there.
    last_served: dict[str, int] = msgspec.field(default_factory=dict)
    # Unavailability events, kept sorted by start.
    calendar: list[Event] = msgspec.field(default_factory=list)
