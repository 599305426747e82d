"""Authentication on every operation."""

import pytest

from contract_tests.checks import auth
from contract_tests.context import Ctx

pytestmark = pytest.mark.auth


def test_every_operation_without_an_api_key_answers_401_unauthorized(ctx: Ctx) -> None:
    auth.missing_key_conformance(ctx)


def test_every_operation_with_a_wrong_api_key_answers_401_unauthorized(ctx: Ctx) -> None:
    auth.wrong_key_conformance(ctx)
