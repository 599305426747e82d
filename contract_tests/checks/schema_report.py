"""A check's verdict over the whole schema run: its failures (with what was sent and what came
back), and the failures a decision tolerates, as warnings."""

from __future__ import annotations

from contract_tests.checks.common import ContractViolation
from contract_tests.checks.schema import SchemaRun
from contract_tests.checks.schemathesis_checks import REQUIRES
from contract_tests.context import Ctx

SHOWN = 6


def check_conformance(ctx: Ctx, run: SchemaRun, check: str) -> None:
    tally = run.tallies.get(check) or run.own[check]
    for decision, tolerated in sorted(tally.tolerated.items()):
        ctx.warn(
            f"{check}: {tolerated.count} answer(s) differ from dnc-kit's choice where the pages "
            f"leave it open (decision {decision}: {tolerated.tolerance.situation}); e.g. "
            f"{tolerated.example}"
        )
    if not tally.findings:
        return
    shown = "\n".join(f.describe() for f in tally.findings[:SHOWN])
    more = f"\n… and {len(tally.findings) - SHOWN} more" if len(tally.findings) > SHOWN else ""
    raise ContractViolation(
        f"{len(tally.findings)} of {tally.judged} answers to generated requests fail "
        f"{check}:\n{shown}{more}\n  documented: {REQUIRES[check]}",
        [f.exchange for f in tally.findings[:3] if f.exchange is not None],
    )
