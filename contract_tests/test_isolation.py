"""Team isolation (needs DNC_SECOND_TEAM_API_KEY; otherwise not measured)."""

from typing import Any

import pytest

from contract_tests.checks import isolation
from contract_tests.context import Ctx

pytestmark = pytest.mark.isolation


@pytest.fixture(scope="module")
def team_a_entry(dnc_ctx: Ctx) -> dict[str, Any]:
    """One entry of team A that team B must not see (needs the second key)."""
    dnc_ctx.b  # noqa: B018 - "not measured" without a second key, before anything is added
    return dnc_ctx.add_entry(dnc_ctx.fresh_url("isolated"))


def test_another_team_cannot_see_an_entry_through_check(
    ctx: Ctx, team_a_entry: dict[str, Any]
) -> None:
    isolation.check_isolation_conformance(ctx, team_a_entry)


def test_another_teams_list_does_not_show_the_entries(
    ctx: Ctx, team_a_entry: dict[str, Any]
) -> None:
    isolation.list_isolation_conformance(ctx, team_a_entry)


def test_two_teams_can_each_add_the_same_url(ctx: Ctx) -> None:
    isolation.same_url_two_teams_conformance(ctx)
