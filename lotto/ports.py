"""What the service needs from the outside world: a user directory and a poster.

The command-line program provides local implementations (``lotto.local``);
the shim provides Mattermost-backed ones. Both are plain protocols so the
service never imports an HTTP client.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["Profile", "Directory", "Poster"]


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """A user's profile as the chat system knows it (never stored by us)."""

    user_id: str
    username: str
    display_name: str = ""
    time_zone: str = "UTC"  # IANA name; "" is treated as UTC
    is_admin: bool = False


class Directory(Protocol):
    """Resolves users between ids and usernames, with their zone and admin flag."""

    def by_id(self, user_id: str) -> Profile | None:
        """The profile of ``user_id``, or None if there is no such user."""
        ...

    def by_username(self, username: str) -> Profile | None:
        """The profile of ``username`` (without ``@``), or None if unknown."""
        ...

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Profiles of many users at once (unknown ids are left out)."""
        ...

    def by_usernames(self, usernames: list[str]) -> dict[str, Profile]:
        """Profiles of many usernames (without ``@``) at once, keyed by the name as given;
        unknown names are left out."""
        ...


class Poster(Protocol):
    """Sends direct messages to users; a failure to deliver never fails a command."""

    def dm(self, user_id: str, message: str) -> None:
        """Send ``message`` (Markdown) as a direct message to ``user_id``."""
        ...
