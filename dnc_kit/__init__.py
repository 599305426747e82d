"""dnc_kit: the bottom of the toolkit, what every other part shares.

- `contract`: the contract's numbers, derived once from `openapi.yaml` (limits, buckets, bounds);
- `resources`: where the spec and the fixtures are found, in a checkout or an installed wheel;
- `settings`: the one reader of the `DNC_*` environment (flag > environment > default);
- `fingerprints`, `redaction`, `private_files`: how secrets and people's data are kept out of
  logs and away from other accounts;
- `serving`: how every HTTP server of ours listens, says it is ready, and holds its edge
  (import it by name: it brings uvicorn, which the client library does not need).

Nothing here imports another package of the project.
"""

from dnc_kit import contract, fingerprints, private_files, redaction, resources, settings
from dnc_kit.fingerprints import KeyFingerprinter, key_fingerprint, use_fingerprinter
from dnc_kit.private_files import append_private, private_dir, read_or_create_secret, touch_private
from dnc_kit.redaction import redact_url
from dnc_kit.resources import (
    DATA_DIR,
    FIXTURES_DIR,
    OPENAPI_PATH,
    load_normalization_cases,
    load_openapi,
)
from dnc_kit.settings import Environment, SettingsError, read_environment

__all__ = [
    "DATA_DIR",
    "FIXTURES_DIR",
    "OPENAPI_PATH",
    "Environment",
    "KeyFingerprinter",
    "SettingsError",
    "append_private",
    "contract",
    "fingerprints",
    "key_fingerprint",
    "load_normalization_cases",
    "load_openapi",
    "private_dir",
    "private_files",
    "read_environment",
    "read_or_create_secret",
    "redact_url",
    "redaction",
    "resources",
    "serving",
    "settings",
    "touch_private",
    "use_fingerprinter",
]


def __getattr__(name: str) -> object:
    # `serving` pulls in uvicorn: imported on first use, so `dnc --help` and the client stay light.
    if name == "serving":
        import importlib

        return importlib.import_module("dnc_kit.serving")
    raise AttributeError(f"module 'dnc_kit' has no attribute {name!r}")
