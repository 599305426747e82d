"""Generated requests (Schemathesis: examples, coverage, fuzzing, stateful), judged by every
Schemathesis check and by the suite's own checks; one test per check."""

import pytest

from contract_tests.checks import schema_phases
from contract_tests.checks.schema import SchemaRun
from contract_tests.checks.schema_report import check_conformance
from contract_tests.checks.schemathesis_checks import REQUIRES, RUN
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.schema


@pytest.fixture(scope="module")
def schema_run(dnc_ctx: Ctx) -> SchemaRun:
    """One run of every phase, observed by every check (each request costs rate-limit budget)."""
    run = SchemaRun(dnc_ctx)
    long = dnc_ctx.config.long_window
    schema = schema_phases.load_schema(dnc_ctx, run, max_examples=2 if long else 4)
    schema_phases.operation_run(dnc_ctx, run, schema)
    # With a long window the stateful run is one scenario of at most four steps (its budget).
    if long:
        schema_phases.stateful_run(dnc_ctx, run, schema, max_examples=1, steps=4)
    else:
        schema_phases.stateful_run(dnc_ctx, run, schema, max_examples=3, steps=6)
    dnc_ctx.verdict.schemathesis = run.checks_summary()
    return run


@requires(
    "schema.schemathesis",
    "the Schemathesis check named by the parameter (see checks/schemathesis_checks.py REQUIRES)",
)
@pytest.mark.parametrize("check", RUN)
def test_generated_requests_pass_the_schemathesis_check(
    ctx: Ctx, schema_run: SchemaRun, check: str
) -> None:
    check_conformance(ctx, schema_run, check)


@requires("schema.answered", REQUIRES["answered"])
def test_every_generated_request_gets_an_answer(ctx: Ctx, schema_run: SchemaRun) -> None:
    check_conformance(ctx, schema_run, "answered")


@requires("schema.envelope", REQUIRES["envelope"])
def test_every_answer_to_a_generated_request_carries_the_envelope(
    ctx: Ctx, schema_run: SchemaRun
) -> None:
    check_conformance(ctx, schema_run, "envelope")


@requires("schema.documented-invalid-refused", REQUIRES["documented_invalid_refused"])
def test_generated_input_the_pages_call_invalid_is_refused(ctx: Ctx, schema_run: SchemaRun) -> None:
    check_conformance(ctx, schema_run, "documented_invalid_refused")


@requires("schema.batch-entry-shape", REQUIRES["batch_entry_shape"], ("batch-entry-shape",))
def test_a_generated_batch_entry_whose_url_is_not_a_string_is_refused_or_an_entry_error(
    ctx: Ctx, schema_run: SchemaRun
) -> None:
    check_conformance(ctx, schema_run, "batch_entry_shape")
