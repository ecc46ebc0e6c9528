"""Bad input: a clear one-paragraph error, no traceback, and the store byte-for-byte unchanged."""

from __future__ import annotations

import pytest

from tests.lotto.commands.helpers import Script, assert_clean_error
from tests.lotto.helpers import dump

SETUP = """
    rotation new ICE --beginning 2020-03-05T09:00 --period weekly
    rotation new ICEBERG --beginning 2020-03-05T09:00 --period weekly
    rotation new TIX --task-type ticket
    rotation set require ICE --count 2
    rotation set limit ICE --skill any --count 2
    user join ICE @ann @bob @cid
    task new shift ICE --number 1
    task assign ICE#1 @ann @bob
"""

BAD = [
    # (command, a phrase the error must contain)
    ("bogus", "unknown command `bogus`"),
    ("rotation frobnicate ICE", "unknown command `frobnicate`"),
    ("rotation set colour ICE", "unknown command `colour`"),
    ("rotation new X --colour red", "unknown flag `--colour`"),
    ("rotation new X -q", "unknown flag `-q`"),
    ("rotation new X --beginning", "needs a value"),
    ("task assign ICE#1 @cid --force=perhaps", "true or false"),
    ("rotation new X --beginning someday", "--beginning"),
    ("rotation new X --beginning 2020-13-45", "--beginning"),
    ("rotation new X --period sometimes", "--period"),
    ("rotation new X --timezone Mars/Olympus", "Mars/Olympus"),
    ("rotation new X --task-type chore", "shift, ticket"),
    ("rotation new", "rotation name is required"),
    ("rotation new X Y", "unexpected argument `Y`"),
    ("rotation set task ICE --duration 5 parsecs", "--duration"),
    ("rotation set task ICE extra --grace 1h", "only one rotation"),
    ("rotation set task ICE --duration 5x", "--duration"),
    ("rotation set task ICE --grace soon", "--grace"),
    ("rotation set require ICE --skill webapp-7", "--skill"),
    ("rotation set require ICE --skill web-app-2", "--skill"),
    ("rotation set require ICE --count two", "whole number"),
    ("rotation set require ICE --count -1", "negative"),
    ("rotation set fill ICE --seed 1.5", "whole number"),
    ("user qualify @ann --skill webapp-9", "--skill"),
    ("user qualify @ann", "`--skill` is required"),
    ("user qualify ann --skill webapp", "expected `@username`"),
    ("user qualify @ --skill webapp", "expected `@username`"),
    ("user qualify @no/such --skill webapp", "not found"),
    ("user unavailable @ann --start 2020-01-02", "`--finish` is required"),
    ("user unavailable @ann --start 2020-01-02 --finish 2020-01-01", "after `--start`"),
    ("rotation show NOPE", "NOPE"),
    ("rotation show CE", "CE"),  # ambiguous: ICE and ICEBERG
    ("rotation show -r IC", "IC"),  # --rotation is exact
    ("rotation show", "rotation is required"),
    ("rotation show ICE -r ICE", "already given"),
    ("user join NOPE @ann", "NOPE"),
    ("task new shift NOPE", "NOPE"),
    ("task new shift ICE --number 1", "ICE#1"),  # exists already
    ("task new shift ICE --number x", "whole number"),
    ("task show ICE#99", "ICE#99"),
    ("task show", "task id"),
    ("task fill ICE#99", "ICE#99"),
    ("task start ICE#1", "pending"),  # pending -> started is not a transition
    ("task finish ICE#1", "pending"),
    ("task assign ICE#1 @cid", "limit"),  # would break Limit any 2
    ("task assign @cid", "task id"),
    ("task assign ICE#1 cid", "expected `@username`"),
    ("skill new bad-name", "not a valid skill name"),
    ("skill new", "skill name is required"),
    ('task new ticket TIX --summary "unclosed', "quote"),
    # a rotation has shifts or tickets, not both
    ("task new ticket ICE --summary coffee", "rotation ICE makes shifts, not tickets"),
    ("task new ticket ICE", "--task-type ticket"),
    ("task new shift TIX", "rotation TIX makes tickets, not shifts"),
    ("info extra", "unexpected argument"),
    ("rotation list --json=maybe", "true or false"),
    ("task fill ICE#1 --now tomorrow-ish", "--now"),
    ("rotation set fill ICE --seed 99999999999999999999", "too large"),
    ("user qualify @" + "z" * 100 + " -s webapp", "not found"),
    ("skill new " + "y" * 300, "at most 64 characters"),
    ("task show ICE#" + "9" * 300, "too long"),
    ("task new shift ICE --number 999999999", "range"),
]


@pytest.mark.parametrize("line, phrase", BAD, ids=[b[0][:40] for b in BAD])
def test_bad_input_changes_nothing(kv, line, phrase):
    s = Script(kv)
    s.multi(SETUP)
    s.poster.reset()
    before = dump(kv)
    out = s.try_(line)
    assert_clean_error(out)
    assert phrase.lower() in out.text.lower(), out.text
    assert dump(kv) == before
    assert s.poster.sent == []


def test_bad_flag_error_carries_the_usage(kv_memory):
    out = Script(kv_memory).try_("rotation set require ICE --skil webapp")
    assert_clean_error(out)
    assert "Usage: `/lotto rotation set require R [--skill S[-L]] [--count N] [--clear]" in out.text


def test_insufficient_fill_changes_nothing(kv_memory):
    s = Script(kv_memory)
    s.multi("""
        rotation new R --beginning 2020-01-01
        rotation set require R --skill webapp --count 1
        user join R @ann
        task new shift R --number 0
    """)
    before = dump(kv_memory)
    out = s.try_("task fill R#0")
    assert_clean_error(out)
    assert out.text.endswith(": insufficient") and "R#0" in out.text
    assert dump(kv_memory) == before


def test_unexpected_errors_become_a_generic_paragraph(kv_memory, caplog):
    s = Script(kv_memory)

    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("boom: secret internals")

    s.env = s.env.replace(service=Broken())
    out = s.try_("rotation list")
    assert not out.ok
    assert "internal error" in out.text and "boom" not in out.text and "\n" not in out.text
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)
