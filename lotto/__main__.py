"""``python -m lotto …`` runs the lotto command-line program."""

import sys

from lotto.cli import main

if __name__ == "__main__":
    sys.exit(main())
