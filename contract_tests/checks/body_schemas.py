"""Every answer the run saw, against the body schema openapi.yaml documents for its operation
and status: the named tests' traffic too, not only Schemathesis' generated requests.

Audited: 2xx, 401, 403, 409 and 429 bodies, and 404 bodies of a delete of a well-formed id
(`dnc_not_found`). Not audited: 400 bodies (the code for input the pages do not mention is a
decision, invalid-input-status; the documented codes have their own tests) and 413 (decision
body-size)."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract_tests.checks.common import ContractViolation
from contract_tests.client import Exchange
from dnc_kit.resources import load_openapi

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SPEC_URI = "urn:dnc-kit:openapi"
AUDITED = frozenset({401, 403, 409, 429})
WELL_FORMED_ID = re.compile(r"dnc_[A-Za-z0-9]+")
SHOWN = 5


def spec_operation(method: str, path: str) -> tuple[str, str] | None:
    """(spec path, method) of an exchange, e.g. DELETE /dnc/dnc_x -> ("/dnc/{id}", "delete")."""
    clean = path.split("?", 1)[0].rstrip("/")
    method = method.lower()
    if clean in ("/dnc", "/dnc/check", "/dnc/batch"):
        spec_path = clean
    elif clean.startswith("/dnc/") and "/" not in clean[5:]:
        spec_path = "/dnc/{id}"
    else:
        return None
    operations = load_openapi()["paths"][spec_path]
    return (spec_path, method) if method in operations else None


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(load_openapi(), DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


@cache
def validator(path: str, method: str, status: int) -> Draft202012Validator | None:
    """A validator for the JSON body the spec documents for (path, method, status), if any."""
    from jsonschema import Draft202012Validator, FormatChecker

    spec = load_openapi()
    response = spec["paths"][path][method]["responses"].get(str(status))
    if response is None:
        return None
    parts: tuple[str, ...] = ("paths", path, method, "responses", str(status))
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = spec["components"]["responses"][name]
        parts = ("components", "responses", name)
    if "application/json" not in response.get("content", {}):
        return None
    pointer = _pointer(*parts, "content", "application/json", "schema")
    return Draft202012Validator(
        {"$ref": SPEC_URI + pointer}, registry=_registry(), format_checker=FormatChecker()
    )


def body_problem(ex: Exchange) -> str | None:
    """Why this answer's body breaks its documented schema, or None (also when not audited)."""
    where = spec_operation(ex.method, ex.path)
    if where is None or ex.body is None:
        return None
    status = ex.status
    audited = 200 <= status < 300 or status in AUDITED
    if status == 404 and where[0] == "/dnc/{id}":
        audited = WELL_FORMED_ID.fullmatch(ex.path.rsplit("/", 1)[-1]) is not None
    check = validator(*where, status) if audited else None
    if check is None:
        return None
    errors = sorted(check.iter_errors(ex.body), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    at = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
    return f"the {status} body breaks its schema at {at}: {errors[0].message[:200]}"


def every_answer_conformance(exchanges: list[Exchange]) -> None:
    broken = [(ex, p) for ex in exchanges if (p := body_problem(ex)) is not None]
    if not broken:
        return
    shown = "\n".join(f"- {p}\n  {ex.describe()}" for ex, p in broken[:SHOWN])
    raise ContractViolation(
        f"{len(broken)} of {len(exchanges)} answers the run saw break the body schema "
        f'openapi.yaml documents for them:\n{shown}\n  documented: the pages\' "Response Format" '
        'and "Response Fields" of each operation, restated in openapi.yaml',
        [ex for ex, _ in broken[:3]],
    )
