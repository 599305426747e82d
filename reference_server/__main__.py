"""`python -m reference_server` is `dnc serve`."""

import sys

from reference_server.cli import main

raise SystemExit(main(sys.argv[1:]))
