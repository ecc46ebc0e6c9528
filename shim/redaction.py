"""Secrets and internal addresses out of what the shim prints, logs and answers.

- :class:`Redactor` masks, in any text and (as a ``logging.Filter``) in every log
  line and traceback, the credentials of each URL (``scheme://user:***@host``),
  secret-looking query parameters (``token=``, ``sig=``, ``secret=``,
  ``password=``, ``key=``) and every secret value of the configuration (the bot
  token, the slash tokens, the shared secret, URL passwords), wherever they appear.
  ``shim.server`` puts one on the log handler, ``shim.runtime`` on the admin-log
  handler (whose lines become DMs).
- :func:`hide_addresses` replaces IP addresses, ``host:port`` pairs and URLs in an
  error meant for a user: what Redis or Mattermost is reachable at is the
  operator's business (it stays in the log).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["Redactor", "hide_addresses", "MASK"]

MASK = "***"
# scheme://userinfo@ — userinfo is "user:password" or a bare token; "@" may not follow "/".
_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)([^/\s@]*)@")
_SECRET_PARAM = re.compile(
    r"([?&;](?:[a-z_]*token|sig|signature|secret|password|passwd|key)=)[^&\s#\"']*",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:redis|rediss|unix|https?)://[^\s,;)\"']+", re.IGNORECASE)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b")
_IPV6 = re.compile(r"\[[0-9a-fA-F:.]+\](?::\d{1,5})?")
_HOST_PORT = re.compile(r"\b(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+):\d{2,5}\b")


def _userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group(2).partition(":")
    return f"{match.group(1)}{user}:{MASK}@" if colon else f"{match.group(1)}{MASK}@"


class Redactor(logging.Filter):
    """Masks URL credentials, secret query parameters and the given secret values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these values too (e.g. once the configuration is loaded)."""
        merged = {*self.secrets, *(s for s in secrets if s)}
        self.secrets = tuple(sorted(merged, key=len, reverse=True))  # longest first

    def text(self, text: str) -> str:
        """``text`` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        text = _USERINFO.sub(_userinfo, text)
        return _SECRET_PARAM.sub(rf"\1{MASK}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` (message, arguments, traceback) masked; never drops it."""
        message = record.getMessage()
        masked = self.text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.text(record.stack_info)
        return True


def hide_addresses(text: str) -> str:
    """``text`` without URLs, IP addresses and ``host:port`` pairs (for user-facing errors)."""
    text = _URL.sub("<address>", text)
    text = _IPV6.sub("<address>", text)
    text = _IPV4.sub("<address>", text)
    return _HOST_PORT.sub("<address>", text)
