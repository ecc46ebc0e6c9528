"""Property: any token sequence gives success or a clean error, and a failure changes nothing.

Hypothesis draws command lines from the real command words, flags, values
(good and bad) and junk, and runs them through ``execute`` against one store
that accumulates whatever the successful ones did.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kvstore
from kvstore.backends import discard_memory
from lotto import PLUGIN_ID
from lotto.commands.tree import ROOT, Command
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump

WORDS = [
    "/lotto",
    "info",
    "help",
    "rotation",
    "task",
    "user",
    "skill",
    "new",
    "list",
    "show",
    "archive",
    "autopilot",
    "set",
    "fill",
    "require",
    "limit",
    "shift",
    "ticket",
    "assign",
    "unassign",
    "schedule",
    "start",
    "finish",
    "qualify",
    "disqualify",
    "join",
    "leave",
    "unavailable",
    "delete",
]
FLAGS = [
    "--json",
    "--now",
    "--beginning",
    "--period",
    "--timezone",
    "--task-type",
    "--fill-type",
    "--seed",
    "--fuzz",
    "--off",
    "--create",
    "--create-prior",
    "--schedule",
    "--start-finish",
    "--skill",
    "-s",
    "--count",
    "--clear",
    "--duration",
    "--grace",
    "--number",
    "-n",
    "--summary",
    "--force",
    "--starting",
    "--start",
    "--finish",
    "--rotation",
    "-r",
    "--",
    "--count=2",
    "--skill=webapp-2",
    "--now=2020-01-01",
    "-h",
]
VALUES = [
    "ICE",
    "IC",
    "SET",
    "ICE#0",
    "ICE#1",
    "ICE#99",
    "@ann",
    "@bob",
    "@cid",
    "@",
    "ann",
    "webapp",
    "webapp-2",
    "webapp-9",
    "any",
    "lead-expert",
    "2",
    "0",
    "-1",
    "x",
    "1.5",
    "30m",
    "336h",
    "soon",
    "weekly",
    "monthly",
    "36h",
    "2020-03-05T09:00PST",
    "2020-01-01",
    "2020-13-01",
    "UTC",
    "America/Los_Angeles",
    "Mars/Base",
    "shift",
    "ticket",
    "queue",
    "solar-lottery",
    "true",
    "false",
    "'quoted words'",
    '"',
    "é",
    "#",
    ",",
    "=",
    "--x",
    "x" * 200,
    "@" + "z" * 200,
    "99999999999999999999",
    "9999-12-31T23:59",
    "0001-01-01",
    "999999999",
]
TOKENS = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(FLAGS),
    st.sampled_from(VALUES),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6),
)


def _paths(node=ROOT):
    for child in node.children.values():
        if isinstance(child, Command):
            yield list(child.path)
        else:
            yield from _paths(child)


# Mostly real command paths (so flags and values reach the handlers), sometimes word soup.
HEADS = st.one_of(
    st.sampled_from(list(_paths())),
    st.sampled_from(list(_paths())),
    st.lists(st.sampled_from(WORDS), max_size=3),
)

NOW = datetime(2020, 3, 1, tzinfo=UTC)

_URL = f"memory://property-{uuid.uuid4().hex}"
_KV = None
_SCRIPT: Script | None = None


def _script() -> Script:
    """One store for the whole property run, seeded with a rotation, users and a task."""
    global _KV, _SCRIPT
    if _SCRIPT is None:
        _KV = kvstore.open(_URL, PLUGIN_ID)
        _SCRIPT = Script(_KV)
        _SCRIPT.multi(
            """
            rotation new ICE --beginning 2020-03-05T09:00 --period weekly
            rotation new ICEBERG --beginning 2020-03-05T09:00
            rotation set require ICE --skill webapp --count 1
            rotation set limit ICE --count 3
            user qualify @ann -s webapp-2
            user join ICE @ann @bob @cid
            task new shift ICE --number 0
        """,
            now=NOW,
        )
    return _SCRIPT


def teardown_module(module):
    if _KV is not None:
        _KV.close()
        discard_memory(_URL)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=HEADS, tail=st.lists(TOKENS, min_size=0, max_size=8))
def test_any_tokens_give_success_or_a_clean_error(head, tail):
    s = _script()
    line = " ".join(head + tail)
    before = dump(s.kv)
    out = s.try_(line, now=NOW)
    if out.ok:
        assert out.text.strip(), line
        return
    assert_clean_error(out)
    assert dump(s.kv) == before, line
