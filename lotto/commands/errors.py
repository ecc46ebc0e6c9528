"""The one place where failures become user text.

Every failure of a command is shown as a single paragraph: a
:class:`~lotto.errors.LottoError` by its own message (an input error also gets
the command's one-line usage), a store conflict as "try again", and anything
unexpected as a generic message — the traceback goes to the log, never to the
user.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from lotto.errors import InputError, LottoError

__all__ = ["error_text", "one_paragraph", "mention_users"]

log = logging.getLogger("lotto.commands")


def one_paragraph(text: str) -> str:
    """Collapse line breaks so the text is a single paragraph."""
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def error_text(exc: BaseException, *, command_line: str = "", usage: str = "") -> str:
    """The one-paragraph user text for ``exc`` (unexpected errors are logged with traceback)."""
    if isinstance(exc, LottoError):
        text = one_paragraph(str(exc)) or exc.__class__.__name__
        if isinstance(exc, InputError) and usage:
            text = f"{text} Usage: `{usage}`; add `help` for details."
        return text
    if _is_kv_key_error(exc):
        return (
            "a name in the command is too long or malformed to be stored "
            "(user, rotation, task and skill names must stay short); nothing was changed."
        )
    if isinstance(exc, OverflowError) or (
        isinstance(exc, ValueError) and "out of range" in str(exc)
    ):
        return (
            "a date in the command, or one computed from it, is outside the supported range "
            "(years 1 to 9999); nothing was changed."
        )
    unanswered = _kv_unanswered(exc)
    if unanswered == "unknown":
        log.warning("store gave no answer to the commit of %r: %s", command_line, exc)
        return (
            "the store (Redis) took the change but did not answer in time, so it may or may "
            f"not have been saved. Look with {_show_hint(command_line)} before running the "
            "command again."
        )
    if unanswered == "none":
        log.warning("store did not answer running %r: %s", command_line, exc)
        return (
            "the store (Redis) did not answer in time; nothing was changed. Check that Redis "
            "is up and not overloaded, then run the command again."
        )
    if _is_kv_backend_error(exc):
        log.warning("store failure running %r: %s", command_line, exc)
        detail = one_paragraph(str(exc)).rstrip(".")
        return (
            f"the store failed ({detail}). Check that Redis is up and reachable; a command's "
            "changes are saved entirely or not at all, so look with a `show` command before "
            "running it again."
        )
    if _is_kv_conflict(exc):
        return (
            "the command could not be saved because the same records kept changing "
            "while it ran; nothing was changed, please run it again."
        )
    log.exception("unexpected error running %r", command_line)
    return (
        "the command failed because of an internal error (it has been logged for the "
        "administrators); if it keeps happening, please report it."
    )


def _is_kv_key_error(exc: BaseException) -> bool:
    try:
        from kvstore.errors import InvalidKeyError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, InvalidKeyError)


def _kv_unanswered(exc: BaseException) -> str:
    """ "unknown" if a sent change got no answer, "none" if Redis did not answer, else ""."""
    try:
        from kvstore.errors import NoAnswerError, OutcomeUnknownError
    except ImportError:  # pragma: no cover
        return ""
    if isinstance(exc, OutcomeUnknownError):
        return "unknown"
    return "none" if isinstance(exc, NoAnswerError) else ""


# The command that shows what a command of each group changes.
_SHOW = {
    "task": "`/lotto task show TASK`",
    "user": "`/lotto user show` (or `/lotto rotation show ROTATION`)",
    "skill": "`/lotto skill list`",
}


def _show_hint(command_line: str) -> str:
    words = command_line.split()
    if words[:1] and words[0].startswith("/"):
        words = words[1:]
    return _SHOW.get(words[0] if words else "", "`/lotto rotation show ROTATION`")


def _is_kv_backend_error(exc: BaseException) -> bool:
    try:
        from kvstore.errors import BackendError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, BackendError)


def _is_kv_conflict(exc: BaseException) -> bool:
    try:
        from kvstore.errors import ConflictError as KVConflict
    except ImportError:  # kvstore not built yet; nothing to match
        return False
    return isinstance(exc, KVConflict)


def mention_users(text: str, exc: BaseException, mention: Callable[[str], str]) -> str:
    """``text`` with the user ids an error names (its ``user_id``/``user_ids`` context) as ``@username``.

    The service only knows user ids (opaque 26-character strings in Mattermost);
    people know each other by username.
    """
    if not isinstance(exc, LottoError):
        return text
    ids = exc.context.get("user_ids") or []
    if exc.context.get("user_id"):
        ids = [exc.context["user_id"], *ids]
    for uid in dict.fromkeys(u for u in ids if isinstance(u, str) and u):
        text = re.sub(
            rf"(?<![@\w#.-]){re.escape(uid)}(?![\w#-])", lambda _m, u=uid: mention(u), text
        )
    return text
