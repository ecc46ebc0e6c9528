"""``lotto-store``: the operators' command line (backups, consistency checks, repairs).

Run it as ``lotto-store …`` (the console script pip installs) or ``python -m lotto.maintenance …``.
Exit codes: 0 success (``check``: the store is consistent), 1 the operation
failed or found problems, 2 bad usage or bad input. Errors are one paragraph
on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from typing import Any, NoReturn

import kvstore
import lotto
from kvstore.backends import redact
from lotto.errors import InputError, LottoError
from lotto.local import default_store_path
from lotto.maintenance.backup import dump, restore
from lotto.maintenance.check import OUTBOX_CHECK_LIMIT, check
from lotto.maintenance.repair import repair
from lotto.maintenance.snapshot import all_keys
from lotto.model.outbox import DEAD_QUEUE, OUTBOX_QUEUE
from lotto.store import outbox_backlog, outbox_messages

__all__ = ["main"]

_PROG = "lotto-store"
_DESCRIPTION = """\
Back up, restore, check and repair the Solar Lottery records of one plugin id
in a Redis or SQLite store (keys <plugin id>:<key>). Moving from one store to
another is a dump of the one restored into the other."""
_EPILOG = """\
examples:
  lotto-store --store redis://localhost:6379/0 dump --output backup.json
  lotto-store --store redis://localhost:6379/0 restore backup.json
  lotto-store --store redis://localhost:6379/0 check
  lotto-store --store redis://localhost:6379/0 repair --dry-run
  lotto-store --store redis://localhost:6379/0 outbox --list 20
  lotto-store --store sqlite://~/.local/share/solar-lottery/lotto.db dump -o lotto.json

exit codes: 0 ok, 1 failed or problems found, 2 bad usage or input."""


class _Usage(Exception):
    """Bad command-line usage (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Raise instead of exiting, so main() reports it like every other error."""
        raise _Usage(f"{message}. See `{_PROG} --help`.")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS: the options may come before or after the subcommand.
    common.add_argument(
        "--store",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="redis://HOST:PORT/DB (or unix://, rediss://), or sqlite://PATH [env LOTTO_STORE]",
    )
    common.add_argument(
        "--plugin-id",
        metavar="ID",
        default=argparse.SUPPRESS,
        help=f"the plugin id namespacing the keys [default {lotto.PLUGIN_ID}]",
    )
    parser = _Parser(
        prog=_PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("dump", parents=[common], help="write every record as pretty JSON")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    p = sub.add_parser("restore", parents=[common], help="write back the records of a dump")
    p.add_argument("file", metavar="FILE", help='a dump file ("-" for stdin)')
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace whatever the store holds (default: refuse a non-empty store)",
    )
    sub.add_parser("check", parents=[common], help="report inconsistent records (exit 1 if any)")
    p = sub.add_parser("repair", parents=[common], help="rebuild indexes and open-task records")
    p.add_argument("--dry-run", action="store_true", help="only show what would change")
    sub.add_parser("keys", parents=[common], help="list the keys, one a line")
    p = sub.add_parser("outbox", parents=[common], help="show the messages waiting to be delivered")
    p.add_argument(
        "--list", type=int, default=10, metavar="N", help="list the first N waiting (default 10)"
    )
    p.add_argument(
        "--requeue-dead",
        action="store_true",
        help="put the dead letters back at the end of the outbox, to be tried again",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``lotto-store`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    try:
        args = _parser().parse_args(argv)
        if not args.command:
            raise _Usage(
                "no command given: use dump, restore, check, repair, keys or outbox. "
                f"See `{_PROG} --help`."
            )
        url = getattr(args, "store", None) or os.environ.get("LOTTO_STORE", "")
        if not url:
            raise _Usage(
                "no store given: pass --store URL (redis://HOST:PORT/DB or sqlite://PATH) or "
                "set LOTTO_STORE; the lotto program's own records are in "
                f"sqlite://{default_store_path()}."
            )
        try:
            kv = kvstore.open(url, getattr(args, "plugin_id", None) or lotto.PLUGIN_ID)
        except kvstore.InvalidArgumentError as exc:
            raise _Usage(str(exc)) from None
    except _Usage as exc:
        return _fail(f"{exc}", 2)
    except kvstore.BackendError as exc:
        return _fail(f"cannot open the store at {redact(url)}: {str(exc).rstrip('. ')}.", 1)
    try:
        return _COMMANDS[args.command](kv, args)
    except InputError as exc:
        return _fail(str(exc), 2)
    except LottoError as exc:
        return _fail(str(exc), 1)
    except kvstore.BackendError as exc:
        reason = str(exc).rstrip(". ")
        check = (
            "Check that its file can be read and written"
            if exc.context.get("engine") == "SQLite"
            else "Check that Redis is running and the URL is right"
        )
        return _fail(
            f"the store at {redact(url)} failed: {reason}. {check}; nothing was changed "
            "unless the failure came while saving.",
            1,
        )
    except kvstore.KVError as exc:
        return _fail(str(exc), 1)
    finally:
        kv.close()


def _fail(message: str, code: int) -> int:
    print(f"{_PROG}: {message}", file=sys.stderr)
    return code


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _cmd_dump(kv: Any, args: argparse.Namespace) -> int:
    data = dump(kv)
    text = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if not args.output or args.output == "-":
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
        return 0
    try:
        _write_atomically(args.output, text)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}; nothing was written.", 1)
    _say(f"dumped {len(data)} key(s) of {kv.plugin_id} to {args.output}")
    return 0


def _write_atomically(path: str, data: bytes) -> None:
    # A dump cut short (disk full, Ctrl-C) must not replace a good backup.
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".lotto-dump-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _cmd_restore(kv: Any, args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            data = json.load(sys.stdin)
        else:
            with open(args.file, encoding="utf-8") as src:
                data = json.load(src)
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror or exc}; nothing was restored.", 2)
    except (ValueError, UnicodeDecodeError) as exc:
        return _fail(f"{args.file} is not a JSON dump ({exc}); nothing was restored.", 2)
    count = restore(kv, data, replace=args.replace)
    _say(f"restored {count} key(s) of {kv.plugin_id}")
    return 0


def _cmd_check(kv: Any, args: argparse.Namespace) -> int:
    problems = check(kv)
    for problem in problems:
        print(problem)
    if not problems:
        _say(f"the records of {kv.plugin_id} are consistent")
        return 0
    fixable = sum(p.fixable for p in problems)
    _say(f"{len(problems)} problem(s); {fixable} can be fixed with `{_PROG} repair`")
    return 1


def _cmd_repair(kv: Any, args: argparse.Namespace) -> int:
    problems = check(kv)
    changes = repair(kv, problems, dry_run=args.dry_run)
    for change in changes:
        if args.dry_run:
            verb = "would delete" if change.value is None else "would write"
        else:
            verb = "deleted" if change.value is None else "wrote"
        print(f"{verb} {change}")
    left = [p for p in problems if not p.fixable] if args.dry_run else check(kv)
    for problem in left:
        print(f"left for a person: {problem}")
    _say(
        f"{len(changes)} change(s){' (dry run: nothing written)' if args.dry_run else ''}; "
        f"{len(left)} problem(s) left"
    )
    return 1 if left else 0


def _cmd_keys(kv: Any, args: argparse.Namespace) -> int:
    for key in all_keys(kv):
        print(key)
    return 0


def _cmd_outbox(kv: Any, args: argparse.Namespace) -> int:
    if args.list < 0:
        raise InputError("--list must be 0 or more.")
    now = datetime.now(UTC)
    if args.requeue_dead:
        moved = _requeue_dead(kv)
        _say(f"put {moved} dead letter(s) back in the outbox")
    backlog = outbox_backlog(kv, now)
    print(
        f"waiting: {backlog.waiting}; oldest: {backlog.oldest_age_seconds:.0f} s; "
        f"dead letters: {backlog.dead}"
    )
    for raw, message in outbox_messages(kv, OUTBOX_QUEUE, args.list):
        if message is None:
            print(f"  (unreadable, {len(raw)} bytes)")
            continue
        n = message.notice
        to = f"~{message.channel_id}" if message.channel_id else n.user_id
        age = (now - message.created).total_seconds()
        what = " ".join(x for x in (n.rotation_id, n.task_id) if x)
        print(f"  {message.message_id}  {age:>7.0f} s  {n.kind:<14} to {to}  {what}".rstrip())
    return 0


def _requeue_dead(kv: Any) -> int:
    # Only while no deliverer runs a round: the outbox's lease keeps them apart.
    outbox, dead = kv.queue(OUTBOX_QUEUE), kv.queue(DEAD_QUEUE)
    lease = outbox.lease(30)
    if lease is None:
        raise LottoError("a deliverer is working on the outbox right now; try again in a moment.")
    moved = 0
    with lease:
        dead_lease = dead.lease(30)
        if dead_lease is None:
            raise LottoError("someone else is moving the dead letters; try again in a moment.")
        with dead_lease:
            for raw in dead.peek(OUTBOX_CHECK_LIMIT):
                if not dead.pop_head(dead_lease, raw, move_to=outbox):
                    break
                moved += 1
    return moved


_COMMANDS = {
    "dump": _cmd_dump,
    "restore": _cmd_restore,
    "check": _cmd_check,
    "repair": _cmd_repair,
    "keys": _cmd_keys,
    "outbox": _cmd_outbox,
}
