"""The contract's numbers, derived once from openapi.yaml: buckets, limits, window, bounds.

Every part reads them from here (the reference server's limits, the client's pacing, the MCP
tool schemas, the conformance suite's expectations), so a change to `openapi.yaml` alone moves
them all. Nothing is retyped: each constant is looked up in the document, and a document that
lacks one fails at import with the path it was looking for.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from dnc_kit.resources import load_openapi

__all__ = [
    "BATCH_MAX_ENTRIES",
    "BUCKET_LIMITS",
    "BUCKET_WINDOWS_S",
    "CACHE_TTL_S",
    "DEFAULT_WINDOW_S",
    "ENTRY_ID_PATTERN",
    "LIST_LIMIT_DEFAULT",
    "LIST_LIMIT_MAX",
    "LIST_LIMIT_MIN",
    "LIST_OFFSET_MAX",
    "OPERATION_BUCKETS",
    "OPERATION_SCOPES",
    "URL_MAX_LENGTH",
    "component_schema",
]

_SPEC: Final = load_openapi()


def component_schema(name: str) -> dict[str, Any]:
    """One schema of `components.schemas`, as written in the spec (with its `$ref`s)."""
    schemas: dict[str, Any] = _SPEC["components"]["schemas"]
    return dict(schemas[name])


def _operations() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for methods in _SPEC["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = operation
    return found


def _parameter(operation_id: str, name: str) -> dict[str, Any]:
    for parameter in _OPERATIONS[operation_id].get("parameters", []):
        if parameter["name"] == name:
            schema: dict[str, Any] = parameter["schema"]
            return schema
    raise KeyError(f"{operation_id} has no parameter {name!r}")  # pragma: no cover


_OPERATIONS: Final = _operations()

OPERATION_BUCKETS: Final[Mapping[str, str]] = MappingProxyType(
    {op_id: op["x-rate-limit"]["bucket"] for op_id, op in _OPERATIONS.items()}
)


def _per_bucket(field: str) -> dict[str, float]:
    """`x-rate-limit.<field>` per bucket; operations sharing a bucket must agree on it."""
    found: dict[str, float] = {}
    for op_id, op in _OPERATIONS.items():
        bucket, value = op["x-rate-limit"]["bucket"], float(op["x-rate-limit"][field])
        if found.setdefault(bucket, value) != value:
            raise ValueError(f"openapi.yaml: {op_id} gives bucket {bucket!r} another {field}")
    return found


# The scope a stored key needs per operation (`x-dnc-scope`, an extension beyond the seed pages).
OPERATION_SCOPES: Final[Mapping[str, str]] = MappingProxyType(
    {op_id: str(op["x-dnc-scope"]) for op_id, op in _OPERATIONS.items()}
)
BUCKET_LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {bucket: int(limit) for bucket, limit in _per_bucket("limit").items()}
)
BUCKET_WINDOWS_S: Final[Mapping[str, float]] = MappingProxyType(_per_bucket("window-seconds"))
# The documented window (every bucket's is 60 s); deployments and tests may shorten it.
DEFAULT_WINDOW_S: Final[float] = max(BUCKET_WINDOWS_S.values())
CACHE_TTL_S: Final[float] = float(_OPERATIONS["checkDncStatus"]["x-cache"]["ttl-seconds"])

_ENTRIES: Final = component_schema("AddDncEntriesBatchRequest")["properties"]["entries"]
BATCH_MAX_ENTRIES: Final[int] = int(_ENTRIES["maxItems"])
URL_MAX_LENGTH: Final[int] = int(component_schema("LinkedInProfileUrl")["maxLength"])
ENTRY_ID_PATTERN: Final[str] = str(component_schema("DncEntryId")["pattern"])

_LIMIT: Final = _parameter("listDncEntries", "limit")
_OFFSET: Final = _parameter("listDncEntries", "offset")
LIST_LIMIT_MIN: Final[int] = int(_LIMIT["minimum"])
LIST_LIMIT_MAX: Final[int] = int(_LIMIT["maximum"])
LIST_LIMIT_DEFAULT: Final[int] = int(_LIMIT["default"])
LIST_OFFSET_MAX: Final[int] = int(_OFFSET["maximum"])
