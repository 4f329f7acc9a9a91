"""``python -m lsst.cmservice.butler.gateway`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
