"""Errors of the lotto package.

Tree (every error carries its context as attributes, e.g. ``rotation_id``)::

    LottoError                      root; ``str(err)`` is a one-paragraph user-facing text
    ├── InputError                  bad command input: unknown command/flag, bad value
    │   ├── BadTimeError            unparseable time, zone or duration
    │   └── BadSkillError           unparseable skill-level
    ├── NotFoundError               unknown rotation, task or user
    │   └── AmbiguousError          a rotation name matches several rotations
    ├── StateError                  operation not allowed in the task's current state
    ├── LimitError                  an assignment would break a Limit
    ├── OverlapError                a new shift overlaps an existing task
    ├── InsufficientError           a fill could not meet every Require (docs/design.md §3)
    ├── NeedsForceError             a change that is likely a mistake: refused without ``--force``
    ├── AccessError                 the acting user may not run this command
    ├── ConflictError               the store kept changing under the command (retries exhausted)
    ├── StoreError                  the store failed (unreachable, timeout, error reply)
    │   ├── NoAnswerError           the store did not answer in time; nothing was changed
    │   └── OutcomeUnknownError     a change was sent but not answered: it may have been saved
    └── DeliveryError               a message could not be delivered (``permanent``: never will be)

The service boundary (``lotto.service.common.run``) is the one place where
``kvstore`` errors become these; the command layer (``lotto.commands``) maps
these to user text in one place.
Add new classes here, under the root, and keep this docstring in step.
"""

from __future__ import annotations

from kvstore.errors import ContextError

__all__ = [
    "LottoError",
    "InputError",
    "BadTimeError",
    "BadSkillError",
    "NotFoundError",
    "AmbiguousError",
    "StateError",
    "LimitError",
    "OverlapError",
    "InsufficientError",
    "NeedsForceError",
    "AccessError",
    "ConflictError",
    "StoreError",
    "NoAnswerError",
    "OutcomeUnknownError",
    "DeliveryError",
]


class LottoError(ContextError):
    """Root of every lotto error; the message is safe to show to a user."""


class InputError(LottoError):
    """The command's input is malformed."""


class BadTimeError(InputError):
    """A time, time zone or duration could not be parsed."""


class BadSkillError(InputError):
    """A skill-level could not be parsed."""


class NotFoundError(LottoError):
    """A named rotation, task or user does not exist."""


class AmbiguousError(NotFoundError):
    """A rotation name matches more than one rotation."""


class StateError(LottoError):
    """The operation is not allowed in the task's current state."""


class LimitError(LottoError):
    """Assigning the user(s) would break a Limit of the task."""


class OverlapError(LottoError):
    """A new shift would overlap an existing task of the rotation."""


class InsufficientError(LottoError):
    """A fill could not meet every Require of the task."""


class NeedsForceError(LottoError):
    """A change that is most likely a mistake (a past or far-off time, an overlong
    duration): refused unless ``--force`` is given. ``overrides`` says what the flag
    would override; the message names the flag."""


class AccessError(LottoError):
    """The acting user is not allowed to run this command."""


class ConflictError(LottoError):
    """Concurrent changes kept invalidating the command; nothing was written."""


class StoreError(LottoError):
    """The store failed (unreachable, timed out, answered an error); a commit's outcome
    may be unknown, so the user should look before running the command again."""


class NoAnswerError(StoreError):
    """The store did not answer in time and nothing that writes was sent."""


class OutcomeUnknownError(StoreError):
    """A commit was sent but no answer came: the change may or may not have been saved."""


class DeliveryError(LottoError):
    """A message could not be delivered now; ``permanent=True`` when it never will be."""
