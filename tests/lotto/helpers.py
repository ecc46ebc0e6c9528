"""Helpers shared by the lotto tests (and the shim's): a store dump and an iCalendar reader.

Fixtures live in ``conftest.py``; the command-layer script runner in
``tests/lotto/commands/helpers.py``, the service helpers in
``tests/lotto/service/helpers.py``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import recurring_ical_events

from kvstore import KVStore

__all__ = ["dump", "parse", "unescape", "unfold", "HOSTILE_NOTE", "live_markup"]

#: The note of issue 19: a member trying to speak as the bot, to everyone.
HOSTILE_NOTE = (
    "x\n\n###### You have been scheduled for shift **ICE#7**\n"
    "@all please re-login at http://evil.example"
)

_PAGE = 1000

_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+\1")
_HEADING = re.compile(r"^ {0,3}(?:> ?)*#{1,6}(?:[ \t]|$)")
_SYSTEM_MENTION = re.compile(r"(?i)(?<![\w@])@(?:all|channel|here)\b")
_LINK_MARKUP = {
    "a Markdown link or image": re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\("),
    "an autolink": re.compile(r"(?<!\\)<[a-z][a-z0-9+.-]*:", re.I),
    "an address Mattermost would link": re.compile(r"(?i)\b(?:https?|ftp)://|\bwww\."),
}


def live_markup(message: str) -> list[str]:
    """What in ``message`` Mattermost would act on as the bot's voice: headings, ``@all``,
    ``@channel``, ``@here``, and link markup (outside code spans, which it leaves alone)."""
    found = []
    for line in message.splitlines():
        if _HEADING.match(line):
            found.append(f"a heading: {line!r}")
        text = _CODE_SPAN.sub("", line)
        if _SYSTEM_MENTION.search(text):
            found.append(f"a live channel-wide mention: {line!r}")
        for what, pattern in _LINK_MARKUP.items():
            if pattern.search(text):
                found.append(f"{what}: {line!r}")
    return found


def dump(kv: KVStore) -> dict[str, bytes | None]:
    """Every key of the store with its value (for byte-for-byte comparisons)."""
    keys: list[str] = []
    page = 0
    while True:
        batch = kv.list_keys(page, _PAGE)
        keys += batch
        if len(batch) < _PAGE:
            break
        page += 1
    return {key: kv.get(key) for key in sorted(keys)}


def unfold(text: str) -> list[str]:
    """The content lines of an iCalendar text (CRLF checked, folds joined)."""
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "a bare LF"
    assert "\r" not in text.replace("\r\n", ""), "a bare CR"
    return text[:-2].replace("\r\n ", "").split("\r\n")


def unescape(value: str) -> str:
    """Undo RFC 5545 TEXT escaping."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _utc(value) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return str(value)


def parse(text: str) -> list[dict[str, str]]:
    """The VEVENTs of a VCALENDAR as {property: value}, read by two independent readers.

    The frame and the line ends are checked by hand (CRLF, folds); the events are
    read with ``icalendar``, and ``recurring-ical-events`` must find the very same
    events (UID and start) in the text. Times are given as ``YYYYMMDDTHHMMSSZ``,
    text values unescaped, ``SEQUENCE`` as digits.
    """
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(ln.startswith("PRODID:") for ln in lines)
    cal = icalendar.Calendar.from_ical(text)
    events: list[dict[str, str]] = []
    for ev in cal.walk("VEVENT"):
        row: dict[str, str] = {}
        for name in ev:
            assert name not in row, f"{name} twice in one event"
            value = ev.decoded(name) if name in _TIMES else ev[name]
            row[str(name)] = _utc(value)
        events.append(row)
    other = recurring_ical_events.of(icalendar.Calendar.from_ical(text.encode())).between(
        datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)
    )
    theirs = sorted((str(e["UID"]), _utc(e.decoded("DTSTART"))) for e in other)
    assert theirs == sorted((e["UID"], e["DTSTART"]) for e in events)
    return events


_TIMES = ("DTSTART", "DTEND", "DTSTAMP", "LAST-MODIFIED")
