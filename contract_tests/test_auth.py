"""Authentication on every operation."""

import pytest

from contract_tests import seeds
from contract_tests.checks import auth
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.auth


@requires("auth.missing-key", seeds.AUTH)
def test_every_operation_without_an_api_key_answers_401_unauthorized(ctx: Ctx) -> None:
    auth.missing_key_conformance(ctx)


@requires("auth.wrong-key", seeds.AUTH, ("auth-header",))
def test_every_operation_with_a_wrong_api_key_answers_401_unauthorized(ctx: Ctx) -> None:
    auth.wrong_key_conformance(ctx)
