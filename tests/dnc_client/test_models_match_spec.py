"""The tools' data models must not drift from openapi.yaml: one source of truth.

Each API model's JSON schema (wire names) is compared with the component it mirrors: the same
properties, the same required ones, and per property the same types, patterns, bounds, enums
and descriptions, after resolving `$ref`s on both sides.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from dnc_client.models import BatchDetail, BatchResult, CheckResult, DncEntry, ListPage
from dnc_kit.contract import (
    BATCH_MAX_ENTRIES,
    BUCKET_LIMITS,
    LIST_LIMIT_MAX,
    OPERATION_BUCKETS,
    URL_MAX_LENGTH,
)
from dnc_kit.resources import load_openapi

FACETS = (
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "maxItems",
    "enum",
    "const",
)
PAIRS = [
    (DncEntry, "DncEntry"),
    (CheckResult, "CheckResult"),
    (ListPage, "ListPage"),
    (BatchDetail, "BatchDetail"),
    (BatchResult, "BatchResult"),
]


def _resolver(root: dict[str, Any]) -> Any:
    def resolve(ref: str) -> dict[str, Any]:
        node: Any = root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        resolved: dict[str, Any] = node
        return resolved

    return resolve


def facets(schema: dict[str, Any], resolve: Any) -> dict[str, Any]:
    """What a property schema allows, with `$ref`s to objects kept as their names."""
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        target = resolve(schema["$ref"])
        if "properties" in target:
            found: dict[str, Any] = {"types": {f"object:{name}"}}
        else:
            found = facets(target, resolve)
        if "description" in schema:
            found["description"] = schema["description"]
        return found
    found = {"types": set()}
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            inner = facets(option, resolve)
            found["types"] |= inner.pop("types")
            found.update(inner)
    if "type" in schema:
        found["types"].add(schema["type"])
    for key in FACETS:
        if key in schema:
            found[key] = schema[key]
    if "description" in schema:
        found["description"] = schema["description"]
    if "items" in schema:
        found["items"] = facets(schema["items"], resolve)
    return found


@pytest.mark.parametrize(("model", "component"), PAIRS, ids=[p[1] for p in PAIRS])
def test_each_api_model_matches_its_openapi_component(
    model: type[BaseModel], component: str
) -> None:
    spec = load_openapi()
    spec_schema = spec["components"]["schemas"][component]
    spec_resolve = _resolver(spec)
    model_schema = model.model_json_schema(by_alias=True)
    model_resolve = _resolver(model_schema)

    assert set(model_schema["properties"]) == set(spec_schema["properties"])
    assert set(model_schema.get("required", [])) == set(spec_schema["required"])
    for name, spec_property in spec_schema["properties"].items():
        ours = facets(model_schema["properties"][name], model_resolve)
        theirs = facets(spec_property, spec_resolve)
        if name not in spec_schema["required"]:
            ours["types"].discard("null")  # optional: pydantic spells absent as null
        ours.pop("title", None)
        assert ours == theirs, f"{component}.{name}"


def test_the_limits_the_tools_use_are_the_specs() -> None:
    spec = load_openapi()
    schemas = spec["components"]["schemas"]
    assert (
        schemas["AddDncEntriesBatchRequest"]["properties"]["entries"]["maxItems"]
        == BATCH_MAX_ENTRIES
    )
    assert schemas["LinkedInProfileUrl"]["maxLength"] == URL_MAX_LENGTH
    assert LIST_LIMIT_MAX == 1000
    assert dict(BUCKET_LIMITS) == {"write": 30, "read": 60, "batch": 10}
    assert OPERATION_BUCKETS["deleteDncEntry"] == OPERATION_BUCKETS["addDncEntry"] == "write"
