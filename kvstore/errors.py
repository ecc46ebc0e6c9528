"""Errors of the kvstore package.

Tree (every error carries its context as attributes, e.g. ``key``)::

    KVError                         root; ``str(err)`` is one clear sentence
    ├── InvalidKeyError             empty or non-string key (also a ValueError)
    │   └── KeyTooLongError         key longer than 150 characters (Mattermost's limit)
    ├── InvalidArgumentError        bad plugin id, URL, expiry, paging or option mix (also a ValueError)
    ├── ConflictError               a unit of work kept conflicting until its retry budget was spent
    ├── FenceError                  a fenced unit of work found its lock lost; nothing was written
    └── BackendError                Redis failed: connection refused, timeout, error reply

A ``BackendError`` raised while a unit of work commits means the outcome is
unknown (the reply was lost); callers should report it, not blindly retry.
"""

from __future__ import annotations

__all__ = [
    "KVError",
    "InvalidKeyError",
    "KeyTooLongError",
    "InvalidArgumentError",
    "ConflictError",
    "FenceError",
    "BackendError",
]


class KVError(Exception):
    """Root of every kvstore error."""

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for name, value in context.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message


class InvalidKeyError(KVError, ValueError):
    """A key is empty or not a string."""


class KeyTooLongError(InvalidKeyError):
    """A key is longer than the Mattermost KV limit of 150 characters."""


class InvalidArgumentError(KVError, ValueError):
    """An argument other than the key is invalid (plugin id, URL, expiry, paging, options)."""


class ConflictError(KVError):
    """A unit of work found its reads changed at every one of its attempts."""


class FenceError(KVError):
    """A fenced unit of work's lock expired or passed to another holder before it committed."""


class BackendError(KVError):
    """The Redis backend failed (connection, timeout or error reply)."""
