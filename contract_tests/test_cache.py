"""The check cache is invalidated at once by every write of the team, for both teams."""

import pytest

from contract_tests import seeds
from contract_tests.checks import cache
from contract_tests.context import TEAM_IDS, TEAMS, Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.cache


@requires("cache.add.per-team", seeds.CACHE_ADD)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_check_sees_an_add_at_once_after_a_cached_miss(ctx: Ctx, team: str) -> None:
    cache.cache_after_add_conformance(ctx, team)


@requires("cache.delete.per-team", seeds.CACHE_DELETE)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_check_sees_a_delete_at_once_after_a_cached_hit(ctx: Ctx, team: str) -> None:
    cache.cache_after_delete_conformance(ctx, team)


@requires("cache.batch.per-team", seeds.CACHE_BATCH)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_check_sees_a_batch_add_at_once_after_a_cached_miss(ctx: Ctx, team: str) -> None:
    cache.cache_after_batch_conformance(ctx, team)
