"""POST /dnc of a URL already on the list."""

import pytest

from contract_tests.checks import duplicates
from contract_tests.context import Ctx

pytestmark = pytest.mark.duplicates


def test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists(ctx: Ctx) -> None:
    duplicates.duplicate_forms_conformance(ctx)
