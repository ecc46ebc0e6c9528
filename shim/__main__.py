"""``python -m shim [flags]``: the same as ``lotto serve [flags]``."""

import sys

from shim.server import main

# Guarded: the pool's worker processes (spawned) import this module again as __mp_main__.
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
