"""Envelopes, on the probes below and on every answer the run has seen before."""

import pytest

from contract_tests import seeds
from contract_tests.checks import body_schemas, envelope
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.envelope


@requires("envelope.success", seeds.ENVELOPE_SUCCESS)
def test_every_success_answer_carries_error_null_and_data(ctx: Ctx) -> None:
    envelope.success_envelope_conformance(ctx)


@requires("envelope.error", seeds.ENVELOPE_ERROR)
def test_every_error_answer_carries_an_error_code_and_a_message(ctx: Ctx) -> None:
    envelope.error_envelope_conformance(ctx)


@requires(
    "envelope.body-schemas",
    'the pages\' "Response Format" and "Response Fields" of each operation (openapi.yaml '
    "schemas of 2xx, 401, 403, 404, 409 and 429 bodies)",
    ("invalid-input-status", "body-size"),
)
def test_every_answer_the_run_saw_matches_its_documented_schema(ctx: Ctx) -> None:
    body_schemas.every_answer_conformance(list(ctx.log.exchanges))
