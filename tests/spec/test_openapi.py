"""openapi.yaml is valid, complete against the seed pages, and its examples honour its schemas."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from dnc_kit import contract
from dnc_kit.resources import FIXTURES_DIR, OPENAPI_PATH, load_openapi

# The checkout this file belongs to: tests and benchmarks run from a checkout, never a wheel.
REPO_ROOT = Path(__file__).resolve().parents[2]

SPEC_URI = "urn:dnc-kit:openapi"
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"
OPERATIONS = {
    "addDncEntry": ("post", "/dnc"),
    "listDncEntries": ("get", "/dnc"),
    "checkDncStatus": ("get", "/dnc/check"),
    "addDncEntriesBatch": ("post", "/dnc/batch"),
    "deleteDncEntry": ("delete", "/dnc/{id}"),
}
RATE_LIMITS = {"write": 30, "read": 60, "batch": 10}


def _absolute_refs(node: Any) -> Any:
    """Point every local `#/...` reference at the registered spec, so inline schemas resolve."""
    if isinstance(node, dict):
        return {
            key: (
                SPEC_URI + value
                if key == "$ref" and value.startswith("#")
                else _absolute_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_absolute_refs(item) for item in node]
    return node


SPEC = load_openapi()
RESOLVABLE_SPEC = _absolute_refs(copy.deepcopy(SPEC))
REGISTRY: Registry[Any] = Registry().with_resource(
    SPEC_URI, Resource.from_contents(RESOLVABLE_SPEC, default_specification=DRAFT202012)
)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())


def _operations() -> Iterator[tuple[str, dict[str, Any]]]:
    for path_item in RESOLVABLE_SPEC["paths"].values():
        for method, operation in path_item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield operation["operationId"], operation


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a `$ref` to a component (responses, parameters) one level deep."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = RESOLVABLE_SPEC
    for part in ref.removeprefix(SPEC_URI + "#/").split("/"):
        target = target[part]
    return _resolve(target)


def _media_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example value) for every request and response example in the spec."""
    for operation_id, operation in _operations():
        body = operation.get("requestBody", {}).get("content", {})
        for media in body.values():
            for name, example in media.get("examples", {}).items():
                yield f"{operation_id} request {name}", media["schema"], example["value"]
        for status, response in operation["responses"].items():
            for media in _resolve(response).get("content", {}).values():
                for name, example in media.get("examples", {}).items():
                    yield f"{operation_id} {status} {name}", media["schema"], example["value"]


def _schema_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    for name, schema in RESOLVABLE_SPEC["components"]["schemas"].items():
        for index, value in enumerate(schema.get("examples", [])):
            yield f"components.schemas.{name}[{index}]", schema, value


def test_openapi_document_is_a_valid_openapi_3_1_document() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys without a word; the spec must have none."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [loader.construct_object(key) for key, _ in node.value]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    assert not repeated, f"line {node.start_mark.line + 1}: repeated keys {repeated}"
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _unique_mapping,
)


def test_no_mapping_in_the_spec_repeats_a_key() -> None:
    yaml.load(OPENAPI_PATH.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)


def test_every_operation_names_the_scope_a_stored_key_needs() -> None:
    assert dict(contract.OPERATION_SCOPES) == {
        "checkDncStatus": "read",
        "listDncEntries": "read",
        "addDncEntry": "write",
        "addDncEntriesBatch": "write",
        "deleteDncEntry": "delete",
    }


def test_the_five_documented_operations_exist_with_their_stable_ids() -> None:
    found = {op_id: op for op_id, op in _operations()}
    assert set(found) == set(OPERATIONS)
    for op_id, (method, path) in OPERATIONS.items():
        assert SPEC["paths"][path][method]["operationId"] == op_id


def test_every_operation_requires_bearer_authentication() -> None:
    scheme = SPEC["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer"}
    assert SPEC["security"] == [{"bearerAuth": []}]
    for op_id, operation in _operations():
        assert operation.get("security", SPEC["security"]) == [{"bearerAuth": []}], op_id
        assert "401" in operation["responses"], op_id


def test_servers_are_the_provider_and_the_local_reference_server() -> None:
    urls = [server["url"] for server in SPEC["servers"]]
    assert urls == ["https://api.kakiyo.com/v1", "http://127.0.0.1:8765/v1"]


@pytest.mark.parametrize(
    ("where", "schema", "value"),
    [pytest.param(*case, id=case[0]) for case in [*_media_examples(), *_schema_examples()]],
)
def test_every_example_validates_against_its_schema(
    where: str, schema: dict[str, Any], value: Any
) -> None:
    errors = sorted(_validator(schema).iter_errors(value), key=str)
    assert not errors, f"{where}: " + "; ".join(error.message for error in errors)


def test_every_operation_carries_examples_for_its_success_response() -> None:
    with_examples = {where.split(" ")[0] for where, _, _ in _media_examples() if " 20" in where}
    assert with_examples == set(OPERATIONS)


DOCUMENTED_ERRORS: list[dict[str, Any]] = json.loads(
    (FIXTURES_DIR / "documented_errors.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "row",
    DOCUMENTED_ERRORS,
    ids=[f"{r['operationId']}-{r['status']}-{r['error']}" for r in DOCUMENTED_ERRORS],
)
def test_every_documented_error_code_is_a_response_of_its_operation(row: dict[str, Any]) -> None:
    operation = dict(_operations())[row["operationId"]]
    response = _resolve(operation["responses"][str(row["status"])])
    schema = response["content"]["application/json"]["schema"]
    body = {"error": row["error"], "message": row["message"]}
    if row["status"] == 429:
        body["resetTime"] = 1700308800000
    errors = [error.message for error in _validator(schema).iter_errors(body)]
    assert not errors, f"documented body {body} is not a valid {row['status']} answer: {errors}"


def test_the_documented_errors_fixture_is_valid_against_its_schema() -> None:
    schema = json.loads(
        (FIXTURES_DIR / "documented_errors.schema.json").read_text(encoding="utf-8")
    )
    errors = [
        error.message for error in Draft202012Validator(schema).iter_errors(DOCUMENTED_ERRORS)
    ]
    assert not errors, errors


def test_the_documented_errors_fixture_covers_every_error_code_in_the_seed_pages() -> None:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"seed pages not found at {SEEDS_DIR}")
    codes_in_seeds = {
        code
        for page in SEEDS_DIR.glob("*.txt")
        for code in re.findall(r'"error":\s*"([a-z_]+)"', page.read_text(encoding="utf-8"))
    }
    assert codes_in_seeds, "no error codes found in the seed pages"
    assert codes_in_seeds <= {row["error"] for row in DOCUMENTED_ERRORS}


def test_every_operation_documents_its_rolling_window_rate_limit() -> None:
    for op_id, operation in _operations():
        limit = operation["x-rate-limit"]
        assert limit["limit"] == RATE_LIMITS[limit["bucket"]], op_id
        assert limit["window-seconds"] == 60
        assert limit["scope"] == "team"
        assert "429" in operation["responses"], op_id
    buckets = {op_id: op["x-rate-limit"]["bucket"] for op_id, op in _operations()}
    assert buckets == {
        "addDncEntry": "write",
        "deleteDncEntry": "write",
        "checkDncStatus": "read",
        "listDncEntries": "read",
        "addDncEntriesBatch": "batch",
    }


def test_rate_limited_answers_require_reset_time() -> None:
    schema = RESOLVABLE_SPEC["components"]["schemas"]["RateLimitError"]
    body = {"error": "rate_limit_exceeded", "message": "Too many requests. Please try again later."}
    assert not _validator(schema).is_valid(body)
    assert _validator(schema).is_valid(body | {"resetTime": 1700308800000})


def test_links_name_existing_operations_and_parameters() -> None:
    operations = dict(_operations())
    links = [
        link
        for operation in operations.values()
        for response in operation["responses"].values()
        for link in _resolve(response).get("links", {}).values()
    ]
    assert len(links) >= 3
    for link in links:
        target = operations[link["operationId"]]
        names = {_resolve(p)["name"] for p in target.get("parameters", [])}
        assert set(link["parameters"]) <= names
        assert all(
            value.startswith("$response.body#/data/") for value in link["parameters"].values()
        )


def test_list_keeps_the_documented_paging_defaults_and_ranges() -> None:
    params = {p["name"]: p["schema"] for p in SPEC["paths"]["/dnc"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 1000)
    assert params["limit"]["default"] == 50
    assert params["offset"]["minimum"] == 0
    assert params["offset"]["default"] == 0
    total = SPEC["components"]["schemas"]["ListPage"]["properties"]["total"]["description"]
    assert "this response" in total


def test_every_decision_is_named_and_says_what_others_may_do() -> None:
    decisions = SPEC["info"]["x-dnc-decisions"]
    ids = [decision["id"] for decision in decisions]
    assert len(ids) == len(set(ids))
    for decision in decisions:
        assert {"id", "topic", "decision", "others-may"} <= decision.keys(), decision.get("id")


def test_decision_only_elements_are_marked_as_such() -> None:
    def sources(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if "x-dnc-source" in node:
                yield node["x-dnc-source"]
            for value in node.values():
                yield from sources(value)
        elif isinstance(node, list):
            for item in node:
                yield from sources(item)

    marks = list(sources(SPEC))
    assert marks, "no element is marked x-dnc-source"
    assert set(marks) <= {"documented", "decision"}
