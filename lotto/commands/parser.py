"""Tokenizing and flag parsing for ``/lotto`` command lines.

The grammar follows the original's (pflag-style) conventions: ``--flag value``,
``--flag=value``, ``-r ID`` / ``-r=ID`` for short names, bare boolean flags
(``--force``; ``--force=false`` also works), ``--`` ends the flags, and a flag
that takes a value consumes the next token whatever it looks like (so
``--count -1`` reaches the count check instead of failing as an unknown flag).
Values are converted by the flag's kind; every failure is an
:class:`~lotto.errors.InputError` whose text names the flag and the value.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lotto.errors import InputError

__all__ = [
    "Flag",
    "Parsed",
    "KINDS",
    "tokenize",
    "parse_flags",
]

# kind -> human description of the expected value (for error messages and usage).
KINDS: dict[str, str] = {
    "bool": "",
    "str": "TEXT",
    "int": "N",
    "count": "N",
    "duration": "DURATION",
    "time": "TIME",
    "period": "PERIOD",
    "skill": "SKILL[-LEVEL]",
    "skills": "SKILL[-LEVEL][,...]",
    "names": "SKILL[,...]",
    "choice": "",
}


@dataclass(frozen=True)
class Flag:
    """One flag a command accepts: its long name, kind, optional short name and help."""

    name: str
    kind: str = "str"
    help: str = ""
    short: str | None = None
    choices: tuple[str, ...] = ()
    value_name: str = ""  # the placeholder when the kind's generic one says too little
    # Only plugin admins may give it, even on a command anyone may run (e.g. `--starting`).
    admin_only: bool = False

    @property
    def metavar(self) -> str:
        """The placeholder shown for the value in usage lines (empty for booleans)."""
        if self.value_name:
            return self.value_name
        if self.kind == "choice":
            return "|".join(self.choices)
        return KINDS[self.kind]

    def usage(self) -> str:
        """The flag as written in a usage synopsis, e.g. ``--count N``."""
        text = f"--{self.name}"
        if self.metavar:
            text += f" {self.metavar}"
        return text


@dataclass
class Parsed:
    """The result of parsing: positional arguments and converted flag values."""

    args: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # flag name -> the text typed for its value

    def has(self, name: str) -> bool:
        """Whether the flag was given on the command line."""
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        """The flag's converted value, or ``default`` when it was not given."""
        return self.values.get(name, default)


_SMART_DOUBLE_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})


# A lone UTF-16 surrogate: what a JSON "\ud800" or undecodable bytes (Python's
# surrogateescape) leave in a str. It cannot be encoded, so it can be neither stored nor shown.
_SURROGATE = re.compile("[\ud800-\udfff]")


def tokenize(text: str) -> list[str]:
    """Split a command line into tokens, honouring single and double quotes.

    Text that is not valid Unicode (a lone surrogate) is refused with InputError.
    """
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise InputError(
            f"the command holds text that is not valid Unicode (a lone surrogate, "
            f"U+{ord(bad.group()):04X}, as left by bytes that are not UTF-8); nothing was run."
        )
    # Chat clients also "smarten" typed double quotes; single ones are left alone, since
    # a curly apostrophe (don’t) inside a summary is no quote.
    text = text.translate(_SMART_DOUBLE_QUOTES)
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.whitespace += "\u00a0\u202f"  # no-break spaces, as pasted from web pages
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError as exc:
        raise InputError(
            f"could not read the command line ({exc}); close every quote you open.",
            text=text,
        ) from None
    # Chat clients "smarten" a typed "--" into an en or em dash.
    return [
        "--" + tok[1:] if tok[:1] in ("\u2013", "\u2014") and len(tok) > 1 else tok
        for tok in tokens
    ]


def parse_flags(
    tokens: list[str],
    flags: list[Flag] | tuple[Flag, ...],
    convert: Callable[[Flag, str], Any],
) -> Parsed:
    """Separate ``tokens`` into positionals and flag values (converted by ``convert``).

    ``convert(flag, raw)`` turns a raw string into the flag's value and raises
    :class:`InputError` for a bad one; boolean flags are handled here.
    """
    by_long = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    parsed = Parsed()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--":
            parsed.args.extend(tokens[i:])
            break
        if not token.startswith("-") or token == "-" or _is_number(token):
            parsed.args.append(token)
            continue
        if token.startswith("--"):
            name, eq, raw = token[2:].partition("=")
            flag = by_long.get(name)
            shown = f"--{name}"
        else:
            name, eq, raw = token[1:].partition("=")
            flag = by_short.get(name)
            shown = f"-{name}"
        if flag is None:
            raise InputError(f"unknown flag `{shown}`{_closest_flag(name, flags)}.", flag=shown)
        if flag.kind == "bool":
            if eq:
                parsed.values[flag.name] = _parse_bool(flag, raw)
            else:
                parsed.values[flag.name] = True
            continue
        if not eq:
            if i >= len(tokens):
                raise InputError(f"flag `{shown}` needs a value ({flag.metavar}).", flag=shown)
            raw = tokens[i]
            i += 1
            if flag.kind in _SPACED_KINDS:
                # `--duration 1 week`, `--start 10 Nov 2027`: a value people write with
                # spaces takes the longest run of following words that still reads as one.
                raw, i, value = _spaced(flag, tokens, i, raw, convert)
                parsed.values[flag.name] = value
                parsed.raw[flag.name] = raw
                continue
        parsed.values[flag.name] = convert(flag, raw)
        parsed.raw[flag.name] = raw
    return parsed


#: Flag kinds whose values people write with spaces, and how many words one may take.
_SPACED_KINDS = ("duration", "time")
_MAX_WORDS = 5


def _spaced(
    flag: Flag, tokens: list[str], i: int, raw: str, convert: Callable[[Flag, str], Any]
) -> tuple[str, int, Any]:
    """The flag's value from ``raw`` and up to :data:`_MAX_WORDS` - 1 following words (not
    flags, users or tasks): the longest run that converts; else ``raw`` alone, as typed."""
    words = []
    for token in tokens[i : i + _MAX_WORDS - 1]:
        if token.startswith(("-", "@", "~")) and not _is_number(token) or "#" in token:
            break
        words.append(token)
    for n in range(len(words), 0, -1):
        text = " ".join([raw, *words[:n]])
        try:
            return text, i + n, convert(flag, text)
        except InputError:
            continue
    return raw, i, convert(flag, raw)


def _closest_flag(name: str, flags: list[Flag] | tuple[Flag, ...]) -> str:
    """`` (did you mean `--x`?)`` for the flag most like ``name``, or ``""``."""
    close = difflib.get_close_matches(name, [f.name for f in flags], n=1, cutoff=0.6)
    return f" (did you mean `--{close[0]}`?)" if close else ""


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _parse_bool(flag: Flag, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "t", "1", "yes", "on"):
        return True
    if lowered in ("false", "f", "0", "no", "off"):
        return False
    raise InputError(
        f"`{raw}` is not a valid value for `--{flag.name}`: use true or false.",
        flag=flag.name,
        value=raw,
    )
