"""Locate and load the project's single sources of truth: `openapi.yaml` and `fixtures/`.

The files live once, at the root of the repository. A built wheel or sdist carries them inside
this package as `dnc_kit/_data/` (pyproject.toml copies them at build time), so an installed
`dnc` finds them through `importlib.resources`; a checkout (or an editable install, which
imports this package from the checkout) has no `_data/` and reads the root's own files.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, cast

import yaml

__all__ = [
    "DATA_DIR",
    "FIXTURES_DIR",
    "OPENAPI_PATH",
    "load_normalization_cases",
    "load_openapi",
]


def _data_dir() -> Path:
    package = files("dnc_kit")
    # Schemathesis loads the spec from a file path, so the data must be real files on disk
    # (every wheel and checkout install is); a zipped install is refused here, not later.
    if not isinstance(package, Path):
        raise RuntimeError("dnc-kit must be installed as files on disk, not from a zip archive")
    packaged = package / "_data"
    if (packaged / "openapi.yaml").is_file():
        return packaged
    return package.parent


DATA_DIR = _data_dir()
OPENAPI_PATH = DATA_DIR / "openapi.yaml"
FIXTURES_DIR = DATA_DIR / "fixtures"


@cache
def load_openapi() -> dict[str, Any]:
    """The parsed OpenAPI document (cached: it never changes while a process runs)."""
    return cast(dict[str, Any], yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8")))


def load_normalization_cases() -> list[dict[str, Any]]:
    """The cases of `fixtures/normalization.json`: input, expected (or None), source, note."""
    path = FIXTURES_DIR / "normalization.json"
    return cast(list[dict[str, Any]], json.loads(path.read_text(encoding="utf-8")))
