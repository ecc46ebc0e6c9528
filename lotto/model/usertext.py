"""Free text people type that the bot keeps and repeats (offer notes, ticket summaries).

Such text is stored as typed but bounded: longer than :data:`TEXT_LIMIT`
characters is refused, so a record, and every message that repeats it, stays
small. The command layer shows it inert (``lotto.commands.render.usertext``).
"""

from __future__ import annotations

from lotto.errors import InputError

__all__ = ["TEXT_LIMIT", "check_text"]

#: The most characters a note or summary may have (and the most the bot ever repeats).
TEXT_LIMIT = 500


def check_text(text: str, flag: str) -> str:
    """``text`` (typed with ``--flag``) when it is at most :data:`TEXT_LIMIT` characters;
    InputError otherwise."""
    if len(text) > TEXT_LIMIT:
        raise InputError(
            f"`--{flag}` is at most {TEXT_LIMIT} characters and this one has {len(text):,}: "
            "shorten it. Nothing was changed.",
            flag=flag,
            length=len(text),
        )
    return text
