"""Small named checks, one module per category. Each `*_conformance` function raises an
AssertionError that says what was sent, what came back, and which documented sentence broke."""
