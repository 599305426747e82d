"""Schemathesis' phases driven by the suite: examples, coverage (undeclared methods included) and
fuzzing per operation, then a stateful run through the spec's links. Every case goes through
`SchemaRun.call` (safe, gated) and `SchemaRun.judge`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contract_tests import gate
from contract_tests.checks.schema import SchemaRun, operation_id
from contract_tests.context import Ctx
from dnc_kit.resources import OPENAPI_PATH

# Request budget per operation when the rate-limit window is long (each request is expensive).
LONG_WINDOW_BUDGET = {
    "addDncEntry": 6,
    "deleteDncEntry": 3,
    "checkDncStatus": 10,
    "listDncEntries": 12,
    # The batch bucket (10 per window) must be free early for the rate-limit tests' drain.
    "addDncEntriesBatch": 1,
}
# Undeclared methods sent to each path (coverage phase); budget per operation, long window.
UNEXPECTED_METHODS = ["get", "put", "post", "delete", "patch", "options"]
LONG_WINDOW_METHOD_PROBES = 3


def load_schema(ctx: Ctx, run: SchemaRun, max_examples: int) -> Any:
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
                "coverage": {"enabled": True, "unexpected-methods": UNEXPECTED_METHODS},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True},
            },
            "seed": 4,
            # A slow target must not turn Hypothesis' own health checks into test failures.
            "suppress-health-check": ["all"],
        }
    )
    schema = schemathesis.openapi.from_path(OPENAPI_PATH, config=cfg)
    gated, transport = gate.install(schema, ctx)
    run.attach(transport)
    return gated


def _meta(case: Any) -> tuple[str, str]:
    meta = case.meta
    if meta is None:
        return "?", "?"
    return meta.phase.name.value, meta.generation.mode.value


def _is_method_probe(case: Any) -> bool:
    from schemathesis.generation.meta import CoverageScenario, coverage_scenario

    return coverage_scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD


def operation_run(ctx: Ctx, run: SchemaRun, schema: Any) -> None:
    """Examples, coverage and fuzzing phases for every operation."""
    from schemathesis.core.result import Ok
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test

    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    # Batch first: its bucket (10 per window) then drains early for the rate-limit tests,
    # instead of waiting behind the read bucket's pacing.
    operations.sort(key=lambda op: op.definition.raw.get("operationId") != "addDncEntriesBatch")
    for operation in operations:
        built: Callable[[], None] = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=_case_runner(ctx, run),
            given_kwargs={},
            feedback=FeedbackSources(),
        )
        built()


def _case_runner(ctx: Ctx, run: SchemaRun) -> Callable[[Any], None]:
    long = ctx.config.long_window

    def test(case: Any) -> None:
        op = operation_id(case)
        if long:
            probe = _is_method_probe(case)
            spent = run.probes[op] if probe else run.calls[op]
            if spent >= (LONG_WINDOW_METHOD_PROBES if probe else LONG_WINDOW_BUDGET[op]):
                run.skipped_for_budget += 1
                return
            if probe:
                run.probes[op] += 1
        phase, mode = _meta(case)
        response = run.call(case)
        if response is not None:
            run.judge(case, response, phase, mode)

    return test


def stateful_run(
    ctx: Ctx, run: SchemaRun, schema: Any, max_examples: int = 3, steps: int = 6
) -> None:
    """Follow the spec's links (add -> check/delete, list -> delete)."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    base = schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            from hypothesis import reject

            response = run.call(case)
            if response is None:
                reject()
            return response

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            _, mode = _meta(case)
            run.judge(case, response, "stateful", mode, recorder=getattr(self, "recorder", None))

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
