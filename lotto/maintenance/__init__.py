"""Operators' maintenance of the stored records: backups, checks and repairs.

- :func:`dump` / :func:`restore`: every record of the plugin as JSON, and back
  (one unit of work; validated first; a non-empty store only with ``replace``).
- :func:`check`: consistency of the records (indexes, open tasks, references),
  as a list of :class:`Problem`.
- :func:`repair`: rebuild the derived records (indexes, open-task records)
  behind fixable problems, in one unit of work; returns the :class:`Change` list.
- ``cli.main``: the ``lotto-store`` console script / ``python -m lotto.maintenance`` program.

Like the rest of ``lotto`` it talks to storage only through the kvstore API
object it is given.
"""

from lotto.maintenance.backup import dump, restore
from lotto.maintenance.check import FIXABLE, KINDS, Problem, check
from lotto.maintenance.repair import Change, repair

__all__ = ["dump", "restore", "check", "repair", "Problem", "Change", "KINDS", "FIXABLE"]
