"""The ``lotto`` console script.

``lotto serve …`` starts the shim (``shim.server``); anything else is the
command-line program ``lotto.cli``. The dispatcher lives here so that imports
keep going one way, shim -> lotto.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``argv`` (defaults to ``sys.argv``; ``argv[0]`` is the program name)."""
    args = list(sys.argv if argv is None else argv)[1:]
    if args and args[0] == "serve":
        from shim.server import main as serve

        return serve(args[1:])
    from lotto.cli import main as cli

    return cli(args)
