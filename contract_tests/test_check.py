"""GET /dnc/check."""

import pytest

from contract_tests import seeds
from contract_tests.checks import check
from contract_tests.context import Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.check


@requires("check.found", seeds.CHECK_FOUND)
def test_check_finds_a_listed_url_with_its_full_entry(ctx: Ctx) -> None:
    check.check_found_conformance(ctx)


@requires("check.not-found", seeds.CHECK_NOT_FOUND)
def test_check_of_an_unlisted_url_answers_on_list_false_and_entry_null(ctx: Ctx) -> None:
    check.check_not_found_conformance(ctx)


@requires("check.missing-url", seeds.MISSING_URL, ("empty-url",))
def test_check_without_a_url_answers_400_invalid_request(ctx: Ctx) -> None:
    check.check_missing_url_conformance(ctx)
