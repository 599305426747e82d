"""Envelopes, on the probes below and on every answer the run has seen before."""

import pytest

from contract_tests.checks import envelope
from contract_tests.context import Ctx

pytestmark = pytest.mark.envelope


def test_every_success_answer_carries_error_null_and_data(ctx: Ctx) -> None:
    envelope.success_envelope_conformance(ctx)


def test_every_error_answer_carries_an_error_code_and_a_message(ctx: Ctx) -> None:
    envelope.error_envelope_conformance(ctx)
