"""The `dnc` command, on top of everything else: it dispatches to each part's own command.

`dnc.main` holds the table of sub-commands; `dnc.demo` is what `make demo` runs. Nothing below
imports this package.
"""

from dnc.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
