"""The environment commands run against: the store, the directory, the posters, the service.

Its own module so that the command modules and :mod:`lotto.commands.base` can name it
without importing the package that imports them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from lotto import PLUGIN_ID, delivery
from lotto.commands.render.notices import notice_text
from lotto.errors import LottoError
from lotto.local import LocalChannels
from lotto.model.outbox import OutboxMessage
from lotto.ports import Channels, Directory, Links, Poster, Profile, Store
from lotto.service import Service

__all__ = ["Env"]

log = logging.getLogger("lotto.commands")


class Env:
    """What commands run against: the store, the user directory and the DM poster.

    ``admin_only=False`` lets every user run admin commands (single-user CLI use).
    ``bot_id`` is the acting user of :func:`autopilot_all` (empty: "the autopilot").
    ``links`` (:class:`lotto.ports.Links`) makes the signed URLs of calendar feeds,
    rotation pages and chart images, or is None when no server publishes them; the
    server that serves them (the shim) supplies it, since it alone can sign URLs.
    ``site`` names the deployment (the chat server's host; the store's host in the CLI):
    with :attr:`namespace` it makes calendar event ids unique across deployments.
    ``channels`` finds the channels people name (default: the CLI's, where a name is
    its own id). ``deliver`` is called after a command committed messages (the shim
    wakes its outbox worker; the CLI delivers after the command, outside its
    deadline); without it the messages are delivered right away, to ``poster``.
    """

    def __init__(
        self,
        kv: Store,
        directory: Directory,
        poster: Poster,
        *,
        admin_only: bool = True,
        bot_id: str = "",
        links: Links | None = None,
        site: str = "localhost",
        deliver: Callable[[], None] | None = None,
        channels: Channels | None = None,
    ) -> None:
        self.kv = kv
        self.directory = directory
        self.poster = poster
        self.admin_only = admin_only
        self.bot_id = bot_id
        self.links = links
        self.site = site
        self._deliver = deliver
        self.channels = channels if channels is not None else LocalChannels()
        self.service = Service(kv, directory)

    @property
    def namespace(self) -> str:
        """The store's namespace (its plugin id)."""
        return str(getattr(self.kv, "plugin_id", "") or PLUGIN_ID)

    def deliver(self) -> None:
        """After a command committed messages: the ``deliver`` hook when one was given,
        else :meth:`deliver_now`. A delivery problem never fails the command that committed."""
        try:
            if self._deliver is not None:
                self._deliver()
            else:
                self.deliver_now()
        except Exception:
            log.exception("could not deliver the outbox")

    def deliver_now(self) -> delivery.DeliveryReport:
        """One delivery round of the outbox to ``poster``, here and now (``lotto.delivery``)."""
        return delivery.deliver(self.kv, self.message_text, self._post)

    def _post(self, message: OutboxMessage, text: str, earlier_ms: int | None) -> None:
        # The poster prints (the CLI) or records (tests): a repeat is harmless there.
        notice = message.notice
        if message.channel_id:
            self.poster.post(message.channel_id, notice.channel_name, text)
        else:
            self.poster.dm(notice.user_id, text)

    def message_text(self, message: OutboxMessage) -> str:
        """The Markdown text of an outbox message, written for its reader."""
        notice = message.notice
        # A channel post has many readers: it shows the zone the service chose (the rotation's).
        zone = self.zone_of(notice.user_id) if notice.user_id else (notice.zone or "UTC")
        return notice_text(notice, self.mention, zone)

    def mention(self, user_id: str) -> str:
        """``@username`` for a user id (``@id`` when the directory does not know it, or
        cannot answer: rendering a committed change must not fail it)."""
        if not user_id:
            return "the autopilot"
        profile = self._profile(user_id)
        return f"@{profile.username}" if profile is not None else f"@{user_id}"

    def zone_of(self, user_id: str) -> str:
        """The user's IANA zone from the directory (UTC when unknown or unanswered)."""
        profile = self._profile(user_id) if user_id else None
        return (profile.time_zone or "UTC") if profile is not None else "UTC"

    def _profile(self, user_id: str) -> Profile | None:
        try:
            return self.directory.by_id(user_id)
        except LottoError as exc:  # e.g. the chat server did not answer in time
            log.warning("could not look up user %s to render a reply: %s", user_id, exc)
            return None
