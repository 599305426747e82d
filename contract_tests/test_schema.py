"""Schema conformance with Schemathesis (generated requests, made safe and paced)."""

import pytest

from contract_tests.checks import schema
from contract_tests.context import Ctx

pytestmark = pytest.mark.schema


def test_every_operation_answers_generated_requests_within_the_contract(ctx: Ctx) -> None:
    run = schema.SchemaRun(ctx)
    schema.operation_run(ctx, run, max_examples=2 if ctx.config.long_window else 4)
    schema.findings_conformance(run, "examples, coverage and fuzzing phases")


def test_the_links_between_operations_hold_in_a_stateful_run(ctx: Ctx) -> None:
    run = schema.SchemaRun(ctx)
    schema.stateful_run(ctx, run, max_examples=2 if ctx.config.long_window else 3)
    schema.findings_conformance(run, "stateful run through the spec's links")
