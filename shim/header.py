"""Writing the on-call line into a channel's header, and keeping the custom group.

A ``header`` outbox message (``lotto.service.header``) carries the line the
command layer wrote for it (``""``: take it out). :class:`HeaderKeeper` reads the
channel (``GET /api/v4/channels/{id}``), swaps the bot's own line — the first
line starting with ``On call:``; any further such lines go — for the new one,
and writes the header back (``PUT /api/v4/channels/{id}/patch`` with only
``header``) when it changed. Every other line of the header stays as it was;
without a line of its own yet the bot adds one at the end. Mattermost keeps a
header to :data:`HEADER_LIMIT` characters: a line that does not fit is
shortened (``…``), and one that cannot fit at all is left out, with a warning.

The custom group (``--group ops-oncall``) is kept to the people on call:
created with them when it does not exist, then members added and removed to
match (``/api/v4/groups``…). Custom groups need a Mattermost Professional or
Enterprise licence (6.3+) and the bot's role to hold ``create_custom_group`` and
``custom_group_manage_members``; a server that refuses (403, 501, a 400 for a
missing licence) gets one warning in the log — copied to the plugin admins — and
is not asked again for an hour, while the header line goes on being kept.

Both are idempotent (they set a state, they do not add to one), so a retried
delivery does no harm, and the deliverer sends only the latest of a channel's
header changes in a batch.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from lotto.commands.render import HEADER_PREFIX
from lotto.model.outbox import OutboxMessage
from shim.errors import MattermostError
from shim.mattermost import MattermostClient

__all__ = ["HEADER_LIMIT", "HeaderKeeper", "with_line"]

_log = logging.getLogger("shim.header")

#: Mattermost's maximum channel header length, in characters.
HEADER_LIMIT = 1024
_REFUSED_FOR = 3600.0  # seconds a refused group is left alone
_ELLIPSIS = "…"


def with_line(header: str, line: str, limit: int = HEADER_LIMIT) -> str:
    """``header`` with its ``On call:`` line replaced by ``line`` ("" takes it out)."""
    lines = header.split("\n") if header else []
    mine = [n for n, text in enumerate(lines) if text.startswith(HEADER_PREFIX)]
    rest = [text for n, text in enumerate(lines) if n not in mine]
    at = mine[0] if mine else len(rest)
    if not line:
        return "\n".join(rest)
    others = len("\n".join(rest)) + (1 if rest else 0)
    room = limit - others
    if len(line) > room:
        if room < len(HEADER_PREFIX) + 2:
            _log.warning(
                "the channel header is too long (%d characters) for the on-call line; "
                "it is left out until the header is shorter",
                len(header),
            )
            return "\n".join(rest)
        line = line[: room - len(_ELLIPSIS)] + _ELLIPSIS
    return "\n".join([*rest[:at], line, *rest[at:]])


class HeaderKeeper:
    """Carries out ``header`` messages against one Mattermost (see the module doc)."""

    def __init__(self, client: MattermostClient, clock: Any = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._refused: dict[str, float] = {}  # group name -> when the server refused it
        self._lock = threading.Lock()

    def apply(self, message: OutboxMessage, line: str) -> None:
        """Put ``line`` in the header of the message's channel; keep its group.

        MattermostError when the header cannot be read or written (the deliverer
        retries, or gives the message up when Mattermost refuses it for good).
        """
        notice = message.notice
        channel = self._client.channel(message.channel_id)
        if channel is None:
            raise MattermostError(
                f"channel {message.channel_id} is gone: its header cannot change", status=404
            )
        before = str(channel.get("header") or "")
        after = with_line(before, line)
        if after != before:
            self._client.patch_channel_header(message.channel_id, after)
        if notice.group:
            members = [] if notice.outcome == "off" else list(notice.user_ids)
            self._keep_group(notice.group, members, channel)

    def _keep_group(self, name: str, members: list[str], channel: dict[str, Any]) -> None:
        with self._lock:
            refused = self._refused.get(name)
            if refused is not None and self._clock() - refused < _REFUSED_FOR:
                return
        try:
            group = self._client.find_group(
                name, str(channel.get("team_id") or ""), str(channel.get("id") or "")
            )
            if group is None:
                if members:
                    self._client.create_group(name, f"On call ({name})", members)
                return
            group_id = str(group["id"])
            have = set(self._client.group_member_ids(group_id))
            add = [u for u in members if u not in have]
            gone = sorted(have - set(members))
            if add:
                self._client.add_group_members(group_id, add)
            if gone:
                self._client.remove_group_members(group_id, gone)
        except MattermostError as err:
            status = err.context.get("status")
            if not isinstance(status, int) or status >= 500 and status != 501:
                raise  # out for now: the deliverer retries the whole message
            with self._lock:
                self._refused[name] = self._clock()
            _log.warning(
                "Mattermost refused to keep the custom group @%s (%s): custom groups need "
                "Mattermost Professional or Enterprise and the bot's permission to create "
                "and manage them; the channel header line is kept all the same",
                name,
                status,
            )
