"""``python -m specinv`` runs the command-line interface."""

import sys

from specinv.cli.main import main

sys.exit(main())
