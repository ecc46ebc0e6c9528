"""The stored records of Solar Lottery and their pure rules.

One module per noun: :mod:`~lotto.model.record` (the base of every stored
record), :mod:`~lotto.model.rotation`, :mod:`~lotto.model.task`,
:mod:`~lotto.model.user`, :mod:`~lotto.model.availability` (a user's time off
and duty events), :mod:`~lotto.model.skill`, :mod:`~lotto.model.needs`,
:mod:`~lotto.model.index` (the index records and each rotation's open tasks);
:mod:`~lotto.model.keys` builds every store key and holds the table of record
kinds (key prefix and record type), and :mod:`~lotto.model.timeutil` owns times,
periods, durations and the interval-overlap test. The task rules (building
shifts and tickets, task ids, state steps, assign and fill checks) all live in
:mod:`~lotto.model.task`. Nothing here does I/O.
"""
