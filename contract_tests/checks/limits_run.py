"""All rate-limit observations of a run, made once: the write and read scenarios and each
team's batch session (limit + rolling window) side by side, so that their drains and waits
overlap (about two windows after the drain in all)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from contract_tests.checks.rate_limit import (
    FIRST_TEAM,
    Scenario,
    read_spec,
    run_bucket,
    write_spec,
)
from contract_tests.checks.rolling_window import RollingRun, batch_session
from contract_tests.cleanup import cleanup_team
from contract_tests.context import Ctx


@dataclass
class LimitsRun:
    scenarios: dict[tuple[str, str], Scenario] = field(default_factory=dict)  # (team, bucket)
    rolling: dict[str, RollingRun] = field(default_factory=dict)  # team -> batch session
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
        reads = pool.submit(run_bucket, ctx, read, FIRST_TEAM["read"] if "B" in read else "A")
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
