"""Errors of the kvstore package.

Tree (every error carries its context as attributes, e.g. ``key``)::

    KVError                         root; ``str(err)`` is one clear sentence
    ├── InvalidKeyError             empty or non-string key (also a ValueError)
    │   └── KeyTooLongError         key longer than 150 characters (Mattermost's limit)
    ├── InvalidArgumentError        bad plugin id, URL, expiry, paging or option mix
    │                               (also a ValueError)
    ├── ConflictError               a unit of work kept conflicting past its retry budget
    ├── FenceError                  a fenced unit of work found its lock lost; nothing was written
    └── BackendError                Redis failed: connection refused, timeout, error reply
        ├── NoAnswerError           Redis did not answer in time; nothing was written
        └── OutcomeUnknownError     a write was sent but no answer came: it may or may not
                                    have been applied

Every Redis round trip runs under a deadline (``KVStore.timeout`` seconds, or an
enclosing ``KVStore.deadline``), so these are raised within that bound, never
after a retry loop of its own. ``OutcomeUnknownError`` is the only error after
which a write may have landed; callers should say so and let the user look,
not blindly retry.

``ContextError`` is the domain-free base of ``KVError`` and of the other
packages' roots (``lotto.errors.LottoError``, ``shim.errors.ShimError``): a
message plus keyword context kept as attributes. It lives here because
``kvstore`` is the bottom of ``shim -> lotto -> kvstore``; catch a package's
own root, not ``ContextError``.
"""

from __future__ import annotations

__all__ = [
    "ContextError",
    "KVError",
    "InvalidKeyError",
    "KeyTooLongError",
    "InvalidArgumentError",
    "ConflictError",
    "FenceError",
    "BackendError",
    "NoAnswerError",
    "OutcomeUnknownError",
]


class ContextError(Exception):
    """An error with a message and its context: ``ContextError(message, **context)``.

    ``str(err)`` is ``message``; ``err.context`` is the keyword arguments, each
    also set as an attribute (``err.key``, ``err.rotation_id``, …).
    """

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context
        for name, value in context.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        return self.message


class KVError(ContextError):
    """Root of every kvstore error."""


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


class NoAnswerError(BackendError):
    """Redis did not answer within the deadline, and nothing that writes was sent."""


class OutcomeUnknownError(BackendError):
    """A write reached Redis's socket but no answer came: it may or may not have been applied."""
