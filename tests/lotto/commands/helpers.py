"""Helpers for the command-layer tests: a script runner and checks of failed commands."""

from __future__ import annotations

from datetime import UTC, datetime

from lotto.commands import Env, Outcome, execute
from lotto.local import LocalDirectory, RecordingPoster
from tests.lotto.helpers import dump

__all__ = [
    "INTERNAL_ERROR",
    "SCRIPT_NOW",
    "TWO_AUTOPILOT_ROTATIONS",
    "Script",
    "assert_clean_error",
    "assert_rejected_unchanged",
]

INTERNAL_ERROR = "internal error"

#: The time a script's lines run at unless they say otherwise: the scripts date their
#: rotations around 2020, and a shift or time off wholly before "now" needs --force.
SCRIPT_NOW = datetime(2020, 1, 1, tzinfo=UTC)


class Script:
    """Runs ``/lotto`` lines through ``execute`` as one acting user on a store."""

    def __init__(
        self,
        kv,
        *,
        tz: str = "UTC",
        actor: str = "test-user",
        admins: bool = True,
        admin_only: bool = True,
        now: datetime | None = SCRIPT_NOW,
    ) -> None:
        self.kv = kv
        #: The default time of every line (None: the wall clock).
        self.now = now
        self.poster = RecordingPoster()
        self.directory = LocalDirectory(tz, admins=admins)
        self.env = Env(kv, self.directory, self.poster, admin_only=admin_only)
        self.actor = actor

    def try_(self, line: str, *, now: datetime | None = None, actor: str | None = None) -> Outcome:
        """Run a line; return its outcome whatever it is."""
        return execute(self.env, actor or self.actor, line, now=now or self.now)

    def run(self, line: str, *, now: datetime | None = None, actor: str | None = None) -> Outcome:
        """Run a line that must succeed."""
        out = self.try_(line, now=now, actor=actor)
        assert out.ok, f"{line!r} failed: {out.text}"
        return out

    def multi(self, text: str, *, now: datetime | None = None) -> list[Outcome]:
        """Run every non-blank, non-comment line; all must succeed."""
        return [
            self.run(ln.strip(), now=now)
            for ln in text.splitlines()
            if ln.strip() and not ln.strip().startswith("#")
        ]


def assert_clean_error(out: Outcome) -> None:
    """A failed command: one paragraph, no traceback, not an internal error."""
    assert not out.ok
    assert out.text.strip()
    assert "\n" not in out.text.strip(), out.text
    assert "Traceback" not in out.text
    assert INTERNAL_ERROR not in out.text, out.text


def assert_rejected_unchanged(script: Script, line: str, *, now: datetime | None = None) -> Outcome:
    """Run ``line``; it must fail with a clean error and leave the store byte-for-byte unchanged."""
    before = dump(script.kv)
    out = script.try_(line, now=now)
    assert_clean_error(out)
    assert dump(script.kv) == before
    return out


# Two rotations on autopilot: A needs 5 people but has 1 (its fills fail), B can be filled.
TWO_AUTOPILOT_ROTATIONS = """
    rotation new A --beginning 2020-01-10
    rotation set require A --count 5
    user join A @ann
    rotation set autopilot A --create --create-prior 200h --schedule --schedule-prior 100h
    rotation new B --beginning 2020-01-10
    user join B @bob
    rotation set autopilot B --create --create-prior 200h --schedule --schedule-prior 100h
"""
