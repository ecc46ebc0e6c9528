"""``lotto.ports.Channels`` over Mattermost: the channel a user names, where the bot can post.

A rotation's channel is named as people know it (``~ice-team``, looked up in the
team the slash command came from) or by its id. The bot posts there as itself, so
it must be a member; finding out now, when the owner sets the channel, beats posts
failing later in the outbox.
"""

from __future__ import annotations

import logging
import re

from lotto.errors import AccessError, InputError, LottoError, NotFoundError
from lotto.ports import Channel
from shim.errors import MattermostError
from shim.mattermost import MattermostClient

__all__ = ["MattermostChannels"]

_log = logging.getLogger("shim.channels")

# Mattermost ids: 26 characters of lower-case letters and digits.
_ID = re.compile(r"^[a-z0-9]{26}$")


class MattermostChannels:
    """Finds channels through Mattermost's REST API and checks the bot is a member."""

    def __init__(self, client: MattermostClient, bot_id: str, bot_name: str = "the bot") -> None:
        self._client = client
        self._bot_id = bot_id
        self._bot_name = bot_name

    def find(self, team_id: str, ref: str) -> Channel:
        """The channel ``ref`` names (``~name``, ``name`` or an id) in ``team_id``."""
        text = ref.strip()
        name = text.removeprefix("~")
        if not name:
            raise InputError("No channel given: name one, e.g. `~ice-team`.", channel=ref)
        try:
            channel = None
            if not text.startswith("~") and _ID.match(name):
                channel = self._client.channel(name)
            if channel is None:
                if not team_id:
                    raise InputError(
                        f"`{ref}` can only be looked up in a team: type the command in a "
                        "channel of your team, or give the channel's id.",
                        channel=ref,
                    )
                channel = self._client.channel_by_name(team_id, name)
            if channel is None or not channel.get("id"):
                raise NotFoundError(
                    f"Channel ~{name} not found in this team: check its name (the part after "
                    "the team in its link, e.g. `ice-team`) or give its id.",
                    channel=ref,
                )
            channel_id, channel_name = str(channel["id"]), str(channel.get("name") or name)
            if self._client.channel_member(channel_id, self._bot_id) is None:
                bot = self._bot_name
                raise AccessError(
                    f"{bot} is not a member of ~{channel_name}, so it could not post there: "
                    f"add it (type `/invite {bot}` in ~{channel_name}) and run the command "
                    "again. Nothing was changed.",
                    channel=ref,
                )
        except MattermostError as err:
            if err.context.get("status") in (401, 403):
                raise AccessError(
                    f"{self._bot_name} may not see {ref} (Mattermost refused it): add the bot "
                    "to this team and to the channel, then run the command again. Nothing "
                    "was changed.",
                    channel=ref,
                ) from None
            _log.warning("channel lookup failed: %s", err)
            raise LottoError(
                "Mattermost did not answer a channel lookup, so nothing was changed; "
                "please try again in a minute.",
                cause=str(err),
            ) from None
        return Channel(channel_id=channel_id, name=channel_name)
