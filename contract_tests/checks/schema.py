"""Schema conformance with Schemathesis: examples, coverage and fuzzing phases (positive and
negative data) for every operation, and a stateful run through the spec's links.

Schemathesis only generates the requests. Every generated request is first made safe (URLs moved
under the run prefix, delete ids that are not the run's own made unknown), paced by the shared
pacer (a 429 is waited out and retried), recorded for the envelope audit and cleanup, and judged
by the checks below, which a correct implementation must pass whatever it decided where the
documentation is silent:

- no 5xx; a JSON envelope on every answer;
- a status the spec documents for the operation (negative data may also get another 4xx);
- 2xx, 401, 403, 409 and 429 bodies match the spec's schema for that status;
- negative data is refused where the documentation says so (missing url, missing/empty entries,
  an entry without a url field); elsewhere (list range, size limits) accepting it is a decision;
- a batch entry whose url is present but not a string: 400 or 201 with that entry an `error`
  (decision batch-entry-shape); a delete id not of the form `dnc_<alphanumeric>`: 404 or 400
  (decision delete-id-format).

Generated batches are cut to MAX_GENERATED_BATCH entries (the documented speed is ~10-20 entries
per second, so a generated batch of 1000 would take over a minute), and batch requests get a
timeout that follows the documented speed (`client.batch_timeout_s`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from contract_tests.checks.common import envelope_problem
from contract_tests.client import Exchange, batch_timeout_s
from contract_tests.context import Ctx
from contract_tests.fixtures import _slug_position
from contract_tests.pacing import BUCKET_OF_OPERATION
from dnc_kit.resources import OPENAPI_PATH, load_openapi

if TYPE_CHECKING:  # Schemathesis and Hypothesis load only when a schema test runs (~2 s).
    from jsonschema import Draft202012Validator

SPEC_URI = "urn:dnc-kit:openapi"
VALIDATED_STATUSES = {401, 403, 409, 429}
TOLERATED_NEGATIVE = {400, 404, 405, 411, 413, 414, 415, 422, 431}
TOLERATED_ALWAYS = {413, 414, 431}  # size limits of the server or a proxy in front of it
MAX_GENERATED_BATCH = 25
WELL_FORMED_ID = re.compile(r"dnc_[A-Za-z0-9]+")
# Request budget per operation when the rate-limit window is long (each request is expensive).
LONG_WINDOW_BUDGET = {
    "addDncEntry": 6,
    "deleteDncEntry": 3,
    "checkDncStatus": 10,
    "listDncEntries": 12,
    "addDncEntriesBatch": 5,
}


def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(load_openapi(), DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_validator(path: str, method: str, status: int) -> Draft202012Validator | None:
    """A validator for the JSON body the spec documents for (path, method, status), if any."""
    spec = load_openapi()
    responses = spec["paths"][path][method]["responses"]
    response = responses.get(str(status))
    if response is None:
        return None
    ref_parts: tuple[str, ...] = ("paths", path, method, "responses", str(status))
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = spec["components"]["responses"][name]
        ref_parts = ("components", "responses", name)
    if "application/json" not in response.get("content", {}):
        return None
    pointer = _pointer(*ref_parts, "content", "application/json", "schema")
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": SPEC_URI + pointer}, registry=_registry())


@dataclass
class Finding:
    operation: str
    phase: str
    mode: str
    problem: str
    exchange: Exchange

    def describe(self) -> str:
        where = f"[{self.operation} · {self.phase}/{self.mode}]"
        return f"{where} {self.problem}\n  {self.exchange.describe()}"


@dataclass
class SchemaRun:
    ctx: Ctx
    findings: list[Finding] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    skipped_for_budget: int = 0
    unsendable: list[str] = field(default_factory=list)
    no_answer: list[str] = field(default_factory=list)
    own_ids: set[str] = field(default_factory=set)
    _validators: dict[tuple[str, str, int], Draft202012Validator | None] = field(
        default_factory=dict
    )

    # -- safety ----------------------------------------------------------------------------------
    def safe_url(self, value: Any) -> Any:
        """Move a generated url under the run prefix; empty or non-string values stay as they "
        "are."""
        if not isinstance(value, str) or not value.strip() or self.ctx.config.marker in value:
            return value
        pos = _slug_position(value)
        prefix = self.ctx.config.slug_prefix
        if pos is not None:
            return value[:pos] + prefix + value[pos:]
        return prefix + value

    def make_safe(self, case: Any, operation_id: str) -> None:
        body = case.body
        if operation_id == "addDncEntry" and isinstance(body, dict) and "url" in body:
            case.body = {**body, "url": self.safe_url(body["url"])}
        elif operation_id == "addDncEntriesBatch" and isinstance(body, dict):
            entries = body.get("entries")
            if isinstance(entries, list):
                safe = [
                    {**e, "url": self.safe_url(e["url"])}
                    if isinstance(e, dict) and "url" in e
                    else e
                    for e in entries[:MAX_GENERATED_BATCH]
                ]
                case.body = {**body, "entries": safe}
        elif operation_id == "deleteDncEntry":
            params = dict(case.path_parameters or {})
            entry_id = params.get("id")
            if entry_id not in self.own_ids:
                params["id"] = f"{entry_id}Z{self.ctx.config.run_id}"
                case.path_parameters = params

    def learn_ids(self, body: Any) -> None:
        """Remember ids of entries whose url carries the run marker: only those may be deleted."""
        if isinstance(body, dict):
            url, entry_id = body.get("url"), body.get("$id")
            if isinstance(url, str) and self.ctx.config.marker in url and isinstance(entry_id, str):
                self.own_ids.add(entry_id)
            for value in body.values():
                self.learn_ids(value)
        elif isinstance(body, list):
            for value in body:
                self.learn_ids(value)

    # -- calling ---------------------------------------------------------------------------------
    def call(self, case: Any) -> Any:
        operation_id = case.operation.definition.raw.get("operationId", case.operation.label)
        self.make_safe(case, operation_id)
        auth = (case.headers or {}).get("Authorization")
        own = auth == f"Bearer {self.ctx.config.api_key}"
        bucket = BUCKET_OF_OPERATION.get(operation_id)
        pacer = self.ctx.pacer
        response = None
        for _ in range(4):
            if own and bucket:
                pacer.acquire("A", bucket)
            sent_at = time.time()
            try:
                timeout = self.ctx.config.request_timeout_s
                if operation_id == "addDncEntriesBatch":
                    timeout = max(timeout, batch_timeout_s(case.body))
                response = case.call(timeout=timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.no_answer.append(f"{case.method} {case.formatted_path}: {exc!r}"[:300])
                return None
            except (ValueError, UnicodeError, OSError) as exc:
                # The generated request could not even be sent (e.g. a header the HTTP library
                # refuses): not the server's fault, so the case is dropped.
                self.unsendable.append(f"{case.method} {case.formatted_path}: {exc!r}"[:300])
                return None
            finally:
                if own and bucket:
                    pacer.record_done("A", bucket)
            exchange = self.exchange(case, response, sent_at, own)
            self.ctx.log.add(exchange)
            self.ctx.tracker.observe(exchange)
            self.learn_ids(exchange.body)
            if response.status_code != 429 or not own or bucket is None:
                break
            reset = exchange.json_object.get("resetTime")
            wait = self.ctx.config.window_s + 0.5
            if (
                isinstance(reset, int)
                and 0 < reset / 1000 - time.time() <= self.ctx.config.window_s + 5
            ):
                wait = reset / 1000 - time.time() + 0.1
            pacer.penalise("A", bucket, time.monotonic() + wait)
        self.calls[operation_id] = self.calls.get(operation_id, 0) + 1
        return response

    def exchange(self, case: Any, response: Any, sent_at: float, own: bool) -> Exchange:
        try:
            body: Any = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        headers = httpx.Headers([(k, v) for k, values in response.headers.items() for v in values])
        path = response.request.path_url if response.request is not None else case.formatted_path
        base_path = re.sub(r"^https?://[^/]+", "", self.ctx.config.base_url)
        path = path.split("?", 1)[0].removeprefix(base_path)
        sent = case.body if isinstance(case.body, dict | list | str | int | float | bool) else None
        return Exchange(
            team="A" if own else "-",
            method=case.method.upper(),
            path=path,
            params=dict(case.query) if case.query else None,
            sent=sent,
            status=response.status_code,
            headers=headers,
            body=body,
            text=response.content.decode("utf-8", "replace")[:2000],
            sent_at=sent_at,
            received_at=time.time(),
            auth="schema key" if own else "generated",
        )

    # -- judging ---------------------------------------------------------------------------------
    def judge(self, case: Any, response: Any, phase: str, mode: str) -> None:
        operation_id = case.operation.definition.raw.get("operationId", case.operation.label)
        exchange = self.ctx.log.exchanges[-1]
        found: list[str] = []
        status = response.status_code
        documented = {int(s) for s in case.operation.definition.raw["responses"] if s.isdigit()}
        if status >= 500:
            found.append(f"server error {status}")
        problem = envelope_problem(exchange)
        if problem:
            found.append(f"envelope: {problem}")
        tolerated = TOLERATED_NEGATIVE if mode == "negative" else TOLERATED_ALWAYS
        if operation_id == "deleteDncEntry":
            tolerated = tolerated | {405}  # an id that makes the path another route (decision)
            entry_id = str((case.path_parameters or {}).get("id", ""))
            if not WELL_FORMED_ID.fullmatch(entry_id):
                tolerated = tolerated | {400}  # a malformed id (decision delete-id-format)
        if status not in documented and status not in tolerated:
            found.append(
                f"status {status} is not documented for {operation_id} ({sorted(documented)})"
            )
        if 200 <= status < 300 or status in VALIDATED_STATUSES:
            validator = self._validator(case.operation.path, case.method.lower(), status)
            if validator is not None and exchange.body is not None:
                errors = sorted(validator.iter_errors(exchange.body), key=lambda e: list(e.path))
                if errors:
                    where = "/".join(str(p) for p in errors[0].absolute_path) or "(root)"
                    found.append(
                        f"body does not match the {status} schema at {where}: "
                        f"{errors[0].message[:200]}"
                    )
        if 200 <= status < 300 and must_reject(operation_id, case):
            found.append(
                "documented-invalid input (missing url / entries / url field) was accepted"
            )
        if 200 <= status < 300 and operation_id == "addDncEntriesBatch":
            problem = nonstring_entry_problem(case.body, exchange.body)
            if problem:
                found.append(problem)
        for problem in found:
            self.findings.append(Finding(operation_id, phase, mode, problem, exchange))

    def _validator(self, path: str, method: str, status: int) -> Draft202012Validator | None:
        key = (path, method, status)
        if key not in self._validators:
            self._validators[key] = response_validator(path, method, status)
        return self._validators[key]


def must_reject(operation_id: str, case: Any) -> bool:
    """Inputs the documentation itself says are refused with 400."""
    body = case.body
    if operation_id == "addDncEntry":
        return not (
            isinstance(body, dict) and isinstance(body.get("url"), str) and body["url"].strip()
        )
    if operation_id == "addDncEntriesBatch":
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list) or not entries:
            return True
        # An entry with no url field is documented as a 400; a url present but not a string may
        # also be a per-entry error (decision batch-entry-shape, see nonstring_entry_problem).
        return not all(isinstance(e, dict) and "url" in e for e in entries)
    if operation_id == "checkDncStatus":
        url = (case.query or {}).get("url")
        return not isinstance(url, str) or not url
    return False


def nonstring_entry_problem(sent: Any, answer: Any) -> str | None:
    """A batch accepted with 2xx: every entry whose url is not a string must be an `error`."""
    entries = sent.get("entries") if isinstance(sent, dict) else None
    if not isinstance(entries, list):
        return None
    odd = [
        i
        for i, e in enumerate(entries)
        if isinstance(e, dict) and not isinstance(e.get("url"), str)
    ]
    if not odd:
        return None
    data = answer.get("data") if isinstance(answer, dict) else None
    details = data.get("details") if isinstance(data, dict) else None
    if not isinstance(details, list) or len(details) != len(entries):
        return "a batch accepted with 2xx must report one detail per entry"
    for i in odd:
        detail = details[i]
        if not isinstance(detail, dict) or detail.get("status") != "error":
            return (
                f"entry {i} has a url that is not a string; accepted with 2xx it must be a "
                f"per-entry error, got {detail!r}"[:300]
            )
    return None


def load_schema(ctx: Ctx, max_examples: int) -> Any:
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    cfg = SchemathesisConfig.from_dict(
        {
            "base-url": ctx.config.base_url,
            "headers": {"Authorization": f"Bearer {ctx.config.api_key}"},
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            "seed": 4,
            # A slow target must not turn Hypothesis' own health checks into test failures.
            "suppress-health-check": ["all"],
        }
    )
    return schemathesis.openapi.from_path(OPENAPI_PATH, config=cfg)


def operation_run(ctx: Ctx, run: SchemaRun, max_examples: int = 4) -> None:
    """Examples, coverage and fuzzing phases for every operation."""
    from schemathesis.core.result import Ok
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test

    schema = load_schema(ctx, max_examples)
    budget = LONG_WINDOW_BUDGET if ctx.config.long_window else None
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            continue
        operation = result.ok()
        operation_id = operation.definition.raw.get("operationId", operation.label)

        built: Callable[[], None] = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=_case_runner(run, operation_id, budget),
            given_kwargs={},
            feedback=FeedbackSources(),
        )
        built()


def _case_runner(
    run: SchemaRun, operation_id: str, budget: dict[str, int] | None
) -> Callable[[Any], None]:
    def test(case: Any) -> None:
        if budget is not None and run.calls.get(operation_id, 0) >= budget[operation_id]:
            run.skipped_for_budget += 1
            return
        meta = case.meta
        phase = meta.phase.name.value if meta is not None else "?"
        mode = meta.generation.mode.value if meta is not None else "?"
        response = run.call(case)
        if response is not None:
            run.judge(case, response, phase, mode)

    return test


def stateful_run(ctx: Ctx, run: SchemaRun, max_examples: int = 3, steps: int = 6) -> None:
    """Follow the spec's links (add -> check/delete, batch -> check, list -> delete)."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    schema = load_schema(ctx, max_examples)
    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            response = run.call(case)
            if response is None:
                from hypothesis import reject

                reject()
            return response

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            run.judge(case, response, "stateful", "positive")

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


def findings_conformance(run: SchemaRun, what: str) -> None:
    if run.no_answer:
        raise AssertionError(
            f"{len(run.no_answer)} generated request(s) got no answer at all (connection closed or "
            f"timed out):\n" + "\n".join(run.no_answer[:8])
        )
    if run.findings:
        shown = "\n".join(f.describe() for f in run.findings[:8])
        more = f"\n… and {len(run.findings) - 8} more" if len(run.findings) > 8 else ""
        raise AssertionError(
            f"{len(run.findings)} generated request(s) got answers outside the contract "
            f"({what}):\n{shown}{more}\n"
            "  documented: openapi.yaml (status codes, envelopes and bodies of every operation)"
        )
