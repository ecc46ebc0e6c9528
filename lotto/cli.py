"""The ``lotto`` command-line program: run ``/lotto`` commands against a store.

``lotto [--store URL] [--as USERNAME] [--tz ZONE] COMMAND…`` runs one command
(the leading ``/lotto`` is optional); ``--file FILE`` runs one command per line
(blank lines and ``#`` comments skipped), stopping at the first failure;
``lotto demo`` runs the demo of :mod:`lotto.demo`. Exit status: 0 success,
1 a command failed (its error on stderr), 2 usage error.
"""

from __future__ import annotations

import getpass
import logging
import os
import shlex
import sys
import threading
from typing import TextIO
from urllib.parse import urlsplit

from lotto import PLUGIN_ID

__all__ = ["main", "USAGE"]

USAGE = """\
usage: lotto [--store URL] [--as USERNAME] [--tz ZONE] COMMAND...
       lotto [--store URL] [--as USERNAME] [--tz ZONE] --file FILE
       lotto demo
       lotto serve [...]            (the Mattermost shim; see `lotto serve --help`)

Runs /lotto commands (the leading "/lotto" is optional), e.g.
  lotto --store redis://localhost:6379/0 rotation new ICE --period weekly
  lotto help

options:
  --store URL      where records live: sqlite://PATH (a file), redis://HOST:PORT/DB,
                   or memory:// (an in-process store, gone when the program exits)
                   [env LOTTO_STORE, default your own file
                   $XDG_DATA_HOME/solar-lottery/lotto.db, made on first use]
  --as USERNAME    act as this user (every user is a plugin admin here)
                   [env LOTTO_USER, default your login name]
  --tz ZONE        the time zone of every user, an IANA name
                   [env LOTTO_TZ, default UTC]
  --file FILE      run the commands in FILE, one per line ("-" for stdin)
  -h, --help       show this help
"""

_OPTIONS = ("--store", "--as", "--tz", "--file")


class _BriefFormatter(logging.Formatter):
    """Log lines without tracebacks (set LOTTO_DEBUG=1 to see them)."""

    def formatException(self, ei) -> str:  # logging's name
        """No traceback text."""
        return ""

    def format(self, record: logging.LogRecord) -> str:
        """The log line without any cached traceback."""
        record.exc_text = None
        return super().format(record).rstrip()


def _setup_logging() -> None:
    root = logging.getLogger()
    if root.handlers:  # embedded (tests, shim): leave the host's logging alone
        return
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("LOTTO_DEBUG"):
        handler.setFormatter(logging.Formatter("lotto: %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(_BriefFormatter("lotto: %(levelname)s: %(message)s"))
    root.addHandler(handler)
    # Every failure of a command already reaches stderr as its `error: …` paragraph; the
    # warnings logged on the way (meant for a server's log) would only say it twice.
    root.setLevel(logging.WARNING if os.environ.get("LOTTO_DEBUG") else logging.ERROR)


class _Usage(Exception):
    """A usage error: message for stderr, exit status 2."""


def _split_options(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading program options, then the command words (options after them belong to it)."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            opts["help"] = "1"
            i += 1
            continue
        name, eq, value = arg.partition("=")
        if name not in _OPTIONS:
            break
        if not eq:
            if i + 1 >= len(argv):
                raise _Usage(f"option {name} needs a value")
            value = argv[i + 1]
            i += 1
        opts[name[2:]] = value
        i += 1
    return opts, argv[i:]


def main(argv: list[str] | None = None) -> int:
    """Run the program with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _setup_logging()
    try:
        _check_text(argv)
        opts, words = _split_options(argv)
        if opts.get("help"):
            sys.stdout.write(USAGE)
            return 0
        if words[:1] == ["demo"] and "file" not in opts:
            from lotto.demo import main as demo_main

            return demo_main(words[1:])
        if not words and "file" not in opts:
            raise _Usage("no command given")
        if words and "file" in opts:
            raise _Usage("give either a command or --file, not both")
        return _run(opts, words)
    except _Usage as exc:
        sys.stderr.write(f"lotto: {exc}\n\n{USAGE}")
        return 2
    except BrokenPipeError:
        # The reader went away (`lotto demo | head`): stop quietly, like other Unix tools.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a real file (tests capture it)
            pass
        return 1


def _undecodable(text: str) -> str | None:
    """What makes ``text`` not valid UTF-8 text ("byte 0xff", "U+D800"), or None if it is fine.

    Python hands over arguments, environment values and text streams that are not
    UTF-8 with each bad byte as a lone surrogate (surrogateescape).
    """
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            return f"byte 0x{code - 0xDC00:02x}"
        if 0xD800 <= code <= 0xDFFF:
            return f"U+{code:04X}"
    return None


def _check_text(argv: list[str]) -> None:
    """A usage error for an argument or a LOTTO_* variable that is not valid UTF-8 text."""
    for i, arg in enumerate(argv, start=1):
        bad = _undecodable(arg)
        if bad:
            raise _Usage(f"argument {i} is not valid UTF-8 text ({bad}); nothing was run")
    for name in ("LOTTO_STORE", "LOTTO_USER", "LOTTO_TZ"):
        bad = _undecodable(os.environ.get(name, ""))
        if bad:
            raise _Usage(f"{name} is not valid UTF-8 text ({bad}); nothing was run")


def _username(opts: dict[str, str]) -> str:
    name = opts.get("as") or os.environ.get("LOTTO_USER") or _login()
    name = name.removeprefix("@")
    from lotto.local import LocalDirectory

    if LocalDirectory().by_username(name) is None:
        raise _Usage(f"{name!r} is not a valid username (letters, digits, '.', '_', '-')")
    return name


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "me"


def _zone(opts: dict[str, str]) -> str:
    zone = opts.get("tz") or os.environ.get("LOTTO_TZ") or "UTC"
    from lotto.errors import LottoError
    from lotto.model.timeutil import get_zone

    try:
        get_zone(zone)
    except LottoError as exc:
        raise _Usage(f"--tz: {exc}") from None
    return zone


def _run(opts: dict[str, str], words: list[str]) -> int:
    import kvstore
    from lotto.commands import Env
    from lotto.local import LocalDirectory, RecordingPoster

    actor = _username(opts)
    zone = _zone(opts)
    lines = _read_file(opts["file"]) if "file" in opts else None
    url, note = _store_url(opts)
    try:
        kv = kvstore.open(url, PLUGIN_ID)
    except (kvstore.KVError, ValueError) as exc:
        raise _Usage(f"--store {url!r}: {exc}") from None
    if note:
        sys.stderr.write(note + "\n")
    try:
        # The store's host names this deployment in calendar event ids.
        site = urlsplit(url).hostname or "localhost"
        # A command that committed messages only sets the flag; `_one` delivers them once
        # the command is done, outside its deadline.
        committed = threading.Event()
        env = Env(kv, LocalDirectory(zone), RecordingPoster(), site=site, deliver=committed.set)
        if lines is None:
            # `lotto "/lotto rotation list"` (a line pasted from Mattermost) is the line itself;
            # no single command word has a space in it.
            line = (
                words[0]
                if len(words) == 1 and any(c.isspace() for c in words[0])
                else shlex.join(words)
            )
            return 0 if _one(env, actor, line, sys.stdout, committed) else 1
        for line in lines:
            sys.stdout.write(f"$ {line}\n")
            if not _one(env, actor, line, sys.stdout, committed):
                return 1
        return 0
    finally:
        kv.close()


def _store_url(opts: dict[str, str]) -> tuple[str, str | None]:
    """The store to open, and a note to print once it is open (the default file is new).

    ``--store``, then ``LOTTO_STORE``, else the user's own SQLite file, so that
    one command's records (or a ``--file`` session's) are there for the next.
    """
    url = opts.get("store") or os.environ.get("LOTTO_STORE")
    if url:
        return url, None
    from lotto.local import default_store_path

    path = default_store_path()
    if path.exists():
        return f"sqlite://{path}", None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise _Usage(
            f"cannot make {path.parent} to keep the records in ({exc.strerror}); "
            "name a store with --store URL or LOTTO_STORE"
        ) from None
    return f"sqlite://{path}", (
        f"lotto: keeping the records in {path} (a new file; --store or LOTTO_STORE "
        "chooses another store)"
    )


def _read_file(path: str) -> list[str]:
    try:
        if path == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except OSError as exc:
        raise _Usage(f"--file: {exc.strerror}: {path}") from None
    except UnicodeDecodeError as exc:
        where = "stdin" if path == "-" else path
        raise _Usage(
            f"--file: {where} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    bad = _undecodable(text)
    if bad:
        raise _Usage(f"--file: {path} is not valid UTF-8 text ({bad}); save it as UTF-8")
    lines = [ln.strip() for ln in text.splitlines()]
    # A line copied from a shell example (`lotto task fill ICE#1`) runs like the bare command.
    return [ln.removeprefix("lotto ").strip() for ln in lines if ln and not ln.startswith("#")]


def _one(env, actor: str, line: str, out: TextIO, committed: threading.Event) -> bool:
    from lotto.commands import execute

    # One deadline for the whole command (the store URL's `timeout`, default 5 s): a Redis
    # that does not answer makes it fail within that, however many round trips it makes.
    with env.kv.deadline():
        outcome = execute(env, actor, line)
    if committed.is_set():
        committed.clear()
        try:
            env.deliver_now()  # after the command, outside its deadline
        except Exception:  # a delivery problem never fails the command that committed
            logging.getLogger("lotto.cli").exception("could not deliver the outbox")
    # DMs are held until the reply is known, so that `--json` keeps stdout pure JSON
    # (its DMs go to stderr) while Markdown replies read in order: DMs, then the reply.
    dm_stream = sys.stderr if outcome.is_json else out
    for where, message in env.poster.in_order:
        # A DM's further lines are indented so they don't read as the command's reply.
        body = "\n".join(f"    {x}" if x else "" for x in message.split("\n")).removeprefix("    ")
        what = "DM to" if where.startswith("@") else "Post to"
        dm_stream.write(f"{what} {where}: {body}\n")
    env.poster.reset()
    if not outcome.ok:
        out.flush()  # the `$ line` echo first, also when both streams go to one pipe
        sys.stderr.write(f"error: {outcome.text}\n")
        return False
    text = outcome.text
    if outcome.is_json:
        text = text.removeprefix("```json\n").removesuffix("\n```")
    out.write(text.rstrip("\n") + "\n")
    failures = _autopilot_failures(outcome.data)
    if failures:
        # The run's other work is saved and reported above; a cron job still has to notice.
        out.flush()
        sys.stderr.write(f"error: the autopilot could not do everything: {'; '.join(failures)}.\n")
        return False
    return True


def _autopilot_failures(data: object) -> list[str]:
    """What an autopilot run (one rotation's or every rotation's) failed to do."""
    from lotto import api
    from lotto.api import failed_fills

    if isinstance(data, api.AutopilotResult):
        runs, errors = [data], {}
    elif isinstance(data, api.AutopilotAllResult):
        runs, errors = data.results, data.errors
    else:
        return []
    failures = [f"rotation {rid} failed" for rid in errors]
    failures += [f"{fill.task_id} was not filled" for run in runs for fill in failed_fills(run)]
    return failures
