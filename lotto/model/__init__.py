"""The stored records of Solar Lottery and their pure rules.

One module per noun: :mod:`~lotto.model.record` (the base of every stored
record), :mod:`~lotto.model.rotation`, :mod:`~lotto.model.task`,
:mod:`~lotto.model.user`, :mod:`~lotto.model.availability` (a user's time off
and duty events), :mod:`~lotto.model.skill`, :mod:`~lotto.model.needs`,
:mod:`~lotto.model.index`; :mod:`~lotto.model.keys` builds every store key and
:mod:`~lotto.model.timeutil` owns times, periods and durations. Nothing here
does I/O.
"""
