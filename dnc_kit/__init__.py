"""dnc-kit: the spec-first toolkit for the LinkedIn Do-Not-Contact list API.

The shared pieces live here: where the spec and fixtures are, and the one `dnc` command.
"""

from dnc_kit.resources import FIXTURES_DIR, OPENAPI_PATH, load_normalization_cases, load_openapi

__all__ = ["FIXTURES_DIR", "OPENAPI_PATH", "load_normalization_cases", "load_openapi"]
