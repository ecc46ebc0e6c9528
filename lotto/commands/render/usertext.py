"""Text a member typed, as the bot repeats it: capped and inert (the one place it is made so).

Offer notes and ticket summaries reach other people in the bot's voice, so they
must not be able to look like the bot or reach beyond their readers. What Mattermost
would act on is disarmed (docs/design.md §5, "Text people type"):

- at most :data:`~lotto.model.usertext.TEXT_LIMIT` characters are shown (``…`` after);
  control and invisible format characters (bidirectional overrides, zero-width
  characters) are dropped, blank lines collapsed;
- in a message, every line is quoted (``> ``), so it reads as someone's words;
  in a reply's line, the lines are joined with `` / ``;
- Markdown is escaped with backslashes (``\\ ` * _ ~ [ ] < | &``, and a heading,
  quote, list or rule marker opening a line: ``# > - + = 1.``), so there are no
  headings, links, images, emphasis, tables or code blocks;
- web addresses (``scheme://…``, ``www.…``, ``mailto:``/``tel:``) are shown in code
  spans: Mattermost does not autolink inside code, so they are text, not links;
- ``@`` gets an invisible WORD JOINER (U+2060) after it, and so do ``~`` before a
  channel name and ``#`` before a letter: Mattermost splits words on it, so
  ``@all``, ``@channel``, ``@here``, ``@user``, ``~channel`` and ``#hashtag`` mention,
  link and search nothing, and they still read as typed.
"""

from __future__ import annotations

import re
import unicodedata

from lotto.model.usertext import TEXT_LIMIT

__all__ = ["user_text", "JOINER"]

#: U+2060 WORD JOINER: invisible, and a word boundary to Mattermost's mention parser.
JOINER = "\u2060"

# What Mattermost autolinks: an explicit scheme with slashes, www. hosts, mailto:/tel:.
_URL = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.\-]*://|\bwww\d{0,3}\.|\bmailto:|\btel:)[^\s`<>]*")
# Trailing punctuation is the sentence's, not the address's.
_URL_TAIL = ".,;:!?)]}'\""
_ESCAPED = set("\\`*_~[]<|&")
# Markers that act only at the start of a line: headings, quotes, bullets, setext and rule
# lines, ordered lists.
_LINE_START = re.compile(r"^(?:[-+=#>]|\d+(?=[.)]))")
_NEWLINES = re.compile(r"\r\n|[\r\u2028\u2029\x0b\x0c\x85]")


def user_text(text: str, *, inline: bool = False, limit: int = TEXT_LIMIT) -> str:
    """``text`` capped at ``limit`` characters and made inert (see the module doc): quoted
    lines for a message, or one line (``inline``) for a reply's list."""
    lines = _lines(text, limit)
    if inline:
        return " / ".join(_line(line) for line in lines if line)
    return "\n".join(f"> {_line(line)}" if line else ">" for line in lines)


def _lines(text: str, limit: int) -> list[str]:
    """The cleaned, capped lines: no control or format characters, blank runs collapsed."""
    text = _NEWLINES.sub("\n", text)
    text = "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs")
    )
    text = text.replace("\t", " ").strip()
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return lines


def _line(line: str) -> str:
    """One line made inert: addresses in code spans, the rest escaped and disarmed."""
    out: list[str] = []
    at = 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(_URL_TAIL)
        if not url:
            continue
        out.append(_plain(line[at : match.start()]))
        out.append(f"`{url}`")
        at = match.start() + len(url)
    out.append(_plain(line[at:]))
    return _line_start("".join(out))


def _line_start(line: str) -> str:
    """Escape a marker opening the line (``#``, ``>``, ``-``, ``+``, ``=``, ``1.``)."""
    match = _LINE_START.match(line)
    if match is None:
        return line
    if match.group(0)[0].isdigit():  # "1." -> "1\.": the digits stay, the dot is escaped
        return match.group(0) + "\\" + line[match.end() :]
    return "\\" + line


def _plain(text: str) -> str:
    """Escape Markdown in ``text``; neutralise mentions, channel links and hashtags."""
    out = []
    for i, c in enumerate(text):
        out.append("\\" + c if c in _ESCAPED else c)
        after = text[i + 1 : i + 2]
        if c == "@" or (c == "~" and after.isalnum()) or (c == "#" and after.isalpha()):
            out.append(JOINER)
    return "".join(out)
