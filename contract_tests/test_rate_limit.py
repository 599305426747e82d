"""Rate limits of both teams (marker rate_limit; switch off with --no-rate-limit-tests)."""

import pytest

from contract_tests import seeds
from contract_tests.checks import rate_limit as rl
from contract_tests.checks.limits_run import LimitsRun, Needed, run_all
from contract_tests.checks.rolling_window import rolling_window_conformance
from contract_tests.checks.spread_traffic import retry_after_spread_conformance
from contract_tests.context import TEAM_IDS, TEAMS, Ctx
from contract_tests.requirements import requires

pytestmark = pytest.mark.rate_limit


# What each test observes: its buckets, and whether it needs the rolling-window phase.
NEEDS: dict[str, tuple[frozenset[str], bool]] = {
    "test_add_and_delete_share_exactly_30_requests_per_window": (frozenset({"write"}), False),
    "test_check_and_list_share_exactly_60_requests_per_window": (frozenset({"read"}), False),
    "test_batch_admits_exactly_10_requests_per_window": (frozenset({"batch"}), False),
    "test_one_team_exhausting_a_bucket_does_not_throttle_another_team": (
        frozenset({"write", "read"}),
        False,
    ),
    "test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window": (
        frozenset({"batch"}),
        True,
    ),
    "test_a_retry_at_reset_time_after_spread_out_traffic_is_admitted": (frozenset({"read"}), False),
}
ALL_BUCKETS = (frozenset({"write", "read", "batch"}), False)
SPREAD = "test_a_retry_at_reset_time_after_spread_out_traffic_is_admitted"


@pytest.fixture(scope="module")
def limits(dnc_ctx: Ctx, request: pytest.FixtureRequest) -> LimitsRun:
    """Every bucket of both teams exhausted side by side (their waits overlap), observed once;
    a selection of the tests (-k) observes only what it needs."""
    names = {item.name.partition("[")[0] for item in request.session.items}
    needs = [NEEDS.get(name, ALL_BUCKETS) for name in names if name in TESTS]
    needed = Needed(
        buckets=frozenset().union(*(b for b, _ in needs)),
        rolling=any(r for _, r in needs),
        spread=SPREAD in names,
    )
    run = run_all(dnc_ctx, needed)
    dnc_ctx.verdict.notes += [f"Cleanup: {p}" for p in run.cleanup_problems]
    return run


def _scenario(ctx: Ctx, limits: LimitsRun, team: str, bucket: str) -> rl.Scenario:
    ctx.client(team)  # "not measured" for team B without a second key
    return limits.scenario(team, bucket)


@requires("rate-limit.write.per-team", seeds.RATE_WRITE, ("rate-limit-counting",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_add_and_delete_share_exactly_30_requests_per_window(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    rl.limit_conformance(_scenario(ctx, limits, team, "write"))


@requires("rate-limit.read.per-team", seeds.RATE_READ, ("rate-limit-counting",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_check_and_list_share_exactly_60_requests_per_window(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    rl.limit_conformance(_scenario(ctx, limits, team, "read"))


@requires("rate-limit.batch.per-team", seeds.RATE_BATCH, ("rate-limit-counting",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_batch_admits_exactly_10_requests_per_window(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    rl.limit_conformance(_scenario(ctx, limits, team, "batch"))


@requires("rate-limit.429-body", seeds.RATE_429, ("reset-time",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_a_429_carries_rate_limit_exceeded_a_message_and_reset_time_within_the_window(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    window, skew = ctx.config.window_s, ctx.config.clock_skew_s
    scenarios = [_scenario(ctx, limits, team, b) for b in ("write", "read", "batch")]
    rl.each_scenario(scenarios, lambda s: rl.rejection_body_conformance(s, window, skew))


@requires("rate-limit.after-reset", seeds.RATE_RESET, ("reset-time",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_requests_are_admitted_again_after_reset_time(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    scenarios = [_scenario(ctx, limits, team, b) for b in ("write", "read", "batch")]
    rl.each_scenario(scenarios, rl.admitted_after_reset_conformance)


@requires("rate-limit.teams-independent", seeds.RATE_TEAM)
@pytest.mark.isolation
@pytest.mark.parametrize("team", TEAMS, ids=["team_A_exhausted", "team_B_exhausted"])
def test_one_team_exhausting_a_bucket_does_not_throttle_another_team(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    ctx.b  # noqa: B018 - "not measured" without a second key
    # Measured on the bucket this team exhausted first: the other team's first request followed.
    buckets = [b for b, first in rl.FIRST_TEAM.items() if first == team]
    rl.each_scenario([limits.scenario(team, b) for b in buckets], rl.other_team_conformance)


@requires("rate-limit.rolling-window", seeds.RATE_ROLLING, ("rate-limit-counting",))
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    ctx.client(team)
    rolling_window_conformance(limits.rolling[team])


@requires(
    "rate-limit.after-reset.spread-out", seeds.RATE_RESET, ("reset-time", "rate-limit-counting")
)
@pytest.mark.parametrize("team", TEAMS, ids=TEAM_IDS)
def test_a_retry_at_reset_time_after_spread_out_traffic_is_admitted(
    ctx: Ctx, limits: LimitsRun, team: str
) -> None:
    ctx.client(team)
    retry_after_spread_conformance(limits.spread.get(team))


TESTS = {name for name in dir() if name.startswith("test_")}
