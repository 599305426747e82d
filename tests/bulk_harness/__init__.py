"""Real servers for the bulk tests of the client and the CLI: see `servers`."""
