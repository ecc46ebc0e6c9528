"""Errors of the kvstore package.

Tree (every error carries its context as attributes, e.g. ``key``)::

    KVError                         root; ``str(err)`` is one clear sentence
    ├── InvalidKeyError             empty or non-string key (also a ValueError)
    │   └── KeyTooLongError         key longer than 150 characters (Mattermost's limit)
    ├── InvalidArgumentError        bad plugin id, URL, expiry, paging or option mix
    │                               (also a ValueError)
    ├── CommitConflictError         a unit of work kept conflicting past its retry budget
    ├── FenceError                  a fenced unit of work found its lock lost; nothing was written
    └── BackendError                the engine failed: connection refused, timeout, error reply,
        │                           a file that cannot be opened
        ├── BackendNoAnswerError    it did not answer in time (Redis frozen, the SQLite file
        │                           kept busy by other writers); nothing was written
        └── BackendOutcomeUnknownError
                                    a write was sent but no answer came: it may or may not
                                    have been applied (Redis only: a SQLite transaction
                                    either commits or rolls back in this process)

Every round trip runs under a deadline (``KVStore.timeout`` seconds, or an
enclosing ``KVStore.deadline``), so these are raised within that bound, never
after a retry loop of its own. ``BackendOutcomeUnknownError`` is the only error
after which a write may have landed; callers should say so and let the user
look, not blindly retry. A ``BackendError`` carries ``operation``, ``key`` (the
KV key or lock/queue name, when there is one), ``url`` (password masked) and
``engine`` (``"Redis"`` or ``"SQLite"``, for messages).

The names are distinct from the other packages' (``lotto.errors.ConflictError``,
``lotto.errors.NoAnswerError``, …), so no import needs an ``as`` alias.

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
    "CommitConflictError",
    "FenceError",
    "BackendError",
    "BackendNoAnswerError",
    "BackendOutcomeUnknownError",
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


class CommitConflictError(KVError):
    """A unit of work found its reads changed at every one of its attempts."""


class FenceError(KVError):
    """A fenced unit of work's lock expired or passed to another holder before it committed."""


class BackendError(KVError):
    """The storage engine failed (connection, timeout, error reply, unusable file)."""


class BackendNoAnswerError(BackendError):
    """The engine did not answer within the deadline, and nothing that writes was applied."""


class BackendOutcomeUnknownError(BackendError):
    """A write reached Redis's socket but no answer came: it may or may not have been applied."""
