"""The base of ``Service``'s per-noun mixins: the attributes every operation body uses.

``Service.__init__`` sets them; declaring them here lets each mixin
(``RotationOps``, ``TaskOps``, …) be type-checked on its own.
"""

from __future__ import annotations

import random
import threading

from lotto.ports import Directory, Store

__all__ = ["Ops"]


class Ops:
    """Attributes shared by the operation mixins (set by ``Service.__init__``)."""

    #: The kvstore the operations run their units of work on (see :class:`lotto.ports.Store`).
    kv: Store
    #: Validates user ids and gives the acting user's zone.
    directory: Directory
    #: Per-thread measurements of the last call (``stats.round_trips``).
    stats: threading.local
    #: The generator of random rotation-id suffixes.
    _id_rng: random.Random
