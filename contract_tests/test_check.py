"""GET /dnc/check."""

import pytest

from contract_tests.checks import check
from contract_tests.context import Ctx

pytestmark = pytest.mark.check


def test_check_finds_a_listed_url_with_its_full_entry(ctx: Ctx) -> None:
    check.check_found_conformance(ctx)


def test_check_of_an_unlisted_url_answers_on_list_false_and_entry_null(ctx: Ctx) -> None:
    check.check_not_found_conformance(ctx)


def test_check_without_a_url_answers_400_invalid_request(ctx: Ctx) -> None:
    check.check_missing_url_conformance(ctx)
