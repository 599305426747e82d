"""`python -m dnc` is the `dnc` command."""

from dnc.main import main

raise SystemExit(main())
