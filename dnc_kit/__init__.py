"""dnc_kit: the bottom of the toolkit, where the spec and the fixtures are found and loaded.

Every other package reads `openapi.yaml` and `fixtures/` through here, whether it runs from a
checkout or from an installed wheel. Nothing here imports another package of the project.
"""

from dnc_kit.resources import (
    DATA_DIR,
    FIXTURES_DIR,
    OPENAPI_PATH,
    load_normalization_cases,
    load_openapi,
)

__all__ = ["DATA_DIR", "FIXTURES_DIR", "OPENAPI_PATH", "load_normalization_cases", "load_openapi"]
