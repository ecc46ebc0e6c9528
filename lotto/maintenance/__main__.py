"""``python -m lotto.maintenance``: the ``lotto-store`` command line."""

import sys

from lotto.maintenance.cli import main

sys.exit(main())
