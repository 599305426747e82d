"""dnc-kit's reference implementation of openapi.yaml (`dnc serve`).

Public surface: `Settings`, `create_app`, `embedded_app`, `normalize_linkedin_url`, and `local`
(the local list that the CLI and `dnc mcp` open in-process).
"""

from reference_server import local
from reference_server.app import create_app, embedded_app
from reference_server.normalize import normalize_linkedin_url
from reference_server.settings import Settings

__all__ = ["Settings", "create_app", "embedded_app", "local", "normalize_linkedin_url"]
