"""DELETE /dnc/{id}."""

import pytest

from contract_tests import seeds
from contract_tests.checks import delete
from contract_tests.context import TEAM_IDS, TEAMS, Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.delete


@pytest.fixture(scope="module")
def deletion(dnc_ctx: Ctx) -> delete.Deletion:
    """One entry added and deleted, observed once (each write costs rate-limit budget)."""
    return delete.delete_own_entry(dnc_ctx)


@requires("delete.own", f"{seeds.DELETE_200} and {seeds.DELETE_GONE}")
def test_delete_of_an_own_entry_answers_200_and_removes_it(deletion: delete.Deletion) -> None:
    if deletion.problem is not None:
        raise deletion.problem


@requires("delete.twice-404", seeds.DELETE_404)
def test_delete_of_an_already_deleted_entry_answers_404_dnc_not_found(
    ctx: Ctx, deletion: delete.Deletion
) -> None:
    delete.delete_twice_conformance(ctx, deletion.entry_id)


@requires("delete.unknown-404", seeds.DELETE_404)
def test_delete_of_an_unknown_id_answers_404_dnc_not_found(ctx: Ctx) -> None:
    delete.delete_unknown_conformance(ctx)


@requires("delete.other-team-403", seeds.DELETE_403)
@pytest.mark.isolation
@pytest.mark.parametrize("owner", TEAMS, ids=TEAM_IDS)
def test_delete_of_another_teams_entry_answers_403_unauthorized_dnc_and_keeps_it(
    ctx: Ctx, owner: str
) -> None:
    ctx.b  # noqa: B018 - "not measured" without a second key
    delete.delete_other_team_conformance(ctx, owner)
