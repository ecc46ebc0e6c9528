"""Local stand-ins for the chat system: a directory where ``@name`` is user ``name``,
and posters that print or record direct messages (the CLI and the tests use them);
and where the ``lotto`` program keeps its records when no store is named."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from lotto.errors import InputError
from lotto.ports import Channel, Profile

__all__ = [
    "LocalDirectory",
    "LocalChannels",
    "PrintPoster",
    "RecordingPoster",
    "default_store_path",
]


def default_store_path(environ: Mapping[str, str] = os.environ) -> Path:
    """The ``lotto`` program's own SQLite file: ``$XDG_DATA_HOME/solar-lottery/lotto.db``.

    ``XDG_DATA_HOME`` unset, empty or relative means ``~/.local/share`` (as the
    XDG base directory specification says).
    """
    data = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data):
        home = environ.get("HOME") or os.path.expanduser("~")
        data = os.path.join(home, ".local", "share")
    return Path(data) / "solar-lottery" / "lotto.db"


# Mattermost usernames: letters, digits and . _ - , at most 64 characters here
# (Mattermost itself allows 22).
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class LocalDirectory:
    """Every well-formed ``name`` is a user with id and username ``name``, zone ``tz``, an admin.

    ``zones`` gives some users a zone of their own (the demo's readers in two zones).
    """

    def __init__(
        self, tz: str = "UTC", *, admins: bool = True, zones: Mapping[str, str] | None = None
    ) -> None:
        self.tz = tz or "UTC"
        self.admins = admins
        self.zones = dict(zones or {})

    def _profile(self, name: str) -> Profile | None:
        if not name or not _USERNAME.match(name):
            return None
        return Profile(
            user_id=name,
            username=name,
            display_name=name,
            time_zone=self.zones.get(name, self.tz),
            is_admin=self.admins,
        )

    def by_id(self, user_id: str) -> Profile | None:
        """The profile of ``user_id`` (ids and usernames coincide here)."""
        return self._profile(user_id)

    def by_username(self, username: str) -> Profile | None:
        """The profile of ``username`` (without ``@``)."""
        return self._profile(username)

    def by_usernames(self, usernames: list[str]) -> dict[str, Profile]:
        """Profiles of many usernames (unknown or invalid ones left out)."""
        found = {name: self.by_username(name) for name in usernames}
        return {name: p for name, p in found.items() if p is not None}

    def by_ids(self, user_ids: list[str]) -> dict[str, Profile]:
        """Profiles of many users at once."""
        out: dict[str, Profile] = {}
        for user_id in user_ids:
            profile = self._profile(user_id)
            if profile is not None:
                out[user_id] = profile
        return out


class PrintPoster:
    """Prints each direct message to stdout as ``DM to @user: text``."""

    def dm(self, user_id: str, message: str) -> None:
        """Print the message."""
        print(f"DM to @{user_id}: {message}")

    def post(self, channel_id: str, channel_name: str, message: str) -> None:
        """Print the channel post."""
        print(f"Post to ~{channel_name or channel_id}: {message}")

    def header(self, channel_id: str, channel_name: str, line: str) -> None:
        """Print the channel header's new on-call line ("" when it comes out)."""
        where = f"~{channel_name or channel_id}"
        print(f"Header of {where}: {line}" if line else f"Header of {where}: on-call line removed")


class RecordingPoster:
    """Keeps every direct message as ``(user_id, text)`` in :attr:`sent` (for tests)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        #: Channel posts as ``(channel id, text)``.
        self.posts: list[tuple[str, str]] = []
        #: Both, in the order they were sent: ``("@user" or "~channel", text)``.
        self.in_order: list[tuple[str, str]] = []
        #: Channel id -> the on-call line of its header ("" once taken out).
        self.headers: dict[str, str] = {}

    def dm(self, user_id: str, message: str) -> None:
        """Record the message."""
        self.sent.append((user_id, message))
        self.in_order.append((f"@{user_id}", message))

    def post(self, channel_id: str, channel_name: str, message: str) -> None:
        """Record the channel post."""
        self.posts.append((channel_id, message))
        self.in_order.append((f"~{channel_name or channel_id}", message))

    def header(self, channel_id: str, channel_name: str, line: str) -> None:
        """Record the channel header's on-call line (in :attr:`in_order` as ``"^~channel"``)."""
        self.headers[channel_id] = line
        self.in_order.append((f"^~{channel_name or channel_id}", line))

    def reset(self) -> None:
        """Forget the messages and posts recorded so far."""
        self.headers.clear()
        self.sent.clear()
        self.posts.clear()
        self.in_order.clear()


class LocalChannels:
    """Every channel name is a channel whose id is that name (the CLI has no chat server)."""

    def find(self, team_id: str, ref: str) -> Channel:
        """The channel ``ref`` (``~name`` or ``name``); its id is its name."""
        name = ref.strip().removeprefix("~")
        if not name or not _USERNAME.match(name):
            raise InputError(
                f"`{ref}` is not a channel name: use letters, digits, '.', '_' and '-', "
                "e.g. `~ice-team`.",
                channel=ref,
            )
        return Channel(channel_id=name, name=name)
