"""``python -m shim [flags]``: the same as ``lotto serve [flags]``."""

import sys

from shim.server import main

sys.exit(main(sys.argv[1:]))
