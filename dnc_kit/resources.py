"""Locate and load the project's single sources of truth: `openapi.yaml` and `fixtures/`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = PROJECT_ROOT / "openapi.yaml"
FIXTURES_DIR = PROJECT_ROOT / "fixtures"


@cache
def load_openapi() -> dict[str, Any]:
    """The parsed OpenAPI document (cached: it never changes while a process runs)."""
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        return cast(dict[str, Any], yaml.safe_load(handle))


def load_normalization_cases() -> list[dict[str, Any]]:
    """The cases of `fixtures/normalization.json`: input, expected (or None), source, note."""
    path = FIXTURES_DIR / "normalization.json"
    return cast(list[dict[str, Any]], json.loads(path.read_text(encoding="utf-8")))
