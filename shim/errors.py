"""Errors of the shim package, and the one place they become HTTP answers.

Tree (every error carries its context as attributes)::

    ShimError                       root (a ``kvstore.errors.ContextError``); ``str(err)`` is
                                    short and safe to show
    ├── ConfigError                 missing or invalid configuration (exit code 2)
    ├── RequestError                a hostile or malformed HTTP request (400)
    │   ├── UnsupportedMediaError   wrong Content-Type (415)
    │   ├── PayloadTooLargeError    body over the size cap (413)
    │   └── RequestTimeoutError     the body did not arrive within --body-timeout (408)
    ├── AuthError                   missing or wrong token/secret (401)
    ├── UnknownUserError            the acting user id is not an active Mattermost user (403)
    ├── ForbiddenError              a signed URL whose signature is missing or wrong (403)
    ├── ResourceNotFoundError       the thing a URL names does not exist (404)
    ├── DisabledError               endpoint switched off in this process (404)
    ├── StoreUnavailable            the store (Redis) does not answer (503)
    └── MattermostError             the Mattermost REST API failed (502)
        └── MattermostUnavailable   connection refused, timeout, or 5xx after retries
            └── MattermostTimeout   no answer by the command's deadline

``http_status(err)`` and ``error_body(err)`` are the single mapping from
errors to HTTP answers; the routes in ``shim.app`` never pick codes themselves.
"""

from __future__ import annotations

from kvstore.errors import ContextError

__all__ = [
    "ShimError",
    "ConfigError",
    "RequestError",
    "UnsupportedMediaError",
    "PayloadTooLargeError",
    "RequestTimeoutError",
    "AuthError",
    "UnknownUserError",
    "ForbiddenError",
    "ResourceNotFoundError",
    "DisabledError",
    "StoreUnavailable",
    "MattermostError",
    "MattermostUnavailable",
    "MattermostTimeout",
    "http_status",
    "error_body",
]


class ShimError(ContextError):
    """Root of every shim error; the message is safe to show to a caller."""


class ConfigError(ShimError):
    """The process configuration is missing or invalid."""


class RequestError(ShimError):
    """The HTTP request is malformed (bad JSON, missing fields, ...)."""


class UnsupportedMediaError(RequestError):
    """The request body has the wrong Content-Type."""


class PayloadTooLargeError(RequestError):
    """The request body is larger than the shim accepts."""


class RequestTimeoutError(RequestError):
    """The client did not send the request body in time."""


class AuthError(ShimError):
    """The caller did not prove it is Mattermost (token) or the plugin (secret)."""


class UnknownUserError(ShimError):
    """The acting user id names no active Mattermost user (a forged or stale request)."""


class ForbiddenError(ShimError):
    """A signed URL (a calendar feed) without a valid signature."""


class ResourceNotFoundError(ShimError):
    """The resource a URL names (e.g. a rotation) does not exist."""

    #: The ``kind`` of its HTTP error body (unchanged by the rename that keeps the
    #: name distinct from ``lotto.errors.NotFoundError``).
    kind = "NotFoundError"


class DisabledError(ShimError):
    """The endpoint exists but is switched off in this process."""


class StoreUnavailable(ShimError):
    """The store (Redis) does not answer."""


class MattermostError(ShimError):
    """Mattermost answered a REST call with an error."""


class MattermostUnavailable(MattermostError):
    """Mattermost could not be reached, or kept failing, within the retry budget."""


class MattermostTimeout(MattermostUnavailable):
    """Mattermost did not answer a lookup by the deadline of the command that needed it."""


# Most specific first: the first matching class decides the status.
_STATUS: list[tuple[type[ShimError], int]] = [
    (UnsupportedMediaError, 415),
    (PayloadTooLargeError, 413),
    (RequestTimeoutError, 408),
    (RequestError, 400),
    (AuthError, 401),
    (UnknownUserError, 403),
    (ForbiddenError, 403),
    (ResourceNotFoundError, 404),
    (DisabledError, 404),
    (StoreUnavailable, 503),
    (MattermostError, 502),
    (ConfigError, 500),
]


def http_status(err: BaseException) -> int:
    """The HTTP status code that answers ``err``; unknown errors are 500."""
    for cls, status in _STATUS:
        if isinstance(err, cls):
            return status
    return 500


def error_body(err: BaseException) -> dict[str, str]:
    """A short JSON-able error body for ``err``; never a traceback."""
    if isinstance(err, ShimError):
        return {"error": err.message, "kind": getattr(type(err), "kind", type(err).__name__)}
    return {"error": "internal error, see the shim's log", "kind": "InternalError"}
