"""The one place where failures become user text.

Every failure of a command is shown as a single paragraph: a
:class:`~lotto.errors.LottoError` by its own message (an input error also gets
the command's one-line usage; a refusal by the service's access rule names the
command), and anything unexpected as a generic message —
the traceback goes to the log, never to the user. Store (``kvstore``) failures
arrive here already translated into lotto errors by the service boundary
(``lotto.service.common.run``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from lotto.errors import AccessError, InputError, LottoError, OutcomeUnknownError, StoreError
from lotto.service.access import ADMIN, SELF

__all__ = ["error_text", "one_paragraph", "mention_users", "failure_reply"]

log = logging.getLogger("lotto.commands")


def one_paragraph(text: str) -> str:
    """Collapse line breaks so the text is a single paragraph."""
    return " ".join(part.strip() for part in text.strip().splitlines() if part.strip())


def error_text(
    exc: BaseException, *, command_line: str = "", usage: str = "", command: str = ""
) -> str:
    """The one-paragraph user text for ``exc`` (unexpected errors are logged with traceback).

    ``command`` names the command that failed (``/lotto task fill``): a refusal of the
    service's access rule says who may run it.
    """
    if isinstance(exc, LottoError):
        text = one_paragraph(str(exc)) or exc.__class__.__name__
        if isinstance(exc, AccessError) and command:
            text = _refusal_text(exc, command) or text
        elif isinstance(exc, InputError) and usage:
            text = f"{text} Usage: `{usage}`; add `help` for details."
        elif isinstance(exc, OutcomeUnknownError):
            log.warning("store gave no answer to the commit of %r: %s", command_line, exc)
            text = f"{text} Look with {_show_hint(command_line)} before running the command again."
        elif isinstance(exc, StoreError):
            detail = exc.context.get("detail")
            log.warning(
                "store failure running %r: %s%s",
                command_line,
                exc,
                f" ({detail})" if detail else "",
            )
        return text
    if isinstance(exc, OverflowError) or (
        isinstance(exc, ValueError) and "out of range" in str(exc)
    ):
        return (
            "a date in the command, or one computed from it, is outside the supported range "
            "(years 1 to 9999); nothing was changed."
        )
    log.exception("unexpected error running %r", command_line)
    return (
        "the command failed because of an internal error (it has been logged for the "
        "administrators); if it keeps happening, please report it."
    )


def _refusal_text(exc: AccessError, command: str) -> str:
    """A refusal for the access level the operation declared, naming ``command`` ("" if
    the service's own words say it: an owner refusal names the rotation's owners)."""
    level = exc.context.get("access")
    if level == ADMIN:
        return f"only plugin admins may run `{command}`; ask one of them. Nothing was changed."
    if level == SELF:
        return (
            f"only plugin admins may run `{command}` for other users; you may run it for "
            "yourself (leave out the `@username`s). Nothing was changed."
        )
    return ""


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


def mention_users(text: str, exc: BaseException, mention: Callable[[str], str]) -> str:
    """``text`` with the user ids an error names (``user_id``/``user_ids`` context) as ``@name``.

    The service only knows user ids (opaque 26-character strings in Mattermost);
    people know each other by username.
    """
    if not isinstance(exc, LottoError):
        return text
    listed = exc.context.get("user_ids")
    ids: list[object] = [
        exc.context.get("user_id"),
        *(listed if isinstance(listed, (list, tuple)) else []),
    ]
    for uid in dict.fromkeys(u for u in ids if isinstance(u, str) and u):

        def named(_match: re.Match[str], user_id: str = uid) -> str:
            return mention(user_id)  # looked up only when the id is in the text

        text = re.sub(rf"(?<![@\w#.-]){re.escape(uid)}(?![\w#-])", named, text)
    return text


def failure_reply(
    exc: BaseException,
    mention: Callable[[str], str],
    *,
    command_line: str = "",
    usage: str = "",
    command: str = "",
) -> str:
    """The reply for a failed command: :func:`error_text` with the users it names as
    ``@name`` (a directory outage keeps the ids rather than failing the reply)."""
    text = error_text(exc, command_line=command_line, usage=usage, command=command)
    try:
        return mention_users(text, exc, mention)
    except Exception:
        log.warning("could not name the users of an error", exc_info=True)
        return text
