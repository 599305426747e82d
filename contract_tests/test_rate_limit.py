"""Rate limits (marker rate_limit; switch off with --no-rate-limit-tests)."""

import pytest

from contract_tests.checks import rate_limit as rl
from contract_tests.context import Ctx

pytestmark = pytest.mark.rate_limit


@pytest.fixture(scope="module")
def scenarios(dnc_ctx: Ctx) -> dict[str, rl.Scenario]:
    """The three buckets exhausted side by side (their waits overlap), observed once."""
    specs = [rl.write_spec(dnc_ctx), rl.read_spec(dnc_ctx), rl.batch_spec(dnc_ctx)]
    return rl.run_all(dnc_ctx, specs)


@pytest.fixture(scope="module")
def write(scenarios: dict[str, rl.Scenario]) -> rl.Scenario:
    return scenarios["write"]


@pytest.fixture(scope="module")
def read(scenarios: dict[str, rl.Scenario]) -> rl.Scenario:
    return scenarios["read"]


@pytest.fixture(scope="module")
def batch(scenarios: dict[str, rl.Scenario]) -> rl.Scenario:
    return scenarios["batch"]


def test_add_and_delete_share_exactly_30_requests_per_window(write: rl.Scenario) -> None:
    rl.limit_conformance(write)


def test_check_and_list_share_exactly_60_requests_per_window(read: rl.Scenario) -> None:
    rl.limit_conformance(read)


def test_batch_admits_exactly_10_requests_per_window(batch: rl.Scenario) -> None:
    rl.limit_conformance(batch)


def test_a_429_carries_rate_limit_exceeded_a_message_and_reset_time_within_the_window(
    ctx: Ctx, write: rl.Scenario, read: rl.Scenario, batch: rl.Scenario
) -> None:
    window, skew = ctx.config.window_s, ctx.config.clock_skew_s
    rl.each_scenario((write, read, batch), lambda s: rl.rejection_body_conformance(s, window, skew))


def test_requests_are_admitted_again_after_reset_time(
    write: rl.Scenario, read: rl.Scenario, batch: rl.Scenario
) -> None:
    rl.each_scenario((write, read, batch), rl.admitted_after_reset_conformance)


@pytest.mark.isolation
def test_one_team_exhausting_a_bucket_does_not_throttle_another_team(
    ctx: Ctx, write: rl.Scenario, read: rl.Scenario
) -> None:
    ctx.b  # noqa: B018 - "not measured" without a second key
    rl.each_scenario((write, read), rl.other_team_conformance)


def test_a_bucket_refills_only_as_requests_age_out_of_the_rolling_window(ctx: Ctx) -> None:
    rl.rolling_window_conformance(ctx)
