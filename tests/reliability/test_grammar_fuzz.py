"""A grammar-aware fuzz of the command language (hypothesis).

Lines are built from the command tree itself (``lotto.commands.tree``): a real command
path (sometimes cut short or with a word changed), the positional arguments its
synopsis names (rotations known, abbreviated, ambiguous or unknown; task ids well-
and ill-formed; users; skills), and its real flags — long, ``--flag=value`` and short
spellings, repeated or unknown — with plausible and implausible values for each
flag's kind. Every line must give a reply, never an internal error, and a failed
command must leave the store byte-for-byte unchanged.

At least 1,000 examples; ``LOTTO_RELIABILITY=full`` runs 10,000.
"""

from __future__ import annotations

import re
import shlex
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kvstore
from kvstore.backends import discard_memory
from lotto import PLUGIN_ID
from lotto.commands.parser import Flag
from lotto.commands.tree import ROOT, Command, Group
from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.reliability.support import scale

EXAMPLES = scale(1000, 10000)
NOW = datetime(2020, 3, 1, tzinfo=UTC)
SEED = """
    rotation new ICE --beginning 2020-03-05T09:00 --period weekly
    rotation new ICEBERG --beginning 2020-03-05T09:00
    rotation new DESK --task-type ticket --fill-type queue
    rotation set require ICE --skill webapp --count 1
    rotation set limit ICE --count 3
    rotation set autopilot ICE --create --create-prior 100h --schedule --schedule-prior 50h
    skill new webapp
    user qualify @ann -s webapp-2,server-1
    user join ICE @ann @bob @cid
    user join DESK @ann @dan
    task new shift ICE --number 0
    task new shift ICE --number 1
    task fill ICE#1
    task new ticket DESK --summary 'printer on fire'
    task assign DESK#1 @dan
    task schedule DESK#1
    task start DESK#1
"""
RESEED_EVERY = 150  # examples; successful commands pile up (and archive things) otherwise


def _commands(node: Group = ROOT) -> list[Command]:
    out: list[Command] = []
    for child in node.children.values():
        out += [child] if isinstance(child, Command) else _commands(child)
    return out


COMMANDS = _commands()
WORDS = sorted({w for c in COMMANDS for w in c.path})

JUNK = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
BIG = ["99999999999999999999", "999999999", "1e9", "-0", "0x10", "1_000", "٣"]

ROTATIONS = st.sampled_from(["ICE", "ICEBERG", "DESK", "IC", "CE", "BERG", "NOPE", "ice", ""])
TASKS = st.one_of(
    st.sampled_from(["ICE#0", "ICE#1", "ICE#99", "DESK#1", "DESK#2", "NOPE#0", "ICE", "#3"]),
    st.sampled_from(["ICE#-1", "ICE#x", "ICE##1", "IC#0", "ICEBERG#0", "DESK#1#1"]),
    st.integers(-3, 1200).map(lambda n: f"ICE#{n}"),
)
USERS = st.one_of(
    st.sampled_from(["@ann", "@bob", "@cid", "@dan", "@eve", "@", "@@ann", "ann", "@a b"]),
    st.sampled_from(["@" + "z" * 70, "@-x", "@ann,bob", "@é"]),
)
SKILL_NAMES = ["webapp", "server", "any", "lead", "web app", "", "-", "é", "x" * 80]
SKILL = st.one_of(
    st.sampled_from(SKILL_NAMES),
    st.tuples(
        st.sampled_from(SKILL_NAMES), st.sampled_from(["1", "2", "4", "0", "9", "expert", "x"])
    ).map("-".join),
)
INTS = st.one_of(
    st.integers(-3, 60).map(str),
    st.sampled_from(["0", "1", "2", "-1", "x", "1.5", "", *BIG]),
)
DURATIONS = st.one_of(
    st.sampled_from(["30m", "24h", "100h", "336h", "1h30m", "0", "0h", "-1h", "soon", "7d"]),
    st.sampled_from(["9999999h", "1.5h", "h", "1w", "", "876000h"]),
    st.integers(-5, 2000).map(lambda n: f"{n}h"),
)
TIMES = st.one_of(
    st.sampled_from(["2020-03-05T09:00", "2020-03-01", "2020-01-01", "2020-03-05T09:00PST"]),
    st.sampled_from(["2020-13-01", "9999-12-31T23:59", "0001-01-01", "now", "tomorrow", ""]),
    st.sampled_from(["2020-03-08T02:30", "2020-02-30", "2020-03-05T25:00", "1589472000"]),
    st.dates(min_value=datetime(1, 1, 2).date(), max_value=datetime(9999, 12, 30).date()).map(str),
)
PERIODS = st.sampled_from(["weekly", "daily", "biweekly", "monthly", "fortnightly", "3d", "", "x"])
ZONES = st.sampled_from(["UTC", "America/Los_Angeles", "Europe/Berlin", "Mars/Base", "", "utc"])
TEXT = st.one_of(st.sampled_from(["hello", "'two words'", '"', "x" * 300, "#1"]), JUNK)

BY_KIND = {
    "int": INTS,
    "count": INTS,
    "duration": DURATIONS,
    "time": TIMES,
    "period": PERIODS,
    "skill": SKILL,
    "skills": st.lists(SKILL, min_size=1, max_size=3).map(",".join),
    "names": st.lists(st.sampled_from(SKILL_NAMES), min_size=1, max_size=3).map(",".join),
}


def _flag_value(flag: Flag) -> st.SearchStrategy[str]:
    if flag.kind == "choice":
        return st.one_of(st.sampled_from(flag.choices), st.sampled_from(["bogus", ""]))
    if flag.name == "rotation":
        return ROTATIONS
    if flag.name == "timezone":
        return ZONES
    strategy = BY_KIND.get(flag.kind, TEXT)
    # now and then a value meant for another kind (implausible here)
    return st.one_of(strategy, strategy, strategy, TEXT, TIMES, INTS)


def _quote(token: str) -> str:
    return shlex.quote(token) if token and not re.fullmatch(r"[^\s'\"\\]+", token) else token


@st.composite
def flag_tokens(draw, flag: Flag) -> list[str]:
    """One use of ``flag``: long, ``--flag=value`` or short; bools maybe with ``=value``."""
    names = [f"--{flag.name}"] + ([f"-{flag.short}"] if flag.short else [])
    name = draw(st.sampled_from(names))
    if flag.kind == "bool":
        suffix = draw(st.sampled_from(["", "", "", "=true", "=false", "=maybe"]))
        return [name + suffix]
    value = draw(_flag_value(flag))
    if draw(st.booleans()):
        return [f"{name}={_quote(value)}"]
    # a missing value now and then (the flag ends the line or meets the next flag)
    return [name] if draw(st.integers(0, 15)) == 0 else [name, _quote(value)]


def _positionals(cmd: Command) -> list[st.SearchStrategy[list[str]]]:
    """A strategy per word of the synopsis before its flags."""
    out: list[st.SearchStrategy[list[str]]] = []
    for word in cmd.synopsis.split():
        if word.startswith(("--", "[--")):
            break
        bare = word.strip("[]")
        if bare == "R":
            out.append(ROTATIONS.map(lambda r: [r] if r else []))
        elif bare == "ID":
            out.append(TASKS.map(lambda t: [t]))
        elif bare.startswith("@user"):
            out.append(st.lists(USERS, max_size=3).map(lambda us: [_quote(u) for u in us]))
        elif bare == "NAME":
            out.append(
                st.one_of(ROTATIONS, st.sampled_from(["NEW", "N#1", "a/b", "x" * 120]), JUNK).map(
                    lambda n: [_quote(n)] if n else []
                )
            )
        elif bare == "SKILL":
            out.append(st.sampled_from(SKILL_NAMES).map(lambda s: [_quote(s)] if s else []))
    return out


@st.composite
def command_lines(draw) -> str:
    """A command line of the real grammar, with plausible and implausible parts."""
    cmd = draw(st.sampled_from(COMMANDS))
    path = list(cmd.path)
    shape = draw(st.integers(0, 19))
    if shape == 0 and len(path) > 1:
        path = path[: draw(st.integers(1, len(path) - 1))]  # a group, not a command
    elif shape == 1:
        path[draw(st.integers(0, len(path) - 1))] = draw(st.sampled_from(WORDS + ["bogus"]))
    parts: list[list[str]] = [draw(p) for p in _positionals(cmd)]
    flags = cmd.all_flags
    for _ in range(draw(st.integers(0, 4))):
        parts.append(draw(flag_tokens(draw(st.sampled_from(flags)))))
    if draw(st.integers(0, 9)) == 0:
        parts.append([draw(st.sampled_from(["--bogus", "-z", "--", "--=1", "-", "help"]))])
    if draw(st.integers(0, 9)) == 0:
        parts.append([_quote(draw(JUNK))])
    if draw(st.integers(0, 4)) == 0:  # flags before positionals, or any order
        parts = draw(st.permutations(parts))
    head = ["/lotto"] if draw(st.booleans()) else []
    return " ".join(head + path + [t for part in parts for t in part])


def dump(kv: kvstore.KVStore) -> dict[str, bytes | None]:
    """Every key of the store with its value, read in one batch (the store stays small)."""
    return kv.get_many(kv.list_keys(0, 100_000))


_URL = f"memory://grammar-fuzz-{uuid.uuid4().hex}"
_STATE: dict[str, object] = {"calls": 0}


def _script() -> Script:
    """The shared store, seeded afresh every RESEED_EVERY examples."""
    calls = _STATE["calls"] = int(_STATE["calls"]) + 1  # type: ignore[call-overload]
    script = _STATE.get("script")
    if script is None or calls % RESEED_EVERY == 0:
        if script is None:
            kv = kvstore.open(_URL, PLUGIN_ID)
            script = _STATE["script"] = Script(kv)
        assert isinstance(script, Script)
        script.kv.delete_all()
        script.multi(SEED, now=NOW)
    assert isinstance(script, Script)
    return script


def teardown_module(module):
    script = _STATE.get("script")
    if isinstance(script, Script):
        script.kv.close()
    discard_memory(_URL)
    print(f"\ngrammar fuzz: {_STATE['calls']} command lines, {_STATE.get('ok', 0)} succeeded")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(line=command_lines())
def test_grammar_fuzz_gives_a_reply_or_a_clean_error_and_failures_change_nothing(line):
    s = _script()
    before = dump(s.kv)
    out = s.try_(line, now=NOW)
    if out.ok:
        _STATE["ok"] = int(_STATE.get("ok", 0)) + 1  # type: ignore[call-overload]
        assert out.text.strip(), line
        return
    assert_clean_error(out)
    assert dump(s.kv) == before, line
