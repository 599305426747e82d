"""Team isolation in both directions (needs DNC_SECOND_TEAM_API_KEY; otherwise not measured)."""

from collections.abc import Callable
from typing import Any

import pytest

from contract_tests import seeds
from contract_tests.checks import isolation
from contract_tests.context import TEAM_IDS, TEAMS, Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.isolation
Owned = Callable[[str], dict[str, Any]]


@pytest.fixture(scope="module")
def owned(dnc_ctx: Ctx) -> Owned:
    """One entry per team that the other team must not see (created on first use)."""
    entries: dict[str, dict[str, Any]] = {}

    def entry_of(team: str) -> dict[str, Any]:
        dnc_ctx.b  # noqa: B018 - "not measured" without a second key, before anything is added
        if team not in entries:
            url = dnc_ctx.fresh_url(f"isolated-{team.lower()}")
            entries[team] = dnc_ctx.add_entry(url, dnc_ctx.client(team))
        return entries[team]

    return entry_of


@requires("isolation.check", seeds.ISOLATION_CHECK)
@pytest.mark.parametrize("owner", TEAMS, ids=TEAM_IDS)
def test_another_team_cannot_see_an_entry_through_check(ctx: Ctx, owned: Owned, owner: str) -> None:
    isolation.check_isolation_conformance(ctx, owner, owned(owner))


@requires("isolation.list", seeds.ISOLATION_LIST)
@pytest.mark.parametrize("owner", TEAMS, ids=TEAM_IDS)
def test_another_teams_list_does_not_show_the_entries(ctx: Ctx, owned: Owned, owner: str) -> None:
    isolation.list_isolation_conformance(ctx, owner, owned(owner))


@requires("isolation.add.same-url", seeds.ISOLATION_ADD)
@pytest.mark.parametrize("first", TEAMS, ids=TEAM_IDS)
def test_two_teams_can_each_add_the_same_url(ctx: Ctx, first: str) -> None:
    ctx.b  # noqa: B018 - "not measured" without a second key
    isolation.same_url_two_teams_conformance(ctx, first)


@requires("isolation.batch.same-url", seeds.ISOLATION_BATCH)
@pytest.mark.parametrize("first", TEAMS, ids=TEAM_IDS)
def test_a_batch_adds_a_url_another_team_holds_for_its_own_team(ctx: Ctx, first: str) -> None:
    ctx.b  # noqa: B018 - "not measured" without a second key
    isolation.batch_same_url_two_teams_conformance(ctx, first)


@requires("isolation.error-bodies", seeds.ISOLATION_DATA)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_no_error_answer_carries_another_teams_data(ctx: Ctx, owned: Owned, team: str) -> None:
    isolation.error_answers_keep_to_their_team_conformance(ctx, team, owned(ctx.other(team)))
