"""An independent, in-memory implementation of the LinkedIn DNC list API (a test asset).

Built only from the seed pages, `openapi.yaml` and `fixtures/`; it makes other legal choices than
the reference server wherever the spec's `x-dnc-decisions` allow (variants `a` and `b`).
Run it with `python -m tests.independent_server --help`.
"""

from .app import create_app
from .service import Service
from .variants import VARIANTS, Variant

__all__ = ["VARIANTS", "Service", "Variant", "create_app"]
