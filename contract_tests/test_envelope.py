"""Envelopes, on the probes below and on every answer the run has seen before."""

import pytest

from contract_tests.checks import body_schemas, envelope
from contract_tests.context import Ctx

pytestmark = pytest.mark.envelope


def test_every_success_answer_carries_error_null_and_data(ctx: Ctx) -> None:
    envelope.success_envelope_conformance(ctx)


def test_every_error_answer_carries_an_error_code_and_a_message(ctx: Ctx) -> None:
    envelope.error_envelope_conformance(ctx)


def test_every_answer_the_run_saw_matches_its_documented_schema(ctx: Ctx) -> None:
    body_schemas.every_answer_conformance(list(ctx.log.exchanges))
