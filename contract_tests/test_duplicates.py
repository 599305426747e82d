"""POST /dnc of a URL already on the team's list, for both teams."""

import pytest

from contract_tests import seeds
from contract_tests.checks import duplicates
from contract_tests.context import TEAM_IDS, TEAMS, Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.duplicates


@requires("duplicates.409.per-team", seeds.DUPLICATE)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_every_documented_form_of_a_listed_url_answers_409_dnc_entry_exists(
    ctx: Ctx, team: str
) -> None:
    duplicates.duplicate_forms_conformance(ctx, team)
