"""All rate-limit observations of a run, made once: the write and read scenarios and each
team's batch session (limit + rolling window) side by side, so that their drains and waits
overlap (about two windows after the drain in all)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from contract_tests.checks.rate_limit import (
    FIRST_TEAM,
    Scenario,
    Spec,
    read_spec,
    run_bucket,
    write_spec,
)
from contract_tests.checks.rolling_window import RollingRun, batch_session
from contract_tests.checks.spread_traffic import SpreadRun, spread_after_reset
from contract_tests.cleanup import cleanup_team
from contract_tests.context import Ctx


@dataclass
class LimitsRun:
    scenarios: dict[tuple[str, str], Scenario] = field(default_factory=dict)  # (team, bucket)
    rolling: dict[str, RollingRun] = field(default_factory=dict)  # team -> batch session
    spread: dict[str, SpreadRun] = field(default_factory=dict)  # team -> read bucket, spread
    cleanup_problems: list[str] = field(default_factory=list)

    def scenario(self, team: str, bucket: str) -> Scenario:
        if bucket == "batch":
            return self.rolling[team].scenario
        return self.scenarios[(team, bucket)]


@dataclass(frozen=True)
class Needed:
    """Which observations the selected tests need (all of them in a full run)."""

    buckets: frozenset[str] = frozenset({"write", "read", "batch"})
    rolling: bool = True
    spread: bool = True  # the read bucket's spread-out phase (needs "read")


def run_all(ctx: Ctx, needed: Needed = Needed()) -> LimitsRun:
    teams = ["A"] + (["B"] if ctx.b_client is not None else [])
    result = LimitsRun()
    # The write burst deletes entries created earlier; topping that backlog up is paced normally.
    write = {team: write_spec(ctx, team) for team in teams} if "write" in needed.buckets else {}
    read = {team: read_spec(ctx, team) for team in teams} if "read" in needed.buckets else {}
    with ThreadPoolExecutor(max_workers=2 + len(teams)) as pool:
        sessions = {
            team: pool.submit(batch_session, ctx, team, needed.rolling)
            for team in (teams if "batch" in needed.buckets else [])
        }
        first_reader = FIRST_TEAM["read"] if "B" in read else "A"
        reads = pool.submit(_reads, ctx, read, first_reader, needed.spread, result)
        writes = pool.submit(run_bucket, ctx, write, FIRST_TEAM["write"])
        for team, scenario in (writes.result() if write else {}).items():
            result.scenarios[(team, "write")] = scenario
        for team, scenario in (reads.result() if read else {}).items():
            result.scenarios[(team, "read")] = scenario
        if ctx.config.long_window:
            # The rate-limit tests come last, and the write and read buckets are free again
            # while the batch sessions wait out their windows: the run's entries are deleted
            # now, not after (the final cleanup then finds nothing left).
            for team in teams:
                result.cleanup_problems += cleanup_team(ctx.client(team), ctx.tracker)
        for team, future in sessions.items():
            result.rolling[team] = future.result()
    return result


def _reads(
    ctx: Ctx, specs: dict[str, Spec], first: str, spread: bool, result: LimitsRun
) -> dict[str, Scenario]:
    """The read bucket of both teams, then (if needed) each team's spread-out phase, side by
    side."""
    out = run_bucket(ctx, specs, first)
    if spread and out:
        with ThreadPoolExecutor(max_workers=len(out)) as pool:
            runs = pool.map(lambda team: spread_after_reset(ctx, out[team], specs[team]), out)
            result.spread.update(zip(out, runs, strict=True))
    return out
